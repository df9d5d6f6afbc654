import { describe, expect, it } from 'vitest';
import { isCloser, type NodeId } from '../overlay/id.js';
import { generateIdentity } from '../overlay/identity.js';
import { ASCII_MAPPING } from './keys.js';
import type { Keyword } from './normalize.js';
import { signProfile } from './records.js';
import { scanRing } from './testing/scan-ring.js';

type Setup = ReturnType<typeof scanRing>;
const holdersOf = (setup: Setup, uid: NodeId, keyword?: Keyword) =>
  [...setup.directories.values()].filter((d) => d.holds(uid, keyword)).map((d) => d.localId);

describe('ScanDirectory publishing', () => {
  it('stores each keyword at its root and on the k nearest leaves', async () => {
    const setup = scanRing(40);
    const anna = setup.anyLive();
    const record = anna.publish({ name: 'Anna Nordström', city: 'Uppsala' });
    await setup.clock.advance(100);
    for (const keyword of record.keywords) {
      const key = anna.mapping.keywordKey(keyword, record.uid);
      const nearest = setup.ring.ids().sort((a, b) => (isCloser(key, a, b) ? -1 : 1)).slice(0, 5);
      expect(holdersOf(setup, record.uid, keyword).sort()).toEqual(nearest.sort());
    }
  });

  it('re-publishes before expiry, so soft state outlives the TTL', async () => {
    const setup = scanRing(20, { config: { ttlMs: 30_000, republishMs: 10_000, sweepMs: 1_000 } });
    const anna = setup.anyLive();
    anna.publish({ name: 'Anna Lind' });
    await setup.clock.advance(95_000);
    const { hits } = await searchNow(setup, 'anna lind');
    expect(hits.map((hit) => hit.uid)).toEqual([anna.localId]);
  });

  it('lets records expire when the owner stops re-publishing', async () => {
    const setup = scanRing(20, { config: { ttlMs: 30_000, republishMs: 10_000, sweepMs: 1_000 } });
    const anna = setup.anyLive();
    anna.publish({ name: 'Anna Lind' });
    await setup.clock.advance(100);
    setup.fail(anna);
    await setup.clock.advance(31_000);
    expect(holdersOf(setup, anna.localId)).toEqual([]);
  });

  it('withdraws every copy with a signed delete on leave', async () => {
    const setup = scanRing(30);
    const anna = setup.anyLive();
    anna.publish({ name: 'Anna Lind', city: 'Umeå' });
    await setup.clock.advance(100);
    anna.unpublish();
    await setup.clock.advance(100);
    expect(holdersOf(setup, anna.localId)).toEqual([]);
    expect((await searchNow(setup, 'lind')).hits).toEqual([]);
  });

  it('withdraws keywords a new version of the profile dropped', async () => {
    const setup = scanRing(30);
    const anna = setup.anyLive();
    anna.publish({ name: 'Anna Lind', city: 'Umeå' });
    await setup.clock.advance(100);
    anna.publish({ name: 'Anna Lind', city: 'Kiruna' });
    await setup.clock.advance(100);
    expect((await searchNow(setup, 'umea')).hits).toEqual([]);
    expect((await searchNow(setup, 'kiruna')).hits.map((hit) => hit.record.fields.city)).toEqual(['Kiruna']);
  });

  it('hands records to a closer node that joins, whatever the layout of ids', async () => {
    // Seeds 3, 8, 9, 14, 17, 21 and 35 lost records when one sender was elected from each node's view.
    for (let seed = 1; seed <= 40; seed++) {
      const setup = scanRing(30, { seed });
      const anna = setup.anyLive();
      const record = anna.publish({ name: 'Anna Lind' });
      await setup.clock.advance(100);
      for (let i = 0; i < 30; i++) setup.addNode();
      await setup.clock.advance(100);
      for (const keyword of record.keywords) {
        const root = setup.ring.rootOf(anna.mapping.keywordKey(keyword, record.uid));
        expect(setup.directories.get(root)?.holds(record.uid, keyword), `seed ${seed}: ${keyword} at its new root`).toBe(true);
      }
    }
  });

  it('keeps k + 1 copies when holders fail, one after another', async () => {
    const setup = scanRing(40);
    const anna = setup.anyLive();
    const record = anna.publish({ name: 'Anna Lind' });
    await setup.clock.advance(100);
    const keyword = record.keywords[0];
    for (let round = 0; round < 3; round++) {
      const holders = holdersOf(setup, record.uid, keyword).filter((id) => id !== anna.localId);
      setup.fail(setup.directories.get(holders[0])!);
      await setup.clock.advance(100);
    }
    expect(holdersOf(setup, record.uid, keyword)).toHaveLength(5);
  });

  it('rejects forged records and records routed to the wrong key', async () => {
    const setup = scanRing(10, { mapping: ASCII_MAPPING });
    const mallory = generateIdentity(setup.random);
    const victim = setup.anyLive();
    const forged = { ...signProfile(mallory, { name: 'Anna Lind' }, { seq: 1, expiresAt: 60_000 }), uid: victim.localId };
    const key = ASCII_MAPPING.keywordKey(forged.keywords[0], victim.localId);
    const root = setup.directories.get(setup.ring.rootOf(key))!;
    root.deliver({ key, origin: mallory.id, hops: 1, body: { t: 'scan/store', keyword: forged.keywords[0], record: forged } });
    root.deliver({ key, origin: mallory.id, hops: 1, body: { t: 'scan/nonsense' } });
    expect(root.counters.rejectedRecords).toBe(1);
    expect(root.counters.badMessages).toBe(1);
    expect(root.storeCounts().entries).toBe(0);

    // Mallory's own, validly signed record, sent with its first keyword but routed to the key of its
    // second: stored there, it would sit where no search for the first keyword looks.
    const honest = signProfile(mallory, { name: 'Anna Lind' }, { seq: 1, expiresAt: 60_000 });
    const [keyword, otherKeyword] = honest.keywords;
    const rightKey = ASCII_MAPPING.keywordKey(keyword, mallory.id);
    const wrongKey = ASCII_MAPPING.keywordKey(otherKeyword, mallory.id);
    expect(wrongKey).not.toBe(rightKey);
    const wrongRoot = setup.directories.get(setup.ring.rootOf(wrongKey))!;
    const rejectedBefore = wrongRoot.counters.rejectedRecords;
    wrongRoot.deliver({ key: wrongKey, origin: mallory.id, hops: 1, body: { t: 'scan/store', keyword, record: honest } });
    expect(wrongRoot.counters.rejectedRecords).toBe(rejectedBefore + 1);
    expect(wrongRoot.holds(mallory.id, keyword)).toBe(false);
    // The same frame routed to its own key is stored: the key alone made the difference.
    const rightRoot = setup.directories.get(setup.ring.rootOf(rightKey))!;
    rightRoot.deliver({ key: rightKey, origin: mallory.id, hops: 1, body: { t: 'scan/store', keyword, record: honest } });
    expect(rightRoot.holds(mallory.id, keyword)).toBe(true);
  });
});

async function searchNow(setup: Setup, text: string) {
  const pending = setup.anyLive().search(text);
  await setup.clock.advance(6_000);
  return pending;
}
