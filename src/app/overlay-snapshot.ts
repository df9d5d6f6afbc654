// What the overlay picture shows of a session: leaf set, routing table, recent paths, connections.

import type { OverlaySnapshot, RoutedPath, RoutingEntry } from '../ui/messenger-port.js';
import type { Session } from './session.js';

export function overlaySnapshot(session: Session, recentPaths: RoutedPath[]): OverlaySnapshot {
  const { node } = session;
  const routingTable: RoutingEntry[] = [];
  for (let row = 0; row < node.routingTable.rowCount; row++) {
    for (let column = 0; column < node.routingTable.columns; column++) {
      const id = node.routingTable.get(row, column);
      if (id !== undefined) routingTable.push({ row, column, id });
    }
  }
  const { constructed, held, limit } = session.transport.connections;
  return { selfId: node.id, leafSet: node.leafSet.members(), routingTable, recentPaths, peerConnections: { constructed, held, limit } };
}
