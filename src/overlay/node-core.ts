// What the parts of a node share. PastryNode owns this state and composes its parts (join.ts,
// maintenance.ts, link-keeper.ts, requests.ts, ring-merge.ts, forwarder.ts, endpoint.ts): each part
// declares the slice of it and the few functions of other parts it needs, and the node hands it
// exactly that. No part knows the node, so each can be read (and built in a test) on its own.

import type { OverlayConfig } from './config.js';
import type { ConnectionPurpose } from './connection-budget.js';
import type { Clock, Random, Transport } from './environment.js';
import type { NodeId } from './id.js';
import type { LeafSet } from './leaf-set.js';
import type { PeerLinks } from './peer-links.js';
import type { RoutingTable } from './routing-table.js';
import type { OverlayStats } from './stats.js';

export type NodeState = 'idle' | 'joining' | 'joined' | 'left';

export interface NodeCore {
  readonly id: NodeId;
  readonly config: OverlayConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly stats: OverlayStats;
  readonly leafSet: LeafSet;
  readonly routingTable: RoutingTable;
  readonly links: PeerLinks;
  readonly transport: Transport;
  /** The node's lifecycle state now (a function: parts hold the core, the state changes). */
  state(): NodeState;
}

export interface SendOptions {
  /** Send the first hop over this link instead of routing (a joining node knows only its bootstrap link). */
  firstHop?: NodeId;
}

export interface ConnectOptions extends SendOptions {
  /**
   * What the link is for, for the peer-connection budget; an application's own link (the default,
   * 'direct') is spent like an answer, on the held share only.
   */
  purpose?: ConnectionPurpose;
}

/**
 * Why a peer is gone: 'left' it said goodbye; 'path' only the network path failed
 * (Link.closeReason), it may be alive and is dialled again at once; 'failed' it crashed or went silent.
 */
export type GoneCause = 'failed' | 'left' | 'path';
