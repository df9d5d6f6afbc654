// The simulator from the command line: build a seeded overlay, optionally crash a fraction of it and
// let repair run, send lookups, print a summary, write JSON and an SVG histogram of hop counts.
//
//   npm run sim -- --nodes N --seed S --lookups K [--fail F] [--out FILE] [--svg FILE|none]
//                  [--signalling overlay|direct] [--maintenance on|off] [--concurrency C] [--settle MS]
//                  [--churn-median-min M --minutes T [--graceful F]] [--gc-interval-min G]
//                  [--consent-timeout-ms C|none] [--pc-limit P]
//   npm run sim -- --merge N | --partition N [--seed S] [--lookups K]   (src/sim/merge-cli.ts)
//
// --churn-median-min runs a churn scenario after the build (src/sim/churn.ts): sessions with that
// median, half ending in graceful leaves and half in silent crashes, arrivals keeping the population,
// one lookup a second, for T virtual minutes; the report gains a `churn` section.
//
// Maintenance (keep-alive, gossip, table refresh) is OFF during the build unless --fail is given:
// its timers cost time proportional to N x virtual time, and a static overlay is what hop counts,
// stretch and join cost measure (joinMessages is then the join's own traffic, not background
// keep-alives). Failure detection needs keep-alives, so --fail builds with maintenance ON (slower).
// The JSON records which was used. Same seed -> same JSON, except WALL_CLOCK_FIELDS.

import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { DEFAULT_CONFIG, type OverlayConfig } from '../overlay/config.js';
import { DEFAULT_CHURN, runChurn, type ChurnFigures } from './churn.js';
import { valueFlags } from './cli-flags.js';
import { mergeCli } from './merge-cli.js';
import { hopHistogram, lookupFigures, overlayShape, round, type LookupFigures, type Summary } from './report.js';
import { Simulation } from './simulation.js';
import { barChartSvg } from './svg.js';

/** Fields that depend on the machine, not the seed: excluded when comparing two runs. */
export const WALL_CLOCK_FIELDS = ['buildMs', 'lookupMs', 'failureMs', 'heapMB'] as const;

export interface SimOptions {
  nodes: number;
  seed: number;
  lookups: number;
  fail: number;
  settleMs: number;
  signalling: 'overlay' | 'direct';
  maintenance: boolean;
  concurrency: number;
  /** Virtual ms between two lookups. */
  spacingMs: number;
  /** Churn after the build: median session (0 = no churn) and how long. */
  churnMedianMin: number;
  churnMinutes: number;
  gracefulFraction: number;
  /** Browser model: mean minutes between a page's garbage collections, consent timeout, connection limit. */
  gcIntervalMin: number;
  consentTimeoutMs: number;
  peerConnectionLimit: number;
  tableRepair: OverlayConfig['tableRepair'];
}

export interface FailureFigures extends LookupFigures {
  fraction: number;
  crashed: number;
  settleMs: number;
  liveNodes: number;
  linksPerNode: Summary;
}

export interface SimReport extends LookupFigures {
  nodes: number;
  seed: number;
  b: number;
  leafSet: number;
  signalling: 'overlay' | 'direct';
  /** Whether keep-alive and repair timers ran during the build. */
  maintenance: boolean;
  concurrency: number;
  linksPerNode: Summary;
  leafSetPerNode: Summary;
  routingEntriesPerNode: Summary;
  joinMessages: Summary;
  /** Frames on the wire over the whole run, and virtual time at the end (simulation work). */
  framesSent: number;
  virtualMs: number;
  hopHistogram: number[];
  failure?: FailureFigures;
  churn?: ChurnFigures;
  /** Browser model of every simulated page (see SimNetworkOptions). */
  browser: { peerConnectionLimit: number; gcIntervalMin: number; consentTimeoutMs: number | null };
  /** Timers the virtual clock ran (a measure of simulation work). */
  events: number;
  buildMs: number;
  lookupMs: number;
  failureMs?: number;
  churnMs?: number;
  heapMB: number;
}

