// Virtual time for the simulator: timers go into a binary heap ordered by (time, insertion order) and
// run() executes them in order, so a run is a pure function of its seed.

import type { Clock, TimerHandle } from '../overlay/environment.js';

interface TimerEvent {
  time: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private current = 0;
  private seq = 0;
  private readonly heap: TimerEvent[] = [];
  /** Timers executed so far (a measure of simulation work). */
  executed = 0;

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const event: TimerEvent = { time: this.current + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    if (!Number.isFinite(event.time)) return event; // "never": not queued at all
    this.push(event);
    return event;
  }

  clearTimer(handle: TimerHandle): void {
    (handle as TimerEvent).cancelled = true;
  }

  get pending(): number {
    return this.heap.length;
  }

  /**
   * Runs timers in time order until `done()` holds, the queue is empty, or time passes `until`.
   * Promise continuations run at the virtual time they were triggered, so async protocol code
   * (dial, request) advances in virtual time like everything else.
   */
  async run(options: { until?: number; done?: () => boolean } = {}): Promise<void> {
    const until = options.until ?? Infinity;
    let drainedAt = -Infinity;
    for (;;) {
      let next = this.heap[0];
      // Before time moves on, let every promise continuation run: an answer that arrived at t must
      // be handled before a timeout due later fires. A full drain costs a macrotask, so it
      // happens once per DRAIN_WINDOW_MS of virtual time; within a window a few microtask turns
      // run after each timer. Continuations may thus see a clock up to a window late (deterministic).
      if (!next || next.time > drainedAt + DRAIN_WINDOW_MS) {
        await drainMicrotasks();
        drainedAt = this.current;
        next = this.heap[0];
      }
      if (options.done?.()) return;
      if (!next || next.time > until) {
        if (Number.isFinite(until)) this.current = Math.max(this.current, until);
        return;
      }
      this.pop();
      if (next.cancelled) continue;
      this.current = next.time;
      this.executed++;
      next.callback();
      await Promise.resolve();
      await Promise.resolve();
    }
  }

  /** Advances virtual time by `ms`, running everything due. */
  advance(ms: number): Promise<void> {
    return this.run({ until: this.current + ms });
  }

  // Binary heap with "hole" sifting: no swap temporaries (destructuring swaps allocated on every step).
  private push(event: TimerEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    const size = heap.length;
    if (size === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const child = r < size && before(heap[r], heap[l]) ? r : l;
      if (!before(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
}

const DRAIN_WINDOW_MS = 1;

function before(a: TimerEvent, b: TimerEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** setImmediate runs only after the microtask queue is empty: every pending continuation has run. */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
