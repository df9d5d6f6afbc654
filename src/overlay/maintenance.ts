// Keeping the overlay healthy: keep-alive and failure detection, leaf-set repair and gossip, lazy
// routing-table repair, and routing-table maintenance with proximity probes.
//
// One periodic tick drives it all. Background tabs clamp timers to >= 1 s (and to one wake-up a
// minute under intensive throttling, from which pages with open WebRTC connections are exempt), so
// nothing here relies on sub-second timers; a closed data channel is noticed at once anyway.

import { digit, withDigit, type NodeId } from './id.js';
import { leafSetFrame, type AskFrame, type NodesFrame, type OverlayFrame, type PingFrame, type PongFrame } from './messages.js';
import type { ConnectOptions, GoneCause, NodeCore } from './node-core.js';
import { LeafHints } from './leaf-hints.js';
import type { Slot } from './routing-table.js';

/** What maintenance needs from its node: sending, the link keeper's dialling and placing, lookups. */
export interface MaintenanceComponents
  extends Pick<NodeCore, 'id' | 'config' | 'clock' | 'random' | 'stats' | 'leafSet' | 'routingTable' | 'links' | 'transport' | 'state'> {
  send(peer: NodeId, frame: OverlayFrame): boolean;
  connect(peer: NodeId, options: ConnectOptions): Promise<boolean>;
  isDialling(peer: NodeId): boolean;
  isRecentlyGone(peer: NodeId): boolean;
  isBusy(peer: NodeId): boolean;
  placePeer(peer: NodeId): void;
  peerGone(peer: NodeId, cause: GoneCause): void;
  /** A JOIN for our own id from far away (JoinProtocol.refresh). */
  refreshNeighbourhood(): Promise<{ via: NodeId; candidates: NodeId[] } | undefined>;
  /** The nodes around `key` (JoinProtocol.nodesAround). */
  nodesAround(key: NodeId): Promise<NodeId[] | undefined>;
  sweepReversePaths(): void;
}

const RTT_SMOOTHING = 0.25;
/** After a join, how many more row asks a node may spend on holes whose candidate failed. */
export const HOLE_ASK_RETRIES = 6;
/** When, after a join, the holes still open are looked up directly (the row asks have settled). */
export const HOLE_PROBE_DELAY_MS = 5_000;
/** Probe a row's holes only where a block holds this many nodes on average (most holes fillable). */
export const HOLE_PROBE_MIN_BLOCK = 3;
export const MAX_HOLE_PROBES = 8;
/** A leaf candidate someone named is dialled after 1-2 times this (see dialLeafSoon). */
export const LEAF_DIAL_WAIT_MS = 1_500;

export class Maintenance {
  private tickTimer: unknown;
  private nextGossip = 0;
  private nextTableRefresh = 0;
  private nextNeighbourhoodRefresh = 0;
  private probesInFlight = 0;
  /** Routing-table holes with a dial on its way (row * 1024 + column). */
  private readonly slotsBeingFilled = new Set<number>();
  /** Leaf candidates waiting to be dialled (see dialLeafSoon). */
  private readonly leafDialsWaiting = new Set<NodeId>();
  /** Asks left for table holes whose candidate turned us away (see fillTableHoles). */
  private holeAsksLeft = 0;
  private running = false;
  private lastTick: number | undefined;
  /** The leaf-set array last gossiped (LeafSet.members() returns a new array only after a change). */
  private lastGossiped: readonly NodeId[] | undefined;
  private unchangedGossips = 0;
  /** The leaf-set array whose new members were last sent it (see tellNewLeaves). */
  private lastToldNew: readonly NodeId[] = [];

  private readonly hints: LeafHints;

  constructor(private readonly node: MaintenanceComponents) {
    this.hints = new LeafHints(node);
  }

