// Mail for the offline when all its holders go at once (the cause of the mailbox bench's lost pair
// at seed 42): every node holding an offline uid's mail closes its tab at the same instant. A top-up
// each sends on seeing the others go leaves after its own "leaving" and is lost, so only what a
// holder passes on before it leaves (Mailbox.leave) keeps the mail in the network.

import { describe, expect, it } from 'vitest';
import { DEFAULT_MAILBOX_CONFIG } from '../../src/im/config.js';
import { ImRelay } from '../../src/im/relay.js';
import type { NodeId } from '../../src/overlay/id.js';
import { world, type User } from './im-world.js';

describe('mail for the offline when its holders leave together', () => {
  it('every holder of an offline uid\'s mail closing its tab at the same instant: the mail is passed on first and shown once, in order, when the uid returns', async () => {
    const w = await world(7);
    const { sim, advance, joinConcurrently, userNode, nodeFor, openMessenger } = w;
    const relays = new Map<NodeId, ImRelay>();
    for (const node of await sim.build(120)) relays.set(node.id, new ImRelay(node, sim.clock));
    const joining = [userNode(0), userNode(1)];
    await joinConcurrently(joining.map((u) => u.node));
    for (const { node } of joining) sim.track(node);
    await sim.settle(10_000);
    const a = await openMessenger(0, joining[0].identity, joining[0].node);
    const b = await openMessenger(1, joining[1].identity, joining[1].node);
    await a.messenger.requestBuddy({ uid: b.uid, name: 'b', publicKey: b.publicKey });
    await advance(2_000);
    await b.messenger.acceptBuddy(a.uid);
    await advance(5_000);

    const leave = (user: User) => {
      user.messenger.stop();
      user.node.leave();
      sim.network.crash(user.uid, false);
      sim.membershipChanged();
    };
    leave(b);
    await advance(5_000);
    const texts = ['one', 'two', 'three'];
    for (const text of texts) await a.messenger.send(b.uid, text);
    await advance(15_000);
    leave(a);
    await advance(5_000);

    const holding = () => [...relays].filter(([id, r]) => sim.network.isAlive(id) && r.mailbox.store.forRecipient(b.uid).length === texts.length).map(([id]) => id);
    const holders = holding();
    expect(holders.length).toBeGreaterThanOrEqual(DEFAULT_MAILBOX_CONFIG.holders);
    // All of them close their tabs in the same instant (each one's relay first, as a tab's pagehide does).
    for (const id of holders) {
      relays.get(id)!.leave();
      sim.nodes.get(id)!.leave();
      sim.network.crash(id, false);
    }
    sim.membershipChanged();
    await advance(10_000);
    expect(holding().length).toBeGreaterThanOrEqual(1);

    const node = nodeFor(b.identity, 'return-b');
    const back = await openMessenger(2, b.identity, node, b.storage, false);
    await joinConcurrently([node]);
    sim.track(node);
    back.messenger.start();
    await advance(30_000, 500);
    expect(back.shown.get(a.uid)).toEqual(texts);
    for (const r of relays.values()) r.stop();
    for (const u of w.users) u.messenger.stop();
  }, 120_000);
});
