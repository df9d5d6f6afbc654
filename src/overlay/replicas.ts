// Soft state kept on the nodes numerically closest to a key (root + nearest leaves), as the SCAN
// directory, the seed board and the IM mailbox keep theirs. Built on the common API only (the
// leaf-set view an application gets from replicaSet), so it decides WHAT to copy to WHOM on a
// leaf-set change and leaves sending, validation and storage to its user.
//
// On a join, every holder that sees the newcomer among an entry's holders sends it a copy: electing
// one sender from each node's own view failed whenever two views differed (then nobody sent), and
// copies are idempotent. An entry this node is no longer a holder of is passed to the holders before
// it is released, so nothing is deleted without being handed on. On a failure, the root of an entry
// the failed node was a holder of tops the other holders back up.

import { isCloser, type NodeId } from './id.js';

export interface ReplicaView<T> {
  /** Holders of `key` as this node sees them, nearest first: [root, replicas...]. */
  holders(key: NodeId): readonly NodeId[];
  keyOf(entry: T): NodeId;
}

export interface JoinPlan<T> {
  /** What to send to whom (the newcomer, and the holders of entries we let go). */
  copies: Map<NodeId, T[]>;
  /** Entries this node is no longer a holder of (already among `copies` for their holders). */
  released: T[];
}

/** `newcomer` joined our leaf set. */
export function planJoin<T>(self: NodeId, view: ReplicaView<T>, entries: Iterable<T>, newcomer: NodeId): JoinPlan<T> {
  const plan: JoinPlan<T> = { copies: new Map(), released: [] };
  for (const [key, group] of byKey(view, entries)) {
    const holders = view.holders(key);
    if (holders.includes(newcomer)) add(plan.copies, newcomer, group);
    if (holders.includes(self)) continue;
    for (const holder of holders) if (holder !== newcomer) add(plan.copies, holder, group);
    plan.released.push(...group);
  }
  return plan;
}

/** `failed` left our leaf set: as root of an entry it was a holder of, bring the others back up. */
export function planLeave<T>(self: NodeId, view: ReplicaView<T>, entries: Iterable<T>, failed: NodeId): Map<NodeId, T[]> {
  const copies = new Map<NodeId, T[]>();
  for (const [key, group] of byKey(view, entries)) {
    const holders = view.holders(key);
    const farthest = holders[holders.length - 1];
    if (holders[0] !== self || farthest === undefined || !isCloser(key, failed, farthest)) continue;
    for (const holder of holders.slice(1)) add(copies, holder, group);
  }
  return copies;
}

/** Entries grouped by key, so holders are computed once per key (replicaSet sorts the leaf set). */
function byKey<T>(view: ReplicaView<T>, entries: Iterable<T>): Map<NodeId, T[]> {
  const groups = new Map<NodeId, T[]>();
  for (const entry of entries) add(groups, view.keyOf(entry), [entry]);
  return groups;
}

function add<T>(map: Map<NodeId, T[]>, node: NodeId, items: readonly T[]): void {
  const list = map.get(node);
  if (list) list.push(...items);
  else map.set(node, [...items]);
}
