// Catching up after a restore from a backup older than the last messages (issue 15). The restored
// node's counters are behind the buddy's in two ways: its next seq was already used by the old
// browser (the buddy takes new messages for copies: acknowledges, never shows), and it has shown
// fewer of the buddy's messages than the old browser acknowledged (the buddy never resends those,
// so the reorder buffer waits for a gap forever).
//
// A restore marks every conversation it writes (ConversationCounters.fromBackup): such a
// conversation sends nothing (not even to a mailbox) until the buddy has told us where it stands,
// so what the buddy reports having shown is exactly what the old browser sent, never ours.
// Otherwise (counters behind for another reason) it shows as a sign: an authentic receipt acknowledging a seq we never sent, or the buddy
// resending a chat we already hold in the buffer (the gap before it persists). A sign proves
// nothing about now (it may be a replay), so it only makes us ask: a signed request with a fresh
// challenge, answered with the buddy's signed counters echoing it. Only that answer moves anything:
// - the buddy has shown our seqs up to `shown` >= our next seq: what our outbox holds was taken as
//   copies, so it is sealed again with seqs after `shown` and sent again;
// - the buddy holds its seqs up to `settled` acknowledged: we take them as shown (the old browser
//   showed them; they are not in our history) and show what waits in the buffer after them.
// A hostile buddy holds the epoch key and can answer anything: the answer is for its conversation
// only, a jump over MAX_SEQ_JUMP is refused, the work is bounded by our outbox and reorder buffer
// (never by the size of a jump), and we ask at most once per RESYNC_INTERVAL_MS per buddy.

import type { NodeId } from '../overlay/id.js';
import { bytesToHex, decryptChat, sealChat, type ChatPlaintext } from './crypto.js';
import type { Conversation } from './conversation.js';
import { chatMessage, receipt, resyncIsAuthentic, resyncRequest, resyncState } from './messages.js';
import type { ChatDependencies } from './chat.js';
import { conversationEpoch } from './epoch.js';
import { freshCounters, type BuddyRecord, type ImStorage } from './storage.js';
import type { ResyncRequest, ResyncState } from './wire.js';

/** Largest jump of a counter one answer may cause (more than anyone types in one browser). */
export const MAX_SEQ_JUMP = 1_000_000;
/** Least time between two requests to one buddy. */
const RESYNC_INTERVAL_MS = 2_000;

type ResyncDependencies = Pick<ChatDependencies,
  'identity' | 'storage' | 'clock' | 'random' | 'keyRing' | 'buddies' | 'outbox' | 'conversations' | 'stats' | 'budget' | 'ask' | 'tell' | 'shown' | 'renumbered'>;

export class Resync {
  /** The challenge of our open request per buddy, and when we asked. */
  private readonly asked = new Map<NodeId, { challenge: string; at: number }>();
  /** Buddies whose conversation came from a backup and is not confirmed yet: nothing is sent to them. */
  private readonly held = new Set<NodeId>();

  constructor(
    private readonly deps: ResyncDependencies,
    private readonly epochOf: (peer: NodeId, buddy: BuddyRecord | undefined) => string,
    /** Hands what the outbox holds for `peer` to the overlay. */
    private readonly flush: (peer: NodeId) => void,
  ) {}

  /** Called on load for a conversation restored from a backup. */
  hold(peer: NodeId): void {
    this.held.add(peer);
  }

  isHeld(peer: NodeId): boolean {
    return this.held.has(peer);
  }

  /** A sign that our counters with `peer` are behind: ask where it stands (rate-limited). */
  suspect(peer: NodeId): void {
    const { deps } = this;
    const buddy = deps.buddies.get(peer);
    if (buddy?.status !== 'accepted') return;
    const open = this.asked.get(peer);
    if (open && deps.clock.now() - open.at < RESYNC_INTERVAL_MS) return;
    const challenge = bytesToHex(deps.random.bytes(16));
    this.asked.set(peer, { challenge, at: deps.clock.now() });
    deps.stats.count('resync asked');
    deps.ask(peer, resyncRequest(deps.identity, peer, this.epochOf(peer, buddy), challenge));
  }

  /** The buddy asks where we stand: our counters, signed, echoing its challenge. */
  async request(message: ResyncRequest, answer?: (body: ResyncState) => void): Promise<void> {
    const { deps } = this;
    const buddy = this.checked(message);
    if (!buddy) return;
    const epoch = message.epoch;
    const state = await deps.conversations.with(message.from, epoch, (c) => ({ shown: c.cumulativeAck, settled: c.peerAcked }));
    const body = resyncState(deps.identity, message, state.shown, state.settled);
    if (answer) answer(body);
    else deps.tell(message.from, body);
  }

