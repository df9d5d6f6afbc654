// One Pastry node. It runs unchanged in a browser tab, in a headless Node peer and in the
// simulator: everything it knows of the world comes through the injected Transport, Clock and Random.
//
// This file holds the node's state and its message plumbing (frame dispatch, routing, applications).
// The join protocol lives in join.ts, keep-alive and repair in maintenance.ts, the life of each link
// (dialling, placing, closing) in link-keeper.ts, requests and their replies in requests.ts, the
// merging of two rings that meet in ring-merge.ts.

import type { OverlayApplication, OverlayEndpoint, Reply, RequestOptions, RoutedMessage } from './api.js';
import { applicationEndpoint } from './endpoint.js';
import { resolveConfig, type OverlayConfig } from './config.js';
import type { Clock, Introduction, Link, Random, SignalBlob, Signaller, Transport } from './environment.js';
import type { NodeId } from './id.js';
import { LeafSet } from './leaf-set.js';
import { decodeFrame, JOIN_APP, type DirectFrame, type OverlayFrame, type RouteFrame } from './messages.js';
import { PeerLinks } from './peer-links.js';
import { RoutingTable } from './routing-table.js';
import { OverlayStats, randomHex } from './stats.js';
import { JoinProtocol } from './join.js';
import { Maintenance } from './maintenance.js';
import { LinkKeeper } from './link-keeper.js';
import { Requests } from './requests.js';
import { Forwarder } from './forwarder.js';
import type { ConnectionPurpose } from './connection-budget.js';
import { RingMerge, type MeetOutcome } from './ring-merge.js';
export type { MeetOutcome } from './ring-merge.js';
export type NodeState = 'idle' | 'joining' | 'joined' | 'left';

export interface PastryNodeOptions {
  transport: Transport;
  clock: Clock;
  random: Random;
  config?: Partial<OverlayConfig>;
}

export interface PastryNodeEvents {
  state: (state: NodeState) => void;
  /** A node entered (true) or left (false) our leaf set. */
  leafset: (node: NodeId, joined: boolean) => void;
  /** The number of open links changed. */
  links: (count: number) => void;
}

interface SendOptions {
  /** Send the first hop over this link instead of routing (a joining node knows only its bootstrap link). */
  firstHop?: NodeId;
}

export class PastryNode {
  readonly id: NodeId;
  readonly config: OverlayConfig;
  readonly leafSet: LeafSet;
  readonly routingTable: RoutingTable;
  readonly links: PeerLinks;
  readonly stats = new OverlayStats();
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
  private currentState: NodeState = 'idle';
  private readonly listeners: { [K in keyof PastryNodeEvents]: Set<PastryNodeEvents[K]> } = {
    state: new Set(),
    leafset: new Set(),
    links: new Set(),
  };
  private readonly join: JoinProtocol;
  private readonly maintenance: Maintenance;
  private readonly linkKeeper: LinkKeeper;
  private readonly requests: Requests;
  private readonly forwarder: Forwarder;
  private readonly merge: RingMerge;

  constructor(options: PastryNodeOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.random = options.random;
    this.id = options.transport.localId;
    this.config = resolveConfig(options.config);
    this.leafSet = new LeafSet(this.id, this.config.leafSetSize);
    this.routingTable = new RoutingTable(this.id, this.config.bitsPerDigit);
    this.links = new PeerLinks(this.id);
    this.forwarder = new Forwarder({
      config: this.config,
      clock: this.clock,
      stats: this.stats,
      leafSet: this.leafSet,
      routingTable: this.routingTable,
      links: this.links,
      send: (peer, frame) => this.send(peer, frame),
      isSuspect: (peer) => this.linkKeeper.isSuspect(peer),
      suspect: (peer) => this.linkKeeper.suspect(peer),
      checkIfQuiet: (peer) => this.linkKeeper.checkIfQuiet(peer),
      sendReply: (id, body) => this.requests.sendReply(id, body),
      hasLeft: () => this.currentState === 'left',
    });
    this.requests = new Requests(this);
    this.join = new JoinProtocol(this);
    this.maintenance = new Maintenance(this);
    this.linkKeeper = new LinkKeeper(this, this.join, this.maintenance);
    this.merge = new RingMerge(this);
    this.transport.start({
      onLink: (link) => this.linkKeeper.onLink(link),
      onFrame: (link, frame) => this.onFrame(link, frame),
      onClose: (link) => this.linkKeeper.onClose(link),
      admit: (peer) => !this.linkKeeper.shouldTurnAway(peer),
    });
  }

