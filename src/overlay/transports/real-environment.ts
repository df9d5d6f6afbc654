// Clock and Random for real environments (browser tabs, headless peers, the bootstrap server). The
// simulator and tests pass a virtual clock and a seeded Random instead; protocol code only ever
// sees the interfaces.

import { randomBytes } from '@noble/hashes/utils.js';
import type { Clock, Random } from '../environment.js';

/**
 * Wall-clock time (ms since the epoch). Upper layers stamp records and messages with it (expiry,
 * ordering across reloads), so one clock serves every layer; the overlay only measures intervals,
 * for which wall time is good enough.
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function uniform(): number {
  const [high, low] = new Uint32Array(randomBytes(8).buffer);
  return ((high >>> 5) * 67108864 + (low >>> 6)) / 9007199254740992; // 53 random bits -> [0, 1)
}

/** crypto.getRandomValues behind the Random interface: what real nodes use for ids, nonces, jitter. */
export const cryptoRandom: Random = {
  next: uniform,
  int: (n) => Math.floor(uniform() * n),
  bytes: (n) => randomBytes(n),
};
