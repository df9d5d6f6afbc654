// MessengerPort (the one interface the UI uses) over the real thing: the Messenger (src/im), the
// Pastry node and the SCAN directory of the current Session. The port is synchronous and plain-data;
// the layers below are asynchronous and stateful, so the adapter keeps what the UI reads (the
// conversations, unread counts, recent paths) and turns layer events into port events.
//
// Message status (ChatMessage.status) from the outbox and receipts: an outgoing message is
// 'delivered' once the buddy's cumulative receipt covers its seq; until then 'sent' while the buddy
// is online (the outbox hands it to the overlay and resends it), 'queued' while it is not.

import type { NodeId } from '../overlay/id.js';
import { Emitter } from '../im/events.js';
import type { Buddy as ImBuddy } from '../im/messenger.js';
import { RECORD_LIMITS, type ProfileFields } from '../scan/records.js';
import type { SearchHit } from '../scan/ranking.js';
import type {
  Buddy,
  BuddyRequest,
  ChatMessage,
  ConnectionState,
  InviteAnswered,
  InviteCreated,
  InviteOutcome,
  MessageStatus,
  MessengerEvents,
  MessengerPort,
  OverlaySnapshot,
  Profile,
  RoutedPath,
  RoutingEntry,
  SearchHandle,
  SearchResult,
  Uid,
} from '../ui/messenger-port.js';
import { APP_CONFIG } from './config.js';
import type { ProbeResult } from './probe.js';
import type { ProfileStore } from './profile-store.js';
import type { Session } from './session.js';
import { InviteFlow } from './invite/invite-flow.js';

interface Entry {
  readonly id: string;
  readonly peer: Uid;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly at: number;
  /** Outgoing: known once the messenger has stored it in the outbox. */
  seq?: number;
  failed?: boolean;
}

export interface AdapterOptions {
  profile: Profile | undefined;
  profileStore: ProfileStore;
  /** The user left the network (settings): boot stops trying to join again. */
  onLeave?: () => void;
  /** A fresh session with the same identity and storage (an invite needs one when this one has joined). */
  openSession?: () => Promise<Session>;
}