  start(): void {
    const { keepAliveMs, leafSetGossipMs, routingMaintenanceMs } = this.node.config;
    if (!Number.isFinite(keepAliveMs)) return;
    this.running = true;
    const now = this.node.clock.now();
    // Spread the periodic work of many nodes over the period instead of synchronising it. (Every
    // leaf still hears our leaf set at the first tick: all are new then, see tellNewLeaves.)
    this.nextGossip = now + this.node.random.next() * leafSetGossipMs;
    this.nextTableRefresh = now + this.node.random.next() * routingMaintenanceMs;
    this.nextNeighbourhoodRefresh = now + this.node.random.next() * this.node.config.leafSetRefreshMs;
    this.schedule(this.node.random.next() * keepAliveMs);
  }

  stop(): void {
    this.running = false;
    if (this.tickTimer !== undefined) this.node.clock.clearTimer(this.tickTimer as never);
  }

  /**
   * A nearer node pushed `peer` out of our leaf set: the newcomer lies between us, so `peer`, which
   * likely holds us as its leaf, lacks it. Of two nodes that joined side by side this tells the
   * farther one about the nearer one at once.
   */
  leafEvicted(peer: NodeId): void {
    if (this.running) this.hints.hint(peer);
  }

  ping(peer: NodeId): void {
    const entry = this.node.links.get(peer);
    if (!entry) return;
    entry.pingOutstanding = this.node.clock.now();
    this.node.send(peer, { t: 'ping', stamp: entry.pingOutstanding } satisfies PingFrame);
  }

  onFrame(peer: NodeId, frame: OverlayFrame): void {
    const node = this.node;
    switch (frame.t) {
      case 'ping':
        node.send(peer, { t: 'pong', stamp: frame.stamp } satisfies PongFrame);
        return;
      case 'pong':
        this.onPong(peer, frame);
        return;
      case 'ask': {
        const ids = frame.what === 'leafset' ? node.leafSet.members() : node.routingTable.row(frame.row);
        node.send(peer, { t: 'nodes', what: frame.what, ids } satisfies NodesFrame);
        return;
      }
      case 'nodes':
        if (frame.what === 'leafset') {
          this.consider([peer, ...frame.ids], false, peer, node.config.tableRepair === 'eager');
          if (this.running) this.hints.onPeerLeafSet(peer, frame.ids);
        } else this.consider(frame.ids, true, peer);
        return;
      default:
        node.stats.drop('unexpected frame');
    }
  }

  /**
   * A peer is gone. Leaf set: ask the farthest live leaf on the side it was on for its leaf set
   * (the paper's repair). Routing table: ask another entry of the same row (or the next row) for
   * its row, which holds candidates for the hole (lazy repair, the paper's section 2.5).
   */
  repair(gone: NodeId, wasLeaf: boolean, slot: Slot | undefined): void {
    const node = this.node;
    if (wasLeaf) {
      const helper = node.leafSet.farthestOnSideOf(gone);
      if (helper) this.ask(helper, 'leafset', 0);
    }
    if (slot && this.node.config.tableRepair === 'eager' && !this.askRandomMate(slot.row, slot.row)) this.askRandomMate(slot.row + 1, slot.row);
  }

  /** Asks a random entry of row `ofRow` for its row `forRow`; false when that row is empty. */
  private askRandomMate(ofRow: number, forRow: number): boolean {
    const mates = this.node.routingTable.row(ofRow);
    if (mates.length === 0) return false;
    this.ask(mates[this.node.random.int(mates.length)], 'row', forRow);
    return true;
  }

