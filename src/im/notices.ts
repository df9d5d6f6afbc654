// Buddy notices (request, accept, decline, remove): sending ours until the peer took them, and
// taking theirs. Notices come from strangers too (requests), so only the messenger-wide signature
// budget bounds them, and a self-certifying key (it must hash to `from`) says who asks.

import type { Clock } from '../overlay/environment.js';
import type { BuddyBook } from './buddies.js';
import type { ChatService } from './chat.js';
import type { Courier } from './courier.js';
import type { Identity } from './crypto.js';
import { NO_EPOCH_NONCE } from './epoch.js';
import { buddyNotice, noticeIsAuthentic } from './messages.js';
import type { MessengerEvents } from './messenger-types.js';
import type { ImStats } from './stats.js';
import type { BuddyRecord } from './storage.js';
import type { VerifyBudget } from './verify-budget.js';
import type { BuddyNotice } from './wire.js';

export interface NoticeDependencies {
  identity: Identity;
  clock: Clock;
  buddies: BuddyBook;
  chat: ChatService;
  courier: Courier;
  stats: ImStats;
  budget: VerifyBudget;
  running(): boolean;
  /** Our display name, as the notice carries it. */
  name(): string;
  /** The peer's relationship changed (the messenger tells the UI, says hello...). */
  changed(record: BuddyRecord): void;
  /** Tells the UI about a request, or that the list changed without a record to show. */
  emit<K extends 'request' | 'buddies'>(event: K, payload: MessengerEvents[K]): void;
  listed(): MessengerEvents['buddies'];
  /** Async work the messenger must wait for in whenIdle. */
  track(work: Promise<unknown>): void;
  /** The buddy's conversation is over (declined, removed) or restarted: the messenger drops its state. */
  forget(peer: BuddyRecord['uid']): Promise<void>;
}

export class BuddyNotices {
  private lastNoticeAt = 0;

  constructor(private readonly deps: NoticeDependencies) {}

  send(record: BuddyRecord): void {
    const { deps } = this;
    const kind = record.pendingNotice;
    if (!kind || !deps.running()) return;
    // Wall-clock based and strictly growing: the peer takes a notice not newer than the last as a replay.
    this.lastNoticeAt = Math.max(Math.floor(deps.clock.now()), this.lastNoticeAt + 1);
    // A decline or remove of a relationship from before epochs has no nonce of ours: none is needed.
    const epoch = record.epoch ?? NO_EPOCH_NONCE;
    const notice = buddyNotice(deps.identity, kind, record.uid, deps.name(), epoch, this.lastNoticeAt);
    deps.courier.ask(record.uid, notice, (answer) => {
      if (answer.t !== 'im.noticeTaken') return deps.stats.count(`unexpected answer ${answer.t}`);
      deps.track(deps.buddies.noticeDelivered(record.uid, kind).catch(() => deps.stats.count('failed storing notice')));
    });
  }

  async receive(notice: BuddyNotice, answer?: (body: unknown) => void): Promise<void> {
    const { deps } = this;
    if (!deps.budget.take(undefined)) return deps.stats.count('im.buddy over verify budget');
    if (!noticeIsAuthentic(notice, deps.identity.id)) return deps.stats.count('buddy notice rejected');
    const effect = await deps.buddies.receive(notice, deps.clock.now());
    // Not taken: the stranger retries later, by when we may have answered others.
    if (effect === 'too many requests') return deps.stats.count('buddy request refused: too many waiting');
    answer?.({ t: 'im.noticeTaken' });
    if (effect === 'none') {
      // E.g. a buddy who lost their list asks again: we owe them our accept again.
      const record = deps.buddies.get(notice.from);
      if (record?.pendingNotice) this.send(record);
      return;
    }
    if (effect === 'declined' || effect === 'removed') await deps.forget(notice.from);
    if (effect === 'restarted') await deps.chat.restart(notice.from);
    if (effect === 'request') deps.emit('request', { from: notice.from, name: notice.name, publicKey: notice.publicKey });
    const record = deps.buddies.get(notice.from);
    if (record) deps.changed(record);
    else deps.emit('buddies', deps.listed());
  }
}
