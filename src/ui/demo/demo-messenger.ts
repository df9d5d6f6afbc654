// NOT THE PRODUCT. An in-memory MessengerPort with made-up buddies, directory and overlay, so the
// UI shell can be rendered and screenshotted before src/im exists (opened with `/?demo`). Nothing
// here touches the network; ids are hashes of fixed strings, so every run looks the same.

import { bigIntToId, idFromPublicKey, idToBigInt, type NodeId } from '../../overlay/id.js';
import { DEFAULT_PREFERENCES, LIMITS } from '../messenger-port.js';
import type {
  BlockedPerson,
  Buddy,
  BuddyRequest,
  ChatMessage,
  ConnectionState,
  MessengerEvents,
  MessengerPort,
  OverlaySnapshot,
  Preferences,
  Profile,
  SearchHandle,
  SearchResult,
  Uid,
  InviteAnswered,
  InviteCreated,
  InviteOutcome,
} from '../messenger-port.js';

const DEMO_INVITES = 'Invites need the real network: this is the in-memory demo.';
import { Emitter } from '../../im/events.js';
import { tokenize } from '../../scan/normalize.js';

const demoId = (seed: string): NodeId => idFromPublicKey(new TextEncoder().encode(`dima-demo:${seed}`));

interface DemoPerson {
  uid: Uid;
  fields: SearchResult['fields'];
  online: boolean;
}

const PEOPLE: DemoPerson[] = [
  { uid: demoId('henrik'), fields: { name: 'Henrik Lundgren', city: 'Uppsala', words: 'pastry p2p' }, online: true },
  { uid: demoId('richard'), fields: { name: 'Richard Gold', nickname: 'rgold', city: 'Uppsala' }, online: false },
  { uid: demoId('erik'), fields: { name: 'Erik Nordström', city: 'Uppsala', words: 'ad hoc networks' }, online: true },
  { uid: demoId('tomas'), fields: { name: 'Tomas Wiggberg', city: 'Stockholm' }, online: false },
  { uid: demoId('ada'), fields: { name: 'Ada Lovelace', nickname: 'ada', city: 'London', words: 'engines' }, online: true },
];

/** Made-up delays so streaming search and receipts are visible. */
const DELAY_MS = { searchHit: 120, sent: 300, delivered: 900, echo: 1200 };

export class DemoMessenger extends Emitter<MessengerEvents> implements MessengerPort {
  private connection: ConnectionState = { phase: 'joining', links: 0 };
  private currentProfile: Profile | undefined;
  private buddyList: Buddy[] = [];
  private requestList: BuddyRequest[] = [];
  private readonly conversations = new Map<Uid, ChatMessage[]>();
  private snapshot: OverlaySnapshot | undefined;
  private nextMessage = 1;
  private blockedList: BlockedPerson[] = [];
  private prefs: Preferences = DEFAULT_PREFERENCES;

  constructor(private readonly now: () => number = () => Date.now()) {
    super();
    const [henrik, richard, erik] = PEOPLE;
    this.buddyList = [
      { uid: henrik.uid, name: henrik.fields.name!, presence: 'online', unread: 1 },
      { uid: richard.uid, name: richard.fields.name!, presence: 'offline', unread: 0 },
    ];
    this.requestList = [{ uid: erik.uid, name: erik.fields.name!, direction: 'incoming', at: this.now() - 60_000 }];
    this.conversations.set(henrik.uid, [
      this.message(henrik.uid, 'out', 'Is the overlay up on your side?', 'delivered', -300_000),
      this.message(henrik.uid, 'in', 'Yes, 16 leaves and counting.', 'delivered', -240_000),
    ]);
    this.conversations.set(richard.uid, [this.message(richard.uid, 'out', 'See you at the demo.', 'queued', -120_000)]);
  }

  /** The demo "joins" after a moment, as the real node would after its first link. */
  start(joinDelayMs = 400): this {
    setTimeout(() => {
      const selfId = demoId('self');
      this.snapshot = demoOverlay(selfId, this.now());
      this.connection = { phase: 'joined', links: this.snapshot.leafSet.length + this.snapshot.routingTable.length, selfId };
      this.emit('state', this.connection);
      this.emit('overlay', this.snapshot);
    }, joinDelayMs);
    return this;
  }

