// Overlay under churn (issue: tabs that live for days): for each size, the simulator CLI's churn
// scenario (src/sim/churn.ts: exponential sessions, half graceful leaves and half silent crashes,
// arrivals keeping the population, one lookup a second) and the browser's peer-connection model
// (constructed, held until a modelled GC, refused at 500). Also the CLI's --fail run, for its time.
// Each run is its own child process, one after another, so wall times do not share the cores.
//
//   npm run bench -- --only churn [--churn-sizes 1000,5000] [--churn-minutes 120] [--churn-median-min 30]
//                    [--fail-nodes 3000] [--seed 1]
//   --churn-sizes none re-renders the markdown and chart from churn.json without measuring.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimReport } from '../src/sim/cli.js';
import { lineChartSvg } from '../src/sim/svg.js';
import { bundleSimCli, SIM_NODE_FLAGS } from '../scripts/sim.mjs';
import { stampLabel, type BenchContext, type BenchModule } from './bench-module.js';

/** The targets. */
const TARGETS = {
  joinP99: 60,
  perHourP99: 20,
  correctPct: 99.9,
  /** Mean hops at most this above the static figures (overlay bench: 2.48 at 1,000, 3.24 at 10,000). */
  hopsAbove: 1,
  churn5000WallMin: 20,
  fail3000WallMin: 5,
};
const STATIC_HOPS: Record<number, number> = { 1_000: 2.48, 10_000: 3.24 };

interface Run {
  args: string[];
  report?: SimReport;
  wallMs: number;
  error?: string;
}

interface ChurnResults {
  commit: string;
  dirty: boolean;
  date: string;
  cores: number;
  churn: Run[];
  fail?: Run;
  /** Said by a person after the run (what the stamp cannot tell), shown under the table's intro. */
  notes?: string;
}

