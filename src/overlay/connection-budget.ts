// The page's peer-connection budget. Chromium refuses a page's construction while 500
// RTCPeerConnections are held (open, or closed and not yet garbage-collected), and an idle page
// rarely collects. So a node that has constructed many connections recently slows down, in order of
// what matters: a leaf-set link keeps routing correct and is always tried; a routing-table hole costs
// a detour, so its repair waits while the budget is tight; a proximity swap only saves milliseconds
// and comes last. A transport without a limit (a Node peer) is never held back.

import type { Clock, PeerConnectionCounts } from './environment.js';

/**
 * Why a connection would be constructed, in the order the budget protects them. 'direct' is an
 * application's own link (a chat's direct link): held share only, like an answer.
 */
export type ConnectionPurpose = 'leaf' | 'direct' | 'table' | 'proximity';

export interface ConnectionBudgetLimits {
  /** Window over which recent constructions are counted. */
  windowMs: number;
  /** Table links may be constructed while fewer than this many were constructed in the window... */
  tableRecentMax: number;
  /** ... and while fewer than this share of the page's limit is held. */
  tableHeldShare: number;
  /** The same for proximity probes (stricter). */
  proximityRecentMax: number;
  proximityHeldShare: number;
}

const BUCKETS = 10;

export class ConnectionBudget {
  /** Constructions per bucket of windowMs / BUCKETS, newest last. */
  private readonly buckets = new Array<number>(BUCKETS).fill(0);
  private bucketStart: number;
  private lastConstructed = 0;
  /** Constructions the budget held back, by purpose. */
  readonly deferred = { leaf: 0, direct: 0, table: 0, proximity: 0, answers: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly counts: () => PeerConnectionCounts | undefined,
    private readonly limits: ConnectionBudgetLimits,
  ) {
    this.bucketStart = clock.now();
  }

  /** Constructions in the last window (answers included: the transport counts them all). */
  recent(): number {
    this.advance();
    let total = 0;
    for (const n of this.buckets) total += n;
    return total;
  }

  /** May a connection for `purpose` be constructed now? Counts a no. */
  allows(purpose: ConnectionPurpose): boolean {
    const counts = this.counts();
    if (!counts || !Number.isFinite(counts.limit)) return true;
    const ok = this.wouldAllow(purpose, counts);
    if (!ok) this.deferred[purpose]++;
    return ok;
  }

  /**
   * May we answer a peer that wants us as its table entry? Only the held share limits this, not
   * the recent rate: the joiners of a busy neighbourhood all need table entries at once, and
   * turning them away only moves their construction to someone else (and left them with holes).
   */
  allowsAnswer(): boolean {
    const counts = this.counts();
    if (!counts || !Number.isFinite(counts.limit)) return true;
    const ok = counts.held < this.limits.tableHeldShare * counts.limit;
    if (!ok) this.deferred.answers++;
    return ok;
  }

  private wouldAllow(purpose: ConnectionPurpose, counts: PeerConnectionCounts): boolean {
    // A leaf is always tried while the page can construct at all (the transport refuses past it).
    if (purpose === 'leaf') return counts.held < counts.limit;
    if (purpose === 'direct') return counts.held < this.limits.tableHeldShare * counts.limit;
    const { tableRecentMax, tableHeldShare, proximityRecentMax, proximityHeldShare } = this.limits;
    const [recentMax, heldShare] = purpose === 'table' ? [tableRecentMax, tableHeldShare] : [proximityRecentMax, proximityHeldShare];
    return counts.held < heldShare * counts.limit && this.recent() < recentMax;
  }

  /** Moves the window on and books constructions since the last look into the current bucket. */
  private advance(): void {
    const width = this.limits.windowMs / BUCKETS;
    const now = this.clock.now();
    let steps = Math.floor((now - this.bucketStart) / width);
    if (steps > 0) {
      this.bucketStart += steps * width;
      steps = Math.min(steps, BUCKETS);
      this.buckets.splice(0, steps);
      for (let i = 0; i < steps; i++) this.buckets.push(0);
    }
    const constructed = this.counts()?.constructed ?? 0;
    this.buckets[BUCKETS - 1] += constructed - this.lastConstructed;
    this.lastConstructed = constructed;
  }
}
