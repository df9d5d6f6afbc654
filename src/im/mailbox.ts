// Mail for the offline, the storing role: every IM node (a messenger, or a plain relay in the
// simulator) keeps chats and receipts for offline uids it is among the future neighbours of.
//
// A message to an offline buddy is routed to key = the buddy's uid as a MailPut; the key's root
// keeps it and copies it to the other holders: the `holders` nodes numerically closest to the uid,
// the uid itself never counted (replicas.ts does the root + leaves bookkeeping the SCAN directory
// and the seed board use too). When the uid joins our leaf set we hand it its items, and again every
// handoverRetryMs while it stays and has not acknowledged them; its signed MailAck deletes them here
// and, passed on by each holder that deleted something, at the other holders.
//
// What a holder takes: an item whose signature its signer's uid vouches for (the key must hash to
// `from`), routed to its own recipient's key (or copied by a node that is itself among the key's
// holders, as we see them), within the per-recipient, per-sender and node quotas and the signature
// budget. Everything else is dropped and counted. Memory only, and a TTL: soft state.

import type { OverlayEndpoint, RoutedMessage } from '../overlay/api.js';
import type { Clock, TimerHandle } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import { planJoin, planLeave, type ReplicaView } from '../overlay/replicas.js';
import { MAIL_BATCH, type MailboxConfig } from './config.js';
import { MailStore, type HeldMail } from './mail-store.js';
import { mailAckIsAuthentic, mailDigest, mailItemIsAuthentic } from './messages.js';
import type { ImStats } from './stats.js';
import { VerifyBudget } from './verify-budget.js';
import type { ImMessage, MailAck, MailCopies, MailItem, MailPut } from './wire.js';

export interface MailboxOptions {
  endpoint: OverlayEndpoint;
  clock: Clock;
  config: MailboxConfig;
  stats: ImStats;
  /**
   * Items addressed to this node's own uid, handed over by `holder`: the messenger shows them and
   * acknowledges them to that holder. Absent on a plain relay.
   */
  owner?: (items: MailItem[], holder: NodeId) => void;
}

export class Mailbox {
  readonly store: MailStore;
  private readonly budget: VerifyBudget;
  private readonly view: ReplicaView<HeldMail>;
  private timer: TimerHandle | undefined;

  constructor(private readonly options: MailboxOptions) {
    const { config, clock } = options;
    this.store = new MailStore(config);
    // Anyone may post: every check comes out of one bucket (the strangers' and the total alike).
    this.budget = new VerifyBudget(clock, { verifyPerBuddyPerSecond: 0, verifyStrangersPerSecond: config.verifyPerSecond, verifyPerSecond: config.verifyPerSecond });
    this.view = { holders: (key) => this.holders(key, 0), keyOf: (entry) => entry.recipient };
  }

  private get self(): NodeId {
    return this.options.endpoint.localId;
  }

  /** Handles the mail messages; false for any other. */
  handle(msg: RoutedMessage, message: ImMessage): boolean {
    switch (message.t) {
      case 'mail.put': this.onPut(msg, message); return true;
      case 'mail.copies': this.onCopies(msg.origin, message); return true;
      case 'mail.ack': this.onAck(msg.origin, message); return true;
      case 'mail.stored': this.options.stats.count('unexpected mail.stored'); return true;
      default: return false;
    }
  }

  /** A node joined (true) or left (false) our leaf set. */
  update(node: NodeId, joined: boolean): void {
    const { stats } = this.options;
    if (!joined) return this.sendAll(planLeave(this.self, this.view, this.store.all(), node));
    // Unlike directory records, mail we are no longer a holder of is kept (within the quotas) until
    // acknowledged or lapsed, and still handed to its recipient should it come by: a newcomer may
    // refuse the copy (its leaf set is still filling), and holders that crashed silently count as
    // holders until their links time out, so dropping it could drop a last live copy.
    const plan = planJoin(this.self, this.view, this.store.all(), node);
    this.sendAll(plan.copies);
    if (plan.released.length > 0) stats.count('mail passed on: no longer a holder');
    // The recipient is back: its future neighbours are its neighbours now.
    this.handOver(node);
  }

