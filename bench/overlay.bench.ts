// Overlay figures against N: hops (with log16 N beside them), route stretch, links per node, frames
// per join, build time and heap. Each size runs the simulator CLI (src/sim/cli.ts, bundled as
// `npm run sim` runs it) in its own child process, so the heap is measured per size and a size that
// crashes or runs out of memory loses only its own row.
//
//   npm run bench -- --only overlay [--sizes 1000,10000] [--lookups 10000] [--seed 1]
//                    [--signalling overlay|direct] [--concurrency C] [--timeout-min 60]
//   --sizes none re-renders the table and chart from overlay.json without measuring.
//
// Signalling: through the overlay (as over WebRTC) up to OVERLAY_SIGNALLING_MAX nodes, direct (one
// round trip, no overlay frames per link) above, for time; the JSON and the table say which.
// Sizes not re-run keep their previous row, with the commit they were measured at.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimReport } from '../src/sim/cli.js';
import { lineChartSvg } from '../src/sim/svg.js';
import { bundleSimCli, SIM_NODE_FLAGS } from '../scripts/sim.mjs';
import { stampLabel, type BenchContext, type BenchModule } from './bench-module.js';

const DEFAULT_SIZES = [1_000, 10_000, 100_000];
const OVERLAY_SIGNALLING_MAX = 10_000;
/** A size still building after this long is stopped (its row says how far it got). */
const DEFAULT_TIMEOUT_MIN = 60;

interface SizeRun {
  nodes: number;
  /** Rows measured before stamps were taken up front read "<commit>+wip" for a dirty tree. */
  commit: string;
  dirty?: boolean;
  date: string;
  /** The CLI's report, or why the child failed. */
  report?: SimReport;
  error?: string;
}

interface OverlayResults {
  seed: number;
  lookups: number;
  runs: SizeRun[];
}

export const bench: BenchModule = {
  name: 'overlay',
  async run(context) {
    // --sizes none re-renders the table and chart from overlay.json without measuring.
    const sizesFlag = context.args.get('sizes');
    const sizes = sizesFlag === 'none' ? [] : (sizesFlag?.split(',').map(Number) ?? DEFAULT_SIZES);
    const seed = Number(context.args.get('seed') ?? 1);
    const lookups = Number(context.args.get('lookups') ?? 10_000);
    const jsonPath = join(context.resultsDir, 'overlay.json');
    const previous = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as OverlayResults) : undefined;
    const runs = new Map<number, SizeRun>();
    // Earlier rows are kept only if they were measured with the same seed and lookup count.
    if (previous && previous.seed === seed && previous.lookups === lookups) for (const run of previous.runs) runs.set(run.nodes, run);

    const scratch = mkdtempSync(join(tmpdir(), 'dima-bench-overlay-'));
    try {
      const cli = sizes.length > 0 ? await bundleSimCli() : '';
      for (const nodes of sizes) {
        console.log(`--- ${nodes.toLocaleString('en-US')} nodes`);
        runs.set(nodes, await runSize(context, scratch, cli, nodes, seed, lookups));
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }

    const results: OverlayResults = { seed, lookups, runs: [...runs.values()].sort((a, b) => a.nodes - b.nodes) };
    writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(context.docsDir, 'hops.svg'), hopsChart(results));
    return markdown(results);
  },
};

