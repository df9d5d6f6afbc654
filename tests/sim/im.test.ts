// Instant messaging on the real simulator: PastryNodes on SimNetwork, one Messenger per user node,
// buddy pairs chatting while nodes crash. Scale from the environment so CI can run it smaller:
//   IM_SIM_NODES (1000), IM_SIM_PAIRS (200), IM_SIM_MESSAGES (20), IM_SIM_CHURN (0.3).
//
// SimNetwork cannot bring a crashed id back (createTransport refuses duplicates), so churn here is
// crash-only: a crashed user never returns. What must hold: every message whose two ends are alive
// at the end is shown once, in order, and acknowledged; messages to a crashed buddy are shown as a
// gap-free prefix and the rest wait in the sender's outbox (nothing lost, nothing shown twice).

import { describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity } from '../../src/overlay/identity.js';
import { PastryNode } from '../../src/overlay/pastry-node.js';
import { Simulation } from '../../src/sim/simulation.js';
import { Messenger } from '../../src/im/messenger.js';
import { memoryStorage, type ImStorage } from '../../src/im/storage.js';
import type { NodeId } from '../../src/overlay/id.js';

const NODES = Number(process.env.IM_SIM_NODES ?? 1000);
const PAIRS = Number(process.env.IM_SIM_PAIRS ?? 200);
const MESSAGES = Number(process.env.IM_SIM_MESSAGES ?? 20);
const CHURN = Number(process.env.IM_SIM_CHURN ?? 0.3);

interface User {
  uid: NodeId;
  node: PastryNode;
  messenger: Messenger;
  storage: ImStorage;
  publicKey: string;
  shown: Map<NodeId, string[]>;
}

async function world(seed: number) {
  const sim = new Simulation({ seed });
  const users: User[] = [];
  const keys = sim.random.fork('identities');

  /** Virtual time in steps, letting WebCrypto (thread pool, not microtasks) finish in between. */
  async function advance(ms: number, step = 50) {
    const end = sim.clock.now() + ms;
    while (sim.clock.now() < end) {
      await sim.settle(Math.min(step, end - sim.clock.now()));
      await Promise.all(users.map((u) => u.messenger.whenIdle()));
    }
  }

  async function addUser(index: number): Promise<User> {
    const identity = generateIdentity(keys.fork(index));
    const node = new PastryNode({
      transport: sim.network.createTransport(identity.id),
      clock: sim.clock,
      random: sim.random.fork(`user-node-${index}`),
    });
    sim.nodes.set(node.id, node);
    await sim.join(node);
    const storage = memoryStorage();
    const messenger = await Messenger.open({ identity, storage, overlay: node, clock: sim.clock, random: sim.random.fork(`user-${index}`) });
    await messenger.setProfile({ name: `user ${index}`, keywords: [] });
    const user: User = { uid: identity.id, node, messenger, storage, publicKey: bytesToHex(identity.publicKey), shown: new Map() };
    messenger.on('message', (m) => {
      const list = user.shown.get(m.from) ?? [];
      list.push(m.text);
      user.shown.set(m.from, list);
    });
    messenger.start();
    users.push(user);
    return user;
  }

  return { sim, users, advance, addUser };
}

describe('instant messaging on the simulator', () => {
  it(`${PAIRS} buddy pairs x ${MESSAGES} messages on ${NODES} nodes under ${CHURN * 100}% churn: in order, exactly once, nothing lost`, async () => {
    const { sim, users, advance, addUser } = await world(11);
    const userCount = 2 * PAIRS;
    const pick = sim.random.fork('layout');
    // Users and plain nodes interleaved at random, so users are spread over the join order.
    let usersLeft = userCount;
    for (let i = 0; i < NODES; i++) {
      const nodesLeft = NODES - i;
      if (pick.int(nodesLeft) < usersLeft) {
        await addUser(userCount - usersLeft);
        usersLeft--;
      } else {
        await sim.join(sim.createNode());
      }
    }

    const pairs = Array.from({ length: PAIRS }, (_, i) => ({ a: users[2 * i], b: users[2 * i + 1] }));
    for (const { a, b } of pairs) await a.messenger.requestBuddy({ uid: b.uid, name: 'b', publicKey: b.publicKey });
    await advance(2_000);
    for (const { a, b } of pairs) await b.messenger.acceptBuddy(a.uid);
    await advance(5_000);
    expect(pairs.every(({ a, b }) => a.messenger.buddies()[0]?.status === 'accepted' && b.messenger.buddies()[0]?.online)).toBe(true);

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
    await advance(60_000);

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
          // Shown: a gap-free prefix of what was sent, once each.
          expect(shown).toEqual(sent.slice(0, shown.length));
        }
        delivered += shown.length;
        if (!crashed.has(from.uid)) waiting += (await from.storage.listOutbox()).length;
      }
      // Presence: a live user sees its crashed buddy offline.
      if (crashed.has(b.uid) && !crashed.has(a.uid)) expect(a.messenger.buddies()[0].online).toBe(false);
      if (crashed.has(a.uid) && !crashed.has(b.uid)) expect(b.messenger.buddies()[0].online).toBe(false);
    }
    console.log(`IM sim: ${NODES} nodes, ${crashed.size} crashed, ${delivered} messages shown, ${waiting} waiting in outboxes`);
  }, 3_600_000);
});
