// A network partition in the simulator: the nodes fall into two sides, and nothing crosses between
// them. Frames across vanish and dials across fail, silently, as behind a real cut; links across go
// silent and their ends are reported closed once ICE consent would have run out (consentTimeoutMs),
// unless the cut heals first. Healing lets frames and dials through again; it reopens nothing.

import type { Clock } from '../environment.js';
import type { NodeId } from '../id.js';

/** What the cut needs from the simulated network: each end's open links, and a way to close one end. */
export interface CutNetwork {
  readonly clock: Clock;
  readonly consentTimeoutMs: number;
  /** Every open link end: its owner, the peer at the far end, and closing this end. */
  linkEnds(): Iterable<{ readonly owner: { readonly localId: NodeId }; readonly peer: NodeId; shut(): void }>;
}

export class SimPartition {
  /** Which side a node is on while the network is cut; undefined while it is whole. */
  private side: ((id: NodeId) => boolean) | undefined;

  constructor(private readonly network: CutNetwork) {}

  get active(): boolean {
    return this.side !== undefined;
  }

  /** Cuts the network: `sideA` tells the nodes of one side (a set of ids, or a predicate). */
  cut(sideA: ReadonlySet<NodeId> | ((id: NodeId) => boolean)): void {
    const side = typeof sideA === 'function' ? sideA : (id: NodeId) => sideA.has(id);
    this.side = side;
    const { clock, consentTimeoutMs } = this.network;
    if (!Number.isFinite(consentTimeoutMs)) return;
    clock.setTimer(consentTimeoutMs, () => {
      if (this.side !== side) return; // healed (or cut anew) meanwhile
      const across = [...this.network.linkEnds()].filter((end) => this.separates(end.owner.localId, end.peer));
      for (const end of across) end.shut();
    });
  }

  heal(): void {
    this.side = undefined;
  }

  /** True while `a` and `b` are on different sides of a cut. */
  separates(a: NodeId, b: NodeId): boolean {
    const side = this.side;
    return side !== undefined && side(a) !== side(b);
  }
}
