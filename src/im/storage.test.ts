import { describe, expect, it } from 'vitest';
import type { NodeId } from '../overlay/id.js';
import { LEGACY_EPOCH } from './epoch.js';
import { MemoryBackend, RecordStorage, type BuddyRecord } from './storage.js';

const peer = '12'.repeat(16) as NodeId;
const EPOCH = '9a'.repeat(16);
const buddy: BuddyRecord = { uid: peer, publicKey: 'ab'.repeat(32), name: 'Bob', status: 'accepted', lastNoticeAt: 0, addedAt: 1 };

describe('IM storage', () => {
  it('refuses an invalid record and keeps the stored one', async () => {
    const storage = new RecordStorage(new MemoryBackend());
    await storage.putBuddy(buddy);
    await expect(storage.putBuddy({ ...buddy, status: 'friend' as never })).rejects.toThrow(/invalid buddy/);
    await expect(storage.putBuddy({ ...buddy, publicKey: 'nope' })).rejects.toThrow();
    expect(await storage.listBuddies()).toEqual([buddy]);
  });

  it('never replaces a stored identity with another one', async () => {
    const storage = new RecordStorage(new MemoryBackend());
    const first = { version: 1 as const, secretKey: '01'.repeat(32) };
    await storage.putIdentity(first);
    await storage.putIdentity(first);
    await expect(storage.putIdentity({ version: 1, secretKey: '02'.repeat(32) })).rejects.toThrow();
    expect(await storage.getIdentity()).toEqual(first);
  });

  it('moves conversation counters only forward', async () => {
    const storage = new RecordStorage(new MemoryBackend());
    await storage.putCounters(peer, { epoch: EPOCH, nextSendSeq: 5, delivered: 7, acked: 3 });
    await storage.putCounters(peer, { epoch: EPOCH, nextSendSeq: 2, delivered: 9, acked: 1 });
    expect(await storage.getCounters(peer)).toEqual({ epoch: EPOCH, nextSendSeq: 5, delivered: 9, acked: 3 });
    // A new conversation (epoch) starts from its own counters.
    await storage.putCounters(peer, { epoch: '78'.repeat(16), nextSendSeq: 1, delivered: 1, acked: 0 });
    expect(await storage.getCounters(peer)).toEqual({ epoch: '78'.repeat(16), nextSendSeq: 1, delivered: 1, acked: 0 });
  });

  it('reads records stored before epochs: counters and outbox entries of the legacy conversation, buddies without nonces', async () => {
    const backend = new MemoryBackend();
    const storage = new RecordStorage(backend);
    await backend.set(`counters/${peer}`, { nextSendSeq: 4, delivered: 2, acked: 3 });
    const oldChat = { t: 'im.chat', from: peer, to: buddy.uid, seq: 3, nonce: '00'.repeat(12), ct: 'ff'.repeat(20), sig: '11'.repeat(64) };
    await backend.set(`outbox/${peer}/0000000000000003`, { peer, seq: 3, message: oldChat, createdAt: 0 });
    await backend.set(`buddy/${buddy.uid}`, buddy);
    expect(await storage.getCounters(peer)).toEqual({ epoch: LEGACY_EPOCH, nextSendSeq: 4, delivered: 2, acked: 3 });
    expect(await storage.listOutbox()).toEqual([{ peer, seq: 3, message: { ...oldChat, epoch: LEGACY_EPOCH }, createdAt: 0 }]);
    expect(await storage.listBuddies()).toEqual([buddy]);
  });

  it('skips a corrupt record on read without deleting anything', async () => {
    const backend = new MemoryBackend();
    const storage = new RecordStorage(backend);
    await storage.putBuddy(buddy);
    await backend.set(`buddy/${'34'.repeat(16)}`, { garbage: true });
    expect(await storage.listBuddies()).toEqual([buddy]);
    expect(await backend.valuesWithPrefix('buddy/')).toHaveLength(2);
  });

  it('stores history idempotently per (peer, direction, seq)', async () => {
    const storage = new RecordStorage(new MemoryBackend());
    const entry = { peer, direction: 'in' as const, seq: 1, text: 'hi', sentAt: 10 };
    await storage.putHistory(entry);
    await storage.putHistory(entry);
    await storage.putHistory({ ...entry, direction: 'out' });
    expect(await storage.listHistory(peer)).toHaveLength(2);
  });

  it('is not changed by mutating what was stored or read', async () => {
    const storage = new RecordStorage(new MemoryBackend());
    const record = { ...buddy };
    await storage.putBuddy(record);
    record.name = 'Mallory';
    (await storage.listBuddies())[0].name = 'Eve';
    expect((await storage.listBuddies())[0].name).toBe('Bob');
  });
});
