import { DEFAULT_PREFERENCES } from '../../ui/messenger-port.js';
import { describe, expect, it } from 'vitest';
import { MemoryBackend, memoryStorage, RecordStorage, type BuddyRecord, type ImStorage } from '../../im/storage.js';
import { generateIdentity, storeIdentity } from '../../overlay/identity.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Preferences, Profile } from '../../ui/messenger-port.js';
import type { ProfileStore } from '../profile-store.js';
import { BACKUP_LIMITS, BackupError, type BackupProblem, type Payload } from './format.js';
import { openBackup, sealBackup } from './sealing.js';
import { restoreSnapshot, takeSnapshot, type AppRecords } from './snapshot.js';

// Fast scrypt for most cases (the import accepts N >= 2^14); one round trip uses the export cost.
const FAST = { scrypt: { N: 2 ** 14, r: 8, p: 1 } };
const PASS = 'correct horse battery staple';
const EPOCH = 'ab'.repeat(16);

function memoryProfileStore(): ProfileStore & { saved?: Profile; preferences: Preferences } {
  const store: ProfileStore & { saved?: Profile; preferences: Preferences } = {
    preferences: DEFAULT_PREFERENCES,
    load: async () => store.saved,
    save: async (profile) => void (store.saved = profile),
    loadPreferences: async () => store.preferences,
    savePreferences: async (preferences) => void (store.preferences = preferences),
  };
  return store;
}

function buddy(name: string, status: BuddyRecord['status'] = 'accepted'): BuddyRecord {
  const key = generateIdentity();
  return { uid: key.id, publicKey: bytesToHex(key.publicKey), name, status, lastNoticeAt: 3, addedAt: 1, epoch: EPOCH.slice(0, 16), peerEpoch: EPOCH.slice(16) };
}

/** A used profile: identity, names, two buddies, a conversation with counters, history and outbox. */
async function usedStorage(): Promise<{ storage: ImStorage; bob: BuddyRecord; profile: Profile; app: AppRecords }> {
  const storage = memoryStorage();
  await storage.putIdentity(storeIdentity(generateIdentity()));
  await storage.putProfile({ name: 'Åsa', keywords: [] });
  const bob = buddy('Bob');
  await storage.putBuddy(bob);
  await storage.putBuddy(buddy('Carol', 'incoming'));
  await storage.putCounters(bob.uid, { epoch: EPOCH, nextSendSeq: 4, delivered: 2, acked: 2 });
  await storage.putHistory({ peer: bob.uid, direction: 'out', seq: 1, text: 'hej', sentAt: 10 });
  await storage.putHistory({ peer: bob.uid, direction: 'in', seq: 1, text: 'hi\nthere', sentAt: 11 });
  const message = { t: 'im.chat' as const, from: bob.uid, to: bob.uid, seq: 3, epoch: EPOCH, nonce: '00'.repeat(12), ct: 'ff'.repeat(20), sig: '11'.repeat(64) };
  await storage.putOutbox({ peer: bob.uid, seq: 3, message, createdAt: 12 });
  const profile: Profile = { fields: { name: 'Åsa', city: 'Umeå' }, published: ['name'] };
  // The settings the user chose in Settings (notificationsAsked is this browser's own).
  const preferences: Preferences = { directLinks: false, notificationSound: true, notificationsAsked: true };
  return { storage, bob, profile, app: { profile, preferences } };
}

/** The IM store of a browser profile, which the app empties with IndexedDB's clear(). */
class WipeableBackend extends MemoryBackend {
  private inner = new MemoryBackend();
  clears = 0;
  clear() {
    this.inner = new MemoryBackend();
    this.clears++;
  }
  override get(key: string) { return this.inner.get(key); }
  override set(key: string, value: unknown) { return this.inner.set(key, value); }
  override delete(key: string) { return this.inner.delete(key); }
  override valuesWithPrefix(prefix: string) { return this.inner.valuesWithPrefix(prefix); }
}

async function problem(promise: Promise<unknown>): Promise<BackupProblem | 'no error'> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    if (error instanceof BackupError) return error.problem;
    throw error; // anything else is a crash the UI would not word
  }
}

