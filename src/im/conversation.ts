// Per-conversation sequence numbers: the sender numbers its messages 1, 2, 3...; the receiver
// shows them in order and exactly once (reorder buffer + dedupe) and acknowledges cumulatively.
// Counters live in ImStorage, so either side may restart without breaking the sequence. They belong
// to one conversation epoch (epoch.ts): a new epoch starts from fresh counters.

import type { NodeId } from '../overlay/id.js';
import { freshCounters, type ConversationCounters, type ImStorage } from './storage.js';

export type ReceiveOutcome<T> =
  /** Already shown (or buffered): acknowledge again, show nothing. */
  | { kind: 'duplicate' }
  /** Too far ahead of the buffer: dropped unacknowledged, the sender resends it later. */
  | { kind: 'beyond-window' }
  /** Accepted: `ready` are now shown in order (empty if it fills no gap yet). */
  | { kind: 'accepted'; ready: { seq: number; item: T }[] };

/** The sequence state of one conversation, as seen from our side. Pure: persistence is the book's job. */
export class Conversation<T> {
  readonly epoch: string;
  private nextSendSeq: number;
  private delivered: number;
  private acked: number;
  /** Restored from a backup, not yet confirmed: the first seq we hand out (resync.ts). */
  private fromBackup: number | undefined;
  private readonly reorderBuffer = new Map<number, T>();

  constructor(counters: ConversationCounters, private readonly window: number) {
    this.epoch = counters.epoch;
    this.nextSendSeq = counters.nextSendSeq;
    this.delivered = counters.delivered;
    this.acked = counters.acked;
    this.fromBackup = counters.fromBackup;
  }

  counters(): ConversationCounters {
    const counters = { epoch: this.epoch, nextSendSeq: this.nextSendSeq, delivered: this.delivered, acked: this.acked };
    return this.fromBackup === undefined ? counters : { ...counters, fromBackup: this.fromBackup };
  }

  /**
   * Restored from a backup and not yet confirmed by the buddy (resync.ts): the first seq handed
   * out here; lower ones are the old browser's (queued in the backup's outbox, sent as they are).
   */
  get restoredFrom(): number | undefined {
    return this.fromBackup;
  }

  /** Cumulative acknowledgement to send back: every seq up to it has been shown. */
  get cumulativeAck(): number {
    return this.delivered;
  }

  get peerAcked(): number {
    return this.acked;
  }

  /** Seq for the next outgoing message (call commitSend once it is safely in the outbox). */
  peekSendSeq(): number {
    return this.nextSendSeq;
  }

  commitSend(seq: number): void {
    this.nextSendSeq = Math.max(this.nextSendSeq, seq + 1);
  }

  /** Cheap check before decrypting: a seq already shown or buffered needs no work. */
  isDuplicate(seq: number): boolean {
    return seq <= this.delivered || this.reorderBuffer.has(seq);
  }

  receive(seq: number, item: T): ReceiveOutcome<T> {
    if (this.isDuplicate(seq)) return { kind: 'duplicate' };
    if (seq > this.delivered + this.window) return { kind: 'beyond-window' };
    this.reorderBuffer.set(seq, item);
    return { kind: 'accepted', ready: this.drain() };
  }

  private drain(): { seq: number; item: T }[] {
    const ready: { seq: number; item: T }[] = [];
    for (let next = this.delivered + 1; this.reorderBuffer.has(next); next++) {
      ready.push({ seq: next, item: this.reorderBuffer.get(next) as T });
      this.reorderBuffer.delete(next);
      this.delivered = next;
    }
    return ready;
  }

  /** A chat already waiting in the reorder buffer: its sender resent it, so the gap before it persists. */
  isBuffered(seq: number): boolean {
    return this.reorderBuffer.has(seq);
  }

  /** An ack of seqs we never sent in this conversation: the buddy is ahead of us (we were restored from a backup). */
  isAhead(ack: number): boolean {
    return ack >= this.nextSendSeq;
  }

