import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../overlay/identity.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { LEGACY_EPOCH } from './epoch.js';
import { bytesToHex, deriveConversationKey, hexToBytes, openChat, publicKeyMatchesUid, sealChat, sign } from './crypto.js';

const random = new SeededRandom('crypto-test');
const alice = generateIdentity(random);
const bob = generateIdentity(random);
const mallory = generateIdentity(random);
const pub = (who: typeof alice) => bytesToHex(who.publicKey);
const EPOCH = '5e'.repeat(16);

async function keys() {
  return {
    aliceToBob: await deriveConversationKey(alice, pub(bob)),
    bobToAlice: await deriveConversationKey(bob, pub(alice)),
    malloryToBob: await deriveConversationKey(mallory, pub(bob)),
  };
}

function flipHexByte(hex: string, index: number): string {
  const bytes = hexToBytes(hex);
  bytes[index] ^= 0x01;
  return bytesToHex(bytes);
}

describe('end-to-end chat crypto', () => {
  it('both ends derive the same conversation key from X25519 keys derived from their Ed25519 identities', async () => {
    const { aliceToBob, bobToAlice } = await keys();
    const sealed = await sealChat(alice, aliceToBob, bob.id, 1, { text: 'hej Bob', sentAt: 42 }, random, EPOCH);
    const opened = await openChat(bob.id, bobToAlice, pub(alice), sealed);
    expect(opened).toEqual({ ok: true, plaintext: { text: 'hej Bob', sentAt: 42 } });
  });

  it('shows intermediate nodes only routing fields and ciphertext', async () => {
    const { aliceToBob } = await keys();
    const sealed = await sealChat(alice, aliceToBob, bob.id, 7, { text: 'secret plans', sentAt: 1 }, random, EPOCH);
    expect(Object.keys(sealed).sort()).toEqual(['ct', 'epoch', 'from', 'nonce', 'seq', 'sig', 'to']);
    expect(JSON.stringify(sealed)).not.toContain('secret');
    expect(JSON.stringify(sealed)).not.toContain(bytesToHex(new TextEncoder().encode('secret')));
  });

  it('rejects an envelope forged in the name of another sender', async () => {
    const { malloryToBob, bobToAlice } = await keys();
    const forged = await sealChat(mallory, malloryToBob, bob.id, 1, { text: 'send money', sentAt: 1 }, random, EPOCH);
    const claimed = { ...forged, from: alice.id };
    expect(await openChat(bob.id, bobToAlice, pub(alice), claimed)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects tampered ciphertext, nonce, seq or epoch', async () => {
    const { aliceToBob, bobToAlice } = await keys();
    const sealed = await sealChat(alice, aliceToBob, bob.id, 3, { text: 'original', sentAt: 1 }, random, EPOCH);
    for (const tampered of [
      { ...sealed, ct: flipHexByte(sealed.ct, 0) },
      { ...sealed, nonce: flipHexByte(sealed.nonce, 0) },
      { ...sealed, seq: 4 },
      { ...sealed, epoch: '77'.repeat(16) },
    ]) {
      expect(await openChat(bob.id, bobToAlice, pub(alice), tampered)).toEqual({ ok: false, reason: 'bad-signature' });
    }
  });

  it('rejects ciphertext that is validly signed but fails AES-GCM authentication', async () => {
    const { aliceToBob, bobToAlice } = await keys();
    const sealed = await sealChat(alice, aliceToBob, bob.id, 3, { text: 'original', sentAt: 1 }, random, EPOCH);
    const ct = flipHexByte(sealed.ct, 2);
    const resigned = { ...sealed, ct, sig: sign(alice, ['chat', sealed.from, sealed.to, sealed.seq, sealed.nonce, 'epoch', EPOCH, ct]) };
    expect(await openChat(bob.id, bobToAlice, pub(alice), resigned)).toEqual({ ok: false, reason: 'bad-ciphertext' });
  });

  it('rejects an envelope replayed to a different recipient', async () => {
    const { aliceToBob } = await keys();
    const sealed = await sealChat(alice, aliceToBob, bob.id, 1, { text: 'for Bob', sentAt: 1 }, random, EPOCH);
    const malloryKey = await deriveConversationKey(mallory, pub(alice));
    expect(await openChat(mallory.id, malloryKey, pub(alice), sealed)).toEqual({ ok: false, reason: 'wrong-recipient' });
  });

  it('a third party derives a different key and cannot decrypt', async () => {
    const { aliceToBob } = await keys();
    const sealed = await sealChat(alice, aliceToBob, bob.id, 1, { text: 'private', sentAt: 1 }, random, EPOCH);
    const malloryKey = await deriveConversationKey(mallory, pub(alice));
    expect(await openChat(bob.id, malloryKey, pub(alice), sealed)).toEqual({ ok: false, reason: 'bad-ciphertext' });
  });

  it('accepts a public key only when it hashes to the claimed uid', () => {
    expect(publicKeyMatchesUid(alice.id, pub(alice))).toBe(true);
    expect(publicKeyMatchesUid(alice.id, pub(bob))).toBe(false);
    expect(publicKeyMatchesUid(alice.id, 'zz')).toBe(false);
  });

  it('bind the conversation epoch into the signature and the ciphertext', async () => {
    const { aliceToBob, bobToAlice } = await keys();
    const sealed = await sealChat(alice, aliceToBob, bob.id, 1, { text: 'this conversation only', sentAt: 1 }, random, EPOCH);
    const moved = { ...sealed, epoch: '6f'.repeat(16) };
    expect(await openChat(bob.id, bobToAlice, pub(alice), moved)).toEqual({ ok: false, reason: 'bad-signature' });
    const resigned = { ...moved, sig: sign(alice, ['chat', moved.from, moved.to, moved.seq, moved.nonce, 'epoch', moved.epoch, moved.ct]) };
    expect(await openChat(bob.id, bobToAlice, pub(alice), resigned)).toEqual({ ok: false, reason: 'bad-ciphertext' });
  });

  it('open a chat of the legacy conversation sealed before epochs (header signed as then)', async () => {
    const { aliceToBob, bobToAlice } = await keys();
    const sealed = await sealChat(alice, aliceToBob, bob.id, 2, { text: 'old outbox', sentAt: 1 }, random, LEGACY_EPOCH);
    const header = ['chat', sealed.from, sealed.to, sealed.seq, sealed.nonce];
    expect(sealed.sig).toBe(sign(alice, [...header, sealed.ct]));
    expect(await openChat(bob.id, bobToAlice, pub(alice), sealed)).toMatchObject({ ok: true });
  });
});
