// Restoring a backup older than the last messages (issue 15): the restored side's counters are
// behind the buddy's both ways. Nothing either side sends afterwards may be lost or shown twice,
// and neither a replay nor a hostile buddy may move anything it should not.

import { describe, expect, it } from 'vitest';
import { resyncState } from './messages.js';
import { MAX_SEQ_JUMP, markRestored } from './resync.js';
import { MemoryBackend, RecordStorage } from './storage.js';
import { captured, mallory } from './testing/hostile.js';
import { world } from './testing/world.js';
import type { Receipt, ResyncRequest, ResyncState } from './wire.js';

/**
 * alice chats with bob and carol, her storage is copied (the backup), alice and bob send two more
 * each, then alice restores the copy in a fresh "browser" (bob offline by then when asked).
 */
async function staleRestore(seed: string, bobOffline = false) {
  const w = world(seed);
  const aliceBackend = new MemoryBackend();
  const [alice, bob, carol] = [await w.person('alice', new RecordStorage(aliceBackend)), await w.person('bob'), await w.person('carol')];
  await w.befriend(alice, bob);
  await w.befriend(alice, carol);
  await alice.messenger.send(bob.identity.id, 'a1');
  await bob.messenger.send(alice.identity.id, 'b1');
  await carol.messenger.send(alice.identity.id, 'c1');
  await w.advance(500);
  const backup = aliceBackend.copy();
  for (const text of ['a2', 'a3']) await alice.messenger.send(bob.identity.id, text);
  for (const text of ['b2', 'b3']) await bob.messenger.send(alice.identity.id, text);
  await w.advance(500);
  expect(w.texts(bob)).toEqual(['a1', 'a2', 'a3']);
  expect(w.texts(alice).sort()).toEqual(['b1', 'b2', 'b3', 'c1']);
  w.crash(alice);
  if (bobOffline) w.crash(bob);
  const restoredStorage = new RecordStorage(backup);
  await markRestored(restoredStorage, alice.identity.id);
  const restored = await w.person('alice', restoredStorage);
  await w.advance(2_000);
  return { w, alice: restored, bob, carol, m: mallory(w) };
}

const outSeqs = async (storage: RecordStorage | import('./storage.js').ImStorage) => (await storage.listOutbox()).map((e) => e.seq);

