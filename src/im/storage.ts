// What the IM layer keeps across reloads, behind one small interface. One implementation over a
// key-value backend serves both the browser (IndexedDB, idb-storage.ts) and the simulator / unit
// tests (in memory), so the two cannot drift apart.
//
// Never losing data: every record is validated BEFORE it is written (a bad record throws and the
// old one stays), an identity is never overwritten, conversation counters only move forward, and
// a corrupt record read back is skipped, not deleted.

import * as v from 'valibot';
import type { NodeId } from '../overlay/id.js';
import { MAX_NAME_CHARS, MAX_TEXT_CHARS } from './config.js';
import { EPOCH_NONCE_BYTES, LEGACY_EPOCH } from './epoch.js';
import { ChatMessage, epoch, hex, publicKey, uid } from './wire.js';

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const time = v.pipe(v.number(), v.finite());

/** The overlay's StoredIdentity (src/overlay/identity.ts): the Ed25519 secret key behind our uid. */
export const StoredIdentity = v.strictObject({
  version: v.literal(1),
  secretKey: hex(64),
});
export type StoredIdentity = v.InferOutput<typeof StoredIdentity>;

export const Profile = v.strictObject({
  name: v.pipe(v.string(), v.maxLength(MAX_NAME_CHARS)),
  /** Extra words others may find us by (published to the SCAN directory by whoever owns that). */
  keywords: v.array(v.pipe(v.string(), v.maxLength(MAX_NAME_CHARS))),
});
export type Profile = v.InferOutput<typeof Profile>;

export const BuddyRecord = v.strictObject({
  uid,
  publicKey,
  name: v.pipe(v.string(), v.maxLength(MAX_NAME_CHARS)),
  /**
   * outgoing/incoming: a request waits for an answer; blocked: everything from them is dropped;
   * gone: removed or declined; kept as a tombstone (lastNoticeAt guards against replayed notices).
   */
  status: v.picklist(['outgoing', 'incoming', 'accepted', 'blocked', 'gone']),
  /** A notice we still owe this peer (retried until its root is the peer itself). */
  pendingNotice: v.optional(v.picklist(['request', 'accept', 'decline', 'remove'])),
  /** `at` of the newest notice seen from this peer (replay guard). */
  lastNoticeAt: count,
  /** Our nonce for this relationship (epoch.ts); absent in records from before epochs. */
  epoch: v.optional(hex(2 * EPOCH_NONCE_BYTES)),
  /** The peer's nonce, from its request or accept notice. */
  peerEpoch: v.optional(hex(2 * EPOCH_NONCE_BYTES)),
  addedAt: time,
});
export type BuddyRecord = v.InferOutput<typeof BuddyRecord>;

export const HistoryEntry = v.strictObject({
  peer: uid,
  direction: v.picklist(['in', 'out']),
  seq: v.pipe(count, v.minValue(1)),
  text: v.pipe(v.string(), v.maxLength(MAX_TEXT_CHARS)),
  sentAt: time,
});
export type HistoryEntry = v.InferOutput<typeof HistoryEntry>;

export const OutboxEntry = v.strictObject({
  peer: uid,
  seq: v.pipe(count, v.minValue(1)),
  /**
   * Sealed once, resent byte-for-byte: a retry never re-encrypts under a new nonce. Entries stored
   * before epochs have none: they belong to the legacy conversation (and were signed as such).
   */
  message: v.strictObject({ ...ChatMessage.entries, epoch: v.optional(epoch, LEGACY_EPOCH) }),
  createdAt: time,
});
export type OutboxEntry = v.InferOutput<typeof OutboxEntry>;

