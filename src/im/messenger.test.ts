import { describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { SeededRandom } from '../sim/seeded-random.js';
import type { NodeId } from '../overlay/id.js';
import { sealChat, deriveConversationKey } from './crypto.js';
import { conversationEpoch, LEGACY_EPOCH } from './epoch.js';
import { chatMessage } from './messages.js';
import { world } from './testing/world.js';

/** Alice and bob, buddies, in a fresh world. */
async function buddies(seed?: string) {
  const w = world(seed);
  const [alice, bob] = [await w.person('alice'), await w.person('bob')];
  await w.befriend(alice, bob);
  return { w, alice, bob };
}

describe('Messenger', () => {
  it('makes buddies only after the other side accepts, with public keys on both lists', async () => {
    const w = world();
    const alice = await w.person('alice');
    const bob = await w.person('bob');
    const requests: unknown[] = [];
    bob.messenger.on('request', (r) => requests.push(r));
    await alice.messenger.requestBuddy(w.entry(bob));
    await w.advance(500);
    expect(requests).toEqual([{ from: alice.identity.id, name: 'alice', publicKey: bytesToHex(alice.identity.publicKey) }]);
    expect(alice.messenger.buddies()[0]).toMatchObject({ uid: bob.identity.id, status: 'outgoing' });
    await expect(alice.messenger.send(bob.identity.id, 'too early')).rejects.toThrow(/not an accepted buddy/);
    await bob.messenger.acceptBuddy(alice.identity.id);
    await w.advance(500);
    expect(alice.messenger.buddies()).toEqual([{ uid: bob.identity.id, name: 'bob', publicKey: bytesToHex(bob.identity.publicKey), status: 'accepted', online: true }]);
    expect(bob.messenger.buddies()).toEqual([{ uid: alice.identity.id, name: 'alice', publicKey: bytesToHex(alice.identity.publicKey), status: 'accepted', online: true }]);
  });

  it('delivers messages in order with cumulative receipts that empty the outbox', async () => {
    const { w, alice, bob } = await buddies();
    for (const text of ['one', 'two', 'three']) await alice.messenger.send(bob.identity.id, text);
    await w.advance(500);
    expect(w.texts(bob)).toEqual(['one', 'two', 'three']);
    expect(alice.receipts.at(-1)).toEqual({ to: bob.identity.id, seq: 3 });
    expect(await alice.storage.listOutbox()).toEqual([]);
    expect((await alice.messenger.history(bob.identity.id)).map((h) => [h.text, h.delivered])).toEqual([['one', true], ['two', true], ['three', true]]);
    expect((await bob.messenger.history(alice.identity.id)).map((h) => [h.direction, h.text])).toEqual([['in', 'one'], ['in', 'two'], ['in', 'three']]);
  });

  it('shows intermediate nodes nothing but ciphertext and routing fields', async () => {
    const { w, alice, bob } = await buddies();
    await alice.messenger.send(bob.identity.id, 'the eagle lands at noon');
    await w.advance(500);
    const wire = JSON.stringify(w.overlay.seen);
    expect(wire).not.toContain('eagle');
    expect(wire).toContain('"t":"im.chat"');
  });

  it('keeps a message for an offline buddy in the outbox ("not online" from the root) and delivers it when the buddy comes online', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.person('alice'), await w.person('bob'), await w.person('carol')];
    await w.befriend(alice, bob);
    w.crash(bob);
    await alice.messenger.send(bob.identity.id, 'are you there?');
    await w.advance(500);
    // carol (or alice) is now the root of bob's uid: it answered "not online" instead of accepting.
    expect(alice.messenger.stats.get('answered not online') + carol.messenger.stats.get('answered not online')).toBeGreaterThan(0);
    expect((await alice.storage.listOutbox()).map((e) => e.seq)).toEqual([1]);
    // Unsigned, that answer is a hint: bob is shown offline once his presence times out.
    await w.advance(9_000);
    expect(alice.messenger.buddies()[0].online).toBe(false);
    const bobAgain = await w.reload(bob);
    await w.advance(1_000);
    expect(w.texts(bobAgain)).toEqual(['are you there?']);
    expect(await alice.storage.listOutbox()).toEqual([]);
  });

  it('flushes the stored outbox after the sender reloads, exactly once and with seqs continuing', async () => {
    const { w, alice, bob } = await buddies();
    await alice.messenger.send(bob.identity.id, 'before');
    await w.advance(500);
    w.crash(bob);
    await alice.messenger.send(bob.identity.id, 'queued 1');
    await alice.messenger.send(bob.identity.id, 'queued 2');
    w.crash(alice);
    const aliceAgain = await w.reload(alice);
    expect(aliceAgain.identity.id).toBe(alice.identity.id);
    const bobAgain = await w.reload(bob);
    await w.advance(2_000);
    expect(w.texts(bobAgain)).toEqual(['queued 1', 'queued 2']);
    expect((await aliceAgain.messenger.send(bob.identity.id, 'after')).seq).toBe(4);
    await w.advance(20_000);
    expect(w.texts(bobAgain)).toEqual(['queued 1', 'queued 2', 'after']);
    expect((await bobAgain.messenger.history(alice.identity.id)).map((h) => h.text)).toEqual(['before', 'queued 1', 'queued 2', 'after']);
  });

  it('shows messages in order and exactly once over a network that reorders, duplicates and loses', async () => {
    const { w, alice, bob } = await buddies('messy');
    const chaos = new SeededRandom('chaos');
    w.overlay.plan = () => (chaos.next() < 0.15 ? [] : chaos.next() < 0.3 ? [chaos.int(400), chaos.int(400)] : [chaos.int(400)]);
    const sent = Array.from({ length: 40 }, (_, i) => `m${i + 1}`);
    for (const text of sent) {
      await alice.messenger.send(bob.identity.id, text);
      await w.advance(chaos.int(50));
    }
    await w.advance(60_000);
    expect(w.texts(bob)).toEqual(sent);
    expect(await alice.storage.listOutbox()).toEqual([]);
  });

  it('shows a crashed buddy offline within 10 s and a leaving buddy at once', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.person('alice'), await w.person('bob'), await w.person('carol')];
    await w.befriend(alice, bob);
    await w.befriend(alice, carol);
    await w.advance(30_000);
    expect(alice.messenger.buddies().every((b) => b.online)).toBe(true);
    w.crash(bob);
    const crashedAt = w.clock.now();
    await w.advance(10_000);
    const bobOffline = alice.presence.find((p) => p.uid === bob.identity.id && !p.online);
    expect(bobOffline).toBeDefined();
    carol.messenger.stop();
    await w.advance(200);
    expect(alice.messenger.buddies().find((b) => b.uid === carol.identity.id)?.online).toBe(false);
    expect(w.clock.now() - crashedAt).toBeLessThan(10_500);
  });

  it('drops malformed input, chats from strangers and forged chats, and counts them', async () => {
    const w = world();
    const [alice, bob, mallory] = [await w.person('alice'), await w.person('bob'), await w.person('mallory')];
    await w.befriend(alice, bob);
    const malloryKey = await deriveConversationKey(mallory.identity, bytesToHex(bob.identity.publicKey));
    // The epoch travels in clear: a forger on the way copies it.
    const record = (await bob.storage.listBuddies()).find((b) => b.uid === alice.identity.id);
    const epoch = conversationEpoch(bob.identity.id, alice.identity.id, record ?? {});
    const sealed = await sealChat(mallory.identity, malloryKey, bob.identity.id, 1, { text: 'hi', sentAt: 0 }, new SeededRandom(1), epoch);
    const host = w.overlay.join('ee'.repeat(16) as NodeId);
    const raw = host.register('dima.im', { deliver: () => {} });
    raw.route(bob.identity.id, { t: 'im.chat', garbage: true });
    raw.route(bob.identity.id, chatMessage(sealed));
    raw.route(bob.identity.id, chatMessage({ ...sealed, from: alice.identity.id }));
    raw.route(bob.identity.id, chatMessage({ ...sealed, from: alice.identity.id, epoch: LEGACY_EPOCH }));
    await w.advance(500);
    expect(bob.messenger.stats.snapshot()).toMatchObject({
      malformed: 1, 'chat from a non-buddy': 1, 'chat rejected: bad-signature': 1, 'chat rejected: other conversation': 1,
    });
    expect(bob.got).toEqual([]);
  });

  it('declining a request or removing a buddy takes it off both lists', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.person('alice'), await w.person('bob'), await w.person('carol')];
    await alice.messenger.requestBuddy(w.entry(carol));
    await w.advance(500);
    await carol.messenger.declineBuddy(alice.identity.id);
    await w.advance(500);
    expect(alice.messenger.buddies()).toEqual([]);
    expect(carol.messenger.buddies()).toEqual([]);
    await w.befriend(alice, bob);
    await alice.messenger.send(bob.identity.id, 'bye');
    await w.advance(500);
    await bob.messenger.removeBuddy(alice.identity.id);
    await w.advance(500);
    expect(alice.messenger.buddies()).toEqual([]);
    expect(bob.messenger.buddies()).toEqual([]);
    expect(await alice.messenger.history(bob.identity.id)).toEqual([]);
  });

  it('delivers a buddy request sent while the other side was offline once it comes online', async () => {
    const w = world();
    const [alice, bob] = [await w.person('alice'), await w.person('bob')];
    w.crash(bob);
    await alice.messenger.requestBuddy(w.entry(bob));
    await w.advance(1_000);
    const bobAgain = await w.reload(bob);
    const requests: unknown[] = [];
    bobAgain.messenger.on('request', (r) => requests.push(r));
    await w.advance(20_000);
    expect(requests).toHaveLength(1);
  });

  it('exports the buddy list as JSON and imports it without overwriting or trusting bad records', async () => {
    const w = world();
    const [alice, bob, carol] = [await w.person('alice'), await w.person('bob'), await w.person('carol')];
    await w.befriend(alice, bob);
    const exported = alice.messenger.exportBuddies();
    const forged = JSON.parse(exported);
    forged.buddies.push({ ...forged.buddies[0], uid: 'ab'.repeat(16) });
    expect(await carol.messenger.importBuddies(JSON.stringify(forged))).toEqual({ added: 1, kept: 0, invalid: 1 });
    expect(await carol.messenger.importBuddies(exported)).toEqual({ added: 0, kept: 1, invalid: 0 });
    expect(await carol.messenger.importBuddies('{not json')).toEqual({ error: 'not JSON' });
    expect(carol.messenger.buddies().map((b) => b.uid)).toEqual([bob.identity.id]);
  });
});