  state(): ConnectionState {
    return this.connection;
  }
  profile(): Profile | undefined {
    return this.currentProfile;
  }
  buddies(): readonly Buddy[] {
    return this.buddyList.map((b) => {
      const newest = this.conversations.get(b.uid)?.at(-1);
      return newest ? { ...b, last: { text: newest.text, at: newest.at, direction: newest.direction } } : b;
    });
  }
  blocked(): readonly BlockedPerson[] {
    return this.blockedList;
  }
  preferences(): Preferences {
    return this.prefs;
  }
  requests(): readonly BuddyRequest[] {
    return this.requestList;
  }
  conversation(peer: Uid): readonly ChatMessage[] {
    return this.conversations.get(peer) ?? [];
  }
  overlay(): OverlaySnapshot | undefined {
    return this.snapshot;
  }

  async setProfile(profile: Profile): Promise<void> {
    this.currentProfile = profile;
    this.emit('profile', profile);
  }

  search(query: string, onResult: (result: SearchResult) => void): SearchHandle {
    // Words as SCAN compares them; each query word may be the prefix of a record word.
    const words = tokenize(query);
    const hits = PEOPLE.map((person) => {
      const recordWords = tokenize(Object.values(person.fields).join(' '));
      return { uid: person.uid, fields: person.fields, matched: words.filter((w) => recordWords.some((r) => r.startsWith(w))).length };
    }).filter((hit) => words.length > 0 && hit.matched === words.length);
    const timers: ReturnType<typeof setTimeout>[] = [];
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    hits.forEach((hit, i) => timers.push(setTimeout(() => onResult(hit), DELAY_MS.searchHit * (i + 1))));
    timers.push(setTimeout(finish, DELAY_MS.searchHit * (hits.length + 1)));
    return {
      done,
      cancel: () => {
        timers.forEach(clearTimeout);
        finish();
      },
    };
  }

  async requestBuddy(uid: Uid, name: string): Promise<void> {
    if (this.buddyList.some((b) => b.uid === uid) || this.requestList.some((r) => r.uid === uid)) return;
    this.setRequests([...this.requestList, { uid, name, direction: 'outgoing', at: this.now() }]);
  }

  async accept(uid: Uid): Promise<void> {
    const request = this.requestList.find((r) => r.uid === uid);
    if (!request) return;
    this.setRequests(this.requestList.filter((r) => r.uid !== uid));
    const online = PEOPLE.find((p) => p.uid === uid)?.online ?? false;
    this.setBuddies([...this.buddyList, { uid, name: request.name, presence: online ? 'online' : 'offline', unread: 0 }]);
  }

  async decline(uid: Uid): Promise<void> {
    this.setRequests(this.requestList.filter((r) => r.uid !== uid));
  }

  async removeBuddy(uid: Uid): Promise<void> {
    this.conversations.delete(uid);
    this.setBuddies(this.buddyList.filter((b) => b.uid !== uid));
  }

  async block(uid: Uid, name: string): Promise<void> {
    this.blockedList = [...this.blockedList.filter((b) => b.uid !== uid), { uid, name }];
    this.setRequests(this.requestList.filter((r) => r.uid !== uid));
    await this.removeBuddy(uid);
  }

  async unblock(uid: Uid): Promise<void> {
    this.blockedList = this.blockedList.filter((b) => b.uid !== uid);
    this.setBuddies(this.buddyList);
  }

  async setPreferences(change: Partial<Preferences>): Promise<void> {
    this.prefs = { ...this.prefs, ...change };
  }

  retry(peer: Uid, id: string): ChatMessage | undefined {
    const failed = this.conversations.get(peer)?.find((m) => m.id === id && m.status === 'failed');
    if (!failed) return undefined;
    this.conversations.set(peer, this.conversations.get(peer)!.filter((m) => m !== failed));
    return this.send(peer, failed.text);
  }

  send(peer: Uid, text: string): ChatMessage {
    const online = this.buddyList.find((b) => b.uid === peer)?.presence === 'online';
    if (text.length > LIMITS.messageChars) {
      const failed = { ...this.message(peer, 'out', text, 'failed', 0), error: `Too long: ${text.length} of at most ${LIMITS.messageChars} characters.` };
      this.store(failed);
      return failed;
    }
    const message = this.message(peer, 'out', text, online ? 'sent' : 'queued', 0);
    this.store(message);
    this.setBuddies(this.buddyList);
    if (online) {
      setTimeout(() => this.store({ ...message, status: 'delivered' }), DELAY_MS.delivered);
      // The paper's demo: the receiving peer answers back.
      setTimeout(() => this.receive(peer, `echo: ${text}`), DELAY_MS.echo);
    }
    return message;
  }

