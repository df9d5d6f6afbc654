// Forwarding a routed frame one hop on (the Pastry routing rule plus what a real network needs:
// links failing under our feet, silent next hops, applications that may modify or drop a message),
// and handing frames to the applications registered on this node.

import type { OverlayApplication, RoutedMessage } from './api.js';
import type { OverlayConfig } from './config.js';
import type { Clock } from './environment.js';
import { HopAcks } from './hop-acks.js';
import type { NodeId } from './id.js';
import type { LeafSet } from './leaf-set.js';
import { JOIN_APP, type DirectFrame, type OverlayFrame, type RouteFrame } from './messages.js';
import type { PeerLinks } from './peer-links.js';
import { RootHold, type HoldOutcome } from './root-hold.js';
import { nextHop, type RouteDecision } from './router.js';
import type { RoutingTable } from './routing-table.js';
import type { OverlayStats } from './stats.js';
import { Swallowers } from './swallowers.js';

/** A routed frame whose next hop stayed silent is sent again along another route at most this often. */
export const MAX_REROUTES = 3;
/** Next hops tried when sending fails under our feet (the link closed as we sent). */
const SEND_TRIES = 4;

/** One request on its way: sent once, maybe again around its first hops, and told when answered. */
export interface RequestSending {
  first(): void;
  again(): void;
  answered(): void;
}

/** What forwarding needs from its node. */
export interface ForwarderComponents {
  readonly config: OverlayConfig;
  readonly clock: Clock;
  readonly stats: OverlayStats;
  readonly leafSet: LeafSet;
  readonly routingTable: RoutingTable;
  readonly links: PeerLinks;
  send(peer: NodeId, frame: OverlayFrame): boolean;
  isSuspect(peer: NodeId): boolean;
  suspect(peer: NodeId): void;
  checkIfQuiet(peer: NodeId): void;
  sendReply(requestId: string, body: unknown): void;
  hasLeft(): boolean;
}

export class Forwarder {
  readonly applications = new Map<string, OverlayApplication>();
  /** First hops that took our requests and never let a reply come back (routed around). */
  readonly swallowers: Swallowers;
  /** Frames waiting for a suspected root to answer (root-hold.ts). */
  readonly rootHold: RootHold;
  private readonly hopAcks: HopAcks;

  constructor(private readonly node: ForwarderComponents) {
    const { config } = node;
    this.swallowers = new Swallowers(node.clock);
    this.rootHold = new RootHold(node.clock, { maxHeld: config.rootHoldMax, holdMs: config.rootHoldMs });
    this.hopAcks = new HopAcks(
      {
        clock: node.clock,
        rtt: (peer) => node.links.rtt(peer),
        onSilent: (frame, peer, attempt) => {
          node.suspect(peer);
          if (attempt >= MAX_REROUTES || node.hasLeft()) {
            node.stats.drop('no hop acked');
            return;
          }
          node.stats.rerouted++;
          this.forwardOrDeliver(frame, undefined, attempt + 1);
        },
      },
      { maxPending: config.hopAcksMax, minTimeoutMs: config.hopAckMinMs, unknownRttTimeoutMs: config.hopAckUnknownRttMs },
    );
  }

  /** A routed frame arrived from `from`: ack it to that hop, then pass it on or take it. */
  onRouteFrame(frame: RouteFrame, from: NodeId): void {
    this.node.send(from, { t: 'ack', id: frame.id });
    this.forwardOrDeliver(frame);
  }

  onAck(id: string, from: NodeId): void {
    this.hopAcks.onAck(id, from);
  }

  /** Any frame came from `peer` (it lives), or it is gone: frames held for it go on. */
  heardFrom(peer: NodeId): void {
    this.rootHold.heardFrom(peer);
  }

  peerGone(peer: NodeId): void {
    this.rootHold.gone(peer);
  }

  /** The node stops: no rerouting any more. */
  stop(): void {
    this.hopAcks.clear();
    if (this.rootHold.size > 0) this.node.stats.drop('held at stop');
    this.rootHold.clear();
  }

