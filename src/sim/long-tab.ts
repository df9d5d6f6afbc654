// "My tab can stay open for a week": a few nodes that never leave, in a ring whose other members
// come and go fast (sessions with a short median, half silent crashes, each replaced by a newcomer),
// so that in hours of virtual time a long-lived node meets as many distinct peers as a tab in a
// 30-minute-median ring meets in days. Each hour its footprint (every collection it holds, by path)
// is read, with the clock's pending timers per live node and the share of lookups the ring gets
// right: what grows with time is a leak.

import type { NodeId } from '../overlay/id.js';
import { PastryNode } from '../overlay/pastry-node.js';
import { SimNetwork, SimTransport } from '../overlay/transports/sim-transport.js';
import { footprint, largestOf, type Footprint } from './footprint.js';
import { SeededRandom } from './seeded-random.js';
import { Simulation, type SimulationOptions } from './simulation.js';
import { VirtualClock } from './virtual-clock.js';

export interface LongTabOptions {
  seed: number;
  nodes: number;
  /** Nodes that stay the whole run (the first ones built). */
  longLived: number;
  hours: number;
  /** Median session of every other node. */
  medianSessionMin: number;
  lookupsPerHour: number;
  simulation?: Partial<Omit<SimulationOptions, 'seed'>>;
}

export interface LongTabHour {
  hour: number;
  /** Sessions that ended so far (each replaced by a newcomer), and newcomers whose join failed. */
  replaced: number;
  failedJoins: number;
  live: number;
  /** The largest size each path had in any long-lived node. */
  sizes: Footprint;
  pendingTimersPerLiveNode: number;
  lookups: number;
  correct: number;
  /** 10-second samples so far that found the live nodes in more than one ring, and the longest such stretch. */
  islandSamples: number;
  longestIslandMs: number;
  /** Lookups never delivered (within the simulator's 30 s). */
  lost: number;
}

/**
 * The simulator's model of the page (the ledger of peer connections awaiting GC) lives in the
 * transport; it is the browser's state, not the node's, and tab-churn/churn benches report it.
 */
const MODEL_PATHS = /\.ledger(\.|$)/;
const ISLAND_SAMPLE_MS = 10_000;

/** How many rings `nodes` form: components of the graph whose edges are leaf-set entries among them. */
function ringsAmong(nodes: readonly PastryNode[]): number {
  const parent = new Map(nodes.map((node) => [node.id, node.id]));
  const find = (id: NodeId): NodeId => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(id, root);
    return root;
  };
  for (const node of nodes) for (const leaf of node.leafSet.members()) if (parent.has(leaf)) parent.set(find(node.id), find(leaf));
  return new Set(nodes.map((node) => find(node.id))).size;
}

export async function runLongTab(options: LongTabOptions, onHour: (hour: LongTabHour) => void = () => {}): Promise<LongTabHour[]> {
  const sim = new Simulation({ seed: options.seed, islandWatch: true, ...options.simulation });
  const built = await sim.build(options.nodes);
  const longLived = built.slice(0, options.longLived);
  const staying = new Set(longLived);
  const rnd = sim.random.fork('long-tab churn');
  // Every session ends after an exponential time with the given median; with N nodes, one ends
  // every mean/N on average, and its replacement starts at once.
  const meanGapMs = (options.medianSessionMin * 60_000) / Math.LN2 / (options.nodes - options.longLived);
  let replaced = 0;
  let failedJoins = 0;
  // A newcomer whose join fails tries again a second later as a new node, as a tab's boot does.
  const arrive = () => {
    const newcomer = sim.createNode();
    newcomer.start(sim.introducer(newcomer)).then(
      () => {
        sim.track(newcomer);
        sim.membershipChanged();
      },
      () => {
        failedJoins++;
        sim.clock.setTimer(1_000, arrive);
      },
    );
  };
  const endOne = () => {
    sim.clock.setTimer(-Math.log(1 - rnd.next()) * meanGapMs, endOne);
    const others = sim.liveNodes().filter((node) => !staying.has(node));
    if (others.length === 0) return;
    const victim = others[rnd.int(others.length)];
    if (rnd.next() < 0.5) {
      victim.leave();
      sim.network.crash(victim.id, false);
    } else {
      sim.network.crash(victim.id, true);
      victim.stop();
    }
    replaced++;
    sim.membershipChanged();
    arrive();
  };
  sim.clock.setTimer(0, endOne);

  // Every 10 s: is the ring one ring? (Components of the graph of live nodes and their leaves.)
  let islandSince: number | undefined;
  let longestIslandMs = 0;
  let islandSamples = 0;
  const watchRings = () => {
    sim.clock.setTimer(ISLAND_SAMPLE_MS, watchRings);
    if (ringsAmong(sim.liveNodes()) > 1) {
      islandSamples++;
      islandSince ??= sim.clock.now();
      longestIslandMs = Math.max(longestIslandMs, sim.clock.now() - islandSince);
    } else islandSince = undefined;
  };
  sim.clock.setTimer(ISLAND_SAMPLE_MS, watchRings);

  const shared = (value: object) =>
    value instanceof PastryNode || value instanceof VirtualClock || value instanceof SimNetwork || value instanceof SeededRandom || value instanceof SimTransport;
  const hours: LongTabHour[] = [];
  for (let hour = 1; hour <= options.hours; hour++) {
    await sim.settle(3_600_000);
    const lookups = await sim.lookups(options.lookupsPerHour, { spacingMs: 100, seedLabel: `long-tab-${hour}` });
    const each = longLived.map((node) => footprint(node, { stopAt: (value) => value !== node.transport && shared(value) }));
    const sizes = new Map([...largestOf(each)].filter(([path]) => !MODEL_PATHS.test(path)));
    const live = sim.liveNodes().length;
    const row: LongTabHour = {
      hour,
      replaced,
      failedJoins,
      live,
      sizes,
      pendingTimersPerLiveNode: sim.clock.pending / live,
      lookups: lookups.length,
      // Right: at the key's root when the lookup was sent, or when it was read (a root may join or go meanwhile).
      islandSamples,
      longestIslandMs,
      lost: lookups.filter((l) => l.deliveredAt === undefined).length,
      correct: lookups.filter((l) => l.deliveredAt !== undefined && (l.deliveredAt === l.expectedRoot || l.deliveredAt === sim.rootOf(l.key))).length,
    };
    hours.push(row);
    onHour(row);
  }
  for (const node of sim.liveNodes()) node.stop();
  return hours;
}

/** Paths whose size at the end exceeds `bound` (suspects of a leak), with their sizes hour by hour. */
export function growing(hours: LongTabHour[], bound: number): { path: string; sizes: number[] }[] {
  const last = hours.at(-1)?.sizes ?? new Map<string, number>();
  return [...last]
    .filter(([, size]) => size > bound)
    .map(([path]) => ({ path, sizes: hours.map((h) => h.sizes.get(path) ?? 0) }))
    .sort((a, b) => b.sizes.at(-1)! - a.sizes.at(-1)!);
}
