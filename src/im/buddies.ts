// The buddy list: who may talk to us, with the public keys that check their signatures. Requests
// need the other side's accept (docs/DESIGN.md); every change that the peer must learn leaves a
// `pendingNotice` on the record, retried by the messenger until it reaches the peer.

import * as v from 'valibot';
import type { NodeId } from '../overlay/id.js';
import { publicKeyMatchesUid } from './crypto.js';
import { BuddyRecord, type ImStorage } from './storage.js';
import type { BuddyNotice, BuddyNoticeKind } from './wire.js';

/**
 * What an incoming notice changed, for the messenger to react to (events, presence, cleanup).
 * 'restarted': an accepted buddy began the relationship anew (it asked again after losing the old
 * conversation, or removed us and asked again before our tombstone reached it): a new epoch, so the
 * old conversation is over on both sides.
 */
export type NoticeEffect = 'request' | 'accepted' | 'restarted' | 'declined' | 'removed' | 'none' | 'too many requests';

const ExportFile = v.strictObject({
  format: v.literal('dima-buddies'),
  version: v.literal(1),
  buddies: v.array(v.unknown()),
});

export interface ImportResult {
  added: number;
  /** Already on the list: the stored record wins, import never overwrites. */
  kept: number;
  invalid: number;
}

export class BuddyBook {
  private readonly records = new Map<NodeId, BuddyRecord>();

  /**
   * `newEpoch`: a fresh random nonce, our half of a new relationship's epoch (epoch.ts).
   * `maxIncoming`: requests from strangers waiting for our answer; anyone can make uids, so more are refused.
   */
  constructor(
    private readonly storage: ImStorage,
    private readonly newEpoch: () => string,
    private readonly maxIncoming = Infinity,
  ) {}

  async load(): Promise<void> {
    for (const record of await this.storage.listBuddies()) this.records.set(record.uid, record);
  }

  get(uid: NodeId): BuddyRecord | undefined {
    return this.records.get(uid);
  }

  /** Everyone on the list except tombstones. */
  list(): BuddyRecord[] {
    return [...this.records.values()].filter((b) => b.status !== 'gone');
  }

  accepted(): NodeId[] {
    return this.list().filter((b) => b.status === 'accepted').map((b) => b.uid);
  }

  withPendingNotice(): BuddyRecord[] {
    return [...this.records.values()].filter((b) => b.pendingNotice !== undefined);
  }

  /** We ask `uid` to be our buddy; if they already asked us, this is an accept. */
  async request(uid: NodeId, publicKey: string, name: string, now: number): Promise<BuddyRecord> {
    if (!publicKeyMatchesUid(uid, publicKey)) throw new Error(`public key does not belong to ${uid}`);
    const existing = this.records.get(uid);
    if (existing?.status === 'incoming') return this.accept(uid);
    if (existing?.status === 'accepted' || existing?.status === 'blocked') return existing;
    return this.save({
      uid, publicKey, name, status: 'outgoing', pendingNotice: 'request', lastNoticeAt: existing?.lastNoticeAt ?? 0, addedAt: now,
      epoch: this.newEpoch(),
    });
  }

  accept(uid: NodeId): Promise<BuddyRecord> {
    return this.change(uid, ['incoming'], { status: 'accepted', pendingNotice: 'accept', epoch: this.newEpoch() });
  }

  decline(uid: NodeId): Promise<BuddyRecord> {
    return this.change(uid, ['incoming'], { status: 'gone', pendingNotice: 'decline' });
  }

  remove(uid: NodeId): Promise<BuddyRecord> {
    return this.change(uid, ['incoming', 'outgoing', 'accepted'], { status: 'gone', pendingNotice: 'remove' });
  }

  /** Silent: the blocked peer is not told, everything from it is dropped. */
  block(uid: NodeId): Promise<BuddyRecord> {
    return this.change(uid, ['incoming', 'outgoing', 'accepted', 'gone'], { status: 'blocked', pendingNotice: undefined });
  }

  async unblock(uid: NodeId): Promise<void> {
    if (this.records.get(uid)?.status === 'blocked') await this.bury(uid);
  }

  /** The peer took our notice: stop retrying; a tombstone has done its job. */
  async noticeDelivered(uid: NodeId, kind: BuddyNoticeKind): Promise<void> {
    const record = this.records.get(uid);
    if (record?.pendingNotice !== kind) return;
    if (record.status === 'gone') await this.bury(uid);
    else await this.save({ ...record, pendingNotice: undefined });
  }

