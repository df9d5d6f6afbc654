// Nodes that join side by side (src/overlay/leaf-hints.ts): 8 nodes, |L| = 2, b = 1, joined two at a
// time as tests/e2e/multi-hop.spec.ts opens its tabs. Both joiners of a pair take the same outer
// neighbours, each of those keeps the nearer joiner, and without hints the farther one kept a stale
// neighbour for good (gossip goes only to its own leaves, which see nothing missing).

import { expect, it } from 'vitest';
import { inexactLeafSets } from '../../src/sim/merge.js';
import { Simulation } from '../../src/sim/simulation.js';

const SEEDS = 200;
/** Virtual time after the last join within which every leaf set must be exact (measured: at most 20.5 s over 600 seeds, 13.5 s over these). */
const BOUND_MS = 30_000;
const STEP_MS = 500;

it(`8 nodes with |L| = 2 and b = 1, joined two at a time, have exact leaf sets within ${BOUND_MS / 1000} s of the last join (${SEEDS} seeds)`, async () => {
  const inexact: number[] = [];
  let joinsFailed = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const sim = new Simulation({ seed, config: { leafSetSize: 2, bitsPerDigit: 1 } });
    try {
      await sim.build(8, { concurrency: 2 });
    } catch {
      // A JOIN can loop in the half-built ring ("too many hops"), which ends that node's start: the
      // browser joins afresh, the simulator throws. Not what this test is about; counted below.
      joinsFailed++;
      continue;
    }
    let waited = 0;
    while (inexactLeafSets(sim) > 0 && waited < BOUND_MS) {
      await sim.settle(STEP_MS);
      waited += STEP_MS;
    }
    // Exact once is not enough: it must stay so (no stale entry comes back) up to the bound.
    await sim.settle(BOUND_MS - waited);
    if (inexactLeafSets(sim) > 0) inexact.push(seed);
  }
  expect(inexact, `seeds with a leaf set not exact ${BOUND_MS / 1000} s after the last join`).toEqual([]);
  expect(joinsFailed).toBeLessThanOrEqual(SEEDS / 10);
}, 60_000);
