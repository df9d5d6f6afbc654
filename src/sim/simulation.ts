// A whole simulated overlay in one process: N PastryNodes (the same class browser tabs run) on a
// SimNetwork, driven by a VirtualClock, reproducible from one seed.

import type { OverlayConfig } from '../overlay/config.js';
import type { Signaller } from '../overlay/environment.js';
import { bytesToId, idToBigInt, isCloser, type NodeId } from '../overlay/id.js';
import { watchForIslands } from '../overlay/island-watch.js';
import { PastryNode } from '../overlay/pastry-node.js';
import { SimNetwork } from '../overlay/transports/sim-transport.js';
import { SeededRandom } from './seeded-random.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimulationOptions {
  seed: number;
  config?: Partial<OverlayConfig>;
  signalling?: 'overlay' | 'direct';
  planeSizeMs?: number;
  lossRate?: number;
  /** The browser model of each simulated page: see SimNetworkOptions. */
  peerConnectionLimit?: number;
  gcIntervalMs?: number;
  consentTimeoutMs?: number;
  /** Each node watches for islands (island-watch.ts), introduced by this simulated bootstrap. */
  islandWatch?: boolean;
}

export interface LookupResult {
  key: NodeId;
  origin: NodeId;
  /** The live node numerically closest to the key when the lookup was sent. */
  expectedRoot: NodeId;
  deliveredAt?: NodeId;
  hops?: number;
  latencyMs?: number;
  /** One-way delay straight from origin to the node that delivered (for route stretch). */
  directMs?: number;
}

const LOOKUP_APP = 'sim-lookup';

export class Simulation {
  readonly clock = new VirtualClock();
  readonly random: SeededRandom;
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, PastryNode>();
  /** Frames the network carried during each node's join (all nodes' frames, joins run one at a time). */
  readonly joinFrames: number[] = [];
  private readonly idRandom: SeededRandom;
  private readonly inFlight = new Map<string, { result: LookupResult; sentAt: number }>();
  private sortedLive: { id: NodeId; value: bigint }[] | undefined;
  private lookupCounter = 0;
  private lookupsDelivered = 0;
  /** Nodes that have joined and not crashed or left, kept up to date (liveNodes() is hot). */
  private readonly live = new Set<PastryNode>();
  private readonly liveList: PastryNode[] = [];

  constructor(readonly options: SimulationOptions) {
    this.random = new SeededRandom(options.seed);
    this.idRandom = this.random.fork('node-ids');
    this.network = new SimNetwork({
      clock: this.clock,
      random: this.random.fork('network'),
      planeSizeMs: options.planeSizeMs,
      lossRate: options.lossRate,
      signalling: options.signalling,
      peerConnectionLimit: options.peerConnectionLimit,
      gcIntervalMs: options.gcIntervalMs,
      consentTimeoutMs: options.consentTimeoutMs,
    });
  }

  /** Creates a node with a fresh id (not yet joined). */
  createNode(): PastryNode {
    const id = bytesToId(this.idRandom.bytes(16));
    const index = this.nodes.size;
    const node = new PastryNode({
      transport: this.network.createTransport(id),
      clock: this.clock,
      random: this.random.fork(`node-${index}`),
      config: this.options.config,
    });
    node.register(LOOKUP_APP, { deliver: (msg) => this.onLookupDelivered(node.id, msg.body, msg.hops) });
    if (this.options.islandWatch) watchForIslands(node, { introduce: async () => this.introducer(node) });
    this.nodes.set(id, node);
    this.sortedLive = undefined;
    return node;
  }

  /** Joins `node` through a random live node (or as the first node) and runs virtual time until it has joined. */
  async join(node: PastryNode): Promise<void> {
    await this.joinAll([node]);
  }

