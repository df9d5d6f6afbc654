// The IM simulator world shared by the tests/sim/im*.test.ts files: PastryNodes on SimNetwork (the
// class tabs run), a Messenger on each user's node, and virtual time that lets WebCrypto finish.

import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity, type Identity } from '../../src/overlay/identity.js';
import { PastryNode } from '../../src/overlay/pastry-node.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import { IM_APPLICATION, type ImConfig } from '../../src/im/config.js';
import { Messenger } from '../../src/im/messenger.js';
import { memoryStorage, type ImStorage } from '../../src/im/storage.js';
import type { NodeId } from '../../src/overlay/id.js';

export interface User {
  uid: NodeId;
  identity: Identity;
  node: PastryNode;
  messenger: Messenger;
  storage: ImStorage;
  publicKey: string;
  shown: Map<NodeId, string[]>;
}

/** What the nodes on the way (plain nodes, no messenger) saw of chat messages they forwarded. */
export interface Eavesdropper {
  chats: number;
  fieldSets: Set<string>;
  bodies: string[];
}

export interface WorldOptions extends Partial<Omit<SimulationOptions, 'seed'>> {
  /** Joins in flight at once while users join (joinConcurrently). */
  concurrency?: number;
  /** Every messenger's configuration. */
  im?: Partial<ImConfig>;
}

export async function world(seed: number, options: WorldOptions = {}) {
  const { concurrency = 50, im, ...simOptions } = options;
  const sim = new Simulation({ seed, ...simOptions });
  const users: User[] = [];
  const keys = sim.random.fork('identities');
  const started = performance.now();
  const log = (what: string) => console.log(`IM sim: ${what} (${((performance.now() - started) / 1000).toFixed(0)} s, virtual ${(sim.clock.now() / 1000).toFixed(0)} s)`);

  /**
   * Virtual time in `step` slices, letting WebCrypto (thread pool, not microtasks) finish in
   * between. Larger slices only make crypto finish later in virtual time (a resend at worst):
   * ordering and exactly-once come from sequence numbers, not from timing.
   */
  async function advance(ms: number, step = Number(process.env.IM_SIM_STEP ?? 250)) {
    const end = sim.clock.now() + ms;
    while (sim.clock.now() < end) {
      await sim.settle(Math.min(step, end - sim.clock.now()));
      await Promise.all(users.map((u) => u.messenger.whenIdle()));
    }
  }

  /** Joins `nodes` with `concurrency` joins in flight, as Simulation.build does for nodes it creates itself. */
  async function joinConcurrently(nodes: PastryNode[]) {
    for (let i = 0; i < nodes.length; i += concurrency) {
      const batch = nodes.slice(i, i + concurrency);
      let pending = batch.length;
      const failures: unknown[] = [];
      for (const node of batch) {
        node.start(sim.introducer()).then(() => pending--, (error: unknown) => (failures.push(error), pending--));
      }
      await sim.clock.run({ done: () => pending === 0 });
      if (failures.length > 0) throw failures[0];
    }
  }

  /** A user's node: its id is its identity's uid (docs/DESIGN.md: UID = nodeId). */
  function userNode(index: number): { identity: Identity; node: PastryNode } {
    const identity = generateIdentity(keys.fork(index));
    return { identity, node: nodeFor(identity, `user-node-${index}`) };
  }

  /** A new node for `identity` (a user coming back gets a new one, with the same id). */
  function nodeFor(identity: Identity, label: string): PastryNode {
    const node = new PastryNode({
      transport: sim.network.createTransport(identity.id),
      clock: sim.clock,
      random: sim.random.fork(label),
      config: sim.options.config,
    });
    sim.nodes.set(node.id, node);
    return node;
  }

  /** `storage`: the browser profile of a user coming back (same uid, buddies, conversations). */
  async function openMessenger(index: number, identity: Identity, node: PastryNode, storage: ImStorage = memoryStorage(), start = true): Promise<User> {
    const messenger = await Messenger.open({ identity, storage, overlay: node, clock: sim.clock, random: sim.random.fork(`user-${index}`), config: im });
    await messenger.setProfile({ name: `user ${index}`, keywords: [] });
    const user: User = { uid: identity.id, identity, node, messenger, storage, publicKey: bytesToHex(identity.publicKey), shown: new Map() };
    messenger.on('message', (m) => {
      const list = user.shown.get(m.from) ?? [];
      list.push(m.text);
      user.shown.set(m.from, list);
    });
    if (start) messenger.start();
    users.push(user);
    return user;
  }

  /** Plain nodes forward IM traffic without a messenger; this listens in on what they forward. */
  function eavesdrop(nodes: PastryNode[]): Eavesdropper {
    const seen: Eavesdropper = { chats: 0, fieldSets: new Set(), bodies: [] };
    for (const node of nodes) {
      node.register(IM_APPLICATION, {
        deliver: () => undefined, // as before: a plain node that is the root of an offline uid stays silent
        forward: (msg) => {
          const body = msg.body as Record<string, unknown>;
          if (body?.t === 'im.chat') {
            seen.chats++;
            seen.fieldSets.add(Object.keys(body).sort().join(','));
            if (seen.bodies.length < 2_000) seen.bodies.push(JSON.stringify(body));
          }
          return true;
        },
      });
    }
    return seen;
  }

  return { sim, users, log, advance, joinConcurrently, userNode, nodeFor, openMessenger, eavesdrop };
}
