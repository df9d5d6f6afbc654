// Directory records: what a user publishes about themself, signed with the key behind their uid.
//
// docs/DESIGN.md: nobody can publish a profile for someone else's uid. A record names its uid and public
// key, and uid must equal idFromPublicKey(publicKey); the Ed25519 signature covers a canonical
// encoding of everything else. A "delete" record (tombstone) is signed the same way: it carries the
// keywords it withdraws and a sequence number above the profile it replaces.
//
// One typed definition (the valibot schema) and one validator (validateRecord) serve every edge:
// the store at the root, replicas, handover and the searching client all call validateRecord.

import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import * as v from 'valibot';
import { idFromPublicKey, isNodeId, type NodeId } from '../overlay/id.js';
import { verifySignature, type Identity } from '../overlay/identity.js';
import { isKeyword, normalizeWord, tokenize, type Keyword } from './normalize.js';

/** Caps on what one record may hold; the store's memory bound follows from them. */
export const RECORD_LIMITS = {
  fieldChars: 64,
  freeWords: 8,
  keywords: 16,
  encodedBytes: 2_048,
  /** A record may not claim to live longer than this past `now`: soft state must be refreshed. */
  maxTtlMs: 24 * 60 * 60_000,
} as const;

const SIGNING_DOMAIN = 'dima/scan/record/v1';

