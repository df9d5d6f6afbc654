// One Pastry node. It runs unchanged in a browser tab, in a headless Node peer and in the
// simulator: everything it knows of the world comes through the injected Transport, Clock and Random.
//
// This file holds the node's state, lifecycle and frame dispatch, and composes its parts: join.ts,
// maintenance.ts (keep-alive, repair), link-keeper.ts (dialling, placing, closing links), requests.ts,
// forwarder.ts (routing, applications), ring-merge.ts, endpoint.ts (an application's view), the
// neighbour budget. Each part gets the state and the few functions it declares (node-core.ts).

import type { OverlayApplication, OverlayEndpoint, Reply, RequestOptions } from './api.js';
import { applicationEndpoint } from './endpoint.js';
import { resolveConfig, type OverlayConfig } from './config.js';
import type { Clock, Introduction, Link, Random, Signaller, Transport } from './environment.js';
import type { NodeId } from './id.js';
import { LeafSet } from './leaf-set.js';
import { decodeFrame, type DirectFrame, type OverlayFrame, type RouteFrame } from './messages.js';
import { PeerLinks } from './peer-links.js';
import { RoutingTable } from './routing-table.js';
import { OverlayStats, randomHex } from './stats.js';
import { JoinProtocol } from './join.js';
import { Maintenance } from './maintenance.js';
import { LinkKeeper } from './link-keeper.js';
import { Requests } from './requests.js';
import { Forwarder } from './forwarder.js';
import { NeighbourBudget } from './neighbour-budget.js';
import type { ConnectOptions, GoneCause, NodeCore, NodeState, SendOptions } from './node-core.js';
import { RingMerge, type MeetOutcome } from './ring-merge.js';
export type { MeetOutcome } from './ring-merge.js';
export type { NodeState } from './node-core.js';

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
  /** The state every part shares (node-core.ts). */
  private readonly core: NodeCore;
  private readonly join: JoinProtocol;
  private readonly maintenance: Maintenance;
  private readonly linkKeeper: LinkKeeper;
  private readonly requests: Requests;
  private readonly forwarder: Forwarder;
  private readonly merge: RingMerge;
  private readonly neighbourBudget: NeighbourBudget;

  constructor(options: PastryNodeOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.random = options.random;
    this.id = options.transport.localId;
    this.config = resolveConfig(options.config);
    this.leafSet = new LeafSet(this.id, this.config.leafSetSize);
    this.routingTable = new RoutingTable(this.id, this.config.bitsPerDigit);
    this.links = new PeerLinks(this.id);
    const core: NodeCore = (this.core = {
      id: this.id,
      config: this.config,
      clock: this.clock,
      random: this.random,
      stats: this.stats,
      leafSet: this.leafSet,
      routingTable: this.routingTable,
      links: this.links,
      transport: this.transport,
      state: () => this.currentState,
    });
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
    this.requests = new Requests({
      ...core,
      send: (peer, frame) => this.send(peer, frame),
      callApplication: (call) => this.forwarder.callApplication(call),
    });
    this.neighbourBudget = new NeighbourBudget({
      clock: this.clock,
      stats: this.stats,
      limits: { routedPerSec: this.config.routedPerNeighbourPerSec, routedBurst: this.config.routedPerNeighbourBurst },
      rememberWayBack: (id, peer) => this.requests.rememberWayBack(id, peer),
    });
    this.join = new JoinProtocol({
      ...core,
      request: (key, app, body, options) => this.request(key, app, body, options),
      registerInternal: (name, application) => this.registerInternal(name, application),
      connect: (peer, options) => this.connect(peer, options),
      pin: (peer) => this.linkKeeper.pin(peer),
      unpin: (peer) => this.linkKeeper.unpin(peer),
      markBusy: (peer) => this.linkKeeper.markBusy(peer),
      isBusy: (peer) => this.linkKeeper.isBusy(peer),
      shouldTurnAway: (peer) => this.linkKeeper.shouldTurnAway(peer),
    });
    this.maintenance = new Maintenance({
      ...core,
      send: (peer, frame) => this.send(peer, frame),
      connect: (peer, options) => this.connect(peer, options),
      isDialling: (peer) => this.linkKeeper.isDialling(peer),
      isRecentlyGone: (peer) => this.linkKeeper.isRecentlyGone(peer),
      isBusy: (peer) => this.linkKeeper.isBusy(peer),
      placePeer: (peer) => this.linkKeeper.placePeer(peer),
      peerGone: (peer, cause) => this.peerGone(peer, cause),
      refreshNeighbourhood: () => this.join.refresh(),
      nodesAround: (key) => this.join.nodesAround(key),
      sweepReversePaths: () => this.requests.sweepReversePaths(),
    });
    this.linkKeeper = new LinkKeeper({
      ...core,
      send: (peer, frame) => this.send(peer, frame),
      peerGone: (peer, cause) => this.peerGone(peer, cause),
      leafSetChanged: (peer, joined) => this.emit('leafset', peer, joined),
      leafEvicted: (peer) => this.maintenance.leafEvicted(peer),
      linksChanged: () => this.emit('links', this.links.size),
      mayLink: (peer, firstHop) => this.join.mayLink(peer, firstHop),
      signal: (peer, offer, firstHop) => this.join.signal(peer, offer, firstHop),
      ping: (peer) => this.maintenance.ping(peer),
      repair: (peer, wasLeaf, slot) => this.maintenance.repair(peer, wasLeaf, slot),
    });
    this.merge = new RingMerge({
      ...core,
      connect: (peer, options) => this.connect(peer, options),
      placePeer: (peer) => this.linkKeeper.placePeer(peer),
      pin: (peer) => this.linkKeeper.pin(peer),
      unpin: (peer) => this.linkKeeper.unpin(peer),
      nodesAround: (key, firstHop) => this.join.nodesAround(key, firstHop),
      sendDirect: (to, app, body) => this.sendDirect(to, app, body),
      registerInternal: (name, application) => this.registerInternal(name, application),
    });
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
    return applicationEndpoint(
      {
        ...this.core,
        route: (key, app, body) => this.route(key, app, body),
        request: (key, app, body, options) => this.request(key, app, body, options),
        sendDirect: (to, app, body) => this.sendDirect(to, app, body),
        connect: (peer) => this.connect(peer),
        pin: (peer) => this.linkKeeper.pin(peer),
        unpin: (peer) => this.linkKeeper.unpin(peer),
      },
      name,
    );
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
    // One hop: it goes over the link to `to` and nowhere else.
    const frame: DirectFrame = { t: 'direct', id: this.newMessageId(), key: to, origin: this.id, hops: 1, app, body, want: false };
    return this.send(to, frame);
  }

  // ---- links -----------------------------------------------------------------------------------

  /**
   * Opens a link to `peer`, signalled through the overlay; true once it is up. Concurrent calls share
   * one dial. The link keeper (link-keeper.ts) keeps it open while someone needs it.
   */
  connect(peer: NodeId, options: ConnectOptions = {}): Promise<boolean> {
    return this.linkKeeper.connect(peer, options);
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
  private peerGone(peer: NodeId, cause: GoneCause): void {
    const wasLeaf = this.leafSet.remove(peer);
    const slot = this.routingTable.remove(peer);
    this.forwarder.peerGone(peer);
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
    this.forwarder.heardFrom(link.peer);
    this.stats.framesReceived++;
    const decoded = decodeFrame(raw);
    if (!decoded.ok) {
      this.stats.drop(`malformed: ${decoded.reason}`);
      return;
    }
    const frame = decoded.frame;
    switch (frame.t) {
      case 'route':
        if (!this.neighbourBudget.admit(entry, frame)) return;
        this.forwarder.onRouteFrame(frame, link.peer);
        return;
      case 'ack':
        this.forwarder.onAck(frame.id, link.peer);
        return;
      case 'direct':
        // sendDirect's origin is the link's peer, whom the transport authenticated: applications
        // may trust it (mail replicas are taken only from their key's holders). A relayed request
        // (want) keeps its requester as origin, as a routed one does.
        if (!frame.want && frame.origin !== link.peer) {
          this.stats.drop('direct frame from a foreign origin');
          return;
        }
        if (!this.neighbourBudget.admit(entry, frame)) return;
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

  private emit<K extends keyof PastryNodeEvents>(event: K, ...args: Parameters<PastryNodeEvents[K]>): void {
    for (const listener of this.listeners[event]) (listener as (...a: unknown[]) => void)(...args);
    if (event === 'leafset') {
      const [node, joined] = args as [NodeId, boolean];
      for (const application of this.forwarder.applications.values()) this.forwarder.callApplication(() => application.update?.(node, joined));
    }
  }

  /** The overlay's own applications (join, signalling, merge hints): not in the public register. */
  private registerInternal(name: string, application: OverlayApplication): void {
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
