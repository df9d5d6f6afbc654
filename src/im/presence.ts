// Buddy presence as soft state: a buddy is online while we keep hearing from it. Anything signed
// from a buddy counts (presence, chat, receipt); a graceful leave says "offline" at once; a failed
// tab simply goes quiet and is shown offline after presenceTimeoutMs (checked every
// presenceCheckMs, so within presenceTimeoutMs + presenceCheckMs of its last word).

import type { Clock } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { ImConfig } from './config.js';

interface BuddyPresence {
  online: boolean;
  lastHeard: number;
  /** Newest (session, tick) seen: an older tick of the same session is a replay. */
  session?: string;
  tick: number;
}

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
   * A signed presence message. Returns false (ignored) for a replay: an old tick of a session we
   * already heard newer from.
   */
  presence(uid: NodeId, state: 'online' | 'alive' | 'offline', session: string, tick: number): boolean {
    const entry = this.entry(uid);
    if (entry.session === session && tick <= entry.tick) return false;
    entry.session = session;
    entry.tick = tick;
    if (state === 'offline') this.set(uid, entry, false);
    else this.heardFrom(uid);
    return true;
  }

  /** Any other authenticated traffic from the buddy proves it is up. */
  heardFrom(uid: NodeId): void {
    const entry = this.entry(uid);
    entry.lastHeard = this.clock.now();
    this.set(uid, entry, true);
  }

  /** The root of the buddy's uid answered "not online". */
  notOnline(uid: NodeId): void {
    const entry = this.buddies.get(uid);
    if (entry) this.set(uid, entry, false);
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
    this.buddies.clear();
  }

  private entry(uid: NodeId): BuddyPresence {
    let entry = this.buddies.get(uid);
    if (!entry) {
      entry = { online: false, lastHeard: -Infinity, tick: -1 };
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
