// The life of a link: dialling it, placing its peer in the leaf set or routing table, telling the peer whether we
// still need it, closing it once neither side does, turning peers away over the link cap, and phasing
// out the duplicate when two nodes dial each other at once.
//
// In WebRTC a routing-table entry is only useful with an open data channel, so "which links do we
// keep" and "what is in our leaf set and table" are one question, answered here.

import { LinkRefusedBusy, PeerConnectionLimit, type Link, type SignalBlob } from './environment.js';
import type { NodeId } from './id.js';
import { ConnectionBudget } from './connection-budget.js';
import type { OverlayFrame } from './messages.js';
import type { ConnectOptions, GoneCause, NodeCore } from './node-core.js';
import type { PeerLink } from './peer-links.js';
import type { Slot } from './routing-table.js';

/** What the link keeper needs from its node: sending, the join's signalling, maintenance's pings and repair. */
export interface LinkKeeperComponents
  extends Pick<NodeCore, 'id' | 'config' | 'clock' | 'stats' | 'leafSet' | 'routingTable' | 'links' | 'transport' | 'state'> {
  send(peer: NodeId, frame: OverlayFrame): boolean;
  /** A peer is gone: forget it everywhere and start repair (the node's peerGone). */
  peerGone(peer: NodeId, cause: GoneCause): void;
  leafSetChanged(peer: NodeId, joined: boolean): void;
  /** A nearer node pushed `peer` out of our leaf set (Maintenance.leafEvicted). */
  leafEvicted(peer: NodeId): void;
  linksChanged(): void;
  /** Asks `peer` whether it would take a link from us (JoinProtocol.mayLink). */
  mayLink(peer: NodeId, firstHop: NodeId | undefined): Promise<boolean>;
  /** Routes our offer to `peer` and waits for its answer (JoinProtocol.signal). */
  signal(peer: NodeId, offer: SignalBlob, firstHop: NodeId | undefined): Promise<SignalBlob>;
  ping(peer: NodeId): void;
  /** Repair after `peer` left our table (Maintenance.repair). */
  repair(peer: NodeId, wasLeaf: boolean, slot: Slot | undefined): void;
}

export class LinkKeeper {
  private readonly dialling = new Map<NodeId, Promise<boolean>>();
  /** Duplicate links being phased out (see retire). */
  private readonly retired = new Set<Link>();
  /** Peers that turned our link away as "busy", until when. */
  private readonly busyUntil = new Map<NodeId, number>();
  /** Peers whose link must stay open for now (the bootstrap link while joining), by reference count. */
  private readonly pinned = new Map<NodeId, number>();
  readonly budget: ConnectionBudget;
  /** Links turned away by shedOverCap (once each). */
  private readonly shedLinks = new WeakSet<PeerLink>();
  /**
   * Peers whose link closed while they were our leaf or table entry, until when: they crashed or
   * left, and gossip keeps naming them for a while (a silent crash is reported only after ICE
   * consent runs out). Dialling them would construct a connection for nothing. Insertion order is
   * expiry order.
   */
  private readonly recentlyGone = new Map<NodeId, number>();

  constructor(private readonly node: LinkKeeperComponents) {
    const { config } = node;
    this.budget = new ConnectionBudget(node.clock, () => node.transport.connections, {
      windowMs: config.budgetWindowMs,
      tableRecentMax: config.budgetTableRecentMax,
      tableHeldShare: config.budgetTableHeldShare,
      proximityRecentMax: config.budgetProximityRecentMax,
      proximityHeldShare: config.budgetProximityHeldShare,
    });
  }

  // ---- links opening and closing ----------------------------------------------------------------

