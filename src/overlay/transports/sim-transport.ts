// The simulated network: nodes are points on a plane, a frame takes (distance) ms to arrive (as in
// the Pastry paper), links are ordered reliable pipes like data channels unless loss is switched on.
//
// Each end models a browser page's peer connections (PeerConnectionLedger): a dial constructs one
// before its offer exists, an answer constructs one, closed ones are held until the page's next
// garbage collection, and construction is refused at Chromium's limit. A silent crash is reported to
// the peers after an ICE-consent timeout, as a WebRTC stack does; in between, frames vanish.
//
// A link is signalled through the overlay as over WebRTC (offer routed, answer back, then one round
// trip of "ICE/DTLS"), or directly (one round trip) for very large runs. The node cannot tell.

import { LinkRefusedBusy, type Clock, type Link, type PeerConnectionCounts, type Random, type SignalBlob, type Signaller, type Transport, type TransportEvents } from '../environment.js';
import { BROWSER_PEER_CONNECTION_LIMIT } from './peer-connection-budget.js';
import { PeerConnectionLedger } from './peer-connection-ledger.js';
import { SimPartition } from './sim-partition.js';
import type { NodeId } from '../id.js';

export interface SimNetworkOptions {
  clock: Clock;
  random: Random;
  /** Side of the square plane, in ms of one-way delay (default 200: delays 0..283 ms, mean ~104 ms). */
  planeSizeMs?: number;
  /** Probability that a frame is lost (default 0: data channels are reliable). */
  lossRate?: number;
  /** 'overlay' signals every link through the overlay; 'direct' models only the handshake round trip. */
  signalling?: 'overlay' | 'direct';
  /** A dial to a dead or unknown node fails after this long (an ICE timeout). */
  dialTimeoutMs?: number;
  /** Peer connections a page may hold (constructed, not yet garbage-collected): Chromium's 500. */
  peerConnectionLimit?: number;
  /** Mean time between a page's garbage collections, which free its closed connections (exponential). */
  gcIntervalMs?: number;
  /**
   * How long after a silent crash the peers' transports report the link closed (ICE consent
   * freshness: Chromium declares a connection failed after about 30 s without consent responses).
   * Infinity: never, peers must notice by their own keep-alives.
   */
  consentTimeoutMs?: number;
}

interface SimEndpoint {
  readonly id: NodeId;
  readonly x: number;
  readonly y: number;
  alive: boolean;
  transport: SimTransport;
}

export class SimNetwork {
  readonly clock: Clock;
  private readonly random: Random;
  private readonly endpoints = new Map<NodeId, SimEndpoint>();
  private readonly planeSize: number;
  private readonly lossRate: number;
  readonly signalling: 'overlay' | 'direct';
  readonly dialTimeoutMs: number;
  readonly peerConnectionLimit: number;
  readonly gcIntervalMs: number;
  readonly consentTimeoutMs: number;
  /** Frames put on the wire, network-wide (the simulator's message counter). */
  framesSent = 0;
  framesLost = 0;
  /** The network cut in two (partition.cut), or whole. */
  readonly partition = new SimPartition(this);

  constructor(options: SimNetworkOptions) {
    this.clock = options.clock;
    this.random = options.random;
    this.planeSize = options.planeSizeMs ?? 200;
    this.lossRate = options.lossRate ?? 0;
    this.signalling = options.signalling ?? 'overlay';
    this.dialTimeoutMs = options.dialTimeoutMs ?? 5_000;
    this.peerConnectionLimit = options.peerConnectionLimit ?? BROWSER_PEER_CONNECTION_LIMIT;
    this.gcIntervalMs = options.gcIntervalMs ?? 10 * 60_000;
    this.consentTimeoutMs = options.consentTimeoutMs ?? 30_000;
  }

  /**
   * A transport for a new node at a random point of the plane. The id of a node that crashed or left
   * may come back (a user reopening the tab: same uid, new node); a live one may not.
   */
  createTransport(id: NodeId): SimTransport {
    if (this.endpoints.get(id)?.alive) throw new Error(`duplicate simulated node ${id}`);
    const gcRandom = this.random;
    const gcDelay = () => -Math.log(1 - gcRandom.next()) * this.gcIntervalMs;
    const transport = new SimTransport(id, this, new PeerConnectionLedger(this.clock, this.peerConnectionLimit, gcDelay));
    this.endpoints.set(id, { id, x: this.random.next() * this.planeSize, y: this.random.next() * this.planeSize, alive: true, transport });
    return transport;
  }

  /** The longest one-way delay on the plane (corner to corner). */
  get maxDelayMs(): number {
    return this.planeSize * Math.SQRT2;
  }

  /** One-way delay between two nodes, in ms. */
  latency(a: NodeId, b: NodeId): number {
    const p = this.endpoints.get(a);
    const q = this.endpoints.get(b);
    if (!p || !q) return Infinity;
    return Math.max(0.1, Math.hypot(p.x - q.x, p.y - q.y));
  }

  isAlive(id: NodeId): boolean {
    return this.endpoints.get(id)?.alive ?? false;
  }