  /**
   * Builds an overlay of `count` nodes and returns them. With `concurrency` > 1, that many joins are
   * in flight at once (the leaf-set protocols must then reconcile concurrent arrivals, as in a real
   * network); joinFrames is then the network's frames per join averaged over each batch.
   * `apart`: a ring of its own, unknown to the nodes already there (its first node starts alone,
   * the others are introduced to its nodes only), as two networks that grew apart.
   */
  async build(count: number, options: { concurrency?: number; apart?: boolean; onProgress?: (joined: number) => void } = {}): Promise<PastryNode[]> {
    const concurrency = Math.max(1, options.concurrency ?? 1);
    const built: PastryNode[] = [];
    const ring = options.apart ? built : undefined;
    let joined = 0;
    while (joined < count) {
      const batch: PastryNode[] = [];
      // The very first node founds the ring alone.
      const alone = ring ? built.length === 0 : this.live.size === 0;
      const size = alone ? 1 : Math.min(concurrency, count - joined);
      for (let i = 0; i < size; i++) batch.push(this.createNode());
      await this.joinAll(batch, alone, ring && this.introducerAmong(ring));
      built.push(...batch);
      const before = Math.floor(joined / 1000);
      joined += size;
      if (options.onProgress && Math.floor(joined / 1000) > before) options.onProgress(joined);
    }
    return built;
  }

  /** An introduction to `node` alone (a seed, an invite, a bootstrap that knows only it). */
  introducerTo(node: PastryNode): Signaller {
    return async (offer) => node.transport.answer(null, offer);
  }

  /** The bootstrap of a ring built apart: a random one of `ring` that has joined. */
  private introducerAmong(ring: readonly PastryNode[]): Signaller {
    return async (offer) => {
      const joined = ring.filter((n) => n.state === 'joined' && this.network.isAlive(n.id));
      if (joined.length === 0) throw new Error('no joined node to introduce to');
      return joined[this.random.int(joined.length)].transport.answer(null, offer);
    };
  }

  /**
   * Cuts the network in two (`sideA`: the ids of one side, or a predicate): see SimPartition. Links
   * across go silent and close after the consent timeout; heal() lets traffic through again.
   */
  partition(sideA: ReadonlySet<NodeId> | ((id: NodeId) => boolean)): void {
    this.network.partition.cut(sideA);
  }

  heal(): void {
    this.network.partition.heal();
  }

  /**
   * The simulated bootstrap server: introduces a joiner to one random node that has finished joining
   * (as the real server only keeps joined volunteers). Its answer comes straight back, like a relay.
   */
  introducer(asking?: PastryNode): Signaller {
    return async (offer) => {
      let entry = this.randomLiveNode();
      if (entry === asking) entry = this.randomLiveNode(); // a node is not introduced to itself
      if (entry === asking) entry = undefined;
      if (!entry) throw new Error('no joined node to introduce to');
      return entry.transport.answer(null, offer);
    };
  }

  /** A uniformly random live node in O(1): dead entries met on the way are swap-removed. */
  private randomLiveNode(): PastryNode | undefined {
    const list = this.liveList;
    while (list.length > 0) {
      const i = this.random.int(list.length);
      const node = list[i];
      if (node.state === 'joined' && this.network.isAlive(node.id)) return node;
      list[i] = list[list.length - 1];
      list.pop();
    }
    return undefined;
  }

  /** Counts a node that joined outside build()/join() (a test starting it by hand) as live. */
  track(node: PastryNode): void {
    if (node.state === 'joined' && !this.live.has(node)) {
      this.live.add(node);
      this.liveList.push(node);
    }
  }

  private async joinAll(batch: PastryNode[], first = this.live.size === 0, introducer = this.introducer()): Promise<void> {
    const before = this.network.framesSent;
    let pending = batch.length;
    const failures: unknown[] = [];
    for (const node of batch) {
      node.start(first ? null : introducer).then(
        () => {
          this.live.add(node);
          this.liveList.push(node);
          pending--;
        },
        (error: unknown) => {
          failures.push(error);
          pending--;
        },
      );
    }
    await this.clock.run({ done: () => pending === 0 });
    if (failures.length > 0) throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
    if (pending > 0) throw new Error(`${pending} joins never finished`);
    // A joiner is done when it has joined, but its "announce" frames are still on the wire: the next
    // batch starts once they have landed (else two "sequential" joins overlap and, with maintenance
    // off, a pair of neighbours may never hear of each other).
    await this.clock.advance(this.network.maxDelayMs);
    const perJoin = (this.network.framesSent - before) / batch.length;
    for (let i = 0; i < batch.length; i++) this.joinFrames.push(perJoin);
    this.sortedLive = undefined;
  }

