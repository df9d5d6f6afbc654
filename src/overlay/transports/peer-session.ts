// One link of the WebRTC transport (webrtc-transport.ts): a PeerSession is one RTCPeerConnection
// through simple-peer, from the local offer or answer through ICE and the key proofs (link-auth.ts)
// to close; a WebRtcLink is the open session as the node sees it. The transport keeps the set of
// sessions and what they share (settings, counters, the page's peer-connection budget: SessionHost).

import SimplePeer from 'simple-peer';
import type { Clock, Link, SignalBlob, TimerHandle, TransportEvents } from '../environment.js';
import type { NodeId } from '../id.js';
import type { Identity } from '../identity.js';
import { decodeFrame, encodeFrame } from './frame-codec.js';
import { channelBinding, LinkHandshake, NONCE_BYTES, type HandshakeStep } from './link-auth.js';
import type { PeerConnectionBudget } from './peer-connection-budget.js';
import { DisconnectGrace, selectedPath, type LinkPath, type StatsReport } from './ice.js';

export type WrtcImplementation = NonNullable<SimplePeer.Options['wrtc']>;

/** Counters, for tests, benchmarks and the UI's overlay picture. */
export interface WebRtcTransportStats {
  dials: number;
  dialFailures: number;
  answers: number;
  answerFailures: number;
  linksOpened: number;
  linksClosed: number;
  authFailures: number;
  timeouts: number;
  framesSent: number;
  framesReceived: number;
  /** Incoming frames that were not JSON (or not UTF-8). */
  droppedMalformed: number;
  /** Incoming frames over maxFrameBytes. */
  droppedOversized: number;
  /** Frames the node asked us to send that were oversized, unserialisable, or for a closed link. */
  droppedOutgoing: number;
  /** Open links whose ICE went `disconnected`, and those of them that came back within the grace. */
  iceDisconnected: number;
  iceRecovered: number;
  /** Links closed for lost connectivity: ICE `failed`, or `disconnected` past the grace. */
  iceFailedClosed: number;
  iceDisconnectedClosed: number;
  /** Open links closed, by LinkCloseReason. */
  closedBy: Record<LinkCloseReason, number>;
}

/** What sessions share, held by the transport. */
export interface SessionHost {
  readonly settings: {
    readonly identity: Identity;
    /** Read at every construction: a TURN credential may have been refreshed. */
    readonly iceServers: () => RTCIceServer[];
    readonly iceDisconnectedGraceMs: number;
    readonly clock: Clock;
    readonly randomBytes: (n: number) => Uint8Array;
    readonly maxFrameBytes: number;
  };
  readonly stats: WebRtcTransportStats;
  readonly peerConnections: PeerConnectionBudget;
  /** What simple-peer constructs from: the injected or built-in implementation, counted by the budget. */
  readonly wrtc: WrtcImplementation | undefined;
}

type SessionState = 'connecting' | 'open' | 'closed';

/** One RTCPeerConnection, from offer to close. */
export class PeerSession {
  readonly localSignal: Promise<SignalBlob>;
  readonly established: Promise<Link>;
  private resolveSignal!: (blob: SignalBlob) => void;
  private rejectSignal!: (error: Error) => void;
  private resolveLink!: (link: Link) => void;
  private rejectLink!: (error: Error) => void;
  private state: SessionState = 'connecting';
  private readonly peer: SimplePeer.Instance;
  private readonly timer: TimerHandle;
  private localSdp: string | null = null;
  private remoteSdp: string | null = null;
  private handshake: LinkHandshake | null = null;
  private link: WebRtcLink | null = null;
  private readonly grace: DisconnectGrace;
  /** False when simple-peer got no RTCPeerConnection at all: nothing to count as closed. */
  private readonly constructed: boolean;

