// Counters every node keeps: what it sent, received, forwarded, delivered, and what it dropped and why.
// Bad input from a peer is never an exception: it is dropped here and counted, under one of a fixed
// set of labels (DropReason): nothing a peer sends becomes a label, so the map stays bounded.

import type { AnswerRefusal } from './answer-budget.js';
import type { FrameRejection } from './messages.js';

export type DropReason =
  | `malformed: ${FrameRejection}`
  | 'frame on a stale link'
  | 'send failed'
  | 'unexpected frame'
  | 'reply without a way back'
  | 'no application'
  | 'application error'
  | 'no hop acked'
  | 'held at stop'
  | 'direct frame from a foreign origin'
  | 'routed: neighbour over rate'
  | 'routed: neighbour over reverse-path share'
  | 'no usable next hop'
  | 'too many hops'
  | 'routed after leaving'
  | 'malformed join'
  | 'malformed signal'
  | `signal: ${AnswerRefusal}`
  | 'peer connection limit'
  | 'hole probe unanswered'
  | 'neighbourhood refresh timed out'
  | 'malformed merge hint'
  | 'merge check failed'
  | 'merge hint over budget';

export class OverlayStats {
  framesSent = 0;
  framesReceived = 0;
  forwarded = 0;
  delivered = 0;
  dialsStarted = 0;
  dialsFailed = 0;
  peersFailed = 0;
  /** Next hops that let a routed frame go unacked, and frames sent again along another route. */
  suspected = 0;
  rerouted = 0;
  /** Our requests sent again around their first hop, unanswered halfway to the timeout. */
  retriedAround = 0;
  /** "May I link?" asks sent before constructing a connection, and those answered no (or not at all). */
  linkAsks = 0;
  linkAsksRefused = 0;
  /** Links retired because the peer dialled us while we dialled it (two constructions on each side for one link). */
  duplicateLinks = 0;
  /** Links only others needed, turned away because our own needs took us over the cap. */
  shed = 0;
  /** Connections this node dialled, by what it wanted them for (answers are the transport's rest). */
  readonly dialsFor = { leaf: 0, direct: 0, table: 0, proximity: 0 };
  /**
   * Ring merging: checks run (lookups through a node of another ring), those that found nodes our
   * leaf set lacked, hints sent to neighbours, dials to remembered lost peers.
   */
  readonly merge = { checks: 0, merged: 0, hintsSent: 0, retries: 0, islandChecks: 0 };
  /**
   * Our leaf set sent to a peer whose leaf set lacked nodes we know, or that a nearer node pushed out
   * of ours (leaf-hints.ts); and hints held back by the per-link rate.
   */
  readonly leafHints = { sent: 0, rateLimited: 0 };
  readonly dropped = new Map<DropReason, number>();

  drop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  droppedTotal(): number {
    let total = 0;
    for (const n of this.dropped.values()) total += n;
    return total;
  }
}

/** Random hex string from an injected Random (message ids must not come from Math.random). */
export function randomHex(random: { int(n: number): number }, chars: number): string {
  let out = '';
  while (out.length < chars) out += random.int(0x10000).toString(16).padStart(4, '0');
  return out.slice(0, chars);
}