  /**
   * `attempt`: how often this frame was rerouted around a silent next hop already. `avoid`: next hops
   * not to take (a request sent again around the first hop it took); `onlyForward`: such a copy is
   * never delivered here (we already routed it on once: we are not its root). `passSuspectRoot`: the
   * frame already waited for its suspected root (root-hold.ts) and now goes around it. Returns the hop
   * taken (for a held frame, the root it waits for).
   */
  forwardOrDeliver(
    frame: RouteFrame,
    firstHop?: NodeId,
    attempt = 0,
    avoid?: ReadonlySet<NodeId>,
    onlyForward = false,
    passSuspectRoot = false,
  ): NodeId | undefined {
    const node = this.node;
    if (frame.hops > node.config.maxHops) {
      node.stats.drop('too many hops');
      return undefined;
    }
    // A node that left knows no one: it would take every key itself (an app routing after Leave).
    if (node.hasLeft()) {
      node.stats.drop('routed after leaving');
      return undefined;
    }
    const dead = new Set<NodeId>(avoid);
    // A JOIN is never routed to the joiner: it is linked to its bootstrap node (which may already
    // count it as a leaf) but the root it is looking for is the closest node other than itself.
    const joiner = frame.app === JOIN_APP ? frame.origin : undefined;
    // Swallowers are avoided as intermediate hops only: within the leaf set's range the closest node
    // is the root, and skipping it would deliver to the wrong one.
    const avoidSwallowers = !node.leafSet.covers(frame.key);
    const usable = (id: NodeId) =>
      node.links.has(id) && !dead.has(id) && id !== joiner && !node.isSuspect(id) && !(avoidSwallowers && this.swallowers.isAvoided(id));
    // A message for a node we hold a link to goes straight there (distance 0: it is the root), even
    // before that node has made it into our leaf set or table (it may be joining, or just learned of).
    // Not over a link that both sides have let go: traffic would keep it from ever falling quiet and
    // closing (two buddies' presence keep-alives kept their chat's direct link open for good).
    const linked = node.links.get(frame.key);
    const direct =
      frame.key !== joiner && linked && (linked.localNeed || linked.remoteNeed) && !node.isSuspect(frame.key) && !dead.has(frame.key)
        ? frame.key
        : undefined;
    let decision = firstHop ?? direct
      ? ({ kind: 'forward', nextHop: (firstHop ?? direct)! } as const)
      : nextHop(frame.key, node.leafSet, node.routingTable, usable);
    const linkedOnly = (id: NodeId) => node.links.has(id) && !dead.has(id) && id !== joiner;
    const waitFor = firstHop || onlyForward || passSuspectRoot ? undefined : this.suspectToWaitFor(frame.key, decision, linkedOnly);
    if (waitFor) {
      // Heard from: it lives, so it gets the frame (even while a ping of ours is still unanswered).
      const resume = (outcome: HoldOutcome) => {
        if (node.hasLeft()) return;
        if (outcome === 'heard') this.forwardOrDeliver(frame, waitFor, attempt);
        else this.forwardOrDeliver(frame, undefined, attempt, avoid, false, true);
      };
      if (this.rootHold.hold(waitFor, resume)) return waitFor;
    }
    if (decision.kind === 'deliver') {
      if (!onlyForward) this.deliverLocally(frame);
      return undefined;
    }
    const application = this.applications.get(frame.app);
    // An application weighs a message once per hop, not again when it is rerouted.
    if (application?.forward && attempt === 0) {
      const nextHopId = decision.nextHop;
      const verdict = this.callApplication(() => application.forward!(this.asMessage(frame), nextHopId)) ?? false;
      if (verdict === false) return undefined;
      if (verdict !== true) frame = { ...frame, body: verdict.body };
    }
    // Route around links that fail under our feet: the routing rule falls through to other entries.
    for (let tries = 0; tries < SEND_TRIES; tries++) {
      if (node.send(decision.nextHop, { ...frame, hops: frame.hops + 1 })) {
        node.stats.forwarded++;
        this.hopAcks.expect(frame, decision.nextHop, attempt);
        node.checkIfQuiet(decision.nextHop);
        return decision.nextHop;
      }
      dead.add(decision.nextHop);
      decision = nextHop(frame.key, node.leafSet, node.routingTable, usable);
      if (decision.kind === 'deliver') {
        if (!onlyForward) this.deliverLocally(frame);
        return undefined;
      }
    }
    node.stats.drop('no usable next hop');
    return undefined;
  }

