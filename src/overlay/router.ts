// The Pastry routing rule (Rowstron & Druschel 2001, Table 1), as a pure decision over this node's
// state. The caller may exclude next hops it already knows are dead (they are then skipped, and the
// rule falls through to the next case, which is how a hop routes around a fresh failure).

import { isCloser, sharedPrefixDigits, digit, type NodeId } from './id.js';
import type { LeafSet } from './leaf-set.js';
import type { RoutingTable } from './routing-table.js';

export type RouteDecision =
  | { kind: 'deliver' }
  | { kind: 'forward'; nextHop: NodeId; rule: 'leaf-set' | 'routing-table' | 'rare-case' };

export function nextHop(
  key: NodeId,
  leafSet: LeafSet,
  table: RoutingTable,
  usable: (id: NodeId) => boolean = () => true,
): RouteDecision {
  const self = leafSet.self;
  if (key === self) return { kind: 'deliver' };

  // Case 1: the key is within the leaf set's range: the root is the closest of the leaves and us.
  if (leafSet.covers(key)) {
    let best = self;
    for (const leaf of leafSet.members()) if (usable(leaf) && isCloser(key, leaf, best)) best = leaf;
    return best === self ? { kind: 'deliver' } : { kind: 'forward', nextHop: best, rule: 'leaf-set' };
  }

  // Case 2: the routing-table entry sharing one more digit with the key.
  const l = sharedPrefixDigits(key, self, table.bitsPerDigit);
  const entry = table.get(l, digit(key, l, table.bitsPerDigit));
  if (entry !== undefined && usable(entry)) return { kind: 'forward', nextHop: entry, rule: 'routing-table' };

  // Case 3 (rare): any known node that shares at least as long a prefix and is numerically closer.
  // Among them prefer the longest prefix, then the numerically closest, so progress is maximal.
  let best: NodeId | undefined;
  let bestPrefix = -1;
  const consider = (candidate: NodeId) => {
    if (!usable(candidate) || !isCloser(key, candidate, self)) return;
    const prefix = sharedPrefixDigits(candidate, key, table.bitsPerDigit);
    if (prefix < l) return;
    if (best === undefined || prefix > bestPrefix || (prefix === bestPrefix && isCloser(key, candidate, best))) {
      best = candidate;
      bestPrefix = prefix;
    }
  };
  for (const leaf of leafSet.members()) consider(leaf);
  for (const id of table.entries()) consider(id);
  return best === undefined ? { kind: 'deliver' } : { kind: 'forward', nextHop: best, rule: 'rare-case' };
}
