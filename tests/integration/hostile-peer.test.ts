// One hostile peer in a ring of 7 honest Node peers over real WebRTC (@roamhq/wrtc), L = 4 so routes
// take several hops. The hostile peer is a real, joined node (so it holds real links) that then
// abuses them, one attack per test. After each attack: every honest peer still holds the links of
// its leaf set, >= 99% of 200 lookups between honest peers reach the numerically closest node (keys
// whose root is the attacker aside), the process grew by less than 50 MB, and a real chat message
// still arrives once. Issue 14's measurements were taken against the same attacks.

import { randomBytes } from 'node:crypto';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/im/chat.js';
import { scanBuddySearch } from '../../src/im/directory-search.js';
import { Messenger } from '../../src/im/messenger.js';
import { memoryStorage } from '../../src/im/storage.js';
import type { OverlayConfig } from '../../src/overlay/config.js';
import { bootstrapSignaller } from '../../src/overlay/bootstrap/client.js';
import type { NodeId } from '../../src/overlay/id.js';
import type { RouteFrame } from '../../src/overlay/messages.js';
import type { PastryNode } from '../../src/overlay/pastry-node.js';
import { cryptoRandom, realClock } from '../../src/overlay/transports/real-environment.js';
import { SCAN_APPLICATION } from '../../src/scan/directory.js';
import { startPeer, type RunningPeer } from '../../signaling-bootstrap/peer.js';
import { startServer, type RunningServer } from '../../signaling-bootstrap/server.js';
import { eventually, expectedLeafSet, expectedRoot, randomKey, registerWhoAmI, settled, WHOAMI_APP, type WhoAmIReply } from './webrtc-ring.js';

const HONEST = 7;
const LEAF_SET = 4;
const CONFIG: Partial<OverlayConfig> = {
  leafSetSize: LEAF_SET,
  keepAliveMs: 1_000,
  failureTimeoutMs: 6_000,
  tableKeepAliveMs: 2_000,
  leafSetGossipMs: 2_000,
  leafSetRefreshMs: 3_000,
  requestTimeoutMs: 4_000,
};
const MB = 1024 * 1024;

let server: RunningServer;
const honest: RunningPeer[] = [];
let hostile: RunningPeer;
let messenger: Messenger;
const received: IncomingMessage[] = [];
const log = (line: string) => console.info(`[hostile peer] ${line}`);

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const fakeId = () => hex(16) as NodeId;
/** Ids sharing the first `digits` hex digits with `id`: they would enter its leaf set or top table rows. */
const idNear = (id: NodeId, digits: number) => (id.slice(0, digits) + hex(16).slice(digits)) as NodeId;

/** The honest peer the hostile one is linked to (the victim of frames sent over that link). */
function victim(): RunningPeer {
  const linked = honest.find((p) => hostile.node.links.has(p.node.id));
  if (!linked) throw new Error('the hostile peer holds no link to an honest peer');
  return linked;
}

/** Sends frames over the hostile peer's link to `to`, like a peer running modified code would. */
function sendRaw(to: NodeId, frames: Iterable<unknown>): number {
  let sent = 0;
  for (const frame of frames) {
    const link = hostile.node.links.get(to)?.link;
    if (!link) break; // the victim cut us off: fair
    try {
      link.send(frame);
      sent++;
    } catch {
      break;
    }
  }
  return sent;
}

async function realOffer(): Promise<string> {
  const pc = new wrtc.RTCPeerConnection();
  pc.createDataChannel('x');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    setTimeout(resolve, 2_000);
  });
  const sdp = pc.localDescription!.sdp;
  pc.close();
  return sdp;
}

/**
 * A raw peer connection (no DIMA code on our side) to whichever volunteer the introducer picks, as
 * a modified client would open one: the victim sees a data channel that has not proved any key yet.
 */
