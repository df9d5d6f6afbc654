// One Pastry node. It runs unchanged in a browser tab, in a headless Node peer and in the
// simulator: everything it knows of the world comes through the injected Transport, Clock and Random.
//
// This file holds the node's state and its message plumbing (links, routing, requests and replies,
// applications). The join protocol lives in join.ts, keep-alive and repair in maintenance.ts.

import type { OverlayApplication, OverlayEndpoint, Reply, RequestOptions, RoutedMessage } from './api.js';
import { resolveConfig, type OverlayConfig } from './config.js';
import type { Clock, Link, Random, SignalBlob, Signaller, Transport } from './environment.js';
import { ringDistance, type NodeId } from './id.js';
import { LeafSet } from './leaf-set.js';
import { decodeFrame, JOIN_APP, type DirectFrame, type OverlayFrame, type ReplyFrame, type RouteFrame } from './messages.js';
import { PeerLinks, ReversePaths } from './peer-links.js';
import { nextHop } from './router.js';
import { RoutingTable } from './routing-table.js';
import { OverlayStats, randomHex } from './stats.js';
import { JoinProtocol } from './join.js';
import { Maintenance } from './maintenance.js';

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

interface PendingRequest {
  resolve(reply: Reply): void;
  reject(error: Error): void;
  onReply?: (reply: Reply) => void;
  answered: boolean;
  timer: unknown;
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
  private readonly applications = new Map<string, OverlayApplication>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly reversePaths: ReversePaths;
  private readonly dialling = new Map<NodeId, Promise<boolean>>();
  /** Duplicate links being phased out (see retire). */
  private readonly retired = new Set<Link>();
  /** Peers that turned our link away as "busy", until when. */
  private readonly busyUntil = new Map<NodeId, number>();
  /** Peers whose link must stay open for now (the bootstrap link while joining), by reference count. */
  private readonly pinned = new Map<NodeId, number>();
  private readonly listeners: { [K in keyof PastryNodeEvents]: Set<PastryNodeEvents[K]> } = {
    state: new Set(),
    leafset: new Set(),
    links: new Set(),
  };
  private readonly join: JoinProtocol;
  private readonly maintenance: Maintenance;

