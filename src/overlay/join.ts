// Joining, and opening links through the overlay.
//
// Join (the paper's section 2.4, adapted to WebRTC): the new node X has one link, to A (whoever the
// bootstrap introduced). X routes JOIN toward its own id through A; every node on the path adds
// itself and its routing-table rows that X can use; the root Z (numerically closest to X) adds its
// leaf set and replies along the reverse path. X then picks its leaf set and one node per routing
// table slot and opens links to them, each signalled through the overlay via A. Opening those links
// is X's announcement: each peer places X in its own leaf set or table when the link comes up.
//
// Signalling: SIGNAL(offer) is routed toward the target's id; only the node whose id IS that key
// answers, and the answer returns along the reverse path (the dialler need not be reachable by key).

import { ANSWER_LIMITS, AnswerBudget } from './answer-budget.js';
import type { OverlayApplication, Reply, RequestOptions, RoutedMessage } from './api.js';
import type { Introduction, SignalBlob } from './environment.js';
import type { NodeId } from './id.js';
import { LeafSet } from './leaf-set.js';
import {
  decodeJoinBody,
  decodeJoinReply,
  decodeSignalBody,
  JOIN_APP,
  MAX_IDS_PER_FRAME,
  SIGNAL_APP,
  type JoinBody,
  type JoinReplyBody,
  type SignalBody,
  type SignalGrant,
  type SignalRefusal,
} from './messages.js';
import type { ConnectOptions, NodeCore, SendOptions } from './node-core.js';
import { RoutingTable } from './routing-table.js';

/** What joining and signalling need from their node (requests, and the link keeper's bookkeeping). */
export interface JoinComponents
  extends Pick<NodeCore, 'id' | 'config' | 'clock' | 'random' | 'stats' | 'leafSet' | 'routingTable' | 'links' | 'transport' | 'state'> {
  request(key: NodeId, app: string, body: unknown, options: RequestOptions & SendOptions): Promise<Reply>;
  registerInternal(name: string, application: OverlayApplication): void;
  connect(peer: NodeId, options: ConnectOptions): Promise<boolean>;
  pin(peer: NodeId): void;
  unpin(peer: NodeId): void;
  markBusy(peer: NodeId): void;
  isBusy(peer: NodeId): boolean;
  shouldTurnAway(peer: NodeId): boolean;
}

/**
 * How many of its linked peers a node on a JOIN's path offers the joiner (besides its table rows).
 * 64, not 32: many candidates are hubs at their link cap that turn the joiner away, and a wider pool
 * leaves fewer routing-table holes (so shorter routes).
 */
export const LINKED_PEERS_OFFERED = 64;
export const JOIN_DIAL_ROUNDS = 8;

export class JoinProtocol {
  private readonly answers: AnswerBudget;

  constructor(private readonly node: JoinComponents) {
    const scarce = (node.transport.connections?.limit ?? Infinity) !== Infinity;
    this.answers = new AnswerBudget(node.clock, scarce ? ANSWER_LIMITS.perMinute : ANSWER_LIMITS.unlimitedPerMinute);
    node.registerInternal(JOIN_APP, {
      forward: (msg) => this.addOwnState(msg),
      deliver: (msg) => this.answerAsRoot(msg),
    });
    node.registerInternal(SIGNAL_APP, { deliver: (msg) => this.answerSignal(msg) });
  }

  /**
   * Runs the join through the first link `introduction` gives us (we dial it through a Signaller, or
   * it was answered). Resolves once the leaf set is linked, with a promise for the routing table's
   * remaining dial rounds.
   */
  async run(introduction: Introduction): Promise<{ tableDone: Promise<void> }> {
    const node = this.node;
    const first = typeof introduction === 'function' ? await node.transport.dial(null, introduction) : await introduction.answered;
    // An answered link is already in our links (it came through onLink); one that closed meanwhile is not.
    if (!node.links.has(first.peer)) throw new Error('the first link closed before the join');
    const via = first.peer;
    node.pin(via);
    let tableRounds: Promise<void> = Promise.resolve();
    try {
      const reply = await node.request(node.id, JOIN_APP, { joiner: node.id, candidates: [] } satisfies JoinBody, { firstHop: via });
      const state = decodeJoinReply(reply.body);
      if (!state) throw new Error('malformed join reply');
      const candidates = [state.root, ...state.leafSet, ...state.candidates, via];
      const tried = new Set<NodeId>();
      const round = (withLeaves: boolean) => {
        const chosen = this.choose(candidates.filter((id) => !tried.has(id) && !node.isBusy(id)), withLeaves);
        const fresh = chosen.filter((id) => !node.links.has(id) && !tried.has(id));
        for (const id of fresh) tried.add(id);
        return fresh.map((peer) => ({ peer, linked: node.connect(peer, { firstHop: via, purpose: withLeaves ? 'leaf' : 'table' }) }));
      };
      // The join is done once the leaf set is linked (routing to us is then correct, as in MSPastry);
      // the table's links keep coming in the background. Waiting for them too made every join wait for its slowest table dial.
      const dials = round(true);
      const leaves = new Set(LeafSet.nearest(node.id, candidates, node.config.leafSetSize));
      tableRounds = this.moreTableRounds(dials.map((d) => d.linked), round);
      await Promise.all(dials.filter((d) => leaves.has(d.peer)).map((d) => d.linked));
      // Everyone the join named is gone (under churn the introducer and the root can go while we
      // dial): joined with an empty leaf set we would be a ring of one, and every later newcomer the
      // bootstrap sent us would join that island. Fail instead; the caller joins afresh.
      if (node.leafSet.count === 0) throw new Error('join: no node the join named could be linked');
    } catch (error) {
      node.unpin(via);
      throw error;
    }
    const tableDone = tableRounds.finally(() => node.unpin(via));
    return { tableDone };
  }

