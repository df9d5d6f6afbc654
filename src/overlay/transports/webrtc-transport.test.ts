import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../config.js';
import { PeerConnectionLimit, type SignalBlob } from '../environment.js';
import { generateIdentity } from '../identity.js';
import { PeerConnectionBudget } from './peer-connection-budget.js';
import { delay, directSignaller, nodeWrtc, RawPeer, startTestNode, stopAllTestNodes } from '../../../tests/integration/webrtc-testkit.js';

afterEach(() => stopAllTestNodes());

describe('WebRtcTransport (Node, @roamhq/wrtc)', () => {
  it('opens a link only after both peers proved their keys, and carries frames both ways', async () => {
    const alice = startTestNode();
    const bob = startTestNode();
    const t0 = performance.now();
    const link = await alice.transport.dial(bob.identity.id, directSignaller(bob.transport, alice.identity.id));
    const setupMs = performance.now() - t0;

    expect(link.peer).toBe(bob.identity.id);
    expect(link.outbound).toBe(true);
    await bob.events.until(() => bob.events.links.length === 1);
    expect(bob.events.links[0].peer).toBe(alice.identity.id);
    expect(bob.events.links[0].outbound).toBe(false);
    expect(alice.events.links).toEqual([link]);

    link.send({ type: 'ping', n: 1, text: 'Nordström ✓' });
    await bob.events.until(() => bob.events.frames.length === 1);
    expect(bob.events.frames[0]).toEqual({ from: alice.identity.id, frame: { type: 'ping', n: 1, text: 'Nordström ✓' } });

    const t1 = performance.now();
    bob.events.links[0].send({ type: 'pong', n: 1 });
    await alice.events.until(() => alice.events.frames.length === 1);
    const pingMs = performance.now() - t1;
    expect(alice.events.frames[0].frame).toEqual({ type: 'pong', n: 1 });
    console.info(`[webrtc] link setup ${setupMs.toFixed(1)} ms, one-way frame ${pingMs.toFixed(2)} ms`);
    expect(alice.transport.stats).toMatchObject({ linksOpened: 1, framesSent: 1, framesReceived: 1, authFailures: 0 });
  });

  it('accepts a link to an unknown peer (the bootstrap case) and learns its id from the proof', async () => {
    const alice = startTestNode();
    const bob = startTestNode();
    const link = await alice.transport.dial(null, directSignaller(bob.transport));
    expect(link.peer).toBe(bob.identity.id);
  });

  it('rejects a dial that expected another id, and neither side reports a link', async () => {
    const alice = startTestNode();
    const bob = startTestNode();
    const someoneElse = generateIdentity().id;
    await expect(alice.transport.dial(someoneElse, directSignaller(bob.transport))).rejects.toThrow(/expected peer/);
    await delay(300);
    expect(alice.events.links).toHaveLength(0);
    expect(bob.events.links).toHaveLength(0);
    expect(alice.transport.stats).toMatchObject({ authFailures: 1, dialFailures: 1 });
    expect(alice.transport.activeSessions).toBe(0);
  });

  it('rejects a peer whose proof does not verify', async () => {
    const alice = startTestNode();
    const impostor = new RawPeer(generateIdentity(), { tamperProof: true });
    await expect(alice.transport.dial(null, (offer) => impostor.answer(offer))).rejects.toThrow(/bad signature/);
    expect(alice.events.links).toHaveLength(0);
    expect(alice.transport.stats.authFailures).toBe(1);
  });

  it('drops and counts malformed and oversized frames without throwing, and keeps the link', async () => {
    const alice = startTestNode();
    const raw = new RawPeer(generateIdentity());
    const link = await alice.transport.dial(raw.identity.id, (offer) => raw.answer(offer));
    await raw.authenticated;

    raw.sendRaw('{not json');
    raw.sendRaw(new Uint8Array([0xff, 0xfe, 0x7b])); // not UTF-8
    raw.sendRaw(JSON.stringify({ pad: 'x'.repeat(MAX_FRAME_BYTES) }));
    raw.sendRaw(JSON.stringify({ type: 'still-alive' }));
    await alice.events.until(() => alice.events.frames.length === 1);
    expect(alice.events.frames[0].frame).toEqual({ type: 'still-alive' });
    expect(alice.transport.stats).toMatchObject({ droppedMalformed: 2, droppedOversized: 1, framesReceived: 1 });
    expect(alice.events.closed).toHaveLength(0);

    expect(() => link.send({ pad: 'x'.repeat(MAX_FRAME_BYTES) })).not.toThrow();
    expect(() => link.send({ big: 1n })).not.toThrow();
    expect(alice.transport.stats.droppedOutgoing).toBe(2);
  });

  it('reports a close exactly once on each side, whoever closes', async () => {
    const alice = startTestNode();
    const bob = startTestNode();
    const link = await alice.transport.dial(bob.identity.id, directSignaller(bob.transport));
    await bob.events.until(() => bob.events.links.length === 1);

    link.close();
    link.close();
    await bob.events.until(() => bob.events.closed.length === 1);
    await delay(300);
    expect(alice.events.closed).toEqual([link]);
    expect(bob.events.closed).toHaveLength(1);
    expect(alice.transport.openLinks + bob.transport.openLinks).toBe(0);
    link.send({ type: 'late' });
    expect(alice.transport.stats.droppedOutgoing).toBe(1);
  });

  it('stop() closes every link and later dials fail', async () => {
    const alice = startTestNode();
    const bob = startTestNode();
    const carol = startTestNode();
    await alice.transport.dial(bob.identity.id, directSignaller(bob.transport));
    await alice.transport.dial(carol.identity.id, directSignaller(carol.transport));
    alice.transport.stop();
    expect(alice.events.closed).toHaveLength(2);
    await bob.events.until(() => bob.events.closed.length === 1);
    await carol.events.until(() => carol.events.closed.length === 1);
    await expect(alice.transport.dial(bob.identity.id, directSignaller(bob.transport))).rejects.toThrow(/stopped/);
  });

  it('times out a dial whose offer is never answered and releases the peer connection', async () => {
    const alice = startTestNode({ connectTimeoutMs: 400 });
    const t0 = performance.now();
    await expect(alice.transport.dial(null, () => new Promise<SignalBlob>(() => {}))).rejects.toThrow(/within 400 ms/);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(alice.transport.stats.timeouts).toBe(1);
    expect(alice.transport.activeSessions).toBe(0);
  });

  it('rejects a dial whose signaller fails or returns garbage', async () => {
    const alice = startTestNode();
    await expect(alice.transport.dial(null, () => Promise.reject(new Error('no route')))).rejects.toThrow(/no route/);
    await expect(alice.transport.dial(null, async () => ({ kind: 'offer', data: 'v=0' }) as SignalBlob)).rejects.toThrow(/not an answer/);
    expect(alice.transport.stats.dialFailures).toBe(2);
    expect(alice.transport.activeSessions).toBe(0);
  });

  it('refuses to answer something that is not an SDP offer', async () => {
    const bob = startTestNode();
    await expect(bob.transport.answer(null, { kind: 'answer', data: 'v=0' })).rejects.toThrow(/not an SDP offer/);
    await expect(bob.transport.answer(null, { kind: 'offer', data: 'x'.repeat(100_000) })).rejects.toThrow();
    await expect(bob.transport.answer(null, { kind: 'offer', data: 'garbage' })).rejects.toThrow();
    expect(bob.transport.stats.answerFailures).toBe(3);
    expect(bob.transport.activeSessions).toBe(0);
  });
});

