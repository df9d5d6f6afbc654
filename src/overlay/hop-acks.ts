// Per-hop acknowledgements for routed messages (MSPastry, Castro, Costa & Rowstron 2004): the next
// hop acks every routed frame it receives; a hop that stays silent is suspected and the frame goes
// again along another route. Without them, a lookup forwarded to a node that crashed silently is
// lost until the transport notices the crash (ICE consent: about 30 s), and that was most of the
// wrong lookups under churn.

import type { Clock, TimerHandle } from './environment.js';
import type { NodeId } from './id.js';
import type { RouteFrame } from './messages.js';

/** What the acks need from the node: timing, the link's round trip, and what to do on silence. */
export interface HopAckComponents {
  clock: Clock;
  /** The smoothed round trip to `peer`, if measured. */
  rtt(peer: NodeId): number | undefined;
  /** `peer` did not ack `frame` in time: suspect it and send the frame on another way. */
  onSilent(frame: RouteFrame, peer: NodeId, attempt: number): void;
}

export interface HopAckLimits {
  /** Frames awaiting an ack at once (a flood must not grow memory without bound); beyond it, not tracked. */
  maxPending: number;
  /** Wait at least this long, and this long when the round trip is unknown. */
  minTimeoutMs: number;
  unknownRttTimeoutMs: number;
}

interface Pending {
  frame: RouteFrame;
  nextHop: NodeId;
  attempt: number;
  timer: TimerHandle;
}

export class HopAcks {
  private readonly pending = new Map<string, Pending>();
  /** Frames sent without a tracked ack because maxPending was reached. */
  untracked = 0;

  constructor(
    private readonly components: HopAckComponents,
    private readonly limits: HopAckLimits,
  ) {}

  /** We forwarded `frame` (attempt 0 for the first try) to `nextHop`: expect its ack. */
  expect(frame: RouteFrame, nextHop: NodeId, attempt: number): void {
    const { clock, rtt } = this.components;
    const previous = this.pending.get(frame.id);
    if (previous) clock.clearTimer(previous.timer);
    else if (this.pending.size >= this.limits.maxPending) {
      this.untracked++;
      return;
    }
    const measured = rtt(nextHop);
    const timeout = measured === undefined ? this.limits.unknownRttTimeoutMs : Math.max(this.limits.minTimeoutMs, 2 * measured + 100);
    const entry: Pending = {
      frame,
      nextHop,
      attempt,
      timer: clock.setTimer(timeout, () => {
        if (this.pending.get(frame.id) !== entry) return;
        this.pending.delete(frame.id);
        this.components.onSilent(frame, nextHop, attempt);
      }),
    };
    this.pending.set(frame.id, entry);
  }

  /** `from` acked message `id`: only the hop we sent it to can settle it. */
  onAck(id: string, from: NodeId): void {
    const entry = this.pending.get(id);
    if (!entry || entry.nextHop !== from) return;
    this.components.clock.clearTimer(entry.timer);
    this.pending.delete(id);
  }

  /** The node stops. */
  clear(): void {
    for (const entry of this.pending.values()) this.components.clock.clearTimer(entry.timer);
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }
}
