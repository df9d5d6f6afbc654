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
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/chromium.js';
import { percentile, round } from '../src/sim/report.js';
import { lineChartSvg } from '../src/sim/svg.js';
import { startServer } from '../signaling-bootstrap/server.js';
import { stampLabel, type BenchContext, type BenchModule } from './bench-module.js';

const SHAPE = '?leafSetSize=2&bitsPerDigit=1';
const PERCENTILES = [10, 25, 50, 75, 90, 95, 99];

type Mode = 'routed' | 'direct';
const MODES: Mode[] = ['routed', 'direct'];

interface Latency {
  samples: number;
  /** Chats the receiver got in the latency blocks, by overlay hops (its messenger's counters). */
  hops: Record<string, number>;
  oneWayMs: { p50: number; p99: number; mean: number; max: number };
  roundTripMs: { p50: number; p99: number };
  /** From send() to its promise resolving (sealed, history and outbox written): the part before the message leaves. */
  sendCallMs: { p50: number; p99: number };
  /** From send() resolving to shown: the path and the receiver's work (verify, store), without the sender's. */
  afterSendMs: { p50: number; p99: number };
  /** One-way latency at each of PERCENTILES (the chart). */
  curve: [number, number][];
}

interface Throughput {
  messages: number;
  hops: Record<string, number>;
  /** Summed over the blocks, first send() to last shown in each. */
  seconds: number;
  messagesPerSecond: number;
  /** How fast the sender's messenger took them (send() resolved: sealed and in the outbox). */
  queuedPerSecond: number;
  /** Every message of every block shown exactly once and in order at the receiver. */
  inOrderOnce: boolean;
}

interface ModeResults {
  mode: Mode;
  /** Chats the sender sent over the direct link / routed (resends included). */
  sentDirect: number;
  sentRouted: number;
  /** The pair held a link to each other before / after any block of this mode (routed mode wants false). */
  linkedBefore: boolean;
  linkedAfter: boolean;
  latency: Latency;
  throughput: Throughput;
}

interface ImBenchResults {
  commit: string;
  /** The work tree differed from `commit` when the run started (see bench-module.ts). */
  dirty: boolean;
  date: string;
  chromium: string;
  tabs: number;
  shape: string;
  /** Each mode ran in this many blocks, routed first (see the log for each block's figures). */
  rounds: number;
  /** The machine's 1-minute load average when the tabs were up and when the runs were done (other work shares the cores). */
  loadAverage: { before: number; after: number };
  linksPerTab: { mean: number; max: number };
  /** Hops of the overlay's own route probe from sender to receiver before the chat. */
  probeHops: number;
  modes: ModeResults[];
}

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
    if (!context.args.has('im-no-build')) execFileSync('npx', ['vite', 'build'], { cwd: context.root, stdio: 'ignore' });
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

/**
 * Routed: direct links off on both sides, and the pair's old link closed (the overlay closes a link
 * both let go after 10 s without traffic). Direct: on, and chatting until both report the link open.
 */
async function switchTo(mode: Mode, sender: Page, receiver: Page, senderId: string, receiverId: string): Promise<void> {
  for (const page of [sender, receiver]) await page.evaluate((on) => window.__dima!.useDirectLinks(on), mode === 'direct');
  if (mode === 'direct') return warmUpDirect(sender, receiver, senderId, receiverId);
  const deadline = Date.now() + 30_000;
  while ((await linked(sender, receiverId)) && Date.now() < deadline) await sleep(500);
}

async function openTab(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto(`/${SHAPE}`);
  await page.waitForFunction(() => window.__dima?.state === 'joined', undefined, { timeout: 60_000, polling: 100 });
  return page;
}

const linked = (page: Page, peer: string) => page.evaluate((p) => window.__dima!.linkedTo(p as never), peer);
const imStats = (page: Page) => page.evaluate(() => window.__dima!.imStats());
/** Chats the receiver got so far, by overlay hops (its messenger's counters). */
async function hopsSeen(receiver: Page): Promise<Record<string, number>> {
  const hops: Record<string, number> = {};
  for (const [key, n] of Object.entries(await imStats(receiver))) {
    const match = /^im\.chat received over (\d+) hops$/.exec(key);
    if (match) hops[match[1]] = n;
  }
  return hops;
}

