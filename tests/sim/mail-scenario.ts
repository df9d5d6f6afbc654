// Mail for the offline on the simulator, the scenario tests/sim/mailbox.test.ts checks and
// bench/mailbox.bench.ts measures: PastryNodes on SimNetwork, a Messenger on each user's node and an
// ImRelay (the storing role alone) on every other node.
//
//   1. pairs of buddies (a, b); every b closes its tab (graceful leave);
//   2. every a writes `messages` to its offline b, then closes its tab too;
//   3. churn among the storing nodes: `churn` of the nodes holding mail crash silently, in two waves a
//      minute apart, and as many fresh nodes join;
//   4. every b comes back (same uid, same browser storage, a new node): the holders hand its mail
//      over; we record when each message is shown;
//   5. every b leaves again and every a comes back: the receipts b posted to a's mailbox reach a's
//      outbox, which empties.

import { DEFAULT_MAILBOX_CONFIG } from '../../src/im/config.js';
import type { Messenger } from '../../src/im/messenger.js';
import { ImRelay } from '../../src/im/relay.js';
import type { NodeId } from '../../src/overlay/id.js';
import type { PastryNode } from '../../src/overlay/pastry-node.js';
import { world, type User } from './im-world.js';

export interface MailScenarioOptions {
  seed: number;
  nodes: number;
  pairs: number;
  messages: number;
  /** Fraction of the storing nodes that crash while the mail waits. */
  churn: number;
  concurrency?: number;
  log?: boolean;
  /**
   * Ends the two waits for returning users early once every pair has what it should (after a
   * handover retry's time more, so a late duplicate would still show): the test's saving; the
   * bench always waits the full 60 s / 30 s.
   */
  stopWhenDone?: boolean;
}

export interface MailScenarioResult {
  sent: number;
  /** Messages b showed exactly once, in order (its whole list equals what a sent). */
  shownOnce: number;
  /** Pairs whose b showed anything other than exactly what a sent, in order. */
  wrongPairs: { from: NodeId; expected: string[]; shown: string[]; heldBy: number; counters: Record<string, number> }[];
  /** Virtual ms from b's node starting its join until its last message was shown, per pair that got all. */
  deliveryMs: number[];
  /** Highest bytes / items each node's mailbox ever held at once (live and crashed nodes). */
  bytesPerNode: number[];
  itemsPerNode: number[];
  storingNodes: number;
  crashedHolders: number;
  /** Senders whose outbox for b was empty after they came back (b's receipt reached them through the mailbox). */
  outboxesEmptied: number;
  /** Messenger and relay counters summed over all nodes (mail.* only). */
  counters: Record<string, number>;
}

