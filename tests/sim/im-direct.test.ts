// Direct links for active chats, on the simulator (PastryNodes on SimNetwork, a Messenger per user):
// two buddies far apart in the overlay (no link between them, so a routed chat takes two hops or
// more) start chatting; the chat gets a direct link and its messages take one hop; quiet for the
// idle period, the link is let go and closes; a link that dies mid-chat leaves the chat to routing
// and the outbox, with every message still shown once and in order.

import { describe, expect, it } from 'vitest';
import type { PastryNode } from '../../src/overlay/pastry-node.js';
import { world, type User } from './im-world.js';

const IDLE_MS = 20_000;
/** The overlay closes a link neither side needs after this much silence (OverlayConfig.idleLinkGraceMs). */
const LINK_GRACE_MS = 10_000;

/** Chats a user received, by the hops they took (from the messenger's counters). */
function hopsSeen(user: User): Record<number, number> {
  const seen: Record<number, number> = {};
  for (const [reason, count] of Object.entries(user.messenger.stats.snapshot())) {
    const match = /^im\.chat received over (\d+) hops$/.exec(reason);
    if (match) seen[Number(match[1])] = count;
  }
  return seen;
}

const multiHop = (user: User) => Object.entries(hopsSeen(user)).reduce((sum, [hops, n]) => sum + (Number(hops) > 1 ? n : 0), 0);

/** The overlay itself wants a link between x and y (leaf set or routing table, either side). */
const tablesNeed = (x: PastryNode, y: PastryNode) =>
  x.leafSet.has(y.id) || x.routingTable.has(y.id) || y.leafSet.has(x.id) || y.routingTable.has(x.id);

async function buddiesApart(seed: number) {
  const w = await world(seed, { im: { directIdleMs: IDLE_MS } });
  await w.sim.build(80, { concurrency: 10 });
  const joining = Array.from({ length: 8 }, (_, i) => w.userNode(i));
  await w.joinConcurrently(joining.map((u) => u.node));
  await w.sim.settle(30_000);
  for (const [i, { identity, node }] of joining.entries()) await w.openMessenger(i, identity, node);
  const pairs = w.users.flatMap((x) => w.users.map((y) => [x, y] as const));
  const [a, b] = pairs.find(([x, y]) => x !== y && !x.node.links.has(y.uid) && !tablesNeed(x.node, y.node))!;
  await a.messenger.requestBuddy({ uid: b.uid, name: 'b', publicKey: b.publicKey });
  await w.advance(2_000);
  await b.messenger.acceptBuddy(a.uid);
  await w.advance(5_000);
  expect(a.messenger.buddies()[0]).toMatchObject({ status: 'accepted', online: true });
  expect(b.messenger.buddies()[0]).toMatchObject({ status: 'accepted', online: true });
  // Buddy requests and presence are routed: no direct link yet.
  expect([a.messenger.directLinks(), b.messenger.directLinks()]).toEqual([[], []]);
  expect(a.node.links.has(b.uid)).toBe(false);
  return { ...w, a, b };
}

/** a sent a0..a{count} and b sent b1..b{count}: each side shows the other's once, in order, and nothing waits in an outbox. */
async function expectAllShownOnceInOrder(a: User, b: User, count: number): Promise<void> {
  expect(b.shown.get(a.uid)).toEqual(Array.from({ length: count + 1 }, (_, i) => `a${i}`));
  expect(a.shown.get(b.uid)).toEqual(Array.from({ length: count }, (_, i) => `b${i + 1}`));
  expect(await a.storage.listOutbox()).toEqual([]);
  expect(await b.storage.listOutbox()).toEqual([]);
}

