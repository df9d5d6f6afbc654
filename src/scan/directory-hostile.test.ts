// The directory under a hostile peer (issue 14): each attack measured on the old code, reproduced
// here on the fake ring with seeded identities and the virtual clock.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../overlay/id.js';
import { generateIdentity, verifySignature } from '../overlay/identity.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { DEFAULT_SCAN_CONFIG, type ScanDirectory } from './directory.js';
import { ASCII_MAPPING } from './keys.js';
import type { ResultsMessage } from './messages.js';
import { memoizedVerifier, signProfile, type SignedRecord } from './records.js';
import { countingVerifier, storeFrames, throwawayRecords } from './testing/flood.js';
import { scanRing } from './testing/scan-ring.js';

const HOUR = 60 * 60_000;

/** Delivers a store frame at `victim` as the overlay would at the key's root. */
function storeAt(victim: ScanDirectory, origin: NodeId, frame: ReturnType<typeof storeFrames>[number]): void {
  victim.deliver({ key: frame.key, origin, hops: 3, body: frame.body });
}

describe('the directory under a flood of throwaway owners', () => {
  it('fills up with 3,125 throwaway records of 16 keywords, then takes a real user at once and keeps her', async () => {
    const verify = countingVerifier(verifySignature);
    const setup = scanRing(1, { seed: 3, verify: memoizedVerifier(100_000, verify) });
    const victim = [...setup.directories.values()][0];
    const attacker = new SeededRandom(31);
    const mallory = generateIdentity(attacker).id;
    const flood = throwawayRecords(attacker, 3_125, { expiresAt: 20 * HOUR });
    // Paced as the attacker measured it on the old code: one record (16 store frames) every 100 ms.
    for (const record of flood) {
      for (const frame of storeFrames(record, victim.mapping)) storeAt(victim, mallory, frame);
      await setup.clock.advance(100);
    }
    expect(victim.storeCounts().entries).toBe(DEFAULT_SCAN_CONFIG.maxEntries);

    const asa = generateIdentity(new SeededRandom(32));
    const record = victim.publisherFor(asa).publish({ name: 'Åsa Nordström', city: 'Uppsala' });
    await setup.clock.advance(50);
    for (const keyword of record.keywords) expect(victim.holds(asa.id, keyword), keyword).toBe(true);

    // The flood goes on with 300 more owners (4,800 entries): the store evicts theirs, not hers.
    for (const more of throwawayRecords(attacker, 300, { expiresAt: 20 * HOUR })) {
      for (const frame of storeFrames(more, victim.mapping)) storeAt(victim, mallory, frame);
      await setup.clock.advance(100);
    }
    for (const keyword of record.keywords) expect(victim.holds(asa.id, keyword), keyword).toBe(true);
    expect(victim.storeCounts().entries).toBeLessThanOrEqual(DEFAULT_SCAN_CONFIG.maxEntries);
    expect(victim.counters.evicted).toBeGreaterThanOrEqual(4_800);
    expect(victim.counters.storeFull).toBe(0);
  }, 300_000); // ~100 s on a loaded 2-core machine: 3,425 key pairs and signatures, 54,800 store frames

  it('checks a bounded number of signatures when the flood comes all at once', { timeout: 120_000 }, () => {
    const verify = countingVerifier(verifySignature);
    const setup = scanRing(1, { seed: 4, verify });
    const victim = [...setup.directories.values()][0];
    const attacker = new SeededRandom(41);
    const mallory = generateIdentity(attacker).id;
    const flood = throwawayRecords(attacker, 600, { expiresAt: 20 * HOUR });
    for (const record of flood) for (const frame of storeFrames(record, victim.mapping)) storeAt(victim, mallory, frame);
    // 9,600 store frames in one instant: each record's 16 copies cost one check, and the new-owner
    // budget's burst bounds the rest.
    expect(verify.calls).toBeLessThanOrEqual(DEFAULT_SCAN_CONFIG.newOwnerVerifyBurst);
    expect(victim.counters.overVerifyBudget).toBeGreaterThan(0);
  });
});

