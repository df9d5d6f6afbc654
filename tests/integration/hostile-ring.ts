// A ring of honest Node peers plus one hostile peer over real WebRTC (@roamhq/wrtc), the attacks
// issue 14 measured, and the ring's health after each: shared by tests/integration/hostile-peer.test.ts
// (which asserts on the figures) and bench/hostile.bench.ts (which records them, with the defences
// on and off). The hostile peer is a real, joined node (so it holds real links) that then abuses
// them, as a peer running modified code would. Nothing here asserts: attacks and checks return what
// they saw, and only a ring that cannot even be set up throws.

import { randomBytes } from 'node:crypto';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import type { IncomingMessage } from '../../src/im/chat.js';
import { scanBuddySearch } from '../../src/im/directory-search.js';
import { IM_APPLICATION } from '../../src/im/config.js';
import { Messenger } from '../../src/im/messenger.js';
import { memoryStorage } from '../../src/im/storage.js';
import type { OverlayConfig } from '../../src/overlay/config.js';
import { bootstrapSignaller } from '../../src/overlay/bootstrap/client.js';
import type { NodeId } from '../../src/overlay/id.js';
import type { RouteFrame } from '../../src/overlay/messages.js';
import { cryptoRandom, realClock } from '../../src/overlay/transports/real-environment.js';
import { SCAN_APPLICATION } from '../../src/scan/directory.js';
import { startPeer, type RunningPeer } from '../../signaling-bootstrap/peer.js';
import { startServer, type RunningServer } from '../../signaling-bootstrap/server.js';
import { eventually, expectedLeafSet, expectedRoot, randomKey, registerWhoAmI, settled, WHOAMI_APP, type WhoAmIReply } from './webrtc-ring.js';

export const HONEST = 7;
export const LEAF_SET = 4;
const RING_CONFIG: Partial<OverlayConfig> = {
  leafSetSize: LEAF_SET,
  keepAliveMs: 1_000,
  failureTimeoutMs: 6_000,
  tableKeepAliveMs: 2_000,
  leafSetGossipMs: 2_000,
  leafSetRefreshMs: 3_000,
  requestTimeoutMs: 4_000,
};
/** The overlay defences that are configuration, switched off (the bench's "before"). */
export const DEFENCES_OFF: Partial<OverlayConfig> = {
  routedPerNeighbourPerSec: Infinity,
  routedPerNeighbourBurst: Infinity,
  reversePathShare: Infinity,
  rootHoldMax: 0,
};
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const fakeId = () => hex(16) as NodeId;
/** Ids sharing the first `digits` hex digits with `id`: they would enter its leaf set or top table rows. */
const idNear = (id: NodeId, digits: number) => (id.slice(0, digits) + hex(16).slice(digits)) as NodeId;

export interface HostileRing {
  server: RunningServer;
  honest: RunningPeer[];
  hostile: RunningPeer;
  /** A user on honest[1], buddies with the echo peer (honest[0]). */
  messenger: Messenger;
  received: IncomingMessage[];
  log: (line: string) => void;
}

export async function startHostileRing(options: { config?: Partial<OverlayConfig>; log?: (line: string) => void } = {}): Promise<HostileRing> {
  const config = { ...RING_CONFIG, ...options.config };
  const server = await startServer({ port: 0, distDir: null });
  const honest: RunningPeer[] = [];
  for (let i = 0; i < HONEST; i++) {
    const peer = await startPeer({ bootstrap: server.bootstrapUrl, config, echo: i === 0, name: i === 0 ? 'Echo' : `honest-${i}` });
    registerWhoAmI(peer.node);
    honest.push(peer);
    await eventually(() => server.stats.volunteers >= i + 1, 10_000);
  }
  const hostile = await startPeer({ bootstrap: server.bootstrapUrl, config, name: 'hostile' });
  registerWhoAmI(hostile.node);
  const user = honest[1];
  const messenger = await Messenger.open({
    identity: user.identity, storage: memoryStorage(), overlay: user.node, clock: realClock, random: cryptoRandom, search: scanBuddySearch(user.directory),
  });
  messenger.start();
  const received: IncomingMessage[] = [];
  messenger.on('message', (m) => received.push(m));
  const ring: HostileRing = { server, honest, hostile, messenger, received, log: options.log ?? ((line) => console.info(`[hostile peer] ${line}`)) };
  let found: Awaited<ReturnType<Messenger['search']>> = [];
  for (const deadline = performance.now() + 30_000; found.length === 0 && performance.now() < deadline; ) {
    found = await messenger.search('ech');
    if (found.length === 0) await sleep(500);
  }
  if (found.length === 0) throw new Error('the echo peer was never found by search');
  await messenger.requestBuddy(found[0]);
  await eventually(() => messenger.buddies().some((b) => b.uid === honest[0].node.id && b.status === 'accepted'), 20_000);
  return ring;
}

