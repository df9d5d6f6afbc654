// What a Pastry node needs from the world it runs in. The node holds no reference to tabs, Node.js
// or the simulator: a browser tab, a headless peer and the simulator each hand it these.

import type { NodeId } from './id.js';

/** Milliseconds. Virtual in the simulator, performance.now()/Date.now() in real environments. */
export interface Clock {
  now(): number;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}
export type TimerHandle = { readonly __timer: unique symbol } | number | object;

/** Seeded randomness; the simulator and tests are reproducible from one seed. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  bytes(n: number): Uint8Array;
}

/**
 * An opaque signalling blob (an SDP offer or answer for WebRTC, an address in the simulator). The
 * overlay carries it without looking inside; non-trickle ICE keeps it to one offer and one answer.
 */
export type SignalBlob = { readonly kind: 'offer' | 'answer'; readonly data: string };

/** Delivers an offer to the peer somehow (through the overlay, the bootstrap, an invite...) and resolves with its answer. */
export type Signaller = (offer: SignalBlob) => Promise<SignalBlob>;

/**
 * How a joining node gets its first link: a Signaller it dials through (the bootstrap, a seed), or
 * a link that came up because we answered someone else's offer (an invite: the inviter offers, the
 * newcomer answers). Either way the node only learns the peer at the other end.
 */
export type Introduction = Signaller | { readonly answered: Promise<Link> };

/** An open, authenticated, ordered and reliable link to one peer (a WebRTC data channel, a simulated pipe). */
export interface Link {
  /** The peer's id, proven by the transport (WebRTC: the peer signed our challenge with the key behind it). */
  readonly peer: NodeId;
  /**
   * True when this side dialled the link. When two nodes dial each other at once both links come
   * up; each side keeps the one dialled by the smaller id, so both sides keep the same one.
   */
  readonly outbound: boolean;
  /**
   * The round trip the transport measured while opening the link, when it has a clean one (the
   * simulator does; WebRTC's handshake overlaps both sides' work, so the node pings instead).
   */
  readonly handshakeRttMs?: number;
  /**
   * Why the link closed, where the transport can tell: 'connectivity' when the network path failed
   * (ICE) and the peer may well be alive, so the node may dial it again soon (through the overlay,
   * asking first: a dead peer costs two routed frames, no connection).
   */
  readonly closeReason?: 'connectivity' | 'remote' | 'local' | 'error';
  /** Sends one frame; frames are plain JSON-compatible objects, serialised by the transport if it must. */
  send(frame: unknown): void;
  /** Closes the link; the transport reports it to both sides through onClose. */
  close(): void;
}

export interface TransportEvents {
  /** A link (opened by us or by the peer) is up and its peer authenticated. */
  onLink(link: Link): void;
  /** A frame arrived. It is untrusted input: the node validates it. */
  onFrame(link: Link, frame: unknown): void;
  /** The link is gone (closed by either side, or the channel failed). */
  onClose(link: Link): void;
  /**
   * Asked before accepting a link from `peer` when the transport has no signalling step of its own
   * (the simulator's direct mode); false turns the dial away as "busy", as a routed offer would be.
   */
  admit?(peer: NodeId): boolean;
}

/**
 * Peer connections a transport has constructed: the scarce resource of a browser page. Chromium
 * refuses a page's construction while 500 RTCPeerConnections exist that are not yet garbage-collected,
 * and a closed one keeps counting until a GC that an idle page rarely runs.
 */
export interface PeerConnectionCounts {
  /** Every construction, including dials that failed or were turned away, and every answer. */
  constructed: number;
  /** Constructions that have been closed (by either side, a failure or a timeout). */
  closed: number;
  /**
   * Constructed and not yet released: open ones plus closed ones the (modelled or observed) garbage
   * collector has not freed. This is what counts against the page's limit.
   */
  held: number;
  /** Constructions refused because `held` was at the limit. */
  refused: number;
  /** The page's limit on held connections (Infinity where there is none, e.g. a Node peer). */
  limit: number;
}

/** A dial or answer refused because the page holds too many peer connections (Chromium's limit). */
export class PeerConnectionLimit extends Error {
  constructor(held: number) {
    super(`cannot construct a peer connection: ${held} held`);
    this.name = 'PeerConnectionLimit';
  }
}

export interface Transport {
  readonly localId: NodeId;
  /** What this transport has constructed so far (absent on transports that construct nothing scarce). */
  readonly connections?: PeerConnectionCounts;
  /**
   * When set, the transport itself reports a link whose peer vanished without a word (a crashed
   * machine, a dead network) within this many ms: WebRTC's ICE consent checks, the simulator's crash
   * model. The node then sends no keep-alives of its own: they cost a tab traffic and timers on every
   * link, and cost the simulator most of its events.
   */
  readonly failureDetectionMs?: number;
  /**
   * True where a dial learns whether the peer takes it before any connection is constructed (the
   * simulator's direct mode asks at its handshake); elsewhere the node asks first over the overlay.
   */
  readonly admitsBeforeConstructing?: boolean;
  /**
   * True where `dial(peer, signal)` reaches a known peer by its id alone, without the signaller
   * (the simulator's direct mode). A node then retries former leaves it lost, which heals a
   * partition once it lifts. WebRTC cannot: a tab needs someone to carry its offer, so real tabs
   * rely on introductions (bootstrap, seeds, invites) that call PastryNode.meet().
   */
  readonly reachesById?: boolean;
  start(events: TransportEvents): void;
  /**
   * Opens a link. `peer` is the id we expect (null when we do not know it yet, as for the first link
   * through the bootstrap). The transport calls `signal` once with its offer and waits for the answer.
   * Rejects when the peer cannot be reached or fails authentication.
   */
  dial(peer: NodeId | null, signal: Signaller): Promise<Link>;
  /** An offer from `from` reached us (through the overlay); resolves with our answer. The link then arrives via onLink. */
  answer(from: NodeId | null, offer: SignalBlob): Promise<SignalBlob>;
  /** Closes every link; used when the node leaves or dies. */
  stop(): void;
}

/** A dial the peer turned away because it is over its link cap (the dialler backs off from it). */
export class LinkRefusedBusy extends Error {
  constructor(peer: NodeId) {
    super(`${peer} is busy`);
    this.name = 'LinkRefusedBusy';
  }

  /** Without a stack trace: refusals are routine (a simulated join can meet several), not bugs. */
  static of(peer: NodeId): LinkRefusedBusy {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new LinkRefusedBusy(peer);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