describe('replicas', () => {
  /** A victim, a record rooted at it, and the victim's leaves ordered by distance to the record's key. */
  function layout() {
    const setup = scanRing(40, { seed: 5, mapping: ASCII_MAPPING });
    const owner = generateIdentity(new SeededRandom(51));
    const record = signProfile(owner, { name: 'Anna' }, { seq: 1, expiresAt: HOUR });
    const keyword = record.keywords[0];
    const key = ASCII_MAPPING.keywordKey(keyword, owner.id);
    const victim = setup.directories.get(setup.ring.rootOf(key))!;
    const byDistance = setup.ring.ids().filter((id) => setup.ring.leafSetOf(victim.localId).includes(id));
    const sorted = [...byDistance].sort((a, b) => (distance(key, a) < distance(key, b) ? -1 : 1));
    return { victim, record, keyword, owner, key, nearest: sorted[0], farthest: sorted[sorted.length - 1] };
  }

  const push = (victim: ScanDirectory, from: NodeId, keyword: string, record: SignedRecord, origin = from) =>
    victim.deliver({ key: victim.localId, origin, from, hops: 1, body: { t: 'scan/replicas', items: [{ keyword, record }] } });

  it('are refused from a linked leaf that is not among the key\'s holders, and taken from one that is', () => {
    const { victim, record, keyword, owner, nearest, farthest } = layout();
    push(victim, farthest, keyword, record);
    expect(victim.holds(owner.id, keyword)).toBe(false);
    expect(victim.counters.replicaNotEntitled).toBe(1);
    push(victim, nearest, keyword, record);
    expect(victim.holds(owner.id, keyword)).toBe(true);
  });

  it('are refused when the frame claims an origin other than the link it came over', () => {
    const { victim, record, keyword, owner, nearest, farthest } = layout();
    push(victim, farthest, keyword, record, nearest);
    expect(victim.holds(owner.id, keyword)).toBe(false);
    expect(victim.counters.replicaNotEntitled).toBe(1);
  });

  it('are refused when they did not come over a link at all (a routed frame)', () => {
    const { victim, record, keyword, owner, nearest } = layout();
    victim.deliver({ key: victim.localId, origin: nearest, hops: 4, body: { t: 'scan/replicas', items: [{ keyword, record }] } });
    expect(victim.holds(owner.id, keyword)).toBe(false);
  });
});

describe('a hostile node answering a search', () => {
  /** A ring whose root for 'anna' answers with `records` in parts of 64 (each part fits a frame). */
  async function answeredBy(records: SignedRecord[]) {
    const verify = countingVerifier(verifySignature);
    const setup = scanRing(10, { seed: 6, verify });
    const searcher = setup.anyLive();
    const hostile = setup.directories.get(setup.ring.rootOf(searcher.mapping.prefixRange('anna' as never).start))!;
    hostile.deliver = (msg) => {
      const parts = Math.ceil(records.length / 64);
      for (let part = 1; part <= parts; part++) {
        const reply: ResultsMessage = {
          t: 'scan/results', records: records.slice((part - 1) * 64, part * 64), walked: 1, done: true, truncated: false, part, parts,
        };
        msg.reply?.(reply);
      }
    };
    const pending = searcher.search('anna');
    await setup.clock.advance(6_000);
    return { result: await pending, checks: verify.calls };
  }

  it('costs one signature check per frame for 1,024 forged records (16 frames of 64)', async () => {
    const owner = generateIdentity(new SeededRandom(61));
    const signed = signProfile(owner, { name: 'Anna Lind' }, { seq: 1, expiresAt: HOUR });
    // Same owner, every sequence number: cheap checks pass, every signature is wrong.
    const forged = Array.from({ length: 1_024 }, (_, i) => ({ ...signed, seq: i + 2 }));
    const { result, checks } = await answeredBy(forged);
    expect(result.hits).toEqual([]);
    // One check per frame of 64: the rest of a frame that held a forgery is not checked.
    expect(checks).toBe(16);
  });

  it('costs at most searchVerifyLimit checks for 1,024 validly signed records, and says the answer was cut', async () => {
    const random = new SeededRandom(62);
    const valid = Array.from({ length: 1_024 }, (_, i) =>
      signProfile(generateIdentity(random), { name: `Anna N${String.fromCharCode(97 + (i % 26))}` }, { seq: 1, expiresAt: HOUR }),
    );
    const { result, checks } = await answeredBy(valid);
    expect(checks).toBeLessThanOrEqual(DEFAULT_SCAN_CONFIG.searchVerifyLimit);
    expect(result.hits.length).toBeGreaterThan(0);
    expect(result.truncated).toBe(true);
  }, 30_000);
});

function distance(key: NodeId, id: NodeId): bigint {
  const a = BigInt(`0x${key}`);
  const b = BigInt(`0x${id}`);
  const d = a > b ? a - b : b - a;
  const ring = 1n << 128n;
  return d < ring - d ? d : ring - d;
}