  markRead(peer: Uid): void {
    if (!this.buddyList.some((b) => b.uid === peer && b.unread > 0)) return;
    this.setBuddies(this.buddyList.map((b) => (b.uid === peer ? { ...b, unread: 0 } : b)));
  }

  chatOpened(): void {}

  exportBuddies(): string {
    return JSON.stringify({ dima: 'buddies', version: 1, buddies: this.buddyList.map(({ uid, name }) => ({ uid, name })) }, null, 2);
  }

  async importBuddies(json: string): Promise<number> {
    const parsed = JSON.parse(json) as { buddies?: Array<{ uid: Uid; name: string }> };
    const fresh = (parsed.buddies ?? []).filter((b) => !this.buddyList.some((known) => known.uid === b.uid));
    this.setBuddies([...this.buddyList, ...fresh.map((b) => ({ uid: b.uid, name: b.name, presence: 'offline' as const, unread: 0 }))]);
    return fresh.length;
  }

  // The demo has no network to invite anyone into.
  async createInvite(): Promise<InviteCreated> {
    return { ok: false, message: DEMO_INVITES };
  }

  async acceptInviteReply(): Promise<InviteOutcome> {
    return { ok: false, message: DEMO_INVITES };
  }

  async joinWithInvite(): Promise<InviteAnswered> {
    return { ok: false, message: DEMO_INVITES };
  }

  async leave(): Promise<void> {
    this.connection = { phase: 'left', links: 0, selfId: this.connection.selfId };
    this.emit('state', this.connection);
  }

  async rejoin(): Promise<void> {
    this.start(0);
  }

  private receive(peer: Uid, text: string): void {
    this.store(this.message(peer, 'in', text, 'delivered', 0));
    this.setBuddies(this.buddyList.map((b) => (b.uid === peer ? { ...b, unread: b.unread + 1 } : b)));
  }

  private message(peer: Uid, direction: ChatMessage['direction'], text: string, status: ChatMessage['status'], ageMs: number): ChatMessage {
    return { id: `demo-${this.nextMessage++}`, peer, direction, text, at: this.now() + ageMs, status };
  }

  private store(message: ChatMessage): void {
    const list = this.conversations.get(message.peer) ?? [];
    const index = list.findIndex((m) => m.id === message.id);
    this.conversations.set(message.peer, index < 0 ? [...list, message] : list.map((m, i) => (i === index ? message : m)));
    this.emit('message', message);
  }

  private setBuddies(buddies: Buddy[]): void {
    this.buddyList = buddies;
    this.emit('buddies', this.buddies());
  }

  private setRequests(requests: BuddyRequest[]): void {
    this.requestList = requests;
    this.emit('requests', requests);
  }
}

/** A plausible Pastry neighbourhood around selfId (b = 4, |L| = 16) with two routed paths. */
function demoOverlay(selfId: NodeId, now: number): OverlaySnapshot {
  const self = idToBigInt(selfId);
  const step = 1n << 120n; // leaves ~1/256 of the ring apart: a network of a few hundred nodes
  const leafSet = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((i) => [bigIntToId(self - BigInt(i) * step * 3n), bigIntToId(self + BigInt(i) * step * 2n)]);
  const routingTable = [];
  for (let row = 0; row < 3; row++) {
    for (let column = 0; column < 16; column++) {
      const own = parseInt(selfId[row], 16);
      if (column === own || (row > 0 && (column * 7 + row) % 3 !== 0)) continue;
      const prefix = selfId.slice(0, row) + column.toString(16);
      routingTable.push({ row, column, id: (prefix + demoId(`rt-${row}-${column}`).slice(row + 1)) as NodeId });
    }
  }
  const far = routingTable[5].id;
  const nearer = routingTable.find((e) => e.row === 1)!.id;
  return {
    selfId,
    leafSet,
    routingTable,
    recentPaths: [
      { kind: 'message', key: demoId('henrik'), hops: [selfId, far, demoId('hop-a'), demoId('henrik')], at: now - 2_000 },
      { kind: 'search', key: demoId('word-uppsala'), hops: [selfId, nearer, demoId('hop-b')], at: now - 9_000 },
    ],
  };
}