  /**
   * Opens links to candidates we want: leaf-set members, holes in the table, and (if probing) nearer
   * nodes for filled slots. Offers go through `toldBy`, the node that named the candidates: it has
   * links to them, whereas routing toward a neighbour we do not know yet can end at ourselves.
   */
  consider(ids: NodeId[], probe: boolean, toldBy: NodeId | undefined, fillHoles = true): void {
    const via = { firstHop: toldBy };
    const node = this.node;
    let holes: Map<number, { slot: Slot; candidates: NodeId[] }> | undefined;
    for (const id of ids) {
      if (id === node.id || node.isDialling(id) || node.isRecentlyGone(id)) continue;
      // Already linked (for the peer's needs, say) but not ours: it may now belong in our leaf set,
      // e.g. replacing a failed leaf. Without this, repair never uses links it already has.
      if (node.links.has(id)) {
        node.placePeer(id);
        continue;
      }
      if (node.leafSet.wouldAccept(id)) {
        this.dialLeafSoon(id, via.firstHop);
      } else if (node.isBusy(id)) {
        continue;
      } else if (node.routingTable.occupantOf(id) === undefined) {
        if (!fillHoles) continue;
        const slot = node.routingTable.slotOf(id)!;
        const key = slot.row * 1024 + slot.column;
        if (this.slotsBeingFilled.has(key)) continue;
        holes ??= new Map();
        const hole = holes.get(key);
        if (hole) hole.candidates.push(id);
        else holes.set(key, { slot, candidates: [id] });
      } else if (probe && this.probesInFlight < node.config.proximityProbeBudget) {
        // Proximity neighbour selection: measure the candidate; placePeer keeps it only if nearer.
        this.probesInFlight++;
        void node.connect(id, { ...via, purpose: 'proximity' }).finally(() => this.probesInFlight--);
      }
    }
    if (holes) for (const [key, { slot, candidates }] of holes) void this.fillHole(key, slot, candidates, via);
  }

  /**
   * A leaf candidate named by someone else is dialled after a short random wait, unless it linked to
   * us meanwhile. Gossip names a joiner as soon as its first neighbours know it, while the joiner is
   * itself dialling all its leaves: dialling back at once made both links come up and one of them
   * retired, two constructions on each side for one link (the churn bench counts duplicate links).
   */
  private dialLeafSoon(id: NodeId, toldBy: NodeId | undefined): void {
    const node = this.node;
    if (this.leafDialsWaiting.has(id) || this.leafDialsWaiting.size >= 4 * node.config.leafSetSize) return;
    this.leafDialsWaiting.add(id);
    node.clock.setTimer(LEAF_DIAL_WAIT_MS * (1 + node.random.next()), () => {
      this.leafDialsWaiting.delete(id);
      if (node.state() === 'left' || node.links.has(id) || node.isDialling(id) || !node.leafSet.wouldAccept(id)) return;
      void node.connect(id, { firstHop: toldBy, purpose: 'leaf' });
    });
  }

  /**
   * Dials the candidates for one empty slot one at a time until one links. One dial per slot at a
   * time: answers from several peers name several candidates for the same hole, and every extra link
   * was opened only to be closed again. Trying the next one when a candidate is busy matters in
   * large rings, where many nodes sit at the link cap.
   */
  private async fillHole(key: number, slot: Slot, candidates: NodeId[], via: { firstHop: NodeId | undefined }): Promise<void> {
    const node = this.node;
    this.slotsBeingFilled.add(key);
    try {
      for (const id of candidates) {
        if (node.routingTable.get(slot.row, slot.column) !== undefined) return;
        if (node.isBusy(id) || node.links.has(id) || node.isDialling(id)) continue;
        if (await node.connect(id, { ...via, purpose: 'table' })) return;
      }
    } finally {
      this.slotsBeingFilled.delete(key);
    }
    this.askAgainForHole(slot);
  }