const hex = (bytes: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`)));
const text = v.string();
const schema = v.strictObject({
  v: v.literal(1),
  kind: v.picklist(['profile', 'delete']),
  uid: v.custom<NodeId>(isNodeId),
  publicKey: hex(32),
  fields: v.strictObject({
    name: v.optional(text),
    nickname: v.optional(text),
    city: v.optional(text),
    email: v.optional(text),
    words: v.optional(v.array(text)),
  }),
  keywords: v.array(v.custom<Keyword>(isKeyword)),
  seq: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  expiresAt: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  signature: v.optional(hex(64)),
});

export type SignedRecord = v.InferOutput<typeof schema> & { readonly signature: string };
/** What the owner chooses to publish. Everything here is public and searchable. */
export type ProfileFields = SignedRecord['fields'];
export type RecordKind = SignedRecord['kind'];

export type RejectReason =
  | 'malformed'
  | 'oversized'
  | 'unsigned'
  | 'forged'
  | 'expired'
  | 'expiry-too-far'
  | 'inconsistent-keywords';

export type Validation = { ok: true; record: SignedRecord } | { ok: false; reason: RejectReason };

export type SignatureVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** The keywords a profile is found by: words of name and city, the whole nickname and e-mail address (handles), free words. */
export function deriveKeywords(fields: ProfileFields): Keyword[] {
  const words = [
    ...tokenize(fields.name ?? ''),
    ...tokenize(fields.city ?? ''),
    normalizeWord(fields.nickname ?? ''),
    normalizeWord(fields.email ?? ''),
    ...(fields.words ?? []).flatMap(tokenize),
  ];
  return [...new Set(words.filter((word): word is Keyword => word !== undefined))];
}

function canonicalBytes(record: Omit<SignedRecord, 'signature'>): Uint8Array {
  const { name, nickname, city, email, words } = record.fields;
  // A fixed field order over a strict schema is canonical: nothing unsigned can ride along.
  const encoded = JSON.stringify([
    SIGNING_DOMAIN, record.v, record.kind, record.uid, record.publicKey,
    [name ?? null, nickname ?? null, city ?? null, email ?? null, words ?? null],
    record.keywords, record.seq, record.expiresAt,
  ]);
  return new TextEncoder().encode(encoded);
}

interface Validity {
  seq: number;
  expiresAt: number;
}

function sign(identity: Identity, unsigned: Omit<SignedRecord, 'signature'>): SignedRecord {
  return { ...unsigned, signature: bytesToHex(identity.sign(canonicalBytes(unsigned))) };
}

export function signProfile(identity: Identity, fields: ProfileFields, validity: Validity): SignedRecord {
  const unsigned = {
    v: 1 as const, kind: 'profile' as const, uid: identity.id, publicKey: bytesToHex(identity.publicKey),
    fields, keywords: deriveKeywords(fields), ...validity,
  };
  return sign(identity, unsigned);
}

/** A tombstone for `keywords`; `validity.expiresAt` must outlive the records it withdraws. */
export function signDeletion(identity: Identity, keywords: readonly Keyword[], validity: Validity): SignedRecord {
  const unsigned = {
    v: 1 as const, kind: 'delete' as const, uid: identity.id, publicKey: bytesToHex(identity.publicKey),
    fields: {}, keywords: [...keywords], ...validity,
  };
  return sign(identity, unsigned);
}

function exceedsCaps(record: v.InferOutput<typeof schema>): boolean {
  const { fields } = record;
  const texts = [fields.name, fields.nickname, fields.city, fields.email, ...(fields.words ?? [])];
  return (
    texts.some((field) => field !== undefined && field.length > RECORD_LIMITS.fieldChars) ||
    (fields.words?.length ?? 0) > RECORD_LIMITS.freeWords ||
    record.keywords.length > RECORD_LIMITS.keywords
  );
}

function encodedSize(raw: unknown): number {
  try {
    return JSON.stringify(raw)?.length ?? Infinity;
  } catch {
    return Infinity;
  }
}

function sameKeywords(a: readonly Keyword[], b: readonly Keyword[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

/**
 * Everything validateRecord checks except the signature: shape, caps, expiry, uid = hash(public key),
 * keywords. Lets a store skip the costly signature check for copies it would not keep anyway.
 */
export function checkRecord(raw: unknown, now: number): Validation {
  if (encodedSize(raw) > RECORD_LIMITS.encodedBytes) return { ok: false, reason: 'oversized' };
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const record = parsed.output;
  if (record.signature === undefined) return { ok: false, reason: 'unsigned' };
  if (exceedsCaps(record)) return { ok: false, reason: 'oversized' };
  if (record.expiresAt <= now) return { ok: false, reason: 'expired' };
  if (record.expiresAt > now + RECORD_LIMITS.maxTtlMs) return { ok: false, reason: 'expiry-too-far' };
  if (idFromPublicKey(hexToBytes(record.publicKey)) !== record.uid) return { ok: false, reason: 'forged' };
  const expected = record.kind === 'profile' ? deriveKeywords(record.fields) : record.keywords;
  if (record.keywords.length === 0 || !sameKeywords(record.keywords, expected)) {
    return { ok: false, reason: 'inconsistent-keywords' };
  }
  if (record.kind === 'delete' && Object.keys(record.fields).length > 0) return { ok: false, reason: 'malformed' };
  return { ok: true, record: record as SignedRecord };
}

/** The owner's signature over the record's canonical encoding. */
export function hasValidSignature(record: SignedRecord, verify: SignatureVerifier = verifySignature): boolean {
  return verify(hexToBytes(record.publicKey), canonicalBytes(record), hexToBytes(record.signature));
}

/**
 * Accepts a record from the wire only if it is well formed, within caps, unexpired, consistent and
 * signed by the key behind its uid. Cheap checks run first; the signature check last.
 */
export function validateRecord(raw: unknown, now: number, verify: SignatureVerifier = verifySignature): Validation {
  const checked = checkRecord(raw, now);
  if (checked.ok && !hasValidSignature(checked.record, verify)) return { ok: false, reason: 'forged' };
  return checked;
}

/**
 * A verifier that remembers valid (key, message, signature) triples. Ed25519 verification costs
 * milliseconds in JS (bench/results/directory-flood.md); a node re-receiving the same record (replicas, handover, re-publish) pays once.
 * The whole triple is the cache key, so a cached signature never vouches for another message.
 */
export function memoizedVerifier(capacity = 10_000, verify: SignatureVerifier = verifySignature): SignatureVerifier {
  const valid = new Set<string>();
  return (publicKey, message, signature) => {
    const key = `${bytesToHex(publicKey)}${bytesToHex(signature)}${new TextDecoder().decode(message)}`;
    if (valid.has(key)) return true;
    if (!verify(publicKey, message, signature)) return false;
    if (valid.size >= capacity) valid.delete(valid.values().next().value as string);
    valid.add(key);
    return true;
  };
}
