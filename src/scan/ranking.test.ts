import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../overlay/identity.js';
import type { Keyword } from './normalize.js';
import { matchWords, rankRecords } from './ranking.js';
import { signProfile } from './records.js';
import { SeededRandom } from '../sim/seeded-random.js';

const random = new SeededRandom(3);
const profile = (name: string, seq = 1) => signProfile(generateIdentity(random), { name }, { seq, expiresAt: 10_000 });
const words = (...list: string[]) => list as Keyword[];

describe('matchWords', () => {
  it('counts each query word once, by its closest keyword', () => {
    expect(matchWords(words('ann', 'lind'), words('anna', 'ann', 'lindqvist'))).toEqual({
      matchedWords: 2, exactWords: 1, completion: 5,
    });
    expect(matchWords(words('bo'), words('anna'))).toEqual({ matchedWords: 0, exactWords: 0, completion: 0 });
  });
});

describe('rankRecords', () => {
  const records = [profile('Annika Lind'), profile('Ann Lind'), profile('Anna Lindqvist'), profile('Anna Berg')];

  it('keeps only records containing all query words, by default', () => {
    const hits = rankRecords(words('ann', 'lind'), records, true);
    expect(hits.map((hit) => hit.record.fields.name)).toEqual(['Ann Lind', 'Annika Lind', 'Anna Lindqvist']);
  });

  it('ranks exact words above prefixes, then shorter completions', () => {
    const hits = rankRecords(words('anna'), records, true);
    expect(hits.map((hit) => hit.record.fields.name)).toEqual(['Anna Berg', 'Anna Lindqvist']);
    expect(rankRecords(words('lind'), records, true)[2].record.fields.name).toBe('Anna Lindqvist');
  });

  it('ranks by the number of words matched when any word may match (the paper\'s relevance)', () => {
    const hits = rankRecords(words('anna', 'berg'), records, false);
    expect(hits[0].record.fields.name).toBe('Anna Berg');
    expect(hits[0].matchedWords).toBe(2);
    expect(hits.slice(1).map((hit) => hit.matchedWords)).toEqual([1]);
  });

  it('keeps the newest version per uid and no tombstones', () => {
    const owner = generateIdentity(random);
    const old = signProfile(owner, { name: 'Bo Ek' }, { seq: 1, expiresAt: 10_000 });
    const renamed = signProfile(owner, { name: 'Bo Ekström' }, { seq: 2, expiresAt: 10_000 });
    const hits = rankRecords(words('bo'), [renamed, old, old], true);
    expect(hits).toHaveLength(1);
    expect(hits[0].record.fields.name).toBe('Bo Ekström');
  });
});
