// The serving side of a prefix query: the root of the prefix's first key answers from its store,
// then passes the query to its clockwise neighbour while the prefix's arc goes on past its own, so
// a walk covers every key of the prefix once (bounded by maxWalk). Each node replies on its own, so
// results stream back to the searcher as the walk proceeds; an answer too big for one frame goes
// in numbered parts.

import type { RoutedMessage } from '../overlay/api.js';
import { clockwiseDistance, closestTo, type NodeId } from '../overlay/id.js';
import type { KeyMapping } from './keys.js';
import { resultsInParts, type QueryMessage } from './messages.js';
import { answersQuery, matchWords } from './ranking.js';
import type { RecordStore } from './store.js';

export interface WalkLimits {
  /** Nodes a walk may visit in all (the root included). */
  maxWalk: number;
  /** Records one node puts in one reply. */
  maxResultsPerNode: number;
}

/** This node's ring neighbours, taken from its leaf set (itself when alone). */
function ringNeighbours(self: NodeId, leafSet: readonly NodeId[]): { predecessor: NodeId; successor: NodeId } {
  let predecessor = self;
  let successor = self;
  for (const leaf of leafSet) {
    if (leaf === self) continue;
    if (successor === self || clockwiseDistance(self, leaf) < clockwiseDistance(self, successor)) successor = leaf;
    if (predecessor === self || clockwiseDistance(leaf, self) < clockwiseDistance(predecessor, self)) predecessor = leaf;
  }
  return { predecessor, successor };
}

export function serveQuery(
  msg: RoutedMessage,
  query: QueryMessage,
  context: { self: NodeId; leafSet: readonly NodeId[]; store: RecordStore; mapping: KeyMapping; now: number; limits: WalkLimits & { verifyPerFrame: number } },
): void {
  const { self, store, mapping, now, limits } = context;
  const { predecessor, successor } = ringNeighbours(self, context.leafSet);
  const neighbourhood = [predecessor, self, successor];
  const owns = (key: NodeId) => closestTo(key, neighbourhood) === self;

  const range = mapping.prefixRange(query.prefix);
  const matching = store
    .recordsInRange(range, now)
    .filter((entry) => owns(entry.key) && entry.keyword.startsWith(query.prefix))
    .filter((entry) => answersQuery(matchWords(query.words, entry.record.keywords), query.words.length, query.matchAll));
  const records = matching.slice(0, limits.maxResultsPerNode).map((entry) => entry.record);

  const walked = query.walked + 1;
  const rangeGoesOn = !owns(range.end) && successor !== self;
  const mayWalk = walked < limits.maxWalk;
  const relayed = rangeGoesOn && mayWalk && msg.relay !== undefined && msg.relay(successor, { ...query, walked });
  const parts = resultsInParts(records, {
    walked,
    done: !relayed,
    truncated: matching.length > records.length || (rangeGoesOn && !relayed),
  }, undefined, limits.verifyPerFrame);
  for (const part of parts) msg.reply?.(part);
}
