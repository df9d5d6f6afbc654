import { describe, expect, it } from 'vitest';
import { generateIdentity, verifySignature } from '../overlay/identity.js';
import type { Keyword } from './normalize.js';
import { deriveKeywords, memoizedVerifier, RECORD_LIMITS, signDeletion, signProfile, validateRecord } from './records.js';
import { SeededRandom } from '../sim/seeded-random.js';

const random = new SeededRandom(11);
const alice = generateIdentity(random);
const mallory = generateIdentity(random);
const NOW = 1_000_000;
const validity = { seq: 1, expiresAt: NOW + 60_000 };
const profile = { name: 'Åsa Nordström', nickname: 'asa_n', city: 'Uppsala', email: 'asa@example.org' };

describe('deriveKeywords', () => {
  it('takes name and city words, the whole nickname and e-mail address, and free words', () => {
    expect(deriveKeywords({ ...profile, words: ['chess', 'Jazz-Piano'] })).toEqual([
      'asa', 'nordstrom', 'uppsala', 'asan', 'asaexampleorg', 'chess', 'jazz', 'piano',
    ]);
  });
});

describe('validateRecord', () => {
  const record = signProfile(alice, profile, validity);

  it('accepts a profile signed by its owner', () => {
    expect(validateRecord(record, NOW)).toEqual({ ok: true, record });
    expect(validateRecord(JSON.parse(JSON.stringify(record)), NOW).ok).toBe(true);
  });

  it('accepts a signed deletion', () => {
    const tombstone = signDeletion(alice, record.keywords, { seq: 2, expiresAt: NOW + 60_000 });
    expect(validateRecord(tombstone, NOW).ok).toBe(true);
  });

  it('rejects an unsigned record', () => {
    const { signature: _, ...unsigned } = record;
    expect(validateRecord(unsigned, NOW)).toEqual({ ok: false, reason: 'unsigned' });
  });

  it('rejects a record whose fields were changed after signing', () => {
    const tampered = { ...record, fields: { ...record.fields, city: 'Stockholm' } };
    tampered.keywords = deriveKeywords(tampered.fields);
    expect(validateRecord(tampered, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(validateRecord({ ...record, seq: 99 }, NOW)).toEqual({ ok: false, reason: 'forged' });
  });

  it('rejects a profile for someone else\'s uid, whoever signed it', () => {
    const signedByMallory = signProfile(mallory, profile, validity);
    expect(validateRecord({ ...signedByMallory, uid: alice.id }, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(validateRecord({ ...record, publicKey: signedByMallory.publicKey }, NOW)).toEqual({
      ok: false, reason: 'forged',
    });
  });

  it('rejects expired records and records claiming to live too long', () => {
    expect(validateRecord(record, validity.expiresAt)).toEqual({ ok: false, reason: 'expired' });
    const forever = signProfile(alice, profile, { seq: 1, expiresAt: NOW + RECORD_LIMITS.maxTtlMs + 1 });
    expect(validateRecord(forever, NOW)).toEqual({ ok: false, reason: 'expiry-too-far' });
  });

  it('rejects oversized records', () => {
    const longName = signProfile(alice, { name: 'x'.repeat(RECORD_LIMITS.fieldChars + 1) }, validity);
    expect(validateRecord(longName, NOW)).toEqual({ ok: false, reason: 'oversized' });
    const manyWords = signProfile(alice, { words: Array.from({ length: 9 }, (_, i) => `w${i}`) }, validity);
    expect(validateRecord(manyWords, NOW)).toEqual({ ok: false, reason: 'oversized' });
    expect(validateRecord({ ...record, padding: 'x'.repeat(5_000) }, NOW)).toEqual({ ok: false, reason: 'oversized' });
  });

  it('rejects malformed input', () => {
    for (const raw of [null, 42, 'record', {}, { ...record, uid: 'not-an-id' }, { ...record, seq: -1 },
      { ...record, seq: 1.5 }, { ...record, extra: true }, { ...record, keywords: ['Not Normal'] },
      { ...record, kind: 'upsert' }]) {
      expect(validateRecord(raw, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('rejects keywords that do not follow from the fields', () => {
    const stuffed = { ...record, keywords: [...record.keywords, 'celebrity' as Keyword] };
    expect(validateRecord(stuffed, NOW)).toEqual({ ok: false, reason: 'inconsistent-keywords' });
  });
});

describe('memoizedVerifier', () => {
  it('verifies each triple once and never vouches for another message', () => {
    let calls = 0;
    const verify = memoizedVerifier(10, (...args) => (calls++, verifySignature(...args)));
    const record = signProfile(alice, profile, validity);
    expect(validateRecord(record, NOW, verify).ok).toBe(true);
    expect(validateRecord(record, NOW, verify).ok).toBe(true);
    expect(calls).toBe(1);
    expect(validateRecord({ ...record, seq: 2 }, NOW, verify)).toEqual({ ok: false, reason: 'forged' });
  });
});
