import { describe, expect, it } from 'vitest';
import { nodeId } from '../overlay/id.js';
import { hopPath, pointOnRing, ringFraction } from './ring-geometry.js';

const centre = { x: 100, y: 100 };

describe('overlay ring geometry', () => {
  it('puts id 0 at the top and ids growing clockwise', () => {
    const top = pointOnRing(nodeId('0'.repeat(32)), centre, 50);
    const right = pointOnRing(nodeId('4' + '0'.repeat(31)), centre, 50);
    const bottom = pointOnRing(nodeId('8' + '0'.repeat(31)), centre, 50);
    const left = pointOnRing(nodeId('c' + '0'.repeat(31)), centre, 50);
    expect(top.x).toBeCloseTo(100);
    expect(top.y).toBeCloseTo(50);
    expect(right.x).toBeCloseTo(150);
    expect(right.y).toBeCloseTo(100);
    expect(bottom.y).toBeCloseTo(150);
    expect(left.x).toBeCloseTo(50);
  });

  it('keeps the largest id just short of a full turn', () => {
    expect(ringFraction(nodeId('f'.repeat(32)))).toBeLessThan(1);
    expect(ringFraction(nodeId('f'.repeat(32)))).toBeGreaterThan(0.9999);
  });

  it('draws one curve per hop, starting at the origin', () => {
    const d = hopPath([{ x: 100, y: 50 }, { x: 150, y: 100 }, { x: 100, y: 150 }], centre);
    expect(d.startsWith('M 100 50')).toBe(true);
    expect(d.match(/Q/g)).toHaveLength(2);
    expect(d.endsWith('100 150')).toBe(true);
  });

  it('draws nothing for a path without hops', () => {
    expect(hopPath([], centre)).toBe('');
  });
});