  /** An ack we cannot take as is: the buddy may be ahead, so ask it where it stands (resync.ts). */
  needsResync(ack: number): boolean {
    return this.fromBackup !== undefined || this.isAhead(ack);
  }

  /**
   * The buddy will never resend what it holds acknowledged up to `settled` (a previous copy of us
   * showed it): take that as shown, and show what the buffer holds after it. Work is bounded by
   * the buffer, whatever the jump.
   */
  skipShownTo(settled: number): { seq: number; item: T }[] {
    if (settled <= this.delivered) return [];
    this.delivered = settled;
    for (const seq of [...this.reorderBuffer.keys()]) if (seq <= settled) this.reorderBuffer.delete(seq);
    return this.drain();
  }

  /** The buddy has shown seqs up to `shown` from a previous copy of us: ours continue at `next`. */
  rebaseSend(shown: number, next: number): void {
    this.acked = Math.max(this.acked, shown);
    this.nextSendSeq = Math.max(this.nextSendSeq, next);
  }

  /** The buddy told us where it stands: these counters are current again. */
  confirm(): void {
    this.fromBackup = undefined;
  }

  /** A receipt arrived; true when it acknowledges something new. Acks are cumulative and only grow. */
  acknowledge(ack: number): boolean {
    // An ack beyond what we ever sent is forged or from a previous life of the conversation.
    // Restored from a backup, any ack may count the old browser's messages with our seqs, not ours.
    if (this.fromBackup !== undefined || ack <= this.acked || ack >= this.nextSendSeq) return false;
    this.acked = ack;
    return true;
  }
}

/**
 * All conversations of this node. Work on one conversation is serialised (decrypting and storing
 * are async; two messages of one peer must not interleave), different peers run concurrently.
 */
export class ConversationBook<T> {
  private readonly conversations = new Map<NodeId, Promise<Conversation<T>>>();
  private readonly queues = new Map<NodeId, Promise<unknown>>();

  constructor(private readonly storage: ImStorage, private readonly window: number) {}

  /**
   * Runs `work` with exclusive use of the conversation with `peer` in `epoch`, then persists its
   * counters. Counters of another epoch are not this conversation's: it starts fresh.
   */
  with<R>(peer: NodeId, epoch: string, work: (conversation: Conversation<T>) => Promise<R> | R): Promise<R> {
    return this.serialised(peer, async () => {
      const conversation = await this.load(peer, epoch);
      const before = JSON.stringify(conversation.counters());
      try {
        return await work(conversation);
      } finally {
        const after = conversation.counters();
        if (JSON.stringify(after) !== before) await this.storage.putCounters(peer, after);
      }
    });
  }

  private serialised<R>(peer: NodeId, job: () => Promise<R>): Promise<R> {
    const previous = this.queues.get(peer) ?? Promise.resolve();
    const run = previous.then(job);
    const settled = run.catch(() => undefined);
    this.queues.set(peer, settled);
    void settled.then(() => {
      if (this.queues.get(peer) === settled) this.queues.delete(peer);
    });
    return run;
  }

  /** Forget a conversation entirely (buddy removed): both counters and in-memory buffer. */
  drop(peer: NodeId): Promise<void> {
    return this.serialised(peer, async () => {
      this.conversations.delete(peer);
      await this.storage.deleteCounters(peer);
    }).then(() => {
      this.conversations.delete(peer);
    });
  }

  private async load(peer: NodeId, epoch: string): Promise<Conversation<T>> {
    let conversation = this.conversations.get(peer);
    if (!conversation) {
      conversation = this.storage.getCounters(peer).then((c) => new Conversation<T>(c, this.window));
      this.conversations.set(peer, conversation);
    }
    const loaded = await conversation;
    if (loaded.epoch === epoch) return loaded;
    const fresh = new Conversation<T>(freshCounters(epoch), this.window);
    this.conversations.set(peer, Promise.resolve(fresh));
    return fresh;
  }
}
