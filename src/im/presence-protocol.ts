// The presence messages between buddies (presence.ts keeps what they tell us, as soft state): we
// say "online" when we start and to a buddy just accepted, "alive" to keep its view of us fresh and
// in answer to its presence, "offline" on a graceful stop. Every presence is signed and carries our
// session and a growing tick, so a replayed one is told apart from news.

import type { NodeId } from '../overlay/id.js';
import type { BuddyBook } from './buddies.js';
import type { Courier } from './courier.js';
import type { Identity } from './crypto.js';
import { presence, presenceIsAuthentic } from './messages.js';
import type { PresenceTable } from './presence.js';
import type { ImStats } from './stats.js';
import type { Presence, PresenceState } from './wire.js';

export interface PresenceProtocolDeps {
  identity: Identity;
  /** Random per start of the messenger: a buddy sees a new session as a restart. */
  session: string;
  table: PresenceTable;
  buddies: BuddyBook;
  courier: Courier;
  stats: ImStats;
  running(): boolean;
  /** A buddy restarted while we still saw it online: what it has not acknowledged goes again. */
  restarted(uid: NodeId): void;
}

export class PresenceProtocol {
  private tick = 0;

  constructor(private readonly deps: PresenceProtocolDeps) {}

  /** Tells `to` we are here; its answer (an "alive") is handled like any presence. */
  announce(to: NodeId, state: 'online' | 'alive'): void {
    this.deps.courier.ask(to, this.message(to, state));
  }

  /** Graceful stop: every buddy we see online hears "offline" (no answer awaited). */
  sayGoodbye(): void {
    for (const uid of this.deps.table.online()) this.deps.courier.tell(uid, this.message(uid, 'offline'));
  }

  /** Keep-alives due (the messenger's tick). */
  keepAlive(): void {
    for (const uid of this.deps.table.needKeepAlive()) this.announce(uid, 'alive');
  }

  /** "online" again to buddies we believe offline: they may have missed it (lost, or both started at once). */
  probeOffline(): void {
    const { table, buddies } = this.deps;
    for (const uid of buddies.accepted()) if (!table.isOnline(uid)) this.announce(uid, 'online');
  }

  receive(message: Presence, answer?: (body: unknown) => void): void {
    const { buddies, table, stats } = this.deps;
    const buddy = buddies.get(message.from);
    if (buddy?.status !== 'accepted') return stats.count('presence from a non-buddy');
    if (!presenceIsAuthentic(message, this.deps.identity.id, buddy.publicKey)) return stats.count('presence rejected');
    const wasOnline = table.isOnline(message.from);
    if (!table.presence(message.from, message.state, message.session, message.tick)) return stats.count('presence replayed');
    if (message.state !== 'offline' && answer && this.deps.running()) answer(this.message(message.from, 'alive'));
    if (message.state === 'online' && wasOnline) this.deps.restarted(message.from);
  }

  private message(to: NodeId, state: PresenceState): Presence {
    return presence(this.deps.identity, to, state, this.deps.session, ++this.tick);
  }
}