export const DEFAULT_OPTIONS: SimOptions = {
  nodes: 1000,
  seed: 1,
  lookups: 1000,
  fail: 0,
  settleMs: 60_000,
  signalling: 'overlay',
  maintenance: false,
  concurrency: 1,
  spacingMs: 1,
  churnMedianMin: 0,
  churnMinutes: 120,
  gracefulFraction: 0.5,
  gcIntervalMin: 10,
  consentTimeoutMs: 30_000,
  peerConnectionLimit: 500,
  tableRepair: DEFAULT_CONFIG.tableRepair,
};

async function runSimulation(options: SimOptions, log: (line: string) => void = () => {}): Promise<SimReport> {
  const config: Partial<OverlayConfig> = { tableRepair: options.tableRepair, ...(options.maintenance ? {} : { keepAliveMs: Infinity }) };
  const sim = new Simulation({
    seed: options.seed,
    config,
    signalling: options.signalling,
    peerConnectionLimit: options.peerConnectionLimit,
    gcIntervalMs: options.gcIntervalMin * 60_000,
    consentTimeoutMs: options.consentTimeoutMs,
  });

  const buildStart = performance.now();
  await sim.build(options.nodes, {
    concurrency: options.concurrency,
    onProgress: (joined) => log(`  joined ${joined.toLocaleString('en-US')} / ${options.nodes.toLocaleString('en-US')} (${seconds(performance.now() - buildStart)})`),
  });
  const buildMs = Math.round(performance.now() - buildStart);
  collectGarbage();
  const heapMB = round(process.memoryUsage().heapUsed / 2 ** 20, 1);
  log(`  built in ${seconds(buildMs)}, heap ${heapMB} MB`);

  const lookupStart = performance.now();
  const results = await sim.lookups(options.lookups, { spacingMs: options.spacingMs, seedLabel: 'lookups-intact' });
  const lookupMs = Math.round(performance.now() - lookupStart);
  const shape = overlayShape(sim);

  const report: SimReport = {
    nodes: options.nodes,
    seed: options.seed,
    b: sim.nodes.values().next().value?.config.bitsPerDigit ?? DEFAULT_CONFIG.bitsPerDigit,
    leafSet: sim.nodes.values().next().value?.config.leafSetSize ?? DEFAULT_CONFIG.leafSetSize,
    signalling: options.signalling,
    maintenance: options.maintenance,
    concurrency: options.concurrency,
    ...lookupFigures(results),
    linksPerNode: shape.linksPerNode,
    leafSetPerNode: shape.leafSetPerNode,
    routingEntriesPerNode: shape.routingEntriesPerNode,
    joinMessages: shape.joinMessages,
    framesSent: 0,
    virtualMs: 0,
    hopHistogram: hopHistogram(results),
    browser: {
      peerConnectionLimit: options.peerConnectionLimit,
      gcIntervalMin: options.gcIntervalMin,
      consentTimeoutMs: Number.isFinite(options.consentTimeoutMs) ? options.consentTimeoutMs : null,
    },
    events: 0,
    buildMs,
    lookupMs,
    heapMB,
  };

  if (options.fail > 0) {
    const failureStart = performance.now();
    const crashed = sim.crash(options.fail, true).length;
    log(`  crashed ${crashed} nodes silently, settling ${seconds(options.settleMs)} of virtual time`);
    await sim.settle(options.settleMs);
    const after = await sim.lookups(options.lookups, { spacingMs: options.spacingMs, seedLabel: 'lookups-after-failure' });
    const afterShape = overlayShape(sim);
    report.failure = {
      fraction: options.fail,
      crashed,
      settleMs: options.settleMs,
      liveNodes: afterShape.liveNodes,
      linksPerNode: afterShape.linksPerNode,
      ...lookupFigures(after),
    };
    report.failureMs = Math.round(performance.now() - failureStart);
  }
  if (options.churnMedianMin > 0) {
    const churnStart = performance.now();
    log(`  churn: median session ${options.churnMedianMin} min for ${options.churnMinutes} virtual minutes`);
    report.churn = await runChurn(
      sim,
      { ...DEFAULT_CHURN, medianSessionMs: options.churnMedianMin * 60_000, durationMs: options.churnMinutes * 60_000, gracefulFraction: options.gracefulFraction },
      log,
    );
    report.churnMs = Math.round(performance.now() - churnStart);
  }
  report.events = sim.clock.executed;
  report.framesSent = sim.network.framesSent;
  report.virtualMs = round(sim.clock.now(), 1);
  return report;
}

