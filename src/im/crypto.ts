// End-to-end crypto for chats: who we are (Ed25519 identity), the per-conversation AES-GCM key,
// and signatures over every IM message.
//
// Key agreement: the X25519 key is DERIVED from the Ed25519 identity (birational map, as libsodium's
// crypto_sign_ed25519_pk_to_curve25519). The uid is SHA-256(Ed25519 public key), so a buddy's one
// public key is checked against their uid and nothing else needs publishing, signing or storing; a
// second published key would need its own signed binding to the uid and brings no forward secrecy
// by itself either. Static-static ECDH means no forward secrecy: a leaked identity key opens past
// traffic. A ratchet would fix that later without changing the envelope fields.

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { idFromPublicKey, type NodeId } from '../overlay/id.js';
import type { Random } from '../overlay/environment.js';
import { MAX_TEXT_CHARS } from './config.js';
import { LEGACY_EPOCH } from './epoch.js';
import { verifySignature, type Identity } from '../overlay/identity.js';

const DOMAIN = 'dima-im-v1';
const NONCE_BYTES = 12;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export type { Identity };

/** True when `publicKeyHex` is a valid Ed25519 key whose hash is `uid` (nobody can claim another's uid). */
export function publicKeyMatchesUid(uid: NodeId, publicKeyHex: string): boolean {
  try {
    const key = hexToBytes(publicKeyHex);
    return key.length === 32 && ed25519.utils.isValidPublicKey(key) && idFromPublicKey(key) === uid;
  } catch {
    return false;
  }
}

/**
 * Fields are joined with '|'. Every field is hex, a decimal integer, a fixed word, or (names)
 * hashed first, so no field can contain the separator and two different messages never sign
 * the same bytes. The type word separates message kinds.
 */
function canonical(fields: readonly (string | number)[]): Uint8Array<ArrayBuffer> {
  return utf8.encode([DOMAIN, ...fields].join('|'));
}

export function sign(identity: Identity, fields: readonly (string | number)[]): string {
  return bytesToHex(identity.sign(canonical(fields)));
}

export function verify(publicKeyHex: string, fields: readonly (string | number)[], signatureHex: string): boolean {
  try {
    return verifySignature(hexToBytes(publicKeyHex), canonical(fields), hexToBytes(signatureHex));
  } catch {
    return false; // not hex
  }
}

/** Free text inside a signed field: hashed, so separators in it cannot confuse the encoding. */
export function textDigest(text: string): string {
  return bytesToHex(sha256(utf8.encode(text)));
}

