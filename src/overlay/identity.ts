// A node's identity: an Ed25519 key pair whose public key fixes the nodeId (docs/DESIGN.md: first 128 bits
// of SHA-256(public key)). Whoever proves the secret key IS that nodeId; links are trusted only after
// such a proof (transports/link-auth.ts).
//
// The Identity object carries a sign() method for convenience, so it is not structured-cloneable.
// What the IM layer stores (IndexedDB, a file for the headless peer) is a StoredIdentity: plain hex
// strings, which survive both structured clone and JSON.

import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { Random } from './environment.js';
import { idFromPublicKey, type NodeId } from './id.js';

const SECRET_KEY_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

export interface Identity {
  readonly id: NodeId;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  /** Ed25519 signature (64 bytes) over `message`. */
  sign(message: Uint8Array): Uint8Array;
}

/** The persisted form of an identity; the public key and id are derived again on load. */
export interface StoredIdentity {
  readonly version: 1;
  /** 32-byte Ed25519 secret key (seed), hex. */
  readonly secretKey: string;
}

/**
 * A fresh identity. With a `random` (seeded, tests and the simulator) the key is reproducible;
 * without one it comes from crypto.getRandomValues (noble's randomBytes), which is what real nodes must use.
 */
export function generateIdentity(random?: Random): Identity {
  const seed = random ? random.bytes(SECRET_KEY_BYTES) : randomBytes(SECRET_KEY_BYTES);
  return identityFromSecretKey(seed);
}

export function identityFromSecretKey(secretKey: Uint8Array): Identity {
  if (secretKey.length !== SECRET_KEY_BYTES) {
    throw new Error(`an Ed25519 secret key has ${SECRET_KEY_BYTES} bytes, got ${secretKey.length}`);
  }
  const ownSecret = Uint8Array.from(secretKey);
  const publicKey = ed25519.getPublicKey(ownSecret);
  return {
    id: idFromPublicKey(publicKey),
    publicKey,
    secretKey: ownSecret,
    sign: (message) => ed25519.sign(message, ownSecret),
  };
}

/**
 * The first public key or signature of a page builds noble's table of multiples of the base point,
 * in one task: at its default window (6) ~2,000 points. A window of 4 builds ~800: in Chromium the
 * first public key took 19 ms instead of 41 (median of 8, unthrottled; a phone is ~4x slower), and
 * later signatures and verifications as long as before. The browser calls this before it loads its
 * identity; no result changes, only how the multiples are cached.
 */
export function useSmallBaseTable(): void {
  ed25519.Point.BASE.precompute(4);
}

/** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`. Never throws. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    // zip215: false -> strict RFC 8032 verification; no malleable or small-order edge cases.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function storeIdentity(identity: Identity): StoredIdentity {
  return { version: 1, secretKey: bytesToHex(identity.secretKey) };
}

/** Throws on a malformed record (storage is an edge: the caller decides to regenerate). */
export function loadIdentity(stored: StoredIdentity): Identity {
  if (stored?.version !== 1 || typeof stored.secretKey !== 'string') throw new Error('not a stored identity');
  return identityFromSecretKey(hexToBytes(stored.secretKey));
}
