// The Pastry leaf set: the L/2 numerically closest nodes on each side of this node. Routing ends
// here (the root of a key is found among the leaves), and every leaf is a link we keep alive.
//
// In a ring with fewer than L+1 nodes one node can sit on both sides; the leaf set then holds every
// node there is, and covers() is true for every key.

import { clockwiseDistance, closestTo, ringDistance, ID_BITS, compareClockwise, compareCounterClockwise, oppositeOf, sortClockwiseFrom, type NodeId } from './id.js';

export class LeafSet {
  /** Counter-clockwise neighbours (smaller ids, wrapping), nearest first. */
  private readonly left: NodeId[] = [];
  /** Clockwise neighbours (larger ids, wrapping), nearest first. */
  private readonly right: NodeId[] = [];
  /** Derived from left and right; rebuilt lazily after a change (routing reads it on every hop). */
  private memberCache: NodeId[] | undefined;

  constructor(
    readonly self: NodeId,
    readonly size: number,
  ) {}

  get half(): number {
    return this.size / 2;
  }

  /** Left side nearest first, then right side nearest first (a node on both sides appears once). */
  members(): NodeId[] {
    return (this.memberCache ??= bothSides(this.left, this.right));
  }

  leftSide(): readonly NodeId[] {
    return this.left;
  }

  rightSide(): readonly NodeId[] {
    return this.right;
  }

  has(id: NodeId): boolean {
    // At most L/2 per side: a scan beats keeping a Set in step (joins add hundreds of candidates).
    return this.left.includes(id) || this.right.includes(id);
  }

  get count(): number {
    return this.members().length;
  }

  /** True when `id` would enter the leaf set (it is closer than the farthest leaf on a side, or a side has room). */
  wouldAccept(id: NodeId): boolean {
    if (id === this.self || this.has(id)) return false;
    return this.fitsSide(this.right, id, this.clockwiseOrder) || this.fitsSide(this.left, id, this.counterOrder);
  }

  /** Adds `id` where it belongs; returns the ids pushed out of the leaf set entirely. Empty when nothing changed. */
  add(id: NodeId): { added: boolean; evicted: NodeId[] } {
    if (id === this.self || this.has(id)) return { added: false, evicted: [] };
    this.memberCache = undefined;
    const pushed: NodeId[] = [];
    let added = false;
    if (this.insert(this.right, id, this.clockwiseOrder, pushed)) added = true;
    if (this.insert(this.left, id, this.counterOrder, pushed)) added = true;
    return { added, evicted: pushed.filter((x) => !this.has(x)) };
  }

  remove(id: NodeId): boolean {
    this.memberCache = undefined;
    const l = this.left.indexOf(id);
    const r = this.right.indexOf(id);
    if (l >= 0) this.left.splice(l, 1);
    if (r >= 0) this.right.splice(r, 1);
    return l >= 0 || r >= 0;
  }

  /** Both sides full and disjoint: the leaf set then covers only the arc from leftmost to rightmost. */
  private coversWholeRing(): boolean {
    if (this.left.length < this.half || this.right.length < this.half) return true;
    return this.left.some((id) => this.right.includes(id));
  }

  /** The paper's first routing case: is `key` within the range of the leaf set? */
  covers(key: NodeId): boolean {
    if (this.coversWholeRing()) return true;
    const leftmost = this.left[this.left.length - 1];
    const rightmost = this.right[this.right.length - 1];
    return compareClockwise(leftmost, key, rightmost) <= 0;
  }

  /** Self and the members, the `count` numerically closest to `key` first (ties: the smaller id). */
  closestMembers(key: NodeId, count: number): NodeId[] {
    const all = [this.self, ...this.members()];
    all.sort((a, b) => {
      const da = ringDistance(key, a);
      const db = ringDistance(key, b);
      return da < db ? -1 : da > db ? 1 : a < b ? -1 : 1;
    });
    return all.slice(0, count);
  }

  /** The member (or self) numerically closest to `key`. */
  closest(key: NodeId): NodeId {
    return closestTo(key, [this.self, ...this.members()]) ?? this.self;
  }

  /**
   * The number of nodes in the ring, estimated from how much of it our full leaf set spans (L + 1
   * nodes on that arc); undefined while the leaf set holds the whole ring.
   */
  estimatedRingSize(): number | undefined {
    if (this.coversWholeRing()) return undefined;
    const span = clockwiseDistance(this.left[this.left.length - 1], this.right[this.right.length - 1]);
    return ((this.left.length + this.right.length + 1) * 2 ** ID_BITS) / Number(span);
  }

  /** The farthest leaf on the side `failed` was on: the node to ask for a replacement (the paper's repair rule). */
  farthestOnSideOf(failed: NodeId): NodeId | undefined {
    // `failed` was on the right if it is nearer clockwise than counter-clockwise.
    const wasRight = this.isClockwiseNearer(failed);
    const side = wasRight ? this.right : this.left;
    return side[side.length - 1] ?? (wasRight ? this.left : this.right)[0];
  }

  /**
   * The members a leaf set of `size` around `self` would hold after adding every one of `ids`,
   * computed with one sort per side instead of one ordered insert per id (joins weigh hundreds).
   */
  static nearest(self: NodeId, ids: Iterable<NodeId>, size: number): NodeId[] {
    const half = size / 2;
    const distinct = new Set(ids);
    distinct.delete(self);
    const byClockwise = sortClockwiseFrom(self, [...distinct]);
    const right = byClockwise.slice(0, half);
    const left = byClockwise.slice(-half).reverse();
    return bothSides(left, right);
  }

  /** Orders ids by clockwise distance from self (nearest first). */
  private readonly clockwiseOrder = (a: NodeId, b: NodeId) => compareClockwise(this.self, a, b);
  /** Orders ids by counter-clockwise distance from self (nearest first). */
  private readonly counterOrder = (a: NodeId, b: NodeId) => compareCounterClockwise(this.self, a, b);

  private isClockwiseNearer(id: NodeId): boolean {
    // clockwise(self -> id) < clockwise(id -> self)  <=>  id lies in the half ring after self.
    return compareClockwise(this.self, id, oppositeOf(this.self)) < 0;
  }

  private fitsSide(side: NodeId[], id: NodeId, order: (a: NodeId, b: NodeId) => number): boolean {
    if (side.length < this.half) return true;
    return order(id, side[side.length - 1]) < 0;
  }

  private insert(side: NodeId[], id: NodeId, order: (a: NodeId, b: NodeId) => number, pushed: NodeId[]): boolean {
    let at = side.length;
    for (let i = 0; i < side.length; i++) {
      if (order(id, side[i]) < 0) {
        at = i;
        break;
      }
    }
    if (at >= this.half) return false;
    side.splice(at, 0, id);
    if (side.length > this.half) pushed.push(side.pop()!);
    return true;
  }
}

/** Left side, then the right side's ids not already on the left (in a small ring a node is on both). */
function bothSides(left: readonly NodeId[], right: readonly NodeId[]): NodeId[] {
  const members = [...left];
  for (const id of right) if (!members.includes(id)) members.push(id);
  return members;
}
