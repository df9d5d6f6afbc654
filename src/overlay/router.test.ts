import { describe, expect, it } from 'vitest';
import { LeafSet } from './leaf-set.js';
import { RoutingTable } from './routing-table.js';
import { nextHop } from './router.js';
import { hexId } from './testing/ids.js';
import type { NodeId } from './id.js';

function state(self: string, leaves: string[], entries: string[]) {
  const leafSet = new LeafSet(hexId(self), 4);
  for (const l of leaves) leafSet.add(hexId(l));
  const table = new RoutingTable(hexId(self), 4);
  for (const e of entries) table.set(hexId(e));
  return { leafSet, table };
}

describe('routing rule (Rowstron & Druschel, Table 1)', () => {
  it('delivers a key equal to our own id', () => {
    const { leafSet, table } = state('80', ['70', '60', '90', 'a0'], []);
    expect(nextHop(hexId('80'), leafSet, table)).toEqual({ kind: 'deliver' });
  });

  it('case 1: within the leaf-set range goes to the numerically closest leaf, or delivers here', () => {
    const { leafSet, table } = state('80', ['70', '60', '90', 'a0'], []);
    expect(nextHop(hexId('8f'), leafSet, table)).toEqual({ kind: 'forward', nextHop: hexId('90'), rule: 'leaf-set' });
    expect(nextHop(hexId('82'), leafSet, table)).toEqual({ kind: 'deliver' });
  });

  it('case 2: outside the range takes the table entry sharing one more digit', () => {
    const { leafSet, table } = state('80', ['70', '60', '90', 'a0'], ['c4', '2a', '83']);
    expect(nextHop(hexId('c9'), leafSet, table)).toEqual({ kind: 'forward', nextHop: hexId('c4'), rule: 'routing-table' });
    expect(nextHop(hexId('2'), leafSet, table)).toEqual({ kind: 'forward', nextHop: hexId('2a'), rule: 'routing-table' });
  });

  it('case 3 (rare): an empty slot falls back to a node with as long a prefix that is numerically closer', () => {
    // key d0..: slot (0, d) is empty; c4 shares 0 digits with the key, as we do, and is closer.
    const { leafSet, table } = state('80', ['70', '60', '90', 'a0'], ['c4', '2a']);
    expect(nextHop(hexId('d0'), leafSet, table)).toEqual({ kind: 'forward', nextHop: hexId('c4'), rule: 'rare-case' });
  });

  it('delivers when no known node is closer (we are the root as far as we know)', () => {
    const { leafSet, table } = state('80', ['70', '60', '90', 'a0'], ['2a']);
    expect(nextHop(hexId('d0'), leafSet, table).kind).toBe('forward'); // a0 is closer than us
    const lonely = state('80', [], []);
    expect(nextHop(hexId('d0'), lonely.leafSet, lonely.table)).toEqual({ kind: 'deliver' });
  });

  it('routes around next hops the caller knows are dead', () => {
    const { leafSet, table } = state('80', ['70', '60', '90', 'a0'], ['c4', 'c8']);
    const dead = new Set<NodeId>([hexId('c4')]);
    const decision = nextHop(hexId('c5'), leafSet, table, (id) => !dead.has(id));
    expect(decision.kind).toBe('forward');
    expect(decision.kind === 'forward' && decision.nextHop).not.toBe(hexId('c4'));
  });
});
