// Rings that heal: two Pastry rings that come to know each other merge into one by themselves.
//
// Two rings are each consistent in themselves, so neither leaf-set gossip nor the neighbourhood
// refresh (whose routes stay inside our ring) ever crosses between them. Ring unification
// (Shafaat, Ghodsi, Haridi) adapted to Pastry:
// - Check. A node linked to a node C of the other ring routes a JOIN-style lookup for its own id
//   with C as the first hop: it is routed in C's ring and ends at the node of that ring closest to
//   us, which answers with its leaf set. Those of its nodes our leaf set lacks and would take are
//   dialled as leaves. None: C is of our ring (or the merge has already reached us), nothing else is
//   done, and a meet() of a node of our own ring costs this one lookup.
// - Spread. A node whose check found new leaves tells each of its leaves (a `_merge` hint naming
//   the node of the *other* side it is linked to that is closest to that leaf); the leaf checks
//   through it, and on: a wave runs along the ring in both directions and through both rings. So
//   the ring need not be walked from one meeting point, a merged node also hands the merge to a few
//   far routing-table entries (down to a depth), each starting its own waves: about 2^depth fronts.
//   Leaf-set gossip fills what the waves leave.
// - Bounds. At most mergeChecksMax checks per mergePeriodMs per node, whatever asked; after a
//   check, hints are ignored for mergeCooldownMs (each wave checks a node once); a hint is one
//   direct frame to a linked peer, validated by decodeMergeHint (messages.ts).
// - Lost peers. Former leaves whose links failed (not graceful leaves) are remembered (a few) and
//   dialled again with backoff where the transport reaches a peer by id (the simulator's direct
//   mode); one that answers is checked through. That heals a partition once it lifts. A WebRTC tab
//   cannot dial without someone carrying its offer (ask-first over the overlay cannot cross a
//   partition): there the introductions (bootstrap, seeds, invites) call meet().

import type { RoutedMessage, OverlayApplication } from './api.js';
import type { Signaller, TimerHandle } from './environment.js';
import { closestTo, type NodeId } from './id.js';
import { decodeMergeHint, MERGE_APP, type MergeHintBody } from './messages.js';
import type { ConnectOptions, NodeCore } from './node-core.js';

export interface MeetOutcome {
  /** The node met (the far end of the introduction, or the linked peer). */
  peer: NodeId;
  /** True when the lookup through it found nodes our leaf set lacked: the merge started. */
  merged: boolean;
  /** How many such nodes it found (each dialled as a leaf). */
  learned: number;
}

/** What ring merging needs from its node: dialling, pins and placing (the link keeper), lookups. */
export interface RingMergeComponents
  extends Pick<NodeCore, 'id' | 'config' | 'clock' | 'random' | 'stats' | 'leafSet' | 'routingTable' | 'links' | 'transport' | 'state'> {
  connect(peer: NodeId, options: ConnectOptions): Promise<boolean>;
  placePeer(peer: NodeId): void;
  pin(peer: NodeId): void;
  unpin(peer: NodeId): void;
  /** The nodes around `key`, the lookup started at `firstHop` (JoinProtocol.nodesAround). */
  nodesAround(key: NodeId, firstHop?: NodeId): Promise<NodeId[] | undefined>;
  sendDirect(to: NodeId, app: string, body: unknown): boolean;
  registerInternal(name: string, application: OverlayApplication): void;
}

/** A meet() refused because this node spent its merge checks for the period. */
class MergeBudgetSpent extends Error {
  constructor() {
    super('merge checks for this period are spent');
    this.name = 'MergeBudgetSpent';
  }
}

interface LostPeer {
  since: number;
  next: number;
  wait: number;
}

export class RingMerge {
  private periodStart = -Infinity;
  private checksInPeriod = 0;
  private lastHintCheck = -Infinity;
  /** Former leaves to dial again (insertion order = oldest first). */
  private readonly lost = new Map<NodeId, LostPeer>();
  private retryTimer: TimerHandle | undefined;
  private retryAt = Infinity;

  constructor(private readonly node: RingMergeComponents) {
    node.registerInternal(MERGE_APP, { deliver: (msg) => this.onHint(msg) });
  }

