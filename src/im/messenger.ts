// The Messenger: what the UI holds. It is the IM layer's OverlayApplication: everything it sends
// is routed to key = a buddy's uid, and a node accepts a message only when its own id EQUALS the
// key; the root of somebody else's uid answers "not online" instead (docs/DESIGN.md). An active chat
// goes over a direct link to the buddy instead, when one is open (direct-links.ts).

import type { OverlayApplication, OverlayEndpoint, RoutedMessage } from '../overlay/api.js';
import type { Clock, Random, TimerHandle } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import { BuddyBook, type ImportResult } from './buddies.js';
import { ChatService, type HistoryItem, type IncomingMessage } from './chat.js';
import { DEFAULT_IM_CONFIG, IM_APPLICATION, type ImConfig } from './config.js';
import { ConversationBook } from './conversation.js';
import { Courier } from './courier.js';
import { DirectLinks } from './direct-links.js';
import { bytesToHex, KeyRing, type ChatPlaintext, type Identity } from './crypto.js';
import { freshEpochNonce, NO_EPOCH_NONCE } from './epoch.js';
import { Emitter } from './events.js';
import { buddyNotice, notOnline, noticeIsAuthentic } from './messages.js';
import { Outbox } from './outbox.js';
import { PresenceTable } from './presence.js';
import { PresenceProtocol } from './presence-protocol.js';
import { ImStats } from './stats.js';
import type { BuddyRecord, ImStorage, Profile } from './storage.js';
import { VerifyBudget } from './verify-budget.js';
import { decodeImMessage, type BuddyNotice, type ImMessage } from './wire.js';

/** A profile found in the SCAN directory (records there are signed by their owner). */
export interface DirectoryEntry {
  uid: NodeId;
  name: string;
  publicKey: string;
}
export type BuddySearch = (query: string) => Promise<DirectoryEntry[]>;

/** The part of the Pastry node the messenger needs: registering an application. */
export interface OverlayHost {
  register(name: string, application: OverlayApplication): OverlayEndpoint;
}

export interface MessengerOptions {
  identity: Identity;
  storage: ImStorage;
  overlay: OverlayHost;
  clock: Clock;
  random: Random;
  /** SCAN directory search (src/scan); without it search() finds nobody. */
  search?: BuddySearch;
  config?: Partial<ImConfig>;
}

export interface Buddy {
  uid: NodeId;
  name: string;
  publicKey: string;
  status: 'outgoing' | 'incoming' | 'accepted' | 'blocked';
  online: boolean;
}

export interface MessengerEvents {
  /** A buddy's message, shown in order and exactly once. */
  message: IncomingMessage;
  presence: { uid: NodeId; online: boolean };
  /** Somebody asks to become our buddy (answer with acceptBuddy / declineBuddy). */
  request: { from: NodeId; name: string; publicKey: string };
  /** The buddy has every message we sent up to `seq`. */
  receipt: { to: NodeId; seq: number };
  state: 'online' | 'stopped';
  /** The buddy list changed (request answered, buddy removed...). */
  buddies: Buddy[];
}

export class Messenger {
  readonly uid: NodeId;
  readonly stats = new ImStats();
  private readonly events = new Emitter<MessengerEvents>();
  private readonly config: ImConfig;
  private readonly buddyBook: BuddyBook;
  private readonly presenceTable: PresenceTable;
  private readonly chat: ChatService;
  private readonly direct: DirectLinks;
  private readonly courier: Courier;
  private readonly presence: PresenceProtocol;
  private readonly budget: VerifyBudget;
  private profileRecord: Profile = { name: '', keywords: [] };
  private lastNoticeAt = 0;
  private lastProbeAt = -Infinity;
  private timer: TimerHandle | undefined;
  private running = false;
  /** Handlers still running (WebCrypto and storage are async; see whenIdle). */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Loads buddies, outbox and profile from storage, then registers with the overlay. */
  static async open(options: MessengerOptions): Promise<Messenger> {
    const messenger = new Messenger(options);
    await messenger.load();
    return messenger;
  }

