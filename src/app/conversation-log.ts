// The conversations the adapter shows: every message of this tab's sessions merged with the stored
// history, and each outgoing message's status. An outgoing message is 'delivered' once the buddy's
// cumulative receipt covers its seq; until then 'sent' while the buddy is online (the outbox hands
// it to the overlay and resends it), 'queued' while it is not; 'failed' when it could not be sent.

import type { HistoryItem } from '../im/chat.js';
import type { ChatMessage, MessageStatus, Uid } from '../ui/messenger-port.js';

export interface Entry {
  readonly id: string;
  readonly peer: Uid;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly at: number;
  /** Outgoing: known once the messenger has stored it in the outbox. */
  seq?: number;
  /** Why it could not be sent, for the user (who may retry). */
  failed?: string;
}

export class ConversationLog {
  private readonly conversations = new Map<Uid, Entry[]>();
  /** Highest outgoing seq each buddy acknowledged. */
  private readonly acked = new Map<Uid, number>();

  constructor(private readonly isOnline: (peer: Uid) => boolean) {}

  has(peer: Uid): boolean {
    return this.conversations.has(peer);
  }

  /** Oldest first; the live array (the adapter appends what is sent and received). */
  entries(peer: Uid): Entry[] {
    let entries = this.conversations.get(peer);
    if (!entries) this.conversations.set(peer, (entries = []));
    return entries;
  }

  /** Stored history, merged with what this tab already shows (ids stay stable across sessions). */
  load(peer: Uid, history: readonly HistoryItem[]): void {
    const entries = this.entries(peer);
    let acked = this.acked.get(peer) ?? 0;
    for (const item of history) {
      if (item.direction === 'out' && item.delivered) acked = Math.max(acked, item.seq);
      if (entries.some((e) => e.direction === item.direction && e.seq === item.seq)) continue;
      // A message this tab sent whose send() has not answered yet is already stored with its seq:
      // that entry is this item (the same text, oldest first), not a second bubble.
      const pending = item.direction === 'out' && entries.find((e) => e.direction === 'out' && e.seq === undefined && e.failed === undefined && e.text === item.text);
      if (pending) {
        pending.seq = item.seq;
        continue;
      }
      entries.push({ id: `${peer}/${item.direction}/${item.seq}`, peer, direction: item.direction, text: item.text, at: item.sentAt, seq: item.seq });
    }
    entries.sort((a, b) => a.at - b.at);
    this.acked.set(peer, acked);
  }

  /** The buddy has everything up to `seq`: answers the outgoing entries that became delivered. */
  acknowledge(peer: Uid, seq: number): Entry[] {
    const before = this.acked.get(peer) ?? 0;
    if (seq <= before) return [];
    this.acked.set(peer, seq);
    return this.entries(peer).filter((e) => e.direction === 'out' && e.seq !== undefined && e.seq > before && e.seq <= seq);
  }

  /**
   * Our queued messages to `peer` went under new seqs ([old, new] pairs, all at once: a new seq may
   * be another entry's old one). Answers the entries that moved; their ids stay.
   */
  renumber(peer: Uid, seqs: readonly (readonly [number, number])[]): Entry[] {
    const next = new Map(seqs);
    const moved = this.entries(peer).filter((e) => e.direction === 'out' && e.seq !== undefined && next.has(e.seq));
    for (const entry of moved) entry.seq = next.get(entry.seq!);
    return moved;
  }

  forget(peer: Uid): void {
    this.conversations.delete(peer);
    this.acked.delete(peer);
  }

  status(entry: Entry): MessageStatus {
    if (entry.direction === 'in') return 'delivered';
    if (entry.failed !== undefined) return 'failed';
    if (entry.seq !== undefined && entry.seq <= (this.acked.get(entry.peer) ?? 0)) return 'delivered';
    return this.isOnline(entry.peer) ? 'sent' : 'queued';
  }

  toMessage(entry: Entry): ChatMessage {
    const message = { id: entry.id, peer: entry.peer, direction: entry.direction, text: entry.text, at: entry.at, status: this.status(entry) };
    return entry.failed === undefined ? message : { ...message, error: entry.failed };
  }
}