export async function runMailScenario(options: MailScenarioOptions): Promise<MailScenarioResult> {
  const { pairs: pairCount, messages, churn, concurrency = 50 } = options;
  const w = await world(options.seed, { concurrency });
  const { sim, advance, joinConcurrently, userNode, nodeFor, openMessenger } = w;
  const log = options.log === false ? () => undefined : w.log;
  const relays = new Map<NodeId, ImRelay>();
  const relay = (nodes: PastryNode[]) => nodes.forEach((node) => relays.set(node.id, new ImRelay(node, sim.clock)));

  relay(await sim.build(options.nodes - 2 * pairCount, { concurrency }));
  const joining = Array.from({ length: 2 * pairCount }, (_, i) => userNode(i));
  await joinConcurrently(joining.map((u) => u.node));
  for (const { node } of joining) sim.track(node);
  await sim.settle(30_000);
  for (const [i, { identity, node }] of joining.entries()) await openMessenger(i, identity, node);
  const first = [...w.users];
  const pairs = Array.from({ length: pairCount }, (_, i) => ({ a: first[2 * i], b: first[2 * i + 1] }));
  for (const { a, b } of pairs) await a.messenger.requestBuddy({ uid: b.uid, name: 'b', publicKey: b.publicKey });
  await advance(2_000);
  for (const { a, b } of pairs) await b.messenger.acceptBuddy(a.uid);
  await advance(5_000);
  log(`${options.nodes} nodes, ${pairCount} buddy pairs`);

  /** `ms` of virtual time, or (stopWhenDone) until `done` holds and a handover retry's time more. */
  const advanceUntil = async (done: () => boolean | Promise<boolean>, ms: number, step: number) => {
    if (!options.stopWhenDone) return advance(ms, step);
    const end = sim.clock.now() + ms;
    while (sim.clock.now() < end && !(await done())) await advance(Math.min(1_000, end - sim.clock.now()), step);
    await advance(Math.min(DEFAULT_MAILBOX_CONFIG.handoverRetryMs + DEFAULT_MAILBOX_CONFIG.tickMs, Math.max(0, end - sim.clock.now())), step);
  };
  const leave = (user: User) => {
    user.messenger.stop();
    user.node.leave();
    sim.network.crash(user.uid, false);
    sim.membershipChanged();
  };
  for (const { b } of pairs) leave(b);
  await advance(5_000);
  const expected = (a: User) => Array.from({ length: messages }, (_, i) => `${a.uid.slice(0, 6)} #${i + 1}`);
  for (const { a, b } of pairs) for (const text of expected(a)) await a.messenger.send(b.uid, text);
  await advance(15_000);
  for (const { a } of pairs) leave(a);
  await advance(5_000);

  // Churn among the nodes that hold mail now: crashes, and as many newcomers.
  const holding = () => [
    ...[...relays].filter(([id, r]) => sim.network.isAlive(id) && r.mailbox.store.usage().items > 0).map(([id]) => id),
    ...w.users.filter((u) => sim.network.isAlive(u.uid) && u.messenger.mailbox.store.usage().items > 0).map((u) => u.uid),
  ];
  const storingNodes = holding().length;
  let crashedHolders = 0;
  for (let wave = 0; wave < 2; wave++) {
    const holders = holding();
    const victims = pick(holders, Math.round((storingNodes * churn) / 2), sim.random.fork(`mail-churn-${wave}`));
    for (const id of victims) {
      sim.network.crash(id, true);
      sim.nodes.get(id)?.stop();
      w.users.find((u) => u.uid === id)?.messenger.stop();
    }
    crashedHolders += victims.length;
    sim.membershipChanged();
    const newcomers = Array.from({ length: victims.length }, () => sim.createNode());
    await joinConcurrently(newcomers);
    for (const node of newcomers) sim.track(node);
    relay(newcomers);
    await advance(60_000, 1_000);
  }
  log(`${storingNodes} nodes held mail; ${crashedHolders} of them crashed, as many joined`);

  // How many live nodes hold each b's mail as it comes back (reported for pairs that go wrong).
  const liveStores = () => [
    ...[...relays].filter(([id]) => sim.network.isAlive(id)).map(([, r]) => r.mailbox.store),
    ...w.users.filter((u) => sim.network.isAlive(u.uid)).map((u) => u.messenger.mailbox.store),
  ];
  const heldAtReturn = new Map(pairs.map(({ b }) => [b.uid, liveStores().filter((store) => store.forRecipient(b.uid).length > 0).length]));
  // Every b comes back: a new node with its uid, its messenger open (buddies loaded) before the join.
  const returned = new Map<NodeId, { user: User; startedAt: number; shownAt: number[] }>();
  const back: { user: User; node: PastryNode }[] = [];
  for (const [i, { b }] of pairs.entries()) {
    const node = nodeFor(b.identity, `return-b-${i}`);
    const user = await openMessenger(1_000_000 + i, b.identity, node, b.storage, false);
    const record = { user, startedAt: 0, shownAt: [] as number[] };
    user.messenger.on('message', () => record.shownAt.push(sim.clock.now()));
    returned.set(b.uid, record);
    back.push({ user, node });
  }
  for (let i = 0; i < back.length; i += concurrency) {
    const batch = back.slice(i, i + concurrency);
    for (const { user } of batch) returned.get(user.uid)!.startedAt = sim.clock.now();
    await joinConcurrently(batch.map((entry) => entry.node));
    for (const { user, node } of batch) {
      sim.track(node);
      user.messenger.start();
    }
  }
  const allShown = () => pairs.every(({ a, b }) => (returned.get(b.uid)!.user.shown.get(a.uid)?.length ?? 0) >= messages);
  await advanceUntil(allShown, 60_000, 500);
  log('recipients back');

  const wrongPairs: MailScenarioResult['wrongPairs'] = [];
  const deliveryMs: number[] = [];
  let shownOnce = 0;
  for (const { a, b } of pairs) {
    const record = returned.get(b.uid)!;
    const shown = record.user.shown.get(a.uid) ?? [];
    if (JSON.stringify(shown) === JSON.stringify(expected(a))) {
      shownOnce += shown.length;
      deliveryMs.push(Math.max(...record.shownAt) - record.startedAt);
    } else wrongPairs.push({ from: a.uid, expected: expected(a), shown, heldBy: heldAtReturn.get(b.uid) ?? 0, counters: record.user.messenger.stats.snapshot() });
  }

  // The receipts: every b leaves again, every a comes back and finds b's receipt in its mailbox.
  for (const { user } of returned.values()) leave(user);
  await advance(5_000);
  const senders: { user: User; node: PastryNode; to: NodeId }[] = [];
  for (const [i, { a, b }] of pairs.entries()) {
    const node = nodeFor(a.identity, `return-a-${i}`);
    senders.push({ user: await openMessenger(2_000_000 + i, a.identity, node, a.storage, false), node, to: b.uid });
  }
  for (let i = 0; i < senders.length; i += concurrency) {
    const batch = senders.slice(i, i + concurrency);
    await joinConcurrently(batch.map((entry) => entry.node));
    for (const { user, node } of batch) {
      sim.track(node);
      user.messenger.start();
    }
  }
  const emptied = async () => (await Promise.all(senders.map(async ({ user, to }) => (await user.storage.listOutbox()).every((entry) => entry.peer !== to)))).every(Boolean);
  await advanceUntil(emptied, 30_000, 500);
  let outboxesEmptied = 0;
  for (const { user, to } of senders) if ((await user.storage.listOutbox()).every((entry) => entry.peer !== to)) outboxesEmptied++;
  log(`senders back: ${outboxesEmptied}/${senders.length} outboxes emptied by mailed receipts`);

  const stores = [...relays.values()].map((r) => r.mailbox.store).concat(w.users.map((u) => u.messenger.mailbox.store));
  const counters: Record<string, number> = {};
  for (const stats of [...relays.values()].map((r) => r.stats).concat(uniqueMessengers(w.users).map((m) => m.stats))) {
    for (const [label, n] of Object.entries(stats.snapshot())) if (label.startsWith('mail')) counters[label] = (counters[label] ?? 0) + n;
  }
  for (const r of relays.values()) r.stop();
  for (const u of w.users) u.messenger.stop();
  return {
    sent: pairCount * messages, shownOnce, wrongPairs, deliveryMs,
    bytesPerNode: stores.map((s) => s.highWater.bytes), itemsPerNode: stores.map((s) => s.highWater.items),
    storingNodes, crashedHolders, outboxesEmptied, counters,
  };
}

function uniqueMessengers(users: User[]): Messenger[] {
  return [...new Set(users.map((u) => u.messenger))];
}

function pick<T>(items: readonly T[], count: number, random: { int(n: number): number }): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) out.push(pool.splice(random.int(pool.length), 1)[0]);
  return out;
}
