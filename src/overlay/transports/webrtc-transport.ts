// The real Transport: one RTCPeerConnection with one data channel per link, through simple-peer.
//
// Non-trickle ICE (docs/DESIGN.md): simple-peer waits for ICE gathering to finish and emits ONE offer and
// ONE answer, so a link costs exactly two signalling messages (through the bootstrap or the overlay).
// A SignalBlob's data is the raw SDP text.
//
// A link reaches onLink only after the peer proved its key on this very DTLS session (link-auth.ts),
// and, when we dialled a known id, only if that key hashes to it.
//
// The WebRTC implementation is injected: browsers have RTCPeerConnection built in; Node passes
// @roamhq/wrtc. Nothing here imports a Node-only module, so the same file runs in a tab.
//
// Every RTCPeerConnection is constructed through a PeerConnectionBudget (peer-connection-budget.ts):
// a page can hold only so many, so a dial or answer at the limit is refused with PeerConnectionLimit.
//
// Across real networks (issue 16, docs/DEPLOY.md): the STUN/TURN servers are read at every
// construction (they can change: short-lived TURN credentials are refreshed), and a link whose ICE
// connectivity is lost is closed rather than left to carry frames into the void: at once on ICE
// `failed` (simple-peer destroys itself), after `iceDisconnectedGraceMs` of `disconnected` (a brief
// loss, a Wi-Fi hand-over, recovers by itself within that). The node then treats the peer as any
// closed link (leaf repair, the link keeper redialling through the overlay what it still needs).
// No ICE restart: after the link opened there is no signalling path of its own (non-trickle, the
// offer/answer went through the introducer or the overlay once), and a fresh dial through the
// overlay costs the same two routed messages a restart would.
//
// This file holds the set of sessions and what they share; one session (one RTCPeerConnection from
// offer to close) and its link are in peer-session.ts.

import { MAX_FRAME_BYTES } from '../config.js';
import type { Clock, Link, PeerConnectionCounts, SignalBlob, Signaller, Transport, TransportEvents } from '../environment.js';
import type { NodeId } from '../id.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { Identity } from '../identity.js';
import { MAX_SIGNAL_CHARS } from './frame-codec.js';
import { realClock } from './real-environment.js';
import { PeerConnectionBudget } from './peer-connection-budget.js';
import { iceServerFunction, type IceServerSource, type LinkPath } from './ice.js';
import { describe, PeerSession, type SessionHost, type WebRtcTransportStats, type WrtcImplementation } from './peer-session.js';

export { selectedPath, type IceServerSource, type LinkPath } from './ice.js';
export { WebRtcLink, type LinkCloseReason, type WebRtcTransportStats, type WrtcImplementation } from './peer-session.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
/**
 * How long an open link may stay ICE `disconnected` before we close it. Chromium reports
 * `disconnected` about 2.5-5 s after the last STUN response on the selected pair and `failed` only
 * when consent expires (30 s, RFC 7675); 5 s more rides out a brief loss without stalling routed
 * traffic for half a minute.
 */
export const DEFAULT_ICE_DISCONNECTED_GRACE_MS = 5_000;


export interface WebRtcTransportOptions {
  identity: Identity;
  /**
   * STUN/TURN servers. Empty (the default) is enough on one host or one LAN. A function is called at
   * every peer connection constructed (src/app/ice-config.ts refreshes TURN credentials behind it).
   */
  iceServers?: IceServerSource;
  /** An open link ICE-`disconnected` this long is closed (DEFAULT_ICE_DISCONNECTED_GRACE_MS). */
  iceDisconnectedGraceMs?: number;
  /**
   * Declares Transport.failureDetectionMs: the node then sends no keep-alives of its own and relies
   * on this transport closing links to vanished peers. Undefined (the default) declares nothing.
   * What would justify 30_000: ICE consent freshness (RFC 7675; Chromium and libwebrtc) fails a pair
   * 30 s after its last answered check, and `disconnected` + the grace closes it sooner (10.7 and
   * 11.0 s for a dead network in tests/integration/nat-turn.test.ts). Against it: in two runs of four
   * @roamhq/wrtc reported no ICE change at all within the 16-18 s the keep-alive took, and a peer
   * whose network thread still answers STUN while its page no longer handles frames (a hung
   * renderer) is never reported; per-hop acks route around it, but it stays in the leaf set.
   */
  failureDetectionMs?: number;
  /** Node: `import wrtc from '@roamhq/wrtc'`. Browsers: leave undefined (native RTCPeerConnection). */
  wrtc?: WrtcImplementation;
  /** From creating the peer connection to an authenticated link (signalling + ICE + DTLS + proofs). */
  connectTimeoutMs?: number;
  /** Timers for the timeouts; defaults to setTimeout. */
  clock?: Clock;
  /** Source of handshake nonces; defaults to crypto.getRandomValues. Tests may make it deterministic. */
  randomBytes?: (n: number) => Uint8Array;
  maxFrameBytes?: number;
  /**
   * Held peer connections at which dials and answers are refused (default 500, Chromium's limit per
   * page). A Node peer over @roamhq/wrtc has no such limit and passes Infinity.
   */
  peerConnectionLimit?: number;
  /** A budget shared with other transports of the same page (the app's sessions); overrides peerConnectionLimit. */
  peerConnections?: PeerConnectionBudget;
}

export interface ConnectOptions {
  /**
   * Instead of the transport's connectTimeoutMs, for this one session: an invite's peer connection
   * waits for a person to carry the answer over (minutes), not for the overlay (seconds).
   */
  connectTimeoutMs?: number;
}

