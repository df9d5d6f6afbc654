// Next hops that swallow traffic: they take a routed request (and may even ack it, so per-hop acks
// see nothing wrong) but no reply ever comes back, while the same request sent again along another
// first hop is answered. Castro et al. (secure routing for structured overlays) test routes this way
// and route around nodes that fail the test; we keep it small: a first hop blamed STRIKES times within
// STRIKE_WINDOW_MS is avoided for AVOID_MS. Bounded: at most MAX_TRACKED hops are remembered.

import type { Clock } from './environment.js';
import type { NodeId } from './id.js';

export const SWALLOWER_LIMITS = { strikes: 2, strikeWindowMs: 10 * 60_000, avoidMs: 10 * 60_000, maxTracked: 64 } as const;

export class Swallowers {
  private readonly strikes = new Map<NodeId, number[]>();
  private readonly avoided = new Map<NodeId, number>();

  constructor(private readonly clock: Clock) {}

  /** A request through `hop` went unanswered while its retry through another hop was answered. */
  blame(hop: NodeId): void {
    const now = this.clock.now();
    const recent = (this.strikes.get(hop) ?? []).filter((at) => at > now - SWALLOWER_LIMITS.strikeWindowMs);
    recent.push(now);
    this.strikes.delete(hop);
    if (recent.length >= SWALLOWER_LIMITS.strikes) {
      this.avoided.set(hop, now + SWALLOWER_LIMITS.avoidMs);
      while (this.avoided.size > SWALLOWER_LIMITS.maxTracked) this.avoided.delete(this.avoided.keys().next().value!);
      return;
    }
    this.strikes.set(hop, recent);
    while (this.strikes.size > SWALLOWER_LIMITS.maxTracked) this.strikes.delete(this.strikes.keys().next().value!);
  }

  isAvoided(hop: NodeId): boolean {
    const until = this.avoided.get(hop);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.avoided.delete(hop);
    return false;
  }

  get size(): number {
    return this.avoided.size;
  }
}