/** A FinalizationRegistry the test fires by hand: "the garbage collector freed connection n". */
class HandReleases {
  static last: HandReleases | null = null;
  readonly tokens: number[] = [];
  constructor(private readonly onFreed: (token: number) => void) {
    HandReleases.last = this;
  }
  register(_target: object, token: number): void {
    this.tokens.push(token);
  }
  free(token: number): void {
    this.onFreed(token);
  }
}

/** @roamhq/wrtc with its constructions counted here, below the transport, or replaced by a thrower. */
function wrtcCounting(throwing?: () => Error): { wrtc: typeof nodeWrtc; native: { constructed: number } } {
  const native = { constructed: 0 };
  const RTCPeerConnection = function (config?: RTCConfiguration) {
    if (throwing) throw throwing();
    native.constructed++;
    return new nodeWrtc.RTCPeerConnection(config);
  } as unknown as typeof globalThis.RTCPeerConnection;
  return { wrtc: { ...nodeWrtc, RTCPeerConnection, RTCSessionDescription: nodeWrtc.RTCSessionDescription, RTCIceCandidate: nodeWrtc.RTCIceCandidate }, native };
}

/** V8's gc() without starting Node with --expose-gc (the flag may be set at run time; vm reads it). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('WebRtcTransport peer-connection budget (Chromium refuses a page\'s 501st held RTCPeerConnection)', () => {
  it('counts one construction per dial and per answer, and each close; held stays until the collector frees it', async () => {
    const alice = startTestNode({ peerConnections: new PeerConnectionBudget({ releaseRegistry: HandReleases }) });
    const aliceReleases = HandReleases.last!;
    const bob = startTestNode({ peerConnections: new PeerConnectionBudget({ releaseRegistry: HandReleases }) });
    const counts = alice.transport.connections;
    expect(counts).toEqual({ constructed: 0, closed: 0, held: 0, refused: 0, limit: 500 });

    const link = await alice.transport.dial(bob.identity.id, directSignaller(bob.transport, alice.identity.id));
    await bob.events.until(() => bob.events.links.length === 1);
    expect(alice.transport.connections).toBe(counts); // live, the same object the node reads
    expect(counts).toEqual({ constructed: 1, closed: 0, held: 1, refused: 0, limit: 500 });
    expect(bob.transport.connections).toMatchObject({ constructed: 1, closed: 0, held: 1 });

    link.close();
    await bob.events.until(() => bob.events.closed.length === 1);
    expect(counts).toMatchObject({ constructed: 1, closed: 1, held: 1 });
    expect(bob.transport.connections).toMatchObject({ constructed: 1, closed: 1, held: 1 });

    // A dial that fails (its signaller has no route) constructed a connection all the same.
    await expect(alice.transport.dial(null, () => Promise.reject(new Error('no route')))).rejects.toThrow(/no route/);
    expect(counts).toMatchObject({ constructed: 2, closed: 2, held: 2 });

    expect(aliceReleases.tokens).toHaveLength(2);
    for (const token of aliceReleases.tokens) aliceReleases.free(token);
    expect(counts).toEqual({ constructed: 2, closed: 2, held: 0, refused: 0, limit: 500 });
  });

  it('at the limit refuses dials and answers with PeerConnectionLimit, constructing nothing', async () => {
    const { wrtc, native } = wrtcCounting();
    const budget = new PeerConnectionBudget({ limit: 2, releaseRegistry: null });
    const alice = startTestNode({ wrtc, peerConnections: budget });
    for (let i = 0; i < 2; i++) await expect(alice.transport.dial(null, () => Promise.reject(new Error('no route')))).rejects.toThrow(/no route/);
    expect(native.constructed).toBe(2);

    let signalled = false;
    const dial = alice.transport.dial(null, async () => {
      signalled = true;
      return { kind: 'answer', data: 'v=0' };
    });
    await expect(dial).rejects.toBeInstanceOf(PeerConnectionLimit);
    const bob = startTestNode();
    const offer = await new Promise<SignalBlob>((resolve, reject) => {
      bob.transport.dial(null, async (o) => (resolve(o), new Promise<SignalBlob>(() => {}))).catch(reject);
    });
    await expect(alice.transport.answer(bob.identity.id, offer)).rejects.toBeInstanceOf(PeerConnectionLimit);

    expect(signalled).toBe(false);
    expect(native.constructed).toBe(2);
    expect(alice.transport.connections).toEqual({ constructed: 2, closed: 2, held: 2, refused: 2, limit: 2 });
    expect(alice.transport.stats).toMatchObject({ dialFailures: 3, answerFailures: 1 });
    expect(alice.transport.activeSessions).toBe(0);
  });

  it('turns the browser\'s own "Cannot create so many PeerConnections" into PeerConnectionLimit', async () => {
    const { wrtc } = wrtcCounting(
      () => new DOMException("Failed to construct 'RTCPeerConnection': Cannot create so many PeerConnections", 'UnknownError'),
    );
    const alice = startTestNode({ wrtc });
    await expect(alice.transport.dial(null, () => new Promise<SignalBlob>(() => {}))).rejects.toBeInstanceOf(PeerConnectionLimit);
    const bob = startTestNode();
    const offer = await new Promise<SignalBlob>((resolve, reject) => {
      bob.transport.dial(null, async (o) => (resolve(o), new Promise<SignalBlob>(() => {}))).catch(reject);
    });
    await expect(alice.transport.answer(bob.identity.id, offer)).rejects.toBeInstanceOf(PeerConnectionLimit);
    await delay(50); // simple-peer re-emits the constructor's error a microtask later: it must not surface
    expect(alice.transport.connections).toEqual({ constructed: 0, closed: 0, held: 0, refused: 2, limit: 500 });
    expect(alice.transport.activeSessions).toBe(0);
  });

  it('held comes down once the garbage collector has freed closed connections (nothing of ours keeps them)', async () => {
    const gc = exposeGc();
    const alice = startTestNode(); // the default: the global FinalizationRegistry
    const pessimist = startTestNode({ peerConnections: new PeerConnectionBudget({ releaseRegistry: null }) });
    const bob = startTestNode();
    for (const dialler of [alice, alice, alice, pessimist]) {
      const link = await dialler.transport.dial(bob.identity.id, directSignaller(bob.transport, dialler.identity.id));
      link.close();
    }
    await bob.events.until(() => bob.events.closed.length === 4);
    // The links stay referenced (the event log holds them, as a node's tables may): their sessions must not hold the connection.
    expect(alice.events.links).toHaveLength(3);

    const freed = async () => {
      for (let round = 0; round < 40 && alice.transport.connections.held > 0; round++) {
        gc();
        await delay(50); // finalization callbacks run in a later task
      }
    };
    await freed();
    expect(alice.transport.connections).toMatchObject({ constructed: 3, closed: 3, held: 0 });
    // Without a FinalizationRegistry nothing is ever known to be freed: held = constructed.
    expect(pessimist.transport.connections).toMatchObject({ constructed: 1, closed: 1, held: 1 });
  });
});