  /**
   * Rounds while candidates last (at most JOIN_DIAL_ROUNDS): a slot whose pick turned us away
   * (busy) or failed gets another candidate. Where many nodes sit at the link cap, each round fills
   * row-0 holes the earlier ones left; a round dials only slots still empty, so it costs little.
   */
  private async moreTableRounds(first: Promise<boolean>[], round: (withLeaves: boolean) => { linked: Promise<boolean> }[]): Promise<void> {
    let pending = first;
    for (let i = 1; i < JOIN_DIAL_ROUNDS && pending.length > 0 && this.node.state() !== 'left'; i++) {
      await Promise.all(pending);
      pending = round(false).map((d) => d.linked);
    }
  }

  /**
   * Re-learns our neighbourhood: a JOIN for our own id, sent first to a random node of our table
   * (so the route comes back to our part of the ring through other nodes' tables), answered by the
   * closest node other than us. Its leaf set and the path's nodes become candidates.
   */
  async refresh(): Promise<{ via: NodeId; candidates: NodeId[] } | undefined> {
    const node = this.node;
    // Start far away (row 0, else any entry, else a leaf): a route from a leaf stays in its ring.
    const rowZero = node.routingTable.row(0).filter((id) => !node.leafSet.has(id));
    const known = rowZero.length > 0 ? rowZero : [...node.routingTable.entries(), ...node.leafSet.members()];
    if (known.length === 0) return undefined;
    const start = known[node.random.int(known.length)];
    const reply = await node.request(node.id, JOIN_APP, { joiner: node.id, candidates: [], refresh: true } satisfies JoinBody, { firstHop: start });
    const state = decodeJoinReply(reply.body);
    // Offers to these candidates go through `start` too: its route reached their neighbourhood.
    return state ? { via: start, candidates: [state.root, ...state.leafSet, ...state.candidates] } : undefined;
  }

  /**
   * The nodes around `key` (the node closest to it and its leaf set), found by a JOIN-style lookup;
   * `firstHop` starts it elsewhere (ring merging starts it in the other ring).
   */
  async nodesAround(key: NodeId, firstHop?: NodeId): Promise<NodeId[] | undefined> {
    const body: JoinBody = { joiner: this.node.id, candidates: [], refresh: true };
    const reply = await this.node.request(key, JOIN_APP, body, { firstHop });
    const state = decodeJoinReply(reply.body);
    return state ? [state.root, ...state.leafSet] : undefined;
  }

  /** Opens a link's signalling: routes our offer to `peer` and waits for its answer. */
  async signal(peer: NodeId, offer: SignalBlob, firstHop?: NodeId): Promise<SignalBlob> {
    const body: SignalBody = { target: peer, kind: 'offer', data: offer.data };
    const reply = await this.node.request(peer, SIGNAL_APP, body, { firstHop });
    const answer = decodeSignalBody(reply.body);
    if ((reply.body as Partial<SignalRefusal> | null)?.refused === 'busy') this.node.markBusy(peer);
    if (reply.from !== peer || !answer || answer.kind !== 'answer') throw new Error(`${peer} is not reachable`);
    return { kind: 'answer', data: answer.data };
  }

  /**
   * Asks `peer`, routed like an offer, whether it would take a link from us; true only on its yes.
   * No peer connection exists yet: a refusal (busy, or nobody with that id) costs two routed frames
   * and nothing of the page's peer-connection budget.
   */
  async mayLink(peer: NodeId, firstHop?: NodeId): Promise<boolean> {
    const body: SignalBody = { target: peer, kind: 'ask', data: '' };
    const reply = await this.node.request(peer, SIGNAL_APP, body, { firstHop }).catch(() => undefined);
    if (!reply || reply.from !== peer) return false;
    if ((reply.body as Partial<SignalRefusal> | null)?.refused === 'busy') this.node.markBusy(peer);
    return (reply.body as Partial<SignalGrant> | null)?.granted === true;
  }

