// Rings that heal (issue 13, part 5): two Pastry rings that come to know each other become one by
// themselves (src/overlay/ring-merge.ts), whether they meet through an introduction or find each
// other again after a partition lifts; meeting a node of one's own ring costs one lookup.

import { describe, expect, it } from 'vitest';
import { DEFAULT_MERGE, DEFAULT_PARTITION, inexactLeafSets, runMerge, runPartition } from '../../src/sim/merge.js';
import { Simulation } from '../../src/sim/simulation.js';
import type { MeetOutcome } from '../../src/overlay/pastry-node.js';

describe('ring merging', () => {
  it('two rings of 500 built apart merge after one node of each meets the other: every leaf set exact within 2 virtual minutes, 10,000 lookups all at the closest node of the union', async () => {
    const sim = new Simulation({ seed: 13 });
    const figures = await runMerge(sim, { ...DEFAULT_MERGE, sizes: [500, 500], limitMs: 2 * 60_000, lookups: 10_000 });
    const [a, b] = figures.rings;
    // Really two rings before the meeting: nobody of one knew anybody of the other.
    const ringOf = new Map([...a.map((n) => [n.id, 'a'] as const), ...b.map((n) => [n.id, 'b'] as const)]);
    expect(figures.meet).toMatchObject({ merged: true });
    expect(figures.liveNodes).toBe(1_000);
    expect(figures.healMs).toBeDefined();
    expect(figures.healMs!).toBeLessThanOrEqual(2 * 60_000);
    expect(figures.inexact).toBe(0);
    expect(figures.lookups).toBe(10_000);
    expect(figures.correct).toBe(10_000);
    // Afterwards the leaf sets mix both rings (exactness above says they are the union's).
    expect(a.filter((n) => n.leafSet.members().some((id) => ringOf.get(id) === 'b')).length).toBeGreaterThan(450);
    // Bounded work: each node ran about one check, and a few merge checks at most.
    expect(figures.checksPerNode).toBeLessThanOrEqual(3);
    expect(figures.constructedPerNode).toBeLessThanOrEqual(40);
  }, 180_000);

  it('a 1,000-node ring cut into random halves for 5 virtual minutes heals by itself once the cut lifts: leaf sets exact within 3 virtual minutes, every lookup at the closest live node', async () => {
    const sim = new Simulation({ seed: 21, signalling: 'direct' });
    const figures = await runPartition(sim, { ...DEFAULT_PARTITION, nodes: 1_000, cutMs: 5 * 60_000, limitMs: 3 * 60_000, lookups: 10_000 });
    // The cut really split the ring: every leaf set lost its nodes on the other side.
    expect(figures.sideA).toBeGreaterThan(400);
    expect(figures.sideA).toBeLessThan(600);
    expect(figures.inexactWhileCut).toBeGreaterThan(900);
    expect(figures.healMs).toBeDefined();
    expect(figures.healMs!).toBeLessThanOrEqual(3 * 60_000);
    expect(figures.inexact).toBe(0);
    expect(figures.correct).toBe(10_000);
    // Remembered peers only: a few retries per node, each bounded by lostPeersMax.
    expect(figures.retriesPerNode).toBeLessThanOrEqual(8);
  }, 180_000);

  it('meeting a node of its own ring changes no leaf set and costs at most 40 frames on the whole network (one lookup: 16 measured)', async () => {
    // No maintenance timers: every frame the network carries from here on is the meeting's.
    const sim = new Simulation({ seed: 3, config: { keepAliveMs: Infinity } });
    // One join at a time: without maintenance, concurrent joins would leave leaf sets inexact.
    await sim.build(300);
    // The joins' own table rounds and hole probes end within this.
    await sim.settle(30_000);
    const nodes = sim.liveNodes();
    const before = new Map(nodes.map((n) => [n.id, [...n.leafSet.members()].sort().join()]));
    const from = nodes[17];
    const to = nodes.find((n) => n !== from && !from.links.has(n.id) && !from.leafSet.has(n.id))!;
    const frames = sim.network.framesSent;
    const linksBefore = from.links.size;
    let outcome: MeetOutcome | undefined;
    void from.meet(sim.introducerTo(to)).then((o) => (outcome = o));
    await sim.clock.run({ done: () => outcome !== undefined });
    expect(outcome).toEqual({ peer: to.id, merged: false, learned: 0 });
    // The dialled link is the only new one, and we let it go (it closes once idle unless `to` needs it).
    expect(from.links.size).toBeLessThanOrEqual(linksBefore + 1);
    await sim.settle(20_000);
    expect(from.links.get(to.id)?.localNeed ?? false).toBe(from.routingTable.has(to.id));
    expect(sim.network.framesSent - frames).toBeLessThanOrEqual(40);
    for (const n of nodes) expect([...n.leafSet.members()].sort().join()).toBe(before.get(n.id));
    expect(inexactLeafSets(sim)).toBe(0);
    expect(from.stats.merge.hintsSent).toBe(0);
  }, 60_000);
});
