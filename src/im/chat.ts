// Chats between accepted buddies: sealing into the outbox, opening on arrival, showing in order
// exactly once, and the receipts that empty the sender's outbox.
//
// Crash safety, receiving side: history is written, then the counters (ConversationBook.with
// persists them when the work returns), and only then is the message shown and acknowledged. A crash
// before the counters are stored means the sender resends, the history write repeats harmlessly,
// and the message is shown for the first time. Sending side: history and outbox first, counter
// after; on load the outbox pushes the counter past every queued seq.
//
// Integrity: a chat or receipt is taken only in the conversation's current epoch (epoch.ts), and
// only after its signature checks out, the duplicate path included; only then may it change state
// or be answered. A replay of another conversation, or a forgery, touches nothing, so the next
// real message is never mistaken for a duplicate. Only news (a chat not shown before, a receipt
// that acknowledges more) counts as a sign of life: a replayed copy proves nothing about now.

import type { Clock, Random } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { BuddyBook } from './buddies.js';
import { MAX_TEXT_CHARS } from './config.js';
import type { ConversationBook } from './conversation.js';
import { bytesToHex, checkChat, decryptChat, sealChat, type ChatPlaintext, type Identity, type KeyRing } from './crypto.js';
import { conversationEpoch } from './epoch.js';
import { chatMessage, receipt, receiptIsAuthentic } from './messages.js';
import type { Outbox } from './outbox.js';
import type { PresenceTable } from './presence.js';
import { Resync } from './resync.js';
import type { ImStats } from './stats.js';
import type { BuddyRecord, HistoryEntry, ImStorage, OutboxEntry } from './storage.js';
import type { VerifyBudget } from './verify-budget.js';
import type { ChatMessage, ImMessage, Receipt } from './wire.js';

/** Chats whose signature we checked, remembered so a resent copy is not checked again. */
export const VERIFIED_MEMORY = 512;

export interface IncomingMessage {
  from: NodeId;
  seq: number;
  text: string;
  sentAt: number;
}

export interface HistoryItem extends Omit<HistoryEntry, 'peer'> {
  /** Outgoing: the buddy's receipt covers it. Incoming: always true. */
  delivered: boolean;
}

export interface ChatDependencies {
  identity: Identity;
  storage: ImStorage;
  clock: Clock;
  random: Random;
  keyRing: KeyRing;
  buddies: BuddyBook;
  outbox: Outbox;
  conversations: ConversationBook<ChatPlaintext>;
  presence: PresenceTable;
  stats: ImStats;
  budget: VerifyBudget;
  /** Sends a chat to peer (routed to key = peer, or over its direct link) and handles the receipt that answers it. */
  ask(peer: NodeId, body: ImMessage): void;
  /** Sends a receipt to peer (routed, or over its direct link), no answer expected. */
  tell(peer: NodeId, body: ImMessage): void;
  shown(message: IncomingMessage): void;
  acknowledged(peer: NodeId, seq: number): void;
  /** Queued messages to `peer` were sealed again under new seqs (resync.ts): [old seq, new seq] pairs. */
  renumbered(peer: NodeId, seqs: readonly (readonly [number, number])[]): void;
}

export class ChatService {
  /** Digests of chats whose signature checked out (insertion order: the oldest go first). */
  private readonly verified = new Set<string>();
  /** Catching up when our counters are behind the buddy's (a restored backup). */
  readonly resync: Resync;

  constructor(private readonly deps: ChatDependencies) {
    this.resync = new Resync(deps, (peer, buddy) => this.epochOf(peer, buddy), (peer) => this.flush(peer, false));
  }

  /**
   * Recovers the outbox after a reload; seqs already queued are never handed out again. An entry
   * of an older conversation (a crash while the buddy started anew) can never be taken: dropped.
   */
  async load(): Promise<void> {
    for (const entry of await this.deps.outbox.load()) {
      const buddy = this.deps.buddies.get(entry.peer);
      const epoch = this.epochOf(entry.peer, buddy);
      if (buddy?.status === 'accepted' && entry.message.epoch !== epoch) {
        await this.deps.outbox.discard(entry.peer, entry.seq);
        continue;
      }
      await this.deps.conversations.with(entry.peer, entry.message.epoch, (c) => c.commitSend(entry.seq));
    }
    for (const peer of this.deps.buddies.accepted()) {
      const restored = await this.deps.conversations.with(peer, this.epochOf(peer, this.deps.buddies.get(peer)), (c) => c.restoredFrom);
      if (restored !== undefined) this.resync.hold(peer);
    }
  }

