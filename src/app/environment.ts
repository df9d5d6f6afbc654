// The clocks of a browser tab.
//
// The overlay measures intervals (keep-alives, RTTs): realClock's performance.now() is right for it.
// The directory and the messenger put times ON THE WIRE (record expiry and sequence numbers, buddy
// notice stamps, message times shown to the other side), and performance.now() starts at zero in
// every tab, so two tabs would disagree by however long each has been open: a record published by a
// young tab looks expired to an old one. Those layers get wall-clock time.

import type { Clock } from '../overlay/environment.js';
import { realClock } from '../overlay/transports/real-environment.js';

export const wallClock: Clock = { ...realClock, now: () => Date.now() };
