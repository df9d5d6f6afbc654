// UNIT-TEST FAKE, not the overlay. An in-memory stand-in for Pastry that gives the IM layer the
// common API (route / request / deliver) with one property that matters to it: a message for key K
// is delivered at the live node numerically closest to K. There are no links, tables or hops; the
// real overlay and the simulator (src/overlay, src/sim) are where routing is tested.

import type { OverlayApplication, OverlayEndpoint, Reply, RequestOptions, RoutedMessage } from '../../overlay/api.js';
import type { Clock } from '../../overlay/environment.js';
import { closestTo, type NodeId } from '../../overlay/id.js';
import type { OverlayHost } from '../messenger.js';

/** Decides what happens to one routed message: the delays of each copy delivered ([] = lost). */
export type DeliveryPlan = (message: { origin: NodeId; key: NodeId; body: unknown }) => number[];
/** A hostile node on the way: the node that takes this message instead of the key's root (undefined: the root). */
export type Diversion = (message: { origin: NodeId; key: NodeId; body: unknown }) => NodeId | undefined;

export class FakeOverlay {
  private readonly live = new Map<NodeId, Map<string, OverlayApplication>>();
  /** Every body routed and every answer, as an eavesdropping node on the way would see it. */
  readonly seen: unknown[] = [];
  plan: DeliveryPlan;
  divert: Diversion = () => undefined;

  constructor(private readonly clock: Clock, readonly latencyMs = 20, readonly requestTimeoutMs = 5_000) {
    this.plan = () => [this.latencyMs];
  }

  /** A node joins; its applications register on the returned host. A killed node may join again. */
  join(id: NodeId): OverlayHost {
    const apps = new Map<string, OverlayApplication>();
    this.live.set(id, apps);
    return {
      register: (name, application) => {
        apps.set(name, application);
        return this.endpoint(id, name, apps);
      },
    };
  }

  /** The node vanishes without a word (a crashed tab). */
  kill(id: NodeId): void {
    this.live.delete(id);
  }

  isLive(id: NodeId): boolean {
    return this.live.has(id);
  }

  private endpoint(localId: NodeId, app: string, incarnation: Map<string, OverlayApplication>): OverlayEndpoint {
    // A killed node's leftovers (timers of its old messenger) must stay silent after it rejoins.
    const alive = () => this.live.get(localId) === incarnation;
    return {
      localId,
      route: (key, body) => {
        if (alive()) this.send(localId, app, key, body, undefined);
      },
      request: (key, body, options) =>
        alive() ? this.request(localId, app, key, body, options) : Promise.reject(new Error('node is dead')),
      sendDirect: () => false,
      openDirect: () => Promise.resolve(false),
      closeDirect: () => undefined,
      leafSet: () => [],
      replicaSet: (key, count) => [...this.live.keys()].sort((a, b) => (closestTo(key, [a, b]) === a ? -1 : 1)).slice(0, count),
      isRoot: (key) => closestTo(key, this.live.keys()) === localId,
    };
  }

  private request(origin: NodeId, app: string, key: NodeId, body: unknown, options: RequestOptions = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const timer = this.clock.setTimer(options.timeoutMs ?? this.requestTimeoutMs, () => {
        if (!answered) reject(new Error('request timed out'));
        answered = true;
      });
      const reply = (from: NodeId) => (replyBody: unknown) => {
        const copy = structuredClone(replyBody);
        this.seen.push(copy); // a node on the reverse path sees the answer too
        this.clock.setTimer(this.latencyMs, () => {
          if (!this.live.has(origin)) return;
          const r = { from, body: copy, hops: 1 };
          options.onReply?.(r);
          if (answered) return;
          answered = true;
          this.clock.clearTimer(timer);
          resolve(r);
        });
      };
      this.send(origin, app, key, body, reply);
    });
  }

  private send(origin: NodeId, app: string, key: NodeId, body: unknown, reply?: (from: NodeId) => (body: unknown) => void): void {
    if (!this.live.has(origin)) return;
    const copy = structuredClone(body);
    this.seen.push(copy);
    for (const delay of this.plan({ origin, key, body: copy })) {
      this.clock.setTimer(delay, () => {
        const root = this.divert({ origin, key, body: copy }) ?? closestTo(key, this.live.keys());
        const application = root && this.live.get(root)?.get(app);
        if (!root || !application) return;
        const message: RoutedMessage = { key, origin, hops: 1, body: structuredClone(copy), reply: reply?.(root) };
        application.deliver(message);
      });
    }
  }
}
