// "My tab can stay open for a week": 8 nodes stay while the 32 others of a 40-node ring live 3-minute
// median sessions (half silent crashes), so each long-lived node sees ~900 of its peers go in 2 virtual
// hours. Islands (a newcomer left with a leaf set of nodes that are gone, and those the bootstrap sends
// it) merge back through the island watch; a long-lived node's collections stay bounded. Seeded.

import { describe, expect, it } from 'vitest';
import { growing, runLongTab } from '../../src/sim/long-tab.js';

describe('a long-lived node under fast churn', () => {
  it('the ring stays one ring (no island outlives 60 s), lookups stay right, and no collection of a long-lived node grows past 200', async () => {
    const hours = await runLongTab({ seed: 7, nodes: 40, longLived: 8, hours: 2, medianSessionMin: 3, lookupsPerHour: 50 });
    const last = hours.at(-1)!;
    console.log(`long tab: ${last.replaced} sessions ended, ${last.failedJoins} joins failed, island samples ${last.islandSamples}, longest ${last.longestIslandMs} ms, timers/node ${last.pendingTimersPerLiveNode.toFixed(1)}`);
    expect(last.replaced).toBeGreaterThan(800);
    // Without the watch (islandWatch: false) an island lived 380 s in the first hour at this seed.
    expect(last.longestIslandMs).toBeLessThanOrEqual(60_000);
    const lookups = hours.reduce((sum, h) => sum + h.lookups, 0);
    const correct = hours.reduce((sum, h) => sum + h.correct, 0);
    expect(correct / lookups).toBeGreaterThanOrEqual(0.95);
    expect(growing(hours, 200)).toEqual([]);
    expect(last.pendingTimersPerLiveNode).toBeLessThan(40);
  }, 300_000);
});
