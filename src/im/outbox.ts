// Messages that left the user's hands but not yet reached the buddy's screen. They stay in storage
// until a receipt covers them, so a reload of the sender loses nothing; they are resent when the
// buddy comes online and, while it stays online, whenever a copy went unacknowledged for resendMs.

import type { Clock } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { ImStorage, OutboxEntry } from './storage.js';

export class Outbox {
  private readonly byPeer = new Map<NodeId, OutboxEntry[]>();
  /** When each (peer, seq) was last handed to the overlay; memory only (a reload resends at once). */
  private readonly lastSent = new Map<string, number>();

  constructor(
    private readonly storage: ImStorage,
    private readonly clock: Clock,
    private readonly resendMs: number,
  ) {}

  /** Reads the stored outbox; returns it so the conversations can skip seqs already used. */
  async load(): Promise<OutboxEntry[]> {
    const entries = await this.storage.listOutbox();
    for (const entry of entries) this.insert(entry);
    return entries;
  }

  /** Persists first: once this resolves the message survives a reload. */
  async add(entry: OutboxEntry): Promise<void> {
    await this.storage.putOutbox(entry);
    this.insert(entry);
  }

  /** A cumulative receipt: drops every entry up to `ack`; returns the seqs dropped. */
  async acknowledge(peer: NodeId, ack: number): Promise<number[]> {
    const entries = this.byPeer.get(peer) ?? [];
    const done = entries.filter((e) => e.seq <= ack);
    if (done.length === 0) return [];
    this.setPeer(peer, entries.filter((e) => e.seq > ack));
    for (const entry of done) {
      this.lastSent.delete(slot(peer, entry.seq));
      await this.storage.deleteOutbox(peer, entry.seq);
    }
    return done.map((e) => e.seq);
  }

  pending(peer: NodeId): readonly OutboxEntry[] {
    return this.byPeer.get(peer) ?? [];
  }

  peers(): NodeId[] {
    return [...this.byPeer.keys()];
  }

  /**
   * Entries to (re)send now, in seq order: all of them when `everything` (the buddy just came
   * online), else those not sent within resendMs. Marks them sent.
   */
  takeDue(peer: NodeId, everything: boolean): OutboxEntry[] {
    const now = this.clock.now();
    const due = this.pending(peer).filter((entry) => {
      const last = this.lastSent.get(slot(peer, entry.seq));
      return everything || last === undefined || now - last >= this.resendMs;
    });
    for (const entry of due) this.lastSent.set(slot(peer, entry.seq), now);
    return due;
  }

  /** Drops one entry that can never be delivered (a conversation that is over). */
  async discard(peer: NodeId, seq: number): Promise<void> {
    this.setPeer(peer, this.pending(peer).filter((e) => e.seq !== seq));
    this.lastSent.delete(slot(peer, seq));
    await this.storage.deleteOutbox(peer, seq);
  }

  /** Forget everything queued for `peer` (buddy removed or blocked). */
  async clear(peer: NodeId): Promise<void> {
    const entries = this.pending(peer);
    this.byPeer.delete(peer);
    for (const entry of entries) {
      this.lastSent.delete(slot(peer, entry.seq));
      await this.storage.deleteOutbox(peer, entry.seq);
    }
  }

  private insert(entry: OutboxEntry): void {
    const entries = this.pending(entry.peer).filter((e) => e.seq !== entry.seq);
    entries.push(entry);
    this.setPeer(entry.peer, entries.sort((a, b) => a.seq - b.seq));
  }

  private setPeer(peer: NodeId, entries: OutboxEntry[]): void {
    if (entries.length === 0) this.byPeer.delete(peer);
    else this.byPeer.set(peer, entries);
  }
}

const slot = (peer: NodeId, seq: number) => `${peer}/${seq}`;