export class MessengerAdapter extends Emitter<MessengerEvents> implements MessengerPort {
  private session!: Session;
  private detach: (() => void)[] = [];
  private currentProfile: Profile | undefined;
  private readonly conversations = new Map<Uid, Entry[]>();
  /** Highest outgoing seq each buddy acknowledged. */
  private readonly acked = new Map<Uid, number>();
  private readonly online = new Set<Uid>();
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
    for (const buddy of messenger.buddies()) if (buddy.status === 'accepted') await this.loadHistory(buddy.uid);
    this.detach.push(
      messenger.on('message', ({ from, seq, text, sentAt }) => {
        const entries = this.entries(from);
        if (entries.some((e) => e.direction === 'in' && e.seq === seq)) return;
        const entry: Entry = { id: `${from}/in/${seq}`, peer: from, direction: 'in', text, at: sentAt, seq };
        entries.push(entry);
        this.unread.set(from, (this.unread.get(from) ?? 0) + 1);
        this.emit('message', this.toMessage(entry));
        this.emitBuddies();
      }),
      messenger.on('receipt', ({ to, seq }) => {
        const before = this.acked.get(to) ?? 0;
        if (seq <= before) return;
        this.acked.set(to, seq);
        for (const entry of this.entries(to)) {
          if (entry.direction === 'out' && entry.seq !== undefined && entry.seq > before && entry.seq <= seq) this.emit('message', this.toMessage(entry));
        }
      }),
      messenger.on('presence', ({ uid, online }) => {
        if (online) this.online.add(uid);
        else this.online.delete(uid);
        this.emitBuddies();
        // queued <-> sent follows presence
        for (const entry of this.entries(uid)) if (entry.direction === 'out' && this.status(entry) !== 'delivered') this.emit('message', this.toMessage(entry));
      }),
      messenger.on('buddies', (list) => {
        for (const buddy of list) if (buddy.status === 'accepted' && !this.conversations.has(buddy.uid)) void this.loadHistory(buddy.uid);
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
      .map((b) => ({ uid: b.uid, name: b.name, presence: this.online.has(b.uid) || b.online ? 'online' : 'offline', unread: this.unread.get(b.uid) ?? 0 }));
  }

  requests(): readonly BuddyRequest[] {
    const pending = this.session.messenger.buddies().filter((b): b is ImBuddy & { status: 'incoming' | 'outgoing' } => b.status === 'incoming' || b.status === 'outgoing');
    return pending.map((b) => {
      if (!this.requestSeenAt.has(b.uid)) this.requestSeenAt.set(b.uid, Date.now());
      return { uid: b.uid, name: b.name, direction: b.status, at: this.requestSeenAt.get(b.uid)! };
    });
  }

  conversation(peer: Uid): readonly ChatMessage[] {
    return this.entries(peer).map((e) => this.toMessage(e));
  }

  overlay(): OverlaySnapshot | undefined {
    const { node } = this.session;
    const routingTable: RoutingEntry[] = [];
    for (let row = 0; row < node.routingTable.rowCount; row++) {
      for (let column = 0; column < node.routingTable.columns; column++) {
        const id = node.routingTable.get(row, column);
        if (id !== undefined) routingTable.push({ row, column, id });
      }
    }
    const { constructed, held, limit } = this.session.transport.connections;
    return { selfId: node.id, leafSet: node.leafSet.members(), routingTable, recentPaths: this.paths, peerConnections: { constructed, held, limit } };
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
    let cancelled = false;
    const self = this.session.node.id;
    // Never calls back before search() has returned: when this node is itself the root of a word's
    // key the directory answers synchronously, and the caller may not hold its handle yet (the
    // search box compares it). Deferring also keeps a throwing listener out of the overlay's
    // delivery path.
    const deliver = (hits: SearchHit[]) =>
      queueMicrotask(() => {
        if (cancelled) return;
        for (const hit of hits) {
          if (hit.uid === self) continue;
          this.found.set(hit.uid, hit.record.publicKey);
          onResult({ uid: hit.uid, fields: portFields(hit.record.fields), matched: hit.matchedWords });
        }
      });
    const done = this.session.directory.search(query, { onUpdate: deliver }).then(
      (result) => deliver(result.hits),
      () => {},
    );
    return { done, cancel: () => (cancelled = true) };
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
    this.conversations.delete(uid);
    this.acked.delete(uid);
    this.unread.delete(uid);
  }

  send(peer: Uid, text: string): ChatMessage {
    const entry: Entry = { id: `${peer}/out/local-${this.nextLocalId++}`, peer, direction: 'out', text, at: Date.now() };
    this.entries(peer).push(entry);
    this.session.messenger.send(peer, text).then(
      ({ seq }) => {
        entry.seq = seq;
        this.emit('message', this.toMessage(entry));
      },
      () => {
        entry.failed = true;
        this.emit('message', this.toMessage(entry));
      },
    );
    // The overlay picture shows the way a message to this buddy takes (a probe along the same key).
    if (this.session.phase === 'joined') this.probe(peer, 'message').catch(() => {});
    return this.toMessage(entry);
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

  private entries(peer: Uid): Entry[] {
    let entries = this.conversations.get(peer);
    if (!entries) this.conversations.set(peer, (entries = []));
    return entries;
  }

  /** Stored history, merged with what this tab already shows (ids stay stable across sessions). */
  private async loadHistory(peer: Uid): Promise<void> {
    const history = await this.session.messenger.history(peer);
    const entries = this.entries(peer);
    let acked = this.acked.get(peer) ?? 0;
    for (const item of history) {
      if (item.direction === 'out' && item.delivered) acked = Math.max(acked, item.seq);
      if (entries.some((e) => e.direction === item.direction && e.seq === item.seq)) continue;
      entries.push({ id: `${peer}/${item.direction}/${item.seq}`, peer, direction: item.direction, text: item.text, at: item.sentAt, seq: item.seq });
    }
    entries.sort((a, b) => a.at - b.at);
    this.acked.set(peer, acked);
  }

  private status(entry: Entry): MessageStatus {
    if (entry.direction === 'in') return 'delivered';
    if (entry.failed) return 'failed';
    if (entry.seq !== undefined && entry.seq <= (this.acked.get(entry.peer) ?? 0)) return 'delivered';
    return this.online.has(entry.peer) ? 'sent' : 'queued';
  }

  private toMessage(entry: Entry): ChatMessage {
    return { id: entry.id, peer: entry.peer, direction: entry.direction, text: entry.text, at: entry.at, status: this.status(entry) };
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

/** The published fields as the directory takes them (words split, lengths capped); none: withdraw. */
export function directoryFields(profile: Profile): ProfileFields | undefined {
  const fields: ProfileFields = {};
  const cap = (text: string) => text.slice(0, RECORD_LIMITS.fieldChars);
  for (const field of profile.published) {
    const value = profile.fields[field]?.trim();
    if (!value) continue;
    if (field === 'words') fields.words = value.split(/[\s,;]+/).filter(Boolean).slice(0, RECORD_LIMITS.freeWords).map(cap);
    else fields[field] = cap(value);
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

function portFields(fields: ProfileFields): SearchResult['fields'] {
  const { words, ...rest } = fields;
  return words ? { ...rest, words: words.join(' ') } : rest;
}