  /**
   * Kills a node. `silent`: like a machine losing power, its peers hear nothing and must notice
   * by keep-alive timeouts. Otherwise like a closed tab: its channels close and peers see it.
   */
  crash(id: NodeId, silent: boolean): void {
    const endpoint = this.endpoints.get(id);
    if (!endpoint || !endpoint.alive) return;
    endpoint.alive = false;
    endpoint.transport.die(silent, this.consentTimeoutMs);
  }

  /** @internal Every open link end (the partition closes those across once consent runs out). */
  *linkEnds(): Iterable<SimLink> {
    for (const endpoint of this.endpoints.values()) yield* endpoint.transport.links;
  }

  /** @internal Puts a frame on the wire to `to`. */
  deliver(to: SimLink, frame: unknown, delay: number): void {
    this.framesSent++;
    if ((this.lossRate > 0 && this.random.next() < this.lossRate) || this.partition.separates(to.peer, to.owner.localId)) {
      this.framesLost++;
      return;
    }
    this.clock.setTimer(delay, () => to.receive(frame));
  }

  /** @internal */
  endpoint(id: NodeId): SimEndpoint | undefined {
    return this.endpoints.get(id);
  }
}

class SimLink implements Link {
  other!: SimLink;
  open = true;

  constructor(
    readonly peer: NodeId,
    readonly outbound: boolean,
    readonly owner: SimTransport,
    private readonly delay: number,
  ) {}

  /** The handshake took exactly one round trip on this plane. */
  get handshakeRttMs(): number {
    return 2 * this.delay;
  }

  send(frame: unknown): void {
    if (!this.open) throw new Error('link closed');
    this.owner.network.deliver(this.other, frame, this.delay);
  }

  close(): void {
    if (!this.open) return;
    this.shut();
    this.owner.network.clock.setTimer(this.delay, () => this.other.shut());
  }

  /** @internal A frame arrives at this end. */
  receive(frame: unknown): void {
    if (this.open && this.owner.alive) this.owner.events?.onFrame(this, frame);
  }

  /** @internal This end is closed; its node hears about it once. */
  shut(): void {
    if (!this.open) return;
    this.open = false;
    this.owner.ledger.close();
    this.owner.forget(this);
    if (this.owner.alive) this.owner.events?.onClose(this);
  }
}

interface SimOffer {
  from: NodeId;
  token: number;
}

/** How long an answered offer's connection waits for the dialler's handshake before it is closed. */
const ANSWER_WAIT_MS = 30_000;

export class SimTransport implements Transport {
  events: TransportEvents | undefined;
  alive = true;
  started = false;
  /** @internal Open links, unordered (an array: a Set per node adds a hash table to every node's heap). */
  readonly links: SimLink[] = [];
  private readonly awaitingAnswer = new Map<number, (answerer: NodeId, answerToken: number) => void>();
  /** Connections constructed for offers we answered, waiting for the dialler's handshake (by token). */
  private readonly answered = new Map<number, unknown>();
  private nextToken = 0;

  constructor(
    readonly localId: NodeId,
    readonly network: SimNetwork,
    /** @internal */
    readonly ledger: PeerConnectionLedger,
  ) {}

  get connections(): PeerConnectionCounts {
    return this.ledger.counts;
  }

  /** Direct mode asks the callee at the handshake, before the dialler constructs anything. */
  get admitsBeforeConstructing(): boolean {
    return this.network.signalling === 'direct';
  }

  /** A silent crash is reported within this long (see SimNetworkOptions.consentTimeoutMs). */
  get failureDetectionMs(): number | undefined {
    return Number.isFinite(this.network.consentTimeoutMs) ? this.network.consentTimeoutMs : undefined;
  }

  start(events: TransportEvents): void {
    this.events = events;
    this.started = true;
  }

  get linkCount(): number {
    return this.links.length;
  }

  /** Direct mode dials a known peer by id alone (see Transport.reachesById). */
  get reachesById(): boolean {
    return this.network.signalling === 'direct';
  }