  /** Applies an authentic notice (the caller checked its signature). Replays change nothing. */
  async receive(notice: BuddyNotice, now: number): Promise<NoticeEffect> {
    const record = this.records.get(notice.from);
    if (record && notice.at <= record.lastNoticeAt) return 'none';
    if (record?.status === 'blocked') return 'none';
    const seen = { lastNoticeAt: notice.at, publicKey: notice.publicKey, peerEpoch: notice.epoch };
    switch (notice.kind) {
      case 'request':
        if (!record || record.status === 'gone') {
          if (this.list().filter((b) => b.status === 'incoming').length >= this.maxIncoming) return 'too many requests';
          await this.save({ uid: notice.from, name: notice.name, status: 'incoming', addedAt: now, ...seen });
          return 'request';
        }
        if (record.status === 'outgoing') {
          // Both asked at once: each side's request nonce is its half of the epoch.
          await this.save({ ...record, ...seen, status: 'accepted', pendingNotice: 'accept', epoch: record.epoch ?? this.newEpoch() });
          return 'accepted';
        }
        if (record.status === 'incoming') {
          await this.save({ ...record, ...seen }); // asked again: the newest nonce is the one to answer
          return 'none';
        }
        // Already buddies and they ask again: answer with an accept again. A new nonce means the
        // old conversation is gone on their side (they lost their list, or removed us and asked anew):
        // with their new half the epoch is new. A record from before epochs gets our half now.
        await this.save({ ...record, ...seen, pendingNotice: 'accept', epoch: record.epoch ?? this.newEpoch() });
        return record.peerEpoch === notice.epoch ? 'none' : 'restarted';
      case 'accept':
        if (record?.status === 'outgoing') {
          // A request sent before epochs carried no nonce: the buddy hears ours in an accept.
          const pendingNotice = record.epoch === undefined ? 'accept' : undefined;
          await this.save({ ...record, ...seen, status: 'accepted', pendingNotice, epoch: record.epoch ?? this.newEpoch() });
          return 'accepted';
        }
        if (record?.status !== 'accepted' || record.peerEpoch === notice.epoch) return 'none';
        // An accepted buddy answers with a nonce we do not know: it started anew. A record of ours
        // without a nonce (from before epochs) gets one, and the buddy hears it.
        if (record.epoch !== undefined) await this.save({ ...record, ...seen });
        else await this.save({ ...record, ...seen, epoch: this.newEpoch(), pendingNotice: 'accept' });
        return 'restarted';
      case 'decline':
        if (record?.status !== 'outgoing') return 'none';
        await this.bury(notice.from);
        return 'declined';
      case 'remove':
        if (!record || record.status === 'gone') return 'none';
        await this.bury(notice.from);
        return 'removed';
    }
  }

  /** Without epochs: they belong to this profile's conversations, which an export does not carry. */
  exportJson(): string {
    const buddies = this.list().map(({ pendingNotice: _, epoch: _e, peerEpoch: _p, ...rest }) => rest);
    return JSON.stringify({ format: 'dima-buddies', version: 1, buddies }, null, 2);
  }

  /**
   * Adds buddies from an export; never overwrites a stored record, skips invalid ones. An export
   * carries no epochs: an accepted buddy comes in as a legacy relationship (both sides importing
   * each other chat at once, as before epochs); a request in either direction is made again as
   * ours, so the buddy's answer brings both halves of a new epoch.
   */
  async importJson(json: string): Promise<ImportResult | { error: string }> {
    let file: v.InferOutput<typeof ExportFile>;
    try {
      const parsed = v.safeParse(ExportFile, JSON.parse(json));
      if (!parsed.success) return { error: 'not a DIMA buddy export' };
      file = parsed.output;
    } catch {
      return { error: 'not JSON' };
    }
    const result: ImportResult = { added: 0, kept: 0, invalid: 0 };
    for (const raw of file.buddies) {
      const parsed = v.safeParse(BuddyRecord, raw);
      if (!parsed.success || !publicKeyMatchesUid(parsed.output.uid, parsed.output.publicKey) || parsed.output.status === 'gone') {
        result.invalid++;
      } else if (this.list().some((b) => b.uid === parsed.output.uid)) {
        result.kept++;
      } else {
        const { epoch: _e, peerEpoch: _p, ...imported } = parsed.output;
        // Over a tombstone: its replay guard stays.
        const record = { ...imported, lastNoticeAt: Math.max(imported.lastNoticeAt, this.records.get(imported.uid)?.lastNoticeAt ?? 0) };
        const asking = record.status === 'outgoing' || record.status === 'incoming';
        await this.save(asking
          ? { ...record, status: 'outgoing', pendingNotice: 'request', epoch: this.newEpoch() }
          : { ...record, pendingNotice: undefined });
        result.added++;
      }
    }
    return result;
  }

  private async change(uid: NodeId, from: BuddyRecord['status'][], to: Partial<BuddyRecord>): Promise<BuddyRecord> {
    const record = this.records.get(uid);
    if (!record || !from.includes(record.status)) {
      throw new Error(`cannot change buddy ${uid} from ${record?.status ?? 'unknown'} to ${to.status}`);
    }
    return this.save({ ...record, ...to });
  }

  private async save(record: BuddyRecord): Promise<BuddyRecord> {
    const clean = Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as BuddyRecord;
    await this.storage.putBuddy(clean);
    this.records.set(clean.uid, clean);
    return clean;
  }

  /**
   * The relationship is over: what stays is a tombstone with the newest notice time seen, so a
   * replay of one of its old notices (a request, say) is not taken for a new one. Tombstones come
   * only from the user's own removes and declines and from buddies' removes, so they stay few.
   */
  private async bury(uid: NodeId): Promise<void> {
    const record = this.records.get(uid);
    if (!record) return;
    const { uid: _, publicKey, name, lastNoticeAt, addedAt } = record;
    await this.save({ uid, publicKey, name, lastNoticeAt, addedAt, status: 'gone' });
  }
}
