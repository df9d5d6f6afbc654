// Which entries each owner (uid) has in a RecordStore, oldest first, and the owners ordered by how
// many entries they hold: what fair eviction and the per-owner quotas need in O(1) per change.
// Bounded by the store: an owner is forgotten with its last entry.

import type { NodeId } from '../overlay/id.js';

interface Owner {
  /** Entry ids, in the order they were stored (a replaced entry moves to the end). */
  readonly entries: Map<string, number>;
  bytes: number;
}

export class OwnerIndex {
  private readonly owners = new Map<NodeId, Owner>();
  /** Owners by entry count; within a count, in the order they reached it. */
  private readonly byCount = new Map<number, Set<NodeId>>();
  private maxCount = 0;

  entriesOf(uid: NodeId): number {
    return this.owners.get(uid)?.entries.size ?? 0;
  }

  bytesOf(uid: NodeId): number {
    return this.owners.get(uid)?.bytes ?? 0;
  }

  add(uid: NodeId, id: string, bytes: number): void {
    let owner = this.owners.get(uid);
    if (owner === undefined) {
      owner = { entries: new Map(), bytes: 0 };
      this.owners.set(uid, owner);
    }
    this.move(uid, owner.entries.size, owner.entries.size + 1);
    owner.entries.set(id, bytes);
    owner.bytes += bytes;
  }

  remove(uid: NodeId, id: string): void {
    const owner = this.owners.get(uid);
    const bytes = owner?.entries.get(id);
    if (owner === undefined || bytes === undefined) return;
    this.move(uid, owner.entries.size, owner.entries.size - 1);
    owner.entries.delete(id);
    owner.bytes -= bytes;
    if (owner.entries.size === 0) this.owners.delete(uid);
  }

  /** The oldest entry id of `uid`. */
  oldestOf(uid: NodeId): string | undefined {
    return this.owners.get(uid)?.entries.keys().next().value;
  }

  /** An owner holding the most entries (the one that got there first), and that count. */
  largest(): { uid: NodeId; count: number } | undefined {
    const uid = this.byCount.get(this.maxCount)?.values().next().value;
    return uid === undefined ? undefined : { uid, count: this.maxCount };
  }

  private move(uid: NodeId, from: number, to: number): void {
    if (from > 0) {
      const set = this.byCount.get(from)!;
      set.delete(uid);
      if (set.size === 0) this.byCount.delete(from);
    }
    if (to > 0) {
      const set = this.byCount.get(to) ?? new Set<NodeId>();
      set.add(uid);
      this.byCount.set(to, set);
    }
    if (to > this.maxCount) this.maxCount = to;
    while (this.maxCount > 0 && !this.byCount.has(this.maxCount)) this.maxCount--;
  }
}
