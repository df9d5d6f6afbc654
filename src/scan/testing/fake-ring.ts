// UNIT-TEST FAKE, not the overlay. An in-memory ring of OverlayEndpoints with a perfect global view:
// a routed message reaches the live node numerically closest to its key, each node's leaf set is
// its L/2 live neighbours on each side, sendDirect/relay reach leaves only, and leaf-set changes
// are reported through update(). Every message takes `latencyMs` of virtual time. A body over
// MAX_FRAME_BYTES of JSON is dropped, as the WebRTC transport drops such a frame. No routing
// tables or hops: routing itself is tested in src/overlay and the simulator.

import type { OverlayApplication, OverlayEndpoint, Reply, RequestOptions, RoutedMessage } from '../../overlay/api.js';
import { MAX_FRAME_BYTES } from '../../overlay/config.js';
import type { Clock } from '../../overlay/environment.js';
import { closestTo, isCloser, type NodeId } from '../../overlay/id.js';
import { jsonBytes } from '../messages.js';

interface RingNode {
  id: NodeId;
  app?: OverlayApplication;
}

export class FakeRing {
  private readonly nodes = new Map<NodeId, RingNode>();
  private sorted: NodeId[] = [];
  private requestCounter = 0;
  /** Messages that reached an application, by body type `t` (for tests that count traffic). */
  readonly delivered = new Map<string, number>();
  /** JSON size in bytes of every reply body sent, in order (for tests that check frame sizes). */
  readonly replyBytes: number[] = [];
  /** Messages dropped for exceeding MAX_FRAME_BYTES. */
  oversized = 0;

  constructor(
    private readonly clock: Clock,
    readonly leafSetSize = 16,
    readonly latencyMs = 5,
  ) {}

  /** A node joins; the returned function is the `connect` an application registers with. */
  join(id: NodeId): (app: OverlayApplication) => OverlayEndpoint {
    const before = this.leafSets();
    const node: RingNode = { id };
    this.nodes.set(id, node);
    this.sorted = [...this.nodes.keys()].sort();
    return (app) => {
      node.app = app;
      this.reportChanges(before);
      return this.endpoint(node);
    };
  }

  /** The node crashes; its neighbours notice at once (the real overlay takes a keep-alive timeout). */
  fail(id: NodeId): void {
    const before = this.leafSets();
    this.nodes.delete(id);
    this.sorted = this.sorted.filter((other) => other !== id);
    this.reportChanges(before);
  }

  ids(): NodeId[] {
    return [...this.sorted];
  }

  rootOf(key: NodeId): NodeId {
    return closestTo(key, this.sorted) as NodeId;
  }

  /** The L/2 live neighbours on each side of a live node. */
  leafSetOf(id: NodeId): NodeId[] {
    const others = this.sorted.filter((other) => other !== id);
    if (others.length <= this.leafSetSize) return others;
    const at = this.sorted.indexOf(id);
    const n = this.sorted.length;
    const leaves: NodeId[] = [];
    for (let i = 1; i <= this.leafSetSize / 2; i++) leaves.push(this.sorted[(at - i + n) % n], this.sorted[(at + i) % n]);
    return leaves;
  }

  private leafSets(): Map<NodeId, NodeId[]> {
    return new Map(this.sorted.map((id) => [id, this.leafSetOf(id)]));
  }

  private reportChanges(before: Map<NodeId, NodeId[]>): void {
    for (const node of this.nodes.values()) {
      const old = new Set(before.get(node.id) ?? []);
      const now = new Set(this.leafSetOf(node.id));
      for (const leaf of old) if (!now.has(leaf)) node.app?.update?.(leaf, false);
      for (const leaf of now) if (!old.has(leaf) && before.has(node.id)) node.app?.update?.(leaf, true);
    }
  }

  private endpoint(node: RingNode): OverlayEndpoint {
    const self = node.id;
    const alive = () => this.nodes.get(self) === node;
    return {
      localId: self,
      route: (key, body) => {
        if (alive() && this.fits(body)) this.later(() => this.deliverTo(this.rootOf(key), { key, origin: self, hops: 1, body }));
      },
      request: (key, body, options) => this.request(self, key, body, options),
      sendDirect: (to, body) => {
        if (!alive() || !this.leafSetOf(self).includes(to)) return false;
        if (!this.fits(body)) return true; // accepted by the link, dropped by the transport
        this.later(() => this.deliverTo(to, { key: to, origin: self, from: self, hops: 1, body }));
        return true;
      },
      openDirect: () => Promise.resolve(false), // SCAN uses only links the ring already has
      closeDirect: () => undefined,
      leafSet: () => this.leafSetOf(self),
      replicaSet: (key, count) =>
        [self, ...this.leafSetOf(self)].sort((a, b) => (isCloser(key, a, b) ? -1 : 1)).slice(0, count),
      isRoot: (key) => this.rootOf(key) === self,
    };
  }

  private request(origin: NodeId, key: NodeId, body: unknown, options: RequestOptions = {}): Promise<Reply> {
    const id = ++this.requestCounter;
    return new Promise((resolve, reject) => {
      let answered = false;
      const timer = this.clock.setTimer(options.timeoutMs ?? 10_000, () => {
        open = false;
        if (!answered) reject(new Error(`request ${id} to ${key} timed out`));
      });
      let open = true;
      const reply = (from: NodeId) => (replyBody: unknown) => {
        this.replyBytes.push(jsonBytes(replyBody));
        if (!this.fits(replyBody)) return;
        this.later(() => {
          if (!open || !this.nodes.has(origin)) return;
          const answer: Reply = { from, body: replyBody, hops: 1 };
          options.onReply?.(answer);
          if (!answered) resolve(answer);
          answered = true;
          if (!options.onReply) this.clock.clearTimer(timer);
        });
      };
      const deliverAt = (at: NodeId, hops: number, requestBody: unknown, from?: NodeId): void => {
        this.deliverTo(at, {
          key, origin, hops, body: requestBody, ...(from === undefined ? {} : { from }),
          reply: reply(at),
          relay: (to, relayed) => {
            if (!this.leafSetOf(at).includes(to)) return false;
            if (!this.fits(relayed)) return true;
            this.later(() => deliverAt(to, hops + 1, relayed, at));
            return true;
          },
        });
      };
      if (this.fits(body)) this.later(() => deliverAt(this.rootOf(key), 1, body));
    });
  }

  private deliverTo(to: NodeId, msg: RoutedMessage): void {
    const app = this.nodes.get(to)?.app;
    if (app === undefined) return;
    const type = (msg.body as { t?: string } | null)?.t ?? '?';
    this.delivered.set(type, (this.delivered.get(type) ?? 0) + 1);
    app.deliver(msg);
  }

  private fits(body: unknown): boolean {
    if (jsonBytes(body) <= MAX_FRAME_BYTES) return true;
    this.oversized++;
    return false;
  }

  private later(action: () => void): void {
    this.clock.setTimer(this.latencyMs, action);
  }
}
