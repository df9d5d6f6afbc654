// A seed's announcement: "the node with this uid introduces new nodes at this URL until expiresAt",
// signed with the key behind the uid (like a SCAN directory record, src/scan/records.ts), so nobody
// can announce a seed under another node's name, and soft state: it lapses unless re-announced.
//
// One schema and one validator serve every edge: the root, its replicas and the tab that looks up.

import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import * as v from 'valibot';
import { idFromPublicKey, isNodeId, type NodeId } from '../overlay/id.js';
import { verifySignature, type Identity } from '../overlay/identity.js';
import { APP_CONFIG, validSeedUrl } from './config.js';

export const SEED_LIMITS = {
  /** A record's JSON, at most (a URL of maxSeedUrlChars plus keys and signature fit well inside). */
  encodedBytes: 1_024,
  /** A record may not claim to live longer than this past `now`. */
  maxTtlMs: 60 * 60_000,
} as const;

const SIGNING_DOMAIN = 'dima/seed/v1';

const hex = (bytes: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`)));
const schema = v.strictObject({
  v: v.literal(1),
  url: v.pipe(v.string(), v.maxLength(APP_CONFIG.maxSeedUrlChars)),
  uid: v.custom<NodeId>(isNodeId),
  publicKey: hex(32),
  expiresAt: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  signature: hex(64),
});

export type SeedRecord = v.InferOutput<typeof schema>;
export type SeedRejectReason = 'malformed' | 'oversized' | 'bad-url' | 'expired' | 'expiry-too-far' | 'forged';
export type SeedValidation = { ok: true; record: SeedRecord } | { ok: false; reason: SeedRejectReason };

function canonicalBytes(record: Omit<SeedRecord, 'signature'>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([SIGNING_DOMAIN, record.v, record.url, record.uid, record.publicKey, record.expiresAt]));
}

export function signSeed(identity: Identity, url: string, expiresAt: number): SeedRecord {
  const unsigned = { v: 1 as const, url, uid: identity.id, publicKey: bytesToHex(identity.publicKey), expiresAt };
  return { ...unsigned, signature: bytesToHex(identity.sign(canonicalBytes(unsigned))) };
}

function encodedSize(raw: unknown): number {
  try {
    return JSON.stringify(raw)?.length ?? Infinity;
  } catch {
    return Infinity;
  }
}

/** Accepts a record only if well formed, small, unexpired, for a ws(s) URL and signed by its uid's key. */
export function validateSeed(raw: unknown, now: number, verify = verifySignature): SeedValidation {
  if (encodedSize(raw) > SEED_LIMITS.encodedBytes) return { ok: false, reason: 'oversized' };
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const record = parsed.output;
  if (validSeedUrl(record.url) !== record.url) return { ok: false, reason: 'bad-url' };
  if (record.expiresAt <= now) return { ok: false, reason: 'expired' };
  if (record.expiresAt > now + SEED_LIMITS.maxTtlMs) return { ok: false, reason: 'expiry-too-far' };
  if (idFromPublicKey(hexToBytes(record.publicKey)) !== record.uid) return { ok: false, reason: 'forged' };
  if (!verify(hexToBytes(record.publicKey), canonicalBytes(record), hexToBytes(record.signature))) return { ok: false, reason: 'forged' };
  return { ok: true, record };
}