describe('direct links for active chats (simulator)', () => {
  it('an active chat gets a direct link: messages then take one hop, in order and once; quiet for the idle period, the link closes and chats are routed again', async () => {
    const { a, b, advance } = await buddiesApart(31);

    await a.messenger.send(b.uid, 'a0');
    await advance(3_000);
    expect(b.shown.get(a.uid)).toEqual(['a0']);
    expect(multiHop(b)).toBe(1); // the first message was routed while the link was being opened
    expect(a.messenger.directLinks()).toEqual([b.uid]);
    expect(b.messenger.directLinks()).toEqual([a.uid]);
    expect(a.node.links.has(b.uid)).toBe(true);

    const rounds = 20;
    for (let i = 1; i <= rounds; i++) {
      await a.messenger.send(b.uid, `a${i}`);
      await b.messenger.send(a.uid, `b${i}`);
      await advance(250);
    }
    await advance(3_000);
    await expectAllShownOnceInOrder(a, b, rounds);
    expect(hopsSeen(b)[1]).toBe(rounds);
    expect(hopsSeen(a)).toEqual({ 1: rounds });
    expect(a.messenger.stats.get('im.chat sent direct')).toBe(rounds);
    expect(b.messenger.stats.get('im.chat sent direct')).toBe(rounds);
    // Receipts come back over the link too (a direct delivery has no reverse path to answer on).
    expect(b.messenger.stats.get('im.receipt sent direct')).toBeGreaterThan(0);

    // Quiet: each side lets its link go after the idle period, and the overlay closes it once silent
    // (presence keep-alives go on between the two, routed around the link).
    await advance(IDLE_MS + LINK_GRACE_MS + 5_000, 1_000);
    expect([a.messenger.directLinks(), b.messenger.directLinks()]).toEqual([[], []]);
    expect(a.messenger.stats.get('direct link closed: idle')).toBe(1);
    expect(b.messenger.stats.get('direct link closed: idle')).toBe(1);
    expect(tablesNeed(a.node, b.node)).toBe(false);
    expect(a.node.links.has(b.uid)).toBe(false);
    expect(b.node.links.has(a.uid)).toBe(false);
    expect(a.messenger.buddies()[0].online).toBe(true);

    await a.messenger.send(b.uid, 'after a pause');
    await advance(3_000);
    expect(b.shown.get(a.uid)?.at(-1)).toBe('after a pause');
    expect(multiHop(b)).toBe(2);
  });

  it('a direct link that dies mid-chat: messages fall back to routing, and the outbox resends what the link swallowed; nothing lost, nothing shown twice', async () => {
    const { a, b, advance } = await buddiesApart(32);
    await a.messenger.send(b.uid, 'a0');
    await advance(3_000);
    expect(a.messenger.directLinks()).toEqual([b.uid]);

    const count = 30;
    let routedBeforeCut = 0;
    for (let i = 1; i <= count; i++) {
      await a.messenger.send(b.uid, `a${i}`);
      await b.messenger.send(a.uid, `b${i}`);
      if (i === 10) {
        // b's end goes first: what a already put on the wire is lost with it.
        routedBeforeCut = a.messenger.stats.get('im.chat routed');
        b.node.links.get(a.uid)!.link.close();
      }
      await advance(100);
    }
    await advance(15_000);

    await expectAllShownOnceInOrder(a, b, count);
    expect(a.messenger.stats.get('direct link closed: lost')).toBe(1);
    // Routed after the cut, delivered over more than one hop.
    expect(a.messenger.stats.get('im.chat routed')).toBeGreaterThan(routedBeforeCut);
    expect(multiHop(b)).toBeGreaterThan(1);
  });
  it('opening the chat in the UI readies the direct link, so even the first message takes one hop', async () => {
    const { a, b, advance } = await buddiesApart(33);
    a.messenger.chatOpened(b.uid);
    await advance(3_000);
    expect(a.messenger.directLinks()).toEqual([b.uid]);
    await a.messenger.send(b.uid, 'first');
    await advance(1_000);
    expect(b.shown.get(a.uid)).toEqual(['first']);
    expect(hopsSeen(b)).toEqual({ 1: 1 });
  });
});
