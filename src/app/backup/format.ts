// The identity backup file: what it holds, its bounds, and the one valibot schema of each layer.
//
// A backup is a small JSON envelope (readable: a user can see what the file is) around one AES-GCM
// ciphertext. The key comes from the passphrase through scrypt with the parameters the envelope
// names; the envelope's header is the cipher's additional data, so changing a parameter, the salt
// or the version fails decryption like a wrong passphrase does. Inside is the payload: everything a
// new browser needs to be the same uid and carry on (identity, profiles, settings, buddies with
// their conversation epochs and counters, recent history, the outbox).
//
// A file is input from anywhere (a download folder, a chat attachment): every field is bounded and
// checked, and a file outside the bounds is refused with a fixed reason, never half-restored.

import * as v from 'valibot';
import { PROFILE_FIELDS } from '../../ui/messenger-port.js';
import { BuddyRecord, ConversationCounters, HistoryEntry, OutboxEntry, Profile as ImProfile, StoredIdentity } from '../../im/storage.js';
import { uid } from '../../im/wire.js';

export const BACKUP_LIMITS = {
  /** The whole file (envelope text); checked before it is read into a string. */
  maxFileBytes: 16 * 1024 * 1024,
  /** Buddy records (accepted, pending, blocked, tombstones). */
  maxBuddies: 2_000,
  /** Newest history entries kept in a backup; older ones stay only in the old browser. */
  maxHistoryEntries: 5_000,
  /** History bytes (JSON) in a backup: a 2,000-character message is ~2 KiB, so ~5 MiB. */
  maxHistoryBytes: 5 * 1024 * 1024,
  maxOutboxEntries: 1_000,
  /** Passphrases shorter than this are refused at export: the file may end up anywhere. */
  minPassphraseChars: 10,
  maxPassphraseChars: 1_024,
} as const;

/**
 * scrypt cost. Export uses N = 2^17, r = 8, p = 1 (128 MiB, ~1 s on a laptop, a few on a phone: the
 * OWASP floor for scrypt). Import accepts a bounded range, so a hostile file cannot make a phone
 * allocate more than 256 MiB (128 * N * r bytes) or work for minutes (p <= 2).
 */
export const SCRYPT_EXPORT = { N: 2 ** 17, r: 8, p: 1 } as const;
export const SCRYPT_BOUNDS = { minLogN: 14, maxLogN: 18, maxR: 16, maxP: 2, maxMemoryBytes: 256 * 1024 * 1024 } as const;
export const SALT_BYTES = 16;
export const IV_BYTES = 12;

const base64 = (maxChars: number) => v.pipe(v.string(), v.maxLength(maxChars), v.regex(/^[A-Za-z0-9+/]*={0,2}$/));
const powerOfTwo = v.pipe(
  v.number(), v.integer(),
  v.check((n) => Number.isInteger(Math.log2(n)) && Math.log2(n) >= SCRYPT_BOUNDS.minLogN && Math.log2(n) <= SCRYPT_BOUNDS.maxLogN, 'scrypt N out of bounds'),
);

export const Envelope = v.strictObject({
  format: v.literal('dima-identity-backup'),
  version: v.literal(1),
  kdf: v.pipe(v.strictObject({
    name: v.literal('scrypt'),
    N: powerOfTwo,
    r: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(SCRYPT_BOUNDS.maxR)),
    p: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(SCRYPT_BOUNDS.maxP)),
    salt: base64(Math.ceil(SALT_BYTES / 3) * 4),
  }), v.check((k) => 128 * k.N * k.r <= SCRYPT_BOUNDS.maxMemoryBytes, 'scrypt memory out of bounds')),
  cipher: v.strictObject({ name: v.literal('AES-GCM'), iv: base64(Math.ceil(IV_BYTES / 3) * 4) }),
  ciphertext: base64(BACKUP_LIMITS.maxFileBytes),
});
export type Envelope = v.InferOutput<typeof Envelope>;

/** The app's profile (src/app/profile-store.ts): every field as typed, and which are published. */
const profileText = v.optional(v.pipe(v.string(), v.maxLength(256)));
/** The app's profile (src/app/profile-store.ts): every field as typed, and which are published. */
const AppProfile = v.strictObject({
  fields: v.strictObject({ name: profileText, nickname: profileText, city: profileText, email: profileText, words: profileText }),
  published: v.pipe(v.array(v.picklist(PROFILE_FIELDS)), v.maxLength(PROFILE_FIELDS.length)),
});

/** The settings a user chose (ui/messenger-port.ts Preferences) that belong to the person, not the browser. */
const BackupPreferences = v.strictObject({ directLinks: v.boolean(), notificationSound: v.boolean() });
type BackupPreferences = v.InferOutput<typeof BackupPreferences>;

export const Payload = v.strictObject({
  format: v.literal('dima-identity'),
  version: v.literal(1),
  /** When the backup was made (ms since the epoch): shown before restoring. */
  createdAt: v.pipe(v.number(), v.finite(), v.minValue(0)),
  uid,
  identity: StoredIdentity,
  imProfile: v.optional(ImProfile),
  appProfile: v.optional(AppProfile),
  /** Absent in files made before settings were backed up: those restore with this browser's. */
  preferences: v.optional(BackupPreferences),
  buddies: v.pipe(v.array(BuddyRecord), v.maxLength(BACKUP_LIMITS.maxBuddies)),
  counters: v.pipe(v.array(v.strictObject({ peer: uid, counters: ConversationCounters })), v.maxLength(BACKUP_LIMITS.maxBuddies)),
  history: v.pipe(v.array(HistoryEntry), v.maxLength(BACKUP_LIMITS.maxHistoryEntries)),
  outbox: v.pipe(v.array(OutboxEntry), v.maxLength(BACKUP_LIMITS.maxOutboxEntries)),
});
export type Payload = v.InferOutput<typeof Payload>;

/** Why a backup could not be made or read: fixed reasons (the UI words each, tests match them). */
export type BackupProblem =
  | 'too large'
  | 'not a backup'
  | 'unsupported version'
  | 'wrong passphrase or damaged file'
  | 'invalid contents'
  | 'passphrase too short'
  | 'passphrase too long'
  | 'another identity is here';

export class BackupError extends Error {
  constructor(readonly problem: BackupProblem, detail?: string) {
    super(detail ? `${MESSAGES[problem]} (${detail})` : MESSAGES[problem]);
    this.name = 'BackupError';
  }
}

const MESSAGES: Record<BackupProblem, string> = {
  'too large': `This file is larger than any DIMA backup can be (${BACKUP_LIMITS.maxFileBytes / 1024 / 1024} MiB).`,
  'not a backup': 'This is not a DIMA identity backup.',
  'unsupported version': 'This backup was made by a newer DIMA: update the app to restore it.',
  'wrong passphrase or damaged file': 'Wrong passphrase, or the file was changed or damaged.',
  'invalid contents': 'The backup decrypted, but its contents are not valid.',
  'passphrase too short': `Choose a passphrase of at least ${BACKUP_LIMITS.minPassphraseChars} characters.`,
  'passphrase too long': `A passphrase has at most ${BACKUP_LIMITS.maxPassphraseChars} characters.`,
  'another identity is here': 'This browser already holds another identity with buddies or messages. Restore into a fresh browser profile.',
};
