import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Random } from './environment.js';
import {
  generateIdentity,
  identityFromSecretKey,
  loadIdentity,
  storeIdentity,
  useSmallBaseTable,
  verifySignature,
} from './identity.js';
import { isNodeId } from './id.js';
import { SeededRandom } from '../sim/seeded-random.js';

/** Seeded keys must be reproducible: the simulator's seeded Random. */
const seededRandom = (seed: number): Random => new SeededRandom(seed);

const message = new TextEncoder().encode('JOIN 0f3a');

describe('identity', () => {
  it('derives the nodeId as the first 128 bits of SHA-256(public key)', () => {
    const identity = generateIdentity();
    expect(isNodeId(identity.id)).toBe(true);
    expect(identity.id).toBe(bytesToHex(sha256(identity.publicKey)).slice(0, 32));
    expect(identity.publicKey).toHaveLength(32);
  });

  it('is reproducible from a seeded Random and differs across seeds', () => {
    expect(generateIdentity(seededRandom(7)).id).toBe(generateIdentity(seededRandom(7)).id);
    expect(generateIdentity(seededRandom(7)).id).not.toBe(generateIdentity(seededRandom(8)).id);
  });

  it('signs so that only the matching public key verifies, and only the signed bytes', () => {
    const alice = generateIdentity(seededRandom(1));
    const bob = generateIdentity(seededRandom(2));
    const signature = alice.sign(message);
    expect(verifySignature(alice.publicKey, message, signature)).toBe(true);
    expect(verifySignature(bob.publicKey, message, signature)).toBe(false);
    const tampered = Uint8Array.from(message);
    tampered[0] ^= 1;
    expect(verifySignature(alice.publicKey, tampered, signature)).toBe(false);
  });

  it('treats malformed keys and signatures as invalid instead of throwing', () => {
    const alice = generateIdentity(seededRandom(1));
    expect(verifySignature(alice.publicKey, message, new Uint8Array(10))).toBe(false);
    expect(verifySignature(new Uint8Array(5), message, alice.sign(message))).toBe(false);
    expect(verifySignature(new Uint8Array(32).fill(0xff), message, new Uint8Array(64))).toBe(false);
  });

  it('round-trips through its stored form, via JSON and structured clone', () => {
    const alice = generateIdentity(seededRandom(3));
    const viaJson = loadIdentity(JSON.parse(JSON.stringify(storeIdentity(alice))));
    const viaClone = loadIdentity(structuredClone(storeIdentity(alice)));
    for (const copy of [viaJson, viaClone]) {
      expect(copy.id).toBe(alice.id);
      expect(verifySignature(alice.publicKey, message, copy.sign(message))).toBe(true);
    }
  });

  it('rejects a corrupt stored record and a wrong-sized secret key', () => {
    expect(() => loadIdentity({ version: 1, secretKey: 'zz' })).toThrow();
    expect(() => loadIdentity({ version: 2 } as never)).toThrow();
    expect(() => identityFromSecretKey(new Uint8Array(31))).toThrow();
  });

  // Last in the file: it changes the table noble caches for the rest of this module's run.
  it('gives the same keys and signatures with the small base-point table (RFC 8032 test 1)', () => {
    useSmallBaseTable();
    const identity = identityFromSecretKey(hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    expect(bytesToHex(identity.publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const signature = identity.sign(new Uint8Array());
    expect(bytesToHex(signature)).toBe('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
    expect(verifySignature(identity.publicKey, new Uint8Array(), signature)).toBe(true);
    expect(verifySignature(identity.publicKey, message, signature)).toBe(false);
  });
});
