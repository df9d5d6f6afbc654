// What a node spends on answering routed offers: every answer constructs a peer connection (the
// page's scarcest resource) and burns CPU on ICE and DTLS. A flood of 5,000 routed offers once made a
// node answer 717 of them and end with no links at all. So an offer is answered only
//   - after a grant: the dialler asked first (SIGNAL ask) and we said yes within GRANT_TTL_MS, and
//     the grant is spent on one offer; offers nobody asked for are dropped and counted;
//   - while few handshakes are in flight, and within a rate (token bucket): a flood costs the node a
//     bounded number of connections a minute, never all of them, and honest dials get through once
//     it stops.
// Grants are bounded too: a flood of asks from made-up origins fills the table for GRANT_TTL_MS at
// most and never evicts a grant already given.

import type { Clock } from './environment.js';
import type { NodeId } from './id.js';

export const ANSWER_LIMITS = {
  /** A grant is good for one offer within this long (a dial asks, then constructs and offers at once). */
  grantTtlMs: 30_000,
  /** Grants outstanding at once. */
  maxGrants: 64,
  /** Answers being constructed at once (each an RTCPeerConnection gathering ICE). */
  maxInFlight: 8,
  /** Answers in a burst, and refilled per minute afterwards (a joined tab is dialled by its leaves at once). */
  burst: 32,
  perMinute: 60,
  /** The same where peer connections are not scarce (a Node peer, a hub): CPU is the only cost. */
  unlimitedPerMinute: 600,
} as const;

export type AnswerRefusal = 'no grant' | 'too many grants' | 'handshakes in flight' | 'answer rate';

export class AnswerBudget {
  private readonly grants = new Map<NodeId, number>();
  private inFlight = 0;
  private tokens: number = ANSWER_LIMITS.burst;
  private refilledAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly perMinute: number = ANSWER_LIMITS.perMinute,
  ) {
    this.refilledAt = clock.now();
  }

  /** An ask from `origin`: true when we may grant it (recorded), false when the grant table is full. */
  grant(origin: NodeId): boolean {
    const now = this.clock.now();
    if (!this.grants.has(origin) && this.grants.size >= ANSWER_LIMITS.maxGrants) {
      for (const [peer, expiresAt] of this.grants) if (expiresAt <= now) this.grants.delete(peer);
      if (this.grants.size >= ANSWER_LIMITS.maxGrants) return false;
    }
    this.grants.set(origin, now + ANSWER_LIMITS.grantTtlMs);
    return true;
  }

  /** An offer from `origin`: spends its grant and a token, or says why not. Call done() after answering. */
  takeOffer(origin: NodeId): AnswerRefusal | null {
    const now = this.clock.now();
    const expiresAt = this.grants.get(origin);
    if (expiresAt === undefined || expiresAt <= now) return 'no grant';
    if (this.inFlight >= ANSWER_LIMITS.maxInFlight) return 'handshakes in flight';
    this.refill(now);
    if (this.tokens < 1) return 'answer rate';
    this.grants.delete(origin);
    this.tokens -= 1;
    this.inFlight++;
    return null;
  }

  done(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  private refill(now: number): void {
    this.tokens = Math.min(ANSWER_LIMITS.burst, this.tokens + ((now - this.refilledAt) / 60_000) * this.perMinute);
    this.refilledAt = now;
  }
}
