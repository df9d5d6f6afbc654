// Instant messaging on the real simulator: PastryNodes on SimNetwork, one Messenger per user node,
// buddy pairs chatting while nodes crash, at the size: 1,000 nodes, 200 pairs x 20 messages,
// 30% churn (about 90 s on 2 cores). IM_SIM_SMALL=1 runs 400 nodes / 80 pairs for quick iteration;
// any size can come from the environment:
//   IM_SIM_NODES (1000), IM_SIM_PAIRS (200), IM_SIM_MESSAGES (20), IM_SIM_CHURN (0.3),
//   IM_SIM_CONCURRENCY (50 joins in flight), IM_SIM_STEP (250 ms virtual-time slices)
//
// SimNetwork cannot bring a crashed id back (createTransport refuses duplicates), so churn here is
// crash-only: a crashed user never returns. What must hold: every message whose two ends are alive
// at the end is shown once, in order, and acknowledged; messages to a crashed buddy are shown as a
// gap-free prefix and the rest wait in the sender's outbox (nothing lost, nothing shown twice);
// nodes on the way see only ciphertext; chats forged in a buddy's name are rejected. A chat's first
// message is routed and opens a direct link (tests/sim/im-direct.test.ts); later ones take it while
// it lives, so churn here also breaks direct links mid-chat.

import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../../src/overlay/identity.js';
import { IM_APPLICATION } from '../../src/im/config.js';
import { deriveConversationKey, sealChat } from '../../src/im/crypto.js';
import { conversationEpoch } from '../../src/im/epoch.js';
import { chatMessage } from '../../src/im/messages.js';
import type { NodeId } from '../../src/overlay/id.js';
import { world, type User } from './im-world.js';

const SMALL = process.env.IM_SIM_SMALL === '1';
const NODES = Number(process.env.IM_SIM_NODES ?? (SMALL ? 400 : 1000));
const PAIRS = Number(process.env.IM_SIM_PAIRS ?? (SMALL ? 80 : 200));
const MESSAGES = Number(process.env.IM_SIM_MESSAGES ?? 20);
const CHURN = Number(process.env.IM_SIM_CHURN ?? 0.3);
/** Joins in flight at once while the overlay is built. */
const CONCURRENCY = Number(process.env.IM_SIM_CONCURRENCY ?? 50);