function addDifference(into: Record<string, number>, before: Record<string, number>, after: Record<string, number>): void {
  for (const [hops, n] of Object.entries(after)) {
    const added = n - (before[hops] ?? 0);
    if (added > 0) into[hops] = (into[hops] ?? 0) + added;
  }
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const round2 = (value: number) => round(value, 2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each imports the other as an accepted buddy (Settings > Import), as two users who swapped lists. */
async function befriend(a: Page, b: Page): Promise<void> {
  const card = (page: Page, name: string) =>
    page.evaluate((n) => ({ uid: window.__dima!.id, publicKey: window.__dima!.publicKey, name: n, status: 'accepted', lastNoticeAt: 0, addedAt: 0 }), name);
  const file = (record: unknown) => JSON.stringify({ format: 'dima-buddies', version: 1, buddies: [record] });
  const [cardA, cardB] = [await card(a, 'bench sender'), await card(b, 'bench receiver')];
  await a.evaluate((json) => window.__dima!.importBuddies(json), file(cardB));
  await b.evaluate((json) => window.__dima!.importBuddies(json), file(cardA));
}

/** Direct links open once a chat is active: a few messages each way until both report it. */
async function warmUpDirect(sender: Page, receiver: Page, senderId: string, receiverId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let i = 0; ; i++) {
    await sender.evaluate(([peer, n]) => window.__dima!.send(peer as never, `warm-up ${n}`), [receiverId, i] as const);
    await receiver.evaluate(([peer, n]) => window.__dima!.send(peer as never, `warm-up back ${n}`), [senderId, i] as const);
    await sleep(500);
    const open = (await sender.evaluate(() => window.__dima!.directLinks())).includes(receiverId as never) &&
      (await receiver.evaluate(() => window.__dima!.directLinks())).includes(senderId as never);
    if (open) return;
    if (Date.now() > deadline) throw new Error('the direct link did not open within 30 s');
  }
}

/** Sends `texts` one after another from inside the sender's page; `paced`: each waits for the previous receipt. */
function sendAll(sender: Page, receiverId: string, texts: string[], paced: boolean) {
  return sender.evaluate(
    async ({ peer, texts, paced }) => {
      // No named functions in here: tsx would wrap them in a helper the page does not have.
      const d = window.__dima!;
      const sent: { text: string; seq: number; at: number; queuedAt: number }[] = [];
      for (const text of texts) {
        const at = d.now();
        const seq = await d.send(peer as never, text);
        sent.push({ text, seq, at, queuedAt: d.now() });
        const deadline = performance.now() + 30_000;
        while (paced && (d.chatLog().receipts.findLast((r) => r.to === peer)?.seq ?? 0) < seq && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      return sent;
    },
    { peer: receiverId, texts, paced },
  );
}

/** Waits until the receiver has shown every text (or 120 s); returns what it showed of this run, in order. */
async function shownAt(receiver: Page, prefix: string, expected: number): Promise<{ text: string; at: number }[]> {
  const read = () => receiver.evaluate((p) => window.__dima!.chatLog().shown.filter((m) => m.text.startsWith(p)).map(({ text, at }) => ({ text, at })), `${prefix} `);
  const deadline = Date.now() + 120_000;
  let shown = await read();
  while (shown.length < expected && Date.now() < deadline) {
    await sleep(200);
    shown = await read();
  }
  return shown;
}

/** `samples` messages one at a time, each after the previous receipt: raw one-way, round-trip and send() times. */
async function latencyBlock(sender: Page, receiver: Page, receiverId: string, prefix: string, samples: number) {
  const texts = Array.from({ length: samples }, (_, i) => `${prefix} ${i}`);
  const sent = await sendAll(sender, receiverId, texts, true);
  const shown = new Map((await shownAt(receiver, prefix, samples)).map((m) => [m.text, m.at]));
  const receipts = await sender.evaluate((peer) => window.__dima!.chatLog().receipts.filter((r) => r.to === peer), receiverId);
  const block = { oneWay: [] as number[], roundTrip: [] as number[], sendCall: sent.map((m) => m.queuedAt - m.at), afterSend: [] as number[] };
  for (const { text, seq, at, queuedAt } of sent) {
    const arrived = shown.get(text);
    if (arrived !== undefined) {
      block.oneWay.push(arrived - at);
      block.afterSend.push(arrived - queuedAt);
    }
    const receipt = receipts.find((r) => r.seq >= seq && r.at >= at);
    if (receipt) block.roundTrip.push(receipt.at - at);
  }
  return block;
}

/** `messages` sent back to back; timed from the first send() to the last shown, and until the last send() resolved. */
async function throughputBlock(sender: Page, receiver: Page, receiverId: string, prefix: string, messages: number) {
  const texts = Array.from({ length: messages }, (_, i) => `${prefix} ${i}`);
  const sent = await sendAll(sender, receiverId, texts, false);
  const shown = await shownAt(receiver, prefix, messages);
  // Let the receipts drain the outbox before the next block.
  await sender.waitForFunction(
    ([peer, seq]) => (window.__dima!.chatLog().receipts.findLast((r) => r.to === peer)?.seq ?? 0) >= seq,
    [receiverId, sent.at(-1)!.seq] as const,
    { timeout: 60_000, polling: 200 },
  );
  return {
    messages,
    seconds: ((shown.at(-1)?.at ?? NaN) - sent[0].at) / 1000,
    queuedSeconds: (sent.at(-1)!.queuedAt - sent[0].at) / 1000,
    inOrderOnce: JSON.stringify(shown.map((m) => m.text)) === JSON.stringify(texts),
  };
}

function chart(r: ImBenchResults): string {
  return lineChartSvg({
    title: `Chat one-way latency, ${r.tabs} Chromium tabs (${r.modes.map((m) => m.mode).join(' vs ')})`,
    xLabel: 'percentile',
    yLabel: 'send() to shown (ms)',
    series: r.modes.map((m) => {
      const hops = Object.keys(m.latency.hops);
      return { name: `${m.mode} (${hops.join('/')} hop${hops.join() === '1' ? '' : 's'})`, points: m.latency.curve };
    }),
  });
}

function markdown(r: ImBenchResults): string {
  const hops = (histogram: Record<string, number>) => Object.entries(histogram).map(([h, n]) => `${h}: ${n}`).join(', ');
  const lines = [
    `## IM: chat between two Chromium tabs, routed vs direct link`,
    '',
    `${r.tabs} tabs of Debian's Chromium ${r.chromium} (one browser context each, one machine, 2 cores), the built app ` +
      `from the bootstrap server on localhost, overlay shaped ${r.shape} so that the two chatting tabs hold no link ` +
      `and their route crosses other tabs (links per tab ${r.linksPerTab.mean} mean / ${r.linksPerTab.max} max; ` +
      `the route probe took ${r.probeHops} hops). Commit ${stampLabel(r)}, ${r.date.slice(0, 10)}; load average ` +
      `${r.loadAverage.before} before / ${r.loadAverage.after} after the runs. ` +
      `One way: receiver's messenger shows the message minus the sender's send() call, on the tabs' shared clock ` +
      `(performance.timeOrigin + performance.now()); messages one at a time, each after the previous receipt. ` +
      `Routed ran first, then direct, each in ${r.rounds} blocks. ` +
      `Throughput: send() awaited back to back (sealing + IndexedDB outbox), first send() to last shown. ` +
      `Data: bench/results/im.json; chart: docs/bench/im-latency.svg.`,
    '',
    '| path | latency run: chats by hops | one way p50 / p99 (ms) | send() call p50 / p99 (ms) | send() resolved to shown p50 / p99 (ms) | round trip p50 / p99 (ms) | throughput run: chats by hops | messages/s (n) | sender queued/s | shown once, in order | pair linked before / after |',
    '|---|---|---:|---:|---:|---:|---|---:|---:|---|---|',
    ...r.modes.map(
      (m) =>
        `| ${m.mode} | ${hops(m.latency.hops)} | ${m.latency.oneWayMs.p50} / ${m.latency.oneWayMs.p99} | ${m.latency.sendCallMs.p50} / ${m.latency.sendCallMs.p99} | ${m.latency.afterSendMs.p50} / ${m.latency.afterSendMs.p99} | ${m.latency.roundTripMs.p50} / ${m.latency.roundTripMs.p99} | ${hops(m.throughput.hops)} | ` +
        `${m.throughput.messagesPerSecond} (${m.throughput.messages}) | ${m.throughput.queuedPerSecond} | ${m.throughput.inOrderOnce ? 'yes' : 'NO'} | ${m.linkedBefore ? 'yes' : 'no'} / ${m.linkedAfter ? 'yes' : 'no'} |`,
    ),
  ];
  const [routed, direct] = ['routed', 'direct'].map((mode) => r.modes.find((m) => m.mode === mode));
  if (routed && direct) {
    const change = (routedMs: number, directMs: number) => {
      const d = round(routedMs - directMs, 1);
      return `${Math.abs(d)} ms ${d >= 0 ? 'lower' : 'higher'}`;
    };
    const [o, a] = [(m: ModeResults) => m.latency.oneWayMs, (m: ModeResults) => m.latency.afterSendMs];
    lines.push(
      '',
      `Over the direct link the one-way time is ${change(o(routed).p50, o(direct).p50)} at the median and ` +
        `${change(o(routed).p99, o(direct).p99)} at p99; from send() resolved to shown (the path and the receiver, ` +
        `without the sender's sealing and storing) ${change(a(routed).p50, a(direct).p50)} and ${change(a(routed).p99, a(direct).p99)}. ` +
        `Most of the one-way time is not the path: send() resolves only once the message is sealed and written to ` +
        `history and outbox, and the receiver verifies it and writes history and counters before showing it; a hop ` +
        `between tabs on one machine costs about a millisecond (the forwarding tab decodes and re-sends the frame on ` +
        `the same cores), where across real networks each hop adds a one-way network delay.`,
    );
  }
  const senderBound = r.modes.every((m) => m.throughput.queuedPerSecond <= m.throughput.messagesPerSecond * 1.1);
  if (senderBound) {
    lines.push(
      '',
      'Throughput is the sender\'s pace on both paths: each send() seals the message (an Ed25519 signature in ' +
        'JavaScript) and writes history, outbox and counters to IndexedDB before the next one, and the receiver keeps up.',
    );
  }
  return lines.join('\n');
}
