// The Messenger: what the UI holds. It is the IM layer's OverlayApplication: everything it sends
// is routed to key = a buddy's uid, and a node accepts a message only when its own id EQUALS the
// key; the root of somebody else's uid answers "not online" instead (docs/DESIGN.md). An active chat
// goes over a direct link to the buddy instead, when one is open (direct-links.ts). Every node also
// keeps mail for offline uids it is a future neighbour of (mailbox.ts), and a message to an offline
// buddy is posted there too (mail-client.ts).

import type { OverlayApplication, RoutedMessage } from '../overlay/api.js';
import type { TimerHandle } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import { BuddyBook, type ImportResult } from './buddies.js';
import { ChatService, type HistoryItem } from './chat.js';
import { DEFAULT_IM_CONFIG, DEFAULT_MAILBOX_CONFIG, IM_APPLICATION, type ImConfig } from './config.js';
import { ConversationBook } from './conversation.js';
import { Courier } from './courier.js';
import { DirectLinks } from './direct-links.js';
import { bytesToHex, KeyRing, type ChatPlaintext } from './crypto.js';
import { freshEpochNonce } from './epoch.js';
import { Emitter } from './events.js';
import { MailClient } from './mail-client.js';
import { Mailbox } from './mailbox.js';
import type { Buddy, DirectoryEntry, MessengerEvents, MessengerOptions } from './messenger-types.js';
import { BuddyNotices } from './notices.js';
import { Outbox } from './outbox.js';
import { PresenceTable } from './presence.js';
import { PresenceProtocol } from './presence-protocol.js';
import { answerForAbsent } from './relay.js';
import { ImStats } from './stats.js';
import type { BuddyRecord, Profile } from './storage.js';
import { VerifyBudget } from './verify-budget.js';
import { decodeImMessage, type ImMessage } from './wire.js';