export async function stopHostileRing(ring: HostileRing | undefined): Promise<void> {
  if (!ring) return;
  ring.messenger.stop();
  const all = [...ring.honest, ring.hostile];
  await settled(all);
  await Promise.all(all.map((p) => p.crash()));
  await ring.server.close();
}

/** The honest peer the hostile one is linked to (the victim of frames sent over that link). */
function victim(ring: HostileRing): RunningPeer {
  const linked = ring.honest.find((p) => ring.hostile.node.links.has(p.node.id));
  if (!linked) throw new Error('the hostile peer holds no link to an honest peer');
  return linked;
}

/** Sends frames over the hostile peer's link to `to`; returns how many went before it closed. */
function sendRaw(ring: HostileRing, to: NodeId, frames: Iterable<unknown>): number {
  let sent = 0;
  for (const frame of frames) {
    const link = ring.hostile.node.links.get(to)?.link;
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

async function gathered(pc: RTCPeerConnection): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    setTimeout(resolve, 2_000);
  });
  return pc.localDescription!.sdp;
}

async function realOffer(): Promise<string> {
  const pc = new wrtc.RTCPeerConnection();
  pc.createDataChannel('x');
  const sdp = await gathered(pc);
  pc.close();
  return sdp;
}

/**
 * A raw peer connection (no DIMA code on our side) to whichever volunteer the introducer picks, as
 * a modified client would open one: the victim sees a data channel that has not proved any key yet.
 */
async function rawChannelToVolunteer(ring: HostileRing): Promise<{ pc: RTCPeerConnection; channel: RTCDataChannel }> {
  const signaller = await bootstrapSignaller(ring.server.bootstrapUrl, WebSocket, { timeoutMs: 10_000 });
  if (!signaller) throw new Error('the introducer knows no volunteer');
  const pc: RTCPeerConnection = new wrtc.RTCPeerConnection();
  const channel = pc.createDataChannel('raw');
  const answer = await signaller({ kind: 'offer', data: await gathered(pc) });
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.data });
  await eventually(() => channel.readyState === 'open', 10_000, () => '(the raw data channel never opened)');
  return { pc, channel };
}

const authFailures = (ring: HostileRing) => ring.honest.reduce((n, p) => n + p.transport.stats.authFailures, 0);

/**
 * A replay across remove / re-add: the IM frames the user's node took while one chat went to the
 * echo buddy and came back (as any relay on the path sees them) are recorded; the user removes the
 * buddy and adds it again; the hostile peer then routes every recorded frame to the user once more.
 * `shownAgain`: how often the old echo was shown a second time.
 */
export async function chatReplayAttack(ring: HostileRing): Promise<{ replayed: number; shownAgain: number }> {
  const user = ring.honest[1].node;
  const echo = ring.honest[0].node.id;
  const applications = (user as unknown as { forwarder: { applications: Map<string, { deliver(msg: { origin: NodeId; body: unknown; reply?: unknown }): void }> } }).forwarder.applications;
  const im = applications.get(IM_APPLICATION)!;
  const seen: { origin: NodeId; body: unknown; want: boolean }[] = [];
  applications.set(IM_APPLICATION, { ...im, deliver: (msg) => (seen.push({ origin: msg.origin, body: msg.body, want: msg.reply !== undefined }), im.deliver(msg)) });
  const text = `replay bait ${hex(4)}`;
  const shown = () => ring.received.filter((m) => m.text === text).length;
  try {
    await ring.messenger.send(echo, text);
    await eventually(() => shown() === 1, 30_000, () => '(the bait\'s echo never came)');
  } finally {
    applications.set(IM_APPLICATION, im);
  }
  await ring.messenger.removeBuddy(echo);
  const found = await ring.messenger.search('ech');
  await ring.messenger.requestBuddy(found[0]);
  await eventually(() => ring.messenger.buddies().some((b) => b.uid === echo && b.status === 'accepted'), 20_000, () => '(the echo buddy was not added again)');
  const replayed = sendRaw(ring, victim(ring).node.id, seen.map((frame): RouteFrame => ({
    t: 'route', id: hex(8), key: user.id, origin: frame.origin, hops: 0, app: IM_APPLICATION, body: frame.body, want: frame.want,
  })));
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  return { replayed, shownAgain: shown() - 1 };
}