  /** Opens a link to `peer`, signalled through the overlay; true once it is up. Concurrent calls share one dial. */
  connect(peer: NodeId, { firstHop, purpose = 'direct' }: ConnectOptions = {}): Promise<boolean> {
    const node = this.node;
    if (peer === node.id || node.state() === 'left') return Promise.resolve(false);
    if (node.links.has(peer)) return Promise.resolve(true);
    const inFlight = this.dialling.get(peer);
    if (inFlight) return inFlight;
    // A joining node builds its state at once; a joined one spends its budget by purpose.
    if (node.state() === 'joined' && !this.budget.allows(purpose)) return Promise.resolve(false);
    const dial = this.mayConstruct(peer, firstHop)
      .then(async (granted) => {
        // A refusal was counted (and a busy peer marked) by the ask; the peer may also have linked
        // to us meanwhile, or we left.
        if (!granted || node.state() === 'left') return false;
        if (node.links.has(peer)) return true;
        node.stats.dialsStarted++;
        node.stats.dialsFor[purpose]++;
        try {
          await node.transport.dial(peer, async (offer) => node.signal(peer, offer, firstHop));
          return true;
        } catch (error) {
          node.stats.dialsFailed++;
          if (error instanceof LinkRefusedBusy) this.markBusy(peer);
          else if (error instanceof PeerConnectionLimit) node.stats.drop('peer connection limit');
          return false;
        }
      })
      .finally(() => this.dialling.delete(peer));
    this.dialling.set(peer, dial);
    return dial;
  }

  /**
   * Ask first, construct after a yes: a peer connection costs the page one of its 500 whether or not
   * the peer takes it. Leaves are asked too: the answer is almost always yes, but the ask also finds
   * out, for two routed frames, that the peer is gone (gossip names crashed nodes for a while).
   * Not asked where the transport asks before constructing (the simulator's direct mode).
   */
  private async mayConstruct(peer: NodeId, firstHop: NodeId | undefined): Promise<boolean> {
    const node = this.node;
    if (node.transport.admitsBeforeConstructing) return true;
    node.stats.linkAsks++;
    const granted = await node.mayLink(peer, firstHop);
    if (!granted) node.stats.linkAsksRefused++;
    return granted;
  }

  isDialling(peer: NodeId): boolean {
    return this.dialling.has(peer);
  }

  onLink(link: Link): void {
    const node = this.node;
    if (node.state() === 'left') {
      link.close();
      return;
    }
    // Back (a reloaded tab keeps its id): gossip naming it may be believed again.
    this.recentlyGone.delete(link.peer);
    const { kept, loser } = node.links.add(link, node.clock.now());
    if (loser) {
      node.stats.duplicateLinks++;
      this.retire(loser);
    }
    if (!kept) return;
    // The dialler needs the round trip at once (it chose this peer and may compare it, PNS): from the
    // transport's handshake if it measured one, else a ping. The other side learns it from keep-alives.
    if (link.outbound && link.handshakeRttMs === undefined) this.node.ping(link.peer);
    if (node.state() === 'joined') node.send(link.peer, { t: 'announce' });
    this.placePeer(link.peer);
    node.linksChanged();
  }

  onClose(link: Link): void {
    if (this.retired.delete(link)) return;
    if (!this.node.links.remove(link)) return;
    this.node.linksChanged();
    this.node.peerGone(link.peer, link.closeReason === 'connectivity' ? 'path' : 'failed');
  }

  /** `peer` was in our state when its link closed: do not take it from gossip for a while. */
  rememberGone(peer: NodeId): void {
    const { clock, config } = this.node;
    const now = clock.now();
    for (const [id, until] of this.recentlyGone) {
      if (until > now && this.recentlyGone.size < config.recentlyGoneMax) break;
      this.recentlyGone.delete(id);
    }
    this.recentlyGone.delete(peer);
    this.recentlyGone.set(peer, now + config.recentlyGoneMs);
  }

  isRecentlyGone(peer: NodeId): boolean {
    const until = this.recentlyGone.get(peer);
    return until !== undefined && until > this.node.clock.now();
  }

  /** Frames still arriving over a retired duplicate are accepted until it closes. */
  isRetired(link: Link): boolean {
    return this.retired.has(link);
  }

  /**
   * Two nodes that dial each other at once end up with two links; both keep the same one (PeerLinks)
   * and retire the other. Frames already on their way over the retired link are still accepted until
   * it closes after the grace period: closing it at once lost replies in flight.
   */
  private retire(link: Link): void {
    this.retired.add(link);
    this.node.clock.setTimer(this.node.config.idleLinkGraceMs, () => {
      if (this.retired.delete(link)) link.close();
    });
  }

  // ---- link-control frames ----------------------------------------------------------------------

