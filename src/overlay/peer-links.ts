// Book-keeping for this node's open links: one per peer, with what each side needs it for, when we
// last heard from the peer, and its measured round-trip time. A link stays open while either side
// needs it (leaf set, routing table, a pending request through it); when neither does, it is closed
// after a grace period.

import type { Link } from './environment.js';
import type { NodeId } from './id.js';

export interface PeerLink {
  readonly link: Link;
  /** The peer has announced that it joined: only then may it enter our leaf set or routing table. */
  announced: boolean;
  /** We need this link (the peer is in our leaf set or routing table, or a request is pending through it). */
  localNeed: boolean;
  /** The peer told us whether it needs the link; assume yes until told otherwise. */
  remoteNeed: boolean;
  /** What we last told the peer (so we only send changes). */
  advertisedNeed: boolean;
  lastHeard: number;
  lastSent: number;
  /** Smoothed round-trip time in ms; undefined until the first pong. */
  rttMs: number | undefined;
  /** Timestamp of our unanswered ping, if any. */
  pingOutstanding: number | undefined;
  /** The peer let a routed frame go unacked: route around it until it is heard from again. */
  suspected: boolean;
  /** An idle-close check is pending for this link. */
  closeScheduled: boolean;
  /** When we last hinted the peer with our leaf set (leaf-hints.ts: at most one per keep-alive period). */
  leafHintAt: number | undefined;
}

export class PeerLinks {
  private readonly byPeer = new Map<NodeId, PeerLink>();

  constructor(private readonly self: NodeId) {}

  get size(): number {
    return this.byPeer.size;
  }

  get(peer: NodeId): PeerLink | undefined {
    return this.byPeer.get(peer);
  }

  has(peer: NodeId): boolean {
    return this.byPeer.has(peer);
  }

  peers(): IterableIterator<NodeId> {
    return this.byPeer.keys();
  }

  all(): IterableIterator<PeerLink> {
    return this.byPeer.values();
  }

  /**
   * Records a new link. When a link to the same peer exists, both nodes keep the one dialled by the
   * smaller id; returns the link that lost (to be closed), or undefined.
   */
  add(link: Link, now: number): { kept: boolean; loser?: Link } {
    const existing = this.byPeer.get(link.peer);
    if (existing) {
      const dialledBySmaller = (l: Link) => (l.outbound ? this.self : l.peer) < (l.outbound ? l.peer : this.self);
      if (existing.link === link) return { kept: true };
      if (dialledBySmaller(existing.link) || !dialledBySmaller(link)) return { kept: false, loser: link };
      this.byPeer.set(link.peer, this.fresh(link, now, existing));
      return { kept: true, loser: existing.link };
    }
    this.byPeer.set(link.peer, this.fresh(link, now));
    return { kept: true };
  }

  /** Forgets the link if it is the current one for its peer; true when it was. */
  remove(link: Link): boolean {
    const current = this.byPeer.get(link.peer);
    if (!current || current.link !== link) return false;
    this.byPeer.delete(link.peer);
    return true;
  }

  rtt(peer: NodeId): number | undefined {
    return this.byPeer.get(peer)?.rttMs;
  }

  private fresh(link: Link, now: number, previous?: PeerLink): PeerLink {
    return {
      link,
      announced: previous?.announced ?? false,
      localNeed: previous?.localNeed ?? false,
      remoteNeed: true,
      advertisedNeed: true,
      lastHeard: now,
      lastSent: now,
      rttMs: previous?.rttMs ?? link.handshakeRttMs,
      pingOutstanding: undefined,
      suspected: false,
      closeScheduled: false,
      leafHintAt: previous?.leafHintAt,
    };
  }
}

/** Remembers, per routed request id, the link it came in on, so replies retrace the path. Bounded and expiring. */
export class ReversePaths {
  private readonly entries = new Map<string, { previousHop: NodeId; expires: number }>();
  /** Entries per previous hop: one neighbour may hold at most `maxPerHop` (a flood must not evict the rest). */
  private readonly perHop = new Map<NodeId, number>();
  private readonly maxPerHop: number;

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    share = 1,
  ) {
    this.maxPerHop = Math.max(1, Math.floor(max * share));
  }

  /** False when `previousHop` already holds its share: the request is refused, nobody else's entry goes. */
  remember(id: string, previousHop: NodeId, now: number): boolean {
    if (this.entries.has(id)) return true;
    this.sweep(now); // cheap (stops at the first live entry) and keeps memory bounded without timers
    const held = this.perHop.get(previousHop) ?? 0;
    if (held >= this.maxPerHop) return false;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    this.entries.set(id, { previousHop, expires: now + this.ttlMs });
    this.perHop.set(previousHop, held + 1);
    return true;
  }

  previousHop(id: string, now: number): NodeId | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expires < now) {
      this.forget(id);
      return undefined;
    }
    return entry.previousHop;
  }

  /** Drops expired entries (insertion order is expiry order, so stop at the first live one). */
  sweep(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.expires >= now) break;
      this.forget(id);
    }
  }

  private forget(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    const held = (this.perHop.get(entry.previousHop) ?? 1) - 1;
    if (held <= 0) this.perHop.delete(entry.previousHop);
    else this.perHop.set(entry.previousHop, held);
  }

  get size(): number {
    return this.entries.size;
  }
}