async function rawChannelToVolunteer(): Promise<{ pc: RTCPeerConnection; channel: RTCDataChannel }> {
  const signaller = await bootstrapSignaller(server.bootstrapUrl, WebSocket, { timeoutMs: 10_000 });
  if (!signaller) throw new Error('the introducer knows no volunteer');
  const pc: RTCPeerConnection = new wrtc.RTCPeerConnection();
  const channel = pc.createDataChannel('raw');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    setTimeout(resolve, 2_000);
  });
  const answer = await signaller({ kind: 'offer', data: pc.localDescription!.sdp });
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.data });
  await eventually(() => channel.readyState === 'open', 10_000, () => '(the raw data channel never opened)');
  return { pc, channel };
}

const authFailures = () => honest.reduce((n, p) => n + p.transport.stats.authFailures, 0);

/** The checks after every attack. */
async function ringIsHealthy(label: string, rssBefore: number): Promise<void> {
  const nodes = [...honest.map((p) => p.node), hostile.node].filter((n) => n.state === 'joined');
  const live = nodes.map((n) => n.id);
  // Each honest node's leaf set is exact among live nodes, and it holds the link to every member.
  const wrongLeafSets = () =>
    honest.filter((p) => {
      const expected = expectedLeafSet(p.node.id, live, LEAF_SET);
      return [...p.node.leafSet.members()].sort().join() !== expected.join() || !expected.every((id) => p.node.links.has(id));
    });
  await eventually(() => wrongLeafSets().length === 0, 30_000, () => `(${label}: ${wrongLeafSets().length} honest leaf sets not exact)`);
  const lookups = await honestLookups(honest.map((p) => p.node), live, 200);
  const counted = lookups.filter((l) => l.expected !== hostile.node.id);
  const right = counted.filter((l) => l.got === l.expected).length;
  const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / MB;
  log(`${label}: ${right}/${counted.length} lookups right, rss +${rssGrowthMb.toFixed(1)} MB`);
  const wrong = counted.filter((l) => l.got !== l.expected).slice(0, 5);
  if (wrong.length > 0) log(`${label}: wrong: ${JSON.stringify(wrong.map((w) => ({ expected: w.expected.slice(0, 6), got: w.got.slice(0, 30), viaHostile: w.got === hostile.node.id })))}`);
  expect(right / counted.length, `${label}: lookups reaching the closest node`).toBeGreaterThanOrEqual(0.99);
  expect(rssGrowthMb, `${label}: memory growth`).toBeLessThan(50);
  await chatStillWorks(label);
}

async function honestLookups(from: PastryNode[], live: NodeId[], count: number) {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const key = randomKey();
      const expected = expectedRoot(key, live);
      try {
        const reply = await from[i % from.length].request(key, WHOAMI_APP, null, { timeoutMs: 15_000 });
        return { expected, got: (reply.body as WhoAmIReply).id };
      } catch (error) {
        return { expected, got: `error: ${(error as Error).message}` };
      }
    }),
  );
}

