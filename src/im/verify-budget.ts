// How many signatures the IM layer checks per second. An Ed25519 check (noble) costs milliseconds
// of main thread (about 3 ms on the shared bench machine: bench/results/directory-flood.md, 50,000
// checks in 152.5 CPU s), and anyone can send a chat or presence claiming a buddy's uid: without a bound, a flood of forgeries would cost a check each. Token
// buckets: one per buddy (only accepted buddies get one, so the map is bounded by the list), one
// for strangers (buddy requests: uids cost nothing to make, so they share one bucket and cannot
// starve the buddies), and one for the whole messenger. Over budget, the message is dropped
// unchecked and counted. A real message dropped that way is resent (chats, keep-alives, notices),
// so a flood slows a buddy down, it never loses a message.

import type { Clock } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { ImConfig } from './config.js';

interface Bucket {
  tokens: number;
  at: number;
}

export class VerifyBudget {
  private readonly perBuddy = new Map<NodeId, Bucket>();
  private readonly strangers: Bucket;
  private readonly total: Bucket;

  constructor(
    private readonly clock: Clock,
    private readonly config: Pick<ImConfig, 'verifyPerBuddyPerSecond' | 'verifyStrangersPerSecond' | 'verifyPerSecond'>,
  ) {
    this.strangers = { tokens: 2 * config.verifyStrangersPerSecond, at: clock.now() };
    this.total = { tokens: 2 * config.verifyPerSecond, at: clock.now() };
  }

  /**
   * Spends one check on a message claiming to come from `buddy` (undefined: a stranger, e.g. a buddy
   * request). False: over budget, do not check it.
   */
  take(buddy: NodeId | undefined): boolean {
    const { verifyPerBuddyPerSecond: perBuddy, verifyStrangersPerSecond: perStranger, verifyPerSecond: total } = this.config;
    let bucket = this.strangers;
    let rate = perStranger;
    if (buddy !== undefined) {
      rate = perBuddy;
      bucket = this.perBuddy.get(buddy) ?? { tokens: 2 * perBuddy, at: this.clock.now() };
      this.perBuddy.set(buddy, bucket);
    }
    if (!this.refill(bucket, rate) || !this.refill(this.total, total)) return false;
    this.total.tokens--;
    bucket.tokens--;
    return true;
  }

  forget(buddy: NodeId): void {
    this.perBuddy.delete(buddy);
  }

  /** Refills at `rate` per second up to two seconds' worth (a buddy's burst: a flushed outbox); true if a token is there. */
  private refill(bucket: Bucket, rate: number): boolean {
    const now = this.clock.now();
    bucket.tokens = Math.min(2 * rate, bucket.tokens + ((now - bucket.at) / 1_000) * rate);
    bucket.at = now;
    return bucket.tokens >= 1;
  }
}
