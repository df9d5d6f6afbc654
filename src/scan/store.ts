// The directory records one node holds, as root or replica: soft state keyed by (uid, keyword).
//
// Records arrive validated (validateRecord); the store only orders versions. Per (uid, keyword) the
// highest sequence number wins, and at equal sequence numbers a tombstone beats a profile, so a
// deletion cannot be undone by replaying the profile it withdrew. Tombstones are kept until their
// own expiry for that reason, and never returned by queries.

import type { NodeId } from '../overlay/id.js';
import { inRange, type KeyMapping, type KeyRange } from './keys.js';
import type { Keyword } from './normalize.js';
import type { RecordKind, SignedRecord } from './records.js';

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
}

export const DEFAULT_MAX_ENTRIES = 50_000;

const entryId = (uid: NodeId, keyword: Keyword) => `${uid}/${keyword}`;

/** Positive when version a supersedes version b. */
function compareVersions(a: { seq: number; kind: RecordKind }, b: { seq: number; kind: RecordKind }): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  return (a.kind === 'delete' ? 1 : 0) - (b.kind === 'delete' ? 1 : 0);
}

export class RecordStore {
  private readonly entries = new Map<string, StoredEntry>();

  constructor(
    private readonly mapping: KeyMapping,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * True when a record of this version would replace what we hold (or fill a free slot). Lets the
   * caller skip the signature check for the stale copies that replication and handover resend.
   */
  wouldAccept(uid: NodeId, keyword: Keyword, version: { seq: number; kind: RecordKind }): boolean {
    const held = this.entries.get(entryId(uid, keyword));
    if (held === undefined) return this.entries.size < this.maxEntries;
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
    } else if (this.entries.size >= this.maxEntries) {
      return 'full';
    }
    this.entries.set(id, { key: this.mapping.keywordKey(keyword, record.uid), keyword, record });
    return 'stored';
  }

  remove(entry: StoredEntry): void {
    this.entries.delete(entryId(entry.record.uid, entry.keyword));
  }

  /** Drops every entry whose record has expired; returns how many. */
  expire(now: number): number {
    let dropped = 0;
    for (const [id, entry] of this.entries) {
      if (entry.record.expiresAt <= now) {
        this.entries.delete(id);
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
    return { entries: this.entries.size, profiles: this.entries.size - tombstones, tombstones };
  }
}
