// One run of this tab in the overlay: the WebRTC transport, the Pastry node and the applications on
// it (SCAN directory, messenger, probe). A node joins once; when a join fails half-way the node
// cannot start again, so boot.ts throws the whole session away and opens a new one (the stored
// identity, buddies and outbox carry over through storage).

import { bootstrapSignaller, keepVolunteering } from '../overlay/bootstrap/client.js';
import type { OverlayConfig } from '../overlay/config.js';
import type { Introduction } from '../overlay/environment.js';
import type { Identity } from '../overlay/identity.js';
import { PastryNode } from '../overlay/pastry-node.js';
import { cryptoRandom, realClock } from '../overlay/transports/real-environment.js';
import type { PeerConnectionBudget } from '../overlay/transports/peer-connection-budget.js';
import { WebRtcTransport } from '../overlay/transports/webrtc-transport.js';
import { Emitter } from '../im/events.js';
import { scanBuddySearch } from '../im/directory-search.js';
import { Messenger } from '../im/messenger.js';
import type { ImStorage } from '../im/storage.js';
import { SCAN_APPLICATION, ScanDirectory } from '../scan/directory.js';
import type { ProfileFields } from '../scan/records.js';
import { Probe } from './probe.js';

export type SessionPhase = 'joining' | 'joined' | 'offline';

/** How a join attempt ended: 'unreachable' may be retried on the same session, 'failed' may not. */
export type JoinOutcome = 'joined' | 'unreachable' | 'failed' | 'stopped';

export interface SessionOptions {
  identity: Identity;
  storage: ImStorage;
  /** ws(s)://host/bootstrap */
  bootstrapUrl: string;
  iceServers: RTCIceServer[];
  /** How long to wait for the introducer before calling the bootstrap unreachable. */
  bootstrapTimeoutMs?: number;
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
  readonly events = new Emitter<{ phase: SessionPhase }>();
  private currentPhase: SessionPhase = 'offline';
  private volunteering: { stop(): void } | undefined;
  private directoryFields: ProfileFields | undefined;
  private ended = false;
  /** The node's one start (through the bootstrap or an invite), once begun. */
  private starting: Promise<JoinOutcome> | undefined;

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
  }

  get phase(): SessionPhase {
    return this.currentPhase;
  }

  /** Asks the bootstrap for a first link (none: we found a new ring) and joins; then goes live. */
  async join(): Promise<JoinOutcome> {
    if (this.ended) return 'stopped';
    if (this.starting) return this.starting;
    if (this.node.state === 'joined') return 'joined';
    this.setPhase('joining');
    const { bootstrapUrl } = this.options;
    let signaller;
    try {
      signaller = await bootstrapSignaller(bootstrapUrl, WebSocket, { timeoutMs: this.options.bootstrapTimeoutMs ?? 15_000 });
    } catch {
      // No introducer (offline, or the server is down): the node is still idle and may try again,
      // unless an invite started it meanwhile.
      if (this.starting) return this.starting;
      if (!this.ended) this.setPhase('offline');
      return this.ended ? 'stopped' : 'unreachable';
    }
    if (this.starting) return this.starting; // an invite got there first; the introduction lapses
    return this.startNode(signaller);
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
      this.volunteering = keepVolunteering(this.options.bootstrapUrl, this.transport, WebSocket);
      this.setPhase('joined');
      return 'joined';
    })();
    return this.starting;
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
    this.ended = true;
    this.volunteering?.stop();
    this.messenger.stop();
    if (this.node.state === 'joined') this.directory.unpublish();
    this.directory.stop();
    this.node.leave();
    this.setPhase('offline');
  }

  /**
   * Silent stop: another tab took this identity over and is joining with the same nodeId, so nobody
   * may be told "gone" or "offline" on its behalf. The node goes first, so the messenger's goodbye
   * has nowhere to go.
   */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.volunteering?.stop();
    this.node.stop();
    this.directory.stop();
    this.messenger.stop();
    this.setPhase('offline');
  }

  private setPhase(phase: SessionPhase): void {
    if (phase === this.currentPhase) return;
    this.currentPhase = phase;
    this.events.emit('phase', phase);
  }
}