/** The AES-GCM-256 key both ends of the conversation {a, b} derive on their own. */
export async function deriveConversationKey(identity: Identity, peerPublicKeyHex: string): Promise<CryptoKey> {
  const peerPublic = hexToBytes(peerPublicKeyHex);
  // x25519 throws on small-order points (all-zero shared secret): a hostile key cannot force a known key.
  const shared = x25519.getSharedSecret(
    ed25519.utils.toMontgomerySecret(identity.secretKey),
    ed25519.utils.toMontgomery(peerPublic),
  );
  const uids = [identity.id, idFromPublicKey(peerPublic)].sort().join('|');
  const raw = hkdf(sha256, shared, utf8.encode(DOMAIN), utf8.encode(`conversation|${uids}`), 32);
  return globalThis.crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** Conversation keys cached per peer (ECDH + HKDF once per buddy, not per message). */
export class KeyRing {
  private readonly keys = new Map<NodeId, Promise<CryptoKey>>();

  constructor(private readonly identity: Identity) {}

  keyFor(peer: NodeId, peerPublicKeyHex: string): Promise<CryptoKey> {
    let key = this.keys.get(peer);
    if (!key) {
      key = deriveConversationKey(this.identity, peerPublicKeyHex);
      this.keys.set(peer, key);
      key.catch(() => this.keys.delete(peer));
    }
    return key;
  }

  forget(peer: NodeId): void {
    this.keys.delete(peer);
  }
}

/** What travels: routing fields in clear, everything else ciphertext, all of it signed. */
export interface SealedChat {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly seq: number;
  /** The conversation (epoch.ts): a chat of another life of the relationship never matches. */
  readonly epoch: string;
  readonly nonce: string;
  readonly ct: string;
  readonly sig: string;
}

/** The plaintext inside a chat envelope. */
export interface ChatPlaintext {
  readonly text: string;
  /** Sender's clock when written (display only; order comes from seq). */
  readonly sentAt: number;
}

/**
 * Signed and bound to the ciphertext (AES-GCM additional data). A legacy conversation's header is
 * the one from before epochs, so messages sealed then (still in an outbox) verify; a chat claiming
 * any other epoch signs it.
 */
function chatHeader(sealed: Omit<SealedChat, 'ct' | 'sig'>): (string | number)[] {
  const header = ['chat', sealed.from, sealed.to, sealed.seq, sealed.nonce];
  return sealed.epoch === LEGACY_EPOCH ? header : [...header, 'epoch', sealed.epoch];
}

export async function sealChat(
  identity: Identity,
  key: CryptoKey,
  to: NodeId,
  seq: number,
  plaintext: ChatPlaintext,
  random: Random,
  epoch: string,
): Promise<SealedChat> {
  const nonce = bytesToHex(random.bytes(NONCE_BYTES));
  const header = chatHeader({ from: identity.id, to, seq, epoch, nonce });
  const ciphertext = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: hexToBytes(nonce), additionalData: canonical(header) },
    key,
    utf8.encode(JSON.stringify(plaintext)),
  );
  const ct = bytesToHex(new Uint8Array(ciphertext));
  return { from: identity.id, to, seq, epoch, nonce, ct, sig: sign(identity, [...header, ct]) };
}

export type OpenResult =
  | { ok: true; plaintext: ChatPlaintext }
  | { ok: false; reason: 'wrong-recipient' | 'bad-signature' | 'bad-ciphertext' };

/** Recipient and signature: what must hold before a chat may change anything or be answered. */
export function checkChat(localUid: NodeId, senderPublicKeyHex: string, sealed: SealedChat): Extract<OpenResult, { ok: false }>['reason'] | 'ok' {
  if (sealed.to !== localUid) return 'wrong-recipient';
  if (!verify(senderPublicKeyHex, [...chatHeader(sealed), sealed.ct], sealed.sig)) return 'bad-signature';
  return 'ok';
}

/** Checks recipient and signature before spending time on decryption; never throws. */
export async function openChat(
  localUid: NodeId,
  key: CryptoKey,
  senderPublicKeyHex: string,
  sealed: SealedChat,
): Promise<OpenResult> {
  const checked = checkChat(localUid, senderPublicKeyHex, sealed);
  return checked === 'ok' ? decryptChat(key, sealed) : { ok: false, reason: checked };
}

/** Decrypts a chat whose signature checkChat accepted; never throws. */
export async function decryptChat(key: CryptoKey, sealed: SealedChat): Promise<OpenResult> {
  const header = chatHeader(sealed);
  try {
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: hexToBytes(sealed.nonce), additionalData: canonical(header) },
      key,
      hexToBytes(sealed.ct),
    );
    const parsed: unknown = JSON.parse(fromUtf8.decode(plain));
    if (!isChatPlaintext(parsed)) return { ok: false, reason: 'bad-ciphertext' };
    return { ok: true, plaintext: { text: parsed.text, sentAt: parsed.sentAt } };
  } catch {
    return { ok: false, reason: 'bad-ciphertext' };
  }
}

function isChatPlaintext(value: unknown): value is ChatPlaintext {
  if (typeof value !== 'object' || value === null) return false;
  const { text, sentAt } = value as Record<string, unknown>;
  return typeof text === 'string' && text.length <= MAX_TEXT_CHARS && typeof sentAt === 'number' && Number.isFinite(sentAt);
}

export { bytesToHex, hexToBytes };