  /**
   * After our join: the join's candidates may have left holes in the table (every candidate for a
   * slot turned us away as busy, or the path named none). Ask two entries of each row with holes for
   * their row, which holds other candidates for them: the paper's lazy repair, done once up front.
   */
  fillTableHoles(): void {
    const table = this.node.routingTable;
    this.holeAsksLeft = HOLE_ASK_RETRIES;
    this.node.clock.setTimer(HOLE_PROBE_DELAY_MS, () => this.probeHoles());
    for (let row = 0; row < table.rowCount; row++) {
      const entries = table.row(row);
      if (entries.length === 0 || entries.length >= table.columns - 1) continue;
      // Two row mates (when there are two): one names too few candidates where many are busy.
      const first = this.node.random.int(entries.length);
      this.ask(entries[first], 'row', row);
      if (entries.length > 1) this.ask(entries[(first + 1 + this.node.random.int(entries.length - 1)) % entries.length], 'row', row);
    }
  }

  /**
   * The candidate we dialled for a hole failed (mostly: turned us away, busy). Row mates pick their
   * entries by their own proximity, so another mate's row often names a different node for the slot.
   * In large rings many nodes sit at the link cap, and one or two candidates per hole leave holes.
   */
  private askAgainForHole(slot: Slot): void {
    if (this.holeAsksLeft <= 0 || this.node.routingTable.get(slot.row, slot.column) !== undefined) return;
    if (this.askRandomMate(slot.row, slot.row)) this.holeAsksLeft--;
  }

  /**
   * Holes the row asks could not fill, in rows where nearly every slot's block of the ring holds
   * nodes: look each block up directly (a JOIN-style lookup of our id with that digit changed; the
   * node closest to it and its leaf set are in the block). Row mates only know the nodes their own
   * joins found, so a block of two or three nodes often stays unknown to all of them.
   */
  private probeHoles(): void {
    const node = this.node;
    if (node.state() !== 'joined') return;
    const table = node.routingTable;
    const ringSize = node.leafSet.estimatedRingSize();
    if (ringSize === undefined) return;
    let probes = 0;
    for (let row = 0; row < table.maxRows && ringSize / table.columns ** (row + 1) >= HOLE_PROBE_MIN_BLOCK; row++) {
      const own = digit(node.id, row, table.bitsPerDigit);
      for (let column = 0; column < table.columns; column++) {
        if (column === own || table.get(row, column) !== undefined) continue;
        if (probes++ >= MAX_HOLE_PROBES) return;
        node.nodesAround(withDigit(node.id, row, column, table.bitsPerDigit)).then(
          (found) => found && this.consider(found, false, undefined),
          () => node.stats.drop('hole probe unanswered'),
        );
      }
    }
  }

  private ask(peer: NodeId, what: AskFrame['what'], row: number): void {
    this.node.send(peer, { t: 'ask', what, row } satisfies AskFrame);
  }

  private onPong(peer: NodeId, frame: PongFrame): void {
    const entry = this.node.links.get(peer);
    if (!entry || entry.pingOutstanding !== frame.stamp) return;
    entry.pingOutstanding = undefined;
    const sample = this.node.clock.now() - frame.stamp;
    entry.rttMs = entry.rttMs === undefined ? sample : entry.rttMs + RTT_SMOOTHING * (sample - entry.rttMs);
    this.node.placePeer(peer);
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.tickTimer = this.node.clock.setTimer(delay, () => this.tick());
  }