  constructor(
    private readonly transport: SessionHost,
    private readonly events: TransportEvents,
    private readonly initiator: boolean,
    private readonly expectedPeer: NodeId | null,
    timeoutMs: number,
    private readonly onGone: () => void,
  ) {
    const { settings } = transport;
    this.localSignal = new Promise((resolve, reject) => {
      this.resolveSignal = resolve;
      this.rejectSignal = reject;
    });
    this.localSignal.catch(() => {}); // only awaited on some paths
    this.established = new Promise((resolve, reject) => {
      this.resolveLink = resolve;
      this.rejectLink = reject;
    });
    // Not awaited while ICE gathering runs: a session closed in that window (stop(), a timeout)
    // must not surface as an unhandled rejection, which kills a Node peer.
    this.established.catch(() => {});
    const outcome = transport.peerConnections.construct(
      () =>
        new SimplePeer({
          initiator,
          trickle: false,
          objectMode: true, // text messages stay strings: no Buffer round trip
          // Read now, not at transport construction: a TURN credential may have been refreshed since.
          config: { iceServers: settings.iceServers() },
          wrtc: transport.wrtc,
        }),
    );
    this.peer = outcome.value;
    if (outcome.kind === 'refused') {
      // simple-peer destroys itself and re-emits the browser's error a microtask later; with no
      // listener that 'error' would be thrown as uncaught.
      this.peer.on('error', () => {});
      throw outcome.error;
    }
    this.constructed = outcome.kind === 'constructed';
    this.timer = settings.clock.setTimer(timeoutMs, () => {
      if (this.state !== 'connecting') return;
      transport.stats.timeouts++;
      this.fail(`no authenticated link within ${timeoutMs} ms`);
    });
    this.peer.on('signal', (data: SimplePeer.SignalData) => this.onLocalSignal(data));
    this.peer.on('connect', () => this.onChannelOpen());
    this.peer.on('data', (data: unknown) => this.onData(data));
    // `failed` needs nothing here: simple-peer destroys itself and the 'error' handler closes the link.
    this.grace = new DisconnectGrace(settings.clock, settings.iceDisconnectedGraceMs, transport.stats, () =>
      this.close(`ICE disconnected for ${settings.iceDisconnectedGraceMs} ms`, 'connectivity'),
    );
    this.peer.on('iceStateChange', (state: RTCIceConnectionState) => {
      if (this.state === 'open') this.grace.onState(state);
    });
    this.peer.on('error', (error: Error & { code?: string }) => {
      const lost = error.code === 'ERR_ICE_CONNECTION_FAILURE' || error.code === 'ERR_CONNECTION_FAILURE';
      if (lost && this.state === 'open') transport.stats.iceFailedClosed++;
      this.close(`channel error: ${error.message}`, lost ? 'connectivity' : 'error');
    });
    this.peer.on('close', () => this.close('channel closed', 'remote'));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get peerId(): NodeId | null {
    return this.link?.peer ?? null;
  }

  /** The selected candidate pair, from the standard stats (null where they say nothing usable). */
  path(): Promise<LinkPath | null> {
    return new Promise((resolve) => {
      if (this.state === 'closed') return resolve(null);
      // simple-peer's getStats (flattens old-style reports) is missing from its type definitions.
      const peer = this.peer as unknown as { getStats(cb: (error: Error | null, reports: StatsReport[]) => void): void };
      peer.getStats((error, reports) => resolve(error ? null : selectedPath(reports)));
    });
  }

  acceptRemote(blob: SignalBlob): void {
    if (this.state === 'closed' || this.remoteSdp !== null) return;
    this.remoteSdp = blob.data;
    this.prepareHandshake();
    try {
      this.peer.signal({ type: blob.kind, sdp: blob.data });
    } catch (error) {
      this.fail(`bad remote description: ${describe(error)}`);
    }
  }

  /** Gives up before the link was established (timeout, bad signalling, failed proof). */
  fail(reason: string): void {
    this.close(reason);
  }

  close(reason: string, kind: LinkCloseReason = 'error'): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.transport.settings.clock.clearTimer(this.timer);
    this.grace.stop();
    const error = new Error(reason);
    this.rejectSignal(error);
    this.rejectLink(error);
    this.onGone();
    // destroy() closes the RTCPeerConnection and drops simple-peer's reference to it (`_pc = null`);
    // with the transport's set no longer holding this session, nothing of ours keeps it reachable,
    // so the garbage collector can free it and the budget's `held` can come down.
    this.peer.destroy();
    if (this.constructed) this.transport.peerConnections.closed();
    if (wasOpen && this.link) {
      this.transport.stats.linksClosed++;
      this.link.closeReason = kind;
      this.transport.stats.closedBy[kind]++;
      this.events.onClose(this.link);
    }
  }

