// Black holes: nodes that take routed frames (and ack them, so per-hop acks see nothing wrong) but
// forward nothing. A request left unanswered halfway to its timeout goes again around the first hop
// it took, and a first hop caught twice is routed around (src/overlay/swallowers.ts). Seeded.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/overlay/id.js';
import type { RouteFrame } from '../../src/overlay/messages.js';
import type { PastryNode } from '../../src/overlay/pastry-node.js';
import { Simulation } from '../../src/sim/simulation.js';

const NODES = 600;
const HOLES = 30; // 5%
const REQUESTS = 2_000;
const WHOAMI = 'test.whoami';

/** Makes `node` swallow every frame it should forward (it still takes its own). */
function blackHole(node: PastryNode): void {
  const forwarder = (node as unknown as { forwarder: { forwardOrDeliver(frame: RouteFrame, ...rest: unknown[]): unknown } }).forwarder;
  const original = forwarder.forwardOrDeliver.bind(forwarder);
  forwarder.forwardOrDeliver = (frame, ...rest) => (frame.origin === node.id ? original(frame, ...rest) : undefined);
}

async function requestsFromHonest(sim: Simulation, honest: PastryNode[], holes: Set<NodeId>, count: number, round: string) {
  const outcomes: ('right' | 'wrong' | 'lost')[] = [];
  const pending: Promise<void>[] = [];
  let attempts = 0;
  while (pending.length < count) {
    attempts++;
    const from = honest[attempts % honest.length];
    const key = sim.random.fork(`${round}-${attempts}`).bytes(16).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '') as NodeId;
    const root = sim.rootOf(key);
    if (holes.has(root)) continue; // a hole that is the root cannot be routed around
    pending.push(
      from.request(key, WHOAMI, null, { timeoutMs: 10_000 }).then(
        (reply) => void outcomes.push(reply.body === root ? 'right' : 'wrong'),
        () => void outcomes.push('lost'),
      ),
    );
  }
  await sim.settle(12_000);
  await Promise.all(pending);
  return outcomes;
}

describe(`black holes (${HOLES} of ${NODES} nodes ack and drop what they should forward)`, () => {
  // Without the copies sent around (measured at this seed): 93.3% right, 134 of 2,000 lost. With them
  // 98.7%: what stays lost met a hole next to its root, where every route converges.
  it('gets >= 98% of requests between honest nodes to the right root, and never a wrong one, by sending again around the first hop', async () => {
    const sim = new Simulation({ seed: 7 });
    await sim.build(NODES, { concurrency: 50 });
    await sim.settle(20_000);
    const nodes = [...sim.nodes.values()];
    for (const node of nodes) node.register(WHOAMI, { deliver: (msg) => msg.reply?.(node.id) });
    const holes = nodes.filter((_, i) => i % (NODES / HOLES) === 1);
    for (const hole of holes) blackHole(hole);
    const holeIds = new Set(holes.map((h) => h.id));
    const honest = nodes.filter((n) => !holeIds.has(n.id));

    const first = await requestsFromHonest(sim, honest, holeIds, REQUESTS, 'first');
    const second = await requestsFromHonest(sim, honest, holeIds, REQUESTS, 'second');
    const share = (o: string[], what: string) => o.filter((x) => x === what).length / o.length;
    const retried = honest.reduce((n, node) => n + node.stats.retriedAround, 0);
    console.info(
      `[black holes] first round ${(100 * share(first, 'right')).toFixed(2)}% right, second ${(100 * share(second, 'right')).toFixed(2)}% right; ` +
        `${retried} requests sent around their first hop; lost ${first.filter((x) => x === 'lost').length}, wrong ${first.filter((x) => x === 'wrong').length}`,
    );
    expect(share(first, 'right')).toBeGreaterThanOrEqual(0.98);
    expect(share(second, 'right')).toBeGreaterThanOrEqual(0.98);
    expect(share(first, 'wrong') + share(second, 'wrong')).toBe(0);
  }, 300_000);
});
