// Where a 128-bit id sits on the overlay picture: id 0 at the top, ids growing clockwise, as the
// Pastry paper draws its ring.

import { idToBigInt, type NodeId } from '../overlay/id.js';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Fraction of the way around the ring, in [0, 1). The top 53 bits are all a double can hold. */
export function ringFraction(id: NodeId): number {
  return Number(idToBigInt(id) >> 75n) / 2 ** 53;
}

export function pointOnRing(id: NodeId, centre: Point, radius: number): Point {
  const angle = ringFraction(id) * 2 * Math.PI;
  return { x: centre.x + radius * Math.sin(angle), y: centre.y - radius * Math.cos(angle) };
}

/**
 * An SVG path through the hops of a routed message. Each hop bends toward the centre, more for
 * longer jumps, so a hop across the ring reads as a chord and a hop to a leaf as a short arc.
 */
export function hopPath(points: readonly Point[], centre: Point): string {
  if (points.length === 0) return '';
  let d = `M ${round(points[0].x)} ${round(points[0].y)}`;
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1];
    const to = points[i];
    const mid = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
    const pull = 0.35;
    const control = { x: mid.x + (centre.x - mid.x) * pull, y: mid.y + (centre.y - mid.y) * pull };
    d += ` Q ${round(control.x)} ${round(control.y)} ${round(to.x)} ${round(to.y)}`;
  }
  return d;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
