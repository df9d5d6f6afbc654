// Keyword -> 128-bit key (the paper's SCAN key generation): the word is encoded into the key's
// prefix so that words sharing a prefix are neighbours on the ring, and a salt taken from the
// owner's uid fills the bits below the word, so equal words of different users get different keys.
//
// Both mappings are one construction: arithmetic-coding-style interval splitting. The ring is the
// interval [0, 2^128); each symbol of the word (then END_OF_WORD) narrows the interval to the
// symbol's sub-interval. Sub-intervals are laid out in symbol order, so lexicographic order of words
// is the numeric order of their keys, and the interval of a prefix contains exactly the keys of the
// words that start with it (prefixRange).
//   ascii     - the paper: every symbol gets 1/256 of the interval at its ASCII code, i.e. the key
//               is the word's ASCII bytes. Letters are 0x61-0x7a, so all records crowd a few arcs.
//   frequency - ours: a symbol's share is proportional to how often it follows the previous symbol
//               in names (name-frequencies.ts), so words spread ~uniformly over the ring.
// A word is encoded while its interval stays at least 2^SALT_BITS wide; a longer tail is cut, and
// words equal up to the cut share their key prefix (order is then preserved only weakly).

import { bigIntToId, idToBigInt, type NodeId } from '../overlay/id.js';
import { charOf, END_OF_WORD, START_OF_WORD, SYMBOL_COUNT, symbolOf } from './alphabet.js';
import { NAME_BIGRAM_COUNTS } from './name-frequencies.js';
import type { Keyword } from './normalize.js';

export const SALT_BITS = 32;
const RING = 1n << 128n;
const MIN_WIDTH = 1n << BigInt(SALT_BITS);

/** An inclusive arc [start, end] of the ring that does not wrap (start <= end). */
export interface KeyRange {
  readonly start: NodeId;
  readonly end: NodeId;
}

export type MappingName = 'ascii' | 'frequency';

export interface KeyMapping {
  readonly name: MappingName;
  /** The key of `word` without salt: the lowest key any owner's record of that word can have. */
  wordKey(word: Keyword): NodeId;
  /** The key under which `owner`'s record of `word` is stored. */
  keywordKey(word: Keyword, owner: NodeId): NodeId;
  /** The arc holding the keys of every word that starts with `prefix` (salted or not). */
  prefixRange(prefix: Keyword): KeyRange;
}

/** How one step of the interval split divides the current interval among the symbols. */
interface SymbolModel {
  /** After `context`, `symbol` owns [lower, upper) out of `total`; shares are disjoint and in symbol order. */
  share(context: number, symbol: number): { lower: bigint; upper: bigint; total: bigint };
}

interface Interval {
  low: bigint;
  width: bigint;
}

class IntervalKeyMapping implements KeyMapping {
  constructor(
    readonly name: MappingName,
    private readonly model: SymbolModel,
  ) {}

  wordKey(word: Keyword): NodeId {
    return bigIntToId(this.narrow(word, true).low);
  }

  keywordKey(word: Keyword, owner: NodeId): NodeId {
    const { low, width } = this.narrow(word, true);
    // Scaling the salt into the word's own interval keeps every salted key inside prefixRange(word).
    const salt = idToBigInt(owner) >> BigInt(128 - SALT_BITS);
    return bigIntToId(low + ((salt * width) >> BigInt(SALT_BITS)));
  }

  prefixRange(prefix: Keyword): KeyRange {
    const { low, width } = this.narrow(prefix, false);
    return { start: bigIntToId(low), end: bigIntToId(low + width - 1n) };
  }

  private narrow(word: string, terminate: boolean): Interval {
    const interval: Interval = { low: 0n, width: RING };
    let context = START_OF_WORD;
    for (const char of word) {
      const symbol = symbolOf(char);
      if (!this.step(interval, context, symbol)) return interval;
      context = symbol;
    }
    if (terminate) this.step(interval, context, END_OF_WORD);
    return interval;
  }

  /** Narrows `interval` to `symbol`'s share; false (and unchanged) when that would leave no room for the salt. */
  private step(interval: Interval, context: number, symbol: number): boolean {
    const { lower, upper, total } = this.model.share(context, symbol);
    const from = (interval.width * lower) / total;
    const to = (interval.width * upper) / total;
    if (to - from < MIN_WIDTH) return false;
    interval.low += from;
    interval.width = to - from;
    return true;
  }
}

function cumulativeOf(counts: readonly number[]): bigint[] {
  const cumulative = [0n];
  for (const count of counts) cumulative.push(cumulative[cumulative.length - 1] + BigInt(count));
  return cumulative;
}

const ASCII_CODES = Array.from({ length: SYMBOL_COUNT }, (_, symbol) =>
  symbol === END_OF_WORD ? 0 : charOf(symbol).charCodeAt(0),
);

/** Byte b owns [b, b+1) of 256: the interval split that yields the word's plain ASCII bytes. */
const ASCII_MODEL: SymbolModel = {
  share: (_context, symbol) => {
    const code = BigInt(ASCII_CODES[symbol]);
    return { lower: code, upper: code + 1n, total: 256n };
  },
};

/**
 * Smoothing: every cell gets at least 1/RARE_SHARE of its row (plus one), so every symbol keeps a
 * sub-interval in every context (strict order for words the table never saw) and no symbol costs
 * more than ~12 bits: any word of up to 7 characters is encoded in full above the salt.
 */
const RARE_SHARE = 4096;
function frequencyModel(bigramCounts: readonly (readonly number[])[]): SymbolModel {
  const tables = bigramCounts.map((row) => {
    const floor = 1 + Math.floor(row.reduce((sum, count) => sum + count, 0) / RARE_SHARE);
    return cumulativeOf(row.map((count) => count + floor));
  });
  return {
    share: (context, symbol) => {
      const cumulative = tables[context];
      return { lower: cumulative[symbol], upper: cumulative[symbol + 1], total: cumulative[SYMBOL_COUNT] };
    },
  };
}

export const ASCII_MAPPING: KeyMapping = new IntervalKeyMapping('ascii', ASCII_MODEL);
export const FREQUENCY_MAPPING: KeyMapping = new IntervalKeyMapping('frequency', frequencyModel(NAME_BIGRAM_COUNTS));

export function keyMapping(name: MappingName): KeyMapping {
  return name === 'ascii' ? ASCII_MAPPING : FREQUENCY_MAPPING;
}

/** True when `key` lies in the inclusive, non-wrapping `range`. Hex ids compare like their numbers. */
export function inRange(key: NodeId, range: KeyRange): boolean {
  return key >= range.start && key <= range.end;
}
