// One application's view of its node (the common API, api.ts): everything it sends is tagged with
// the application's name, and the links it asks for are pinned in its name, one pin per peer.

import type { OverlayEndpoint, Reply, RequestOptions } from './api.js';
import type { NodeId } from './id.js';
import type { NodeCore } from './node-core.js';
import { nextHop } from './router.js';

/** What an application's endpoint needs from its node: the node's own sending, by application name. */
export interface EndpointComponents extends Pick<NodeCore, 'id' | 'leafSet' | 'routingTable' | 'links'> {
  route(key: NodeId, app: string, body: unknown): void;
  request(key: NodeId, app: string, body: unknown, options?: RequestOptions): Promise<Reply>;
  sendDirect(to: NodeId, app: string, body: unknown): boolean;
  connect(peer: NodeId): Promise<boolean>;
  pin(peer: NodeId): void;
  unpin(peer: NodeId): void;
}

export function applicationEndpoint(node: EndpointComponents, name: string): OverlayEndpoint {
  // Pins are reference counted across the node (the join pins too); this set keeps ours to one per peer.
  const pinned = new Set<NodeId>();
  const closeDirect = (to: NodeId) => {
    if (pinned.delete(to)) node.unpin(to);
  };
  return {
    localId: node.id,
    route: (key, body) => node.route(key, name, body),
    request: (key, body, options) => node.request(key, name, body, options),
    sendDirect: (to, body) => node.sendDirect(to, name, body),
    openDirect: async (to) => {
      if (to === node.id) return false;
      if (!pinned.has(to)) {
        pinned.add(to);
        node.pin(to);
      }
      const up = await node.connect(to);
      if (!up) closeDirect(to);
      return up;
    },
    closeDirect,
    leafSet: () => [...node.leafSet.members()],
    replicaSet: (key, count) => node.leafSet.closestMembers(key, count),
    // As far as this node knows, it is the numerically closest live node to `key`.
    isRoot: (key) => nextHop(key, node.leafSet, node.routingTable, (id) => node.links.has(id)).kind === 'deliver',
  };
}