async function runSize(context: BenchContext, scratch: string, cli: string, nodes: number, seed: number, lookups: number): Promise<SizeRun> {
  const signalling = context.args.get('signalling') ?? (nodes <= OVERLAY_SIGNALLING_MAX ? 'overlay' : 'direct');
  const out = join(scratch, `overlay-${nodes}.json`);
  const cliArgs = [cli, '--nodes', String(nodes), '--seed', String(seed), '--lookups', String(lookups), '--signalling', signalling, '--out', out, '--svg', 'none'];
  const concurrency = context.args.get('concurrency');
  if (concurrency) cliArgs.push('--concurrency', concurrency);
  const timeoutMin = Number(context.args.get('timeout-min') ?? DEFAULT_TIMEOUT_MIN);
  const started = Date.now();
  const run: SizeRun = { nodes, commit: context.stamp.commit, dirty: context.stamp.dirty, date: new Date(started).toISOString() };

  const child = spawn(process.execPath, [...SIM_NODE_FLAGS, ...cliArgs], { cwd: context.root, stdio: ['ignore', 'pipe', 'pipe'] });
  let lastProgress = '';
  let lastError = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    const progress = chunk.toString().match(/joined ([\d,]+) \//g);
    if (progress) lastProgress = progress[progress.length - 1].replace(/ \/$/, '');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    const lines = chunk.toString().trim().split('\n').filter((l) => /error|memory/i.test(l));
    if (lines.length > 0) lastError = lines[lines.length - 1].trim();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, timeoutMin * 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on('close', (c, s) => done([c, s])));
  clearTimeout(timer);

  if (code === 0 && existsSync(out)) {
    run.report = JSON.parse(readFileSync(out, 'utf8')) as SimReport;
    return run;
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const where = lastProgress ? ` (${lastProgress})` : '';
  if (timedOut) run.error = `stopped after the ${timeoutMin} min limit${where}`;
  else run.error = `${signal ? `killed by ${signal}` : `exit code ${code}`} after ${minutes} min${where}${lastError ? `: ${lastError}` : ''}`;
  return run;
}

function markdown(results: OverlayResults): string {
  const lines = [
    '## Overlay: Pastry b = 4, L = 16 in the simulator',
    '',
    `${results.lookups.toLocaleString('en-US')} lookups of random keys from random nodes per size, seed ${results.seed}, ` +
      'maintenance timers off during the build (a static overlay; join frames are the join\'s own traffic). ' +
      'Stretch: lookup latency over the direct one-way delay, plane latency model. Heap after a full GC, after the build. ' +
      'Chart: docs/bench/hops.svg.',
    '',
    '| N | signalling | correct | hops mean | hops p99 | log16 N | stretch mean / p50 | links mean / max | join frames mean | build s | heap MB | commit |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const run of results.runs) {
    const n = run.nodes.toLocaleString('en-US');
    const r = run.report;
    if (!r) {
      lines.push(`| ${n} | | failed: ${run.error} | | | | | | | | | ${rowStamp(run)} |`);
      continue;
    }
    lines.push(
      `| ${n} | ${r.signalling} | ${r.correctPct}% | ${r.hops.mean.toFixed(2)} | ${r.hops.p99} | ${log16(run.nodes).toFixed(2)} | ` +
        `${r.stretch.mean.toFixed(2)} / ${r.stretch.p50.toFixed(2)} | ${r.linksPerNode.mean.toFixed(1)} / ${r.linksPerNode.max} | ${Math.round(r.joinMessages.mean)} | ` +
        `${(r.buildMs / 1000).toFixed(1)} | ${Math.round(r.heapMB)} | ${rowStamp(run)} |`,
    );
  }
  lines.push('', ...targetLines(results));
  return lines.join('\n');
}

/** The issue's targets, checked against the rows (the paper: about 2.5 hops at 1,000 and 4 at 100,000). */
const PAPER_HOPS: Record<number, number> = { 1_000: 2.5, 100_000: 4 };
const BUILD_TARGET_S = 120;
const HEAP_TARGET_MB = 4 * 1024;

function targetLines(results: OverlayResults): string[] {
  const lines = ['Targets:'];
  for (const run of results.runs) {
    const r = run.report;
    const paper = PAPER_HOPS[run.nodes];
    if (!r || paper === undefined) continue;
    const n = run.nodes.toLocaleString('en-US');
    // "About" the paper's figure: within 0.1 hop of it, or below.
    lines.push(`- mean hops at ${n} no worse than the paper's ~${paper}: ${r.hops.mean.toFixed(2)}, ${r.hops.mean <= paper + 0.1 ? 'met' : 'MISSED'}`);
  }
  const big = results.runs.find((run) => run.nodes === 100_000)?.report;
  if (big) {
    const buildS = big.buildMs / 1000;
    lines.push(`- 100,000 nodes built in under ${BUILD_TARGET_S} s: ${buildS.toFixed(0)} s, ${buildS < BUILD_TARGET_S ? 'met' : 'MISSED'}`);
    lines.push(`- ... and under 4 GB of heap: ${Math.round(big.heapMB)} MB, ${big.heapMB < HEAP_TARGET_MB ? 'met' : 'MISSED'}`);
  }
  return lines;
}

function hopsChart(results: OverlayResults): string {
  const measured = results.runs.filter((run) => run.report);
  const points = (pick: (r: SimReport) => number): [number, number][] => measured.map((run) => [run.nodes, pick(run.report!)]);
  return lineChartSvg({
    title: 'Pastry hops per lookup against N (b = 4, L = 16)',
    xLabel: 'nodes (log scale)',
    yLabel: 'hops',
    logX: true,
    series: [
      { name: 'mean hops', points: points((r) => r.hops.mean) },
      { name: 'p99 hops', points: points((r) => r.hops.p99) },
      { name: 'log16 N', points: measured.map((run) => [run.nodes, log16(run.nodes)]), reference: true },
    ],
  });
}

function log16(n: number): number {
  return Math.log(n) / Math.log(16);
}

function rowStamp(run: SizeRun): string {
  return run.dirty === undefined ? run.commit : stampLabel({ commit: run.commit, dirty: run.dirty });
}
