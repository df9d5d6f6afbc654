import { describe, expect, it } from 'vitest';
import { idToBigInt, type NodeId } from '../overlay/id.js';
import { charOf } from './alphabet.js';
import { ASCII_MAPPING, FREQUENCY_MAPPING, inRange, keyMapping, SALT_BITS } from './keys.js';
import type { Keyword } from './normalize.js';
import { SeededRandom } from '../sim/seeded-random.js';

const MAPPINGS = [ASCII_MAPPING, FREQUENCY_MAPPING];
const random = new SeededRandom(7);
const uid = (hex: string) => hex.padEnd(32, '0') as NodeId;

function randomWord(maxLength: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): Keyword {
  const length = 1 + random.int(maxLength);
  let word = '';
  for (let i = 0; i < length; i++) word += alphabet[random.int(alphabet.length)];
  return word as Keyword;
}

/** Words both mappings encode in full (ascii: 11 characters, frequency: any 7, names far more). */
const shortWord = () => randomWord(7);

describe.each(MAPPINGS)('$name mapping', (mapping) => {
  it('preserves order: a < b => wordKey(a) < wordKey(b) for random word pairs', () => {
    for (let i = 0; i < 3_000; i++) {
      const a = shortWord();
      const b = i % 3 === 0 ? ((a + randomWord(3)) as Keyword) : shortWord();
      if (a === b) continue;
      const [low, high] = a < b ? [a, b] : [b, a];
      expect(mapping.wordKey(low) < mapping.wordKey(high), `${low} < ${high}`).toBe(true);
    }
  });

  it('keeps order weakly for words longer than it can encode', () => {
    for (let i = 0; i < 500; i++) {
      const a = randomWord(32);
      const b = randomWord(32);
      const [low, high] = a < b ? [a, b] : [b, a];
      expect(mapping.wordKey(low) <= mapping.wordKey(high)).toBe(true);
    }
  });

  it('salts equal words of different owners apart, inside the word\'s own arc', () => {
    const word = 'nordstrom' as Keyword;
    const owners = [uid('00000001'), uid('7fffffff'), uid('ffffffff')];
    const keys = owners.map((owner) => mapping.keywordKey(word, owner));
    expect(new Set(keys).size).toBe(owners.length);
    const next = 'nordstrom0' as Keyword;
    for (const key of keys) {
      expect(key >= mapping.wordKey(word)).toBe(true);
      expect(key < mapping.wordKey(next)).toBe(true);
      expect(inRange(key, mapping.prefixRange(word))).toBe(true);
    }
  });

  it('prefix ranges contain exactly the keys of words with that prefix', () => {
    const words = Array.from({ length: 2_000 }, (_, i) => {
      const word = randomWord(8, 'abcdeno1');
      return { word, key: mapping.keywordKey(word, uid((i * 7919).toString(16).padStart(8, '0'))) };
    });
    const wrong: string[] = [];
    for (let i = 0; i < 200; i++) {
      const prefix = randomWord(3, 'abcdeno1');
      const range = mapping.prefixRange(prefix);
      for (const { word, key } of words) {
        if (inRange(key, range) !== word.startsWith(prefix)) wrong.push(`${word} vs prefix ${prefix}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('leaves at least SALT_BITS below every encoded word', () => {
    const word = 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' as Keyword;
    const range = mapping.prefixRange(word);
    expect(idToBigInt(range.end) - idToBigInt(range.start) + 1n >= 1n << BigInt(SALT_BITS)).toBe(true);
  });
});

describe('ascii mapping', () => {
  it('is the paper\'s encoding: the word\'s ASCII bytes, then a zero byte', () => {
    expect(ASCII_MAPPING.wordKey('anna' as Keyword)).toBe('616e6e61' + '0'.repeat(24));
  });

  it('crowds every letter-initial word into the 0x61-0x7a arc', () => {
    const key = ASCII_MAPPING.wordKey('a' as Keyword);
    expect(key.startsWith('61')).toBe(true);
    expect(ASCII_MAPPING.prefixRange('z' as Keyword).end.startsWith('7a')).toBe(true);
  });
});

describe('frequency mapping', () => {
  it('spreads first letters over the ring by their frequency in names', () => {
    // With ASCII, 'a'..'z' cover 26/256 of the ring; the frequency split gives them nearly all of it.
    const first = FREQUENCY_MAPPING.prefixRange('a' as Keyword).start;
    const last = FREQUENCY_MAPPING.prefixRange('z' as Keyword).end;
    const covered = Number(((idToBigInt(last) - idToBigInt(first)) * 1000n) >> 128n) / 1000;
    expect(covered).toBeGreaterThan(0.95);
  });

  it('gives common initials wider arcs than rare ones', () => {
    const width = (letter: string) => {
      const range = FREQUENCY_MAPPING.prefixRange(letter as Keyword);
      return idToBigInt(range.end) - idToBigInt(range.start);
    };
    expect(width('m')).toBeGreaterThan(width('q'));
    expect(width('s')).toBeGreaterThan(width('x'));
  });

  it('is selected by name', () => {
    expect(keyMapping('frequency')).toBe(FREQUENCY_MAPPING);
    expect(keyMapping('ascii')).toBe(ASCII_MAPPING);
    expect(charOf(11)).toBe('a');
  });
});
