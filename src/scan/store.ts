// The directory records one node holds, as root or replica: soft state keyed by (uid, keyword).
//
// Records arrive validated (validateRecord); the store only orders versions. Per (uid, keyword) the
// highest sequence number wins, and at equal sequence numbers a tombstone beats a profile, so a
// deletion cannot be undone by replaying the profile it withdrew. Tombstones are kept until their
// own expiry for that reason, and never returned by queries.
//
// Bounded (StoreLimits, from ScanConfig): entries and bytes in all and per owner. A full store makes
// room by evicting the oldest entry of the owner holding the most (OwnerIndex): uids cost nothing, so
// a flood comes as many owners with many keywords each, and loses its own entries before a real
// user with one or two. A record re-published moves to the back of its owner's line.

import type { NodeId } from '../overlay/id.js';
import { inRange, type KeyMapping, type KeyRange } from './keys.js';
import type { Keyword } from './normalize.js';
import type { RecordKind, SignedRecord } from './records.js';
import { OwnerIndex } from './owner-index.js';
import { DEFAULT_SCAN_CONFIG, type ScanConfig } from './config.js';

export interface StoredEntry {
  /** keywordKey(keyword, record.uid): where on the ring this entry belongs. */
  readonly key: NodeId;
  readonly keyword: Keyword;
  readonly record: SignedRecord;
}

export type PutOutcome = 'stored' | 'unchanged' | 'stale' | 'full' | 'not-a-keyword';

export interface StoreCounts {
  entries: number;
  profiles: number;
  tombstones: number;
  /** Bytes of record JSON held. */
  bytes: number;
}

export type StoreLimits = Pick<ScanConfig, 'maxEntries' | 'maxBytes' | 'maxEntriesPerOwner' | 'maxBytesPerOwner' | 'fairEviction'>;

const { maxEntries, maxBytes, maxEntriesPerOwner, maxBytesPerOwner, fairEviction } = DEFAULT_SCAN_CONFIG;
const DEFAULT_STORE_LIMITS: StoreLimits = { maxEntries, maxBytes, maxEntriesPerOwner, maxBytesPerOwner, fairEviction };

interface Held extends StoredEntry {
  readonly bytes: number;
}

const entryId = (uid: NodeId, keyword: Keyword) => `${uid}/${keyword}`;
const utf8 = new TextEncoder();

/** Positive when version a supersedes version b. */
function compareVersions(a: { seq: number; kind: RecordKind }, b: { seq: number; kind: RecordKind }): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  return (a.kind === 'delete' ? 1 : 0) - (b.kind === 'delete' ? 1 : 0);
}

export class RecordStore {
  private readonly entries = new Map<string, Held>();
  private readonly owners = new OwnerIndex();
  private readonly limits: StoreLimits;
  private bytes = 0;
  /** Entries evicted to make room, since the store was made. */
  evicted = 0;

  constructor(
    private readonly mapping: KeyMapping,
    limits: Partial<StoreLimits> = {},
  ) {
    this.limits = { ...DEFAULT_STORE_LIMITS, ...limits };
  }

  get size(): number {
    return this.entries.size;
  }

  /** True when we hold any entry of `uid` (a known owner, not a stranger). */
  holdsOwner(uid: NodeId): boolean {
    return this.owners.entriesOf(uid) > 0;
  }

  /**
   * True when a record of this version would replace what we hold or be stored (with fair eviction
   * there is always room). Lets the caller skip the signature check for copies it would not keep.
   */
  wouldAccept(uid: NodeId, keyword: Keyword, version: { seq: number; kind: RecordKind }): boolean {
    const held = this.entries.get(entryId(uid, keyword));
    if (held === undefined) return this.limits.fairEviction || this.entries.size < this.limits.maxEntries;
    return compareVersions(version, held.record) > 0;
  }

  put(keyword: Keyword, record: SignedRecord): PutOutcome {
    if (!record.keywords.includes(keyword)) return 'not-a-keyword';
    const id = entryId(record.uid, keyword);
    const held = this.entries.get(id);
    if (held !== undefined) {
      const order = compareVersions(record, held.record);
      if (order < 0) return 'stale';
      if (order === 0) return 'unchanged';
    }
    const bytes = utf8.encode(JSON.stringify(record)).length;
    if (bytes > this.limits.maxBytesPerOwner || bytes > this.limits.maxBytes) return 'full';
    if (held === undefined && !this.limits.fairEviction && this.entries.size >= this.limits.maxEntries) return 'full';
    if (held !== undefined) this.delete(id, held);
    this.makeRoom(record.uid, bytes);
    const entry: Held = { key: this.mapping.keywordKey(keyword, record.uid), keyword, record, bytes };
    this.entries.set(id, entry);
    this.owners.add(record.uid, id, bytes);
    this.bytes += bytes;
    return 'stored';
  }

  remove(entry: StoredEntry): void {
    const id = entryId(entry.record.uid, entry.keyword);
    const held = this.entries.get(id);
    if (held !== undefined) this.delete(id, held);
  }

  /** Drops every entry whose record has expired; returns how many. */
  expire(now: number): number {
    let dropped = 0;
    for (const [id, entry] of this.entries) {
      if (entry.record.expiresAt <= now) {
        this.delete(id, entry);
        dropped++;
      }
    }
    return dropped;
  }

  /** Live profiles (no tombstones, nothing expired) whose key lies in `range`. */
  recordsInRange(range: KeyRange, now: number): StoredEntry[] {
    const found: StoredEntry[] = [];
    for (const entry of this.entries.values()) {
      const { record } = entry;
      if (record.kind === 'profile' && record.expiresAt > now && inRange(entry.key, range)) found.push(entry);
    }
    return found;
  }

  /** Everything held, tombstones included (replication and handover pass tombstones on too). */
  all(): StoredEntry[] {
    return [...this.entries.values()];
  }

  counts(): StoreCounts {
    let tombstones = 0;
    for (const entry of this.entries.values()) if (entry.record.kind === 'delete') tombstones++;
    return { entries: this.entries.size, profiles: this.entries.size - tombstones, tombstones, bytes: this.bytes };
  }

  /**
   * Evicts until one more entry of `bytes` from `uid` fits: first the owner's own oldest while it
   * is over its quota, then, while the store is over its bounds, the oldest entry of the owner
   * holding the most (counting the newcomer's entry, so an owner about to be the largest pays itself).
   */
  private makeRoom(uid: NodeId, bytes: number): void {
    const { maxEntriesPerOwner, maxBytesPerOwner, maxEntries, maxBytes } = this.limits;
    while (
      this.owners.entriesOf(uid) > 0 &&
      (this.owners.entriesOf(uid) + 1 > maxEntriesPerOwner || this.owners.bytesOf(uid) + bytes > maxBytesPerOwner)
    ) {
      this.evict(this.owners.oldestOf(uid)!);
    }
    while (this.entries.size > 0 && (this.entries.size + 1 > maxEntries || this.bytes + bytes > maxBytes)) {
      const largest = this.owners.largest()!;
      const own = this.owners.entriesOf(uid);
      const victim = own > 0 && own + 1 > largest.count ? uid : largest.uid;
      this.evict(this.owners.oldestOf(victim)!);
    }
  }

  private evict(id: string): void {
    this.delete(id, this.entries.get(id)!);
    this.evicted++;
  }

  private delete(id: string, held: Held): void {
    this.entries.delete(id);
    this.owners.remove(held.record.uid, id);
    this.bytes -= held.bytes;
  }
}