  private tick(): void {
    const node = this.node;
    if (!this.running || node.state() === 'left') return;
    const now = node.clock.now();
    const { keepAliveMs, leafSetGossipMs, routingMaintenanceMs } = node.config;
    const stalled = this.lastTick !== undefined && now - this.lastTick > 2 * keepAliveMs;
    this.lastTick = now;
    // Where the transport reports dead peers itself (ICE consent, the simulator's crash model), no
    // keep-alives: hop acks route around a silent peer until the transport closes its link.
    if (node.transport.failureDetectionMs === undefined) this.keepAlive(now, stalled);

    this.tellNewLeaves();
    // Leaf-set gossip: concurrent joins and failures leave gaps that a push of our leaf set fills.
    // A leaf set that has not changed is pushed only every third period (the rest is redundant).
    if (now >= this.nextGossip) {
      this.nextGossip = now + leafSetGossipMs;
      const members = node.leafSet.members();
      if (members !== this.lastGossiped || ++this.unchangedGossips >= 3) {
        this.lastGossiped = members;
        this.unchangedGossips = 0;
        for (const leaf of members) node.send(leaf, leafSetFrame(members));
      }
      if (members.length < node.config.leafSetSize) this.refillLeafSet();
    }

    if (now >= this.nextNeighbourhoodRefresh) {
      this.nextNeighbourhoodRefresh = now + node.config.leafSetRefreshMs;
      node.refreshNeighbourhood().then(
        (found) => found && this.consider(found.candidates, false, found.via, node.config.tableRepair === 'eager'),
        () => node.stats.drop('neighbourhood refresh timed out'),
      );
    }

    // Routing-table maintenance: ask a random entry of a random row for its row; candidates that are
    // nearer than our entries replace them (proximity neighbour selection converges over time).
    if (now >= this.nextTableRefresh) {
      this.nextTableRefresh = now + routingMaintenanceMs;
      const rows = node.routingTable.rowCount;
      if (rows > 0) {
        const row = node.random.int(rows);
        const entries = node.routingTable.row(row);
        if (entries.length > 0) this.ask(entries[node.random.int(entries.length)], 'row', row);
      }
    }

    node.sweepReversePaths();
    this.schedule(keepAliveMs);
  }

  /**
   * Leaves added since the last tick get our leaf set now, not at the next gossip period: a new leaf
   * that knows nodes between us answers with a hint (leaf-hints.ts), and each hint moves us one node
   * nearer our true neighbour; one hop per gossip period made such a chain take minutes.
   */
  private tellNewLeaves(): void {
    const members = this.node.leafSet.members();
    if (members === this.lastToldNew) return;
    for (const leaf of members) if (!this.lastToldNew.includes(leaf)) this.node.send(leaf, leafSetFrame(members));
    this.lastToldNew = members;
  }

  /** Keep-alive and failure detection on every link we need (silence = failure after the timeout). */
  private keepAlive(now: number, stalled: boolean): void {
    const node = this.node;
    const { keepAliveMs, failureTimeoutMs } = node.config;
    // A tick far behind schedule means *we* stalled (busy thread, throttled tab, GC): peers were not
    // silent, we were deaf. Ping everyone and judge silence from the next tick on.
    if (stalled) {
      for (const entry of node.links.all()) {
        entry.lastHeard = Math.max(entry.lastHeard, now - keepAliveMs);
        if (entry.localNeed) this.ping(entry.link.peer);
      }
    }
    const silent: NodeId[] = [];
    for (const entry of node.links.all()) {
      if (!entry.localNeed) continue;
      const peer = entry.link.peer;
      const leaf = node.leafSet.has(peer);
      const period = leaf ? keepAliveMs : node.config.tableKeepAliveMs;
      const timeout = leaf ? failureTimeoutMs : 3 * node.config.tableKeepAliveMs;
      const quiet = now - entry.lastHeard;
      if (quiet > timeout) silent.push(peer);
      else if (quiet >= period && (entry.pingOutstanding === undefined || now - entry.pingOutstanding >= period)) this.ping(peer);
    }
    for (const peer of silent) {
      const entry = node.links.get(peer);
      if (!entry) continue;
      entry.link.close();
      // close() reports onClose asynchronously on some transports; forget the peer now either way.
      if (node.links.remove(entry.link)) node.peerGone(peer, 'failed');
    }
  }

  /** A short leaf set (after failures) asks its outermost leaves for theirs. */
  private refillLeafSet(): void {
    const left = this.node.leafSet.leftSide();
    const right = this.node.leafSet.rightSide();
    if (left.length > 0) this.ask(left[left.length - 1], 'leafset', 0);
    if (right.length > 0) this.ask(right[right.length - 1], 'leafset', 0);
  }
}