  async send(to: NodeId, text: string): Promise<{ seq: number }> {
    const { deps } = this;
    const buddy = deps.buddies.get(to);
    if (buddy?.status !== 'accepted') throw new Error(`${to} is not an accepted buddy`);
    if (text.length > MAX_TEXT_CHARS) throw new Error(`a message has at most ${MAX_TEXT_CHARS} characters`);
    const key = await deps.keyRing.keyFor(to, buddy.publicKey);
    const epoch = this.epochOf(to, buddy);
    const seq = await deps.conversations.with(to, epoch, async (conversation) => {
      const seq = conversation.peekSendSeq();
      const plaintext = { text, sentAt: deps.clock.now() };
      const sealed = await sealChat(deps.identity, key, to, seq, plaintext, deps.random, epoch);
      await deps.storage.putHistory({ peer: to, direction: 'out', seq, text, sentAt: plaintext.sentAt });
      await deps.outbox.add({ peer: to, seq, message: chatMessage(sealed), createdAt: plaintext.sentAt });
      conversation.commitSend(seq);
      return seq;
    });
    // Always try at once, online or not: the root of the key answers "not online" if need be.
    this.flush(to, false);
    return { seq };
  }

  /** Hands queued messages to the overlay: all of them when the buddy just came online. */
  flush(peer: NodeId, everything: boolean): void {
    // Restored from a backup: our seqs may be used already; the buddy's answer renumbers, then sends.
    if (this.resync.isHeld(peer)) return this.resync.suspect(peer);
    for (const entry of this.deps.outbox.takeDue(peer, everything)) this.deps.ask(peer, entry.message);
  }

  /** What may go to a mailbox for an offline buddy: nothing while a restored conversation is unconfirmed. */
  sendable(peer: NodeId): readonly OutboxEntry[] {
    return this.resync.isHeld(peer) ? [] : this.deps.outbox.pending(peer);
  }

  /** Resends what went unacknowledged for resendMs to buddies that are online now. */
  flushOnline(): void {
    for (const peer of this.deps.outbox.peers()) if (this.deps.presence.isOnline(peer)) this.flush(peer, false);
  }

  /**
   * Resolves true when the chat is settled: shown now or before, or never acceptable (a forgery,
   * another conversation). False: it may be taken later (over the verify budget, beyond the
   * reorder window), so a mailbox holder should hand it over again. `mailed`: it comes from our
   * mailbox, so it says nothing about whether the sender is online now.
   */
  async receive(message: ChatMessage, answer?: (body: Receipt) => void, mailed = false): Promise<boolean> {
    const { deps } = this;
    const buddy = deps.buddies.get(message.from);
    if (buddy?.status !== 'accepted') return (deps.stats.count('chat from a non-buddy'), true);
    const epoch = this.epochOf(message.from, buddy);
    if (message.epoch !== epoch) return (deps.stats.count('chat rejected: other conversation'), true);
    const authentic = this.authentic(message, buddy);
    if (authentic !== 'ok') return authentic === 'rejected';
    const key = await deps.keyRing.keyFor(message.from, buddy.publicKey);
    const result = await deps.conversations.with(message.from, epoch, async (conversation) => {
      // An authentic duplicate is acknowledged again without decrypting: its receipt may have been lost.
      // A resent chat still waiting in the buffer: the gap before it is not filling, we may be behind.
      if (conversation.isBuffered(message.seq)) this.resync.suspect(message.from);
      if (conversation.isDuplicate(message.seq)) return { ack: conversation.cumulativeAck, ready: [], news: false, settled: true };
      const opened = await decryptChat(key, message);
      if (!opened.ok) {
        deps.stats.count(`chat rejected: ${opened.reason}`);
        return undefined;
      }
      const outcome = conversation.receive(message.seq, opened.plaintext);
      if (outcome.kind !== 'accepted') return { ack: conversation.cumulativeAck, ready: [], news: false, settled: outcome.kind === 'duplicate' };
      for (const { seq, item } of outcome.ready) {
        await deps.storage.putHistory({ peer: message.from, direction: 'in', seq, text: item.text, sentAt: item.sentAt });
      }
      return { ack: conversation.cumulativeAck, ready: outcome.ready, news: true, settled: true };
    });
    if (!result) return true;
    if (result.news && !mailed) deps.presence.heardFrom(message.from);
    for (const { seq, item } of result.ready) deps.shown({ from: message.from, seq, text: item.text, sentAt: item.sentAt });
    const ack = receipt(deps.identity, message.from, epoch, result.ack);
    if (answer) answer(ack);
    else deps.tell(message.from, ack);
    return result.settled;
  }

