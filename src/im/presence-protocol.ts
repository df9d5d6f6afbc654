// The presence messages between buddies (presence.ts keeps what they tell us, as soft state): we
// say "online" when we start, to a buddy just accepted, and to prove ourselves to a buddy whose
// word we could not take yet; "alive" to keep its view of us fresh and in answer to its presence;
// "offline" on a graceful stop.
//
// Replays. Every presence is signed and carries the sender's session (random per start), a tick
// growing within it, and an echo: the recipient's session as the sender last heard it. Our session
// is new at every start, so a presence echoing it was signed by the buddy since we started: only
// such a presence changes anything, and within it the tick orders (session, tick) pairs. Any other
// presence (the buddy's first word after either side started, or a replay from any earlier
// session, before or after a reload) is answered with an "online" echoing ITS session and changes
// nothing; the buddy takes that answer as news and tells us "alive", echoing ours. A replayer
// gains one signed answer useless to it (it echoes a session the buddy no longer has), within
// the verify budget. Start-up costs one more message than an unbound presence did: a buddy is
// seen online one round trip later.

import type { NodeId } from '../overlay/id.js';
import type { BuddyBook } from './buddies.js';
import type { Courier } from './courier.js';
import type { Identity } from './crypto.js';
import { NO_SESSION, presence, presenceIsAuthentic } from './messages.js';
import type { PresenceTable } from './presence.js';
import type { ImStats } from './stats.js';
import type { VerifyBudget } from './verify-budget.js';
import type { Presence, PresenceState } from './wire.js';

export interface PresenceProtocolDeps {
  identity: Identity;
  /** Random per start of the messenger: a buddy sees a new session as a restart. */
  session: string;
  table: PresenceTable;
  buddies: BuddyBook;
  courier: Courier;
  stats: ImStats;
  budget: VerifyBudget;
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

  /** A "not online" for `uid` (unsigned: a hint): an online buddy is asked now instead of at its next keep-alive. */
  notOnline(uid: NodeId): void {
    if (this.deps.buddies.get(uid)?.status !== 'accepted') return;
    if (this.deps.running() && this.deps.table.notOnlineHint(uid)) this.announce(uid, 'alive');
  }

  receive(message: Presence, answer?: (body: unknown) => void): void {
    const { buddies, table, stats, budget } = this.deps;
    const buddy = buddies.get(message.from);
    if (buddy?.status !== 'accepted') return stats.count('presence from a non-buddy');
    if (!budget.take(message.from)) return stats.count('im.presence over verify budget');
    if (!presenceIsAuthentic(message, this.deps.identity.id, buddy.publicKey)) return stats.count('presence rejected');
    if (message.echo !== this.deps.session) {
      stats.count('presence unproven');
      // Answered only as a request's reply: an unproven presence never makes us send on our own.
      if (message.state !== 'offline' && answer && this.deps.running()) answer(this.message(message.from, 'online', message.session));
      return;
    }
    const wasOnline = table.isOnline(message.from);
    const news = table.presence(message.from, message.state, message.session, message.tick);
    if (news === 'replay') return stats.count('presence replayed');
    if (message.state === 'offline' || !this.deps.running()) return;
    if (answer) answer(this.message(message.from, 'alive'));
    // Their "online" answered an unproven word of ours: they could not take it, so we prove ourselves now.
    else if (message.state === 'online') this.deps.courier.tell(message.from, this.message(message.from, 'alive'));
    if (news === 'new session' && wasOnline) this.deps.restarted(message.from);
  }

  private message(to: NodeId, state: PresenceState, echo = this.deps.table.sessionOf(to) ?? NO_SESSION): Presence {
    return presence(this.deps.identity, to, state, this.deps.session, ++this.tick, echo);
  }
}
