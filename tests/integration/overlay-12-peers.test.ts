// Twelve headless Node peers over real WebRTC (@roamhq/wrtc), each a real PastryNode: they join
// through the bootstrap server, route every key to the numerically closest node, keep accepting
// joiners through a seed peer once the server is gone, and repair the ring after abrupt failures.
// Maintenance timers are shortened so repair happens within the test.
//
// Twice: with the paper's L = 16 (fewer nodes than L+1, so every leaf set is every other node), and
// with L = 4, where a leaf set is a true neighbourhood: repair must find new neighbours, and routes
// take several hops through routing tables.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OverlayConfig } from '../../src/overlay/config.js';
import type { NodeId } from '../../src/overlay/id.js';
import { startServer, type RunningServer } from '../../signaling-bootstrap/server.js';
import type { RunningPeer } from '../../signaling-bootstrap/peer.js';
import { eventually, leafSetMismatches, routeRandomKeys, settled, startRingPeer, type RouteCheck } from './webrtc-ring.js';

const PEERS = 12;
const KILLED = 4;
const KEYS_PER_NODE = 8;
const FAST: Partial<OverlayConfig> = {
  keepAliveMs: 1_000,
  // All peers share one event loop here, and tearing down a crashed peer's connections blocks it for
  // a second or more (synchronous in wrtc); a stall longer than this timeout makes every node declare
  // every healthy peer failed (see the report on silence-based failure detection). Crashes close the
  // channels, which the nodes notice at once, so repair does not wait for this timeout anyway.
  failureTimeoutMs: 6_000,
  tableKeepAliveMs: 2_000,
  leafSetGossipMs: 2_000,
  leafSetRefreshMs: 3_000,
  requestTimeoutMs: 5_000,
};

const wrongRoutes = (checks: RouteCheck[]) => checks.filter((c) => c.got !== c.expected);

function ringScenario(leafSetSize: number): void {
  const config = { ...FAST, leafSetSize };
  let server: RunningServer | null = null;
  const peers: RunningPeer[] = [];
  const live = () => peers.filter((p) => p.node.state === 'joined').map((p) => p.node);
  const mismatches = () => JSON.stringify(leafSetMismatches(live(), leafSetSize));
  const log = (line: string) => console.info(`[12 peers, L=${leafSetSize}] ${line}`);

  beforeAll(async () => {
    server = await startServer({ port: 0, distDir: null });
  });

  afterAll(async () => {
    // Everyone at once, without goodbyes: a graceful leave one by one makes the others repair, and
    // dial, while their own transports are being stopped.
    await settled(peers);
    await Promise.all(peers.map((peer) => peer.crash()));
    await server?.close();
  });

  it('joins every peer through the bootstrap with exactly one introduction each', async () => {
    const t0 = performance.now();
    for (let i = 0; i < PEERS; i++) {
      // Peer 0 also serves the introduction protocol (a seed for when the server is gone).
      peers.push(await startRingPeer(server!.bootstrapUrl, { config, seed: i === 0 }));
      await eventually(() => server!.stats.volunteers === i + 1, 10_000, () => `(peer ${i} never volunteered)`);
    }
    log(`${PEERS} joins in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(peers.every((p) => p.node.state === 'joined')).toBe(true);
    expect(server!.stats.firstNodeGrants).toBe(1);
    expect(server!.stats.introductions).toBe(PEERS - 1);
    expect(server!.stats.failedIntroductions).toBe(0);

    const t1 = performance.now();
    await eventually(() => leafSetMismatches(live(), leafSetSize).length === 0, 15_000, mismatches);
    log(`leaf sets exact ${(performance.now() - t1).toFixed(0)} ms after the last join`);
  });

  it('routes random keys from every peer to the numerically closest node', async () => {
    const checks = await routeRandomKeys(live(), KEYS_PER_NODE);
    expect(checks).toHaveLength(PEERS * KEYS_PER_NODE);
    expect(wrongRoutes(checks)).toEqual([]);
    const maxHops = Math.max(...checks.map((c) => c.hops ?? 0));
    log(`${checks.length} lookups, ${checks.filter((c) => (c.hops ?? 0) >= 2).length} of them over 2+ hops, max hops ${maxHops}`);
    // With L > PEERS every node is every node's leaf: one hop. With L = 4 the leaf set covers a
    // neighbourhood only, so some of the 96 routes must pass through another peer's tables.
    if (leafSetSize >= PEERS) expect(maxHops).toBe(1);
    else expect(maxHops).toBeGreaterThanOrEqual(2);
  });

  it('lets a 13th peer join through a seed peer once the bootstrap server is stopped', async () => {
    const seed = peers[0];
    expect(seed.seedUrl).not.toBeNull();
    await server!.close();
    server = null;

    const t0 = performance.now();
    const late = await startRingPeer(seed.seedUrl!, { config });
    peers.push(late);
    log(`13th peer joined through the seed in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(late.node.state).toBe('joined');
    expect(seed.seedStats!.introductions).toBe(1);
    await eventually(() => leafSetMismatches(live(), leafSetSize).length === 0, 15_000, mismatches);

    const checks = await routeRandomKeys(live(), KEYS_PER_NODE);
    expect(wrongRoutes(checks)).toEqual([]);
  });

  it(`repairs after ${KILLED} peers die abruptly: exact leaf sets, and keys reach the closest live node`, async () => {
    // Not the seed (it stays useful) and not the newest peer: four of the original joiners.
    const victims = peers.slice(1, PEERS).sort(() => Math.random() - 0.5).slice(0, KILLED);
    const dead = new Set<NodeId>(victims.map((p) => p.node.id));
    await settled(peers);
    const t0 = performance.now();
    // Stop without leave: no goodbye frames, the transports just close.
    await Promise.all(victims.map((p) => p.crash()));
    expect(live()).toHaveLength(PEERS + 1 - KILLED);

    await eventually(() => leafSetMismatches(live(), leafSetSize).length === 0, 20_000, mismatches);
    log(`leaf sets exact ${(performance.now() - t0).toFixed(0)} ms after the crashes`);
    for (const node of live()) expect(node.leafSet.members().filter((id) => dead.has(id))).toEqual([]);
    // A table entry goes with its link; a link whose channel did not close at the crash is closed by
    // the ICE grace (5 s) or the keep-alive timeout, which can come after the leaf sets are exact.
    const deadEntries = () => live().flatMap((node) => node.routingTable.entries().filter((id) => dead.has(id)));
    await eventually(() => deadEntries().length === 0, 20_000, () => JSON.stringify(deadEntries()));

    const checks = await routeRandomKeys(live(), KEYS_PER_NODE);
    expect(wrongRoutes(checks)).toEqual([]);
    log(`${checks.length} lookups after repair, all at the closest live node, max hops ${Math.max(...checks.map((c) => c.hops ?? 0))}`);
  });
}

describe(`a ring of ${PEERS} Node peers over real WebRTC, L = 16`, () => ringScenario(16));
describe(`a ring of ${PEERS} Node peers over real WebRTC, L = 4 (repair must find new neighbours)`, () => ringScenario(4));
