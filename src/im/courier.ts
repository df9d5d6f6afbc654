// How IM messages reach a buddy. Routed to key = the buddy's uid: as a request when an answer is
// wanted (the buddy's reply, or "not online" from a root that is somebody else), fire-and-forget
// otherwise. Chats and receipts go over the buddy's direct link instead while one is open
// (direct-links.ts), and are routed whenever it is not.

import type { OverlayEndpoint } from '../overlay/api.js';
import type { NodeId } from '../overlay/id.js';
import type { DirectLinks } from './direct-links.js';
import type { ImStats } from './stats.js';
import { decodeImMessage, type ImMessage } from './wire.js';

export interface CourierOptions {
  endpoint: OverlayEndpoint;
  direct: DirectLinks;
  stats: ImStats;
  requestTimeoutMs: number;
  /** The root of `peer`'s uid answered "not online" to `body`. */
  notOnline(peer: NodeId, body: ImMessage): void;
  /** An answer nobody waits for in particular (a receipt, a presence reply): handled as a message. */
  answered(answer: ImMessage): void;
}

export class Courier {
  constructor(private readonly options: CourierOptions) {}

  /** Routes to key = peer and waits for the answer: "not online" is reported, anything else goes to onAnswer. */
  ask(peer: NodeId, body: ImMessage, onAnswer?: (answer: ImMessage) => void): void {
    const { endpoint, stats, requestTimeoutMs } = this.options;
    let request: Promise<{ body: unknown }>;
    try {
      request = endpoint.request(peer, body, { timeoutMs: requestTimeoutMs });
    } catch {
      return stats.count('overlay refused request');
    }
    request.then((reply) => {
      const answer = decodeImMessage(reply.body);
      if (!answer) return stats.count('malformed answer');
      if (answer.t === 'im.notOnline') {
        if (answer.key === peer) this.options.notOnline(peer, body);
        return;
      }
      if (onAnswer) onAnswer(answer);
      else this.options.answered(answer);
    }, () => stats.count('request timed out'));
  }

  /** Routes to key = peer, no answer expected. */
  tell(peer: NodeId, body: ImMessage): void {
    try {
      this.options.endpoint.route(peer, body);
    } catch {
      this.options.stats.count('overlay refused route');
    }
  }

  /**
   * A chat (answered with a receipt) or a receipt: over the buddy's direct link when one is open,
   * else asked or told. A direct delivery has no reverse path: the receipt comes as a message of its own.
   */
  chat(peer: NodeId, body: ImMessage, wantsAnswer: boolean): void {
    const { direct, stats } = this.options;
    if (direct.send(peer, body)) return stats.count(`${body.t} sent direct`);
    stats.count(`${body.t} routed`);
    if (wantsAnswer) this.ask(peer, body);
    else this.tell(peer, body);
  }
}
