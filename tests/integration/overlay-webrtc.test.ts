// Real WebRTC (@roamhq/wrtc) under real PastryNodes: the bootstrap server introduces each joiner to
// one node, the overlay does the rest; then the server goes away and a seed peer takes over.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../signaling-bootstrap/server.js';
import { ECHO_APPLICATION, startPeer, type RunningPeer } from '../../signaling-bootstrap/peer.js';

const PEERS = 6;
let server: RunningServer | null;
const peers: RunningPeer[] = [];

beforeAll(async () => {
  server = await startServer({ port: 0, distDir: null });
});

afterAll(async () => {
  for (const peer of peers) await peer.leave();
  await server?.close();
});

async function eventually(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('overlay over real WebRTC', () => {
  it(`joins ${PEERS} Node peers with exactly one introduction each, and routes between them`, async () => {
    const t0 = performance.now();
    for (let i = 0; i < PEERS; i++) {
      const peer = await startPeer({ bootstrap: server!.bootstrapUrl, echo: true, seedPort: i === 0 ? 0 : undefined });
      peers.push(peer);
      await eventually(() => server!.stats.volunteers === i + 1);
    }
    const joinMs = (performance.now() - t0) / PEERS;
    expect(peers.every((p) => p.node.state === 'joined')).toBe(true);
    expect(server!.stats.firstNodeGrants).toBe(1);
    expect(server!.stats.introductions).toBe(PEERS - 1);
    // With fewer nodes than a leaf set, every node ends up knowing every other.
    await eventually(() => peers.every((p) => p.node.leafSet.members().length === PEERS - 1));

    const [from, to] = [peers[1], peers[PEERS - 1]];
    const t1 = performance.now();
    const reply = await from.node.request(to.node.id, ECHO_APPLICATION, { ping: 1 });
    const rttMs = performance.now() - t1;
    expect(reply.from).toBe(to.node.id);
    expect(reply.body).toEqual({ ping: 1 });
    console.info(`[integration] ${PEERS} peers, mean join ${joinMs.toFixed(0)} ms, overlay echo RTT ${rttMs.toFixed(1)} ms, ${reply.hops} hops`);
  });

  it('lets a new node join through a seed peer after the bootstrap server is gone', async () => {
    const seed = peers[0];
    expect(seed.seedUrl).not.toBeNull();
    await server!.close();
    server = null;

    const late = await startPeer({ bootstrap: seed.seedUrl!, echo: true });
    peers.push(late);
    expect(late.node.state).toBe('joined');
    expect(seed.seedStats!.introductions).toBe(1);
    await eventually(() => late.node.leafSet.members().length === PEERS);
    const reply = await late.node.request(peers[2].node.id, ECHO_APPLICATION, 'still here');
    expect(reply).toMatchObject({ from: peers[2].node.id, body: 'still here' });
  });
});