  private constructor(private readonly options: MessengerOptions) {
    const { identity, storage, clock, random } = options;
    this.uid = identity.id;
    this.config = { ...DEFAULT_IM_CONFIG, ...options.config };
    this.buddyBook = new BuddyBook(storage, () => freshEpochNonce(random), this.config.maxIncomingRequests);
    this.budget = new VerifyBudget(clock, this.config);
    this.presenceTable = new PresenceTable(clock, this.config, (uid, online) => this.presenceChanged(uid, online));
    this.chat = new ChatService({
      identity, storage, clock, random,
      keyRing: new KeyRing(identity),
      buddies: this.buddyBook,
      outbox: new Outbox(storage, clock, this.config.resendMs),
      conversations: new ConversationBook<ChatPlaintext>(storage, this.config.reorderWindow),
      presence: this.presenceTable,
      stats: this.stats,
      budget: this.budget,
      ask: (peer, body) => this.courier.chat(peer, body, true),
      tell: (peer, body) => this.courier.chat(peer, body, false),
      shown: (message) => {
        this.direct.active(message.from);
        this.events.emit('message', message);
      },
      acknowledged: (to, seq) => this.events.emit('receipt', { to, seq }),
    });
    const endpoint = options.overlay.register(IM_APPLICATION, this.application());
    const eligible = (peer: NodeId) => this.running && this.buddyBook.get(peer)?.status === 'accepted' && this.presenceTable.isOnline(peer);
    this.direct = new DirectLinks(endpoint, clock, this.config, eligible, this.stats);
    this.courier = new Courier({
      endpoint,
      direct: this.direct,
      stats: this.stats,
      requestTimeoutMs: this.config.requestTimeoutMs,
      notOnline: (peer) => this.presence.notOnline(peer),
      answered: (answer) => this.handle(answer),
    });
    this.presence = new PresenceProtocol({
      identity, session: bytesToHex(random.bytes(8)), table: this.presenceTable, buddies: this.buddyBook,
      courier: this.courier, stats: this.stats, budget: this.budget,
      running: () => this.running,
      restarted: (uid) => this.chat.flush(uid, true),
    });
  }

  private async load(): Promise<void> {
    this.profileRecord = (await this.options.storage.getProfile()) ?? this.profileRecord;
    await this.buddyBook.load();
    await this.chat.load();
  }

  // ---- events (simple-peer style) -----------------------------------------------------------------

