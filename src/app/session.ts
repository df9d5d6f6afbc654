// One run of this tab in the overlay: the WebRTC transport, the Pastry node and the applications on
// it (SCAN directory, seed board, messenger, probe). A node joins once; when a join fails half-way,
// or the joined node lost every link, the node cannot start again, so boot.ts throws the whole
// session away and opens a new one (the stored identity, buddies and outbox carry over through
// storage; the page's PeerConnectionBudget is shared).
//
// Once joined a session also serves as an entry point for others: it volunteers at the origin's
// introducer, introduces tabs of this browser over BroadcastChannel while it holds the browser's
// introducer lock, and looks up the seed board so the next join knows seeds.

import { keepVolunteering } from '../overlay/bootstrap/client.js';
import type { OverlayConfig } from '../overlay/config.js';
import type { Introduction, Signaller } from '../overlay/environment.js';
import type { Identity } from '../overlay/identity.js';
import { watchForIslands, type IslandWatch } from '../overlay/island-watch.js';
import { PastryNode } from '../overlay/pastry-node.js';
import { cryptoRandom, realClock } from '../overlay/transports/real-environment.js';
import type { PeerConnectionBudget } from '../overlay/transports/peer-connection-budget.js';
import { WebRtcTransport, type IceServerSource } from '../overlay/transports/webrtc-transport.js';
import { Emitter } from '../im/events.js';
import { scanBuddySearch } from '../im/directory-search.js';
import { Messenger } from '../im/messenger.js';
import type { ImStorage } from '../im/storage.js';
import { SCAN_APPLICATION, ScanDirectory } from '../scan/directory.js';
import type { ProfileFields } from '../scan/records.js';
import { BroadcastIntroducer, SAME_BROWSER_ENTRY, type OpenChannel } from './broadcast-introducer.js';
import { APP_CONFIG } from './config.js';
import { enterThroughAny, NoEntryPoint, type EntryOutcome, type EntryPoint } from './entry-points.js';
import { Probe } from './probe.js';
import { SEEDS_APPLICATION, SeedBoard } from './seed-board.js';
import type { SeedCache } from './seed-cache.js';

/** reconnecting: joining again after a session that was joined lost its links; left: the user left. */
export type SessionPhase = 'joining' | 'reconnecting' | 'joined' | 'offline' | 'left';

/** Only one tab of a browser answers same-browser joins: the one holding this Web Lock. */
const INTRODUCER_LOCK = 'dima-introducer';
/** After joining, the seed board is read this long after, then at each later delay, then every last one. */
export const SEED_LOOKUP_DELAYS_MS = [2_000, 15_000, 60_000, 10 * 60_000] as const;

/** What a session needs of navigator.locks. */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<unknown>): Promise<unknown>;
}

/** How a join attempt ended: 'unreachable' may be retried on the same session, 'failed' may not. */
export type JoinOutcome = 'joined' | 'unreachable' | 'failed' | 'stopped';

export interface SessionOptions {
  identity: Identity;
  storage: ImStorage;
  /** ws(s)://host/bootstrap of the origin: volunteered at once joined. */
  bootstrapUrl: string;
  /** The ways in, in order (entry-points.ts); asked afresh at every join (learned seeds change). */
  entryPoints: () => Promise<EntryPoint[]>;
  /** Seeds learned from the seed board are remembered here. */
  seedCache?: SeedCache;
  /** Same-browser introductions: the channel, and the lock that makes one tab answer (none: always answer). */
  sameBrowser?: { openChannel: OpenChannel; locks?: LockManagerLike };
  /** This session replaces one that was joined (phase 'reconnecting' while it joins). */
  rejoin?: boolean;
  /** STUN/TURN servers, read at each peer connection (TURN credentials are refreshed). */
  iceServers: IceServerSource;
  /** Overlay settings other than the defaults (see config.ts overlayShape). */
  overlay?: Partial<OverlayConfig>;
  /**
   * The page's peer-connection budget. A session replacing a failed one must share it: the old
   * transport's connections count against the browser's limit until they are garbage collected.
   */
  peerConnections?: PeerConnectionBudget;
}

export class Session {
  readonly transport: WebRtcTransport;
  readonly node: PastryNode;
  readonly directory: ScanDirectory;
  readonly probe: Probe;
  readonly seeds: SeedBoard;
  /** lost: joined, and every link closed (not a first node that never had one). */
  readonly events = new Emitter<{ phase: SessionPhase; lost: void }>();
  /** The entry point the join went through (or that said "first"); null before. */
  entryUsed: string | null = null;
  /** True when the join found nobody and started a ring. */
  first = false;
  /** Seed URLs the last seed-board lookup returned. */
  lastSeedLookup: string[] = [];
  private currentPhase: SessionPhase = 'offline';
  private volunteering: { stop(): void } | undefined;
  private islandWatch: IslandWatch | undefined;
  private introducer: BroadcastIntroducer | undefined;
  private directoryFields: ProfileFields | undefined;
  private ended = false;
  /** The node's one start (through an entry point or an invite), once begun. */
  private starting: Promise<JoinOutcome> | undefined;
  private readonly abort = new AbortController();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private hadLinks = false;