  /** The leaf set (first round only) and one node per still-empty routing-table slot. */
  private choose(candidates: NodeId[], withLeaves: boolean): NodeId[] {
    const node = this.node;
    const leaves = withLeaves ? LeafSet.nearest(node.id, candidates, node.config.leafSetSize) : [];
    // Leaves get links anyway, so they fill their table slots first; a random candidate takes each
    // remaining slot (without RTTs yet; routing-table maintenance later swaps in nearer nodes).
    const table = new RoutingTable(node.id, node.config.bitsPerDigit);
    // Peers we already have links with count too: their "announce" may still be on its way.
    for (const id of [...node.routingTable.entries(), ...node.links.peers(), ...leaves]) {
      if (table.occupantOf(id) === undefined) table.set(id);
    }
    const shuffled = [...new Set(candidates)];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = node.random.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    for (const id of shuffled) if (id !== node.id && table.occupantOf(id) === undefined) table.set(id);
    return [...new Set([...leaves, ...table.entries()])].filter((id) => !node.links.has(id));
  }

  /** On the path of a JOIN: add ourselves and the rows the joiner can use (those up to our shared prefix). */
  private addOwnState(msg: RoutedMessage): boolean | { body: JoinBody } {
    const join = decodeJoinBody(msg.body);
    if (!join) {
      this.node.stats.drop('malformed join');
      return false;
    }
    if (join.refresh) return true;
    return { body: { joiner: join.joiner, candidates: this.withOwnState(join.candidates, join.joiner) } };
  }

  private answerAsRoot(msg: RoutedMessage): void {
    const join = decodeJoinBody(msg.body);
    if (!join || !msg.reply) {
      this.node.stats.drop('malformed join');
      return;
    }
    const reply: JoinReplyBody = {
      root: this.node.id,
      leafSet: this.node.leafSet.members(),
      candidates: join.refresh ? [] : this.withOwnState(join.candidates, join.joiner),
    };
    msg.reply(reply);
  }

  /**
   * Adds us, our routing-table rows the joiner can use, and every other joined node we have a link
   * with. Links include the nodes that picked us recently, not only the ones we picked: a pool of
   * distinct candidates where each is one draw keeps joiners from all copying the same old nodes.
   */
  private withOwnState(collected: NodeId[], joiner: NodeId): NodeId[] {
    const node = this.node;
    const table = node.routingTable;
    const shared = Math.min(table.slotOf(joiner)?.row ?? 0, table.maxRows - 1);
    const all = new Set(collected);
    all.add(node.id);
    for (let row = 0; row <= shared; row++) for (const id of table.row(row)) all.add(id);
    // A random sample of the linked peers, not all of them: a node near the link cap would otherwise
    // hand every joiner a hundred ids to weigh, and the joiner's candidates grew with N.
    const linked: NodeId[] = [];
    for (const entry of node.links.all()) if (entry.announced) linked.push(entry.link.peer);
    for (let i = 0; i < Math.min(LINKED_PEERS_OFFERED, linked.length); i++) {
      const j = i + node.random.int(linked.length - i);
      [linked[i], linked[j]] = [linked[j], linked[i]];
      all.add(linked[i]);
    }
    all.delete(joiner);
    return [...all].slice(0, MAX_IDS_PER_FRAME);
  }

  private answerSignal(msg: RoutedMessage): void {
    const signal = decodeSignalBody(msg.body);
    if (!signal || signal.kind === 'answer' || !msg.reply) {
      this.node.stats.drop('malformed signal');
      return;
    }
    const refuse = () => msg.reply?.({ refused: 'no-such-node' } satisfies SignalRefusal);
    // docs/DESIGN.md: the root answers only if its own id equals the key; anyone else says "not here".
    if (signal.target !== this.node.id) {
      refuse();
      return;
    }
    if (this.node.shouldTurnAway(msg.origin)) {
      msg.reply({ refused: 'busy' } satisfies SignalRefusal);
      return;
    }
    if (signal.kind === 'ask') {
      if (this.answers.grant(msg.origin)) msg.reply({ granted: true } satisfies SignalGrant);
      else {
        this.node.stats.drop('signal: too many grants');
        msg.reply({ refused: 'busy' } satisfies SignalRefusal);
      }
      return;
    }
    const refusal = this.answers.takeOffer(msg.origin);
    if (refusal) {
      this.node.stats.drop(`signal: ${refusal}`);
      // An offer nobody asked for gets no answer at all; a granted one over budget is told to back off.
      if (refusal !== 'no grant') msg.reply({ refused: 'busy' } satisfies SignalRefusal);
      return;
    }
    this.node.transport.answer(msg.origin, { kind: 'offer', data: signal.data }).then(
      (answer) => msg.reply?.({ target: msg.origin, kind: 'answer', data: answer.data } satisfies SignalBody),
      refuse,
    ).finally(() => this.answers.done());
  }
}
