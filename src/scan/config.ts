// Every bound of the SCAN directory in one place. What a peer can make a directory node hold or
// check is bounded here; over a bound the input is dropped and counted (ScanCounters), never thrown.
//
// Costs behind the figures: an Ed25519 check takes about 3 ms of one core on the shared bench
// machine (bench/results/directory-flood.md: 50,000 checks, 152.5 CPU s, bounds off).

import type { WalkLimits } from './query-walk.js';
import { RECORD_LIMITS } from './records.js';

export interface ScanConfig extends WalkLimits {
  /** Copies beyond the root, on the nearest leaves (the paper's k). */
  replicas: number;
  /** Lifetime of a published record. */
  ttlMs: number;
  /** Re-publish period; well below ttlMs so one lost round does not drop the profile. */
  republishMs: number;
  /** How often expired records are swept from the store. */
  sweepMs: number;
  /** How long a search waits for walks to finish. */
  queryTimeoutMs: number;

  // --- the store -----------------------------------------------------------------------------------
  /** Entries (one per uid and keyword) one node holds, as root and replica. */
  maxEntries: number;
  /** Bytes of record JSON one node holds in all (entries of one record count once each). */
  maxBytes: number;
  /** Entries of one owner (uid) at one node: one per keyword of its profile and tombstones. */
  maxEntriesPerOwner: number;
  /** Bytes of one owner's entries at one node. */
  maxBytesPerOwner: number;
  /**
   * A full store makes room by evicting the oldest entry of the owner with the most entries (so a
   * flood of many-keyword throwaway owners loses before a real user with one or two). Off only in
   * tests and benches, for the figures of the old store, which refused every new owner when full.
   */
  fairEviction: boolean;

  // --- signature checks ----------------------------------------------------------------------------
  /** Signature checks per second at a directory node (stores and replicas), and the burst. */
  verifyPerSecond: number;
  verifyBurst: number;
  /**
   * Of those, checks for owners this node holds nothing of (uids cost nothing to make), and the
   * burst. Low enough that a flood of new owners turns the store over more slowly than real owners
   * re-publish (maxEntries / rate > republishMs), so refreshed records are never the oldest.
   */
  newOwnerVerifyPerSecond: number;
  newOwnerVerifyBurst: number;
  /** Replica items one holder may make us check per second, and the burst (a handover). */
  replicaVerifyPerSecond: number;
  replicaVerifyBurst: number;
  /** Valid (key, message, signature) triples remembered: a record's copies under each keyword cost one check. */
  verifiedMemo: number;
  /** Most signature checks one frame may cause (a replica batch, one part of a search answer). */
  verifyPerFrame: number;
  /**
   * Most signature checks one search may cause; what is left unchecked marks the result truncated.
   * 1,024, not 256: a three-letter prefix ("mar") matched 382 records among 5,000 simulated users,
   * and at 256 the surname-prefix search missed 3 of 300 users (tests/sim/scan.test.ts). A hostile
   * node still costs one check per frame it forges in (verifyPerFrame bounds each frame).
   */
  searchVerifyLimit: number;
  /**
   * Nodes beyond the k + 1 holders of a key still entitled to push us its replicas: views of the
   * leaf set differ for a while after a join, and a holder pushed out hands its copies on.
   */
  replicaSlack: number;
}

export const DEFAULT_SCAN_CONFIG: ScanConfig = {
  replicas: 4,
  ttlMs: 60 * 60_000,
  republishMs: 20 * 60_000,
  sweepMs: 60_000,
  queryTimeoutMs: 5_000,
  maxWalk: 32,
  maxResultsPerNode: 200,
  maxEntries: 50_000,
  maxBytes: 48 * 1024 * 1024,
  maxEntriesPerOwner: RECORD_LIMITS.keywords,
  // Never binds on a real owner (16 keywords of records of at most 2 KiB): a backstop, not a policy.
  maxBytesPerOwner: RECORD_LIMITS.keywords * RECORD_LIMITS.encodedBytes,
  fairEviction: true,
  verifyPerSecond: 100,
  verifyBurst: 500,
  // 50,000 entries / 20 a second = 2,500 s of flood to turn the store over, above the 1,200 s re-publish.
  newOwnerVerifyPerSecond: 20,
  // A ring where many users publish at once (the simulator publishes 1,500 users in one instant on
  // 400 nodes) must not lose their records: a burst of 100 dropped 36 of them.
  newOwnerVerifyBurst: 500,
  replicaVerifyPerSecond: 50,
  replicaVerifyBurst: 500,
  verifiedMemo: 4_096,
  verifyPerFrame: 16,
  searchVerifyLimit: 1_024,
  replicaSlack: 2,
};

/** Dropped input, by cause: fixed labels, never keyed by anything a peer sent. */
export interface ScanCounters {
  badMessages: number;
  rejectedRecords: number;
  staleCopies: number;
  /** A new entry refused because the store was full (only with fairEviction off). */
  storeFull: number;
  /** Entries evicted to make room (store or owner quota). */
  evicted: number;
  /** Records dropped unchecked: a signature budget (per second, per frame) was spent. */
  overVerifyBudget: number;
  /** Replicas from a node that is not among the key's holders as we see them, or not over its own link. */
  replicaNotEntitled: number;
  /** Routed stores for a key we are not the root of as we see it. */
  notOurKey: number;
}

export const newScanCounters = (): ScanCounters => ({
  badMessages: 0, rejectedRecords: 0, staleCopies: 0, storeFull: 0, evicted: 0, overVerifyBudget: 0, replicaNotEntitled: 0, notOurKey: 0,
});

/** TEST AND BENCH ONLY: the directory as it was before the bounds of issue 14 (the "before" figures). */
export const UNBOUNDED_SCAN_LIMITS: Partial<ScanConfig> = {
  maxBytes: Infinity, maxEntriesPerOwner: Infinity, maxBytesPerOwner: Infinity, fairEviction: false,
  verifyPerSecond: Infinity, verifyBurst: Infinity, newOwnerVerifyPerSecond: Infinity, newOwnerVerifyBurst: Infinity,
  replicaVerifyPerSecond: Infinity, replicaVerifyBurst: Infinity, verifiedMemo: 0, verifyPerFrame: Infinity,
  searchVerifyLimit: Infinity, replicaSlack: Infinity,
};
