// What one neighbour may make this node do with routed frames. Every routed frame costs CPU (decode,
// route, ack, forward) and a request also a reverse-path entry held for reversePathMs; a single peer
// flooding either could crowd out every other neighbour's traffic. So each link gets a token bucket
// for routed frames, and a share of the reverse-path table. Over budget a frame is dropped unacked
// (an honest sender then suspects us and routes around, which is the backpressure we want).

import type { Clock } from './environment.js';
import type { NodeId } from './id.js';
import type { DirectFrame, RouteFrame } from './messages.js';
import type { PeerLink } from './peer-links.js';
import type { OverlayStats } from './stats.js';

export interface NeighbourLimits {
  /** Routed frames a neighbour may send us per second on average, and in one burst. */
  routedPerSec: number;
  routedBurst: number;
}

export interface NeighbourBudgetComponents {
  clock: Clock;
  stats: OverlayStats;
  limits: NeighbourLimits;
  /** Records a request's way back; false when that neighbour holds its share of the table already. */
  rememberWayBack(id: string, previousHop: NodeId): boolean;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class NeighbourBudget {
  /** Keyed by the link's entry: a closed link's bucket goes with it (no map keyed by peer input). */
  private readonly buckets = new WeakMap<PeerLink, Bucket>();

  constructor(private readonly components: NeighbourBudgetComponents) {}

  /** A routed or direct frame from `entry`'s peer: within its budget (and its way back recorded)? */
  admit(entry: PeerLink, frame: RouteFrame | DirectFrame): boolean {
    const { stats, rememberWayBack } = this.components;
    if (!this.takeToken(entry)) {
      stats.drop('routed: neighbour over rate');
      return false;
    }
    if (frame.want && !rememberWayBack(frame.id, entry.link.peer)) {
      stats.drop('routed: neighbour over reverse-path share');
      return false;
    }
    return true;
  }

  private takeToken(entry: PeerLink): boolean {
    const { clock, limits } = this.components;
    const now = clock.now();
    let bucket = this.buckets.get(entry);
    if (!bucket) {
      bucket = { tokens: limits.routedBurst, at: now };
      this.buckets.set(entry, bucket);
    } else {
      const refill = ((now - bucket.at) / 1_000) * limits.routedPerSec;
      bucket.tokens = Math.min(limits.routedBurst, bucket.tokens + refill);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }
}
