// The overlay-core issue's simulator checks: 2,000 nodes, 10,000 lookups, 10% silent failures.

import { describe, expect, it } from 'vitest';
import { Simulation, type LookupResult } from '../../src/sim/simulation.js';

const NODES = 2_000;
const LOOKUPS = 10_000;

const correct = (results: LookupResult[]) => results.filter((r) => r.deliveredAt === r.expectedRoot).length;
const meanHops = (results: LookupResult[]) => {
  const hops = results.filter((r) => r.hops !== undefined).map((r) => r.hops!);
  return hops.reduce((a, b) => a + b, 0) / hops.length;
};

describe(`Pastry in the simulator (${NODES} nodes, b = 4, L = 16)`, () => {
  it('routes every lookup to the numerically closest live node, also after 10% of nodes fail', async () => {
    const sim = new Simulation({ seed: 2026 });
    // Joins arrive 100 at a time: leaf-set gossip and neighbourhood refresh must reconcile them.
    await sim.build(NODES, { concurrency: 100 });
    await sim.settle(30_000);

    const intact = await sim.lookups(LOOKUPS, { seedLabel: 'intact' });
    expect(correct(intact)).toBe(LOOKUPS);
    expect(meanHops(intact)).toBeLessThanOrEqual(Math.ceil(Math.log(NODES) / Math.log(16)));

    // Silent failures: no channel closes, peers must notice by keep-alive timeouts, then repair.
    const crashed = sim.crash(0.1, true);
    expect(crashed.length).toBe(NODES / 10);
    await sim.settle(90_000);

    const afterFailure = await sim.lookups(LOOKUPS, { seedLabel: 'after-failure' });
    expect(correct(afterFailure) / LOOKUPS).toBeGreaterThanOrEqual(0.999);
  }, 600_000);

  it('is reproducible: the same seed gives the same routes', async () => {
    const run = async () => {
      const sim = new Simulation({ seed: 99, config: { keepAliveMs: Infinity } });
      await sim.build(200);
      return (await sim.lookups(300)).map((r) => `${r.key}>${r.deliveredAt}:${r.hops}`);
    };
    expect(await run()).toEqual(await run());
  });
});