  /** Dials the far end of an introduction and checks through it (the node's meet). */
  async meet(signal: Signaller): Promise<MeetOutcome> {
    const node = this.node;
    if (node.state() !== 'joined') throw new Error(`cannot meet from state ${node.state()}`);
    if (!this.takeCheck()) throw new MergeBudgetSpent();
    const link = await node.transport.dial(null, signal);
    return this.pinnedCheck(link.peer, node.config.mergeFarDepth);
  }

  /** Checks through a peer we already hold a link to (the node's meetLinked). */
  async meetLinked(peer: NodeId): Promise<MeetOutcome> {
    const node = this.node;
    if (node.state() !== 'joined') throw new Error(`cannot meet from state ${node.state()}`);
    if (!node.links.has(peer)) throw new Error(`no link to ${peer}`);
    if (!this.takeCheck()) throw new MergeBudgetSpent();
    return this.pinnedCheck(peer, node.config.mergeFarDepth);
  }

  /** A leaf's link failed without a goodbye: it may be across a partition. Remember it for a while. */
  rememberLost(peer: NodeId): void {
    const node = this.node;
    if (!node.transport.reachesById || node.config.lostPeersMax <= 0) return;
    const now = node.clock.now();
    this.lost.delete(peer);
    while (this.lost.size >= node.config.lostPeersMax) this.lost.delete(this.lost.keys().next().value!);
    this.lost.set(peer, { since: now, wait: node.config.lostRetryMs, next: now + node.config.lostRetryMs });
    this.scheduleRetry(now + node.config.lostRetryMs);
  }

  stop(): void {
    if (this.retryTimer !== undefined) this.node.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    this.lost.clear();
  }

  // ---- the check and its spread -------------------------------------------------------------------

  /** The link to `peer` stays open (pinned) until the check and its dials are done. */
  private async pinnedCheck(peer: NodeId, far: number): Promise<MeetOutcome> {
    this.node.pin(peer);
    try {
      return await this.check(peer, far);
    } finally {
      this.node.unpin(peer);
    }
  }

  /** One lookup for our own id through `via`; links what our leaf set lacks and spreads the merge. */
  private async check(via: NodeId, far: number): Promise<MeetOutcome> {
    const node = this.node;
    node.stats.merge.checks++;
    const before = node.leafSet.members();
    const found = await node.nodesAround(node.id, via).catch(() => undefined);
    if (!found || node.state() !== 'joined') return { peer: via, merged: false, learned: 0 };
    const learned = [...new Set(found)].filter((id) => id !== node.id && !node.leafSet.has(id) && node.leafSet.wouldAccept(id));
    if (learned.length === 0) return { peer: via, merged: false, learned: 0 };
    node.stats.merge.merged++;
    // Offers go through `via`: its ring holds them, routing toward them from our side may not.
    await Promise.all(
      learned.map((id) => {
        if (!node.links.has(id)) return node.connect(id, { firstHop: via, purpose: 'leaf' });
        node.placePeer(id);
        return Promise.resolve(true);
      }),
    );
    if (node.state() === 'joined') this.spread(via, learned, before, far);
    return { peer: via, merged: true, learned: learned.length };
  }