export const ConversationCounters = v.strictObject({
  /** The conversation these count (epoch.ts); records from before epochs count the legacy one. */
  epoch: v.optional(epoch, LEGACY_EPOCH),
  /** Seq our next outgoing message gets. */
  nextSendSeq: v.pipe(count, v.minValue(1)),
  /** Highest incoming seq shown in order (everything up to it was shown exactly once). */
  delivered: count,
  /** Highest outgoing seq the peer acknowledged. */
  acked: count,
  /**
   * Written by a backup restore: the first seq this browser hands out (the backup's next seq). The
   * buddy may be ahead of these counters (resync.ts), so nothing is sent until it has told us
   * where it stands. Cleared by its answer.
   */
  fromBackup: v.optional(v.pipe(count, v.minValue(1))),
});
export type ConversationCounters = v.InferOutput<typeof ConversationCounters>;

export const freshCounters = (conversation: string): ConversationCounters => ({ epoch: conversation, nextSendSeq: 1, delivered: 0, acked: 0 });

export interface ImStorage {
  getIdentity(): Promise<StoredIdentity | undefined>;
  /** Refuses (throws) when a different identity is already stored: a uid is never lost. */
  putIdentity(identity: StoredIdentity): Promise<void>;
  getProfile(): Promise<Profile | undefined>;
  putProfile(profile: Profile): Promise<void>;
  listBuddies(): Promise<BuddyRecord[]>;
  putBuddy(buddy: BuddyRecord): Promise<void>;
  deleteBuddy(peer: NodeId): Promise<void>;
  /** Idempotent per (peer, direction, seq): re-storing after a crash does not duplicate. */
  putHistory(entry: HistoryEntry): Promise<void>;
  listHistory(peer: NodeId): Promise<HistoryEntry[]>;
  deleteHistory(peer: NodeId): Promise<void>;
  deleteHistoryEntry(peer: NodeId, direction: HistoryEntry['direction'], seq: number): Promise<void>;
  putOutbox(entry: OutboxEntry): Promise<void>;
  deleteOutbox(peer: NodeId, seq: number): Promise<void>;
  listOutbox(): Promise<OutboxEntry[]>;
  /** Fresh counters of the legacy conversation when none are stored. */
  getCounters(peer: NodeId): Promise<ConversationCounters>;
  /**
   * Merged with what is stored for the same conversation, field by field maximum: counters never go
   * back. Counters of another conversation (an older epoch) are replaced.
   */
  putCounters(peer: NodeId, counters: ConversationCounters): Promise<void>;
  deleteCounters(peer: NodeId): Promise<void>;
}

/** The few operations a backing store must offer. Values are plain JSON-compatible objects. */
export interface KeyValueBackend {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Values whose key starts with `prefix`. */
  valuesWithPrefix(prefix: string): Promise<unknown[]>;
}

// Seqs padded so that keys sort in seq order in IndexedDB.
const pad = (n: number) => n.toString().padStart(16, '0');
const KEY = {
  identity: 'identity',
  profile: 'profile',
  buddy: (peer: string) => `buddy/${peer}`,
  history: (peer: string) => `history/${peer}/`,
  historyEntry: (e: HistoryEntry) => `history/${e.peer}/${e.direction}/${pad(e.seq)}`,
  outbox: 'outbox/',
  outboxEntry: (peer: string, seq: number) => `outbox/${peer}/${pad(seq)}`,
  counters: (peer: string) => `counters/${peer}`,
};

function checked<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw new Error(`refusing to store invalid ${what}: ${result.issues[0].message}`);
  return result.output;
}

function readable<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, value);
  return result.success ? result.output : undefined;
}

export class RecordStorage implements ImStorage {
  constructor(private readonly backend: KeyValueBackend) {}

  async getIdentity() {
    return readable(StoredIdentity, await this.backend.get(KEY.identity));
  }

  async putIdentity(identity: StoredIdentity) {
    const record = checked(StoredIdentity, identity, 'identity');
    const existing = await this.getIdentity();
    if (existing && existing.secretKey !== record.secretKey) throw new Error('an identity is already stored');
    await this.backend.set(KEY.identity, record);
  }

  async getProfile() {
    return readable(Profile, await this.backend.get(KEY.profile));
  }

  async putProfile(profile: Profile) {
    await this.backend.set(KEY.profile, checked(Profile, profile, 'profile'));
  }

