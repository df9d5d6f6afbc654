import { describe, expect, it } from 'vitest';
import { LeafSet } from './leaf-set.js';
import { hexId } from './testing/ids.js';
import { bytesToId, clockwiseDistance, type NodeId } from './id.js';
import { SeededRandom } from '../sim/seeded-random.js';

describe('leaf set', () => {
  const self = hexId('80');

  it('keeps the L/2 closest nodes on each side, nearest first', () => {
    const leaves = new LeafSet(self, 4);
    for (const p of ['70', '7f', '60', '81', '90', 'a0', '50']) leaves.add(hexId(p));
    expect(leaves.leftSide()).toEqual([hexId('7f'), hexId('70')]);
    expect(leaves.rightSide()).toEqual([hexId('81'), hexId('90')]);
    expect(leaves.count).toBe(4);
  });

  it('reports the nodes it pushes out entirely', () => {
    const leaves = new LeafSet(self, 4);
    for (const p of ['70', '60', '81', '90']) leaves.add(hexId(p));
    const { added, evicted } = leaves.add(hexId('7f'));
    expect(added).toBe(true);
    expect(evicted).toEqual([hexId('60')]);
    expect(leaves.add(hexId('10')).added).toBe(false);
  });

  it('wraps around zero', () => {
    const low = hexId('01');
    const leaves = new LeafSet(low, 4);
    for (const p of ['ff', 'fe', '02', '03', '80']) leaves.add(hexId(p));
    expect(leaves.leftSide()).toEqual([hexId('ff'), hexId('fe')]);
    expect(leaves.rightSide()).toEqual([hexId('02'), hexId('03')]);
  });

  it('covers only the arc from its leftmost to its rightmost member once both sides are full', () => {
    const leaves = new LeafSet(self, 4);
    for (const p of ['70', '60', '90', 'a0']) leaves.add(hexId(p));
    expect(leaves.covers(hexId('65'))).toBe(true);
    expect(leaves.covers(hexId('9f'))).toBe(true);
    expect(leaves.covers(hexId('5f'))).toBe(false);
    expect(leaves.covers(hexId('a1'))).toBe(false);
  });

  it('covers every key while the ring is smaller than the leaf set (a node may sit on both sides)', () => {
    const leaves = new LeafSet(self, 16);
    leaves.add(hexId('10'));
    leaves.add(hexId('f0'));
    expect(leaves.covers(hexId('00'))).toBe(true);
    expect(leaves.members().sort()).toEqual([hexId('10'), hexId('f0')]);
    expect(leaves.closest(hexId('12'))).toBe(hexId('10'));
  });

  it('matches the true neighbours of a random ring', () => {
    const random = new SeededRandom(3);
    const ids: NodeId[] = Array.from({ length: 200 }, () => bytesToId(random.bytes(16)));
    const me = ids[0];
    const leaves = new LeafSet(me, 16);
    for (const id of ids.slice(1)) leaves.add(id);
    const others = ids.slice(1);
    const byClockwise = [...others].sort((a, b) => (clockwiseDistance(me, a) < clockwiseDistance(me, b) ? -1 : 1));
    expect(leaves.rightSide()).toEqual(byClockwise.slice(0, 8));
    expect(leaves.leftSide()).toEqual(byClockwise.slice(-8).reverse());
  });

  it('estimates the ring size from the arc its full leaf set spans, and gives none while it holds the whole ring', () => {
    const random = new SeededRandom(4);
    const estimates: number[] = [];
    for (const size of [1_000, 20_000]) {
      const ids: NodeId[] = Array.from({ length: size }, () => bytesToId(random.bytes(16)));
      for (const me of ids.slice(0, 50)) {
        const leaves = new LeafSet(me, 16);
        for (const id of LeafSet.nearest(me, ids, 16)) leaves.add(id);
        estimates.push(leaves.estimatedRingSize()! / size);
      }
    }
    // One node's estimate is rough (17 nodes on an arc), the mean of many is close.
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    expect(mean).toBeGreaterThan(0.8);
    expect(mean).toBeLessThan(1.25);
    const small = new LeafSet(self, 16);
    for (const p of ['10', '20', '30']) small.add(hexId(p));
    expect(small.estimatedRingSize()).toBeUndefined();
  });

  it('nearest() picks exactly what adding every id one by one would keep, also in tiny rings', () => {
    const random = new SeededRandom(9);
    for (const count of [0, 1, 5, 16, 17, 300]) {
      const ids: NodeId[] = Array.from({ length: count }, () => bytesToId(random.bytes(16)));
      const me = bytesToId(random.bytes(16));
      const leaves = new LeafSet(me, 16);
      // Duplicates and the node itself are ignored by both.
      for (const id of [...ids, me, ...ids.slice(0, 3)]) leaves.add(id);
      expect(LeafSet.nearest(me, [...ids, me, ...ids.slice(0, 3)], 16)).toEqual(leaves.members());
    }
  });

  it('names the farthest leaf on the side of a failed one (the node to ask for repairs)', () => {
    const leaves = new LeafSet(self, 4);
    for (const p of ['70', '60', '90', 'a0']) leaves.add(hexId(p));
    expect(leaves.farthestOnSideOf(hexId('81'))).toBe(hexId('a0'));
    expect(leaves.farthestOnSideOf(hexId('7f'))).toBe(hexId('60'));
  });
});
