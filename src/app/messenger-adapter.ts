// MessengerPort (the one interface the UI uses) over the real thing: the Messenger (src/im), the
// Pastry node and the SCAN directory of the current Session. The port is synchronous and plain-data;
// the layers below are asynchronous and stateful, so the adapter keeps what the UI reads (the
// conversations, unread counts, recent paths) and turns layer events into port events.
// Message status: conversation-log.ts.

import type { NodeId } from '../overlay/id.js';
import { Emitter } from '../im/events.js';
import type { Buddy as ImBuddy } from '../im/messenger.js';
import { RECORD_LIMITS } from '../scan/records.js';
import type {
  Buddy,
  BlockedPerson,
  BuddyRequest,
  ChatMessage,
  ConnectionState,
  InviteAnswered,
  InviteCreated,
  InviteOutcome,
  MessengerEvents,
  MessengerPort,
  OverlaySnapshot,
  Preferences,
  Profile,
  RoutedPath,
  SearchHandle,
  SearchResult,
  Uid,
} from '../ui/messenger-port.js';
import { DEFAULT_PREFERENCES, LIMITS } from '../ui/messenger-port.js';
import { APP_CONFIG } from './config.js';
import type { ProbeResult } from './probe.js';
import type { ProfileStore } from './profile-store.js';
import type { Session } from './session.js';
import { InviteFlow } from './invite/invite-flow.js';
import { directoryFields, searchDirectory } from './directory-fields.js';
import { overlaySnapshot } from './overlay-snapshot.js';
import { ConversationLog, type Entry } from './conversation-log.js';

export interface AdapterOptions {
  profile: Profile | undefined;
  profileStore: ProfileStore;
  preferences?: Preferences;
  /** After leave(): the fresh session is in place; boot keeps it joined again. */
  onRejoin?: () => void;
  /** The user left the network (settings): boot stops trying to join again. */
  onLeave?: () => void;
  /** A fresh session with the same identity and storage (an invite needs one when this one has joined). */
  openSession?: () => Promise<Session>;
}

export class MessengerAdapter extends Emitter<MessengerEvents> implements MessengerPort {
  private session!: Session;
  private detach: (() => void)[] = [];
  private currentProfile: Profile | undefined;
  private prefs: Preferences;
  private readonly online = new Set<Uid>();
  private readonly log = new ConversationLog((peer) => this.online.has(peer));
  private readonly unread = new Map<Uid, number>();
  private readonly requestSeenAt = new Map<Uid, number>();
  /** Public keys of people found in the directory: a buddy request needs the key behind the uid. */
  private readonly found = new Map<Uid, string>();
  private paths: RoutedPath[] = [];
  private overlayPending = false;
  private nextLocalId = 1;
  private readonly invites = new InviteFlow({
    session: () => this.session,
    replaceSession: () => this.replaceSession(),
    now: () => Date.now(),
  });

  static async create(session: Session, options: AdapterOptions): Promise<MessengerAdapter> {
    const adapter = new MessengerAdapter(options);
    await adapter.attach(session);
    return adapter;
  }

  private constructor(private readonly options: AdapterOptions) {
    super();
    this.currentProfile = options.profile;
    this.prefs = options.preferences ?? DEFAULT_PREFERENCES;
  }

  get current(): Session {
    return this.session;
  }

  /** Follows a (new) session: its messenger's stored history and its node's events. */
  async attach(session: Session): Promise<void> {
    for (const off of this.detach.splice(0)) off();
    this.session = session;
    this.online.clear();
    if (this.currentProfile) session.setDirectoryFields(directoryFields(this.currentProfile));
    const { messenger, node } = session;
    messenger.useDirectLinks(this.prefs.directLinks);
    for (const buddy of messenger.buddies()) if (buddy.status === 'accepted') this.log.load(buddy.uid, await messenger.history(buddy.uid));
    this.detach.push(
      messenger.on('message', ({ from, seq, text, sentAt }) => {
        const entries = this.log.entries(from);
        if (entries.some((e) => e.direction === 'in' && e.seq === seq)) return;
        const entry: Entry = { id: `${from}/in/${seq}`, peer: from, direction: 'in', text, at: sentAt, seq };
        entries.push(entry);
        this.unread.set(from, (this.unread.get(from) ?? 0) + 1);
        this.emit('message', this.log.toMessage(entry));
        this.emitBuddies();
      }),
      messenger.on('receipt', ({ to, seq }) => {
        for (const entry of this.log.acknowledge(to, seq)) this.emit('message', this.log.toMessage(entry));
      }),
      messenger.on('renumbered', ({ to, seqs }) => {
        for (const entry of this.log.renumber(to, seqs)) this.emit('message', this.log.toMessage(entry));
      }),
      messenger.on('presence', ({ uid, online }) => {
        if (online) this.online.add(uid);
        else this.online.delete(uid);
        this.emitBuddies();
        // queued <-> sent follows presence
        for (const entry of this.log.entries(uid)) if (entry.direction === 'out' && this.log.status(entry) !== 'delivered') this.emit('message', this.log.toMessage(entry));
      }),
      messenger.on('buddies', (list) => {
        for (const buddy of list) if (buddy.status === 'accepted' && !this.log.has(buddy.uid)) void this.loadHistory(buddy.uid);
        this.emitBuddies();
        this.emit('requests', this.requests());
      }),
      session.events.on('phase', () => this.emitState()),
      node.on('links', () => {
        this.emitState();
        this.overlayChanged();
      }),
      node.on('leafset', () => this.overlayChanged()),
      node.on('state', () => this.overlayChanged()),
    );
    this.emitState();
    this.emitBuddies();
    this.emit('requests', this.requests());
  }