  static async open(options: SessionOptions): Promise<Session> {
    const session = new Session(options);
    session.messenger = await Messenger.open({
      identity: options.identity,
      storage: options.storage,
      overlay: session.node,
      clock: realClock,
      random: cryptoRandom,
      search: scanBuddySearch(session.directory),
    });
    return session;
  }

  messenger!: Messenger;

  private constructor(private readonly options: SessionOptions) {
    const { identity } = options;
    this.transport = new WebRtcTransport({ identity, iceServers: options.iceServers, peerConnections: options.peerConnections });
    this.node = new PastryNode({ transport: this.transport, clock: realClock, random: cryptoRandom, config: options.overlay });
    this.probe = new Probe((name, app) => this.node.register(name, app));
    this.directory = new ScanDirectory({ connect: (app) => this.node.register(SCAN_APPLICATION, app), identity, clock: realClock, random: cryptoRandom });
    this.seeds = new SeedBoard({ connect: (app) => this.node.register(SEEDS_APPLICATION, app), clock: realClock, random: cryptoRandom });
    this.node.on('links', (count) => this.onLinks(count));
    if (options.rejoin) this.currentPhase = 'reconnecting';
  }

  get phase(): SessionPhase {
    return this.currentPhase;
  }

  /** Goes in through the first entry point that answers (none: we found a new ring) and joins; then goes live. */
  async join(): Promise<JoinOutcome> {
    if (this.ended) return 'stopped';
    if (this.starting) return this.starting;
    if (this.node.state === 'joined') return 'joined';
    this.setPhase(this.options.rejoin ? 'reconnecting' : 'joining');
    let outcome;
    try {
      outcome = await this.enter(await this.options.entryPoints());
    } catch (error) {
      // No entry point (offline, the server down, no seed or tab answering): the node is still idle
      // and may try again, unless an invite started it meanwhile.
      if (this.starting) return this.starting;
      if (!this.ended) this.setPhase('offline');
      if (!(error instanceof NoEntryPoint)) console.warn('join:', error);
      return this.ended ? 'stopped' : 'unreachable';
    }
    if (this.starting) return this.starting; // an invite got there first; the introduction lapses
    this.entryUsed = outcome.entry;
    this.first = outcome.signaller === null;
    return this.startNode(outcome.signaller);
  }

  /**
   * Joins through an introduction made outside the bootstrap (an invite: a link we answered; null
   * founds a ring of our own so that others can be invited into it). While it runs, join() waits
   * for it instead of starting the node a second time.
   */
  joinThrough(introduction: Introduction | null): Promise<JoinOutcome> {
    if (this.ended) return Promise.resolve('stopped');
    if (this.starting) return this.starting;
    if (this.node.state !== 'idle') return Promise.resolve(this.node.state === 'joined' ? 'joined' : 'failed');
    this.setPhase('joining');
    this.entryUsed = 'invite';
    this.first = introduction === null;
    return this.startNode(introduction);
  }

  private startNode(introduction: Introduction | null): Promise<JoinOutcome> {
    this.starting = (async (): Promise<JoinOutcome> => {
      try {
        await this.node.start(introduction);
      } catch {
        if (!this.ended) this.setPhase('offline');
        return this.ended ? 'stopped' : 'failed';
      }
      if (this.ended || (this.node.state as string) !== 'joined') return 'stopped';
      this.messenger.start();
      if (this.directoryFields) this.directory.publish(this.directoryFields);
      // The introducer may ask us to meet another volunteer (after its restart): if that one is of
      // another ring, the two rings merge (PastryNode.meet).
      this.volunteering = keepVolunteering(this.options.bootstrapUrl, this.transport, WebSocket, {
        maxRetryMs: APP_CONFIG.retryMaxMs,
        onMeet: (signal) => void this.node.meet(signal).catch(() => {}),
      });
      this.introduceSameBrowserTabs();
      this.islandWatch = watchForIslands(this.node, { introduce: () => this.introduceForIslandCheck() });
      this.lookUpSeeds(0);
      this.setPhase('joined');
      return 'joined';
    })();
    return this.starting;
  }

