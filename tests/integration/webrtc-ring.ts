// Helpers for rings of headless Node peers over real WebRTC (tests/integration and bench/webrtc):
// start peers through an introducer, ask "who is the root of this key?", and the ground truth to
// check the answer against, computed from the sorted list of live ids alone (not from any node's
// tables: the expectation must not share the code under test).

import { randomBytes } from 'node:crypto';
import type { OverlayConfig } from '../../src/overlay/config.js';
import type { NodeId } from '../../src/overlay/id.js';
import type { PastryNode } from '../../src/overlay/pastry-node.js';
import { startPeer, type RunningPeer } from '../../signaling-bootstrap/peer.js';

/** Overlay application on every test node: the root of a key replies with its own id. */
export const WHOAMI_APP = 'test.whoami';

export interface WhoAmIReply {
  id: NodeId;
  /** Overlay hops the request took to reach this root. */
  hops: number;
}

const RING = 1n << 128n;
const HALF_RING = RING >> 1n;

export function registerWhoAmI(node: PastryNode): void {
  node.register(WHOAMI_APP, { deliver: (msg) => msg.reply?.({ id: node.id, hops: msg.hops } satisfies WhoAmIReply) });
}

/** Starts a peer through `bootstrap` and registers the whoami application on its node. */
export async function startRingPeer(bootstrap: string, options: { config?: Partial<OverlayConfig>; seed?: boolean } = {}): Promise<RunningPeer> {
  const peer = await startPeer({ bootstrap, config: options.config, seedPort: options.seed ? 0 : undefined });
  registerWhoAmI(peer.node);
  return peer;
}

export function randomKey(): NodeId {
  return randomBytes(16).toString('hex') as NodeId;
}

function ringDistance(a: NodeId, b: NodeId): bigint {
  let d = BigInt('0x' + a) - BigInt('0x' + b);
  if (d < 0n) d = -d;
  return d > HALF_RING ? RING - d : d;
}

/** The live node numerically closest to `key` (a tie goes to the smaller id, as the overlay agrees). */
export function expectedRoot(key: NodeId, liveIds: readonly NodeId[]): NodeId {
  const sorted = [...liveIds].sort();
  let best = sorted[0];
  for (const id of sorted) if (ringDistance(key, id) < ringDistance(key, best)) best = id;
  return best;
}

/**
 * The leaf set `self` should have: the L/2 next live ids clockwise and the L/2 next counter-clockwise
 * around the sorted ring (fewer than L+1 nodes: every other node). Returned sorted.
 */
export function expectedLeafSet(self: NodeId, liveIds: readonly NodeId[], leafSetSize: number): NodeId[] {
  const ring = [...new Set(liveIds)].sort();
  const at = ring.indexOf(self);
  if (at < 0) throw new Error(`${self} is not among the live ids`);
  const n = ring.length;
  const members = new Set<NodeId>();
  for (let step = 1; step <= Math.min(leafSetSize / 2, n - 1); step++) {
    members.add(ring[(at + step) % n]);
    members.add(ring[(at - step + n) % n]);
  }
  return [...members].sort();
}

function sortedLeafSet(node: PastryNode): NodeId[] {
  return [...node.leafSet.members()].sort();
}

/** Nodes whose leaf set differs from the expected one, with what they hold: empty when the ring is right. */
export function leafSetMismatches(nodes: readonly PastryNode[], leafSetSize: number): { node: NodeId; has: NodeId[]; expected: NodeId[] }[] {
  const live = nodes.map((n) => n.id);
  const wrong = [];
  for (const node of nodes) {
    const expected = expectedLeafSet(node.id, live, leafSetSize);
    const has = sortedLeafSet(node);
    if (has.join() !== expected.join()) wrong.push({ node: node.id, has, expected });
  }
  return wrong;
}

/** Polls `condition` every 50 ms; rejects with `describe()` in the message after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits (up to `timeoutMs`, then gives up quietly) until no joined peer has a connection still being
 * set up. Stopping a transport while a dial is still gathering ICE leaves a rejected promise
 * unhandled inside the transport (reported), which fails a vitest run and kills a plain Node process.
 */
export async function settled(peers: readonly RunningPeer[], timeoutMs = 5_000): Promise<void> {
  const quiet = () => peers.every((p) => p.node.state !== 'joined' || p.transport.activeSessions === p.transport.openLinks);
  await eventually(quiet, timeoutMs).catch(() => {});
}

export interface RouteCheck {
  from: NodeId;
  key: NodeId;
  expected: NodeId;
  /** The id the root replied with, or the error. */
  got: NodeId | string;
  hops?: number;
}

/**
 * Every node of `from` routes `keysPerNode` random keys; returns every answer next to the expected
 * root among `live` (by default the nodes of `from`).
 */
export async function routeRandomKeys(
  from: readonly PastryNode[],
  keysPerNode: number,
  options: { live?: readonly NodeId[]; timeoutMs?: number } = {},
): Promise<RouteCheck[]> {
  const live = options.live ?? from.map((n) => n.id);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const nodes = from;
  const checks = nodes.flatMap((node) =>
    Array.from({ length: keysPerNode }, async (): Promise<RouteCheck> => {
      const key = randomKey();
      const expected = expectedRoot(key, live);
      try {
        const reply = await node.request(key, WHOAMI_APP, null, { timeoutMs });
        const body = reply.body as WhoAmIReply;
        return { from: node.id, key, expected, got: body.id, hops: body.hops };
      } catch (error) {
        return { from: node.id, key, expected, got: `error: ${(error as Error).message}` };
      }
    }),
  );
  return Promise.all(checks);
}