  /** Resolves true when the receipt is settled (taken, stale or never acceptable); false: over the verify budget. */
  async receipt(message: Receipt, mailed = false): Promise<boolean> {
    const { deps } = this;
    const buddy = deps.buddies.get(message.from);
    if (buddy?.status !== 'accepted') return (deps.stats.count('receipt from a non-buddy'), true);
    const epoch = this.epochOf(message.from, buddy);
    if (message.epoch !== epoch) return (deps.stats.count('receipt rejected: other conversation'), true);
    if (!deps.budget.take(message.from)) return (deps.stats.count('im.receipt over verify budget'), false);
    if (!receiptIsAuthentic(message, deps.identity.id, buddy.publicKey)) return (deps.stats.count('receipt rejected'), true);
    const outcome = await deps.conversations.with(message.from, epoch, (c) => (c.acknowledge(message.ack) ? 'news' : c.needsResync(message.ack) ? 'ahead' : 'old'));
    // It acknowledges seqs we never sent (a copy of us from a newer backup used them), or we are
    // restored and cannot tell. Maybe a replay: it only makes us ask.
    if (outcome === 'ahead') this.resync.suspect(message.from);
    if (outcome !== 'news') return true;
    if (!mailed) deps.presence.heardFrom(message.from);
    await deps.outbox.acknowledge(message.from, message.ack);
    deps.acknowledged(message.from, message.ack);
    return true;
  }

  async history(peer: NodeId): Promise<HistoryItem[]> {
    const acked = await this.deps.conversations.with(peer, this.epochOf(peer, this.deps.buddies.get(peer)), (c) => c.peerAcked);
    const entries = await this.deps.storage.listHistory(peer);
    return entries.map(({ peer: _, ...entry }) => ({ ...entry, delivered: entry.direction === 'in' || entry.seq <= acked }));
  }

  /**
   * The buddy started the relationship anew (a new epoch): the old conversation is over, as after
   * a remove. What it never acknowledged could not be taken in the new one.
   */
  async restart(peer: NodeId): Promise<void> {
    await this.deps.outbox.clear(peer);
    await this.deps.conversations.drop(peer);
    await this.deps.storage.deleteHistory(peer);
  }

  /** The buddy is gone (removed, declined, blocked): its conversation, outbox and history too. */
  async forget(peer: NodeId): Promise<void> {
    await this.restart(peer);
    this.deps.keyRing.forget(peer);
    this.deps.presence.forget(peer);
    this.deps.budget.forget(peer);
    this.resync.forget(peer);
  }

  private epochOf(peer: NodeId, buddy: BuddyRecord | undefined): string {
    return conversationEpoch(this.deps.identity.id, peer, buddy ?? {});
  }

  /**
   * The chat's signature, checked within the verify budget; a copy of a chat already checked (a
   * resend: sealed once, sent byte for byte) needs no second check.
   */
  private authentic(message: ChatMessage, buddy: BuddyRecord): 'ok' | 'over budget' | 'rejected' {
    const { deps } = this;
    const digest = bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(message))));
    if (this.verified.has(digest)) return 'ok';
    if (!deps.budget.take(message.from)) {
      deps.stats.count('im.chat over verify budget');
      return 'over budget';
    }
    const checked = checkChat(deps.identity.id, buddy.publicKey, message);
    if (checked !== 'ok') {
      deps.stats.count(`chat rejected: ${checked}`);
      return 'rejected';
    }
    this.verified.add(digest);
    if (this.verified.size > VERIFIED_MEMORY) this.verified.delete(this.verified.values().next().value as string);
    return 'ok';
  }
}
