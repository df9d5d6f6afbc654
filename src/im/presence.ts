// Buddy presence as soft state: a buddy is online while we keep hearing from it. What counts is
// signed news from it: a presence that echoes our current session (presence-protocol.ts), a chat
// not shown before, a receipt that acknowledges more. A graceful leave says "offline" at once; a
// failed tab simply goes quiet and is shown offline after presenceTimeoutMs (checked every
// presenceCheckMs, so within presenceTimeoutMs + presenceCheckMs of its last word). An unsigned
// "not online" from the root of its uid is only a hint: it brings the next keep-alive forward.

import type { Clock } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { ImConfig } from './config.js';

interface BuddyPresence {
  online: boolean;
  lastHeard: number;
  /** Newest (session, tick) seen: an older tick of the same session is a replay. */
  session?: string;
  tick: number;
  /**
   * Sessions of the buddy we heard before its current one (while ours lasts; the newest
   * PAST_SESSIONS): a presence of one of them, however fresh its echo, is a replay.
   */
  past: string[];
  /** When a "not online" hint last brought a keep-alive forward. */
  hintedAt: number;
}

/** Earlier sessions of a buddy remembered per buddy: it would have to restart this often during ours to get one replayed. */
export const PAST_SESSIONS = 32;

/** What a fresh presence (one echoing our session) told us. */
export type PresenceNews = 'replay' | 'news' | 'new session';

export type PresenceChange = (uid: NodeId, online: boolean) => void;

export class PresenceTable {
  private readonly buddies = new Map<NodeId, BuddyPresence>();

  constructor(
    private readonly clock: Clock,
    private readonly config: Pick<ImConfig, 'presenceTimeoutMs' | 'keepAliveMs'>,
    private readonly onChange: PresenceChange,
  ) {}

  isOnline(uid: NodeId): boolean {
    return this.buddies.get(uid)?.online ?? false;
  }

  online(): NodeId[] {
    return [...this.buddies].filter(([, p]) => p.online).map(([uid]) => uid);
  }

  /**
   * A signed presence message signed during our current session (the caller checked its echo).
   * 'replay' (ignored): an old tick of the buddy's current session, or any of an earlier one;
   * 'new session': the first word of a session of the buddy.
   */
  presence(uid: NodeId, state: 'online' | 'alive' | 'offline', session: string, tick: number): PresenceNews {
    const entry = this.entry(uid);
    if (entry.session === session && tick <= entry.tick) return 'replay';
    if (entry.past.includes(session)) return 'replay';
    const news = entry.session === session ? 'news' : 'new session';
    if (news === 'new session' && entry.session !== undefined) {
      entry.past.push(entry.session);
      if (entry.past.length > PAST_SESSIONS) entry.past.shift();
    }
    entry.session = session;
    entry.tick = tick;
    if (state === 'offline') this.set(uid, entry, false);
    else this.heardFrom(uid);
    return news;
  }

  /** The buddy's session as we last heard it in a fresh presence (what our presences echo). */
  sessionOf(uid: NodeId): string | undefined {
    return this.buddies.get(uid)?.session;
  }

  /** Any other authenticated traffic from the buddy proves it is up. */
  heardFrom(uid: NodeId): void {
    const entry = this.entry(uid);
    entry.lastHeard = this.clock.now();
    this.set(uid, entry, true);
  }

  /**
   * Some node answered "not online" for the buddy's uid. Unsigned, so anyone on the way may say
   * it: the buddy stays as it is, but an online one is asked now (true) rather than at its next
   * keep-alive, at most once per keepAliveMs. If it is gone, that ask goes unanswered too and the
   * timeout takes it offline as for any silent buddy.
   */
  notOnlineHint(uid: NodeId): boolean {
    const entry = this.buddies.get(uid);
    const now = this.clock.now();
    if (!entry?.online || now - entry.hintedAt < this.config.keepAliveMs) return false;
    entry.hintedAt = now;
    return true;
  }

  /** Online buddies silent for keepAliveMs: time to ask them (their answer refreshes both sides). */
  needKeepAlive(): NodeId[] {
    const now = this.clock.now();
    return [...this.buddies]
      .filter(([, p]) => p.online && now - p.lastHeard >= this.config.keepAliveMs)
      .map(([uid]) => uid);
  }

  /** Marks buddies silent for presenceTimeoutMs offline. */
  expire(): void {
    const now = this.clock.now();
    for (const [uid, entry] of this.buddies) {
      if (entry.online && now - entry.lastHeard >= this.config.presenceTimeoutMs) this.set(uid, entry, false);
    }
  }

  forget(uid: NodeId): void {
    this.buddies.delete(uid);
  }

  /** We are leaving: everyone is offline from our point of view, without events. */
  clear(): void {
    // The sessions heard stay: our own session does not change if we start again, so a presence
    // of a buddy's earlier session must still be told from news.
    for (const entry of this.buddies.values()) {
      entry.online = false;
      entry.lastHeard = -Infinity;
    }
  }

  private entry(uid: NodeId): BuddyPresence {
    let entry = this.buddies.get(uid);
    if (!entry) {
      entry = { online: false, lastHeard: -Infinity, tick: -1, past: [], hintedAt: -Infinity };
      this.buddies.set(uid, entry);
    }
    return entry;
  }

  private set(uid: NodeId, entry: BuddyPresence, online: boolean): void {
    if (entry.online === online) return;
    entry.online = online;
    this.onChange(uid, online);
  }
}
