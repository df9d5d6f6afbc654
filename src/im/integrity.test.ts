// Message integrity against a hostile node (issue 14): it may replay anything it ever saw routed,
// forge messages in a buddy's name, and answer in place of a key's root. None of it may show a
// message twice, hide a real one, fake a buddy's presence, or earn a signed answer.

import { describe, expect, it } from 'vitest';
import { DEFAULT_IM_CONFIG } from './config.js';
import { notOnline } from './messages.js';
import { captured, mallory, MALLORY } from './testing/hostile.js';
import { world, type Person } from './testing/world.js';
import type { BuddyNotice, ChatMessage, ImMessage, Presence } from './wire.js';

const isOnline = (viewer: Person, buddy: Person) => viewer.messenger.buddies().find((b) => b.uid === buddy.identity.id)?.online;

/** Alice and bob made buddies in world `seed`, with mallory on the overlay from before they met. */
async function buddiesWatched(seed: string) {
  const w = world(seed);
  const [alice, bob] = [await w.person('alice'), await w.person('bob')];
  const m = mallory(w);
  await w.befriend(alice, bob);
  return { w, alice, bob, m };
}

/** As buddiesWatched, once alice has sent bob 'one'; `chats` is that chat as mallory saw it routed. */
async function afterFirstChat(seed: string) {
  const setup = await buddiesWatched(seed);
  const { w, alice, bob } = setup;
  await alice.messenger.send(bob.identity.id, 'one');
  await w.advance(500);
  return { ...setup, chats: captured<ChatMessage>(w, 'im.chat', alice, bob) };
}

