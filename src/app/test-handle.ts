// window.__dima: a read-mostly handle for the Playwright tests (tests/e2e) and the messaging bench
// (bench/messaging.bench.ts), so they can check the overlay of real tabs from outside: who this tab
// is, its leaf set and links, where a routed key lands, and how chats travel (direct or routed, hops,
// when each message was shown). Besides reading, it can only do what the UI does (route() is the
// overlay picture's probe, send() the chat box's) and switch direct links off, as a user could prefer.

import { bytesToHex } from '../im/crypto.js';
import type { PeerConnectionCounts } from '../overlay/environment.js';
import type { NodeId } from '../overlay/id.js';
import type { Identity } from '../overlay/identity.js';
import type { LinkPath } from '../overlay/transports/ice.js';
import type { MessengerAdapter } from './messenger-adapter.js';
import type { SeedCache } from './seed-cache.js';

/** Milliseconds on a clock all tabs of one machine share: performance.timeOrigin + performance.now(). */
export type SharedTime = number;

export interface ChatLog {
  /** Incoming messages as the messenger showed them (in order, once). */
  readonly shown: readonly { from: NodeId; seq: number; text: string; at: SharedTime }[];
  /** Cumulative delivery receipts from buddies. */
  readonly receipts: readonly { to: NodeId; seq: number; at: SharedTime }[];
}

export interface DimaTestHandle {
  readonly id: NodeId;
  /** Hex Ed25519 public key behind the id (what a buddy record holds). */
  readonly publicKey: string;
  /** The node's state: idle | joining | joined | left. */
  readonly state: string;
  /** performance.now() when the node reached 'joined' (ms since navigation start), or null. */
  readonly joinedAt: number | null;
  leafSet(): NodeId[];
  links(): number;
  /** True while this node holds an open link to `peer`. */
  linkedTo(peer: NodeId): boolean;
  routingTable(): NodeId[];
  route(key: NodeId): Promise<{ root: NodeId; hops: number; path: NodeId[] }>;
  /** Buddies this tab chats with over a direct link right now. */
  directLinks(): NodeId[];
  useDirectLinks(enabled: boolean): void;
  /** The messenger's counters: chats sent direct / routed, chats received by hops, drops... */
  imStats(): Record<string, number>;
  /** As Settings > Import buddies: a dima-buddies JSON export; resolves with how many were new. */
  importBuddies(json: string): Promise<number>;
  /**
   * Sends a chat message through the messenger, as the chat box does but without its local echo and
   * overlay-picture probe; resolves with its seq once it is in the outbox.
   */
  send(peer: NodeId, text: string): Promise<number>;
  /** Everything shown and acknowledged since the page loaded (the newest LOG_LIMIT of each; live, not a copy). */
  chatLog(): ChatLog;
  /** The shared clock, as the log's `at` fields. */
  now(): SharedTime;
  /** RTCPeerConnections this page constructed, closed, still holds, and refused (a copy). */
  peerConnections(): PeerConnectionCounts;
  /** The entry point the current session joined through ('origin', 'same-browser', 'learned ws://…'), or null. */
  entryUsed(): string | null;
  /** The header's phase: joining | reconnecting | joined | alone | offline. */
  phase(): string;
  /** How many sessions this page has run (a rejoin opens a new one). */
  sessions(): number;
  /** Seed URLs the current session's last seed-board lookup returned. */
  seedLookup(): string[];
  /** Seed URLs this browser keeps for its next join (IndexedDB). */
  learnedSeeds(): Promise<string[]>;
  /** Closes every overlay link of this tab at once, as a network drop would (tests of rejoining). */
  cutLinks(): number;
  /** Ring-merge counters of the current node: checks, merges, hints, island checks (a copy). */
  mergeStats(): Record<string, number>;
  /** The selected ICE candidate pair of each open link: relayed (TURN) or direct (bench/nat.bench.ts). */
  linkPaths(): Promise<Record<string, LinkPath>>;
}

declare global {
  interface Window {
    __dima?: DimaTestHandle;
  }
}

const LOG_LIMIT = 20_000;

export function installTestHandle(adapter: MessengerAdapter, identity: Identity, seedCache: SeedCache): void {
  let joinedAt: number | null = null;
  const markJoined = () => {
    if (joinedAt === null && adapter.current.node.state === 'joined') joinedAt = performance.now();
  };
  adapter.on('state', markJoined);
  markJoined();

  const now = () => performance.timeOrigin + performance.now();
  const log = { shown: [] as ChatLog['shown'][number][], receipts: [] as ChatLog['receipts'][number][] };
  const keep = <T>(list: T[], item: T) => {
    list.push(item);
    if (list.length > LOG_LIMIT) list.shift();
  };
  // The messenger of the current session (boot.ts replaces a session whose join failed).
  let followed: unknown;
  let sessions = 0;
  const follow = () => {
    const { messenger } = adapter.current;
    if (messenger === followed) return;
    followed = messenger;
    sessions++;
    messenger.on('message', ({ from, seq, text }) => keep(log.shown, { from, seq, text, at: now() }));
    messenger.on('receipt', ({ to, seq }) => keep(log.receipts, { to, seq, at: now() }));
  };
  follow();
  adapter.on('state', follow);

  window.__dima = {
    get id() {
      return adapter.current.node.id;
    },
    publicKey: bytesToHex(identity.publicKey),
    get state() {
      return adapter.current.node.state;
    },
    get joinedAt() {
      return joinedAt;
    },
    leafSet: () => adapter.current.node.leafSet.members(),
    links: () => adapter.current.node.links.size,
    linkedTo: (peer) => adapter.current.node.links.has(peer),
    routingTable: () => adapter.current.node.routingTable.entries(),
    route: async (key) => {
      const { root, hops, path } = await adapter.probe(key);
      return { root, hops, path };
    },
    directLinks: () => adapter.current.messenger.directLinks(),
    useDirectLinks: (enabled) => adapter.current.messenger.useDirectLinks(enabled),
    imStats: () => adapter.current.messenger.stats.snapshot(),
    importBuddies: (json) => adapter.importBuddies(json),
    send: async (peer, text) => (await adapter.current.messenger.send(peer, text)).seq,
    chatLog: () => log,
    now,
    peerConnections: () => ({ ...adapter.current.transport.connections }),
    entryUsed: () => adapter.current.entryUsed,
    phase: () => adapter.state().phase,
    sessions: () => sessions,
    seedLookup: () => [...adapter.current.lastSeedLookup],
    mergeStats: () => ({ ...adapter.current.node.stats.merge }),
    learnedSeeds: async () => (await seedCache.load()).map((seed) => seed.url),
    cutLinks: () => {
      const links = [...adapter.current.node.links.all()];
      for (const entry of links) entry.link.close();
      return links.length;
    },
    linkPaths: async () => Object.fromEntries(await adapter.current.transport.linkPaths()),
  };
}
