// Chat between two real Chromium tabs, routed through the overlay and over a direct link.
//
//   npm run bench -- --only im [--im-tabs 8] [--im-latency 200] [--im-throughput 2000] [--im-rounds 4] [--im-no-build]
//
// The built app (vite build) is served by the bootstrap server on localhost; every tab is its own
// browser context (its own identity) and a Pastry node over WebRTC. The ring is shaped with
// ?leafSetSize=2&bitsPerDigit=1: with the default |L| = 16 every tab of a small ring is every other
// tab's leaf and all routes take one hop. Two tabs that hold no link to each other become buddies
// (a buddy-list import on both sides) and chat through window.__dima (src/app/test-handle.ts):
//
// - latency: one message at a time, the next once the previous one's receipt is in. One way = the
//   receiver's messenger shows it (its 'message' event) minus the sender's call to send(), both read
//   from performance.timeOrigin + performance.now(), a clock every tab on one machine shares; the
//   round trip (send() to the receipt) is reported beside it as a check on that clock.
// - throughput: the sender sends as fast as its messenger takes them (each send() awaited: sealing
//   and the IndexedDB outbox write), from the first send() until the receiver showed the last;
//   every message must be shown once and in order.
//
// Routed: both tabs have direct links switched off, and the pair holds no link (checked before and
// after). Direct: switched on, measured once both sides report the direct link open. Routed runs
// first: once the pair has had a direct link, the overlay may keep it as a routing-table entry (a
// linked peer takes a slot by proximity) and routed chats would then take that one hop. Each path
// runs in --im-rounds blocks; the log shows each block's figures (other work shares the cores).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/chromium.js';
import { percentile, round } from '../src/sim/report.js';
import { startServer } from '../signaling-bootstrap/server.js';
import type { BenchContext, BenchModule } from './bench-module.js';
import { chart, markdown, PERCENTILES, type ImBenchResults, type ModeResults } from './im-report.js';
import { befriend, hopsSeen, imStats, latencyBlock, linked, openTab, SHAPE, sleep, switchTo, throughputBlock, type Mode } from './im-tabs.js';

const MODES: Mode[] = ['routed', 'direct'];

/** What the blocks of one mode gathered, summarised at the end. */
interface Tally {
  oneWay: number[];
  roundTrip: number[];
  sendCall: number[];
  afterSend: number[];
  latencyHops: Record<string, number>;
  messages: number;
  seconds: number;
  queuedSeconds: number;
  throughputHops: Record<string, number>;
  inOrderOnce: boolean;
  sentDirect: number;
  sentRouted: number;
  linkedBefore: boolean;
  linkedAfter: boolean;
}

