import { describe, expect, it } from 'vitest';
import {
  bigIntToId,
  closestTo,
  compareClockwise,
  compareCounterClockwise,
  clockwiseDistance,
  digit,
  idFromPublicKey,
  idToBigInt,
  isCloser,
  isNodeId,
  nodeId,
  oppositeOf,
  ringDistance,
  sharedPrefixDigits,
  sortClockwiseFrom,
  withDigit,
  type NodeId,
} from './id.js';
import { hexId } from './testing/ids.js';
import { SeededRandom } from '../sim/seeded-random.js';
import { bytesToId } from './id.js';

describe('node ids', () => {
  it('accepts exactly 32 lowercase hex characters', () => {
    expect(isNodeId('0'.repeat(32))).toBe(true);
    expect(isNodeId('f'.repeat(31))).toBe(false);
    expect(isNodeId('g'.repeat(32))).toBe(false);
    expect(isNodeId('A'.repeat(32))).toBe(false);
    expect(isNodeId(42)).toBe(false);
    expect(nodeId('AB'.padEnd(32, '0'))).toBe('ab'.padEnd(32, '0'));
    expect(() => nodeId('xyz')).toThrow(/128-bit/);
  });

  it('derives the id from the first 128 bits of SHA-256 of the public key', () => {
    // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 ...
    expect(idFromPublicKey(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb924');
  });

  it('reads digits in base 2^b for b = 1, 2, 4 and 8', () => {
    const id = hexId('a5');
    expect(digit(id, 0, 4)).toBe(0xa);
    expect(digit(id, 1, 4)).toBe(0x5);
    expect(digit(id, 0, 8)).toBe(0xa5);
    expect(digit(id, 0, 2)).toBe(0b10);
    expect(digit(id, 3, 2)).toBe(0b01);
    expect(digit(id, 0, 1)).toBe(1);
    expect(digit(id, 1, 1)).toBe(0);
  });

  it('sets one digit of an id, leaving the others (a key in another block of the ring)', () => {
    const id = nodeId('a5' + '3'.repeat(30));
    expect(withDigit(id, 0, 0x1, 4)).toBe(nodeId('15' + '3'.repeat(30)));
    expect(withDigit(id, 31, 0xf, 4)).toBe(nodeId('a5' + '3'.repeat(29) + 'f'));
    expect(withDigit(id, 0, 0x00, 8)).toBe(nodeId('00' + '3'.repeat(30)));
    expect(withDigit(id, 1, 0b11, 2)).toBe(nodeId('b5' + '3'.repeat(30)));
    expect(digit(withDigit(id, 5, 9, 4), 5, 4)).toBe(9);
  });

  it('measures shared prefixes in digits', () => {
    expect(sharedPrefixDigits(hexId('abc1'), hexId('abc2'), 4)).toBe(3);
    expect(sharedPrefixDigits(hexId('abc1'), hexId('abc1'), 4)).toBe(32);
    expect(sharedPrefixDigits(hexId('8'), hexId('0'), 4)).toBe(0);
    // 0xa = 1010, 0xb = 1011: three shared bits, one 2-bit digit
    expect(sharedPrefixDigits(hexId('a'), hexId('b'), 2)).toBe(1);
  });

  it('measures distance around the ring, wrapping at 2^128', () => {
    const top = bigIntToId((1n << 128n) - 1n);
    const zero = hexId('0');
    expect(ringDistance(top, zero)).toBe(1n);
    expect(clockwiseDistance(top, zero)).toBe(1n);
    expect(clockwiseDistance(zero, top)).toBe((1n << 128n) - 1n);
    expect(ringDistance(zero, oppositeOf(zero))).toBe(1n << 127n);
  });

  it('breaks equal distances toward the smaller id, so every node agrees on one root', () => {
    const key = hexId('80');
    const below = bigIntToId(idToBigInt(key) - 5n);
    const above = bigIntToId(idToBigInt(key) + 5n);
    expect(isCloser(key, below, above)).toBe(true);
    expect(isCloser(key, above, below)).toBe(false);
    expect(closestTo(key, [above, below])).toBe(below);
  });

  it('fast comparisons agree with exact bigint arithmetic, also for nearly equal distances', () => {
    const random = new SeededRandom(7);
    const sign = (x: bigint) => (x > 0n ? 1 : x < 0n ? -1 : 0);
    for (let i = 0; i < 3000; i++) {
      const from = bytesToId(random.bytes(16));
      const a = bytesToId(random.bytes(16));
      // Every third pair differs only in the low bits: the double fast path cannot decide those.
      const b = i % 3 === 0 ? bigIntToId(idToBigInt(a) + BigInt(random.int(1000)) - 500n) : bytesToId(random.bytes(16));
      expect(compareClockwise(from, a, b)).toBe(sign(clockwiseDistance(from, a) - clockwiseDistance(from, b)));
      expect(compareCounterClockwise(from, a, b)).toBe(sign(clockwiseDistance(a, from) - clockwiseDistance(b, from)));
      const da = ringDistance(from, a);
      const db = ringDistance(from, b);
      expect(isCloser(from, a, b)).toBe(da < db || (da === db && a < b));
    }
  });

  it('orders correctly an id just below the origin (same top 52 bits): it is almost a full turn away', () => {
    const from = nodeId('0123456789abc' + '8'.repeat(19));
    const justBelow = bigIntToId(idToBigInt(from) - 1n);
    const far = oppositeOf(from);
    expect(compareClockwise(from, justBelow, far)).toBe(1);
    expect(compareCounterClockwise(from, justBelow, far)).toBe(-1);
    expect(sortClockwiseFrom(from, [justBelow, far])).toEqual([far, justBelow]);
  });

  it('sorts by clockwise distance exactly as bigint arithmetic does', () => {
    const random = new SeededRandom(9);
    const from = bytesToId(random.bytes(16));
    const ids = new Set<NodeId>();
    for (let i = 0; i < 400; i++) {
      const id = bytesToId(random.bytes(16));
      ids.add(id);
      // Near neighbours of `from` and of each other: the cases the double fast path cannot decide.
      if (i % 4 === 0) ids.add(bigIntToId(idToBigInt(from) + BigInt(random.int(2000)) - 1000n));
      if (i % 4 === 1) ids.add(bigIntToId(idToBigInt(id) + 1n));
    }
    ids.delete(from);
    const exact = [...ids].sort((a, b) => {
      const d = clockwiseDistance(from, a) - clockwiseDistance(from, b);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    });
    expect(sortClockwiseFrom(from, [...ids])).toEqual(exact);
  });
});
