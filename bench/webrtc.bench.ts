// Overlay figures over real WebRTC: N headless Node peers (@roamhq/wrtc), each a real PastryNode with
// the default configuration, joining one after another through a real bootstrap server on localhost.
//
//   npm run bench -- --only webrtc [--webrtc-nodes 16] [--webrtc-samples 100]
//
// Measured: time from start to joined per peer; introductions per join (from the server's
// /bootstrap/stats: exactly one is the design); overlay frames per join; links per peer; routed
// lookups (correct root, hops, round trip); and per-hop latency, from requests relayed along chains
// of k distinct nodes (k = 1..8) and answered back along the same path: 2k link traversals, so the
// slope of round trip over k, halved, is the one-way cost of one overlay hop. All peers share one
// process and the machine's cores, so absolute times include that contention.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeId } from '../src/overlay/id.js';
import type { PastryNode } from '../src/overlay/pastry-node.js';
import { percentile, round } from '../src/sim/report.js';
import { startServer } from '../signaling-bootstrap/server.js';
import type { RunningPeer } from '../signaling-bootstrap/peer.js';
import { eventually, leafSetMismatches, routeRandomKeys, settled, startRingPeer } from '../tests/integration/webrtc-ring.js';
import { machineLabel, machineStamp, stampLabel, type BenchContext, type BenchModule, type MachineStamp } from './bench-module.js';

const CHAIN_APP = 'bench.chain';
const MAX_CHAIN = 8;
/** Frames sent by every node from a join's start until this long after it is joined count for that join. */
const JOIN_SETTLE_MS = 500;
const IDLE_WINDOW_MS = 5_000;
/** How long the leaf sets may take to become exact after the last join before the bench gives up waiting. */
const LEAF_SETS_EXACT_CAP_MS = 30_000;

interface Distribution {
  mean: number;
  p50: number;
  p90: number;
  max: number;
}

interface WebRtcResults {
  nodes: number;
  commit: string;
  /** The work tree differed from `commit` when the run started (see bench-module.ts). */
  dirty: boolean;
  date: string;
  /** Cores, CPU model and load around the run (absent in results from before the stamp). */
  machine?: MachineStamp;
  leafSetSize: number;
  joinMs: Distribution;
  /** From the last peer joined until every leaf set was exact; null: not within LEAF_SETS_EXACT_CAP_MS. */
  leafSetsExactMs: number | null;
  framesPerJoin: Distribution;
  idleFramesPerNodePerSecond: number;
  linksPerPeer: { mean: number; max: number };
  bootstrap: { joins: number; introductions: number; introductionsPerJoin: number; firstNodeGrants: number; failedIntroductions: number };
  lookups: { count: number; correct: number; hops: Distribution; rttMs: Distribution };
  chains: { hops: number; samples: number; rttMs: Distribution }[];
  /** Least-squares slope of median round trip over k, halved: one-way ms per overlay hop. */
  perHopMs: number;
}

export const bench: BenchModule = {
  name: 'webrtc',
  async run(context) {
    const nodes = Number(context.args.get('webrtc-nodes') ?? 16);
    const samples = Number(context.args.get('webrtc-samples') ?? 100);
    const results = await measure(context, nodes, samples);
    writeFileSync(join(context.resultsDir, 'webrtc.json'), JSON.stringify(results, null, 2) + '\n');
    return markdown(results);
  },
};

