// The im bench's results (bench/results/im.json) and how they read: the markdown section and the
// latency chart. Pure functions of the results, so a section can be re-rendered from the JSON.

import { round } from '../src/sim/report.js';
import { lineChartSvg } from '../src/sim/svg.js';
import { stampLabel } from './bench-module.js';
import type { Mode } from './im-tabs.js';

export const PERCENTILES = [10, 25, 50, 75, 90, 95, 99];

export interface Latency {
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

export interface Throughput {
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

export interface ModeResults {
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

export interface ImBenchResults {
  commit: string;
  /** The work tree differed from `commit` when the run started (see bench-module.ts). */
  dirty: boolean;
  date: string;
  /** Logical cores of the machine all tabs shared (os.cpus()). */
  cores: number;
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

export function chart(r: ImBenchResults): string {
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

export function markdown(r: ImBenchResults): string {
  const hops = (histogram: Record<string, number>) => Object.entries(histogram).map(([h, n]) => `${h}: ${n}`).join(', ');
  const lines = [
    `## IM: chat between two Chromium tabs, routed vs direct link`,
    '',
    `${r.tabs} tabs of Debian's Chromium ${r.chromium} (one browser context each, one machine, ${r.cores} cores), the built app ` +
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
        `history and outbox, and the receiver verifies it and writes history and counters before showing it.` +
        perExtraHop(routed, direct),
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

/** Mean overlay hops of the chats a mode's latency blocks delivered (the receiver's counters). */
function meanHops(m: ModeResults): number {
  let chats = 0;
  let hops = 0;
  for (const [h, n] of Object.entries(m.latency.hops)) {
    chats += n;
    hops += Number.parseInt(h, 10) * n; // "8+" (the open bucket) counts as 8
  }
  return chats === 0 ? NaN : hops / chats;
}

/**
 * What one more hop between tabs cost here, from the medians of send() resolved to shown: the routed
 * minus the direct time over the difference in mean hops (the same machine and cores: decoding and
 * re-sending in a forwarding tab, not a network delay).
 */
function perExtraHop(routed: ModeResults, direct: ModeResults): string {
  const extraHops = meanHops(routed) - meanHops(direct);
  if (!(extraHops > 0)) return '';
  const ms = (routed.latency.afterSendMs.p50 - direct.latency.afterSendMs.p50) / extraHops;
  const hops = ` Routed chats took ${round(meanHops(routed), 2)} hops on average, direct ones ${round(meanHops(direct), 2)}: `;
  // Two medians of a few hundred samples on shared cores: a difference below zero is noise, not a gain.
  if (ms <= 0) return hops + `no cost per extra hop shows at the median between tabs on this machine (${round(ms, 2)} ms).`;
  return hops + `${round(ms, 2)} ms per extra hop at the median between tabs on this machine.`;
}
