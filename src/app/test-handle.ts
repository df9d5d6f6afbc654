// window.__dima: a read-mostly handle for the Playwright tests (tests/e2e), so they can check the
// overlay of real tabs from outside: who this tab is, its leaf set and links, and where a routed
// key lands. It adds no behaviour the UI does not have (route() is the overlay picture's probe).

import type { NodeId } from '../overlay/id.js';
import type { MessengerAdapter } from './messenger-adapter.js';

export interface DimaTestHandle {
  readonly id: NodeId;
  /** The node's state: idle | joining | joined | left. */
  readonly state: string;
  /** performance.now() when the node reached 'joined' (ms since navigation start), or null. */
  readonly joinedAt: number | null;
  leafSet(): NodeId[];
  links(): number;
  routingTable(): NodeId[];
  route(key: NodeId): Promise<{ root: NodeId; hops: number; path: NodeId[] }>;
}

declare global {
  interface Window {
    __dima?: DimaTestHandle;
  }
}

export function installTestHandle(adapter: MessengerAdapter): void {
  let joinedAt: number | null = null;
  const markJoined = () => {
    if (joinedAt === null && adapter.current.node.state === 'joined') joinedAt = performance.now();
  };
  adapter.on('state', markJoined);
  markJoined();
  window.__dima = {
    get id() {
      return adapter.current.node.id;
    },
    get state() {
      return adapter.current.node.state;
    },
    get joinedAt() {
      return joinedAt;
    },
    leafSet: () => adapter.current.node.leafSet.members(),
    links: () => adapter.current.node.links.size,
    routingTable: () => adapter.current.node.routingTable.entries(),
    route: async (key) => {
      const { root, hops, path } = await adapter.probe(key);
      return { root, hops, path };
    },
  };
}