  /**
   * Hints each leaf to check through the node of the other side (the other ring's nodes we just
   * linked, or our old neighbours) closest to it, and hands the merge to far table entries.
   */
  private spread(via: NodeId, learned: NodeId[], before: readonly NodeId[], far: number): void {
    const node = this.node;
    const foreign = [via, ...learned].filter((id) => node.links.has(id));
    const home = before.filter((id) => node.links.has(id) && !foreign.includes(id));
    if (foreign.length === 0) return;
    let farGiven = false;
    for (const leaf of node.leafSet.members()) {
      const isForeign = foreign.includes(leaf);
      // A node of the other ring is told of ours (and we are the last resort), ours of the other's.
      const pool = (isForeign ? home : foreign).filter((id) => id !== leaf);
      const contact = closestTo(leaf, pool) ?? (isForeign ? node.id : undefined);
      if (contact === undefined) continue;
      // One node of the other ring carries the far budget there; ours use it below.
      const give = isForeign && !farGiven ? far : 0;
      if (give > 0) farGiven = true;
      this.hint(leaf, { contact, far: give });
    }
    if (far <= 0) return;
    const leaves = new Set(node.leafSet.members());
    // Far entries first: row 0 spans the whole ring, each of its entries far from us and each other.
    const far0 = node.routingTable.row(0).filter((id) => !leaves.has(id) && node.links.has(id));
    const pool = far0.length > 0 ? far0 : node.routingTable.entries().filter((id) => !leaves.has(id) && node.links.has(id));
    for (let i = 0; i < Math.min(node.config.mergeFarHints, pool.length); i++) {
      const j = i + node.random.int(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
      this.hint(pool[i], { contact: via, far: far - 1 });
    }
  }

  private hint(to: NodeId, body: MergeHintBody): void {
    if (this.node.sendDirect(to, MERGE_APP, body)) this.node.stats.merge.hintsSent++;
  }

  /** A neighbour merged and names a node of the other side: check through it (bounded). */
  private onHint(msg: RoutedMessage): void {
    const node = this.node;
    const hint = decodeMergeHint(msg.body);
    if (!hint) {
      node.stats.drop('malformed merge hint');
      return;
    }
    // The sender carries the offer to the contact, so it must be a peer we hold a link to.
    const from = msg.origin;
    if (node.state() !== 'joined' || !node.links.has(from) || hint.contact === node.id) return;
    const now = node.clock.now();
    if (now - this.lastHintCheck < node.config.mergeCooldownMs) return;
    if (!this.takeCheck()) {
      node.stats.drop('merge hint over budget');
      return;
    }
    this.lastHintCheck = now;
    void this.checkThrough(hint.contact, from, hint.far);
  }

  private async checkThrough(contact: NodeId, via: NodeId, far: number): Promise<void> {
    const node = this.node;
    if (!node.links.has(contact)) {
      // Asked first and budgeted like any link; a contact outside our leaf range is a passing link
      // (the node's application purpose), closed as idle after the check unless someone needs it.
      const purpose = node.leafSet.wouldAccept(contact) ? 'leaf' : 'direct';
      if (!(await node.connect(contact, { firstHop: via, purpose }))) return;
    }
    await this.pinnedCheck(contact, far).catch(() => node.stats.drop('merge check failed'));
  }

  private takeCheck(): boolean {
    const { clock, config } = this.node;
    const now = clock.now();
    if (now - this.periodStart >= config.mergePeriodMs) {
      this.periodStart = now;
      this.checksInPeriod = 0;
    }
    if (this.checksInPeriod >= config.mergeChecksMax) return false;
    this.checksInPeriod++;
    return true;
  }

  // ---- lost peers ---------------------------------------------------------------------------------

  private scheduleRetry(at: number): void {
    if (at >= this.retryAt && this.retryTimer !== undefined) return;
    const { clock } = this.node;
    if (this.retryTimer !== undefined) clock.clearTimer(this.retryTimer);
    this.retryAt = at;
    this.retryTimer = clock.setTimer(Math.max(1, at - clock.now()), () => {
      this.retryTimer = undefined;
      this.retryAt = Infinity;
      this.retryDue();
    });
  }

  private retryDue(): void {
    const node = this.node;
    if (node.state() === 'left') return;
    const now = node.clock.now();
    let next = Infinity;
    for (const [peer, entry] of [...this.lost]) {
      if (node.links.has(peer) || now - entry.since > node.config.lostRetryForMs) {
        this.lost.delete(peer);
        continue;
      }
      if (entry.next > now || node.state() !== 'joined') {
        // Not joined (still joining, or rejoining): look again a retry period later.
        next = Math.min(next, entry.next > now ? entry.next : now + node.config.lostRetryMs);
        continue;
      }
      entry.wait = Math.min(2 * entry.wait, node.config.lostRetryMaxMs);
      entry.next = now + entry.wait;
      next = Math.min(next, entry.next);
      node.stats.merge.retries++;
      void this.retry(peer);
    }
    if (next < Infinity) this.scheduleRetry(next);
  }

  /** Dials a lost peer by id; once it answers, it is ours again (placed as any link) and checked through. */
  private async retry(peer: NodeId): Promise<void> {
    const node = this.node;
    if (!(await node.connect(peer, { purpose: 'leaf' }))) return;
    this.lost.delete(peer);
    if (node.state() === 'joined' && this.takeCheck()) await this.pinnedCheck(peer, node.config.mergeFarDepth).catch(() => undefined);
  }
}