  dial(peer: NodeId | null, signal: Signaller): Promise<Link> {
    const network = this.network;
    const direct = peer !== null && network.signalling === 'direct';
    try {
      // As WebRTC does: the connection exists before its offer, whatever becomes of the dial. Direct
      // mode stands for "asked first": it constructs once the callee said yes (see handshake).
      if (!direct) this.ledger.construct();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const attempt = direct ? this.handshake(peer, undefined, true) : this.signalledDial(peer, signal);
    // A failed dial closes its connection; a successful one hands it to the link.
    if (!direct) attempt.catch(() => this.ledger.close());
    return attempt;
  }

  private signalledDial(peer: NodeId | null, signal: Signaller): Promise<Link> {
    const network = this.network;
    const token = this.nextToken++;
    return new Promise<Link>((resolve, reject) => {
      const timer = network.clock.setTimer(network.dialTimeoutMs + 20_000, () => {
        this.awaitingAnswer.delete(token);
        reject(new Error('dial timed out'));
      });
      this.awaitingAnswer.set(token, (answerer, answerToken) => {
        network.clock.clearTimer(timer);
        if (peer !== null && answerer !== peer) reject(new Error('answered by the wrong node'));
        else this.handshake(answerer, answerToken).then(resolve, reject);
      });
      const offer: SignalBlob = { kind: 'offer', data: JSON.stringify({ from: this.localId, token } satisfies SimOffer) };
      signal(offer).then(
        (answer) => {
          const parsed = parseSimBlob(answer.data);
          const waiting = this.awaitingAnswer.get(token);
          this.awaitingAnswer.delete(token);
          if (!parsed || !waiting) return reject(new Error('bad answer'));
          waiting(parsed.from, parsed.token);
        },
        (error: unknown) => {
          network.clock.clearTimer(timer);
          this.awaitingAnswer.delete(token);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  async answer(_from: NodeId | null, offer: SignalBlob): Promise<SignalBlob> {
    if (!this.alive || !parseSimBlob(offer.data)) throw new Error('cannot answer');
    this.ledger.construct();
    const token = this.nextToken++;
    // The answer's connection waits for the dialler's handshake; a dialler that never comes (it
    // died, or gave up) leaves it to time out, as an unanswered ICE check does.
    const clock = this.network.clock;
    this.answered.set(
      token,
      clock.setTimer(ANSWER_WAIT_MS, () => {
        if (this.answered.delete(token)) this.ledger.close();
      }),
    );
    return { kind: 'answer', data: JSON.stringify({ from: this.localId, token } satisfies SimOffer) };
  }

  /** @internal The dialler's handshake for our answer `token` arrived: false when it came too late. */
  takeAnswered(token: number): boolean {
    const timer = this.answered.get(token);
    if (timer === undefined) return false;
    this.answered.delete(token);
    this.network.clock.clearTimer(timer as never);
    return true;
  }

  /** @internal Direct mode: the callee constructs its connection when the handshake reaches it. */
  constructForHandshake(): boolean {
    try {
      this.ledger.construct();
      return true;
    } catch {
      return false;
    }
  }

  stop(): void {
    for (const link of [...this.links]) link.close();
  }

  /**
   * @internal The node is gone. Silent: its peers hear nothing until their ICE consent runs out
   * (`consentTimeoutMs`; never when infinite), and frames to it vanish meanwhile.
   */
  die(silent: boolean, consentTimeoutMs: number): void {
    this.alive = false;
    for (const link of [...this.links]) {
      if (!silent) {
        link.close();
        continue;
      }
      link.open = false;
      const other = link.other;
      if (Number.isFinite(consentTimeoutMs)) this.network.clock.setTimer(consentTimeoutMs, () => other.shut());
    }
    this.links.length = 0;
  }

  /** @internal */
  forget(link: SimLink): void {
    const links = this.links;
    const i = links.indexOf(link);
    if (i < 0) return;
    links[i] = links[links.length - 1];
    links.pop();
  }

  /**
   * The "ICE + DTLS" part: one round trip, then both ends come up (if both nodes still live).
   * `askAdmission`: direct mode has no routed offer the peer could refuse, so it is asked here.
   */
  private handshake(peer: NodeId, answerToken: number | undefined, askAdmission = false): Promise<Link> {
    const network = this.network;
    const remote = network.endpoint(peer);
    const delay = network.latency(this.localId, peer);
    return new Promise<Link>((resolve, reject) => {
      if (!remote || peer === this.localId) return reject(new Error('no such node'));
      network.clock.setTimer(Number.isFinite(delay) ? 2 * delay : 0, () => {
        if (!this.alive) return reject(new Error('we died while dialling'));
        if (!remote.alive || network.partition.separates(this.localId, peer)) {
          network.clock.setTimer(network.dialTimeoutMs, () => reject(new Error('peer unreachable')));
          return;
        }
        if (askAdmission && remote.transport.events?.admit?.(this.localId) === false) {
          reject(LinkRefusedBusy.of(peer));
          return;
        }
        if (askAdmission && !this.constructForHandshake()) {
          reject(new Error('peer connection limit'));
          return;
        }
        const remoteReady = answerToken === undefined ? remote.transport.constructForHandshake() : remote.transport.takeAnswered(answerToken);
        if (!remoteReady) {
          if (askAdmission) this.ledger.close();
          network.clock.setTimer(network.dialTimeoutMs, () => reject(new Error('peer did not complete the handshake')));
          return;
        }
        const mine = new SimLink(peer, true, this, delay);
        const theirs = new SimLink(this.localId, false, remote.transport, delay);
        mine.other = theirs;
        theirs.other = mine;
        this.links.push(mine);
        remote.transport.links.push(theirs);
        remote.transport.events?.onLink(theirs);
        this.events?.onLink(mine);
        resolve(mine);
      });
    });
  }
}

function parseSimBlob(data: string): SimOffer | undefined {
  try {
    const parsed = JSON.parse(data) as SimOffer;
    return typeof parsed.from === 'string' && typeof parsed.token === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