  /**
   * What the header shows: 'alone' while joined without ever having had a link (the first node of a
   * ring nobody else is in yet), 'reconnecting' once every link of a joined node closed.
   */
  get shownPhase(): SessionPhase | 'alone' {
    if (this.currentPhase !== 'joined' || this.node.links.size > 0) return this.currentPhase;
    return this.hadLinks ? 'reconnecting' : 'alone';
  }

  /** What others find us by; published now if joined, else as soon as we are. Undefined withdraws. */
  setDirectoryFields(fields: ProfileFields | undefined): void {
    this.directoryFields = fields;
    if (this.node.state !== 'joined') return;
    if (fields) this.directory.publish(fields);
    else this.directory.unpublish();
  }

  /** Graceful leave (pagehide, "Leave the network"): buddies, directory and leaf set are told. */
  leave(): void {
    if (this.ended) return;
    this.end();
    this.messenger.stop();
    if (this.node.state === 'joined') this.directory.unpublish();
    this.directory.stop();
    this.node.leave();
    this.setPhase('left');
  }

  /**
   * Silent stop: another tab took this identity over and is joining with the same nodeId, so nobody
   * may be told "gone" or "offline" on its behalf. The node goes first, so the messenger's goodbye
   * has nowhere to go.
   */
  stop(): void {
    if (this.ended) return;
    this.end();
    this.node.stop();
    this.directory.stop();
    this.messenger.stop();
    this.setPhase('offline');
  }

  private end(): void {
    this.ended = true;
    this.abort.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.volunteering?.stop();
    this.islandWatch?.stop();
    this.introducer?.stop();
    this.seeds.stop();
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.ended) run();
    }, ms);
    this.timers.add(timer);
  }

  /** Every link closed while joined: after a short grace (one may be reopening), the session is lost. */
  private onLinks(count: number): void {
    if (count > 0) this.hadLinks = true;
    if (count > 0 || !this.hadLinks || this.currentPhase !== 'joined') return;
    this.later(APP_CONFIG.lostGraceMs, () => {
      if (this.node.links.size === 0 && this.currentPhase === 'joined') this.events.emit('lost', undefined);
    });
  }

  /**
   * A fresh introduction for the island watch (island-watch.ts: our leaf set is not full, so we may be
   * on a ring of our own). Not through this browser's channel while we answer it ourselves: that
   * would introduce us to ourselves (the link's proof refuses our own key, two connections spent).
   */
  private async introduceForIslandCheck(): Promise<Signaller | undefined> {
    const entries = (await this.options.entryPoints()).filter((entry) => !(this.introducer && entry.name === SAME_BROWSER_ENTRY));
    return (await this.enter(entries)).signaller ?? undefined;
  }

  /** The first of `entries` to answer, with the app's head starts; stops when the session ends. */
  private enter(entries: readonly EntryPoint[]): Promise<EntryOutcome> {
    return enterThroughAny(entries, { clock: realClock, headStartMs: APP_CONFIG.entryHeadStartMs, signal: this.abort.signal });
  }

  /**
   * Answers same-browser joins while this tab holds the browser's introducer lock (one tab at a
   * time; when it ends, the next joined tab waiting for the lock takes over).
   */
  private introduceSameBrowserTabs(): void {
    const sameBrowser = this.options.sameBrowser;
    if (!sameBrowser) return;
    const start = () => {
      this.introducer = new BroadcastIntroducer({
        openChannel: sameBrowser.openChannel, answer: (offer) => this.transport.answer(null, offer), clock: realClock, random: cryptoRandom,
      });
    };
    if (!sameBrowser.locks) return start();
    const ended = new Promise<void>((resolve) => this.abort.signal.addEventListener('abort', () => resolve(), { once: true }));
    sameBrowser.locks
      .request(INTRODUCER_LOCK, { signal: this.abort.signal }, () => {
        if (!this.ended) start();
        return ended;
      })
      .catch(() => {}); // aborted: the session ended while waiting for the lock
  }

  /** Reads the seed board and remembers what it names, on the SEED_LOOKUP_DELAYS_MS schedule. */
  private lookUpSeeds(round: number): void {
    const cache = this.options.seedCache;
    if (!cache) return;
    const delays = SEED_LOOKUP_DELAYS_MS;
    this.later(delays[Math.min(round, delays.length - 1)], () => {
      this.seeds.lookup().then(
        (records) => {
          this.lastSeedLookup = records.map((record) => record.url);
          if (records.length > 0) void cache.remember(this.lastSeedLookup, Date.now());
        },
        () => {}, // no answer this round: the next one asks again
      );
      this.lookUpSeeds(round + 1);
    });
  }

  private setPhase(phase: SessionPhase): void {
    if (phase === this.currentPhase) return;
    this.currentPhase = phase;
    this.events.emit('phase', phase);
  }
}