/** `count` garbage frames over the authenticated link; `received`: the victim read frames after it. */
export async function garbageAttack(ring: HostileRing, count = 2_000): Promise<{ sent: number; received: boolean }> {
  const junk = function* () {
    for (let i = 0; i < count; i++) {
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
  const v = victim(ring);
  const before = v.node.stats.framesReceived;
  const sent = sendRaw(ring, v.node.id, junk());
  const received = await eventually(() => v.node.stats.framesReceived > before, 10_000).then(() => true, () => false);
  return { sent, received };
}

/** One `nodes` frame naming `ids` made-up ids near the victim; returns the connections it constructed in 8 s. */
export async function nodesFrameAttack(ring: HostileRing, ids = 300): Promise<{ constructions: number }> {
  const v = victim(ring);
  const constructed = v.transport.connections.constructed;
  sendRaw(ring, v.node.id, [{ t: 'nodes', what: 'leafset', ids: Array.from({ length: ids }, () => idNear(v.node.id, 3)) }]);
  await sleep(8_000);
  return { constructions: v.transport.connections.constructed - constructed };
}

/**
 * Garbage in place of the HELLO on one raw channel, a spoofed id (an honest peer's public key and a
 * proof we cannot make) on another. Returns whether both were refused and closed, any link to an
 * id outside the ring, and whether the real holder of the spoofed key kept its links.
 */
export async function preAuthAttack(ring: HostileRing): Promise<{ refused: boolean; closed: boolean; strangers: string[]; spoofedKeptLinks: boolean }> {
  const failuresBefore = authFailures(ring);
  const known = new Set([...ring.honest.map((p) => p.node.id), ring.hostile.node.id]);
  const spoofed = ring.honest[2];
  const garbage = await rawChannelToVolunteer(ring);
  for (const junk of [hex(512), 'x'.repeat(200_000), JSON.stringify({ t: 'route', id: 'a', key: fakeId(), origin: fakeId(), hops: 0, app: '_join', body: {} })]) {
    if (garbage.channel.readyState === 'open') garbage.channel.send(junk);
  }
  const spoof = await rawChannelToVolunteer(ring);
  spoof.channel.send(JSON.stringify({ auth: 'hello', key: Buffer.from(spoofed.identity.publicKey).toString('hex'), nonce: hex(32) }));
  spoof.channel.send(JSON.stringify({ auth: 'proof', sig: hex(64) }));
  const refused = await eventually(() => authFailures(ring) >= failuresBefore + 2, 15_000).then(() => true, () => false);
  const closed = await eventually(() => garbage.channel.readyState === 'closed' && spoof.channel.readyState === 'closed', 15_000).then(() => true, () => false);
  garbage.pc.close();
  spoof.pc.close();
  const strangers = ring.honest.flatMap((p) => [...p.node.links.peers()].filter((id) => !known.has(id)).map((id) => `${p.node.id} -> ${id}`));
  return { refused, closed, strangers, spoofedKeptLinks: ring.honest.some((p) => p.node.links.has(spoofed.node.id)) };
}

/** Sends `total` frames made by `make` to the victim in bursts of `perSecond`, one burst a second. */
async function flood(ring: HostileRing, total: number, perSecond: number, make: (victimId: NodeId) => RouteFrame): Promise<number> {
  const v = victim(ring);
  let sent = 0;
  for (let left = total; left > 0; left -= perSecond) {
    sent += sendRaw(ring, v.node.id, Array.from({ length: Math.min(perSecond, left) }, () => make(v.node.id)));
    await sleep(1_000);
  }
  return sent;
}

/** `total` routed SIGNAL offers (a real SDP) from made-up origins; returns the connections constructed. */
export async function signalFloodAttack(ring: HostileRing, total = 5_000, perSecond = 500): Promise<{ sent: number; constructions: number }> {
  const v = victim(ring);
  const offer = await realOffer();
  const constructed = v.transport.connections.constructed;
  const sent = await flood(ring, total, perSecond, (target) => ({
    t: 'route', id: hex(8), key: target, origin: fakeId(), hops: 0, app: '_signal', body: { target, kind: 'offer', data: offer }, want: true,
  }));
  return { sent, constructions: v.transport.connections.constructed - constructed };
}

/** `total` JOIN requests for made-up joiners. */
export async function joinFloodAttack(ring: HostileRing, total = 5_000, perSecond = 500): Promise<{ sent: number }> {
  const sent = await flood(ring, total, perSecond, () => {
    const joiner = fakeId();
    return { t: 'route', id: hex(8), key: joiner, origin: joiner, hops: 0, app: '_join', body: { joiner, candidates: [fakeId(), fakeId()] }, want: true };
  });
  return { sent };
}

/** `count` directory records with made-up keys and bad signatures; then whether a real search still finds the echo peer. */
export async function forgedRecordsAttack(ring: HostileRing, count = 1_000): Promise<{ sent: number; searchFindsEcho: boolean }> {
  const v = victim(ring);
  const sent = sendRaw(ring, v.node.id, Array.from({ length: count }, (): RouteFrame => {
    const record = {
      kind: 'profile', uid: fakeId(), publicKey: hex(32), fields: { name: `Fake ${hex(3)}` }, keywords: ['fake'],
      issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000, signature: hex(64),
    };
    return { t: 'route', id: hex(8), key: fakeId(), origin: ring.hostile.node.id, hops: 0, app: SCAN_APPLICATION, body: { t: 'scan/store', keyword: 'echo', record }, want: false };
  }));
  await sleep(3_000);
  const found = await ring.messenger.search('ech');
  return { sent, searchFindsEcho: found.some((f) => f.uid === ring.honest[0].node.id) };
}

/** Makes the hostile peer ack and drop everything it should forward (its own traffic it takes); returns the undo. */
export function startBlackHole(ring: HostileRing): () => void {
  const forwarder = (ring.hostile.node as unknown as { forwarder: { forwardOrDeliver(frame: RouteFrame, ...rest: unknown[]): void } }).forwarder;
  const original = forwarder.forwardOrDeliver.bind(forwarder);
  forwarder.forwardOrDeliver = (frame, ...rest) => {
    if (frame.key === ring.hostile.node.id) original(frame, ...rest);
  };
  return () => {
    forwarder.forwardOrDeliver = original;
  };
}

export interface Health {
  /** How long until every honest leaf set was exact among live nodes and linked; null: not within the cap. */
  leafSetsExactMs: number | null;
  /** Lookups between honest peers that reached the closest node (keys whose root is the attacker aside). */
  lookupsRight: number;
  lookupsCounted: number;
  /** The next chat message's echo: how many times it was shown (1 is right; 0: it never came). */
  chatShown: number;
  rssGrowthMb: number;
  heapGrowthMb: number;
}

const liveIds = (ring: HostileRing) => [...ring.honest.map((p) => p.node), ring.hostile.node].filter((n) => n.state === 'joined').map((n) => n.id);

/** Honest peers whose leaf set is not exact among the live nodes, or who lack the link to a member. */
export function honestLeafSetsWrong(ring: HostileRing): RunningPeer[] {
  const live = liveIds(ring);
  return ring.honest.filter((p) => {
    const expected = expectedLeafSet(p.node.id, live, LEAF_SET);
    return [...p.node.leafSet.members()].sort().join() !== expected.join() || !expected.every((id) => p.node.links.has(id));
  });
}

export interface MemoryMark {
  rss: number;
  heap: number;
}

export const memoryMark = (): MemoryMark => ({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });

/** Waits for exact leaf sets (up to `exactCapMs`), then 200 lookups and one chat; memory against `before`. */
export async function ringHealth(ring: HostileRing, label: string, before: MemoryMark, exactCapMs = 30_000): Promise<Health> {
  const { hostile } = ring;
  const started = performance.now();
  const live = () => liveIds(ring);
  const wrongLeafSets = () => honestLeafSetsWrong(ring);
  const exact = await eventually(() => wrongLeafSets().length === 0, exactCapMs).then(() => true, () => false);
  const leafSetsExactMs = exact ? Math.round(performance.now() - started) : null;
  if (!exact) ring.log(`${label}: ${wrongLeafSets().length} honest leaf sets not exact after ${exactCapMs} ms`);
  const lookups = await honestLookups(ring, live(), 200);
  const counted = lookups.filter((l) => l.expected !== hostile.node.id);
  const right = counted.filter((l) => l.got === l.expected).length;
  const rssGrowthMb = (process.memoryUsage().rss - before.rss) / MB;
  const heapGrowthMb = (process.memoryUsage().heapUsed - before.heap) / MB;
  ring.log(`${label}: leaf sets exact after ${leafSetsExactMs ?? '-'} ms, ${right}/${counted.length} lookups right, rss +${rssGrowthMb.toFixed(1)} MB`);
  const wrong = counted.filter((l) => l.got !== l.expected).slice(0, 5);
  if (wrong.length > 0) ring.log(`${label}: wrong: ${JSON.stringify(wrong.map((w) => ({ expected: w.expected.slice(0, 6), got: w.got.slice(0, 30), viaHostile: w.got === hostile.node.id })))}`);
  const chatShown = await chatEcho(ring, label);
  return { leafSetsExactMs, lookupsRight: right, lookupsCounted: counted.length, chatShown, rssGrowthMb, heapGrowthMb };
}

async function honestLookups(ring: HostileRing, live: NodeId[], count: number) {
  const from = ring.honest.map((p) => p.node);
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
/** Sends a chat to the echo peer; returns how many times its echo was shown (0: not within 30 s). */
async function chatEcho(ring: HostileRing, label: string): Promise<number> {
  const text = `after ${label} #${++chats}`;
  await ring.messenger.send(ring.honest[0].node.id, text);
  const shown = () => ring.received.filter((m) => m.text === text).length;
  const came = await eventually(() => shown() > 0, 30_000).then(() => true, () => false);
  if (!came) ring.log(`${label}: the echo of "${text}" never came`);
  else await sleep(500);
  return shown();
}
