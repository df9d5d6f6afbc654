// One Chromium tab in a ring of headless Node peers (@roamhq/wrtc) that churn hard: every few seconds
// a peer leaves (gracefully or silently, in turn) or a new one joins, around CHURN_SHAPE.peers. Issue
// 12: Chromium refuses a page's 501st RTCPeerConnection that is not yet garbage collected, so a tab
// that constructs one per link, churn after churn, eventually can never open a link again. The
// scenario measures what the tab constructs and holds, and whether it keeps routing correctly.
//
// Shared by tests/e2e/tab-churn.spec.ts (pass/fail, 3 minutes) and bench/tab-churn.bench.ts (figures,
// 10 minutes): one scenario, two uses. Node-side only; the tab is driven through window.__dima.

import { bytesToHex } from '@noble/hashes/utils.js';
import type { Page } from '@playwright/test';
import type { PeerConnectionCounts } from '../../src/overlay/environment.js';
import type { NodeId } from '../../src/overlay/id.js';
import { Probe } from '../../src/app/probe.js';
import { SeededRandom } from '../../src/sim/seeded-random.js';
import type { RunningPeer } from '../../signaling-bootstrap/peer.js';
import { expectedRoot, settled, startRingPeer } from '../integration/webrtc-ring.js';

/** How long the churn runs; DIMA_CHURN_MS overrides it (the bench runs 10 minutes). */
export const CHURN_MS = Number(process.env.DIMA_CHURN_MS ?? 180_000);

export const CHURN_SHAPE = {
  /** Node peers kept alive around the tab (one fewer right after a leave). */
  peers: 8,
  /**
   * Small, so that the tab's leaf set is a part of the ring and routes cross other nodes; every
   * peer and the tab use it (?leafSetSize=).
   */
  leafSetSize: 4,
  /** A leave or a join this often: a node's whole leaf set turns over within a minute. */
  eventEveryMs: 4_000,
  /** One routed probe from the tab this often, one at a time. */
  routeEveryMs: 1_000,
  /** The tab's counters are sampled this often for the timeline. */
  sampleEveryMs: 10_000,
  /** Seeds which peer leaves and the keys routed, so two runs churn alike (node ids stay random). */
  seed: Number(process.env.DIMA_CHURN_SEED ?? 12),
} as const;

export interface CountsSample extends PeerConnectionCounts {
  /** Ms since the churn started. */
  atMs: number;
  links: number;
  livePeers: number;
}

export interface RouteOutcome {
  key: NodeId;
  /** The root the tab's probe reached, or the error. */
  got: NodeId | string;
  /** Expected roots from the live ids when the probe was sent and when it came back. */
  expected: NodeId[];
  correct: boolean;
  ms: number;
}

export interface ChurnResult {
  durationMs: number;
  tabId: NodeId;
  tabJoinMs: number;
  /** The tab's counters right after it joined, and at the end. */
  afterJoin: PeerConnectionCounts;
  atEnd: PeerConnectionCounts;
  timeline: CountsSample[];
  events: { joins: number; gracefulLeaves: number; silentStops: number; failedJoins: number };
  routes: { sent: number; correct: number; errors: number; misses: RouteOutcome[] };
  /** Console messages and page errors of the tab that mention a peer connection. */
  peerConnectionErrors: string[];
}

/**
 * Runs the scenario on `page` (a fresh context, app not yet loaded) against the introducer at
 * `bootstrapUrl`; stops every peer it started before returning.
 */