  onAnnounce(entry: PeerLink, peer: NodeId): void {
    entry.announced = true;
    if (!entry.link.outbound && this.shouldTurnAway(peer)) {
      // Not closed here: the peer may already route through us. It drops us from its table on
      // "busy", and the link then closes as any unneeded link does, with nothing in flight.
      this.node.send(peer, { t: 'busy' });
      return;
    }
    this.placePeer(peer);
  }

  onBusy(peer: NodeId): void {
    this.markBusy(peer);
    if (this.node.leafSet.has(peer)) return;
    const slot = this.node.routingTable.remove(peer);
    this.refreshNeed(peer);
    if (slot) this.node.repair(peer, false, slot);
  }

  onNeed(entry: PeerLink, peer: NodeId, need: boolean): void {
    entry.remoteNeed = need;
    this.closeIfIdle(peer);
  }

  onLeaving(entry: PeerLink, peer: NodeId): void {
    this.node.links.remove(entry.link);
    entry.link.close();
    this.node.linksChanged();
    this.node.peerGone(peer, 'left');
  }

  // ---- link cap and back-off --------------------------------------------------------------------

  /**
   * Over the link cap, a node accepts only links it needs itself: leaf-set members and nodes for an
   * empty slot of its own routing table. Others (who only want us as their table entry) are turned away.
   */
  shouldTurnAway(peer: NodeId): boolean {
    const node = this.node;
    // A link to `peer` already open (its announce is being weighed) is not counted against it: with
    // it counted, a node one below the cap admitted a dial and then turned the same link away.
    const others = node.links.has(peer) ? node.links.size - 1 : node.links.size;
    if (node.leafSet.has(peer) || node.leafSet.wouldAccept(peer)) return false;
    // Answering constructs a connection too: over budget, only leaves are taken.
    if (!node.links.has(peer) && node.state() === 'joined' && !this.budget.allowsAnswer()) return true;
    if (others < node.config.maxLinks) return false;
    return node.routingTable.occupantOf(peer) !== undefined;
  }

  markBusy(peer: NodeId): void {
    this.busyUntil.set(peer, this.node.clock.now() + this.node.config.busyBackoffMs);
  }

  /** True while `peer` is backing us off (it said "busy" recently): do not pick it for a table slot. */
  isBusy(peer: NodeId): boolean {
    const until = this.busyUntil.get(peer);
    if (until === undefined) return false;
    if (until > this.node.clock.now()) return true;
    this.busyUntil.delete(peer);
    return false;
  }

  // ---- liveness of links we route over ------------------------------------------------------------

  /**
   * Route around `peer` until it answers: it let a routed frame go unacked, or our ping to it has
   * gone unanswered for suspectAfterMs.
   */
  isSuspect(peer: NodeId): boolean {
    const entry = this.node.links.get(peer);
    if (!entry) return false;
    if (entry.suspected) return true;
    return entry.pingOutstanding !== undefined && this.node.clock.now() - entry.pingOutstanding > this.node.config.suspectAfterMs;
  }

  /** `peer` swallowed a routed frame: avoid it, and ping it (any frame from it clears the suspicion). */
  suspect(peer: NodeId): void {
    const entry = this.node.links.get(peer);
    if (!entry || entry.suspected) return;
    entry.suspected = true;
    this.node.stats.suspected++;
    this.node.ping(peer);
  }

  /**
   * We just routed over a link that has been quiet for a while: make sure its peer is still there.
   * Not needed where the transport reports dead peers and hops ack what they forward.
   */
  checkIfQuiet(peer: NodeId): void {
    if (this.node.transport.failureDetectionMs !== undefined) return;
    const entry = this.node.links.get(peer);
    if (entry && entry.pingOutstanding === undefined && this.node.clock.now() - entry.lastHeard > this.node.config.keepAliveMs) {
      this.node.ping(peer);
    }
  }

  // ---- who needs a link -------------------------------------------------------------------------

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

