// One neighbour floods a node with routed requests (issue 14: routed requests per neighbour per
// second, reverse-path entries). Each request would hold a reverse-path entry for 30 s; a flood that
// fills the table evicts the entries of honest requests passing through, and their replies are lost.
// Each neighbour gets a rate and a share of the table (src/overlay/neighbour-budget.ts). Seeded.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/overlay/id.js';
import type { RouteFrame } from '../../src/overlay/messages.js';
import type { PastryNode } from '../../src/overlay/pastry-node.js';
import { Simulation } from '../../src/sim/simulation.js';

const WHOAMI = 'test.whoami';
const FLOOD_BURSTS = 40;
const FLOOD_PER_BURST = 2_000; // every 50 ms: 80,000 requests in 2 s
const HONEST_REQUESTS = 100;

const hexKey = (sim: Simulation, label: string) =>
  sim.random.fork(label).bytes(16).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '') as NodeId;

async function floodedRing(budget: boolean) {
  const sim = new Simulation({
    seed: 21,
    // A table of 1,000 (the default is 10,000) so a simulated flood fills it in 25 ms, as a real one
    // fills the full table; the budgets keep their defaults.
    config: budget
      ? { reversePathMax: 1_000 }
      : { reversePathMax: 1_000, routedPerNeighbourPerSec: Infinity, routedPerNeighbourBurst: Infinity, reversePathShare: Infinity },
  });
  await sim.build(60, { concurrency: 20 });
  await sim.settle(20_000);
  const nodes = [...sim.nodes.values()];
  for (const node of nodes) node.register(WHOAMI, { deliver: (msg) => msg.reply?.(node.id) });
  const victim = nodes[0];
  const flooder = nodes.find((n) => n !== victim && n.links.has(victim.id))!;
  const honest = nodes.filter((n) => n !== victim && n !== flooder && n.links.has(victim.id));

  let sent = 0;
  for (let burst = 0; burst < FLOOD_BURSTS; burst++) {
    sim.clock.setTimer(burst * 50, () => {
      const link = flooder.links.get(victim.id)?.link;
      for (let i = 0; i < FLOOD_PER_BURST && link; i++) {
        const key = hexKey(sim, `flood-${burst}-${i}`);
        // An application nobody runs: the root drops it, but every hop keeps a way back for 30 s.
        link.send({ t: 'route', id: `f${burst}.${i}`, key, origin: flooder.id, hops: 0, app: 'nobody', body: null, want: true } satisfies RouteFrame);
        sent++;
      }
    });
  }
  // Honest requests through the victim (their first hop), sent while the flood goes on.
  const outcomes: ('answered' | 'lost')[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; i < HONEST_REQUESTS; i++) {
    sim.clock.setTimer(200 + i * 15, () => {
      const from: PastryNode = honest[i % honest.length];
      pending.push(
        from.request(hexKey(sim, `honest-${i}`), WHOAMI, null, { firstHop: victim.id, timeoutMs: 5_000 }).then(
          () => void outcomes.push('answered'),
          () => void outcomes.push('lost'),
        ),
      );
    });
  }
  await sim.settle(10_000);
  await Promise.all(pending);
  const answered = outcomes.filter((o) => o === 'answered').length;
  return { victim, sent, answered };
}

describe('a neighbour flooding routed requests', () => {
  it('cannot push out the way back of honest requests through the same node: they are all answered', async () => {
    const { victim, sent, answered } = await floodedRing(true);
    const overRate = victim.stats.dropped.get('routed: neighbour over rate') ?? 0;
    const overShare = victim.stats.dropped.get('routed: neighbour over reverse-path share') ?? 0;
    console.info(`[neighbour flood] budget on: ${answered}/${HONEST_REQUESTS} honest answered; of ${sent} flood frames ${overRate} over rate, ${overShare} over the table share`);
    expect(answered).toBe(HONEST_REQUESTS);
    expect(overRate + overShare).toBeGreaterThan(sent * 0.9);
  }, 300_000);

  it('without the budget, the same flood loses honest replies (the test can fail)', async () => {
    const { answered } = await floodedRing(false);
    console.info(`[neighbour flood] budget off: ${answered}/${HONEST_REQUESTS} honest answered`);
    expect(answered).toBeLessThan(HONEST_REQUESTS * 0.9);
  }, 300_000);
});