export async function runTabChurn(page: Page, bootstrapUrl: string, durationMs = CHURN_MS, log: (line: string) => void = () => {}): Promise<ChurnResult> {
  const { peers: target, leafSetSize, eventEveryMs, routeEveryMs, sampleEveryMs } = CHURN_SHAPE;
  const random = new SeededRandom(CHURN_SHAPE.seed);
  const config = { leafSetSize };
  const live = new Map<NodeId, RunningPeer>();
  const stopping: Promise<void>[] = [];
  const peerConnectionErrors: string[] = [];
  const mentionsPeerConnection = (text: string) => /peer ?connection/i.test(text);
  page.on('console', (message) => {
    if (message.type() === 'error' && mentionsPeerConnection(message.text())) peerConnectionErrors.push(message.text());
  });
  page.on('pageerror', (error) => {
    if (mentionsPeerConnection(`${error.message} ${error.stack ?? ''}`)) peerConnectionErrors.push(error.message);
  });

  // The tab's probe (window.__dima.route) is an overlay application: the root must run it too.
  const startProbedPeer = async () => {
    const peer = await startRingPeer(bootstrapUrl, { config });
    new Probe((name, app) => peer.node.register(name, app));
    return peer;
  };

  try {
    for (let i = 0; i < target; i++) {
      const peer = await startProbedPeer();
      live.set(peer.node.id, peer);
    }
    log(`${target} Node peers joined`);

    const joinStart = Date.now();
    await page.goto(`/?leafSetSize=${leafSetSize}`);
    await page.waitForFunction(() => window.__dima?.state === 'joined', undefined, { timeout: 45_000, polling: 100 });
    const tabJoinMs = Date.now() - joinStart;
    const tabId = (await page.evaluate(() => window.__dima!.id)) as NodeId;
    const counts = () => page.evaluate(() => window.__dima!.peerConnections());
    const afterJoin = await counts();
    log(`tab ${tabId.slice(0, 8)} joined in ${tabJoinMs} ms: ${JSON.stringify(afterJoin)}`);

    const started = Date.now();
    const deadline = started + durationMs;
    const liveIds = () => [tabId, ...live.keys()];
    const events = { joins: 0, gracefulLeaves: 0, silentStops: 0, failedJoins: 0 };
    const routes = { sent: 0, correct: 0, errors: 0, misses: [] as RouteOutcome[] };
    const timeline: CountsSample[] = [];

    const sample = async () => {
      const [c, links] = await Promise.all([counts(), page.evaluate(() => window.__dima!.links())]);
      timeline.push({ atMs: Date.now() - started, ...c, links, livePeers: live.size });
    };

    const churn = async () => {
      let leaves = 0;
      while (Date.now() + eventEveryMs < deadline) {
        await sleep(eventEveryMs);
        if (live.size >= target) {
          const ids = [...live.keys()];
          const id = ids[random.int(ids.length)];
          const peer = live.get(id)!;
          live.delete(id);
          const graceful = leaves++ % 2 === 0;
          // A transport stopped while a dial is still gathering ICE leaves a rejection unhandled
          // (webrtc-ring.ts settled): give its dials a moment to finish first.
          stopping.push(settled([peer], 2_000).then(() => (graceful ? peer.leave() : peer.crash())));
          if (graceful) events.gracefulLeaves++;
          else events.silentStops++;
        } else {
          try {
            const peer = await startProbedPeer();
            live.set(peer.node.id, peer);
            events.joins++;
          } catch (error) {
            events.failedJoins++;
            log(`a peer failed to join: ${(error as Error).message}`);
          }
        }
      }
    };

    const route = async () => {
      while (Date.now() < deadline) {
        const next = Date.now() + routeEveryMs;
        const key = bytesToHex(random.bytes(16)) as NodeId;
        const before = expectedRoot(key, liveIds());
        const t0 = Date.now();
        const got = await page
          .evaluate((k) => window.__dima!.route(k as never).then((r) => r.root as string), key)
          .catch((error: Error) => `error: ${error.message.split('\n')[0]}`);
        const after = expectedRoot(key, liveIds());
        // Membership may change while a probe is on its way: either the ring it left or the ring
        // it came back to is a right answer.
        const outcome: RouteOutcome = { key, got: got as NodeId, expected: [...new Set([before, after])], correct: got === before || got === after, ms: Date.now() - t0 };
        routes.sent++;
        if (outcome.correct) routes.correct++;
        else routes.misses.push(outcome);
        if (got.startsWith('error')) routes.errors++;
        await sleep(Math.max(0, next - Date.now()));
      }
    };

    const sampler = async () => {
      await sample();
      while (Date.now() + sampleEveryMs < deadline) {
        await sleep(sampleEveryMs);
        await sample();
        const last = timeline[timeline.length - 1];
        log(`${Math.round(last.atMs / 1000)} s: constructed ${last.constructed}, held ${last.held}, links ${last.links}, peers ${last.livePeers}, routes ${routes.correct}/${routes.sent}`);
      }
    };

    await Promise.all([churn(), route(), sampler()]);
    await sample();
    const atEnd = await counts();
    return { durationMs: Date.now() - started, tabId, tabJoinMs, afterJoin, atEnd, timeline, events, routes, peerConnectionErrors };
  } finally {
    await Promise.allSettled(stopping);
    const rest = [...live.values()];
    await settled(rest, 2_000);
    await Promise.allSettled(rest.map((peer) => peer.crash()));
  }
}

/** Constructions per minute of churn (after the join), from the first and last samples. */
export function constructedPerMinute(result: ChurnResult): number {
  const minutes = result.durationMs / 60_000;
  return (result.atEnd.constructed - result.afterJoin.constructed) / Math.max(minutes, 1e-9);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