async function measure(context: BenchContext, n: number, samples: number): Promise<WebRtcResults> {
  const server = await startServer({ port: 0, distDir: null });
  const peers: RunningPeer[] = [];
  const nodes = () => peers.map((p) => p.node);
  const framesSent = () => nodes().reduce((sum, node) => sum + node.stats.framesSent, 0);
  try {
    const joinMs: number[] = [];
    const framesPerJoin: number[] = [];
    let leafSetsExact: Promise<number | null> = Promise.resolve(null);
    for (let i = 0; i < n; i++) {
      const framesBefore = framesSent();
      const t0 = performance.now();
      const peer = await startRingPeer(server.bootstrapUrl);
      joinMs.push(performance.now() - t0);
      peers.push(peer);
      // Timed from the moment the last peer is joined, alongside the settle below: starting after it
      // would miss leaf sets that became exact within JOIN_SETTLE_MS and read ~0.
      if (i === n - 1) leafSetsExact = msUntil(() => leafSetMismatches(nodes(), peer.node.config.leafSetSize).length === 0, LEAF_SETS_EXACT_CAP_MS);
      registerChain(peer.node);
      await eventually(() => server.stats.volunteers === i + 1, 10_000);
      await sleep(JOIN_SETTLE_MS);
      if (i > 0) framesPerJoin.push(framesSent() - framesBefore);
      console.log(`  peer ${i + 1}/${n} joined in ${joinMs[i].toFixed(0)} ms, ${peer.node.links.size} links`);
    }
    const leafSetsExactMs = await leafSetsExact;

    const idleBefore = framesSent();
    await sleep(IDLE_WINDOW_MS);
    const idleFramesPerNodePerSecond = (framesSent() - idleBefore) / n / (IDLE_WINDOW_MS / 1000);

    // One lookup at a time, so a round trip is never queued behind another one.
    const lookupRtts: number[] = [];
    const lookups = [];
    const live = nodes().map((node) => node.id);
    for (const node of nodes()) {
      for (let s = 0; s < Math.ceil(samples / 10); s++) {
        const t = performance.now();
        lookups.push(...(await routeRandomKeys([node], 1, { live })));
        lookupRtts.push(performance.now() - t);
      }
    }

    const chains = [];
    for (let k = 1; k <= Math.min(MAX_CHAIN, n - 1); k++) {
      const rtts: number[] = [];
      for (let s = 0; s < samples; s++) rtts.push(await chainRoundTrip(nodes(), k));
      chains.push({ hops: k, samples, rttMs: distribution(rtts) });
    }

    const stats = (await (await fetch(new URL('bootstrap/stats', server.url))).json()) as typeof server.stats;
    const links = peers.map((p) => p.node.links.size);
    return {
      nodes: n,
      commit: context.stamp.commit,
      dirty: context.stamp.dirty,
      date: context.date,
      machine: machineStamp(context),
      leafSetSize: peers[0].node.config.leafSetSize,
      joinMs: distribution(joinMs),
      leafSetsExactMs: leafSetsExactMs === null ? null : round(leafSetsExactMs, 0),
      framesPerJoin: distribution(framesPerJoin),
      idleFramesPerNodePerSecond: round(idleFramesPerNodePerSecond, 2),
      linksPerPeer: { mean: round(links.reduce((a, b) => a + b, 0) / n, 2), max: Math.max(...links) },
      bootstrap: {
        joins: stats.joins,
        introductions: stats.introductions,
        introductionsPerJoin: round(stats.introductions / Math.max(1, stats.joins - stats.firstNodeGrants), 3),
        firstNodeGrants: stats.firstNodeGrants,
        failedIntroductions: stats.failedIntroductions,
      },
      lookups: {
        count: lookups.length,
        correct: lookups.filter((c) => c.got === c.expected).length,
        hops: distribution(lookups.map((c) => c.hops ?? NaN).filter(Number.isFinite)),
        rttMs: distribution(lookupRtts),
      },
      chains,
      perHopMs: round(slope(chains.map((c) => [c.hops, c.rttMs.p50])) / 2, 3),
    };
  } finally {
    await settled(peers);
    await Promise.all(peers.map((p) => p.crash()));
    await server.close();
  }
}

/** Relays a request along `body.path` (one overlay hop each, over direct links), the last node replies. */
function registerChain(node: PastryNode): void {
  node.register(CHAIN_APP, {
    deliver: (msg) => {
      const path = (msg.body as { path: NodeId[] }).path;
      if (path.length === 0) msg.reply?.({ hops: msg.hops });
      else msg.relay?.(path[0], { path: path.slice(1) });
    },
  });
}

