// One hostile peer in a ring of 7 honest Node peers over real WebRTC (@roamhq/wrtc), L = 4 so routes
// take several hops (ring, attacks and checks in hostile-ring.ts, shared with bench/hostile.bench.ts).
// The hostile peer is a real, joined node (so it holds real links) that then abuses them, one attack
// per test. After each attack: every honest peer's leaf set is exact and linked, >= 99% of 200
// lookups between honest peers reach the numerically closest node (keys whose root is the attacker
// aside), the process grew by less than 50 MB, and a real chat message still arrives once. Issue
// 14's measurements were taken against the same attacks.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chatReplayAttack, forgedRecordsAttack, garbageAttack, HONEST, joinFloodAttack, LEAF_SET, memoryMark, nodesFrameAttack, preAuthAttack, ringHealth,
  signalFloodAttack, startBlackHole, startHostileRing, stopHostileRing, type HostileRing, type MemoryMark,
} from './hostile-ring.js';

let ring: HostileRing;

/** The checks after every attack. */
async function ringIsHealthy(label: string, before: MemoryMark): Promise<void> {
  const health = await ringHealth(ring, label, before);
  expect(health.leafSetsExactMs, `${label}: honest leaf sets exact and linked within 30 s`).not.toBeNull();
  expect(health.lookupsRight / health.lookupsCounted, `${label}: lookups reaching the closest node`).toBeGreaterThanOrEqual(0.99);
  expect(health.rssGrowthMb, `${label}: memory growth`).toBeLessThan(50);
  expect(health.chatShown, `${label}: the next chat message shown once`).toBe(1);
}

beforeAll(async () => {
  ring = await startHostileRing();
}, 180_000);

afterAll(async () => {
  await stopHostileRing(ring);
});

describe(`one hostile peer among ${HONEST} honest Node peers (real WebRTC, L = ${LEAF_SET})`, () => {
  it('starts healthy', async () => {
    await ringIsHealthy('no attack', memoryMark());
  });

  it('shrugs off 2,000 garbage frames over an authenticated link', async () => {
    const before = memoryMark();
    const { sent, received } = await garbageAttack(ring);
    expect(sent).toBeGreaterThan(0);
    expect(received, 'the victim read frames after the garbage').toBe(true);
    await ringIsHealthy('garbage', before);
  });

  it('opens almost no connections for a nodes frame naming 300 made-up ids near the victim', async () => {
    const before = memoryMark();
    const { constructions } = await nodesFrameAttack(ring);
    ring.log(`nodes frame of 300 fake ids: ${constructions} constructions`);
    expect(constructions).toBeLessThan(10);
    await ringIsHealthy('nodes frame', before);
  });

  it('drops garbage sent before link authentication and a spoofed id, and links neither', async () => {
    const before = memoryMark();
    const seen = await preAuthAttack(ring);
    expect(seen.refused, 'two auth failures counted').toBe(true);
    expect(seen.closed, 'both unauthenticated channels closed').toBe(true);
    expect(seen.strangers, 'links to ids outside the ring').toEqual([]);
    expect(seen.spoofedKeptLinks, 'the real holder of the spoofed key keeps its links').toBe(true);
    await ringIsHealthy('pre-auth garbage and spoofed id', before);
  });

  it('answers a bounded number of 5,000 routed offers in 10 s from made-up origins', async () => {
    const before = memoryMark();
    const cpu = process.cpuUsage();
    const { constructions } = await signalFloodAttack(ring);
    const used = process.cpuUsage(cpu);
    ring.log(`signal flood: ${constructions} constructions, ${((used.user + used.system) / 1e6).toFixed(1)} CPU s for the whole process`);
    expect(constructions).toBeLessThan(40);
    await ringIsHealthy('signal flood', before);
  });

  // Under this flood (and any CPU load) hop acks come late: a root whose ack was late used to be
  // skipped and its neighbour took the frame (77-96% right). Frames now wait for a suspected root.
  it('stays correct under 5,000 JOIN requests in 10 s for made-up joiners', async () => {
    const before = memoryMark();
    await joinFloodAttack(ring);
    await ringIsHealthy('join flood', before);
  });

  it('keeps serving real searches after 1,000 forged directory records', async () => {
    const before = memoryMark();
    const { searchFindsEcho } = await forgedRecordsAttack(ring);
    expect(searchFindsEcho, 'a real search still finds the echo peer').toBe(true);
    await ringIsHealthy('forged records', before);
  });

  it('never shows a replayed chat again after the buddy is removed and re-added, and shows the next real one once', async () => {
    const before = memoryMark();
    const { replayed, shownAgain } = await chatReplayAttack(ring);
    ring.log(`chat replay: ${replayed} frames replayed, shown again ${shownAgain}`);
    expect(replayed).toBeGreaterThan(0);
    expect(shownAgain, 'the old echo shown again').toBe(0);
    await ringIsHealthy('chat replay', before);
  });

  it('routes around a black hole that acks and then drops everything it should forward', async () => {
    const before = memoryMark();
    const stop = startBlackHole(ring);
    try {
      // In 8 nodes few routes pass through another node: tests/sim/black-holes.test.ts checks the
      // routing around at scale; here, that the small ring stays right with one node swallowing.
      await ringIsHealthy('black hole', before);
    } finally {
      stop();
    }
  });
});
