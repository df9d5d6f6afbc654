// Users who stored buddies, counters and queued messages before conversation epochs existed keep
// chatting after the upgrade: their relationship is the legacy conversation (epoch.ts), its
// counters and outbox carry on, and a remove / re-add moves them to a real epoch.

import { describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { deriveConversationKey, hexToBytes, sign, type ChatPlaintext } from './crypto.js';
import { LEGACY_EPOCH } from './epoch.js';
import { MemoryBackend, RecordStorage } from './storage.js';
import { world, type Person } from './testing/world.js';
import type { ChatMessage } from './wire.js';

const pad = (n: number) => n.toString().padStart(16, '0');

/** A chat sealed as the version before epochs did (crypto.ts then): header without an epoch, none in the envelope. */
async function sealAsBefore(p: Person, key: CryptoKey, to: Person, seq: number, plaintext: ChatPlaintext, random: SeededRandom) {
  const nonce = bytesToHex(random.bytes(12));
  const header = ['chat', p.identity.id, to.identity.id, seq, nonce];
  const additionalData = new TextEncoder().encode(['dima-im-v1', ...header].join('|'));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: hexToBytes(nonce), additionalData }, key, new TextEncoder().encode(JSON.stringify(plaintext)));
  const ct = bytesToHex(new Uint8Array(sealed));
  return { from: p.identity.id, to: to.identity.id, seq, nonce, ct, sig: sign(p.identity, [...header, ct]) };
}

/** Rewrites what `p` stored as the previous version wrote it: no nonces, no epochs, chats signed without one. */
async function asBeforeEpochs(p: Person, peer: Person, backend: MemoryBackend, random: SeededRandom) {
  for (const value of await backend.valuesWithPrefix('buddy/')) {
    const { epoch: _e, peerEpoch: _p, ...record } = value as Record<string, unknown>;
    await backend.set(`buddy/${record.uid as string}`, record);
  }
  for (const value of await backend.valuesWithPrefix('counters/')) {
    const { epoch: _e, ...counters } = value as Record<string, unknown>;
    await backend.set(`counters/${peer.identity.id}`, counters);
  }
  const key = await deriveConversationKey(p.identity, bytesToHex(peer.identity.publicKey));
  for (const value of await backend.valuesWithPrefix('outbox/')) {
    const entry = value as { peer: string; seq: number; message: ChatMessage; createdAt: number };
    const text = (await p.storage.listHistory(peer.identity.id)).find((h) => h.direction === 'out' && h.seq === entry.seq)?.text ?? '';
    const old = await sealAsBefore(p, key, peer, entry.seq, { text, sentAt: entry.createdAt }, random);
    await backend.set(`outbox/${entry.peer}/${pad(entry.seq)}`, { ...entry, message: { t: 'im.chat', ...old } });
  }
}

describe('stored data from before conversation epochs', () => {
  it('still works: the queued message is delivered, seqs go on, and a remove / re-add moves to a real epoch', async () => {
    const w = world('legacy');
    const [aliceBackend, bobBackend] = [new MemoryBackend(), new MemoryBackend()];
    const alice = await w.person('alice', new RecordStorage(aliceBackend));
    const bob = await w.person('bob', new RecordStorage(bobBackend));
    await w.befriend(alice, bob);
    await alice.messenger.send(bob.identity.id, 'one');
    await w.advance(500);
    w.crash(bob);
    await alice.messenger.send(bob.identity.id, 'two');
    await w.advance(500);
    w.crash(alice);
    const random = new SeededRandom('legacy seal');
    await asBeforeEpochs(alice, bob, aliceBackend, random);
    await asBeforeEpochs(bob, alice, bobBackend, random);
    expect((await alice.storage.listOutbox()).map((e) => e.message.epoch)).toEqual([LEGACY_EPOCH]);

    const [aliceAgain, bobAgain] = [await w.reload(alice), await w.reload(bob)];
    await w.advance(3_000);
    expect(w.texts(bobAgain)).toEqual(['two']);
    expect((await aliceAgain.messenger.send(bob.identity.id, 'three')).seq).toBe(3);
    await bobAgain.messenger.send(alice.identity.id, 'back');
    await w.advance(1_000);
    expect(w.texts(bobAgain)).toEqual(['two', 'three']);
    expect(w.texts(aliceAgain)).toEqual(['back']);
    expect(await aliceAgain.storage.listOutbox()).toEqual([]);
    const legacyChats = (w.overlay.seen as ChatMessage[]).filter((m) => m.t === 'im.chat' && m.epoch === LEGACY_EPOCH);
    expect(legacyChats.length).toBeGreaterThan(0);

    await bobAgain.messenger.removeBuddy(alice.identity.id);
    await w.advance(500);
    await w.befriend(aliceAgain, bobAgain);
    const records = await bobAgain.storage.listBuddies();
    expect(records[0]).toMatchObject({ status: 'accepted', epoch: expect.any(String), peerEpoch: expect.any(String) });
    // A legacy chat replayed into the new conversation is not taken.
    const raw = w.overlay.join('ee'.repeat(16) as never).register('dima.im', { deliver: () => undefined });
    for (const chat of legacyChats) raw.route(bob.identity.id, chat);
    await aliceAgain.messenger.send(bob.identity.id, 'fresh');
    await w.advance(1_000);
    expect(w.texts(bobAgain)).toEqual(['two', 'three', 'fresh']);
  });
});
