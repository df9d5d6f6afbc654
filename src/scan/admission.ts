// What a directory node spends on checking signatures. Uids and throwaway records cost a hostile
// peer one signature each; checking them all cost the victim a check each before these bounds
// (bench/results/directory-flood.md, bounds off: 50,000 checks, 152.5 CPU s). So records pass the cheap checks first (size, shape, freshness, key mapping,
// duplicates), a record's copies under its other keywords cost one check (the memo), and the
// checks left are token buckets:
//   - one for the node (everything),
//   - one for owners we hold nothing of (new uids: the flood's currency),
//   - one per replica holder entitled to push to us (our leaves only, so the map is bounded).
// Over budget the record is dropped unchecked and counted; its owner re-publishes it (republishMs),
// a holder's handover is topped up by the root's repair and the next re-publish.

import type { Clock } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { ScanConfig } from './config.js';
import { hasValidSignature, type SignatureVerifier, type SignedRecord } from './records.js';

type Limits = Pick<
  ScanConfig,
  | 'verifyPerSecond' | 'verifyBurst' | 'newOwnerVerifyPerSecond' | 'newOwnerVerifyBurst'
  | 'replicaVerifyPerSecond' | 'replicaVerifyBurst' | 'verifiedMemo'
>;

/** Most senders with a bucket of their own: far above a leaf set plus slack, so never reached honestly. */
const MAX_SENDER_BUCKETS = 64;

class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** True (and one token spent) when a token is there at `now`. */
  has(now: number): boolean {
    if (this.perSecond !== Infinity) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1_000) * this.perSecond);
    this.at = now;
    return this.tokens >= 1;
  }

  spend(): void {
    this.tokens -= 1;
  }
}

export type Verdict = 'valid' | 'forged' | 'over budget';

export class SignatureAdmission {
  private readonly total: TokenBucket;
  private readonly newOwners: TokenBucket;
  private readonly senders = new Map<NodeId, TokenBucket>();
  /** JSON of records whose signature checked out, oldest first (a Set keeps insertion order). */
  private readonly memo = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly verify: SignatureVerifier,
    private readonly limits: Limits,
  ) {
    this.total = new TokenBucket(limits.verifyPerSecond, limits.verifyBurst, clock.now());
    this.newOwners = new TokenBucket(limits.newOwnerVerifyPerSecond, limits.newOwnerVerifyBurst, clock.now());
  }

  /**
   * Checks `record`'s signature if the budgets allow. `sender`: the holder that pushed a replica
   * (undefined for a routed store); `newOwner`: we hold nothing of the record's uid yet.
   */
  check(record: SignedRecord, sender: NodeId | undefined, newOwner: boolean): Verdict {
    const memoKey = this.limits.verifiedMemo > 0 ? JSON.stringify(record) : undefined;
    if (memoKey !== undefined && this.memo.has(memoKey)) return 'valid';
    const now = this.clock.now();
    const buckets = [this.total];
    if (sender !== undefined) buckets.push(this.bucketOf(sender));
    else if (newOwner) buckets.push(this.newOwners);
    if (!buckets.every((bucket) => bucket.has(now))) return 'over budget';
    for (const bucket of buckets) bucket.spend();
    if (!hasValidSignature(record, this.verify)) return 'forged';
    if (memoKey !== undefined) {
      if (this.memo.size >= this.limits.verifiedMemo) this.memo.delete(this.memo.values().next().value as string);
      this.memo.add(memoKey);
    }
    return 'valid';
  }

  private bucketOf(sender: NodeId): TokenBucket {
    let bucket = this.senders.get(sender);
    if (bucket === undefined) {
      if (this.senders.size >= MAX_SENDER_BUCKETS) this.senders.delete(this.senders.keys().next().value as NodeId);
      bucket = new TokenBucket(this.limits.replicaVerifyPerSecond, this.limits.replicaVerifyBurst, this.clock.now());
      this.senders.set(sender, bucket);
    }
    return bucket;
  }
}