  /**
   * A suspected node the frame should wait for instead of going elsewhere (root-hold.ts): the key's
   * root by our leaf set, if suspected (skipping it would deliver to the wrong node if it lives); or,
   * for a key beyond our leaf set (so we are not its root), the hop the rule would take if suspicion
   * did not count, when with it nothing is left and we would take the frame ourselves.
   */
  private suspectToWaitFor(key: NodeId, decision: { kind: RouteDecision['kind'] }, linked: (id: NodeId) => boolean): NodeId | undefined {
    const { leafSet, routingTable } = this.node;
    const covered = leafSet.covers(key);
    if (!covered && decision.kind !== 'deliver') return undefined;
    // The routing rule itself, with suspicion not counted: within the leaf set it names the root.
    const ignoringSuspicion = nextHop(key, leafSet, routingTable, linked);
    if (ignoringSuspicion.kind !== 'forward') return undefined;
    return !covered || this.node.isSuspect(ignoringSuspicion.nextHop) ? ignoringSuspicion.nextHop : undefined;
  }

  /**
   * Our request `frame`, sent so that it can go again around every first hop it took so far when
   * it stays unanswered (a black hole acks and drops). A first hop that is the key's root by our leaf
   * set is not routed around: any other node would be the wrong root, and a slow root's answer is
   * still the right one. When only a copy was answered, the first hop is blamed as a swallower.
   */
  sendWithRetries(frame: RouteFrame): RequestSending {
    const tried = new Set<NodeId>();
    let firstHop: NodeId | undefined;
    let lastHop: NodeId | undefined;
    let sentAround = false;
    const { leafSet } = this.node;
    return {
      first: () => void (firstHop = lastHop = this.forwardOrDeliver(frame)),
      again: () => {
        if (!lastHop || (leafSet.covers(frame.key) && leafSet.closest(frame.key) === lastHop)) return;
        tried.add(lastHop);
        const next = this.forwardOrDeliver(frame, undefined, 0, tried, true);
        if (next === undefined) return;
        lastHop = next;
        sentAround = true;
      },
      answered: () => {
        if (sentAround && firstHop) this.swallowers.blame(firstHop);
      },
    };
  }

  /** `from`: the link a direct frame came over (RoutedMessage.from). */
  deliverLocally(frame: RouteFrame | DirectFrame, from?: NodeId): void {
    const application = this.applications.get(frame.app);
    if (!application) {
      this.node.stats.drop('no application');
      return;
    }
    this.node.stats.delivered++;
    this.callApplication(() => application.deliver(this.asMessage(frame, from)));
  }

  /** An application's bug must not break routing for everyone else: contain and count it. */
  callApplication<T>(call: () => T): T | undefined {
    try {
      return call();
    } catch {
      this.node.stats.drop('application error');
      return undefined;
    }
  }

  private asMessage(frame: RouteFrame | DirectFrame, from?: NodeId): RoutedMessage {
    const base = { key: frame.key, origin: frame.origin, hops: frame.hops, body: frame.body, ...(from === undefined ? {} : { from }) };
    if (!frame.want) return base;
    return {
      ...base,
      reply: (body: unknown) => this.node.sendReply(frame.id, body),
      relay: (to: NodeId, body: unknown) =>
        this.node.send(to, { t: 'direct', id: frame.id, key: frame.key, origin: frame.origin, hops: frame.hops + 1, app: frame.app, body, want: true }),
    };
  }
}
