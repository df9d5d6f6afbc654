// Mail for the offline, the two ends (mailbox.ts is the storing role between them).
//
// Sender: when the root of a buddy's uid answers "not online", every outbox entry for that buddy
// is posted to its mailbox (a MailPut routed to key = the buddy's uid), at most once per repostMs:
// the outbox keeps it until a receipt covers it, so a later repost can refill holders that all went
// away. The outbox still sends directly whenever the buddy is online.
//
// Recipient: items handed over by a holder go through the chat service like any chat or receipt
// (it shows each message once and in order, and stores it as always), then the settled ones are
// acknowledged to that holder with a signed MailAck. The receipts they earn go to the sender, routed,
// and into the sender's mailbox while it is offline, so its outbox empties when it comes back.

import type { OverlayEndpoint } from '../overlay/api.js';
import type { Clock } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import { MAIL_BATCH, type MailboxConfig } from './config.js';
import type { Courier } from './courier.js';
import { bytesToHex, type Identity } from './crypto.js';
import { mailAck, mailDigest } from './messages.js';
import type { ImStats } from './stats.js';
import type { OutboxEntry } from './storage.js';
import type { ChatMessage, ImMessage, MailItem, Receipt } from './wire.js';

export interface MailClientOptions {
  identity: Identity;
  clock: Clock;
  config: MailboxConfig;
  stats: ImStats;
  endpoint: OverlayEndpoint;
  courier: Courier;
  /** False until the buddy list is loaded: before, a buddy's chat would look like a stranger's. */
  ready(): boolean;
  isOnline(peer: NodeId): boolean;
  /** The chat service's receive: true when settled; `answer` gets the receipt it earns. */
  receiveChat(message: ChatMessage, answer: (receipt: Receipt) => void): Promise<boolean>;
  receiveReceipt(message: Receipt): Promise<boolean>;
  /** Routes a receipt to the sender. */
  tell(peer: NodeId, body: Receipt): void;
  /** The buddy was online after all and answered the put itself (with a receipt). */
  answered(answer: ImMessage): void;
}

export class MailClient {
  /** When each outbox entry (peer/seq) was last posted; memory only (a reload may post again). */
  private readonly postedAt = new Map<string, number>();
  /** The highest ack posted per conversation direction, so k holders' handovers post it once. */
  private readonly receiptPosted = new Map<string, number>();
  private readonly publicKey: string;

  constructor(private readonly options: MailClientOptions) {
    this.publicKey = bytesToHex(options.identity.publicKey);
  }

  /** The root of `peer`'s uid says it is offline: post what the outbox holds for it. */
  offline(peer: NodeId, pending: readonly OutboxEntry[]): void {
    const now = this.options.clock.now();
    const live = new Set(pending.map((entry) => slot(peer, entry.seq)));
    for (const key of this.postedAt.keys()) if (key.startsWith(`${peer}/`) && !live.has(key)) this.postedAt.delete(key);
    for (const entry of pending) {
      const at = this.postedAt.get(slot(peer, entry.seq));
      if (at !== undefined && now - at < this.options.config.repostMs) continue;
      this.postedAt.set(slot(peer, entry.seq), now);
      this.post(entry.message);
    }
  }

  /** Drops what is remembered about `peer` (buddy removed, conversation restarted). */
  forget(peer: NodeId): void {
    for (const key of this.postedAt.keys()) if (key.startsWith(`${peer}/`)) this.postedAt.delete(key);
    for (const key of this.receiptPosted.keys()) if (key.startsWith(`${peer}/`)) this.receiptPosted.delete(key);
  }

  /** Our own items, handed over by `holder`: taken as chats and receipts, then acknowledged to it. */
  async receive(items: readonly MailItem[], holder: NodeId): Promise<void> {
    const { stats, identity } = this.options;
    if (!this.options.ready()) return stats.count('mail received before loading');
    const settled: string[] = [];
    const receipts = new Map<NodeId, Receipt>();
    for (const item of items) {
      const { body } = item;
      if (body.to !== identity.id) {
        stats.count('mail not for us');
        continue;
      }
      stats.count('mail received');
      const done = body.t === 'im.chat'
        ? await this.options.receiveChat(body, (receipt) => receipts.set(body.from, receipt))
        : await this.options.receiveReceipt(body);
      if (done) settled.push(mailDigest(item));
    }
    for (let i = 0; i < settled.length; i += MAIL_BATCH) {
      if (this.options.endpoint.sendDirect(holder, mailAck(identity, settled.slice(i, i + MAIL_BATCH)))) stats.count('mail acknowledged');
    }
    for (const [sender, receipt] of receipts) {
      this.options.tell(sender, receipt);
      const key = `${sender}/${receipt.epoch}`;
      if (this.options.isOnline(sender) || (this.receiptPosted.get(key) ?? -1) >= receipt.ack) continue;
      this.receiptPosted.set(key, receipt.ack);
      this.post(receipt);
    }
  }

  private post(body: ChatMessage | Receipt): void {
    const { stats, courier } = this.options;
    stats.count('mail posted');
    courier.ask(body.to, { t: 'mail.put', item: { body, publicKey: this.publicKey } }, (answer) => {
      if (answer.t === 'mail.stored') return stats.count('mail taken by a holder');
      this.options.answered(answer);
    });
  }
}

const slot = (peer: NodeId, seq: number) => `${peer}/${seq}`;