describe('a restore from a backup older than the last messages', () => {
  it('shows what the restored side sends next, once and in order (its seqs were used by the old browser)', async () => {
    const { w, alice, bob } = await staleRestore('stale send');
    for (const text of ['a4', 'a5']) await alice.messenger.send(bob.identity.id, text);
    await w.advance(20_000);
    expect(w.texts(bob)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(await outSeqs(alice.storage)).toEqual([]);
    const history = await alice.messenger.history(bob.identity.id);
    expect(history.filter((h) => h.direction === 'out').map((h) => [h.seq, h.text, h.delivered])).toEqual([[1, 'a1', true], [4, 'a4', true], [5, 'a5', true]]);
  });

  it('shows what the buddy sends next, once and in order (the old browser had shown more)', async () => {
    const { w, alice, bob } = await staleRestore('stale receive');
    for (const text of ['b4', 'b5']) await bob.messenger.send(alice.identity.id, text);
    await w.advance(20_000);
    expect(w.texts(alice)).toEqual(['b4', 'b5']);
    expect(await outSeqs(bob.storage)).toEqual([]);
    const history = await alice.messenger.history(bob.identity.id);
    expect(history.filter((h) => h.direction === 'in').map((h) => [h.seq, h.text])).toEqual([[1, 'b1'], [4, 'b4'], [5, 'b5']]);
  });

  it('keeps what the restored side sends to an offline buddy until the buddy says where it stands, then shows it once', async () => {
    const { w, alice, bob } = await staleRestore('stale offline', true);
    const renumbered: unknown[] = [];
    alice.messenger.on('renumbered', (event) => renumbered.push(event));
    // As many as the old browser sent after the backup: sent at once, the buddy's ack of the old
    // browser's 2 and 3 would look like an ack of these.
    for (const text of ['a4', 'a5']) await alice.messenger.send(bob.identity.id, text);
    await w.advance(15_000);
    const bobAgain = await w.reload(bob);
    await w.advance(20_000);
    expect(w.texts(bobAgain)).toEqual(['a4', 'a5']);
    // Queued as 2 and 3 (the old browser's seqs), sealed again as 4 and 5: the UI is told.
    expect(renumbered).toEqual([{ to: bob.identity.id, seqs: [[2, 4], [3, 5]] }]);
    expect((await bob.messenger.history(alice.identity.id)).filter((h) => h.direction === 'in').map((h) => [h.seq, h.text])).toEqual([[1, 'a1'], [2, 'a2'], [3, 'a3'], [4, 'a4'], [5, 'a5']]);
    expect(await outSeqs(alice.storage)).toEqual([]);
  });

  it('sends nothing before the buddy answered (not even to a mailbox), so a message of the old browser it never got leaves no gap and no copy', async () => {
    const w = world('stale undelivered');
    const aliceBackend = new MemoryBackend();
    const [alice, bob] = [await w.person('alice', new RecordStorage(aliceBackend)), await w.person('bob')];
    await Promise.all(['carol', 'dave', 'erin'].map((name) => w.person(name))); // mailbox holders
    await w.befriend(alice, bob);
    await alice.messenger.send(bob.identity.id, 'a1');
    await w.advance(500);
    const backup = aliceBackend.copy();
    w.crash(bob);
    // The old browser sends a2 to the offline bob and is closed before anything answers: lost with it.
    await alice.messenger.send(bob.identity.id, 'a2');
    w.crash(alice);
    const restoredStorage = new RecordStorage(backup);
    await markRestored(restoredStorage, alice.identity.id);
    const restored = await w.person('alice', restoredStorage);
    await w.advance(1_000);
    await restored.messenger.send(bob.identity.id, 'a3');
    await w.advance(15_000);
    expect(restored.messenger.stats.get('mail posted')).toBe(0); // not even to a mailbox, with a seq maybe used
    // Its request overtaken by anything sent after it: the answer must not count our a3.
    w.overlay.plan = ({ body }) => [(body as { t: string }).t === 'im.resync' ? 300 : w.overlay.latencyMs];
    const bobAgain = await w.reload(bob);
    await w.advance(20_000);
    expect(w.texts(bobAgain)).toEqual(['a3']);
    expect(await outSeqs(restored.storage)).toEqual([]);
  });

  it('takes no receipt before the buddy answered: a replayed old receipt drops nothing queued, and a replayed answer moves nothing', async () => {
    const { w, alice, bob, m } = await staleRestore('stale replay', true);
    const oldReceipt = captured<Receipt>(w, 'im.receipt', bob, alice).find((r) => r.ack === 2);
    expect(oldReceipt).toBeDefined();
    await alice.messenger.send(bob.identity.id, 'a4');
    m.ask(alice.identity.id, oldReceipt);
    await w.advance(5_000);
    expect(await outSeqs(alice.storage)).toEqual([2]);
    const bobAgain = await w.reload(bob);
    await w.advance(20_000);
    expect(w.texts(bobAgain)).toEqual(['a4']);
    const counters = await alice.storage.getCounters(bob.identity.id);
    const answer = captured<ResyncState>(w, 'im.resyncState', bob, alice).at(-1);
    m.ask(alice.identity.id, answer);
    await w.advance(5_000);
    expect(alice.messenger.stats.get('resync state unasked')).toBe(1);
    expect(await alice.storage.getCounters(bob.identity.id)).toEqual(counters);
    expect(w.texts(bobAgain)).toEqual(['a4']);
  });

  it(`refuses a hostile buddy's jump over ${MAX_SEQ_JUMP} seqs, and its answer touches no other conversation`, async () => {
    const { w, alice, bob, carol, m } = await staleRestore('stale hostile', true);
    await alice.messenger.send(bob.identity.id, 'a4');
    await alice.messenger.send(carol.identity.id, 'to carol');
    await w.advance(1_000);
    const carolCounters = await alice.storage.getCounters(carol.identity.id);
    const request = captured<ResyncRequest>(w, 'im.resync', alice, bob).at(-1);
    if (!request) throw new Error('alice never asked bob');
    const huge = 2 ** 52;
    m.ask(alice.identity.id, resyncState(bob.identity, request, huge, huge));
    await w.advance(1_000);
    expect(alice.messenger.stats.get('resync jump refused')).toBe(2);
    expect(await alice.storage.getCounters(bob.identity.id)).toMatchObject({ nextSendSeq: 3, delivered: 1 });
    expect(await outSeqs(alice.storage)).toEqual([2]);
    expect(await alice.storage.getCounters(carol.identity.id)).toEqual(carolCounters);
    expect(w.texts(carol)).toEqual(['to carol']);
  });
});
