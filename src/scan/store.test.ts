import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../overlay/identity.js';
import { FREQUENCY_MAPPING } from './keys.js';
import type { Keyword } from './normalize.js';
import { signDeletion, signProfile } from './records.js';
import { RecordStore } from './store.js';
import { SeededRandom } from '../sim/seeded-random.js';

const random = new SeededRandom(5);
const anna = generateIdentity(random);
const bert = generateIdentity(random);
const word = (text: string) => text as Keyword;
const annaAt = (seq: number, expiresAt = 10_000, name = 'Anna Berg') =>
  signProfile(anna, { name }, { seq, expiresAt });

describe('RecordStore', () => {
  it('keeps the newest sequence number per (uid, keyword)', () => {
    const store = new RecordStore(FREQUENCY_MAPPING);
    expect(store.put(word('anna'), annaAt(2))).toBe('stored');
    expect(store.put(word('anna'), annaAt(1))).toBe('stale');
    expect(store.put(word('anna'), annaAt(2))).toBe('unchanged');
    expect(store.put(word('anna'), annaAt(3, 10_000, 'Anna Bergström'))).toBe('stored');
    expect(store.recordsInRange(FREQUENCY_MAPPING.prefixRange(word('ann')), 0).map((e) => e.record.seq)).toEqual([3]);
  });

  it('stores one entry per keyword and per owner', () => {
    const store = new RecordStore(FREQUENCY_MAPPING);
    store.put(word('anna'), annaAt(1));
    store.put(word('berg'), annaAt(1));
    store.put(word('anna'), signProfile(bert, { name: 'Anna Holm' }, { seq: 1, expiresAt: 10_000 }));
    expect(store.counts()).toMatchObject({ entries: 3, profiles: 3, tombstones: 0 });
  });

  it('refuses to file a record under a keyword it does not have', () => {
    expect(new RecordStore(FREQUENCY_MAPPING).put(word('zelda'), annaAt(1))).toBe('not-a-keyword');
  });

  it('lets a tombstone win over older and equal sequence numbers, and hides it from queries', () => {
    const store = new RecordStore(FREQUENCY_MAPPING);
    store.put(word('anna'), annaAt(4));
    const tombstone = signDeletion(anna, [word('anna')], { seq: 4, expiresAt: 20_000 });
    expect(store.wouldAccept(anna.id, word('anna'), tombstone)).toBe(true);
    expect(store.put(word('anna'), tombstone)).toBe('stored');
    expect(store.put(word('anna'), annaAt(4))).toBe('stale');
    expect(store.put(word('anna'), annaAt(3))).toBe('stale');
    expect(store.recordsInRange(FREQUENCY_MAPPING.prefixRange(word('a')), 0)).toEqual([]);
    expect(store.counts().tombstones).toBe(1);
    expect(store.put(word('anna'), annaAt(5))).toBe('stored');
  });

  it('expires soft state', () => {
    const store = new RecordStore(FREQUENCY_MAPPING);
    store.put(word('anna'), annaAt(1, 500));
    store.put(word('berg'), annaAt(1, 500));
    expect(store.recordsInRange(FREQUENCY_MAPPING.prefixRange(word('anna')), 500)).toEqual([]);
    expect(store.expire(499)).toBe(0);
    expect(store.expire(500)).toBe(2);
    expect(store.size).toBe(0);
  });

  it('without fair eviction, caps its size but still accepts newer versions of what it holds', () => {
    const store = new RecordStore(FREQUENCY_MAPPING, { maxEntries: 2, fairEviction: false });
    store.put(word('anna'), annaAt(1));
    store.put(word('berg'), annaAt(1));
    const bertRecord = signProfile(bert, { name: 'Bert' }, { seq: 1, expiresAt: 10_000 });
    expect(store.wouldAccept(bert.id, word('bert'), bertRecord)).toBe(false);
    expect(store.put(word('bert'), bertRecord)).toBe('full');
    expect(store.put(word('anna'), annaAt(2))).toBe('stored');
  });

  it('returns exactly the records whose keys fall in a range', () => {
    const store = new RecordStore(FREQUENCY_MAPPING);
    const names = ['Nordström', 'Nordin', 'Norberg', 'Nyberg', 'Lind'];
    names.forEach((name, i) => {
      const owner = generateIdentity(random);
      const record = signProfile(owner, { name }, { seq: 1, expiresAt: 10_000 + i });
      store.put(record.keywords[0], record);
    });
    const found = store.recordsInRange(FREQUENCY_MAPPING.prefixRange(word('nord')), 0);
    expect(found.map((entry) => entry.record.fields.name).sort()).toEqual(['Nordin', 'Nordström']);
  });
});
