// Pastry identifiers: 128-bit numbers on a ring, written as 32 lowercase hex characters.
//
// Why hex strings and not bigints: ids are Map keys, wire fields and log output all the time, and
// with b = 4 one hex character is exactly one Pastry digit, so prefix work is string work. Ring
// arithmetic (distance, order around the ring) converts to bigint only where it is needed.

import { sha256 } from '@noble/hashes/sha2.js';

export const ID_BITS = 128;
const ID_HEX_LENGTH = ID_BITS / 4;
const RING = 1n << BigInt(ID_BITS);
const HALF_RING = RING >> 1n;

/** A 128-bit node id or key, as 32 lowercase hex characters. */
export type NodeId = string & { readonly __nodeId: unique symbol };

export function isNodeId(value: unknown): value is NodeId {
  if (typeof value !== 'string' || value.length !== ID_HEX_LENGTH) return false;
  // A char loop, not HEX_ID.test: every frame carries ids and the regex showed in simulator profiles.
  for (let i = 0; i < ID_HEX_LENGTH; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Parse and validate; throws on anything that is not 32 hex characters (use at edges only). */
export function nodeId(hex: string): NodeId {
  const lower = hex.toLowerCase();
  if (!isNodeId(lower)) throw new Error(`not a 128-bit hex id: ${JSON.stringify(hex)}`);
  return internId(lower);
}

// Parsing 32 hex characters into a bigint dominated simulator profiles; the same ids (leaves, table
// entries) are converted over and over, so memoise. Bounded: cleared when it grows past the limit.
const BIGINT_CACHE_LIMIT = 1 << 20;
const bigIntCache = new Map<string, bigint>();

export function idToBigInt(id: NodeId): bigint {
  let value = bigIntCache.get(id);
  if (value === undefined) {
    if (bigIntCache.size >= BIGINT_CACHE_LIMIT) bigIntCache.clear();
    value = BigInt('0x' + id);
    bigIntCache.set(id, value);
  }
  return value;
}

export function bigIntToId(value: bigint): NodeId {
  const v = ((value % RING) + RING) % RING;
  return internId(v.toString(16).padStart(ID_HEX_LENGTH, '0') as NodeId);
}

export function bytesToId(bytes: Uint8Array): NodeId {
  if (bytes.length < ID_BITS / 8) throw new Error('need at least 16 bytes for an id');
  let hex = '';
  for (let i = 0; i < ID_BITS / 8; i++) hex += bytes[i].toString(16).padStart(2, '0');
  return internId(hex as NodeId);
}

/**
 * The engine's single shared copy of `id` (V8: an internalized string, the form it keeps property
 * names in). Two interned ids compare with one pointer check, so leaf-set scans and Map lookups stop
 * comparing characters; a freshly concatenated id is a rope that each comparison walks (the
 * simulator spent a tenth of its time in LeafSet.has). Interned strings are still collected when unused.
 */
function internId<T extends string>(id: T): T {
  return Object.keys({ [id]: 0 })[0] as T;
}

/** docs/DESIGN.md: nodeId = first 128 bits of SHA-256(public key). */
export function idFromPublicKey(publicKey: Uint8Array): NodeId {
  return bytesToId(sha256(publicKey));
}

/** The value of one lowercase hex character code (ids are validated at the edge). */
function hexValue(charCode: number): number {
  return charCode <= 57 ? charCode - 48 : charCode - 87;
}

/** Digit `index` (0 = most significant) of `id` in base 2^bitsPerDigit. bitsPerDigit divides 128. */
export function digit(id: NodeId, index: number, bitsPerDigit: number): number {
  if (bitsPerDigit === 4) return hexValue(id.charCodeAt(index));
  const firstBit = index * bitsPerDigit;
  let value = 0;
  for (let bit = firstBit; bit < firstBit + bitsPerDigit; bit++) {
    const nibble = hexValue(id.charCodeAt(bit >> 2));
    value = (value << 1) | ((nibble >> (3 - (bit & 3))) & 1);
  }
  return value;
}

/** `id` with digit `index` (base 2^bitsPerDigit) set to `value`: a key in another block of the ring. */
export function withDigit(id: NodeId, index: number, value: number, bitsPerDigit: number): NodeId {
  const shift = BigInt(ID_BITS - (index + 1) * bitsPerDigit);
  const mask = ((1n << BigInt(bitsPerDigit)) - 1n) << shift;
  return bigIntToId((idToBigInt(id) & ~mask) | (BigInt(value) << shift));
}

/** Number of leading bits two ids share (128 when equal). */
function sharedPrefixBits(a: NodeId, b: NodeId): number {
  for (let i = 0; i < ID_HEX_LENGTH; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      const x = hexValue(a.charCodeAt(i)) ^ hexValue(b.charCodeAt(i));
      return i * 4 + (Math.clz32(x) - 28);
    }
  }
  return ID_BITS;
}

/** Length of the shared prefix in Pastry digits (the paper's shl(A, B)). */
export function sharedPrefixDigits(a: NodeId, b: NodeId, bitsPerDigit: number): number {
  return Math.floor(sharedPrefixBits(a, b) / bitsPerDigit);
}

/** Shortest way around the ring between two ids. */
export function ringDistance(a: NodeId, b: NodeId): bigint {
  let d = idToBigInt(a) - idToBigInt(b);
  if (d < 0n) d = -d;
  return d > HALF_RING ? RING - d : d;
}

/** Distance walking clockwise (increasing ids, wrapping) from `from` to `to`. */
export function clockwiseDistance(from: NodeId, to: NodeId): bigint {
  const d = idToBigInt(to) - idToBigInt(from);
  return d < 0n ? d + RING : d;
}

// Fast exact comparisons. Routing and leaf-set upkeep compare ring distances constantly, and bigint
// arithmetic dominated simulator profiles. An id's top 52 bits, scaled, are an exact double; a
// distance computed from them is off by less than 2^77. When two such distances differ by more than
// twice that, the comparison is already decided; otherwise (practically never) fall back to bigint.
const RING_DOUBLE = 2 ** 128;
const HALF_RING_DOUBLE = 2 ** 127;
const APPROX_SCALE = 2 ** 76;
const UNDECIDED = 2 ** 79;

/** The top 52 bits (13 hex digits) of `id`, scaled to the ring: read from char codes, no allocation. */
function approx(id: NodeId): number {
  let value = 0;
  for (let i = 0; i < 13; i++) value = value * 16 + hexValue(id.charCodeAt(i));
  return value * APPROX_SCALE;
}

function approxClockwise(from: NodeId, to: NodeId): number {
  return wrapClockwise(approx(to) - approx(from), from, to);
}

/**
 * An approximate difference `to - from` taken around the ring. Zero for two different ids (same top
 * 52 bits) says nothing about the sign of the true difference, hence about the wrap: NaN, so that
 * every comparison involving it falls back to bigint.
 */
function wrapClockwise(d: number, from: NodeId, to: NodeId): number {
  if (d === 0 && from !== to) return NaN;
  return d < 0 ? d + RING_DOUBLE : d;
}

function approxRing(a: NodeId, b: NodeId): number {
  const d = Math.abs(approx(a) - approx(b));
  return d > HALF_RING_DOUBLE ? RING_DOUBLE - d : d;
}

/** The sign of a distance difference: decided by the doubles when clear, else by `exact` (bigint). */
function decide(approxDiff: number, exact: () => bigint): number {
  if (approxDiff > UNDECIDED) return 1;
  if (approxDiff < -UNDECIDED) return -1;
  const diff = exact();
  return diff > 0n ? 1 : diff < 0n ? -1 : 0;
}

/** `ids` (distinct) ordered by clockwise distance from `from`, nearest first, exactly. */
export function sortClockwiseFrom(from: NodeId, ids: readonly NodeId[]): NodeId[] {
  const base = approx(from);
  const keyed = ids.map((id) => ({ id, distance: wrapClockwise(approx(id) - base, from, id) }));
  keyed.sort((a, b) => decide(a.distance - b.distance, () => clockwiseDistance(from, a.id) - clockwiseDistance(from, b.id)));
  return keyed.map((x) => x.id);
}

/** Sign of clockwiseDistance(from, a) - clockwiseDistance(from, b), exactly. */
export function compareClockwise(from: NodeId, a: NodeId, b: NodeId): number {
  return decide(approxClockwise(from, a) - approxClockwise(from, b), () => clockwiseDistance(from, a) - clockwiseDistance(from, b));
}

/** Sign of clockwiseDistance(a, to) - clockwiseDistance(b, to): who is farther counter-clockwise from `to`. */
export function compareCounterClockwise(to: NodeId, a: NodeId, b: NodeId): number {
  return decide(approxClockwise(a, to) - approxClockwise(b, to), () => clockwiseDistance(a, to) - clockwiseDistance(b, to));
}

/**
 * True when `a` is strictly closer to `key` than `b`. Equal distances (a key exactly between two
 * nodes) are broken toward the smaller id, so every node in the overlay agrees on one root.
 */
export function isCloser(key: NodeId, a: NodeId, b: NodeId): boolean {
  const sign = decide(approxRing(key, a) - approxRing(key, b), () => ringDistance(key, a) - ringDistance(key, b));
  return sign !== 0 ? sign < 0 : a < b;
}

/** The id among `candidates` numerically closest to `key` (ties as in isCloser). */
export function closestTo(key: NodeId, candidates: Iterable<NodeId>): NodeId | undefined {
  let best: NodeId | undefined;
  for (const c of candidates) if (best === undefined || isCloser(key, c, best)) best = c;
  return best;
}

/** The id halfway around the ring from `id` (handy in tests: the worst-case key for a node). */
export function oppositeOf(id: NodeId): NodeId {
  return bigIntToId(idToBigInt(id) + HALF_RING);
}