  /** The answer to our request: catch up in both directions. */
  async state(message: ResyncState): Promise<void> {
    const { deps } = this;
    const open = this.asked.get(message.from);
    if (open?.challenge !== message.challenge) return deps.stats.count('resync state unasked');
    const buddy = this.checked(message);
    if (!buddy) return;
    this.asked.delete(message.from);
    const peer = message.from;
    const key = await deps.keyRing.keyFor(peer, buddy.publicKey);
    const result = await deps.conversations.with(peer, message.epoch, async (c) => {
      const before = c.cumulativeAck;
      const ready = this.withinJump(message.settled - before) ? c.skipShownTo(message.settled) : [];
      for (const { seq, item } of ready) await deps.storage.putHistory({ peer, direction: 'in', seq, text: item.text, sentAt: item.sentAt });
      const ahead = await this.catchUpSend(peer, message.epoch, key, c, message.shown);
      c.confirm();
      return { skipped: c.cumulativeAck > before, ready, ahead, ack: c.cumulativeAck };
    });
    const wasHeld = this.held.delete(peer);
    if (result.skipped) {
      deps.stats.count('resync skipped shown messages');
      for (const { seq, item } of result.ready) deps.shown({ from: peer, seq, text: item.text, sentAt: item.sentAt });
      deps.tell(peer, receipt(deps.identity, peer, message.epoch, result.ack));
    }
    if (result.ahead) deps.stats.count('resync moved send seq');
    if (result.ahead || wasHeld) this.flush(peer);
  }

  forget(peer: NodeId): void {
    this.asked.delete(peer);
    this.held.delete(peer);
  }

  /** A request or answer we may act on: from a buddy, in its conversation, signed (within the verify budget). */
  private checked(message: ResyncRequest | ResyncState): BuddyRecord | undefined {
    const { deps } = this;
    const buddy = deps.buddies.get(message.from);
    if (buddy?.status !== 'accepted') return (deps.stats.count('resync from a non-buddy'), undefined);
    if (message.epoch !== this.epochOf(message.from, buddy)) return (deps.stats.count('resync rejected: other conversation'), undefined);
    if (!deps.budget.take(message.from)) return (deps.stats.count(`${message.t} over verify budget`), undefined);
    if (!resyncIsAuthentic(message, deps.identity.id, buddy.publicKey)) return (deps.stats.count('resync rejected'), undefined);
    return buddy;
  }

  private withinJump(jump: number): boolean {
    if (jump <= MAX_SEQ_JUMP) return true;
    this.deps.stats.count('resync jump refused');
    return false;
  }

  /**
   * The buddy has shown our seqs up to `shown`. Restored and unconfirmed, nothing we queued since
   * the restore has left (held), so any of those seqs it has shown were the old browser's: they are
   * sealed again after `shown`; the backup's own queued entries are the very messages the old
   * browser sent, so those it has shown are done. Otherwise only a buddy ahead of everything we
   * ever sent makes us renumber (all we queued). True when our seqs moved on.
   */
  private async catchUpSend(peer: NodeId, epoch: string, key: CryptoKey, c: Conversation<ChatPlaintext>, shown: number): Promise<boolean> {
    const restoredFrom = c.restoredFrom;
    const from = restoredFrom ?? (c.isAhead(shown) ? 0 : undefined);
    if (from === undefined || !this.withinJump(shown - c.peekSendSeq())) return false;
    const moved = shown >= Math.max(from, 1);
    const next = moved ? await this.renumber(peer, epoch, key, from, shown) : c.peekSendSeq();
    c.rebaseSend(shown, next);
    await this.deps.outbox.acknowledge(peer, shown);
    return moved;
  }

  /**
   * Our queued messages from `from` on got seqs the buddy had shown already: each is sealed again
   * with the next seq after `shown`, in order (the new entry is stored before the old one goes,
   * so a crash loses nothing). Returns the seq after the last.
   */
  private async renumber(peer: NodeId, epoch: string, key: CryptoKey, from: number, shown: number): Promise<number> {
    const { deps } = this;
    let seq = shown + 1;
    const moved: [number, number][] = [];
    for (const entry of deps.outbox.pending(peer).filter((e) => e.seq >= from)) {
      const opened = await decryptChat(key, entry.message);
      if (opened.ok) {
        const { text, sentAt } = opened.plaintext;
        const sealed = await sealChat(deps.identity, key, peer, seq, opened.plaintext, deps.random, epoch);
        await deps.storage.putHistory({ peer, direction: 'out', seq, text, sentAt });
        await deps.outbox.add({ peer, seq, message: chatMessage(sealed), createdAt: entry.createdAt });
        moved.push([entry.seq, seq]);
        seq++;
      }
      await deps.outbox.discard(peer, entry.seq);
      await deps.storage.deleteHistoryEntry(peer, 'out', entry.seq);
    }
    // The UI shows these under their old seqs: it must follow, or a receipt marks the wrong ones.
    if (moved.length > 0) deps.renumbered(peer, moved);
    return seq;
  }
}

/**
 * After a restore wrote `storage`: every accepted buddy's conversation is marked as from a backup
 * (fresh counters in its epoch when the backup held none: the old browser may have chatted since).
 */
export async function markRestored(storage: ImStorage, localUid: NodeId): Promise<void> {
  for (const buddy of await storage.listBuddies()) {
    if (buddy.status !== 'accepted') continue;
    const epoch = conversationEpoch(localUid, buddy.uid, buddy);
    const stored = await storage.getCounters(buddy.uid);
    const counters = stored.epoch === epoch ? stored : freshCounters(epoch);
    await storage.putCounters(buddy.uid, { ...counters, fromBackup: counters.nextSendSeq });
  }
}
