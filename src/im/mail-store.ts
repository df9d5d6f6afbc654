// What one node keeps for offline recipients (the storing role of mailbox.ts): validated mail items
// in memory, soft state with a TTL, bounded per recipient, per sender and in all. Memory only: a
// holder that goes away loses its copies, and the other holders top the set back up.

import type { NodeId } from '../overlay/id.js';
import type { MailboxConfig } from './config.js';
import type { MailItem } from './wire.js';

export interface HeldMail {
  readonly digest: string;
  readonly item: MailItem;
  readonly recipient: NodeId;
  readonly sender: NodeId;
  readonly bytes: number;
  readonly expiresAt: number;
  /** When it was last handed to its recipient (-Infinity: never). */
  handedAt: number;
}

export type PutOutcome = 'stored' | 'known' | 'stale receipt' | 'recipient over quota' | 'sender over quota' | 'node full';

interface Usage {
  items: number;
  bytes: number;
}

export class MailStore {
  private readonly held = new Map<string, HeldMail>();
  private readonly perRecipient = new Map<NodeId, Usage>();
  private readonly perSender = new Map<NodeId, Usage>();
  /** The one receipt kept per conversation direction: the one acknowledging most. */
  private readonly receipts = new Map<string, string>();
  private total: Usage = { items: 0, bytes: 0 };
  /** The most this node ever kept at once (the bench and the simulator report it). */
  readonly highWater: Usage = { items: 0, bytes: 0 };

  constructor(private readonly config: MailboxConfig) {}

  has(digest: string): boolean {
    return this.held.has(digest);
  }

  /** Takes an item already checked to be authentic and ours to keep. */
  put(item: MailItem, digest: string, now: number): PutOutcome {
    if (this.held.has(digest)) return 'known';
    const { body } = item;
    const bytes = JSON.stringify(item).length;
    const receiptSlot = slotOf(item);
    const older = receiptSlot === undefined ? undefined : this.held.get(this.receipts.get(receiptSlot) ?? '');
    if (older && older.item.body.t === 'im.receipt' && body.t === 'im.receipt' && older.item.body.ack >= body.ack) return 'stale receipt';
    const { config } = this;
    const recipient = this.perRecipient.get(body.to) ?? { items: 0, bytes: 0 };
    const sender = this.perSender.get(body.from) ?? { items: 0, bytes: 0 };
    if (recipient.items >= config.perRecipientItems || recipient.bytes + bytes > config.perRecipientBytes) return 'recipient over quota';
    if (sender.items >= config.perSenderItems || sender.bytes + bytes > config.perSenderBytes) return 'sender over quota';
    if (this.total.items >= config.nodeItems || this.total.bytes + bytes > config.nodeBytes) return 'node full';
    if (older) this.remove(older.digest);
    const entry: HeldMail = { digest, item, recipient: body.to, sender: body.from, bytes, expiresAt: now + config.ttlMs, handedAt: -Infinity };
    this.held.set(digest, entry);
    if (receiptSlot !== undefined) this.receipts.set(receiptSlot, digest);
    this.account(entry, 1);
    return 'stored';
  }

  /** Deletes one item; true when it was held. */
  remove(digest: string): boolean {
    const entry = this.held.get(digest);
    if (!entry) return false;
    this.held.delete(digest);
    const slot = slotOf(entry.item);
    if (slot !== undefined && this.receipts.get(slot) === digest) this.receipts.delete(slot);
    this.account(entry, -1);
    return true;
  }

  get(digest: string): HeldMail | undefined {
    return this.held.get(digest);
  }

  all(): HeldMail[] {
    return [...this.held.values()];
  }

  /** A recipient's items, each sender's in seq order (receipts after its chats). */
  forRecipient(uid: NodeId): HeldMail[] {
    return this.all()
      .filter((entry) => entry.recipient === uid)
      .sort((a, b) => (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : order(a) - order(b)));
  }

  /** Recipients with something held. */
  recipients(): NodeId[] {
    return [...this.perRecipient.keys()];
  }

  expire(now: number): number {
    let dropped = 0;
    for (const entry of this.all()) if (entry.expiresAt <= now && this.remove(entry.digest)) dropped++;
    return dropped;
  }

  usage(): Usage {
    return { ...this.total };
  }

  private account(entry: HeldMail, sign: 1 | -1): void {
    for (const [map, uid] of [[this.perRecipient, entry.recipient], [this.perSender, entry.sender]] as const) {
      const usage = map.get(uid) ?? { items: 0, bytes: 0 };
      usage.items += sign;
      usage.bytes += sign * entry.bytes;
      if (usage.items === 0) map.delete(uid);
      else map.set(uid, usage);
    }
    this.total = { items: this.total.items + sign, bytes: this.total.bytes + sign * entry.bytes };
    this.highWater.items = Math.max(this.highWater.items, this.total.items);
    this.highWater.bytes = Math.max(this.highWater.bytes, this.total.bytes);
  }
}

/** A receipt's conversation direction (one receipt is kept per slot); undefined for a chat. */
const slotOf = ({ body }: MailItem) => (body.t === 'im.receipt' ? `${body.from}/${body.to}/${body.epoch}` : undefined);

const order = (entry: HeldMail) => (entry.item.body.t === 'im.chat' ? entry.item.body.seq : Number.MAX_SAFE_INTEGER);
