// The WebRTC transport's ICE handling (issue 16): servers read at every construction, what an open
// link does when ICE reports lost connectivity, and which candidate pair it runs over. The lost
// connectivity itself is real only in tests/integration/nat-turn.test.ts (a NAT that drops all
// UDP); here ICE state changes are played on the session's simple-peer, as its RTCPeerConnection
// would report them.

import { afterEach, describe, expect, it } from 'vitest';
import type { Link } from '../environment.js';
import { delay, directSignaller, startTestNode, stopAllTestNodes } from '../../../tests/integration/webrtc-testkit.js';
import { selectedPath } from './ice.js';
import type { WebRtcLink, WebRtcTransport } from './webrtc-transport.js';

afterEach(() => stopAllTestNodes());

/** The simple-peer instance behind the transport's one open session (its own events are the ICE state). */
function simplePeerOf(transport: WebRtcTransport): { emit(event: string, ...args: unknown[]): void } {
  const sessions = [...(transport as unknown as { sessions: Set<{ peer: { emit(event: string, ...args: unknown[]): void } }> }).sessions];
  expect(sessions).toHaveLength(1);
  return sessions[0].peer;
}

async function linkedPair(graceMs: number) {
  const alice = startTestNode({ iceDisconnectedGraceMs: graceMs });
  const bob = startTestNode({ iceDisconnectedGraceMs: graceMs });
  const link: Link = await alice.transport.dial(bob.identity.id, directSignaller(bob.transport, alice.identity.id));
  await bob.events.until(() => bob.events.links.length === 1);
  // The real ICE agent may still move from 'connected' to 'completed' just after the link opened,
  // which would end a grace the test started (a recovery): let it settle first.
  await delay(1_000);
  return { alice, bob, link };
}

describe('WebRtcTransport across real networks', () => {
  it('reads the ICE servers at every peer connection it constructs, so refreshed credentials are used', async () => {
    let calls = 0;
    const alice = startTestNode({ iceServers: () => (calls++, []) });
    const bob = startTestNode();
    await alice.transport.dial(bob.identity.id, directSignaller(bob.transport, alice.identity.id));
    expect(calls).toBe(1);
    const carol = startTestNode();
    await alice.transport.dial(carol.identity.id, directSignaller(carol.transport, alice.identity.id));
    expect(calls).toBe(2);
  });

  it('closes an open link that stays ICE-disconnected past the grace, and the peer sees it close too', async () => {
    const { alice, bob, link } = await linkedPair(300);
    simplePeerOf(alice.transport).emit('iceStateChange', 'disconnected', 'complete');
    await delay(150);
    expect(alice.events.closed).toHaveLength(0);
    await alice.events.until(() => alice.events.closed.length === 1, 5_000);
    expect(alice.events.closed[0]).toBe(link);
    expect(alice.transport.stats).toMatchObject({ iceDisconnected: 1, iceRecovered: 0, iceDisconnectedClosed: 1 });
    // The node can tell a lost path (or a crashed peer) from a peer that closed: it may redial the first.
    expect((link as WebRtcLink).closeReason).toBe('connectivity');
    await bob.events.until(() => bob.events.closed.length === 1, 10_000);
    expect((bob.events.closed[0] as WebRtcLink).closeReason).toBe('remote');
    expect(alice.transport.activeSessions).toBe(0);
  });

  it('keeps a link whose ICE comes back within the grace', async () => {
    const { alice, link } = await linkedPair(300);
    const peer = simplePeerOf(alice.transport);
    peer.emit('iceStateChange', 'disconnected', 'complete');
    await delay(100);
    peer.emit('iceStateChange', 'connected', 'complete');
    await delay(500);
    expect(alice.events.closed).toHaveLength(0);
    expect(alice.transport.stats).toMatchObject({ iceDisconnected: 1, iceRecovered: 1, iceDisconnectedClosed: 0 });
    link.send({ still: 'here' });
    expect(alice.transport.stats.framesSent).toBe(1);
    link.close();
    expect((link as WebRtcLink).closeReason).toBe('local');
  });

  it('reports the selected candidate pair of each open link (host to host on one machine)', async () => {
    const { alice, bob } = await linkedPair(5_000);
    const paths = await alice.transport.linkPaths();
    expect([...paths.keys()]).toEqual([bob.identity.id]);
    expect(paths.get(bob.identity.id)).toMatchObject({ local: 'host', remote: 'host', protocol: 'udp' });
  });

  it('reads the selected pair from Chromium-style and Firefox-style stats', () => {
    const candidates = [
      { id: 'L', type: 'local-candidate', candidateType: 'relay', protocol: 'udp', relayProtocol: 'udp' },
      { id: 'R', type: 'remote-candidate', candidateType: 'srflx', protocol: 'udp' },
      { id: 'L2', type: 'local-candidate', candidateType: 'host', protocol: 'udp' },
    ];
    const chromium = [
      ...candidates,
      { id: 'P1', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R', nominated: true, state: 'succeeded' },
      { id: 'P2', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', state: 'succeeded', currentRoundTripTime: 0.021 },
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
    ];
    expect(selectedPath(chromium)).toEqual({ local: 'relay', remote: 'srflx', protocol: 'udp', relayProtocol: 'udp', rttMs: 21 });
    const firefox = [...candidates, { id: 'P', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R', selected: true }];
    expect(selectedPath(firefox)).toEqual({ local: 'host', remote: 'srflx', protocol: 'udp' });
    expect(selectedPath(candidates)).toBeNull();
  });
});
