// The wall clock for real environments (browser tabs, headless peers, the bootstrap server). The
// simulator passes a virtual clock instead; protocol code only ever sees the Clock interface.

import type { Clock } from '../environment.js';

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