export type { Buddy, BuddySearch, DirectoryEntry, MessengerEvents, MessengerOptions, OverlayHost } from './messenger-types.js';

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
  private readonly outbox: Outbox;
  private readonly notices: BuddyNotices;
  /** The storing role (others' mail) and our two ends of it. */
  readonly mailbox: Mailbox;
  private readonly mail: MailClient;
  private profileRecord: Profile = { name: '', keywords: [] };
  private lastProbeAt = -Infinity;
  private timer: TimerHandle | undefined;
  private running = false;
  /** Buddies and conversations are loaded: mail handed over before (or after) start() can be taken. */
  private loaded = false;
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
    this.config = { ...DEFAULT_IM_CONFIG, ...options.config, mailbox: { ...DEFAULT_MAILBOX_CONFIG, ...options.config?.mailbox } };
    this.buddyBook = new BuddyBook(storage, () => freshEpochNonce(random), this.config.maxIncomingRequests);
    this.budget = new VerifyBudget(clock, this.config);
    this.presenceTable = new PresenceTable(clock, this.config, (uid, online) => this.presenceChanged(uid, online));
    this.chat = new ChatService({
      identity, storage, clock, random,
      keyRing: new KeyRing(identity),
      buddies: this.buddyBook,
      outbox: (this.outbox = new Outbox(storage, clock, this.config.resendMs)),
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
      renumbered: (to, seqs) => this.events.emit('renumbered', { to, seqs: [...seqs] }),
    });
    const endpoint = options.overlay.register(IM_APPLICATION, this.application());
    const eligible = (peer: NodeId) => this.running && this.buddyBook.get(peer)?.status === 'accepted' && this.presenceTable.isOnline(peer);
    this.direct = new DirectLinks(endpoint, clock, this.config, eligible, this.stats);
    this.courier = new Courier({
      endpoint,
      direct: this.direct,
      stats: this.stats,
      requestTimeoutMs: this.config.requestTimeoutMs,
      notOnline: (peer, body) => {
        this.presence.notOnline(peer);
        if (body.t === 'im.chat' || body.t === 'im.presence') this.mail.offline(peer, this.chat.sendable(peer));
      },
      answered: (answer) => this.handle(answer),
    });
    const { mailbox: mailConfig } = this.config;
    this.mailbox = new Mailbox({
      endpoint, clock, config: mailConfig, stats: this.stats,
      owner: (items, holder) => this.track(this.mail.receive(items, holder).catch(() => this.stats.count('failed handling mail.copies'))),
    });
    this.mail = new MailClient({
      identity, clock, config: mailConfig, stats: this.stats, endpoint, courier: this.courier,
      ready: () => this.loaded,
      isOnline: (peer) => this.presenceTable.isOnline(peer),
      receiveChat: (message, answer) => this.chat.receive(message, answer, true),
      receiveReceipt: (message) => this.chat.receipt(message, true),
      tell: (peer, body) => this.courier.chat(peer, body, false),
      answered: (answer) => this.handle(answer),
    });
    this.notices = new BuddyNotices({
      identity, clock, buddies: this.buddyBook, chat: this.chat, courier: this.courier, stats: this.stats, budget: this.budget,
      running: () => this.running,
      name: () => this.profileRecord.name,
      changed: (record) => this.afterBuddyChange(record),
      emit: (event, payload) => this.events.emit(event, payload),
      listed: () => this.buddies(),
      track: (work) => this.track(work),
      forget: (peer) => this.forgetConversation(peer),
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
    this.loaded = true;
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
    this.mailbox.start();
    for (const uid of this.buddyBook.accepted()) this.presence.announce(uid, 'online');
    for (const record of this.buddyBook.withPendingNotice()) this.notices.send(record);
    this.lastProbeAt = this.options.clock.now();
    this.schedule();
    this.events.emit('state', 'online');
  }

  /** Graceful leave (pagehide): tells online buddies we are offline and passes on the mail held here. Call before the node leaves. */
  stop(): void {
    this.mailbox.leave();
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
    await this.forgetConversation(uid);
    this.afterBuddyChange(record);
  }

  async blockBuddy(uid: NodeId): Promise<void> {
    const record = await this.buddyBook.block(uid);
    await this.forgetConversation(uid);
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
    return { deliver: (msg) => this.deliver(msg), update: (node, joined) => this.mailbox.update(node, joined) };
  }

  private deliver(msg: RoutedMessage): void {
    const message = decodeImMessage(msg.body);
    if (!message) return this.stats.count('malformed');
    // Posted for us while we were thought offline: we are here, so it is an ordinary chat or receipt.
    if (message.t === 'mail.put' && msg.key === this.uid) return this.handle(message.item.body, msg.reply);
    if (this.mailbox.handle(msg, message)) return;
    if (msg.key !== this.uid) return answerForAbsent(msg, message, this.stats);
    if (message.t === 'im.chat') this.stats.chatReceived(msg.hops);
    this.handle(message, msg.reply);
  }

  private handle(message: ImMessage, answer?: (body: unknown) => void): void {
    const work = (() => {
      switch (message.t) {
        case 'im.chat': return this.chat.receive(message, answer);
        case 'im.receipt': return this.chat.receipt(message);
        case 'im.resync': return this.chat.resync.request(message, answer);
        case 'im.resyncState': return this.chat.resync.state(message);
        case 'im.presence': return this.presence.receive(message, answer);
        case 'im.buddy': return this.notices.receive(message, answer);
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
    for (const record of this.buddyBook.withPendingNotice()) this.notices.send(record);
  }

  // ---- buddy notices ------------------------------------------------------------------------------

  private afterBuddyChange(record: BuddyRecord): void {
    this.events.emit('buddies', this.buddies());
    if (!this.running) return;
    this.notices.send(record);
    if (record.status === 'accepted') this.presence.announce(record.uid, 'online');
  }

  /** The buddy is gone (removed, declined, blocked): its conversation, outbox, history and mail state. */
  private async forgetConversation(peer: NodeId): Promise<void> {
    await this.chat.forget(peer);
    this.mail.forget(peer);
  }
}
