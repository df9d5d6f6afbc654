// What a backup holds, taken from and put back into the stores: the IM records (identity, profile,
// buddies with their epochs, conversation counters, history, outbox), the app's profile and the
// settings the user chose (not "notifications asked": each browser asks for its own permission).
//
// Restoring the epochs and counters is what lets chats continue: the buddies still hold the same
// conversation (same epoch). A backup older than the last messages of the old browser is behind
// them, so every conversation is marked restored: it sends nothing until the buddy has said where
// it stands, then carries on after that (src/im/resync.ts, docs/ARCHITECTURE.md).

import { publicKeyMatchesUid } from '../../im/crypto.js';
import { markRestored } from '../../im/resync.js';
import type { ImStorage } from '../../im/storage.js';
import { loadIdentity } from '../../overlay/identity.js';
import type { Preferences, Profile as AppProfile } from '../../ui/messenger-port.js';
import type { ProfileStore } from '../profile-store.js';
import { BACKUP_LIMITS, BackupError, type Payload } from './format.js';

/** What the app keeps besides the IM records (src/app/profile-store.ts). */
export interface AppRecords {
  profile: AppProfile | undefined;
  preferences: Preferences;
}

export async function takeSnapshot(storage: ImStorage, app: AppRecords, now: number): Promise<Payload> {
  const { profile: appProfile, preferences } = app;
  const identity = await storage.getIdentity();
  if (!identity) throw new Error('no identity to back up');
  const buddies = (await storage.listBuddies()).slice(0, BACKUP_LIMITS.maxBuddies);
  const counters: Payload['counters'] = [];
  const history: Payload['history'] = [];
  for (const buddy of buddies) {
    counters.push({ peer: buddy.uid, counters: await storage.getCounters(buddy.uid) });
    history.push(...(await storage.listHistory(buddy.uid)));
  }
  return {
    format: 'dima-identity',
    version: 1,
    createdAt: now,
    uid: loadIdentity(identity).id,
    identity,
    imProfile: await storage.getProfile(),
    appProfile: appProfile && { fields: { ...appProfile.fields }, published: [...appProfile.published] },
    preferences: { directLinks: preferences.directLinks, notificationSound: preferences.notificationSound },
    buddies,
    counters,
    history: newestWithin(history),
    outbox: (await storage.listOutbox()).slice(0, BACKUP_LIMITS.maxOutboxEntries),
  };
}

/** The newest history entries within the entry and byte bounds, oldest first as stored. */
function newestWithin(entries: Payload['history']): Payload['history'] {
  const newestFirst = [...entries].sort((a, b) => b.sentAt - a.sentAt || b.seq - a.seq);
  const kept: Payload['history'] = [];
  let bytes = 0;
  for (const entry of newestFirst) {
    bytes += JSON.stringify(entry).length;
    if (kept.length >= BACKUP_LIMITS.maxHistoryEntries || bytes > BACKUP_LIMITS.maxHistoryBytes) break;
    kept.push(entry);
  }
  return kept.reverse();
}

/** Checks what the schema cannot: keys belong to their uids, and every record to a buddy in the file. */
function checkConsistent(payload: Payload): void {
  let uid: string;
  try {
    uid = loadIdentity(payload.identity).id;
  } catch {
    throw new BackupError('invalid contents', 'identity key');
  }
  if (uid !== payload.uid) throw new BackupError('invalid contents', 'identity does not match its uid');
  const buddies = new Set<string>();
  for (const buddy of payload.buddies) {
    if (buddies.has(buddy.uid) || buddy.uid === uid || !publicKeyMatchesUid(buddy.uid, buddy.publicKey)) {
      throw new BackupError('invalid contents', `buddy ${buddy.uid}`);
    }
    buddies.add(buddy.uid);
  }
  const strangers = [...payload.counters, ...payload.history, ...payload.outbox].filter((r) => !buddies.has(r.peer));
  if (strangers.length > 0) throw new BackupError('invalid contents', `records of a non-buddy ${strangers[0].peer}`);
}

export interface RestoreTarget {
  storage: ImStorage;
  /** Empties the IM store (an identity is never overwritten in place: storage.ts). */
  wipe(): Promise<void>;
  profileStore: ProfileStore;
}

/**
 * Writes the backup into this browser's stores. Allowed only where nothing would be lost: no
 * identity yet, or one with no buddies and nothing queued (a first visit generated a key while the
 * user was onboarding), or this very identity before onboarding finished (a restore cut short).
 */
export async function restoreSnapshot(payload: Payload, target: RestoreTarget): Promise<void> {
  checkConsistent(payload);
  const { storage } = target;
  const existing = await storage.getIdentity();
  if (existing) {
    const inUse = (await storage.listBuddies()).some((b) => b.status !== 'gone') || (await storage.listOutbox()).length > 0;
    const unfinished = existing.secretKey === payload.identity.secretKey && (await target.profileStore.load()) === undefined;
    if (inUse && !unfinished) throw new BackupError('another identity is here');
    await target.wipe();
  }
  await storage.putIdentity(payload.identity);
  if (payload.imProfile) await storage.putProfile(payload.imProfile);
  for (const buddy of payload.buddies) await storage.putBuddy(buddy);
  for (const { peer, counters } of payload.counters) await storage.putCounters(peer, counters);
  for (const entry of payload.history) await storage.putHistory(entry);
  for (const entry of payload.outbox) await storage.putOutbox(entry);
  await markRestored(storage, payload.uid);
  if (payload.preferences) {
    await target.profileStore.savePreferences({ ...(await target.profileStore.loadPreferences()), ...payload.preferences });
  }
  // Last: a stored app profile is what tells boot that onboarding is done, so a restore cut short
  // shows onboarding again (and may be redone, above).
  const appProfile = payload.appProfile ?? (payload.imProfile && { fields: { name: payload.imProfile.name }, published: ['name' as const] });
  if (appProfile) await target.profileStore.save(appProfile);
}