  get state(): NodeState {
    return this.currentState;
  }

  on<K extends keyof PastryNodeEvents>(event: K, listener: PastryNodeEvents[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /**
   * Joins the overlay through the first link `introduction` gives (a Signaller that carries our offer
   * to some existing node: the bootstrap server, a seed peer; or a link we answered: an invite);
   * null makes this node the first of a new ring.
   */
  async start(introduction: Introduction | null): Promise<void> {
    if (this.currentState !== 'idle') throw new Error(`cannot join from state ${this.currentState}`);
    this.setState('joining');
    let tableDone: Promise<void> | undefined;
    if (introduction) {
      try {
        ({ tableDone } = await this.join.run(introduction));
      } catch (error) {
        // A node starts once: a failed join ends it (close what it opened); the caller builds a new one.
        this.stop();
        throw error;
      }
    }
    if ((this.currentState as NodeState) !== 'joining') return;
    this.maintenance.start();
    this.setState('joined');
    for (const peer of this.links.peers()) this.send(peer, { t: 'announce' });
    // Holes the join's own rounds left are asked for once those rounds are over.
    void tableDone?.then(() => {
      if (this.currentState === 'joined') this.maintenance.fillTableHoles();
    });
  }

  /**
   * Meets the node an introduction reaches (bootstrap, seed, invite: maybe of another ring), dialled
   * as a join's first link, and looks our id up through it; nodes our leaf set lacks start a merge
   * (ring-merge.ts). In our own ring: one lookup, and the link closes unless one side needs it.
   */
  meet(signal: Signaller): Promise<MeetOutcome> {
    return this.merge.meet(signal);
  }

  /** The same check through a peer we already hold a link to. */
  meetLinked(peer: NodeId): Promise<MeetOutcome> {
    return this.merge.meetLinked(peer);
  }

  /** Graceful leave: tell every linked node we are going, then close everything. */
  leave(): void {
    if (this.currentState === 'left') return;
    for (const peer of this.links.all()) peer.link.send({ t: 'leaving' });
    this.stop();
  }

  /** Stops without telling anyone (a crash, or the end of a test). */
  stop(): void {
    if (this.currentState === 'left') return;
    this.setState('left');
    this.maintenance.stop();
    this.merge.stop();
    this.forwarder.stop();
    this.requests.rejectAll();
    this.transport.stop();
  }

  // ---- applications (the common API) -------------------------------------------------------------

  /** Registers an upper-layer application under `name` and returns its view of the overlay. */
  register(name: string, application: OverlayApplication): OverlayEndpoint {
    if (this.forwarder.applications.has(name)) throw new Error(`application ${name} is already registered`);
    this.forwarder.applications.set(name, application);
    return applicationEndpoint(this, name);
  }

  route(key: NodeId, app: string, body: unknown, options: SendOptions = {}): void {
    const frame: RouteFrame = { t: 'route', id: this.newMessageId(), key, origin: this.id, hops: 0, app, body, want: false };
    this.forwarder.forwardOrDeliver(frame, options.firstHop);
  }

  request(key: NodeId, app: string, body: unknown, options: RequestOptions & SendOptions = {}): Promise<Reply> {
    const id = this.newMessageId();
    const frame: RouteFrame = { t: 'route', id, key, origin: this.id, hops: 0, app, body, want: true };
    // A pinned first hop or a streamed answer is never sent twice (see Forwarder.sendWithRetries).
    const sending = options.firstHop || options.onReply ? undefined : this.forwarder.sendWithRetries(frame);
    const promise = this.requests.awaitReplies(id, key, options, sending);
    if (sending) sending.first();
    else this.forwarder.forwardOrDeliver(frame, options.firstHop);
    return promise;
  }

  sendDirect(to: NodeId, app: string, body: unknown): boolean {
    const frame: DirectFrame = { t: 'direct', id: this.newMessageId(), key: to, origin: this.id, hops: 0, app, body, want: false };
    return this.send(to, { ...frame, hops: 1 });
  }

  // ---- links -----------------------------------------------------------------------------------
  // The link lifecycle lives in LinkKeeper; these stay on the node because other layers call them.

  /**
   * Opens a link to `peer`, signalled through the overlay; true once it is up. Concurrent calls share
   * one dial. `purpose` tells the peer-connection budget what it is for; an application's own link
   * (the default) is spent like an answer, on the held share only.
   */
  connect(peer: NodeId, options: SendOptions & { purpose?: ConnectionPurpose } = {}): Promise<boolean> {
    return this.linkKeeper.connect(peer, options.firstHop, options.purpose ?? 'direct');
  }

  isDialling(peer: NodeId): boolean {
    return this.linkKeeper.isDialling(peer);
  }

  /** Over the link cap, turn away peers that only want us as their table entry (see LinkKeeper). */
  shouldTurnAway(peer: NodeId): boolean {
    return this.linkKeeper.shouldTurnAway(peer);
  }

  markBusy(peer: NodeId): void {
    this.linkKeeper.markBusy(peer);
  }

  /** True while `peer` backs us off (it said "busy" recently): do not pick it for a table slot. */
  isBusy(peer: NodeId): boolean {
    return this.linkKeeper.isBusy(peer);
  }

  /** `peer` failed or left a moment ago: gossip that still names it is not acted on. */
  isRecentlyGone(peer: NodeId): boolean {
    return this.linkKeeper.isRecentlyGone(peer);
  }

  /** Our ping to `peer` is long unanswered: route around it until it answers. */
  isSuspect(peer: NodeId): boolean {
    return this.linkKeeper.isSuspect(peer);
  }

  /** Keeps the link to `peer` open while pinned (reference counted), whatever the tables say. */
  pin(peer: NodeId): void {
    this.linkKeeper.pin(peer);
  }

  unpin(peer: NodeId): void {
    this.linkKeeper.unpin(peer);
  }

  /** Puts a linked peer in the leaf set or routing table where it belongs. */
  placePeer(peer: NodeId): void {
    this.linkKeeper.placePeer(peer);
  }

  /** Recomputes whether we need the link to `peer`; tells the peer, closes the link when nobody does. */
  refreshNeed(peer: NodeId): void {
    this.linkKeeper.refreshNeed(peer);
  }

  /** Sends a frame over our link to `peer`; false (and nothing sent) when there is no such link. */
  send(peer: NodeId, frame: OverlayFrame): boolean {
    const entry = this.links.get(peer);
    if (!entry) return false;
    try {
      entry.link.send(frame);
    } catch {
      this.stats.drop('send failed');
      return false;
    }
    entry.lastSent = this.clock.now();
    this.stats.framesSent++;
    return true;
  }

  /** A peer is gone (link closed, silent, or it said goodbye): forget it and start repair. */
  // 'left': it said goodbye; 'path': only the network path failed (Link.closeReason), it may be
  // alive and is dialled again at once; 'failed': it crashed or went silent.
  peerGone(peer: NodeId, cause: 'failed' | 'left' | 'path' = 'failed'): void {
    const wasLeaf = this.leafSet.remove(peer);
    const slot = this.routingTable.remove(peer);
    if (wasLeaf) this.emit('leafset', peer, false);
    if (wasLeaf || slot) {
      this.stats.peersFailed++;
      if (cause !== 'path') this.linkKeeper.rememberGone(peer);
      if (wasLeaf && cause !== 'left') this.merge.rememberLost(peer); // maybe behind a partition: retried
    }
    if (this.currentState === 'left') return;
    this.maintenance.repair(peer, wasLeaf, slot);
  }

  private onFrame(link: Link, raw: unknown): void {
    const entry = this.links.get(link.peer);
    if (!entry || (entry.link !== link && !this.linkKeeper.isRetired(link))) {
      this.stats.drop('frame on a stale link');
      return;
    }
    entry.lastHeard = this.clock.now();
    entry.suspected = false;
    this.stats.framesReceived++;
    const decoded = decodeFrame(raw);
    if (!decoded.ok) {
      this.stats.drop(`malformed: ${decoded.reason}`);
      return;
    }
    const frame = decoded.frame;
    switch (frame.t) {
      case 'route':
        if (frame.want) this.requests.rememberWayBack(frame.id, link.peer);
        this.forwarder.onRouteFrame(frame, link.peer);
        return;
      case 'ack':
        this.forwarder.onAck(frame.id, link.peer);
        return;
      case 'direct':
        if (frame.want) this.requests.rememberWayBack(frame.id, link.peer);
        this.forwarder.deliverLocally(frame, link.peer);
        return;
      case 'reply':
        this.requests.onReply(frame);
        return;
      case 'announce':
        this.linkKeeper.onAnnounce(entry, link.peer);
        return;
      case 'busy':
        this.linkKeeper.onBusy(link.peer);
        return;
      case 'need':
        this.linkKeeper.onNeed(entry, link.peer, frame.need);
        return;
      case 'leaving':
        this.linkKeeper.onLeaving(entry, link.peer);
        return;
      default:
        this.maintenance.onFrame(link.peer, frame);
    }
  }

  /** @internal An application's bug must not break routing for everyone else: contain and count it. */
  callApplication<T>(call: () => T): T | undefined {
    return this.forwarder.callApplication(call);
  }

  // ---- helpers for join, maintenance, link-keeper and requests ----------------------------------

  /** @internal Periodic neighbourhood refresh (see JoinProtocol.refresh). */
  refreshNeighbourhood(): Promise<{ via: NodeId; candidates: NodeId[] } | undefined> {
    return this.join.refresh();
  }

  /** @internal The nodes around `key`: see JoinProtocol.nodesAround. */
  nodesAround(key: NodeId, firstHop?: NodeId): Promise<NodeId[] | undefined> {
    return this.join.nodesAround(key, firstHop);
  }

  /** @internal Routes our offer to `peer`, starting at `firstHop` (see JoinProtocol.signal). */
  signalVia(peer: NodeId, offer: SignalBlob, firstHop: NodeId): Promise<SignalBlob> {
    return this.join.signal(peer, offer, firstHop);
  }

  /** @internal */
  sweepReversePaths(): void {
    this.requests.sweepReversePaths();
  }

  /** @internal */
  emit<K extends keyof PastryNodeEvents>(event: K, ...args: Parameters<PastryNodeEvents[K]>): void {
    for (const listener of this.listeners[event]) (listener as (...a: unknown[]) => void)(...args);
    if (event === 'leafset') {
      const [node, joined] = args as [NodeId, boolean];
      for (const application of this.forwarder.applications.values()) this.forwarder.callApplication(() => application.update?.(node, joined));
    }
  }

  /** @internal */
  registerInternal(name: string, application: OverlayApplication): void {
    this.forwarder.applications.set(name, application);
  }

  private setState(state: NodeState): void {
    this.currentState = state;
    this.emit('state', state);
  }

  private newMessageId(): string {
    return randomHex(this.random, 16);
  }
}