  /** Expiry and re-handover run from start() until stop(). */
  start(): void {
    if (this.timer === undefined) this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /**
   * Graceful leave (pagehide), before the node says "leaving": everything held goes to the holders
   * that stay (the `holders` nearest besides us). Holders that close together would otherwise take
   * the mail with them, since each one's top-up on seeing the others go leaves after its own
   * "leaving" and is dropped (mailbox bench, seed 42: all 5 holders of one uid were senders closing
   * at the same instant).
   */
  leave(): void {
    this.stop();
    const { holders } = this.options.config;
    const copies = new Map<NodeId, HeldMail[]>();
    for (const recipient of this.store.recipients()) {
      const staying = this.options.endpoint.replicaSet(recipient, holders + 2).filter((node) => node !== recipient && node !== this.self);
      const entries = this.store.forRecipient(recipient);
      for (const node of staying.slice(0, holders)) copies.set(node, [...(copies.get(node) ?? []), ...entries]);
    }
    if (copies.size > 0) this.options.stats.count('mail passed on: leaving');
    this.sendAll(copies);
  }

  // ---- incoming ---------------------------------------------------------------------------------

  private onPut(msg: RoutedMessage, put: MailPut): void {
    const { stats } = this.options;
    const key = put.item.body.to;
    // Kept where no recipient would look, it would only take up room.
    if (msg.key !== key) return stats.count('mail rejected: wrong key');
    if (!this.holders(key, 0).includes(this.self)) return stats.count('mail rejected: not a holder');
    const entry = this.take(put.item);
    if (!entry) return;
    msg.reply?.({ t: 'mail.stored' });
    this.send(this.holders(key, 0).filter((node) => node !== this.self), [entry]);
  }

  private onCopies(from: NodeId, copies: MailCopies): void {
    const { stats, owner } = this.options;
    const ours: MailItem[] = [];
    for (const item of copies.items) {
      const key = item.body.to;
      if (key === this.self) {
        ours.push(item);
        continue;
      }
      const entitled = this.holders(key, this.options.config.holderSlack);
      if (!entitled.includes(from) || !entitled.includes(this.self)) {
        stats.count('mail copy rejected: not entitled');
        continue;
      }
      this.take(item);
    }
    if (ours.length === 0) return;
    if (owner) owner(ours, from);
    else stats.count('mail for a node without messenger');
  }

  private onAck(from: NodeId, ack: MailAck): void {
    const { stats } = this.options;
    if (!ack.digests.some((digest) => this.store.get(digest)?.recipient === ack.owner)) return;
    if (!this.budget.take(undefined)) return stats.count('mail over verify budget');
    if (!mailAckIsAuthentic(ack)) return stats.count('mail ack rejected');
    for (const digest of ack.digests) {
      if (this.store.get(digest)?.recipient === ack.owner && this.store.remove(digest)) stats.count('mail deleted by ack');
    }
    // Something was deleted here: the other holders may still hold it (each passes it on at most once).
    for (const holder of this.holders(ack.owner, 0)) {
      if (holder !== this.self && holder !== from) this.options.endpoint.sendDirect(holder, ack);
    }
  }

  /** Checks and keeps one item; the held entry when it was new here. */
  private take(item: MailItem): HeldMail | undefined {
    const { stats, clock } = this.options;
    const digest = mailDigest(item);
    if (this.store.has(digest)) return undefined;
    if (!this.budget.take(undefined)) {
      stats.count('mail over verify budget');
      return undefined;
    }
    if (!mailItemIsAuthentic(item)) {
      stats.count('mail rejected: bad signature');
      return undefined;
    }
    const outcome = this.store.put(item, digest, clock.now());
    stats.count(`mail ${outcome}`);
    return outcome === 'stored' ? this.store.get(digest) : undefined;
  }

  // ---- outgoing ---------------------------------------------------------------------------------

  /**
   * The nodes that keep `key`'s mail as we see them, nearest first: the `holders` closest to it
   * besides the uid itself, and `slack` more (the wider set a copy may come from).
   */
  private holders(key: NodeId, slack: number): NodeId[] {
    const count = this.options.config.holders + slack;
    return this.options.endpoint.replicaSet(key, count + 1).filter((node) => node !== key).slice(0, count);
  }

  /** Hands `recipient` its items (all of them, or those not handed within handoverRetryMs). */
  private handOver(recipient: NodeId, onlyDue = false): void {
    const now = this.options.clock.now();
    const due = this.store.forRecipient(recipient).filter((entry) => !onlyDue || now - entry.handedAt >= this.options.config.handoverRetryMs);
    if (due.length === 0) return;
    for (const entry of due) entry.handedAt = now;
    this.options.stats.count('mail handed over');
    this.send([recipient], due);
  }

  private sendAll(copies: Map<NodeId, HeldMail[]>): void {
    for (const [target, entries] of copies) this.send([target], entries);
  }

  private send(targets: readonly NodeId[], entries: readonly HeldMail[]): void {
    for (let i = 0; i < entries.length; i += MAIL_BATCH) {
      const message: MailCopies = { t: 'mail.copies', items: entries.slice(i, i + MAIL_BATCH).map((entry) => entry.item) };
      for (const target of targets) {
        this.options.stats.count(this.options.endpoint.sendDirect(target, message) ? 'mail copies sent' : 'mail copies unsent: no link');
      }
    }
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimer(this.options.config.tickMs, () => {
      this.tick();
      this.schedule();
    });
  }

  /** Expiry, and recipients present in our leaf set that still have items here get them again. */
  private tick(): void {
    const { clock, stats, endpoint } = this.options;
    for (let n = this.store.expire(clock.now()); n > 0; n--) stats.count('mail expired');
    const present = new Set(endpoint.leafSet());
    for (const recipient of this.store.recipients()) if (present.has(recipient)) this.handOver(recipient, true);
  }
}