export const bench: BenchModule = {
  name: 'churn',
  async run(context) {
    const seed = context.args.get('seed') ?? '1';
    const sizesFlag = context.args.get('churn-sizes') ?? '1000,5000';
    const jsonPath = join(context.resultsDir, 'churn.json');
    if (sizesFlag === 'none') {
      const previous = JSON.parse(readFileSync(jsonPath, 'utf8')) as ChurnResults;
      writeFileSync(join(context.docsDir, 'churn-connections.svg'), chart(previous));
      return markdown(previous);
    }
    const sizes = sizesFlag.split(',').map(Number);
    const minutes = context.args.get('churn-minutes') ?? '120';
    const median = context.args.get('churn-median-min') ?? '30';
    const failNodes = context.args.get('fail-nodes') ?? '3000';
    const { cpus } = await import('node:os');
    const results: ChurnResults = { commit: context.stamp.commit, dirty: context.stamp.dirty, date: new Date().toISOString(), cores: cpus().length, churn: [] };
    const scratch = mkdtempSync(join(tmpdir(), 'dima-bench-churn-'));
    try {
      const cli = await bundleSimCli();
      for (const nodes of sizes) {
        console.log(`--- churn, ${nodes.toLocaleString('en-US')} nodes`);
        results.churn.push(
          await runCli(context, cli, scratch, ['--nodes', String(nodes), '--seed', seed, '--lookups', '1000', '--concurrency', '10', '--churn-median-min', median, '--minutes', minutes]),
        );
      }
      if (failNodes !== 'none') {
        console.log(`--- --fail 0.1, ${failNodes} nodes`);
        results.fail = await runCli(context, cli, scratch, ['--nodes', failNodes, '--seed', seed, '--lookups', '1000', '--fail', '0.1']);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(context.docsDir, 'churn-connections.svg'), chart(results));
    return markdown(results);
  },
};

async function runCli(context: BenchContext, cli: string, scratch: string, args: string[]): Promise<Run> {
  const out = join(scratch, `run-${Date.now()}.json`);
  const started = performance.now();
  const child = spawn(process.execPath, [...SIM_NODE_FLAGS, cli, ...args, '--out', out, '--svg', 'none'], { cwd: context.root, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const run: Run = { args, wallMs: Math.round(performance.now() - started) };
  if (code === 0 && existsSync(out)) run.report = JSON.parse(readFileSync(out, 'utf8')) as SimReport;
  else run.error = `exit code ${code}`;
  return run;
}

function markdown(r: ChurnResults): string {
  const lines = [
    '## Overlay under churn: peer connections a tab would construct',
    '',
    `Simulator, overlay signalling, seed 1; sessions exponential (median in the table), half graceful leaves and half silent ` +
      `crashes (reported by the transport after 30 s of ICE consent), arrivals at the same rate, one lookup a second. A ` +
      `connection is counted wherever the WebRTC transport would construct one (every dial, every answer); held = open + ` +
      `closed and not yet collected (GC modelled every 10 min on average); construction refused at 500. Per hour: after the ` +
      `first minute, nodes observed >= 10 min. Correct: delivered at the live node closest to the key when sent or when ` +
      `delivered. Commit ${stampLabel(r)}, ${r.date.slice(0, 10)}, ${r.cores} cores, runs one after another. Chart: ` +
      'docs/bench/churn-connections.svg.' +
      (r.notes ? ` Note: ${r.notes}` : ''),
    '',
    '| N | median session | minutes | joins | constructed joining mean / p99 | 1st minute mean / p99 | per hour mean / p99 | held max | refused | links mean / max | join s mean / p99 | correct | worst minute | hops mean | wall s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const run of r.churn) {
    const c = run.report?.churn;
    if (!run.report || !c) {
      lines.push(`| ${run.args[1]} | | | failed: ${run.error} | | | | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${run.report.nodes.toLocaleString('en-US')} | ${c.medianSessionMin} min | ${c.minutes} | ${c.joins} | ${c.constructedWhileJoining.mean.toFixed(1)} / ${c.constructedWhileJoining.p99} | ` +
        `${c.constructedFirstMinute.mean.toFixed(1)} / ${c.constructedFirstMinute.p99} | ${c.constructedPerHour.mean.toFixed(0)} / ${c.constructedPerHour.p99.toFixed(0)} | ` +
        `${c.heldMax} | ${c.refused} | ${c.linksPerNode.mean} / ${c.linksPerNode.max} | ${(c.joinMs.mean / 1000).toFixed(1)} / ${(c.joinMs.p99 / 1000).toFixed(1)} | ` +
        `${c.correctPct}% | ${c.worstMinutePct}% | ${c.hops.mean.toFixed(2)} | ${(run.wallMs / 1000).toFixed(0)} |`,
    );
  }
  lines.push('', 'Constructions after the first minute, by cause (all nodes):', '');
  for (const run of r.churn) {
    const c = run.report?.churn;
    if (!c) continue;
    const b = c.constructedBy;
    lines.push(
      `- ${run.report!.nodes.toLocaleString('en-US')} nodes: dials for leaves ${b.leaf}, table slots ${b.table}, proximity ${b.proximity}, applications ${b.direct}; ` +
        `answers to others' dials ${b.answers}; duplicate links retired ${c.duplicateLinks}; wrong lookups: lost ${c.wrong.lost}, ` +
        `root joined < 1 min before ${c.wrong.rootJustJoined}, root not in the deliverer's leaf set ${c.wrong.rootNotInLeafSet}, other ${c.wrong.other}.`,
    );
  }
  if (r.fail?.report?.failure) {
    const f = r.fail.report.failure;
    lines.push('', `\`--fail 0.1\` at ${r.fail.report.nodes.toLocaleString('en-US')} nodes (maintenance on): ${f.correctPct}% of ${f.lookups} lookups correct after ${f.crashed} silent crashes, ${(r.fail.wallMs / 1000).toFixed(0)} s wall.`);
  }
  lines.push('', ...targetLines(r));
  return lines.join('\n');
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

function targetLines(r: ChurnResults): string[] {
  const lines = ['Targets:'];
  for (const run of r.churn) {
    const c = run.report?.churn;
    if (!c) continue;
    const n = run.report!.nodes;
    const label = n.toLocaleString('en-US');
    lines.push(`- ${label}: <= ${TARGETS.joinP99} constructed while joining at p99: ${c.constructedWhileJoining.p99}, ${verdict(c.constructedWhileJoining.p99 <= TARGETS.joinP99)}`);
    lines.push(`- ${label}: <= ${TARGETS.perHourP99} per hour afterwards at p99: ${c.constructedPerHour.p99.toFixed(0)}, ${verdict(c.constructedPerHour.p99 <= TARGETS.perHourP99)}`);
    lines.push(`- ${label}: >= ${TARGETS.correctPct}% correct lookups during churn: ${c.correctPct}%, ${verdict(c.correctPct >= TARGETS.correctPct)}`);
    const base = STATIC_HOPS[n] ?? (n < 10_000 ? interpolateHops(n) : undefined);
    if (base !== undefined) lines.push(`- ${label}: mean hops at most ${TARGETS.hopsAbove} above the static ${base.toFixed(2)}: ${c.hops.mean.toFixed(2)}, ${verdict(c.hops.mean <= base + TARGETS.hopsAbove)}`);
    if (n === 5_000) lines.push(`- 5,000 nodes, ${c.minutes} min of churn in under ${TARGETS.churn5000WallMin} min wall: ${(run.wallMs / 60_000).toFixed(1)} min, ${verdict(run.wallMs < TARGETS.churn5000WallMin * 60_000)}`);
  }
  if (r.fail) lines.push(`- --fail 0.1 at ${r.fail.args[1]} nodes in under ${TARGETS.fail3000WallMin} min: ${(r.fail.wallMs / 60_000).toFixed(1)} min, ${verdict(r.fail.wallMs < TARGETS.fail3000WallMin * 60_000)}`);
  return lines;
}

/** Static mean hops between the overlay bench's 1,000 and 10,000 rows, on log N. */
function interpolateHops(n: number): number {
  const t = (Math.log10(n) - 3) / 1;
  return STATIC_HOPS[1_000] + t * (STATIC_HOPS[10_000] - STATIC_HOPS[1_000]);
}

function chart(r: ChurnResults): string {
  const series = r.churn.flatMap((run) => {
    const c = run.report?.churn;
    if (!c) return [];
    const n = run.report!.nodes.toLocaleString('en-US');
    // Every tenth minute: a point (and an axis tick) per minute crowds the chart.
    const every10 = c.timeline.filter((t) => t.minute % 10 === 0);
    return [
      { name: `${n} nodes: constructed so far per live node (mean)`, points: every10.map((t) => [t.minute, t.constructedMean] as [number, number]) },
      { name: `${n} nodes: held per node (mean)`, points: every10.map((t) => [t.minute, t.heldMean] as [number, number]) },
    ];
  });
  return lineChartSvg({ title: 'Peer connections per node under churn (limit 500)', xLabel: 'minute of churn', yLabel: 'connections', series });
}