  // ---- current values --------------------------------------------------------------------------

  state(): ConnectionState {
    const { node } = this.session;
    return { phase: this.session.shownPhase, links: node.links.size, selfId: node.id };
  }

  profile(): Profile | undefined {
    return this.currentProfile;
  }

  buddies(): readonly Buddy[] {
    return this.session.messenger
      .buddies()
      .filter((b) => b.status === 'accepted')
      .map((b) => {
        const newest = this.log.entries(b.uid).at(-1);
        const last = newest && { text: newest.text, at: newest.at, direction: newest.direction };
        return { uid: b.uid, name: b.name, presence: this.online.has(b.uid) || b.online ? 'online' : 'offline', unread: this.unread.get(b.uid) ?? 0, last };
      });
  }

  blocked(): readonly BlockedPerson[] {
    return this.session.messenger.buddies().filter((b) => b.status === 'blocked').map((b) => ({ uid: b.uid, name: b.name }));
  }

  requests(): readonly BuddyRequest[] {
    const pending = this.session.messenger.buddies().filter((b): b is ImBuddy & { status: 'incoming' | 'outgoing' } => b.status === 'incoming' || b.status === 'outgoing');
    return pending.map((b) => {
      if (!this.requestSeenAt.has(b.uid)) this.requestSeenAt.set(b.uid, Date.now());
      return { uid: b.uid, name: b.name, direction: b.status, at: this.requestSeenAt.get(b.uid)! };
    });
  }

  conversation(peer: Uid): readonly ChatMessage[] {
    return this.log.entries(peer).map((e) => this.log.toMessage(e));
  }

  overlay(): OverlaySnapshot | undefined {
    return overlaySnapshot(this.session, this.paths);
  }

  // ---- actions ---------------------------------------------------------------------------------

  async setProfile(profile: Profile): Promise<void> {
    await this.options.profileStore.save(profile);
    await this.session.messenger.setProfile({ name: (profile.fields.name ?? '').slice(0, RECORD_LIMITS.fieldChars), keywords: [] });
    this.currentProfile = profile;
    this.session.setDirectoryFields(directoryFields(profile));
    this.emit('profile', profile);
  }

  search(query: string, onResult: (result: SearchResult) => void): SearchHandle {
    return searchDirectory(this.session, query, (uid, publicKey) => this.found.set(uid, publicKey), onResult);
  }

  async requestBuddy(uid: Uid, name: string): Promise<void> {
    const publicKey = this.found.get(uid);
    if (!publicKey) throw new Error(`${uid} was not found in the directory`);
    await this.session.messenger.requestBuddy({ uid, name, publicKey });
  }

  accept(uid: Uid): Promise<void> {
    return this.session.messenger.acceptBuddy(uid);
  }

  decline(uid: Uid): Promise<void> {
    return this.session.messenger.declineBuddy(uid);
  }

  async removeBuddy(uid: Uid): Promise<void> {
    await this.session.messenger.removeBuddy(uid);
    this.forget(uid);
  }

  /** The IM layer blocks buddies and requests alike (src/im/buddies.ts); `name` is for the port's shape. */
  async block(uid: Uid, _name: string): Promise<void> {
    await this.session.messenger.blockBuddy(uid);
    this.forget(uid);
    this.emit('requests', this.requests());
  }

  async unblock(uid: Uid): Promise<void> {
    await this.session.messenger.unblockBuddy(uid);
  }