  constructor(options: PastryNodeOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.random = options.random;
    this.id = options.transport.localId;
    this.config = resolveConfig(options.config);
    this.leafSet = new LeafSet(this.id, this.config.leafSetSize);
    this.routingTable = new RoutingTable(this.id, this.config.bitsPerDigit);
    this.links = new PeerLinks(this.id);
    this.reversePaths = new ReversePaths(this.config.reversePathMs, this.config.reversePathMax);
    this.join = new JoinProtocol(this);
    this.maintenance = new Maintenance(this);
    this.transport.start({
      onLink: (link) => this.onLink(link),
      onFrame: (link, frame) => this.onFrame(link, frame),
      onClose: (link) => this.onClose(link),
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
   * Joins the overlay. `bootstrap` delivers our first offer to some existing node (the bootstrap
   * server, a seed peer, an invite); null makes this node the first of a new ring.
   */
  async start(bootstrap: Signaller | null): Promise<void> {
    if (this.currentState !== 'idle') throw new Error(`cannot join from state ${this.currentState}`);
    this.setState('joining');
    if (bootstrap) {
      try {
        await this.join.run(bootstrap);
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
    for (const request of this.pending.values()) {
      this.clock.clearTimer(request.timer as never);
      if (!request.answered) request.reject(new Error('node stopped'));
    }
    this.pending.clear();
    this.transport.stop();
  }

  // ---- applications (the common API) -------------------------------------------------------------

  /** Registers an upper-layer application under `name` and returns its view of the overlay. */
  register(name: string, application: OverlayApplication): OverlayEndpoint {
    if (this.applications.has(name)) throw new Error(`application ${name} is already registered`);
    this.applications.set(name, application);
    return {
      localId: this.id,
      route: (key, body) => this.route(key, name, body),
      request: (key, body, options) => this.request(key, name, body, options),
      sendDirect: (to, body) => this.sendDirect(to, name, body),
      leafSet: () => [...this.leafSet.members()],
      replicaSet: (key, count) => this.replicaSet(key, count),
      isRoot: (key) => this.isRoot(key),
    };
  }

  route(key: NodeId, app: string, body: unknown, options: SendOptions = {}): void {
    const frame: RouteFrame = { t: 'route', id: this.newMessageId(), key, origin: this.id, hops: 0, app, body, want: false };
    this.forwardOrDeliver(frame, options.firstHop);
  }

  request(key: NodeId, app: string, body: unknown, options: RequestOptions & SendOptions = {}): Promise<Reply> {
    const id = this.newMessageId();
    const promise = new Promise<Reply>((resolve, reject) => {
      const timeout = options.timeoutMs ?? this.config.requestTimeoutMs;
      const timer = this.clock.setTimer(timeout, () => {
        const request = this.pending.get(id);
        this.pending.delete(id);
        if (request && !request.answered) request.reject(new Error(`request to ${key} timed out`));
      });
      this.pending.set(id, { resolve, reject, onReply: options.onReply, answered: false, timer });
    });
    const frame: RouteFrame = { t: 'route', id, key, origin: this.id, hops: 0, app, body, want: true };
    this.forwardOrDeliver(frame, options.firstHop);
    return promise;
  }

  sendDirect(to: NodeId, app: string, body: unknown): boolean {
    const frame: DirectFrame = { t: 'direct', id: this.newMessageId(), key: to, origin: this.id, hops: 0, app, body, want: false };
    return this.send(to, { ...frame, hops: 1 });
  }

  /** True when, as far as this node knows, it is the numerically closest live node to `key`. */
  isRoot(key: NodeId): boolean {
    return nextHop(key, this.leafSet, this.routingTable, (id) => this.links.has(id)).kind === 'deliver';
  }

  replicaSet(key: NodeId, count: number): NodeId[] {
    const all = [this.id, ...this.leafSet.members()];
    all.sort((a, b) => {
      const da = ringDistance(key, a);
      const db = ringDistance(key, b);
      return da < db ? -1 : da > db ? 1 : a < b ? -1 : 1;
    });
    return all.slice(0, count);
  }

  // ---- links -----------------------------------------------------------------------------------

  /** Opens a link to `peer`, signalled through the overlay; true once it is up. Concurrent calls share one dial. */
  connect(peer: NodeId, options: SendOptions = {}): Promise<boolean> {
    if (peer === this.id || this.currentState === 'left') return Promise.resolve(false);
    if (this.links.has(peer)) return Promise.resolve(true);
    const inFlight = this.dialling.get(peer);
    if (inFlight) return inFlight;
    this.stats.dialsStarted++;
    const dial = this.transport
      .dial(peer, (offer) => this.signalThroughOverlay(peer, offer, options))
      .then(
        () => true,
        () => {
          this.stats.dialsFailed++;
          return false;
        },
      )
      .finally(() => this.dialling.delete(peer));
    this.dialling.set(peer, dial);
    return dial;
  }

  /**
   * Over the link cap, a node accepts only links it needs itself: leaf-set members and nodes for an
   * empty slot of its own routing table. Others (who only want us as their table entry) are turned away.
   */
  shouldTurnAway(peer: NodeId): boolean {
    if (this.links.size < this.config.maxLinks) return false;
    if (this.leafSet.has(peer) || this.leafSet.wouldAccept(peer)) return false;
    return this.routingTable.occupantOf(peer) !== undefined;
  }

  markBusy(peer: NodeId): void {
    this.busyUntil.set(peer, this.clock.now() + this.config.busyBackoffMs);
  }

  /** Our ping to `peer` has gone unanswered for suspectAfterMs: route around it until it answers. */
  isSuspect(peer: NodeId): boolean {
    const entry = this.links.get(peer);
    return entry?.pingOutstanding !== undefined && this.clock.now() - entry.pingOutstanding > this.config.suspectAfterMs;
  }

  /** We just routed over a link that has been quiet for a while: make sure its peer is still there. */
  private checkIfQuiet(peer: NodeId): void {
    const entry = this.links.get(peer);
    if (entry && entry.pingOutstanding === undefined && this.clock.now() - entry.lastHeard > this.config.keepAliveMs) {
      this.maintenance.ping(peer);
    }
  }

  /** True while `peer` is backing us off (it said "busy" recently): do not pick it for a table slot. */
  isBusy(peer: NodeId): boolean {
    const until = this.busyUntil.get(peer);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.busyUntil.delete(peer);
    return false;
  }

  isDialling(peer: NodeId): boolean {
    return this.dialling.has(peer);
  }

  pin(peer: NodeId): void {
    this.pinned.set(peer, (this.pinned.get(peer) ?? 0) + 1);
    this.refreshNeed(peer);
  }

  unpin(peer: NodeId): void {
    const n = (this.pinned.get(peer) ?? 0) - 1;
    if (n > 0) this.pinned.set(peer, n);
    else this.pinned.delete(peer);
    this.refreshNeed(peer);
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

  /**
   * Puts a linked peer where it belongs: the leaf set if it is among the L/2 closest on a side, the
   * routing table if its slot is empty or it is nearer (lower RTT) than the slot's occupant.
   */
  placePeer(peer: NodeId): void {
    if (!this.links.get(peer)?.announced) return;
    const inLeafSet = this.leafSet.has(peer);
    if (inLeafSet && this.routingTable.has(peer)) return; // nothing to gain (most keep-alive pongs)
    if (!inLeafSet && this.leafSet.wouldAccept(peer)) {
      const { evicted } = this.leafSet.add(peer);
      this.emit('leafset', peer, true);
      for (const gone of evicted) {
        this.emit('leafset', gone, false);
        this.refreshNeed(gone);
      }
    }
    const occupant = this.routingTable.occupantOf(peer);
    if (occupant === undefined) {
      this.routingTable.set(peer);
    } else if (occupant !== peer) {
      const rttNew = this.links.rtt(peer);
      const rttOld = this.links.rtt(occupant);
      // Proximity neighbour selection: a clearly nearer candidate takes the slot.
      if (rttNew !== undefined && (rttOld === undefined || rttNew < rttOld * 0.9)) {
        this.routingTable.set(peer);
        this.refreshNeed(occupant);
      }
    }
    this.refreshNeed(peer);
  }

  /** Recomputes whether we need the link to `peer`, tells the peer on change, closes it when nobody does. */
  refreshNeed(peer: NodeId): void {
    const entry = this.links.get(peer);
    if (!entry) return;
    entry.localNeed = this.leafSet.has(peer) || this.routingTable.has(peer) || this.pinned.has(peer);
    if (entry.localNeed !== entry.advertisedNeed) {
      entry.advertisedNeed = entry.localNeed;
      this.send(peer, { t: 'need', need: entry.localNeed });
    }
    this.closeIfIdle(peer);
  }

  /** A peer is gone (link closed, silent, or it said goodbye): forget it and start repair. */
  peerGone(peer: NodeId): void {
    const wasLeaf = this.leafSet.remove(peer);
    const slot = this.routingTable.remove(peer);
    if (wasLeaf) this.emit('leafset', peer, false);
    if (wasLeaf || slot) this.stats.peersFailed++;
    if (this.currentState === 'left') return;
    this.maintenance.repair(peer, wasLeaf, slot);
  }

  /**
   * Closes a link neither side needs once it has also carried no traffic for a grace period: a
   * request that just went through it may still have its reply on the way back.
   */
  private closeIfIdle(peer: NodeId): void {
    const entry = this.links.get(peer);
    if (!entry || entry.localNeed || entry.remoteNeed || entry.closeScheduled) return;
    entry.closeScheduled = true;
    const link = entry.link;
    const check = () => {
      const current = this.links.get(peer);
      if (!current || current.link !== link) return;
      current.closeScheduled = false;
      if (current.localNeed || current.remoteNeed) return;
      const quietFor = this.clock.now() - Math.max(current.lastHeard, current.lastSent);
      if (quietFor >= this.config.idleLinkGraceMs) {
        link.close();
        return;
      }
      current.closeScheduled = true;
      // At least 1 ms: with floating-point time, "grace minus quiet" can be a sub-resolution sliver
      // that never lets the clock advance.
      this.clock.setTimer(Math.max(1, this.config.idleLinkGraceMs - quietFor), check);
    };
    this.clock.setTimer(this.config.idleLinkGraceMs, check);
  }

  private onLink(link: Link): void {
    if (this.currentState === 'left') {
      link.close();
      return;
    }
    const { kept, loser } = this.links.add(link, this.clock.now());
    if (loser) this.retire(loser);
    if (!kept) return;
    // The dialler measures the round trip at once (it chose this peer and may compare it, PNS); the
    // other side learns its RTT from keep-alives.
    if (link.outbound) this.maintenance.ping(link.peer);
    if (this.currentState === 'joined') this.send(link.peer, { t: 'announce' });
    this.placePeer(link.peer);
    this.emit('links', this.links.size);
  }

  /**
   * Two nodes that dial each other at once end up with two links; both keep the same one (PeerLinks)
   * and retire the other. Frames already on their way over the retired link are still accepted until
   * it closes after the grace period: closing it at once lost replies in flight.
   */
  private retire(link: Link): void {
    this.retired.add(link);
    this.clock.setTimer(this.config.idleLinkGraceMs, () => {
      if (this.retired.delete(link)) link.close();
    });
  }

  private onClose(link: Link): void {
    if (this.retired.delete(link)) return;
    if (!this.links.remove(link)) return;
    this.emit('links', this.links.size);
    this.peerGone(link.peer);
  }

  private onFrame(link: Link, raw: unknown): void {
    const entry = this.links.get(link.peer);
    if (!entry || (entry.link !== link && !this.retired.has(link))) {
      this.stats.drop('frame on a stale link');
      return;
    }
    entry.lastHeard = this.clock.now();
    this.stats.framesReceived++;
    const decoded = decodeFrame(raw);
    if (!decoded.ok) {
      this.stats.drop(`malformed: ${decoded.reason}`);
      return;
    }
    const frame = decoded.frame;
    switch (frame.t) {
      case 'route':
        if (frame.want) this.reversePaths.remember(frame.id, link.peer, this.clock.now());
        this.forwardOrDeliver(frame);
        return;
      case 'direct':
        if (frame.want) this.reversePaths.remember(frame.id, link.peer, this.clock.now());
        this.deliverLocally(frame);
        return;
      case 'reply':
        this.onReply(frame);
        return;
      case 'announce':
        entry.announced = true;
        if (!entry.link.outbound && this.shouldTurnAway(link.peer)) {
          // Not closed here: the peer may already route through us. It drops us from its table on
          // "busy", and the link then closes as any unneeded link does, with nothing in flight.
          this.send(link.peer, { t: 'busy' });
          return;
        }
        this.placePeer(link.peer);
        return;
      case 'busy': {
        this.markBusy(link.peer);
        if (this.leafSet.has(link.peer)) return;
        const slot = this.routingTable.remove(link.peer);
        this.refreshNeed(link.peer);
        if (slot) this.maintenance.repair(link.peer, false, slot);
        return;
      }
      case 'need':
        entry.remoteNeed = frame.need;
        this.closeIfIdle(link.peer);
        return;
      case 'leaving':
        this.links.remove(entry.link);
        entry.link.close();
        this.emit('links', this.links.size);
        this.peerGone(link.peer);
        return;
      default:
        this.maintenance.onFrame(link.peer, frame);
    }
  }

  // ---- routing ---------------------------------------------------------------------------------

  private forwardOrDeliver(frame: RouteFrame, firstHop?: NodeId): void {
    if (frame.hops > this.config.maxHops) {
      this.stats.drop('too many hops');
      return;
    }
    const dead = new Set<NodeId>();
    // A JOIN is never routed to the joiner: it is linked to its bootstrap node (which may already
    // count it as a leaf) but the root it is looking for is the closest node other than itself.
    const joiner = frame.app === JOIN_APP ? frame.origin : undefined;
    const usable = (id: NodeId) => this.links.has(id) && !dead.has(id) && id !== joiner && !this.isSuspect(id);
    // A message for a node we hold a link to goes straight there (distance 0: it is the root), even
    // before that node has made it into our leaf set or table (it may be joining, or just learned of).
    const direct = frame.key !== joiner && this.links.has(frame.key) ? frame.key : undefined;
    let decision = firstHop ?? direct
      ? ({ kind: 'forward', nextHop: (firstHop ?? direct)! } as const)
      : nextHop(frame.key, this.leafSet, this.routingTable, usable);
    if (decision.kind === 'deliver') {
      this.deliverLocally(frame);
      return;
    }
    const application = this.applications.get(frame.app);
    if (application?.forward) {
      const nextHopId = decision.nextHop;
      const verdict = this.callApplication(() => application.forward!(this.asMessage(frame), nextHopId)) ?? false;
      if (verdict === false) return;
      if (verdict !== true) frame = { ...frame, body: verdict.body };
    }
    // Route around links that fail under our feet: the routing rule falls through to other entries.
    for (let attempt = 0; attempt < 4; attempt++) {
      if (this.send(decision.nextHop, { ...frame, hops: frame.hops + 1 })) {
        this.stats.forwarded++;
        this.checkIfQuiet(decision.nextHop);
        return;
      }
      dead.add(decision.nextHop);
      decision = nextHop(frame.key, this.leafSet, this.routingTable, usable);
      if (decision.kind === 'deliver') {
        this.deliverLocally(frame);
        return;
      }
    }
    this.stats.drop('no usable next hop');
  }

  private deliverLocally(frame: RouteFrame | DirectFrame): void {
    const application = this.applications.get(frame.app);
    if (!application) {
      this.stats.drop(`no application ${frame.app}`);
      return;
    }
    this.stats.delivered++;
    this.callApplication(() => application.deliver(this.asMessage(frame)));
  }

  /** An application's bug must not break routing for everyone else: contain and count it. */
  private callApplication<T>(call: () => T): T | undefined {
    try {
      return call();
    } catch {
      this.stats.drop('application error');
      return undefined;
    }
  }

  private asMessage(frame: RouteFrame | DirectFrame): RoutedMessage {
    const base = { key: frame.key, origin: frame.origin, hops: frame.hops, body: frame.body };
    if (!frame.want) return base;
    return {
      ...base,
      reply: (body: unknown) => this.sendReply(frame.id, body),
      relay: (to: NodeId, body: unknown) =>
        this.send(to, { t: 'direct', id: frame.id, key: frame.key, origin: frame.origin, hops: frame.hops + 1, app: frame.app, body, want: true }),
    };
  }

  private sendReply(id: string, body: unknown): void {
    const reply: ReplyFrame = { t: 'reply', id, from: this.id, hops: 0, body };
    if (this.pending.has(id)) {
      this.onReply(reply);
      return;
    }
    this.passReplyBack(reply);
  }

  private onReply(frame: ReplyFrame): void {
    const request = this.pending.get(frame.id);
    if (request) {
      const reply: Reply = { from: frame.from, body: frame.body, hops: frame.hops };
      if (request.onReply) this.callApplication(() => request.onReply!(reply));
      if (!request.answered) {
        request.answered = true;
        request.resolve(reply);
      }
      if (!request.onReply) {
        this.clock.clearTimer(request.timer as never);
        this.pending.delete(frame.id);
      }
      return;
    }
    this.passReplyBack(frame);
  }

  private passReplyBack(frame: ReplyFrame): void {
    const previous = this.reversePaths.previousHop(frame.id, this.clock.now());
    if (!previous || !this.send(previous, { ...frame, hops: frame.hops + 1 })) this.stats.drop('reply without a way back');
  }

  private async signalThroughOverlay(peer: NodeId, offer: SignalBlob, options: SendOptions): Promise<SignalBlob> {
    return this.join.signal(peer, offer, options.firstHop);
  }

  // ---- helpers for join.ts and maintenance.ts ----------------------------------------------------

  /** @internal Periodic neighbourhood refresh (see JoinProtocol.refresh). */
  refreshNeighbourhood(): Promise<{ via: NodeId; candidates: NodeId[] } | undefined> {
    return this.join.refresh();
  }

  /** @internal */
  sweepReversePaths(): void {
    this.reversePaths.sweep(this.clock.now());
  }

  /** @internal */
  emit<K extends keyof PastryNodeEvents>(event: K, ...args: Parameters<PastryNodeEvents[K]>): void {
    for (const listener of this.listeners[event]) (listener as (...a: unknown[]) => void)(...args);
    if (event === 'leafset') {
      const [node, joined] = args as [NodeId, boolean];
      for (const application of this.applications.values()) this.callApplication(() => application.update?.(node, joined));
    }
  }

  /** @internal */
  registerInternal(name: string, application: OverlayApplication): void {
    this.applications.set(name, application);
  }

  private setState(state: NodeState): void {
    this.currentState = state;
    this.emit('state', state);
  }

  private newMessageId(): string {
    return randomHex(this.random, 16);
  }
}
