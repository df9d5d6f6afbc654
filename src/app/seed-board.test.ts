import { describe, expect, it } from 'vitest';
import { isCloser } from '../overlay/id.js';
import { generateIdentity } from '../overlay/identity.js';
import { hexId } from '../overlay/testing/ids.js';
import { FakeRing } from '../scan/testing/fake-ring.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { SEEDS_KEY, SeedBoard } from './seed-board.js';
import { cleanSeeds, memorySeedCache } from './seed-cache.js';
import { SEED_LIMITS, signSeed, validateSeed } from './seed-record.js';

const URL_A = 'ws://127.0.0.1:9100/bootstrap';

describe('seed records', () => {
  const seed = generateIdentity();
  const now = 1_000_000;

  it('are accepted when signed by the key behind their uid and unexpired', () => {
    const record = signSeed(seed, URL_A, now + 60_000);
    expect(validateSeed(record, now)).toEqual({ ok: true, record });
  });

  it('are dropped when expired, too long-lived, forged, oversized, malformed or not for ws(s)', () => {
    const good = signSeed(seed, URL_A, now + 60_000);
    const other = generateIdentity();
    const cases: [unknown, string][] = [
      [signSeed(seed, URL_A, now - 1), 'expired'],
      [signSeed(seed, URL_A, now + SEED_LIMITS.maxTtlMs + 1), 'expiry-too-far'],
      [{ ...good, url: 'ws://127.0.0.1:9999/bootstrap' }, 'forged'], // the signature covers the URL
      [{ ...good, uid: other.id }, 'forged'], // uid must be the hash of the key
      [{ ...signSeed(other, URL_A, now + 60_000), uid: seed.id, publicKey: good.publicKey }, 'forged'],
      [{ ...good, extra: 'x'.repeat(2 * SEED_LIMITS.encodedBytes) }, 'oversized'],
      [{ ...good, extra: 1 }, 'malformed'],
      [{ ...good, expiresAt: 'soon' }, 'malformed'],
      [signSeed(seed, 'https://127.0.0.1/bootstrap', now + 60_000), 'bad-url'],
      ['not a record', 'malformed'],
    ];
    for (const [raw, reason] of cases) expect(validateSeed(raw, now), reason).toEqual({ ok: false, reason });
  });
});

function ring(size: number) {
  const clock = new VirtualClock();
  const random = new SeededRandom(7);
  const fake = new FakeRing(clock, 8);
  const boards = new Map<string, SeedBoard>();
  const add = (id = hexId(random.int(2 ** 30).toString(16).padStart(8, '0'), random.int(16).toString(16))) => {
    const board = new SeedBoard({ connect: fake.join(id), clock, config: { announceMs: 10_000, ttlMs: 30_000 } });
    boards.set(id, board);
    return board;
  };
  for (let i = 0; i < size; i++) add();
  const nearest = (n: number) => fake.ids().sort((a, b) => (isCloser(SEEDS_KEY, a, b) ? -1 : 1)).slice(0, n);
  const holders = () => [...boards].filter(([, board]) => board.holding().length > 0).map(([id]) => id);
  return { clock, fake, boards, add, nearest, holders };
}

describe('the seed board', () => {
  it('keeps an announcement at the root of hash("dima.seeds") and its k nearest leaves, and a lookup anywhere finds it', async () => {
    const r = ring(30);
    const [seedBoard, tab] = [...r.boards.values()];
    const seed = generateIdentity();
    seedBoard.announce(seed, URL_A);
    await r.clock.advance(100);
    expect(r.holders().sort()).toEqual(r.nearest(5).sort());
    const found = await Promise.all([tab.lookup(), r.clock.advance(100)]).then(([list]) => list);
    expect(found.map((record) => record.url)).toEqual([URL_A]);
  });

  it('hands the records to a node that joins among the holders, and tops the holders up when one fails', async () => {
    const r = ring(20);
    [...r.boards.values()][3].announce(generateIdentity(), URL_A);
    await r.clock.advance(100);
    const root = r.nearest(1)[0];
    r.fake.fail(root);
    r.boards.delete(root);
    await r.clock.advance(100);
    expect(r.holders().sort()).toEqual(r.nearest(5).sort());
    // a node right next to the key joins: it becomes the root and gets a copy
    const closest = `${SEEDS_KEY.slice(0, 31)}${SEEDS_KEY[31] === 'f' ? 'e' : 'f'}`;
    r.add(closest as typeof SEEDS_KEY);
    await r.clock.advance(100);
    expect(r.boards.get(closest)!.holding().map((record) => record.url)).toEqual([URL_A]);
  });

  it('is soft state: re-announced it lives on, abandoned it lapses', async () => {
    const r = ring(12);
    const board = [...r.boards.values()][0];
    board.announce(generateIdentity(), URL_A);
    await r.clock.advance(95_000);
    expect(r.holders().length).toBe(5);
    board.stop();
    await r.clock.advance(31_000);
    expect(r.holders()).toEqual([]);
  });

  it('drops forged and malformed puts and counts them; bounds what one node keeps', async () => {
    const r = ring(6);
    const root = r.boards.get(r.nearest(1)[0])!;
    const seed = generateIdentity();
    const endpoint = { key: SEEDS_KEY, origin: seed.id, hops: 1 };
    root.deliver({ ...endpoint, body: { t: 'seeds/put', record: { ...signSeed(seed, URL_A, 30_000), url: 'ws://evil.example/' } } });
    root.deliver({ ...endpoint, body: { t: 'seeds/put' } });
    root.deliver({ ...endpoint, body: { t: 'seeds/copies', records: Array(1_000).fill(0) } });
    expect(root.holding()).toEqual([]);
    expect(root.counters).toMatchObject({ rejectedRecords: 1, badMessages: 2 });
    for (let i = 0; i < root.config.maxRecords + 5; i++) {
      root.deliver({ ...endpoint, body: { t: 'seeds/copies', records: [signSeed(generateIdentity(), URL_A, 30_000)] } });
    }
    expect(root.holding()).toHaveLength(root.config.maxRecords);
    expect(root.counters.storeFull).toBe(5);
  });
});

describe('the learned-seed cache', () => {
  it('keeps the freshest few, forgets the very old and whatever is not a seed URL', async () => {
    const cache = memorySeedCache();
    for (let i = 0; i < 10; i++) await cache.remember([`ws://10.0.0.${i}:9000/bootstrap`], 1_000 + i);
    const kept = await cache.load();
    expect(kept.map((seed) => seed.url)).toEqual([9, 8, 7, 6, 5, 4].map((i) => `ws://10.0.0.${i}:9000/bootstrap`));
    expect(cleanSeeds([{ url: 'http://x/', seenAt: 5 }, { url: URL_A, seenAt: 'x' }, 'junk', { url: URL_A, seenAt: 0 }], 10)).toEqual([{ url: URL_A, seenAt: 0 }]);
    expect(cleanSeeds([{ url: URL_A, seenAt: 0 }], 365 * 24 * 60 * 60_000)).toEqual([]);
  });
});
