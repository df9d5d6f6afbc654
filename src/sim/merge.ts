// Rings that heal, in the simulator: two rings built apart that meet through one introduction, and
// one ring cut in two by a partition that lifts. Either way the run goes on until every live node's
// leaf set is exact for the union (checked against the sorted ids of all live nodes every
// `stepMs`), then lookups show whether routing reaches the numerically closest node of the union.

import type { PastryNode } from '../overlay/pastry-node.js';
import type { NodeId } from '../overlay/id.js';
import { round } from './report.js';
import type { LookupResult, Simulation } from './simulation.js';

/** How many live nodes' leaf sets differ from the exact one (the L/2 nearest ids on each side). */
export function inexactLeafSets(sim: Simulation): number {
  const live = sim.liveNodes();
  // Ids are 32 lowercase hex digits: string order is numeric order.
  const ids = live.map((n) => n.id).sort();
  const at = new Map<NodeId, number>(ids.map((id, i) => [id, i]));
  let wrong = 0;
  for (const node of live) {
    const half = node.leafSet.half;
    const i = at.get(node.id)!;
    const expected = new Set<NodeId>();
    for (let k = 1; k <= half && k < ids.length; k++) {
      expected.add(ids[(i + k) % ids.length]);
      expected.add(ids[(i - k + ids.length) % ids.length]);
    }
    const members = node.leafSet.members();
    if (members.length !== expected.size || members.some((id) => !expected.has(id))) wrong++;
  }
  return wrong;
}

export interface HealFigures {
  /** Virtual ms from the meeting (or the partition's end) until every leaf set was exact; undefined: not within the limit. */
  healMs: number | undefined;
  limitMs: number;
  liveNodes: number;
  /** Leaf sets still inexact at the end. */
  inexact: number;
  /** Over the same span, per live node: frames sent, peer connections constructed, merge checks, hints, lost-peer retries. */
  framesPerNode: number;
  constructedPerNode: number;
  checksPerNode: number;
  hintsPerNode: number;
  retriesPerNode: number;
  lookups: number;
  correct: number;
  correctPct: number;
}

interface Counters {
  frames: number;
  constructed: number;
  checks: number;
  hints: number;
  retries: number;
}

function counters(sim: Simulation): Counters {
  const c: Counters = { frames: sim.network.framesSent, constructed: 0, checks: 0, hints: 0, retries: 0 };
  for (const node of sim.liveNodes()) {
    c.constructed += node.transport.connections?.constructed ?? 0;
    c.checks += node.stats.merge.checks;
    c.hints += node.stats.merge.hintsSent;
    c.retries += node.stats.merge.retries;
  }
  return c;
}

/** Runs virtual time in `stepMs` steps until all leaf sets are exact (or `limitMs` passed); then lookups. */
async function untilExact(sim: Simulation, start: Counters, options: { stepMs: number; limitMs: number; lookups: number }): Promise<HealFigures> {
  const began = sim.clock.now();
  let healMs: number | undefined;
  while (sim.clock.now() - began < options.limitMs) {
    await sim.settle(options.stepMs);
    if (inexactLeafSets(sim) === 0) {
      healMs = sim.clock.now() - began;
      break;
    }
  }
  const end = counters(sim);
  const n = sim.liveNodes().length;
  const perNode = (x: number) => round(x / n, 1);
  const results: LookupResult[] = options.lookups > 0 ? await sim.lookups(options.lookups, { seedLabel: 'after-merge' }) : [];
  const correct = results.filter((r) => r.deliveredAt === r.expectedRoot).length;
  return {
    healMs,
    limitMs: options.limitMs,
    liveNodes: n,
    inexact: inexactLeafSets(sim),
    framesPerNode: perNode(end.frames - start.frames),
    constructedPerNode: perNode(end.constructed - start.constructed),
    checksPerNode: perNode(end.checks - start.checks),
    hintsPerNode: perNode(end.hints - start.hints),
    retriesPerNode: perNode(end.retries - start.retries),
    lookups: results.length,
    correct,
    correctPct: results.length > 0 ? round((100 * correct) / results.length, 3) : 100,
  };
}

export interface MergeOptions {
  sizes: [number, number];
  concurrency: number;
  /** Virtual time each ring runs on its own after its build, before the meeting. */
  settleMs: number;
  stepMs: number;
  limitMs: number;
  lookups: number;
}

export const DEFAULT_MERGE: MergeOptions = { sizes: [500, 500], concurrency: 20, settleMs: 30_000, stepMs: 5_000, limitMs: 10 * 60_000, lookups: 10_000 };

/** Two rings built apart; one random node of the first meets one of the second through an introduction. */
export async function runMerge(sim: Simulation, options: MergeOptions): Promise<HealFigures & { rings: [PastryNode[], PastryNode[]]; meet: { merged: boolean; learned: number } | string }> {
  const a = await sim.build(options.sizes[0], { concurrency: options.concurrency });
  const b = await sim.build(options.sizes[1], { concurrency: options.concurrency, apart: true });
  await sim.settle(options.settleMs);
  const start = counters(sim);
  const pick = sim.random.fork('merge-meet');
  const from = a[pick.int(a.length)];
  const to = b[pick.int(b.length)];
  let meet: { merged: boolean; learned: number } | string = 'pending';
  from.meet(sim.introducerTo(to)).then(
    (outcome) => (meet = { merged: outcome.merged, learned: outcome.learned }),
    (error: unknown) => (meet = `failed: ${String(error)}`),
  );
  const figures = await untilExact(sim, start, options);
  return { ...figures, rings: [a, b], meet };
}

export interface PartitionOptions {
  nodes: number;
  concurrency: number;
  settleMs: number;
  /** How long the network stays cut. */
  cutMs: number;
  stepMs: number;
  limitMs: number;
  lookups: number;
}

export const DEFAULT_PARTITION: PartitionOptions = { nodes: 1_000, concurrency: 20, settleMs: 30_000, cutMs: 5 * 60_000, stepMs: 5_000, limitMs: 10 * 60_000, lookups: 10_000 };

/**
 * One ring, cut into two random halves for `cutMs` (each half repairs itself into a ring of its
 * own), then healed. Nobody calls meet(): the nodes find the other half again by themselves.
 */
export async function runPartition(sim: Simulation, options: PartitionOptions): Promise<HealFigures & { sideA: number; inexactWhileCut: number }> {
  await sim.build(options.nodes, { concurrency: options.concurrency });
  await sim.settle(options.settleMs);
  const pick = sim.random.fork('partition');
  const sideA = new Set(sim.liveNodes().filter(() => pick.next() < 0.5).map((n) => n.id));
  sim.partition(sideA);
  await sim.settle(options.cutMs);
  const inexactWhileCut = inexactLeafSets(sim);
  sim.heal();
  const figures = await untilExact(sim, counters(sim), options);
  return { ...figures, sideA: sideA.size, inexactWhileCut };
}