let chats = 0;
async function chatStillWorks(label: string): Promise<void> {
  const text = `after ${label} #${++chats}`;
  const echo = honest[0];
  await messenger.send(echo.node.id, text);
  await eventually(() => received.some((m) => m.text === text), 30_000, () => `(${label}: the echo of "${text}" never came)`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(received.filter((m) => m.text === text), `${label}: shown once`).toHaveLength(1);
}

beforeAll(async () => {
  server = await startServer({ port: 0, distDir: null });
  for (let i = 0; i < HONEST; i++) {
    const peer = await startPeer({ bootstrap: server.bootstrapUrl, config: CONFIG, echo: i === 0, name: i === 0 ? 'Echo' : `honest-${i}` });
    registerWhoAmI(peer.node);
    honest.push(peer);
    await eventually(() => server.stats.volunteers >= i + 1, 10_000);
  }
  hostile = await startPeer({ bootstrap: server.bootstrapUrl, config: CONFIG, name: 'hostile' });
  registerWhoAmI(hostile.node);
  const user = honest[1];
  messenger = await Messenger.open({
    identity: user.identity, storage: memoryStorage(), overlay: user.node, clock: realClock, random: cryptoRandom, search: scanBuddySearch(user.directory),
  });
  messenger.start();
  messenger.on('message', (m) => received.push(m));
  let found: Awaited<ReturnType<Messenger['search']>> = [];
  for (const deadline = Date.now() + 30_000; found.length === 0 && Date.now() < deadline; ) {
    found = await messenger.search('ech');
    if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await messenger.requestBuddy(found[0]);
  await eventually(() => messenger.buddies().some((b) => b.uid === honest[0].node.id && b.status === 'accepted'), 20_000);
}, 180_000);

afterAll(async () => {
  messenger?.stop();
  const all = [...honest, ...(hostile ? [hostile] : [])];
  await settled(all);
  await Promise.all(all.map((p) => p.crash()));
  await server.close();
});

describe(`one hostile peer among ${HONEST} honest Node peers (real WebRTC, L = ${LEAF_SET})`, () => {
  it('starts healthy', async () => {
    await ringIsHealthy('no attack', process.memoryUsage().rss);
  });

  it('shrugs off 2,000 garbage frames over an authenticated link', async () => {
    const rss = process.memoryUsage().rss;
    const junk = function* () {
      for (let i = 0; i < 2_000; i++) {
        yield [
          { t: 'route', id: 'x', key: 'nope' },
          { t: 'nodes', what: 'row', ids: 'not a list' },
          { t: 'reply', id: hex(4), from: fakeId(), hops: 1, body: 'x'.repeat(10_000) },
          { t: 'ping', stamp: 'now' },
          { t: '__proto__', __proto__: { polluted: true } },
          // Near the frame cap, now and then (each is buffered by the sender too: same process).
          i % 60 === 5 ? 'x'.repeat(60_000) : [1, [2, [3]]],
        ][i % 6];
      }
    };
    const v = victim();
    const before = v.node.stats.framesReceived;
    expect(sendRaw(v.node.id, junk())).toBeGreaterThan(0);
    await eventually(() => v.node.stats.framesReceived > before, 10_000);
    await ringIsHealthy('garbage', rss);
  });

  it('opens almost no connections for a nodes frame naming 300 made-up ids near the victim', async () => {
    const rss = process.memoryUsage().rss;
    const v = victim();
    const constructed = v.transport.connections.constructed;
    sendRaw(v.node.id, [{ t: 'nodes', what: 'leafset', ids: Array.from({ length: 300 }, () => idNear(v.node.id, 3)) }]);
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const extra = v.transport.connections.constructed - constructed;
    log(`nodes frame of 300 fake ids: ${extra} constructions`);
    expect(extra).toBeLessThan(10);
    await ringIsHealthy('nodes frame', rss);
  });

  it('drops garbage sent before link authentication and a spoofed id, and links neither', async () => {
    const rss = process.memoryUsage().rss;
    const failuresBefore = authFailures();
    const known = new Set([...honest.map((p) => p.node.id), hostile.node.id]);
    // Garbage in place of the HELLO: not JSON, oversized, a frame that skips the handshake.
    const garbage = await rawChannelToVolunteer();
    for (const junk of [hex(512), 'x'.repeat(200_000), JSON.stringify({ t: 'route', id: 'a', key: fakeId(), origin: fakeId(), hops: 0, app: '_join', body: {} })]) {
      if (garbage.channel.readyState === 'open') garbage.channel.send(junk);
    }
    // A spoofed id: an honest peer's public key in the HELLO, and a proof we cannot really make.
    const spoof = await rawChannelToVolunteer();
    spoof.channel.send(JSON.stringify({ auth: 'hello', key: Buffer.from(honest[2].identity.publicKey).toString('hex'), nonce: hex(32) }));
    spoof.channel.send(JSON.stringify({ auth: 'proof', sig: hex(64) }));
    await eventually(() => authFailures() >= failuresBefore + 2, 15_000, () => `(auth failures ${authFailures() - failuresBefore}, expected 2)`);
    await eventually(() => garbage.channel.readyState === 'closed' && spoof.channel.readyState === 'closed', 15_000, () => '(a victim kept an unauthenticated channel open)');
    garbage.pc.close();
    spoof.pc.close();
    for (const peer of honest) for (const id of peer.node.links.peers()) expect(known.has(id), `${peer.node.id} linked to ${id}`).toBe(true);
    // The real holder of the spoofed key keeps its own links.
    expect(honest.filter((p) => p.node.links.has(honest[2].node.id)).length).toBeGreaterThan(0);
    await ringIsHealthy('pre-auth garbage and spoofed id', rss);
  });

  it('answers a bounded number of 5,000 routed offers in 10 s from made-up origins', async () => {
    const rss = process.memoryUsage().rss;
    const v = victim();
    const offer = await realOffer();
    const constructed = v.transport.connections.constructed;
    const cpu = process.cpuUsage();
    for (let burst = 0; burst < 10; burst++) {
      sendRaw(v.node.id, Array.from({ length: 500 }, (): RouteFrame => ({
        t: 'route', id: hex(8), key: v.node.id, origin: fakeId(), hops: 0, app: '_signal', body: { target: v.node.id, kind: 'offer', data: offer }, want: true,
      })));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const extra = v.transport.connections.constructed - constructed;
    const cpuS = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
    log(`signal flood: ${extra} constructions, ${cpuS.toFixed(1)} CPU s for the whole process`);
    expect(extra).toBeLessThan(40);
    await ringIsHealthy('signal flood', rss);
  });

  // Under this flood (and any CPU load) hop acks come late: a root whose ack was late used to be
  // skipped and its neighbour took the frame (77-96% right). Frames now wait for a suspected root.
  it('stays correct under 5,000 JOIN requests in 10 s for made-up joiners', async () => {
    const rss = process.memoryUsage().rss;
    const v = victim();
    for (let burst = 0; burst < 10; burst++) {
      sendRaw(v.node.id, Array.from({ length: 500 }, (): RouteFrame => {
        const joiner = fakeId();
        return { t: 'route', id: hex(8), key: joiner, origin: joiner, hops: 0, app: '_join', body: { joiner, candidates: [fakeId(), fakeId()] }, want: true };
      }));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    await ringIsHealthy('join flood', rss);
  });

  it('keeps serving real searches after 1,000 forged directory records', async () => {
    const rss = process.memoryUsage().rss;
    const v = victim();
    sendRaw(v.node.id, Array.from({ length: 1_000 }, (): RouteFrame => {
      const key = fakeId();
      const record = {
        kind: 'profile', uid: fakeId(), publicKey: hex(32), fields: { name: `Fake ${hex(3)}` }, keywords: ['fake'],
        issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000, signature: hex(64),
      };
      return { t: 'route', id: hex(8), key, origin: hostile.node.id, hops: 0, app: SCAN_APPLICATION, body: { t: 'scan/store', keyword: 'echo', record }, want: false };
    }));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const found = await messenger.search('ech');
    expect(found.map((f) => f.uid)).toContain(honest[0].node.id);
    await ringIsHealthy('forged records', rss);
  });

  it('routes around a black hole that acks and then drops everything it should forward', async () => {
    const rss = process.memoryUsage().rss;
    const forwarder = (hostile.node as unknown as { forwarder: { forwardOrDeliver(frame: RouteFrame, ...rest: unknown[]): void } }).forwarder;
    const original = forwarder.forwardOrDeliver.bind(forwarder);
    forwarder.forwardOrDeliver = (frame, ...rest) => {
      if (frame.key === hostile.node.id) original(frame, ...rest); // its own traffic it takes
    };
    try {
      // In 8 nodes few routes pass through another node: tests/sim/black-holes.test.ts checks the
      // routing around at scale; here, that the small ring stays right with one node swallowing.
      await ringIsHealthy('black hole', rss);
    } finally {
      forwarder.forwardOrDeliver = original;
    }
  });
});
