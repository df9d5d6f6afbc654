// The common API of structured overlays (Dabek et al. 2003) as upper layers (src/scan, src/im) see
// it: route(key, msg) plus the deliver / forward / update callbacks. An upper layer registers an
// application by name and gets an OverlayEndpoint back; it never touches links or tables.

import type { NodeId } from './id.js';

/** A message routed through the overlay, as seen by the application at some node. */
export interface RoutedMessage {
  /** The key the message is routed toward. */
  readonly key: NodeId;
  /** The node that called route()/request(). */
  readonly origin: NodeId;
  /** Overlay hops taken so far. */
  readonly hops: number;
  /** Application payload (JSON-compatible; the application validates it). */
  readonly body: unknown;
  /**
   * The neighbour whose link handed us a direct frame (sendDirect, relay): proven by the link's
   * authentication, unlike `origin`, which the sender writes. Absent for routed delivery.
   */
  readonly from?: NodeId;
  /** Present when the origin asked for replies: sends one back along the reverse path. May be called more than once (streamed results). */
  readonly reply?: (body: unknown) => void;
  /**
   * Present when the origin asked for replies: passes the request on to a node we have a link to
   * (a leaf, say), keeping the reverse path, so that node's replies also reach the origin.
   */
  readonly relay?: (to: NodeId, body: unknown) => boolean;
}

export interface OverlayApplication {
  /** This node is the root for msg.key (numerically closest live node), or the message was relayed here. */
  deliver(msg: RoutedMessage): void;
  /**
   * Called on every node that forwards the message (the origin included). Return false to drop it
   * (the application has handled it), true to pass it on unchanged, or { body } to pass on a new body.
   */
  forward?(msg: RoutedMessage, nextHop: NodeId): boolean | { body: unknown };
  /** A node joined (true) or left (false) this node's leaf set. */
  update?(node: NodeId, joined: boolean): void;
}

export interface Reply {
  readonly from: NodeId;
  readonly body: unknown;
  readonly hops: number;
}

export interface RequestOptions {
  /** Give up after this long (default: the overlay's requestTimeoutMs). */
  timeoutMs?: number;
  /** Called for every reply (streamed results); the promise resolves on the first. */
  onReply?: (reply: Reply) => void;
}

export interface OverlayEndpoint {
  readonly localId: NodeId;
  /** Fire and forget: deliver `body` at the root of `key`. */
  route(key: NodeId, body: unknown): void;
  /** Route `body` to the root of `key` and wait for the first reply (others go to onReply until the timeout). */
  request(key: NodeId, body: unknown, options?: RequestOptions): Promise<Reply>;
  /** Send straight to a node we have a link to (a leaf, say); false if there is no such link. Delivered with hops = 1. */
  sendDirect(to: NodeId, body: unknown): boolean;
  /**
   * Opens a link to the node whose id is `to` (signalled through the overlay; the transport proves
   * the peer holds that id) and keeps it open, whatever the leaf set and routing table say, until
   * closeDirect. Resolves true once the link is up, false if it cannot be opened.
   */
  openDirect(to: NodeId): Promise<boolean>;
  /** This application no longer needs the link: it closes once idle unless the overlay needs it. */
  closeDirect(to: NodeId): void;
  /** The current leaf set, nearest first on each side: [left neighbours..., right neighbours...]. */
  leafSet(): NodeId[];
  /** Up to `count` nodes numerically closest to `key` that this node knows (itself included). */
  replicaSet(key: NodeId, count: number): NodeId[];
  /** True when this node believes it is the root of `key`. */
  isRoot(key: NodeId): boolean;
}