function formatSummary(r: SimReport): string {
  const s = (x: Summary) => `mean ${x.mean}, p50 ${x.p50}, p99 ${x.p99}, max ${x.max}`;
  const lines = [
    `DIMA overlay simulation: ${r.nodes.toLocaleString('en-US')} nodes, seed ${r.seed}, b=${r.b}, L=${r.leafSet}, ` +
      `${r.signalling} signalling, maintenance ${r.maintenance ? 'on' : 'off'} during build`,
    `  lookups      ${r.lookups}: delivered ${r.delivered}, correct ${r.correct} (${r.correctPct}%)`,
    `  hops         ${s(r.hops)}`,
    `  stretch      ${s(r.stretch)}`,
    `  links/node   ${s(r.linksPerNode)}`,
    `  join frames  ${s(r.joinMessages)}`,
    `  build        ${seconds(r.buildMs)} wall, heap ${r.heapMB} MB`,
  ];
  if (r.failure) {
    const f = r.failure;
    lines.push(
      `  after failure of ${f.fraction * 100}% (${f.crashed} nodes) and ${seconds(f.settleMs)} virtual repair:`,
      `    lookups    ${f.lookups}: delivered ${f.delivered}, correct ${f.correct} (${f.correctPct}%)`,
      `    hops       ${s(f.hops)}`,
    );
  }
  if (r.churn) {
    const c = r.churn;
    lines.push(
      `  churn (median session ${c.medianSessionMin} min, ${c.minutes} min, ${c.joins} joins, ${c.leaves} leaves, ${c.crashes} crashes, ${c.joinFailures} failed joins):`,
      `    constructed while joining ${s(c.constructedWhileJoining)}`,
      `    constructed 1st minute    ${s(c.constructedFirstMinute)}`,
      `    constructed per hour      ${s(c.constructedPerHour)} (all node-hours: ${c.constructedPerNodeHour})`,
      `    constructed by cause      leaf ${c.constructedBy.leaf}, direct ${c.constructedBy.direct}, table ${c.constructedBy.table}, proximity ${c.constructedBy.proximity}, answers ${c.constructedBy.answers}; duplicate links ${c.duplicateLinks}`,
      `    held max ${c.heldMax}, refused ${c.refused}, links/node mean ${c.linksPerNode.mean} max ${c.linksPerNode.max}`,
      `    join time ms              ${s(c.joinMs)}`,
      `    lookups ${c.lookups}: delivered ${c.delivered}, correct ${c.correct} (${c.correctPct}%), worst minute ${c.worstMinutePct}%`,
      `    wrong: lost ${c.wrong.lost}, root joined < 1 min before ${c.wrong.rootJustJoined}, root not in the deliverer's leaf set ${c.wrong.rootNotInLeafSet}, other ${c.wrong.other}`,
      `    hops ${s(c.hops)}`,
      `    wall ${seconds(r.churnMs ?? 0)}, ${r.events.toLocaleString('en-US')} events`,
    );
  }
  return lines.join('\n');
}

function hopHistogramSvg(r: SimReport): string {
  return barChartSvg({
    title: `Hops per lookup: ${r.nodes.toLocaleString('en-US')} nodes, ${r.lookups.toLocaleString('en-US')} lookups (seed ${r.seed})`,
    xLabel: 'hops',
    yLabel: 'lookups',
    bars: r.hopHistogram.map((value, hops) => ({ label: String(hops), value })),
  });
}