export class WebRtcTransport implements Transport, SessionHost {
  readonly localId: NodeId;
  readonly stats: WebRtcTransportStats = {
    dials: 0,
    dialFailures: 0,
    answers: 0,
    answerFailures: 0,
    linksOpened: 0,
    linksClosed: 0,
    authFailures: 0,
    timeouts: 0,
    framesSent: 0,
    framesReceived: 0,
    droppedMalformed: 0,
    droppedOversized: 0,
    droppedOutgoing: 0,
    iceDisconnected: 0,
    iceRecovered: 0,
    iceFailedClosed: 0,
    iceDisconnectedClosed: 0,
    closedBy: { connectivity: 0, remote: 0, local: 0, error: 0 },
  };
  private events: TransportEvents | null = null;
  private readonly sessions = new Set<PeerSession>();
  private stopped = false;
  readonly failureDetectionMs: number | undefined;
  readonly settings: Required<Omit<WebRtcTransportOptions, 'wrtc' | 'peerConnectionLimit' | 'peerConnections' | 'iceServers' | 'failureDetectionMs'>> & {
    iceServers: () => RTCIceServer[];
  };
  readonly peerConnections: PeerConnectionBudget;
  /** What simple-peer constructs from: the injected or built-in implementation, counted by the budget. */
  readonly wrtc: WrtcImplementation | undefined;

  constructor(options: WebRtcTransportOptions) {
    this.localId = options.identity.id;
    this.settings = {
      identity: options.identity,
      iceServers: iceServerFunction(options.iceServers),
      iceDisconnectedGraceMs: options.iceDisconnectedGraceMs ?? DEFAULT_ICE_DISCONNECTED_GRACE_MS,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      clock: options.clock ?? realClock,
      randomBytes: options.randomBytes ?? randomBytes,
      maxFrameBytes: options.maxFrameBytes ?? MAX_FRAME_BYTES,
    };
    this.failureDetectionMs = options.failureDetectionMs;
    this.peerConnections = options.peerConnections ?? new PeerConnectionBudget({ limit: options.peerConnectionLimit });
    this.wrtc = this.peerConnections.instrument(options.wrtc);
  }

  /** Live counts of the peer connections constructed through this transport's budget. */
  get connections(): PeerConnectionCounts {
    return this.peerConnections.counts;
  }

  start(events: TransportEvents): void {
    this.events = events;
    this.stopped = false;
  }

  /** Links that are authenticated and open right now. */
  get openLinks(): number {
    let n = 0;
    for (const session of this.sessions) if (session.isOpen) n++;
    return n;
  }

  /** Peer connections that exist right now (connecting or open); 0 after failures means nothing leaked. */
  get activeSessions(): number {
    return this.sessions.size;
  }

  async dial(peer: NodeId | null, signal: Signaller, options: ConnectOptions = {}): Promise<Link> {
    this.stats.dials++;
    try {
      const session = this.openSession(true, peer, options);
      const offer = await session.localSignal;
      let answer: SignalBlob;
      try {
        // The session's own timeout must also end a signaller that never answers.
        answer = await Promise.race([signal(offer), session.established.then(() => offer)]);
      } catch (error) {
        session.fail(`signalling failed: ${describe(error)}`);
        return await session.established;
      }
      if (!isSignalBlob(answer, 'answer')) session.fail('the signaller returned something that is not an answer');
      else session.acceptRemote(answer);
      return await session.established;
    } catch (error) {
      this.stats.dialFailures++;
      throw error;
    }
  }

  async answer(from: NodeId | null, offer: SignalBlob): Promise<SignalBlob> {
    return (await this.answerLinked(from, offer)).answer;
  }

  /**
   * As answer(), and also the link this answer will open (it still reaches onLink like any other).
   * For introductions made by hand, where the answering side is the one joining (an invite: the
   * inviter offers), with a timeout as long as people need to carry the answer back.
   */
  async answerLinked(from: NodeId | null, offer: SignalBlob, options: ConnectOptions = {}): Promise<{ answer: SignalBlob; link: Promise<Link> }> {
    this.stats.answers++;
    try {
      if (!isSignalBlob(offer, 'offer')) throw new Error('not an SDP offer');
      const session = this.openSession(false, from, options);
      // The answering side learns the outcome through onLink (or nothing); the promise is only for the dialler.
      session.established.catch(() => {});
      session.acceptRemote(offer);
      return { answer: await session.localSignal, link: session.established };
    } catch (error) {
      this.stats.answerFailures++;
      throw error;
    }
  }

  /** The selected candidate pair of every open link (which are relayed, which direct). */
  async linkPaths(): Promise<Map<NodeId, LinkPath>> {
    const paths = new Map<NodeId, LinkPath>();
    await Promise.all(
      [...this.sessions].map(async (session) => {
        const peer = session.peerId;
        if (!session.isOpen || !peer) return;
        const path = await session.path();
        if (path) paths.set(peer, path);
      }),
    );
    return paths;
  }

  stop(): void {
    this.stopped = true;
    for (const session of [...this.sessions]) session.close('transport stopped', 'local');
  }

  private openSession(initiator: boolean, expectedPeer: NodeId | null, options: ConnectOptions): PeerSession {
    if (this.stopped) throw new Error('transport stopped');
    if (!this.events) throw new Error('transport not started');
    this.peerConnections.reserve();
    const timeoutMs = options.connectTimeoutMs ?? this.settings.connectTimeoutMs;
    const session = new PeerSession(this, this.events, initiator, expectedPeer, timeoutMs, () => this.sessions.delete(session));
    this.sessions.add(session);
    return session;
  }
}

function isSignalBlob(value: unknown, kind: SignalBlob['kind']): value is SignalBlob {
  if (typeof value !== 'object' || value === null) return false;
  const blob = value as Record<string, unknown>;
  return blob.kind === kind && typeof blob.data === 'string' && blob.data.length > 0 && blob.data.length <= MAX_SIGNAL_CHARS;
}
