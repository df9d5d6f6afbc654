// Frames waiting for a suspected root to prove itself alive.
//
// A next hop that acks late is suspected and routed around. That is right for an intermediate hop
// (any other route reaches the same root) but wrong for the key's root by our leaf set: skipping it
// delivers the frame to the second-closest node, a misdelivery while the root lives. A late ack is
// weak evidence (a busy event loop, a burst of traffic): in a ring of 7 Node peers under CPU load,
// 19% of lookups went to a root's neighbour that way. So a frame whose root is suspected waits here
// until the root is heard from again (it is alive: the frame goes to it), is gone (the leaf set no
// longer holds it: the frame is routed anew), or the wait runs out (treated as dead: routed around).
// The suspicion itself pings the root, so the answer comes within a round trip if it lives.

import type { Clock, TimerHandle } from './environment.js';
import type { NodeId } from './id.js';

export interface RootHoldLimits {
  /** Frames held at once over all roots; beyond it a frame is routed around at once (as without the hold). */
  maxHeld: number;
  /** How long a frame waits for its suspected root. */
  holdMs: number;
}

/**
 * Why a held frame goes on: 'heard' (the root lives: send it there), 'gone' (route anew without it),
 * 'expired' (the wait ran out with the root still silent: route around it this time).
 */
export type HoldOutcome = 'heard' | 'gone' | 'expired';
type Resume = (outcome: HoldOutcome) => void;

interface Waiting {
  resumes: Resume[];
  timer: TimerHandle;
}

export class RootHold {
  private readonly waiting = new Map<NodeId, Waiting>();
  private held = 0;
  /** Frames that went on once their root was heard from or gone; routed around after the wait; not held (full). */
  released = 0;
  expired = 0;
  refused = 0;

  constructor(
    private readonly clock: Clock,
    private readonly limits: RootHoldLimits,
  ) {}

  /** Holds a frame for `root`; false when full (the caller routes around the root at once). */
  hold(root: NodeId, resume: Resume): boolean {
    if (this.held >= this.limits.maxHeld) {
      this.refused++;
      return false;
    }
    let entry = this.waiting.get(root);
    if (!entry) {
      const created: Waiting = { resumes: [], timer: this.clock.setTimer(this.limits.holdMs, () => this.release(root, 'expired')) };
      this.waiting.set(root, created);
      entry = created;
    }
    entry.resumes.push(resume);
    this.held++;
    return true;
  }

  /** Any frame arrived from `peer`: it lives, its frames go on. */
  heardFrom(peer: NodeId): void {
    if (this.waiting.has(peer)) this.release(peer, 'heard');
  }

  /** `peer` is gone (link closed, declared failed): its frames are routed anew, without it. */
  gone(peer: NodeId): void {
    if (this.waiting.has(peer)) this.release(peer, 'gone');
  }

  /** The node stops: held frames are dropped (counted by the caller through `size`). */
  clear(): void {
    for (const entry of this.waiting.values()) this.clock.clearTimer(entry.timer);
    this.waiting.clear();
    this.held = 0;
  }

  get size(): number {
    return this.held;
  }

  private release(root: NodeId, outcome: HoldOutcome): void {
    const entry = this.waiting.get(root);
    if (!entry) return;
    this.waiting.delete(root);
    this.clock.clearTimer(entry.timer);
    this.held -= entry.resumes.length;
    if (outcome === 'expired') this.expired += entry.resumes.length;
    else this.released += entry.resumes.length;
    for (const resume of entry.resumes) resume(outcome);
  }
}
