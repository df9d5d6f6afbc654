// The messenger unit-test world: Messengers on the FakeOverlay and a VirtualClock, with the steps
// tests take (befriend, crash, reload). Shared by messenger.test.ts and integrity.test.ts.

import { bytesToHex } from '@noble/hashes/utils.js';
import { SeededRandom } from '../../sim/seeded-random.js';
import { VirtualClock } from '../../sim/virtual-clock.js';
import type { ImConfig } from '../config.js';
import { loadOrCreateIdentity } from '../identity.js';
import { Messenger, type MessengerEvents } from '../messenger.js';
import { memoryStorage, type ImStorage } from '../storage.js';
import type { Identity } from '../crypto.js';
import { FakeOverlay } from './fake-overlay.js';

export interface Person {
  name: string;
  identity: Identity;
  storage: ImStorage;
  messenger: Messenger;
  got: MessengerEvents['message'][];
  receipts: MessengerEvents['receipt'][];
  presence: MessengerEvents['presence'][];
}

export function world(seed = 'messenger', config: Partial<ImConfig> = {}) {
  const clock = new VirtualClock();
  const random = new SeededRandom(seed);
  const overlay = new FakeOverlay(clock);
  let generation = 0;
  const everyone: Messenger[] = [];
  /** Virtual time in 10 ms steps, letting WebCrypto (a thread pool, not microtasks) finish each step. */
  async function advance(ms: number) {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      await clock.advance(Math.min(10, end - clock.now()));
      await Promise.all(everyone.map((m) => m.whenIdle()));
    }
  }

  async function boot(name: string, storage: ImStorage): Promise<Person> {
    const identity = await loadOrCreateIdentity(storage, random.fork(`identity ${name}`));
    const messenger = await Messenger.open({
      identity, storage, clock, overlay: overlay.join(identity.id), random: random.fork(`${name} ${generation++}`), config,
    });
    await messenger.setProfile({ name, keywords: [] });
    everyone.push(messenger);
    const person: Person = { name, identity, storage, messenger, got: [], receipts: [], presence: [] };
    messenger.on('message', (m) => person.got.push(m));
    messenger.on('receipt', (r) => person.receipts.push(r));
    messenger.on('presence', (p) => person.presence.push(p));
    messenger.start();
    return person;
  }

  const entry = (p: Person) => ({ uid: p.identity.id, name: p.name, publicKey: bytesToHex(p.identity.publicKey) });

  return {
    clock, overlay, advance,
    person: (name: string, storage: ImStorage = memoryStorage()) => boot(name, storage),
    /** The tab crashes (no goodbye) and, later, the same browser profile loads again. */
    crash: (p: Person) => overlay.kill(p.identity.id),
    reload: (p: Person) => boot(p.name, p.storage),
    entry,
    async befriend(a: Person, b: Person) {
      await a.messenger.requestBuddy(entry(b));
      await advance(500);
      await b.messenger.acceptBuddy(a.identity.id);
      await advance(500);
    },
    texts: (p: Person) => p.got.map((m) => m.text),
  };
}