  private onLocalSignal(data: SimplePeer.SignalData): void {
    // Non-trickle: exactly one 'signal' event, the complete offer or answer.
    if (data.type !== 'offer' && data.type !== 'answer') return;
    if (typeof data.sdp !== 'string' || this.localSdp !== null) return;
    this.localSdp = data.sdp;
    this.resolveSignal({ kind: data.type, data: data.sdp });
    this.prepareHandshake();
  }

  /** Both SDPs are known before any byte can cross the channel, so the handshake exists by then. */
  private prepareHandshake(): void {
    if (this.handshake || this.localSdp === null || this.remoteSdp === null) return;
    const [offer, answer] = this.initiator ? [this.localSdp, this.remoteSdp] : [this.remoteSdp, this.localSdp];
    const { identity, randomBytes } = this.transport.settings;
    this.handshake = new LinkHandshake(identity, this.expectedPeer, channelBinding(offer, answer), randomBytes(NONCE_BYTES));
  }

  private onChannelOpen(): void {
    // The peer's HELLO may have arrived before our own 'connect' event; the handshake holds it.
    if (this.state === 'connecting' && this.handshake) this.applyStep(this.handshake.start());
  }

  private onData(data: unknown): void {
    if (this.state === 'closed') return;
    const decoded = decodeFrame(data, this.transport.settings.maxFrameBytes);
    if (this.state === 'connecting') {
      if (!decoded.ok) return this.authFailed(`unreadable handshake message (${decoded.reason})`);
      if (!this.handshake) return this.authFailed('data before signalling completed');
      return this.applyStep(this.handshake.receive(decoded.frame));
    }
    const { stats } = this.transport;
    if (!decoded.ok) {
      if (decoded.reason === 'oversized') stats.droppedOversized++;
      else stats.droppedMalformed++;
      return;
    }
    stats.framesReceived++;
    this.events.onFrame(this.link!, decoded.frame);
  }

  private applyStep(step: HandshakeStep): void {
    switch (step.kind) {
      case 'send':
        for (const message of step.messages) this.sendText(JSON.stringify(message));
        return;
      case 'failed':
        return this.authFailed(step.reason);
      case 'authenticated':
        return this.opened(step.peer);
    }
  }

  private opened(peer: NodeId): void {
    this.state = 'open';
    this.transport.settings.clock.clearTimer(this.timer);
    const link = new WebRtcLink(peer, this.initiator, this);
    this.link = link;
    this.transport.stats.linksOpened++;
    this.resolveLink(link);
    this.events.onLink(link);
  }

  private authFailed(reason: string): void {
    this.transport.stats.authFailures++;
    this.fail(`authentication failed: ${reason}`);
  }

  /** Sends one overlay frame; bad or late frames are dropped and counted, never thrown at the node. */
  sendFrame(frame: unknown): void {
    const { stats } = this.transport;
    if (this.state !== 'open') {
      stats.droppedOutgoing++;
      return;
    }
    const encoded = encodeFrame(frame, this.transport.settings.maxFrameBytes);
    if (!encoded.ok) {
      stats.droppedOutgoing++;
      return;
    }
    if (this.sendText(encoded.text)) stats.framesSent++;
    else stats.droppedOutgoing++;
  }

  private sendText(text: string): boolean {
    try {
      this.peer.send(text);
      return true;
    } catch (error) {
      // The channel died under us (send on a closing channel throws); its close event follows.
      this.close(`send failed: ${describe(error)}`, 'error');
      return false;
    }
  }
}

/**
 * Why a link closed, set just before onClose: `connectivity` (ICE failed, or disconnected past the
 * grace: the peer crashed or the path broke, which look alike from here), `remote` (the peer closed
 * the channel), `local` (we closed it or stopped), `error` (a send or channel error).
 */
export type LinkCloseReason = 'connectivity' | 'remote' | 'local' | 'error';

export class WebRtcLink implements Link {
  closeReason: LinkCloseReason | undefined;

  constructor(
    readonly peer: NodeId,
    readonly outbound: boolean,
    private readonly session: PeerSession,
  ) {}

  send(frame: unknown): void {
    this.session.sendFrame(frame);
  }

  close(): void {
    this.session.close('closed locally', 'local');
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
