// What every IM node does for uids that are not its own: the root of an offline uid answers "not
// online" to what wants an answer, and keeps that uid's mail (mailbox.ts). A messenger does it
// beside its own chats; ImRelay is the same on a node without a user (the simulator's plain nodes,
// a headless relay), so mail for the offline does not depend on who happens to be the root.

import type { RoutedMessage } from '../overlay/api.js';
import type { Clock } from '../overlay/environment.js';
import { DEFAULT_MAILBOX_CONFIG, IM_APPLICATION, type MailboxConfig } from './config.js';
import { Mailbox } from './mailbox.js';
import { notOnline } from './messages.js';
import type { OverlayHost } from './messenger-types.js';
import { ImStats } from './stats.js';
import { decodeImMessage, type ImMessage } from './wire.js';

/** We are only the numerically closest node to someone else's uid: that someone is offline. */
export function answerForAbsent(msg: RoutedMessage, message: ImMessage, stats: ImStats): void {
  if (message.t === 'im.chat' || message.t === 'im.presence' || message.t === 'im.buddy') {
    msg.reply?.(notOnline(msg.key));
    stats.count('answered not online');
  }
}

export class ImRelay {
  readonly stats = new ImStats();
  readonly mailbox: Mailbox;

  constructor(host: OverlayHost, clock: Clock, config: Partial<MailboxConfig> = {}) {
    let mailbox: Mailbox | undefined;
    const endpoint = host.register(IM_APPLICATION, {
      deliver: (msg) => {
        const message = decodeImMessage(msg.body);
        if (!message) return this.stats.count('malformed');
        if (mailbox?.handle(msg, message)) return;
        if (msg.key !== endpoint.localId) answerForAbsent(msg, message, this.stats);
      },
      update: (node, joined) => mailbox?.update(node, joined),
    });
    mailbox = new Mailbox({ endpoint, clock, config: { ...DEFAULT_MAILBOX_CONFIG, ...config }, stats: this.stats });
    this.mailbox = mailbox;
    mailbox.start();
  }

  stop(): void {
    this.mailbox.stop();
  }

  /** Graceful leave: the mail held here goes to the holders that stay. Call before the node leaves. */
  leave(): void {
    this.mailbox.leave();
  }
}