export const bench: BenchModule = {
  name: 'im',
  async run(context) {
    const options = {
      tabs: Number(context.args.get('im-tabs') ?? 8),
      latencySamples: Number(context.args.get('im-latency') ?? 200),
      throughputMessages: Number(context.args.get('im-throughput') ?? 2_000),
      rounds: Number(context.args.get('im-rounds') ?? 4),
    };
    if (!context.args.has('im-no-build')) execFileSync('npx', ['vite', 'build'], { cwd: context.root, stdio: 'ignore', env: { ...process.env, VITE_DIMA_TEST_HANDLE: '1' } });
    const results = await measure(context, options);
    writeFileSync(join(context.resultsDir, 'im.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(context.docsDir, 'im-latency.svg'), chart(results));
    return markdown(results);
  },
};

async function measure(
  context: BenchContext,
  options: { tabs: number; latencySamples: number; throughputMessages: number; rounds: number },
): Promise<ImBenchResults> {
  const { tabs: count, rounds } = options;
  const server = await startServer({ port: 0, distDir: join(context.root, 'dist') });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const pages: Page[] = [];
    for (let i = 0; i < count; i++) {
      pages.push(await openTab(browser, server.url));
      console.log(`im bench: ${i + 1} tabs joined`);
    }
    await sleep(5_000); // leaf-set gossip and the first table maintenance
    const loadBefore = loadavg()[0];
    const ids = await Promise.all(pages.map((p) => p.evaluate(() => window.__dima!.id)));
    const links = await Promise.all(pages.map((p) => p.evaluate(() => window.__dima!.links())));

    // The pair farthest apart: no link between them, longest route probe.
    let best: { from: number; to: number; hops: number } | undefined;
    for (let from = 0; from < count; from++) {
      for (let to = 0; to < count; to++) {
        if (from === to || (await linked(pages[from], ids[to])) || (await linked(pages[to], ids[from]))) continue;
        const { hops, root } = await pages[from].evaluate((key) => window.__dima!.route(key as never), ids[to]);
        if (root === ids[to] && (!best || hops > best.hops)) best = { from, to, hops };
      }
    }
    if (!best) throw new Error('every pair of tabs holds a link: no routed path to measure (try more tabs)');
    const [sender, receiver] = [pages[best.from], pages[best.to]];
    const [senderId, receiverId] = [ids[best.from], ids[best.to]];
    console.log(`im bench: pair ${senderId.slice(0, 8)} -> ${receiverId.slice(0, 8)}, route probe ${best.hops} hops`);
    await befriend(sender, receiver);

    const tallies = new Map<Mode, Tally>(MODES.map((mode) => [mode, emptyTally()]));
    for (const mode of MODES) {
      for (let round = 0; round < rounds; round++) {
        const tally = tallies.get(mode)!;
        await switchTo(mode, sender, receiver, senderId, receiverId);
        tally.linkedBefore ||= await linked(sender, receiverId);
        const [sentBefore, hopsBefore] = [await imStats(sender), await hopsSeen(receiver)];
        const latency = await latencyBlock(sender, receiver, receiverId, `${mode}-latency-${round}`, Math.round(options.latencySamples / rounds));
        tally.oneWay.push(...latency.oneWay);
        tally.roundTrip.push(...latency.roundTrip);
        tally.sendCall.push(...latency.sendCall);
        tally.afterSend.push(...latency.afterSend);
        const hopsBetween = await hopsSeen(receiver);
        addDifference(tally.latencyHops, hopsBefore, hopsBetween);
        const burst = await throughputBlock(sender, receiver, receiverId, `${mode}-burst-${round}`, Math.round(options.throughputMessages / rounds));
        tally.messages += burst.messages;
        tally.seconds += burst.seconds;
        tally.queuedSeconds += burst.queuedSeconds;
        tally.inOrderOnce &&= burst.inOrderOnce;
        addDifference(tally.throughputHops, hopsBetween, await hopsSeen(receiver));
        const sentAfter = await imStats(sender);
        tally.sentDirect += (sentAfter['im.chat sent direct'] ?? 0) - (sentBefore['im.chat sent direct'] ?? 0);
        tally.sentRouted += (sentAfter['im.chat routed'] ?? 0) - (sentBefore['im.chat routed'] ?? 0);
        tally.linkedAfter ||= await linked(sender, receiverId);
        console.log(`im bench: round ${round + 1}/${rounds} ${mode}: one way p50 ${round2(percentile(sorted(latency.oneWay), 50))} ms, ${Math.round(burst.messages / burst.seconds)} msg/s`);
      }
    }
    return {
      commit: context.stamp.commit,
      dirty: context.stamp.dirty,
      date: context.date,
      cores: cpus().length,
      chromium: browser.version(),
      tabs: count,
      shape: SHAPE,
      rounds,
      loadAverage: { before: round2(loadBefore), after: round2(loadavg()[0]) },
      linksPerTab: { mean: round(links.reduce((a, b) => a + b, 0) / count, 1), max: Math.max(...links) },
      probeHops: best.hops,
      modes: MODES.map((mode) => summarise(mode, tallies.get(mode)!)),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

function emptyTally(): Tally {
  return {
    oneWay: [], roundTrip: [], sendCall: [], afterSend: [], latencyHops: {},
    messages: 0, seconds: 0, queuedSeconds: 0, throughputHops: {}, inOrderOnce: true,
    sentDirect: 0, sentRouted: 0, linkedBefore: false, linkedAfter: false,
  };
}

function summarise(mode: Mode, t: Tally): ModeResults {
  const oneWay = sorted(t.oneWay);
  const roundTrip = sorted(t.roundTrip);
  const sendCall = sorted(t.sendCall);
  const afterSend = sorted(t.afterSend);
  return {
    mode,
    sentDirect: t.sentDirect,
    sentRouted: t.sentRouted,
    linkedBefore: t.linkedBefore,
    linkedAfter: t.linkedAfter,
    latency: {
      samples: oneWay.length,
      hops: t.latencyHops,
      oneWayMs: { p50: round2(percentile(oneWay, 50)), p99: round2(percentile(oneWay, 99)), mean: round2(oneWay.reduce((a, b) => a + b, 0) / oneWay.length), max: round2(oneWay.at(-1) ?? NaN) },
      roundTripMs: { p50: round2(percentile(roundTrip, 50)), p99: round2(percentile(roundTrip, 99)) },
      sendCallMs: { p50: round2(percentile(sendCall, 50)), p99: round2(percentile(sendCall, 99)) },
      afterSendMs: { p50: round2(percentile(afterSend, 50)), p99: round2(percentile(afterSend, 99)) },
      curve: PERCENTILES.map((p) => [p, round2(percentile(oneWay, p))]),
    },
    throughput: {
      messages: t.messages,
      hops: t.throughputHops,
      seconds: round2(t.seconds),
      messagesPerSecond: Math.round(t.messages / t.seconds),
      queuedPerSecond: Math.round(t.messages / t.queuedSeconds),
      inOrderOnce: t.inOrderOnce,
    },
  };
}

function addDifference(into: Record<string, number>, before: Record<string, number>, after: Record<string, number>): void {
  for (const [hops, n] of Object.entries(after)) {
    const added = n - (before[hops] ?? 0);
    if (added > 0) into[hops] = (into[hops] ?? 0) + added;
  }
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const round2 = (value: number) => round(value, 2);