describe('IM integrity against a hostile node', () => {
  it('rejects an old conversation replayed after the buddy was removed and re-added, and shows the next real message', async () => {
    const { w, alice, bob, m, chats: old } = await afterFirstChat('replay-readd');
    expect(old).toHaveLength(1);
    await bob.messenger.removeBuddy(alice.identity.id);
    await w.advance(500);
    await w.befriend(alice, bob);
    m.ask(bob.identity.id, old[0]);
    await w.advance(1_500);
    expect(w.texts(bob)).toEqual(['one']);
    expect(m.replies).toEqual([]);
    await alice.messenger.send(bob.identity.id, 'two');
    await w.advance(1_000);
    expect(w.texts(bob)).toEqual(['one', 'two']);
    expect(bob.messenger.stats.get('chat rejected: other conversation')).toBe(1);
  });

  it('starts a fresh conversation when a buddy asks again while we still hold the old one (its remove never reached us)', async () => {
    const w = world('lost-remove');
    const [alice, bob] = [await w.person('alice'), await w.person('bob')];
    await w.befriend(alice, bob);
    await alice.messenger.send(bob.identity.id, 'one');
    await w.advance(500);
    w.crash(bob);
    await alice.messenger.removeBuddy(bob.identity.id);
    await alice.messenger.requestBuddy(w.entry(bob));
    await w.advance(1_000);
    const bobAgain = await w.reload(bob);
    await w.advance(20_000);
    expect(alice.messenger.buddies()[0]).toMatchObject({ status: 'accepted', online: true });
    expect((await alice.messenger.send(bob.identity.id, 'two')).seq).toBe(1);
    await w.advance(1_000);
    expect(w.texts(bobAgain)).toEqual(['two']);
    expect(alice.receipts.at(-1)).toEqual({ to: bob.identity.id, seq: 1 });
  });

  it('rejects a replay after the receiver reloads', async () => {
    const { w, bob, m, chats } = await afterFirstChat('replay-reload');
    w.crash(bob);
    const bobAgain = await w.reload(bob);
    await w.advance(1_000);
    m.ask(bob.identity.id, chats[0]);
    await w.advance(1_000);
    expect(w.texts(bobAgain)).toEqual([]);
  });

  it('checks the signature of a chat with an already-shown seq before answering it or taking it as a sign of life', async () => {
    const { w, alice, bob, m, chats: [real] } = await afterFirstChat('forged-duplicate');
    w.crash(alice);
    await w.advance(10_000);
    expect(isOnline(bob, alice)).toBe(false);
    m.ask(bob.identity.id, { ...real, sig: 'ab'.repeat(64) });
    await w.advance(1_500);
    expect(m.replies).toEqual([]);
    expect(bob.messenger.stats.get('chat rejected: bad-signature')).toBe(1);
    expect(isOnline(bob, alice)).toBe(false);
    // The genuine copy is answered (its receipt may have been lost) but proves nothing about now.
    m.ask(bob.identity.id, real);
    await w.advance(1_500);
    expect(m.replies.map((r) => r.t)).toEqual(['im.receipt']);
    expect(isOnline(bob, alice)).toBe(false);
    expect(w.texts(bob)).toEqual(['one']);
  });

  it('rejects a presence replayed from an earlier session of the buddy', async () => {
    const { w, alice, bob, m } = await buddiesWatched('presence-old-session');
    await w.advance(10_000);
    const firstSession = captured<Presence>(w, 'im.presence', alice, bob);
    w.crash(alice);
    const aliceAgain = await w.reload(alice);
    await w.advance(10_000);
    expect(isOnline(bob, aliceAgain)).toBe(true);
    w.crash(aliceAgain);
    await w.advance(10_000);
    expect(isOnline(bob, alice)).toBe(false);
    for (const p of firstSession) m.ask(bob.identity.id, p);
    await w.advance(1_500);
    expect(isOnline(bob, alice)).toBe(false);
    expect(bob.presence.filter((p) => p.uid === alice.identity.id).at(-1)).toEqual({ uid: alice.identity.id, online: false });
  });

  it('rejects a presence replayed to a buddy that reloaded since', async () => {
    const { w, alice, bob, m } = await buddiesWatched('presence-reload');
    await w.advance(10_000);
    const seen = captured<Presence>(w, 'im.presence', alice, bob);
    w.crash(alice);
    w.crash(bob);
    await w.advance(1_000);
    const bobAgain = await w.reload(bob);
    await w.advance(1_000);
    expect(isOnline(bobAgain, alice)).toBe(false);
    for (const p of seen) m.ask(bob.identity.id, p);
    await w.advance(1_500);
    expect(isOnline(bobAgain, alice)).toBe(false);
    expect(bobAgain.presence).toEqual([]);
  });

  it('takes an unsigned "not online" as a hint only: a buddy stays online while its presence says so', async () => {
    const w = world('not-online-hint');
    const [alice, bob] = [await w.person('alice'), await w.person('bob')];
    mallory(w, (body, reply) => reply?.(notOnline(bob.identity.id)));
    await w.befriend(alice, bob);
    await w.advance(5_000);
    // Mallory sits on the route of alice's chats to bob and answers each with "not online".
    w.overlay.divert = ({ key, body }) => (key === bob.identity.id && (body as ImMessage).t === 'im.chat' ? MALLORY : undefined);
    await alice.messenger.send(bob.identity.id, 'hello');
    await w.advance(2_000);
    expect(isOnline(alice, bob)).toBe(true);
    expect(alice.presence.some((p) => p.uid === bob.identity.id && !p.online)).toBe(false);
    w.overlay.divert = () => undefined;
    await w.advance(10_000);
    expect(w.texts(bob)).toEqual(['hello']);
  });

  it('spends a bounded number of signature checks on a flood of forgeries in a buddy\'s name, and still shows the real message', async () => {
    const { w, alice, bob, m, chats: [real] } = await afterFirstChat('verify-flood');
    for (let seq = 2; seq < 502; seq++) m.ask(bob.identity.id, { ...real, seq, sig: 'ab'.repeat(64) });
    await alice.messenger.send(bob.identity.id, 'two');
    await w.advance(1_000);
    const checked = bob.messenger.stats.get('chat rejected: bad-signature');
    // Two seconds' worth of the per-buddy budget, and a little refill while the flood arrives.
    expect(checked).toBeLessThanOrEqual(2 * DEFAULT_IM_CONFIG.verifyPerBuddyPerSecond + 5);
    // Every forgery was checked or dropped unchecked (so may 'two' be, in the flood: it is resent).
    expect(checked + bob.messenger.stats.get('im.chat over verify budget')).toBeGreaterThanOrEqual(500);
    expect(m.replies).toEqual([]);
    await w.advance(10_000);
    expect(w.texts(bob)).toEqual(['one', 'two']);
  });

  it('keeps at most maxIncomingRequests buddy requests from strangers waiting', async () => {
    const w = world('request-flood', { maxIncomingRequests: 5 });
    const bob = await w.person('bob');
    const strangers = [];
    for (let i = 0; i < 8; i++) strangers.push(await w.person(`stranger ${i}`));
    for (const s of strangers) await s.messenger.requestBuddy(w.entry(bob));
    await w.advance(1_000);
    expect(bob.messenger.buddies().filter((b) => b.status === 'incoming')).toHaveLength(5);
    expect((await bob.storage.listBuddies()).length).toBe(5);
    expect(bob.messenger.stats.get('buddy request refused: too many waiting')).toBe(3);
    // Answering one makes room: a refused stranger's retry gets in.
    await bob.messenger.declineBuddy(bob.messenger.buddies()[0].uid);
    await w.advance(20_000);
    expect(bob.messenger.buddies().filter((b) => b.status === 'incoming')).toHaveLength(5);
  });

  it('does not take an old buddy request replayed after the buddy was removed', async () => {
    const { w, alice, bob, m } = await buddiesWatched('notice-replay');
    const [oldRequest] = captured<BuddyNotice>(w, 'im.buddy', alice, bob);
    await bob.messenger.removeBuddy(alice.identity.id);
    await w.advance(500);
    const requests: unknown[] = [];
    bob.messenger.on('request', (r) => requests.push(r));
    m.ask(bob.identity.id, oldRequest);
    await w.advance(500);
    expect(requests).toEqual([]);
    expect(bob.messenger.buddies()).toEqual([]);
    // A real new request still comes through, and the two can be buddies again.
    await w.befriend(alice, bob);
    expect(requests).toHaveLength(1);
    expect(bob.messenger.buddies()).toMatchObject([{ uid: alice.identity.id, status: 'accepted' }]);
  });
});