/** Parses argv (without node and script). Throws on unknown flags or bad values. */
function parseOptions(argv: string[]): SimOptions & { out?: string; svg?: string; quiet: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...valueFlags('nodes', 'seed', 'lookups', 'fail', 'settle', 'signalling', 'maintenance', 'concurrency', 'spacing'),
      ...valueFlags('churn-median-min', 'minutes', 'graceful', 'gc-interval-min', 'consent-timeout-ms', 'pc-limit', 'table-repair'),
      ...valueFlags('out', 'svg'),
      quiet: { type: 'boolean' },
    },
  });
  const number = (name: string, raw: string | undefined, fallback: number, min: number, max = Infinity) => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) throw new Error(`--${name} must be a number in [${min}, ${max}], got ${raw}`);
    return v;
  };
  const fail = number('fail', values.fail, 0, 0, 0.99);
  const signalling = values.signalling ?? DEFAULT_OPTIONS.signalling;
  if (signalling !== 'overlay' && signalling !== 'direct') throw new Error(`--signalling must be overlay or direct, got ${signalling}`);
  const churnMedianMin = number('churn-median-min', values['churn-median-min'], 0, 0);
  const maintenance = values.maintenance ?? (fail > 0 || churnMedianMin > 0 ? 'on' : 'off');
  if (maintenance !== 'on' && maintenance !== 'off') throw new Error(`--maintenance must be on or off, got ${maintenance}`);
  if (fail > 0 && maintenance === 'off') throw new Error('--fail needs --maintenance on: silent failures are found by keep-alives');
  if (churnMedianMin > 0 && maintenance === 'off') throw new Error('--churn-median-min needs --maintenance on');
  const consent = values['consent-timeout-ms'] === 'none' ? Infinity : number('consent-timeout-ms', values['consent-timeout-ms'], DEFAULT_OPTIONS.consentTimeoutMs, 0);
  return {
    nodes: Math.floor(number('nodes', values.nodes, DEFAULT_OPTIONS.nodes, 1)),
    seed: Math.floor(number('seed', values.seed, DEFAULT_OPTIONS.seed, 0)),
    lookups: Math.floor(number('lookups', values.lookups, DEFAULT_OPTIONS.lookups, 0)),
    fail,
    settleMs: number('settle', values.settle, DEFAULT_OPTIONS.settleMs, 0),
    signalling,
    maintenance: maintenance === 'on',
    concurrency: Math.floor(number('concurrency', values.concurrency, DEFAULT_OPTIONS.concurrency, 1)),
    spacingMs: number('spacing', values.spacing, DEFAULT_OPTIONS.spacingMs, 0),
    churnMedianMin,
    churnMinutes: number('minutes', values.minutes, DEFAULT_OPTIONS.churnMinutes, 0),
    gracefulFraction: number('graceful', values.graceful, DEFAULT_OPTIONS.gracefulFraction, 0, 1),
    gcIntervalMin: number('gc-interval-min', values['gc-interval-min'], DEFAULT_OPTIONS.gcIntervalMin, 0.001),
    consentTimeoutMs: consent,
    tableRepair: parseTableRepair(values['table-repair']),
    peerConnectionLimit: Math.floor(number('pc-limit', values['pc-limit'], DEFAULT_OPTIONS.peerConnectionLimit, 1)),
    out: values.out,
    svg: values.svg,
    quiet: values.quiet ?? false,
  };
}

function parseTableRepair(raw: string | undefined): OverlayConfig['tableRepair'] {
  if (raw === undefined) return DEFAULT_OPTIONS.tableRepair;
  if (raw !== 'eager' && raw !== 'passive') throw new Error(`--table-repair must be eager or passive, got ${raw}`);
  return raw;
}

/** Runs the CLI: returns the report and the paths written. */
export async function main(argv: string[]): Promise<{ report: SimReport; out: string; svg?: string }> {
  const options = parseOptions(argv);
  const print = options.quiet ? () => {} : (line: string) => console.log(line);
  const report = await runSimulation(options, print);
  const out = options.out ?? join(tmpdir(), `dima-sim-${options.nodes}-seed${options.seed}.json`);
  const svg = options.svg === 'none' ? undefined : (options.svg ?? out.replace(/\.json$/i, '') + '-hops.svg');
  writeFile(out, JSON.stringify(report, null, 2) + '\n');
  if (svg) writeFile(svg, hopHistogramSvg(report));
  print(formatSummary(report));
  print(`  wrote ${out}${svg ? ` and ${svg}` : ''}`);
  return { report, out, svg };
}

function writeFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A full GC before measuring the heap: global.gc under --expose-gc, else V8's flag turned on at runtime. */
function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed();
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // No GC available: heapMB then includes garbage.
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // --merge / --partition are scenarios of their own (src/sim/merge-cli.ts).
  const argv = process.argv.slice(2);
  const scenario = argv.includes('--merge') || argv.includes('--partition') ? mergeCli(argv) : main(argv);
  scenario.catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