describe('instant messaging on the simulator', () => {
  it(`${PAIRS} buddy pairs x ${MESSAGES} messages on ${NODES} nodes under ${CHURN * 100}% churn: in order, exactly once, nothing lost, only ciphertext on the way, forgeries rejected`, async () => {
    const { sim, users, log, advance, joinConcurrently, userNode, openMessenger, eavesdrop } = await world(11, { concurrency: CONCURRENCY });
    const userCount = 2 * PAIRS;
    await sim.build(NODES - userCount, { concurrency: CONCURRENCY });
    const plainNodes = sim.liveNodes();
    const eavesdropper = eavesdrop(plainNodes);
    const joining = Array.from({ length: userCount }, (_, i) => userNode(i));
    await joinConcurrently(joining.map((u) => u.node));
    // Users joined outside sim.build: without this, sim.crash picks plain nodes only and no buddy
    // ever crashes (the crashed-buddy checks below then pass vacuously).
    for (const { node } of joining) sim.track(node);
    // Concurrent joins leave leaf sets for gossip and refresh to reconcile.
    await sim.settle(30_000);
    for (const [i, { identity, node }] of joining.entries()) await openMessenger(i, identity, node);
    log(`${NODES} nodes joined (${userCount} users)`);

    const pairs = Array.from({ length: PAIRS }, (_, i) => ({ a: users[2 * i], b: users[2 * i + 1] }));
    for (const { a, b } of pairs) await a.messenger.requestBuddy({ uid: b.uid, name: 'b', publicKey: b.publicKey });
    await advance(2_000);
    for (const { a, b } of pairs) await b.messenger.acceptBuddy(a.uid);
    await advance(5_000);
    expect(pairs.every(({ a, b }) => a.messenger.buddies()[0]?.status === 'accepted' && b.messenger.buddies()[0]?.online)).toBe(true);
    log('buddies accepted');

    // Mallory, a plain node, forges chats in the names of the first pairs' buddies.
    const mallory = plainNodes[0];
    const malloryIdentity = generateIdentity(sim.random.fork('mallory'));
    const forgedTo = pairs.slice(0, 5).map(({ a, b }) => ({ from: a, to: b }));
    for (const { from, to } of forgedTo) {
      const key = await deriveConversationKey(malloryIdentity, to.publicKey);
      // The epoch travels in clear (any node on the way sees it): the forgery has the right one.
      const record = (await to.storage.listBuddies()).find((b) => b.uid === from.uid);
      const epoch = conversationEpoch(to.uid, from.uid, record ?? {});
      const sealed = await sealChat(malloryIdentity, key, to.uid, 1, { text: 'FORGED: send money', sentAt: sim.clock.now() }, sim.random.fork('forgery'), epoch);
      mallory.route(to.uid, IM_APPLICATION, chatMessage({ ...sealed, from: from.uid }));
    }
    // A route is fire-and-forget: let the forgeries arrive before churn can take a hop or addressee.
    await advance(2_000);

    // Messages flow both ways while nodes (users and plain ones) crash in six waves, CHURN of all in total.
    const crashed = new Set<NodeId>();
    const expected = (from: User, to: User) => Array.from({ length: MESSAGES / 2 }, (_, i) => `${from.uid.slice(0, 6)}->${to.uid.slice(0, 6)} #${i + 1}`);
    for (let round = 0; round < MESSAGES / 2; round++) {
      for (const { a, b } of pairs) {
        if (!crashed.has(a.uid)) await a.messenger.send(b.uid, expected(a, b)[round]);
        if (!crashed.has(b.uid)) await b.messenger.send(a.uid, expected(b, a)[round]);
      }
      if (round >= 1 && round <= 6) {
        const wave = Math.round((NODES * CHURN) / 6);
        for (const id of sim.crash(wave / sim.liveNodes().length)) {
          crashed.add(id);
          users.find((u) => u.uid === id)?.messenger.stop(); // its node is already dead: says nothing
        }
      }
      await advance(1_000);
    }
    log(`messages sent, ${crashed.size} nodes crashed (${users.filter((u) => crashed.has(u.uid)).length} of them users)`);
    expect(users.some((u) => crashed.has(u.uid))).toBe(true);
    await advance(60_000, 1_000);
    log('settled');

    let delivered = 0;
    let waiting = 0;
    for (const { a, b } of pairs) {
      for (const [from, to] of [[a, b], [b, a]] as const) {
        const shown = to.shown.get(from.uid) ?? [];
        const sent = expected(from, to);
        if (!crashed.has(from.uid) && !crashed.has(to.uid)) {
          expect(shown).toEqual(sent);
          expect(await from.storage.listOutbox()).toEqual([]);
        } else {
          // Shown: a gap-free prefix of what was sent, once each. Not empty: round 0 had a second of
          // virtual time before the first crash wave.
          expect(shown.length).toBeGreaterThanOrEqual(1);
          expect(shown).toEqual(sent.slice(0, shown.length));
          if (!crashed.has(from.uid)) {
            // The rest waits in the live sender's outbox: no receipt can cover a message never shown.
            const queued = (await from.storage.listOutbox()).filter((entry) => entry.peer === to.uid).map((entry) => entry.seq);
            const unshown = sent.slice(shown.length).map((_, i) => shown.length + 1 + i);
            expect(queued).toEqual(expect.arrayContaining(unshown));
            waiting += unshown.length;
          }
        }
        delivered += shown.length;
      }
      // Presence: a live user sees its crashed buddy offline.
      if (crashed.has(b.uid) && !crashed.has(a.uid)) expect(a.messenger.buddies()[0].online).toBe(false);
      if (crashed.has(a.uid) && !crashed.has(b.uid)) expect(b.messenger.buddies()[0].online).toBe(false);
    }

    // Nodes on the way forwarded chats and saw only the routing fields and ciphertext.
    expect(eavesdropper.chats).toBeGreaterThan(0);
    expect([...eavesdropper.fieldSets]).toEqual(['ct,epoch,from,nonce,seq,sig,t,to']);
    expect(eavesdropper.bodies.filter((body) => body.includes('->') || body.includes(' #'))).toEqual([]);

    // Every forged chat reached its addressee and was rejected, never shown
    // (they were sent before the first crash wave).
    const rejected = forgedTo.reduce((sum, { to }) => sum + to.messenger.stats.get('chat rejected: bad-signature'), 0);
    expect(rejected).toBe(forgedTo.length);
    expect(users.some((u) => [...u.shown.values()].flat().some((text) => text.startsWith('FORGED')))).toBe(false);

    log(`${crashed.size} crashed, ${delivered} messages shown, ${waiting} unshown waiting in outboxes, ${eavesdropper.chats} chats forwarded by plain nodes, ${rejected} forgeries rejected`);
  }, 3_600_000);
});
