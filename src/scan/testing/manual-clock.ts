// UNIT-TEST HELPER: a synchronous virtual clock for scan unit tests (timers run in time order on
// advance()). The simulator has its own VirtualClock (src/sim); this one keeps the unit tests free
// of it.

import type { Clock, TimerHandle } from '../../overlay/environment.js';

interface Timer {
  time: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private current = 0;
  private order = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: Timer = { time: this.current + Math.max(0, delayMs), order: this.order++, callback, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    (handle as Timer).cancelled = true;
  }

  /** Runs every timer due within `ms`, in (time, creation) order, then lets promise continuations run. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      const next = this.timers.reduce<Timer | undefined>(
        (best, timer) => (best === undefined || timer.time < best.time || (timer.time === best.time && timer.order < best.order) ? timer : best),
        undefined,
      );
      if (next === undefined || next.time > until) break;
      next.cancelled = true;
      this.current = next.time;
      next.callback();
      await Promise.resolve();
    }
    this.current = until;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