  liveNodes(): PastryNode[] {
    const live: PastryNode[] = [];
    for (const node of this.live) {
      if (node.state === 'joined' && this.network.isAlive(node.id)) live.push(node);
      else this.live.delete(node);
    }
    return live;
  }

  /** The live node numerically closest to `key`: the node a correct lookup must reach. */
  rootOf(key: NodeId): NodeId {
    const live = (this.sortedLive ??= this.liveNodes()
      .map((n) => ({ id: n.id, value: idToBigInt(n.id) }))
      .sort((a, b) => (a.value < b.value ? -1 : 1)));
    if (live.length === 0) throw new Error('no live nodes');
    const value = idToBigInt(key);
    let lo = 0;
    let hi = live.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (live[mid].value < value) lo = mid + 1;
      else hi = mid;
    }
    const above = live[lo % live.length].id;
    const below = live[(lo - 1 + live.length) % live.length].id;
    return isCloser(key, above, below) ? above : below;
  }

  /** Someone joined, left or crashed outside build()/crash(): the next rootOf() must look again. */
  membershipChanged(): void {
    this.sortedLive = undefined;
  }

  /** Kills `fraction` of the live nodes at random. */
  crash(fraction: number, silent = true): NodeId[] {
    const live = this.liveNodes();
    const victims: NodeId[] = [];
    const pick = this.random.fork(`crash-${this.clock.now()}`);
    const count = Math.floor(live.length * fraction);
    while (victims.length < count) {
      const node = live.splice(pick.int(live.length), 1)[0];
      this.network.crash(node.id, silent);
      node.stop();
      victims.push(node.id);
    }
    this.sortedLive = undefined;
    return victims;
  }

  /** Lets virtual time pass (keep-alive, repair, gossip run). */
  async settle(ms: number): Promise<void> {
    await this.clock.advance(ms);
    this.sortedLive = undefined;
  }

  /**
   * Sends `count` lookups for random keys from random live nodes, `spacingMs` apart, and waits until
   * all are delivered (or `timeoutMs` after the last was sent).
   */
  async lookups(count: number, options: { spacingMs?: number; timeoutMs?: number; seedLabel?: string } = {}): Promise<LookupResult[]> {
    const pick = this.random.fork(options.seedLabel ?? `lookups-${this.lookupCounter}`);
    const live = this.liveNodes();
    const results: LookupResult[] = [];
    const spacing = options.spacingMs ?? 1;
    for (let i = 0; i < count; i++) {
      const origin = live[pick.int(live.length)];
      const key = bytesToId(pick.bytes(16));
      const result: LookupResult = { key, origin: origin.id, expectedRoot: this.rootOf(key) };
      results.push(result);
      const id = `L${this.lookupCounter++}`;
      this.clock.setTimer(i * spacing, () => {
        // Under churn the origin drawn may have gone by its turn: another live node sends it.
        const sender = origin.state === 'joined' && this.network.isAlive(origin.id) ? origin : this.randomLiveNode();
        if (!sender) return;
        result.origin = sender.id;
        this.inFlight.set(id, { result, sentAt: this.clock.now() });
        sender.route(key, LOOKUP_APP, { lookup: id });
      });
    }
    const deadline = this.clock.now() + count * spacing + (options.timeoutMs ?? 30_000);
    const before = this.lookupsDelivered;
    await this.clock.run({ until: deadline, done: () => this.lookupsDelivered - before === count });
    this.inFlight.clear();
    return results;
  }

  private onLookupDelivered(at: NodeId, body: unknown, hops: number): void {
    const id = (body as { lookup?: unknown } | null)?.lookup;
    const entry = typeof id === 'string' ? this.inFlight.get(id) : undefined;
    if (!entry || entry.result.deliveredAt !== undefined) return;
    entry.result.deliveredAt = at;
    this.lookupsDelivered++;
    entry.result.hops = hops;
    entry.result.latencyMs = this.clock.now() - entry.sentAt;
    entry.result.directMs = at === entry.result.origin ? 0 : this.network.latency(entry.result.origin, at);
  }
}
