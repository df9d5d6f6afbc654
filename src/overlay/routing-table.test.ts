import { describe, expect, it } from 'vitest';
import { RoutingTable } from './routing-table.js';
import { hexId } from './testing/ids.js';

describe('routing table', () => {
  const table = () => new RoutingTable(hexId('a3f'), 4);

  it('files a node in row = shared digits, column = its next digit', () => {
    const t = table();
    expect(t.slotOf(hexId('13'))).toEqual({ row: 0, column: 1 });
    expect(t.slotOf(hexId('a7'))).toEqual({ row: 1, column: 7 });
    expect(t.slotOf(hexId('a3e'))).toEqual({ row: 2, column: 0xe });
    expect(t.slotOf(hexId('a3f'))).toBeUndefined();
  });

  it('holds one node per slot and returns the one it displaces', () => {
    const t = table();
    expect(t.set(hexId('13'))).toBeUndefined();
    expect(t.set(hexId('1f'))).toBe(hexId('13'));
    expect(t.count).toBe(1);
    expect(t.row(0)).toEqual([hexId('1f')]);
    expect(t.occupantOf(hexId('10'))).toBe(hexId('1f'));
  });

  it('removes entries and reports their slot (for lazy repair)', () => {
    const t = table();
    t.set(hexId('a7'));
    t.set(hexId('b0'));
    expect(t.rowCount).toBe(2);
    expect(t.remove(hexId('a7'))).toEqual({ row: 1, column: 7 });
    expect(t.remove(hexId('a7'))).toBeUndefined();
    expect(t.rowCount).toBe(1);
    expect(t.entries()).toEqual([hexId('b0')]);
  });

  it('has 2^b columns and 128/b rows for other digit sizes', () => {
    const t = new RoutingTable(hexId('a3f'), 2);
    expect(t.columns).toBe(4);
    expect(t.maxRows).toBe(64);
    // a = 1010, 8 = 1000: first 2-bit digit shared (10), second differs (10 vs 00)
    expect(t.slotOf(hexId('8'))).toEqual({ row: 1, column: 0 });
  });
});