  on<K extends keyof MessengerEvents>(event: K, listener: (payload: MessengerEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  off<K extends keyof MessengerEvents>(event: K, listener: (payload: MessengerEvents[K]) => void): void {
    this.events.off(event, listener);
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  /** Call once the overlay node has joined: tells every buddy we are online and starts keep-alives. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const uid of this.buddyBook.accepted()) this.presence.announce(uid, 'online');
    for (const record of this.buddyBook.withPendingNotice()) this.sendNotice(record);
    this.lastProbeAt = this.options.clock.now();
    this.schedule();
    this.events.emit('state', 'online');
  }

  /** Graceful leave (pagehide): tells online buddies we are offline. Call before the node leaves. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== undefined) this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.direct.closeAll('stopped');
    this.presence.sayGoodbye();
    this.presenceTable.clear();
    this.events.emit('state', 'stopped');
  }

  // ---- profile and buddies --------------------------------------------------------------------------

  profile(): Profile {
    return structuredClone(this.profileRecord);
  }

  async setProfile(profile: Profile): Promise<void> {
    await this.options.storage.putProfile(profile);
    this.profileRecord = structuredClone(profile);
  }

  search(query: string): Promise<DirectoryEntry[]> {
    return this.options.search ? this.options.search(query) : Promise.resolve([]);
  }

  buddies(): Buddy[] {
    return this.buddyBook.list().map((b) => ({
      uid: b.uid, name: b.name, publicKey: b.publicKey,
      status: b.status as Buddy['status'],
      online: this.presenceTable.isOnline(b.uid),
    }));
  }

  /** Asks `entry` (a search result) to become our buddy; accepts if they already asked us. */
  async requestBuddy(entry: DirectoryEntry): Promise<void> {
    const record = await this.buddyBook.request(entry.uid, entry.publicKey, entry.name, this.options.clock.now());
    this.afterBuddyChange(record);
  }

  async acceptBuddy(uid: NodeId): Promise<void> {
    this.afterBuddyChange(await this.buddyBook.accept(uid));
  }

  async declineBuddy(uid: NodeId): Promise<void> {
    this.afterBuddyChange(await this.buddyBook.decline(uid));
  }

  async removeBuddy(uid: NodeId): Promise<void> {
    const record = await this.buddyBook.remove(uid);
    await this.chat.forget(uid);
    this.afterBuddyChange(record);
  }

  async blockBuddy(uid: NodeId): Promise<void> {
    const record = await this.buddyBook.block(uid);
    await this.chat.forget(uid);
    this.afterBuddyChange(record);
  }

  async unblockBuddy(uid: NodeId): Promise<void> {
    await this.buddyBook.unblock(uid);
    this.events.emit('buddies', this.buddies());
  }

  exportBuddies(): string {
    return this.buddyBook.exportJson();
  }

  async importBuddies(json: string): Promise<ImportResult | { error: string }> {
    const result = await this.buddyBook.importJson(json);
    if (!('error' in result) && result.added > 0) {
      this.events.emit('buddies', this.buddies());
      if (this.running) for (const uid of this.buddyBook.accepted()) this.presence.announce(uid, 'online');
    }
    return result;
  }

  // ---- messages -----------------------------------------------------------------------------------

  /** Seals, stores in the outbox, and sends (routed to key = buddy uid, or over the chat's direct link). Resolves once it is safely queued. */
  send(buddy: NodeId, text: string): Promise<{ seq: number }> {
    this.direct.active(buddy);
    return this.chat.send(buddy, text);
  }

  /** The user opened the chat with `buddy`: it counts as active, so its direct link is up by the first message. */
  chatOpened(buddy: NodeId): void {
    this.direct.active(buddy);
  }

  /** Off: chats are always routed, and open direct links are let go (a direct link shows the buddy our address). */
  useDirectLinks(enabled: boolean): void {
    this.direct.setEnabled(enabled);
  }

  /** Buddies we chat with over an open direct link right now. */
  directLinks(): NodeId[] {
    return this.direct.openPeers();
  }

  /** Both directions, oldest first; outgoing entries say whether the buddy's receipt covers them. */
  history(buddy: NodeId): Promise<HistoryItem[]> {
    return this.chat.history(buddy);
  }

  /**
   * Resolves when no incoming message is still being handled. WebCrypto completes on a thread pool,
   * not as a microtask, so a simulator on virtual time awaits this between steps to stay
   * deterministic (otherwise virtual time runs ahead while a message is being decrypted).
   */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  // ---- overlay application ------------------------------------------------------------------------

  private application(): OverlayApplication {
    return { deliver: (msg) => this.deliver(msg) };
  }

  private deliver(msg: RoutedMessage): void {
    const message = decodeImMessage(msg.body);
    if (!message) return this.stats.count('malformed');
    if (msg.key !== this.uid) {
      // We are only the numerically closest node to someone else's uid: that someone is offline.
      if (message.t === 'im.chat' || message.t === 'im.presence' || message.t === 'im.buddy') {
        msg.reply?.(notOnline(msg.key));
        this.stats.count('answered not online');
      }
      return;
    }
    if (message.t === 'im.chat') this.stats.chatReceived(msg.hops);
    this.handle(message, msg.reply);
  }

  private handle(message: ImMessage, answer?: (body: unknown) => void): void {
    const work = (() => {
      switch (message.t) {
        case 'im.chat': return this.chat.receive(message, answer);
        case 'im.receipt': return this.chat.receipt(message);
        case 'im.presence': return this.presence.receive(message, answer);
        case 'im.buddy': return this.onNotice(message, answer);
        default: return this.stats.count(`unexpected ${message.t}`);
      }
    })();
    // Storage failing under us must not become an unhandled rejection inside the overlay node.
    this.track(Promise.resolve(work).catch(() => this.stats.count(`failed handling ${message.t}`)));
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  // ---- presence -----------------------------------------------------------------------------------

  private presenceChanged(uid: NodeId, online: boolean): void {
    this.events.emit('presence', { uid, online });
    if (online) this.chat.flush(uid, true);
    else this.direct.close(uid, 'offline');
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimer(this.config.presenceCheckMs, () => {
      if (!this.running) return;
      this.tick();
      this.schedule();
    });
  }

  /** One timer for all soft state: background tabs clamp timers anyway, so fewer is kinder. */
  private tick(): void {
    this.presenceTable.expire();
    this.direct.tick();
    this.presence.keepAlive();
    this.chat.flushOnline();
    const now = this.options.clock.now();
    if (now - this.lastProbeAt < this.config.noticeRetryMs) return;
    this.lastProbeAt = now;
    this.presence.probeOffline();
    for (const record of this.buddyBook.withPendingNotice()) this.sendNotice(record);
  }

  // ---- buddy notices ------------------------------------------------------------------------------

  private afterBuddyChange(record: BuddyRecord): void {
    this.events.emit('buddies', this.buddies());
    if (!this.running) return;
    this.sendNotice(record);
    if (record.status === 'accepted') this.presence.announce(record.uid, 'online');
  }

  private sendNotice(record: BuddyRecord): void {
    const kind = record.pendingNotice;
    if (!kind || !this.running) return;
    // Wall-clock based and strictly growing: the peer takes a notice not newer than the last as a replay.
    this.lastNoticeAt = Math.max(Math.floor(this.options.clock.now()), this.lastNoticeAt + 1);
    // A decline or remove of a relationship from before epochs has no nonce of ours: none is needed.
    const epoch = record.epoch ?? NO_EPOCH_NONCE;
    const notice = buddyNotice(this.options.identity, kind, record.uid, this.profileRecord.name, epoch, this.lastNoticeAt);
    this.courier.ask(record.uid, notice, (answer) => {
      if (answer.t !== 'im.noticeTaken') return this.stats.count(`unexpected answer ${answer.t}`);
      this.track(this.buddyBook.noticeDelivered(record.uid, kind).catch(() => this.stats.count('failed storing notice')));
    });
  }

  private async onNotice(notice: BuddyNotice, answer?: (body: unknown) => void): Promise<void> {
    // Notices come from strangers too (requests): only the messenger-wide budget bounds them.
    if (!this.budget.take(undefined)) return this.stats.count('im.buddy over verify budget');
    if (!noticeIsAuthentic(notice, this.uid)) return this.stats.count('buddy notice rejected');
    const effect = await this.buddyBook.receive(notice, this.options.clock.now());
    // Not taken: the stranger retries later, by when we may have answered others.
    if (effect === 'too many requests') return this.stats.count('buddy request refused: too many waiting');
    answer?.({ t: 'im.noticeTaken' });
    if (effect === 'none') {
      // E.g. a buddy who lost their list asks again: we owe them our accept again.
      const record = this.buddyBook.get(notice.from);
      if (record?.pendingNotice) this.sendNotice(record);
      return;
    }
    if (effect === 'declined' || effect === 'removed') await this.chat.forget(notice.from);
    if (effect === 'restarted') await this.chat.restart(notice.from);
    if (effect === 'request') {
      this.events.emit('request', { from: notice.from, name: notice.name, publicKey: notice.publicKey });
    }
    const record = this.buddyBook.get(notice.from);
    if (record) this.afterBuddyChange(record);
    else this.events.emit('buddies', this.buddies());
  }
}
