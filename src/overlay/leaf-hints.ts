// Leaf-set hints: our leaf set, sent to a peer that lacks nodes we know and that belong in its own.
//
// Gossip goes only to a node's own leaves. Two nodes that join side by side both take the same
// outer neighbours; each outer neighbour keeps the nearer joiner, and the farther one keeps a
// neighbour that has a nearer node between them, gossips only to nodes that see the gap and say
// nothing, and never learns its true neighbour. The node that sees the gap answers the gossip
// with its own leaf set (itself included): a hint. Maintenance also hints the leaf a nearer node
// pushes out of ours (the newcomer lies between us). Hints are rate-limited per link: whatever a
// peer sends, it gets at most one leaf set per keep-alive period from us this way.

import type { NodeId } from './id.js';
import { LeafSet } from './leaf-set.js';
import { leafSetFrame, type OverlayFrame } from './messages.js';
import type { NodeCore } from './node-core.js';

export interface LeafHintComponents extends Pick<NodeCore, 'id' | 'config' | 'clock' | 'stats' | 'leafSet' | 'links'> {
  send(peer: NodeId, frame: OverlayFrame): boolean;
}

export class LeafHints {
  constructor(private readonly node: LeafHintComponents) {}

  /** `peer` told us its leaf set (`ids`, bounded by the frame decoder): hint it if it lacks what we know. */
  onPeerLeafSet(peer: NodeId, ids: readonly NodeId[]): void {
    const node = this.node;
    const entry = node.links.get(peer);
    if (!entry) return;
    if (missingFrom(peer, ids, [node.id, ...node.leafSet.members()], node.config.leafSetSize)) this.hint(peer);
  }

  /** Sends `peer` our leaf set, unless we did less than a keep-alive period ago. */
  hint(peer: NodeId): void {
    const node = this.node;
    const entry = node.links.get(peer);
    if (!entry) return;
    const now = node.clock.now();
    if (entry.leafHintAt !== undefined && now - entry.leafHintAt < node.config.keepAliveMs) {
      node.stats.leafHints.rateLimited++;
      return;
    }
    entry.leafHintAt = now;
    node.stats.leafHints.sent++;
    node.send(peer, leafSetFrame(node.leafSet.members()));
  }
}

/** True when one of `known` belongs in the leaf set of `peer`, whose members are `claimed`, and is not there. */
function missingFrom(peer: NodeId, claimed: readonly NodeId[], known: readonly NodeId[], size: number): boolean {
  const have = new Set(claimed);
  const candidates = known.filter((id) => id !== peer && !have.has(id));
  if (candidates.length === 0) return false;
  const wanted = LeafSet.nearest(peer, [...claimed, ...candidates], size);
  return wanted.some((id) => !have.has(id));
}
