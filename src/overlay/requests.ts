// Requests and their replies (the common API's `request`). A reply does not travel back by key: the
// requester may be unreachable by routing (still joining, or behind a link only its bootstrap node
// holds), so every hop remembers where a request came from and the reply retraces that reverse path.

import type { Reply, RequestOptions } from './api.js';
import type { NodeId } from './id.js';
import type { RequestSending } from './forwarder.js';
import type { OverlayFrame, ReplyFrame } from './messages.js';
import type { NodeCore } from './node-core.js';
import { ReversePaths } from './peer-links.js';

/** What requests need from their node. */
export interface RequestsComponents extends Pick<NodeCore, 'id' | 'config' | 'clock' | 'stats'> {
  send(peer: NodeId, frame: OverlayFrame): boolean;
  /** Runs an application's callback, its errors contained and counted (Forwarder.callApplication). */
  callApplication<T>(call: () => T): T | undefined;
}

interface PendingRequest {
  resolve(reply: Reply): void;
  reject(error: Error): void;
  onReply?: (reply: Reply) => void;
  answered: boolean;
  timer: unknown;
  retryTimer?: unknown;
  sending?: RequestSending;
}

/** Copies of an unanswered request sent around the first hops taken before (Forwarder.sendWithRetries). */
export const RETRIES_AROUND = 2;

export class Requests {
  /** Our own requests awaiting a reply, by message id. */
  private readonly pending = new Map<string, PendingRequest>();
  /** Other nodes' requests we forwarded: message id -> the hop it came from. */
  private readonly reversePaths: ReversePaths;

  constructor(private readonly node: RequestsComponents) {
    this.reversePaths = new ReversePaths(node.config.reversePathMs, node.config.reversePathMax, node.config.reversePathShare);
  }

  /**
   * Starts waiting for replies to our request `id`. The promise settles on the first reply; with
   * `onReply` (a streamed answer) every reply is passed on until the timeout ends the request.
   */
  awaitReplies(id: string, key: NodeId, options: RequestOptions, sending?: RequestSending): Promise<Reply> {
    const { clock, config } = this.node;
    return new Promise<Reply>((resolve, reject) => {
      const timeout = options.timeoutMs ?? config.requestTimeoutMs;
      const timer = clock.setTimer(timeout, () => {
        const request = this.pending.get(id);
        this.pending.delete(id);
        if (request?.retryTimer) clock.clearTimer(request.retryTimer as never);
        if (request && !request.answered) request.reject(new Error(`request to ${key} timed out`));
      });
      const request: PendingRequest = { resolve, reject, onReply: options.onReply, answered: false, timer, sending };
      if (sending) {
        // At a third and two thirds of the timeout: each copy avoids every first hop taken before.
        let retries = 0;
        const retry = () => {
          request.retryTimer = undefined;
          if (request.answered || !this.pending.has(id)) return;
          this.node.stats.retriedAround++;
          sending.again();
          if (++retries < RETRIES_AROUND) request.retryTimer = clock.setTimer(timeout / (RETRIES_AROUND + 1), retry);
        };
        request.retryTimer = clock.setTimer(timeout / (RETRIES_AROUND + 1), retry);
      }
      this.pending.set(id, request);
    });
  }

  /** A request `id` reached us from `previousHop`: its replies go back that way. False: over that hop's share. */
  rememberWayBack(id: string, previousHop: NodeId): boolean {
    return this.reversePaths.remember(id, previousHop, this.node.clock.now());
  }

  sweepReversePaths(): void {
    this.reversePaths.sweep(this.node.clock.now());
  }

  /** The node stops: nobody will answer now. */
  rejectAll(): void {
    for (const request of this.pending.values()) {
      this.node.clock.clearTimer(request.timer as never);
      if (!request.answered) request.reject(new Error('node stopped'));
    }
    this.pending.clear();
  }

  /** Our application answers request `id` (which may be our own, when we are the key's root). */
  sendReply(id: string, body: unknown): void {
    const reply: ReplyFrame = { t: 'reply', id, from: this.node.id, hops: 0, body };
    if (this.pending.has(id)) {
      this.onReply(reply);
      return;
    }
    this.passReplyBack(reply);
  }

  onReply(frame: ReplyFrame): void {
    const request = this.pending.get(frame.id);
    if (request) {
      const reply: Reply = { from: frame.from, body: frame.body, hops: frame.hops };
      if (request.onReply) this.node.callApplication(() => request.onReply!(reply));
      if (!request.answered) {
        request.answered = true;
        request.sending?.answered();
        request.resolve(reply);
      }
      if (request.retryTimer) this.node.clock.clearTimer(request.retryTimer as never);
      if (!request.onReply) {
        this.node.clock.clearTimer(request.timer as never);
        this.pending.delete(frame.id);
      }
      return;
    }
    this.passReplyBack(frame);
  }

  private passReplyBack(frame: ReplyFrame): void {
    const previous = this.reversePaths.previousHop(frame.id, this.node.clock.now());
    if (!previous || !this.node.send(previous, { ...frame, hops: frame.hops + 1 })) this.node.stats.drop('reply without a way back');
  }
}