async function sealedUsed() {
  const { storage, app } = await usedStorage();
  const payload = await takeSnapshot(storage, app, 1_000);
  return { payload, file: await sealBackup(payload, PASS, FAST) };
}

describe('identity backup', () => {
  it('round-trips identity, profiles, settings, buddies, counters, history and outbox into a fresh browser, at the export cost', async () => {
    const { storage, bob, profile, app } = await usedStorage();
    const file = await sealBackup(await takeSnapshot(storage, app, 1_000), PASS);
    expect(file).not.toContain('Åsa'); // sealed: no names, keys or texts in the clear
    expect(file).not.toContain(bob.uid);
    const target = { storage: memoryStorage(), wipe: async () => {}, profileStore: memoryProfileStore() };
    await restoreSnapshot(await openBackup(file, PASS), target);
    expect(await target.storage.getIdentity()).toEqual(await storage.getIdentity());
    expect(await target.storage.getProfile()).toEqual({ name: 'Åsa', keywords: [] });
    expect(target.profileStore.saved).toEqual(profile);
    expect(target.profileStore.preferences).toEqual({ directLinks: false, notificationSound: true, notificationsAsked: false });
    expect(await target.storage.listBuddies()).toEqual(await storage.listBuddies());
    // Marked restored: nothing goes to bob before he says where the conversation stands (src/im/resync.ts).
    expect(await target.storage.getCounters(bob.uid)).toEqual({ epoch: EPOCH, nextSendSeq: 4, delivered: 2, acked: 2, fromBackup: 4 });
    expect(await target.storage.listHistory(bob.uid)).toEqual(await storage.listHistory(bob.uid));
    expect(await target.storage.listOutbox()).toEqual(await storage.listOutbox());
  }, 30_000);

  it('refuses a wrong passphrase with its reason', async () => {
    const { file } = await sealedUsed();
    expect(await problem(openBackup(file, 'correct horse battery stapler'))).toBe('wrong passphrase or damaged file');
  });

  it('refuses a tampered file: a changed ciphertext byte, or a header edited to other valid parameters', async () => {
    const { file } = await sealedUsed();
    const envelope = JSON.parse(file);
    const flipped = envelope.ciphertext[40] === 'A' ? 'B' : 'A';
    const bodyEdited = JSON.stringify({ ...envelope, ciphertext: envelope.ciphertext.slice(0, 40) + flipped + envelope.ciphertext.slice(41) });
    expect(await problem(openBackup(bodyEdited, PASS))).toBe('wrong passphrase or damaged file');
    const headerEdited = JSON.stringify({ ...envelope, kdf: { ...envelope.kdf, p: 2 } });
    expect(await problem(openBackup(headerEdited, PASS))).toBe('wrong passphrase or damaged file');
    const truncated = JSON.stringify({ ...envelope, ciphertext: envelope.ciphertext.slice(0, 24) });
    expect(await problem(openBackup(truncated, PASS))).toBe('wrong passphrase or damaged file');
  });

  it('refuses an oversized file before parsing it, and oversized contents inside a valid seal', async () => {
    expect(await problem(openBackup('{' + ' '.repeat(BACKUP_LIMITS.maxFileBytes), PASS))).toBe('too large');
    const { payload } = await sealedUsed();
    const many = Array.from({ length: BACKUP_LIMITS.maxOutboxEntries + 1 }, () => payload.outbox[0]);
    const stuffed = await sealBackup({ ...payload, outbox: many }, PASS, FAST);
    expect(await problem(openBackup(stuffed, PASS))).toBe('invalid contents');
  });

  it('words every other bad file: not JSON, someone else\'s JSON, a newer version, costs out of bounds, bad base64', async () => {
    const { file } = await sealedUsed();
    const envelope = JSON.parse(file);
    expect(await problem(openBackup('not json at all', PASS))).toBe('not a backup');
    expect(await problem(openBackup('{"format":"dima-buddies","version":1,"buddies":[]}', PASS))).toBe('not a backup');
    expect(await problem(openBackup('null', PASS))).toBe('not a backup');
    expect(await problem(openBackup(JSON.stringify({ ...envelope, version: 2 }), PASS))).toBe('unsupported version');
    // 2^30 would be 1 GiB of scrypt memory: refused before any work is done.
    expect(await problem(openBackup(JSON.stringify({ ...envelope, kdf: { ...envelope.kdf, N: 2 ** 30 } }), PASS))).toBe('not a backup');
    expect(await problem(openBackup(JSON.stringify({ ...envelope, kdf: { ...envelope.kdf, N: 2 ** 18, r: 16 } }), PASS))).toBe('not a backup');
    expect(await problem(openBackup(JSON.stringify({ ...envelope, cipher: { ...envelope.cipher, iv: '!!!!' } }), PASS))).toBe('not a backup');
    expect(await problem(openBackup(JSON.stringify({ ...envelope, extra: 1 }), PASS))).toBe('not a backup');
  });

  it('refuses contents whose keys do not belong to their uids, or records of people who are not buddies', async () => {
    const { payload } = await sealedUsed();
    const stranger = buddy('Eve');
    const cases: Payload[] = [
      { ...payload, uid: stranger.uid },
      { ...payload, buddies: [{ ...payload.buddies[0], publicKey: stranger.publicKey }, ...payload.buddies.slice(1)] },
      { ...payload, history: [...payload.history, { ...payload.history[0], peer: stranger.uid }] },
    ];
    for (const hostile of cases) {
      const target = { storage: memoryStorage(), wipe: async () => {}, profileStore: memoryProfileStore() };
      const opened = await openBackup(await sealBackup(hostile, PASS, FAST), PASS);
      expect(await problem(restoreSnapshot(opened, target))).toBe('invalid contents');
      expect(await target.storage.getIdentity()).toBeUndefined(); // nothing half-restored
    }
  });

  it('restores a file made before settings were backed up, keeping this browser\'s settings, and refuses a settings record out of schema', async () => {
    const { payload } = await sealedUsed();
    const { preferences: _, ...old } = payload;
    const target = { storage: memoryStorage(), wipe: async () => {}, profileStore: memoryProfileStore() };
    await restoreSnapshot(await openBackup(await sealBackup(old, PASS, FAST), PASS), target);
    expect((await target.storage.getIdentity())?.secretKey).toBe(payload.identity.secretKey);
    expect(target.profileStore.preferences).toEqual(DEFAULT_PREFERENCES);
    for (const preferences of [{ directLinks: 'no', notificationSound: true }, { directLinks: true, notificationSound: true, theme: 'x'.repeat(100) }]) {
      const file = await sealBackup({ ...payload, preferences } as unknown as Payload, PASS, FAST);
      expect(await problem(openBackup(file, PASS))).toBe('invalid contents');
    }
  });

  it('refuses a short passphrase at export', async () => {
    const { payload } = await sealedUsed();
    expect(await problem(sealBackup(payload, 'short', FAST))).toBe('passphrase too short');
  });

  it('replaces a fresh, unused key (a first visit) but never an identity with buddies', async () => {
    const { payload } = await sealedUsed();
    const backend = new WipeableBackend();
    const fresh = new RecordStorage(backend);
    await fresh.putIdentity(storeIdentity(generateIdentity()));
    await restoreSnapshot(payload, { storage: fresh, wipe: async () => backend.clear(), profileStore: memoryProfileStore() });
    expect(backend.clears).toBe(1);
    expect((await fresh.getIdentity())?.secretKey).toBe(payload.identity.secretKey);
    expect(await fresh.listBuddies()).toHaveLength(2);

    const { storage: busy } = await usedStorage();
    const before = await busy.getIdentity();
    const busyTarget = { storage: busy, wipe: async () => { throw new Error('must not wipe'); }, profileStore: memoryProfileStore() };
    expect(await problem(restoreSnapshot(payload, busyTarget))).toBe('another identity is here');
    expect(await busy.getIdentity()).toEqual(before);
  });
});
