// Every IM message on the wire: one typed definition and one validator each. Routed bodies are
// untrusted: decodeImMessage returns undefined for anything malformed (the caller counts the drop),
// and never throws.

import * as v from 'valibot';
import type { NodeId } from '../overlay/id.js';
import { MAIL_BATCH, MAX_NAME_CHARS, MAX_TEXT_CHARS } from './config.js';
import { EPOCH_HEX, EPOCH_NONCE_BYTES } from './epoch.js';

export const hex = (length: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${length}}$`)));
/** A uid (= nodeId) as 32 lowercase hex characters. */
export const uid = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/), v.transform((s) => s as NodeId));
const seq = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
const counter = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const signature = hex(128);
export const publicKey = hex(64);
// UTF-8 is at most 4 bytes a character; JSON wrapping and the 16-byte GCM tag add a little.
const MAX_CIPHERTEXT_HEX = 2 * (MAX_TEXT_CHARS * 4 + 128 + 16);
const ciphertext = v.pipe(v.string(), v.maxLength(MAX_CIPHERTEXT_HEX), v.regex(/^(?:[0-9a-f]{2})+$/));
/** Which life of the buddy relationship a chat or receipt belongs to (epoch.ts). */
export const epoch = hex(EPOCH_HEX);
/** One side's half of an epoch, in its request / accept notice. */
const epochNonce = hex(2 * EPOCH_NONCE_BYTES);
/** A presence session: random per start of a messenger. */
const session = hex(16);

/**
 * A message from one person to another, signed by `from`: type tag, both uids, the message's own
 * fields, and the signature last. Keys keep that order in the parsed output (chat.ts digests it).
 */
function signedBetween<T extends string, F extends v.ObjectEntries>(t: T, fields: F) {
  return v.strictObject({ t: v.literal(t), from: uid, to: uid, ...fields, sig: signature });
}

/** An end-to-end encrypted chat message, routed to key = recipient uid. */
export const ChatMessage = signedBetween('im.chat', { seq, epoch, nonce: hex(24), ct: ciphertext });
export type ChatMessage = v.InferOutput<typeof ChatMessage>;

/**
 * `from` (the recipient of the chat) has shown every message of `to` up to seq `ack` (cumulative)
 * in the conversation `epoch`, signed by `from`.
 */
export const Receipt = signedBetween('im.receipt', { epoch, ack: counter });
export type Receipt = v.InferOutput<typeof Receipt>;

/** A fresh random value per resync request, echoed by its answer. */
const challenge = hex(32);

/**
 * `from` thinks its counters of the conversation `epoch` may be behind (a restored backup): it asks
 * `to` where the conversation stands. `challenge` is fresh per request, so the answer is too.
 * ResyncState answers it, echoing the challenge: `from` (the answerer) has shown `to`'s messages up
 * to seq `shown`, and `to` has acknowledged `from`'s up to `settled` (`from` never resends those).
 */
export const ResyncRequest = signedBetween('im.resync', { epoch, challenge });
export type ResyncRequest = v.InferOutput<typeof ResyncRequest>;
export const ResyncState = signedBetween('im.resyncState', { epoch, challenge, shown: counter, settled: counter });
export type ResyncState = v.InferOutput<typeof ResyncState>;

/** The root of a uid key answers this when its own id is not that uid (the buddy is offline). */
export const NotOnline = v.strictObject({
  t: v.literal('im.notOnline'),
  key: uid,
});
export type NotOnline = v.InferOutput<typeof NotOnline>;

/**
 * Soft-state presence between buddies. `session` is fresh per start of the sender and `tick` grows
 * within it; `echo` is the recipient's session as the sender last heard it. Only a presence echoing
 * the recipient's current session can be news (it was signed after that session began); any other
 * is answered with our own presence, which echoes the sender's, and changes nothing
 * (presence-protocol.ts).
 */
export const Presence = signedBetween('im.presence', {
  state: v.picklist(['online', 'alive', 'offline']),
  session,
  tick: counter,
  echo: session,
});
export type Presence = v.InferOutput<typeof Presence>;
export type PresenceState = Presence['state'];

/** Buddy list changes; they carry the sender's public key so the peer can check it against `from`. */
export const BuddyNotice = signedBetween('im.buddy', {
  kind: v.picklist(['request', 'accept', 'decline', 'remove']),
  publicKey,
  name: v.pipe(v.string(), v.maxLength(MAX_NAME_CHARS)),
  /** The sender's nonce for this relationship (its half of the conversation epoch). */
  epoch: epochNonce,
  /** Sender's clock; a notice not newer than the last one seen from that uid is a replay. */
  at: counter,
});
export type BuddyNotice = v.InferOutput<typeof BuddyNotice>;
export type BuddyNoticeKind = BuddyNotice['kind'];

/** A buddy notice reached its addressee (the reply to a BuddyNotice request). */
const NoticeTaken = v.strictObject({
  t: v.literal('im.noticeTaken'),
});
export type NoticeTaken = v.InferOutput<typeof NoticeTaken>;

// ---- mail for the offline (mailbox.ts) ----------------------------------------------------------

/** A chat or receipt as its signer sent it, with the signer's public key so any holder can check it. */
export const MailItem = v.strictObject({
  body: v.variant('t', [ChatMessage, Receipt]),
  publicKey,
});
export type MailItem = v.InferOutput<typeof MailItem>;
/** A mail item's digest: SHA-256 of its signature (every field of a chat or receipt is signed). */
const mailDigest = hex(64);

/** Routed to key = the recipient uid when it is offline: its root keeps it and copies it to the holders. */
export const MailPut = v.strictObject({ t: v.literal('mail.put'), item: MailItem });
export type MailPut = v.InferOutput<typeof MailPut>;
/** A holder took the item (the answer to a MailPut). */
const MailStored = v.strictObject({ t: v.literal('mail.stored') });
/** Sent directly: replicas to holders, or the recipient's own items handed over to it. */
export const MailCopies = v.strictObject({ t: v.literal('mail.copies'), items: v.pipe(v.array(MailItem), v.maxLength(MAIL_BATCH)) });
export type MailCopies = v.InferOutput<typeof MailCopies>;
/** The recipient has these items and asks the holders to delete them; signed, so no stranger can. */
export const MailAck = v.strictObject({
  t: v.literal('mail.ack'),
  owner: uid,
  publicKey,
  digests: v.pipe(v.array(mailDigest), v.minLength(1), v.maxLength(MAIL_BATCH)),
  sig: signature,
});
export type MailAck = v.InferOutput<typeof MailAck>;

const ImMessage = v.variant('t', [ChatMessage, Receipt, ResyncRequest, ResyncState, NotOnline, Presence, BuddyNotice, NoticeTaken, MailPut, MailStored, MailCopies, MailAck]);
export type ImMessage = v.InferOutput<typeof ImMessage>;

export function decodeImMessage(body: unknown): ImMessage | undefined {
  const result = v.safeParse(ImMessage, body);
  return result.success ? result.output : undefined;
}