  async listBuddies() {
    return this.readAll(BuddyRecord, 'buddy/');
  }

  async putBuddy(buddy: BuddyRecord) {
    const record = checked(BuddyRecord, buddy, 'buddy');
    await this.backend.set(KEY.buddy(record.uid), record);
  }

  async deleteBuddy(peer: NodeId) {
    await this.backend.delete(KEY.buddy(peer));
  }

  async putHistory(entry: HistoryEntry) {
    const record = checked(HistoryEntry, entry, 'history entry');
    await this.backend.set(KEY.historyEntry(record), record);
  }

  async listHistory(peer: NodeId) {
    const entries = await this.readAll(HistoryEntry, KEY.history(peer));
    return entries.sort((a, b) => a.sentAt - b.sentAt || a.seq - b.seq);
  }

  async deleteHistory(peer: NodeId) {
    for (const e of await this.readAll(HistoryEntry, KEY.history(peer))) {
      await this.backend.delete(KEY.historyEntry(e));
    }
  }

  async deleteHistoryEntry(peer: NodeId, direction: HistoryEntry['direction'], seq: number) {
    await this.backend.delete(KEY.historyEntry({ peer, direction, seq, text: '', sentAt: 0 }));
  }

  async putOutbox(entry: OutboxEntry) {
    const record = checked(OutboxEntry, entry, 'outbox entry');
    await this.backend.set(KEY.outboxEntry(record.peer, record.seq), record);
  }

  async deleteOutbox(peer: NodeId, seq: number) {
    await this.backend.delete(KEY.outboxEntry(peer, seq));
  }

  async listOutbox() {
    return this.readAll(OutboxEntry, KEY.outbox);
  }

  async getCounters(peer: NodeId) {
    return readable(ConversationCounters, await this.backend.get(KEY.counters(peer))) ?? freshCounters(LEGACY_EPOCH);
  }

  async putCounters(peer: NodeId, counters: ConversationCounters) {
    const next = checked(ConversationCounters, counters, 'conversation counters');
    const stored = await this.getCounters(peer);
    if (stored.epoch !== next.epoch) return this.backend.set(KEY.counters(peer), next);
    await this.backend.set(KEY.counters(peer), {
      epoch: next.epoch,
      nextSendSeq: Math.max(stored.nextSendSeq, next.nextSendSeq),
      delivered: Math.max(stored.delivered, next.delivered),
      acked: Math.max(stored.acked, next.acked),
      ...(next.fromBackup !== undefined && { fromBackup: next.fromBackup }),
    });
  }

  async deleteCounters(peer: NodeId) {
    await this.backend.delete(KEY.counters(peer));
  }

  private async readAll<S extends v.GenericSchema>(schema: S, prefix: string): Promise<v.InferOutput<S>[]> {
    const out: v.InferOutput<S>[] = [];
    for (const value of await this.backend.valuesWithPrefix(prefix)) {
      const record = readable(schema, value);
      if (record !== undefined) out.push(record);
    }
    return out;
  }
}

/** In-memory backend (simulator, unit tests). Values are cloned both ways, as IndexedDB does. */
export class MemoryBackend implements KeyValueBackend {
  private readonly values = new Map<string, unknown>();

  async get(key: string) {
    return structuredClone(this.values.get(key));
  }

  async set(key: string, value: unknown) {
    this.values.set(key, structuredClone(value));
  }

  async delete(key: string) {
    this.values.delete(key);
  }

  async valuesWithPrefix(prefix: string) {
    const keys = [...this.values.keys()].filter((k) => k.startsWith(prefix)).sort();
    return keys.map((k) => structuredClone(this.values.get(k)));
  }

  /** A copy of everything stored now (tests: a backup taken at this moment). */
  copy(): MemoryBackend {
    const copy = new MemoryBackend();
    for (const [key, value] of this.values) copy.values.set(key, structuredClone(value));
    return copy;
  }
}

export function memoryStorage(): ImStorage {
  return new RecordStorage(new MemoryBackend());
}