  send(peer: Uid, text: string): ChatMessage {
    const entry: Entry = { id: `${peer}/out/local-${this.nextLocalId++}`, peer, direction: 'out', text, at: Date.now() };
    this.log.entries(peer).push(entry);
    if (text.length > LIMITS.messageChars) {
      // The composer refuses these already; a caller that does not still gets a reason, not a bare "failed".
      entry.failed = `Too long: ${text.length} of at most ${LIMITS.messageChars} characters.`;
      const message = this.log.toMessage(entry);
      queueMicrotask(() => this.emit('message', message)); // after the caller holds it, as for a sent one
      return message;
    }
    this.session.messenger.send(peer, text).then(
      ({ seq }) => {
        entry.seq = seq;
        this.emit('message', this.log.toMessage(entry));
      },
      (error: unknown) => {
        entry.failed = sendFailure(error);
        this.emit('message', this.log.toMessage(entry));
      },
    );
    this.emitBuddies(); // the list's preview line
    // The overlay picture shows the way a message to this buddy takes (a probe along the same key).
    if (this.session.phase === 'joined') this.probe(peer, 'message').catch(() => {});
    return this.log.toMessage(entry);
  }

  retry(peer: Uid, id: string): ChatMessage | undefined {
    const entries = this.log.entries(peer);
    const index = entries.findIndex((e) => e.id === id && e.failed !== undefined);
    if (index < 0) return undefined;
    const [failed] = entries.splice(index, 1);
    const message = this.send(peer, failed.text);
    this.emit('message', message);
    return message;
  }

  markRead(peer: Uid): void {
    if (!this.unread.get(peer)) return;
    this.unread.set(peer, 0);
    this.emitBuddies();
  }

  chatOpened(peer: Uid): void {
    this.session.messenger.chatOpened(peer);
  }

  exportBuddies(): string {
    return this.session.messenger.exportBuddies();
  }

  async importBuddies(json: string): Promise<number> {
    const result = await this.session.messenger.importBuddies(json);
    if ('error' in result) throw new Error(result.error);
    return result.added;
  }

  async leave(): Promise<void> {
    this.options.onLeave?.();
    this.session.leave();
    this.emitState();
  }

  async rejoin(): Promise<void> {
    if (this.session.phase !== 'left' || !this.options.openSession) return;
    await this.attach(await this.options.openSession());
    this.options.onRejoin?.();
  }

  preferences(): Preferences {
    return this.prefs;
  }

  async setPreferences(change: Partial<Preferences>): Promise<void> {
    this.prefs = { ...this.prefs, ...change };
    this.session.messenger.useDirectLinks(this.prefs.directLinks);
    await this.options.profileStore.savePreferences(this.prefs);
  }

  // ---- serverless invites (src/app/invite) ------------------------------------------------------

  createInvite(): Promise<InviteCreated> {
    return this.invites.createInvite();
  }

  acceptInviteReply(code: string): Promise<InviteOutcome> {
    return this.invites.acceptInviteReply(code);
  }

  joinWithInvite(code: string): Promise<InviteAnswered> {
    return this.invites.joinWithInvite(code);
  }

  /** Leaves the current session (buddies and leaf set are told) and follows a fresh one. */
  private async replaceSession(): Promise<Session> {
    if (!this.options.openSession) throw new Error('this adapter cannot open sessions');
    this.invites.cancelAll();
    // Follow the fresh session before the old one ends: boot's keepJoined sees the old one end and
    // must find its successor already in place, not open a rejoin session of its own.
    const old = this.session;
    const fresh = await this.options.openSession();
    await this.attach(fresh);
    old.leave();
    return fresh;
  }

  /** Routes a probe to `key`; the path joins the overlay picture. */
  async probe(key: NodeId, kind = 'probe'): Promise<ProbeResult> {
    const result = await this.session.probe.route(key);
    this.paths = [{ kind, key, hops: result.path, at: Date.now() }, ...this.paths].slice(0, APP_CONFIG.recentPaths);
    this.overlayChanged();
    return result;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private async loadHistory(peer: Uid): Promise<void> {
    this.log.load(peer, await this.session.messenger.history(peer));
  }

  private forget(uid: Uid): void {
    this.log.forget(uid);
    this.unread.delete(uid);
  }

  private emitState(): void {
    this.emit('state', this.state());
  }

  private emitBuddies(): void {
    this.emit('buddies', this.buddies());
  }

  /** Leaf-set and link changes come in bursts while joining: one snapshot per burst is plenty. */
  private overlayChanged(): void {
    if (this.overlayPending) return;
    this.overlayPending = true;
    setTimeout(() => {
      this.overlayPending = false;
      const snapshot = this.overlay();
      if (snapshot) this.emit('overlay', snapshot);
    }, 100);
  }
}

/** The messenger's refusal in words for the failed bubble. */
function sendFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/not an accepted buddy/.test(text)) return 'Not sent: you are no longer buddies.';
  return `Not sent: ${text}`;
}