/** Round trip of a request from a random node through k distinct other nodes and back. */
async function chainRoundTrip(nodes: PastryNode[], k: number): Promise<number> {
  const shuffled = [...nodes].sort(() => Math.random() - 0.5);
  const [origin, ...rest] = shuffled;
  const path = rest.slice(0, k).map((node) => node.id);
  const t = performance.now();
  // The first hop is routed to the first node's own id: with a link to it, that is one hop.
  const reply = await origin.request(path[0], CHAIN_APP, { path: path.slice(1) }, { timeoutMs: 5_000 });
  const rtt = performance.now() - t;
  const hops = (reply.body as { hops: number }).hops;
  if (hops !== k) throw new Error(`chain of ${k} took ${hops} hops`);
  return rtt;
}

function distribution(values: number[]): Distribution {
  if (values.length === 0) return { mean: NaN, p50: NaN, p90: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length, 2),
    p50: round(percentile(sorted, 50), 2),
    p90: round(percentile(sorted, 90), 2),
    max: round(sorted[sorted.length - 1], 2),
  };
}

function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

/** Polls `condition` every 5 ms: the ms until it first held, or null once `capMs` passed without. */
async function msUntil(condition: () => boolean, capMs: number): Promise<number | null> {
  const start = performance.now();
  for (;;) {
    if (condition()) return performance.now() - start;
    if (performance.now() - start > capMs) return null;
    await sleep(5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function markdown(r: WebRtcResults): string {
  const ms = (d: Distribution) => `${d.p50.toFixed(1)} / ${d.p90.toFixed(1)}`;
  const lines = [
    `## WebRTC: ${r.nodes} Node peers over real data channels (@roamhq/wrtc), L = ${r.leafSetSize}`,
    '',
    `Real PastryNodes with the default configuration on one host (one process; ${r.machine ? machineLabel(r.machine) : 'machine not recorded'}), joining one after another ` +
      `through the bootstrap server on localhost. Commit ${stampLabel(r)}, ${r.date.slice(0, 10)}. ` +
      `Frames per join: every node's overlay frames from the join's start until ${JOIN_SETTLE_MS} ms after it is joined ` +
      `(idle keep-alive traffic is ${r.idleFramesPerNodePerSecond} frames/s per node). Per-hop latency: requests relayed ` +
      `along chains of k distinct nodes and answered back (2k link traversals); slope of median round trip over k, halved.`,
    '',
    '| figure | value |',
    '|---|---:|',
    `| join time, start to joined, median / p90 (ms) | ${ms(r.joinMs)} |`,
    `| leaf sets exact after the last peer joined (ms, polled every 5 ms) | ${r.leafSetsExactMs ?? `not within ${LEAF_SETS_EXACT_CAP_MS / 1000} s`} |`,
    `| introductions per join (bootstrap /bootstrap/stats) | ${r.bootstrap.introductionsPerJoin} (${r.bootstrap.introductions} for ${r.bootstrap.joins} joins, ${r.bootstrap.firstNodeGrants} first node, ${r.bootstrap.failedIntroductions} failed) |`,
    `| overlay frames per join, median / p90 / max | ${r.framesPerJoin.p50} / ${r.framesPerJoin.p90} / ${r.framesPerJoin.max} |`,
    `| links per peer, mean / max | ${r.linksPerPeer.mean} / ${r.linksPerPeer.max} |`,
    `| routed lookups at the closest node | ${r.lookups.correct} / ${r.lookups.count} |`,
    `| lookup hops, mean / max | ${r.lookups.hops.mean} / ${r.lookups.hops.max} |`,
    `| lookup round trip, median / p90 (ms) | ${ms(r.lookups.rttMs)} |`,
    `| one overlay hop, one way (ms) | ${r.perHopMs} |`,
    '',
    '| chain hops k | round trip median / p90 (ms) | per hop one way, median RTT / 2k (ms) |',
    '|---:|---:|---:|',
    ...r.chains.map((c) => `| ${c.hops} | ${ms(c.rttMs)} | ${(c.rttMs.p50 / (2 * c.hops)).toFixed(2)} |`),
  ];
  return lines.join('\n');
}