  /**
   * Puts a linked peer where it belongs: the leaf set if it is among the L/2 closest on a side, the
   * routing table if its slot is empty or it is nearer (lower RTT) than the slot's occupant.
   */
  placePeer(peer: NodeId): void {
    const { leafSet, routingTable, links } = this.node;
    if (!links.get(peer)?.announced) return;
    const inLeafSet = leafSet.has(peer);
    if (inLeafSet && routingTable.has(peer)) return; // nothing to gain (most keep-alive pongs)
    if (!inLeafSet && leafSet.wouldAccept(peer)) {
      const { evicted } = leafSet.add(peer);
      this.node.leafSetChanged(peer, true);
      for (const gone of evicted) {
        this.node.leafSetChanged(gone, false);
        this.node.leafEvicted(gone);
        this.refreshNeed(gone);
      }
    }
    // A peer that turned us away keeps the link only as our leaf (or its own need): putting it back in
    // the table on its next pong undid "busy" and grew hubs of a thousand links.
    if (this.isBusy(peer)) {
      this.refreshNeed(peer);
      return;
    }
    const occupant = routingTable.occupantOf(peer);
    if (occupant === undefined) {
      routingTable.set(peer);
    } else if (occupant !== peer && !this.pinned.has(peer)) {
      // A link kept open for someone else's reasons (an application's direct link, the join's first
      // hop) does not push out a table entry: the entry would outlive the reason and keep the link.
      const rttNew = links.rtt(peer);
      const rttOld = links.rtt(occupant);
      const { proximityGainShare, proximityMinGainMs } = this.node.config;
      // Proximity neighbour selection with hysteresis: only a much nearer candidate takes the slot
      // (each swap costs a connection somewhere, and closes one that may have years left).
      if (rttNew !== undefined && (rttOld === undefined || (rttNew < rttOld * proximityGainShare && rttOld - rttNew >= proximityMinGainMs))) {
        routingTable.set(peer);
        this.refreshNeed(occupant);
      }
    }
    this.refreshNeed(peer);
  }

  /** Recomputes whether we need the link to `peer`, tells the peer on change, closes it when nobody does. */
  refreshNeed(peer: NodeId): void {
    const node = this.node;
    const entry = node.links.get(peer);
    if (!entry) return;
    const neededBefore = entry.localNeed;
    entry.localNeed = node.leafSet.has(peer) || node.routingTable.has(peer) || this.pinned.has(peer);
    if (entry.localNeed !== entry.advertisedNeed) {
      entry.advertisedNeed = entry.localNeed;
      node.send(peer, { t: 'need', need: entry.localNeed });
    }
    if (entry.localNeed && !neededBefore) this.shedOverCap();
    this.closeIfIdle(peer);
  }

  /**
   * Over the cap because our own needs grew (links we took for others while under it stay open),
   * turn away as many of the links only others need: they drop us from their tables on "busy" and
   * the links close as idle. Without it a node's links reached maxLinks plus its own table.
   */
  private shedOverCap(): void {
    const node = this.node;
    let excess = node.links.size - node.config.maxLinks;
    if (excess <= 0) return;
    for (const entry of node.links.all()) {
      if (excess <= 0) return;
      const peer = entry.link.peer;
      if (entry.localNeed || !entry.remoteNeed || this.shedLinks.has(entry) || this.pinned.has(peer) || node.leafSet.wouldAccept(peer)) continue;
      node.stats.shed++;
      // Its need=false answer closes the link; a peer that holds us as its leaf keeps it (onBusy).
      this.shedLinks.add(entry);
      node.send(peer, { t: 'busy' });
      excess--;
    }
  }

  /**
   * Closes a link neither side needs once it has also carried no traffic for a grace period: a
   * request that just went through it may still have its reply on the way back.
   */
  private closeIfIdle(peer: NodeId): void {
    const { links, clock, config } = this.node;
    const entry = links.get(peer);
    if (!entry || entry.localNeed || entry.remoteNeed || entry.closeScheduled) return;
    entry.closeScheduled = true;
    const link = entry.link;
    const check = () => {
      const current = links.get(peer);
      if (!current || current.link !== link) return;
      current.closeScheduled = false;
      if (current.localNeed || current.remoteNeed) return;
      const quietFor = clock.now() - Math.max(current.lastHeard, current.lastSent);
      if (quietFor >= config.idleLinkGraceMs) {
        link.close();
        return;
      }
      current.closeScheduled = true;
      // At least 1 ms: with floating-point time, "grace minus quiet" can be a sub-resolution sliver
      // that never lets the clock advance.
      clock.setTimer(Math.max(1, config.idleLinkGraceMs - quietFor), check);
    };
    clock.setTimer(config.idleLinkGraceMs, check);
  }
}
