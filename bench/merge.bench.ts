// Rings that heal (issue 13, part 5): two rings of N built apart in one simulation, then one random
// node of the first meets one of the second through an introduction (src/sim/merge.ts runMerge).
// Measured until every live node's leaf set is exact for the union (checked every 5 virtual s):
// the virtual time that took, and per node the frames the network carried, the peer connections
// constructed (a browser page's scarce resource) and the merge checks run; then lookups from random
// nodes to random keys, correct when delivered at the numerically closest node of the union. Also
// a partition: one ring of P nodes cut into random halves for 5 virtual minutes, timed from the end
// of the cut (nobody calls meet(); lost leaves are retried, simulator direct mode). Each run is the
// simulator CLI's scenario (src/sim/merge-cli.ts) in its own child process, one after another.
//
//   npm run bench -- --only merge [--merge-sizes 100,1000,5000] [--partition-nodes 1000|none] [--seed 1]

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealFigures } from '../src/sim/merge.js';
import { bundleSimCli, SIM_NODE_FLAGS } from '../scripts/sim.mjs';
import { stampLabel, type BenchContext, type BenchModule } from './bench-module.js';

interface MergeRow extends HealFigures {
  size: number;
  meet: { merged: boolean; learned: number } | string;
  wallMs: number;
  error?: string;
}

interface PartitionRow extends HealFigures {
  nodes: number;
  sideA: number;
  cutMs: number;
  wallMs: number;
  error?: string;
}

interface MergeResults {
  commit: string;
  dirty: boolean;
  date: string;
  cores: number;
  seed: number;
  merges: MergeRow[];
  partition?: PartitionRow;
}

const LOOKUPS = 10_000;

export const bench: BenchModule = {
  name: 'merge',
  async run(context) {
    const seed = Number(context.args.get('seed') ?? '1');
    const sizes = (context.args.get('merge-sizes') ?? '100,1000,5000').split(',').filter((s) => s !== 'none').map(Number);
    const partitionFlag = context.args.get('partition-nodes') ?? '1000';
    const results: MergeResults = { commit: context.stamp.commit, dirty: context.stamp.dirty, date: context.date, cores: cpus().length, seed, merges: [] };
    const scratch = mkdtempSync(join(tmpdir(), 'dima-bench-merge-'));
    try {
      const cli = await bundleSimCli();
      const common = ['--seed', String(seed), '--lookups', String(LOOKUPS)];
      for (const size of sizes) {
        console.log(`--- merge ${size.toLocaleString('en-US')} + ${size.toLocaleString('en-US')}`);
        results.merges.push(await runCli<MergeRow>(context, cli, scratch, ['--merge', String(size), ...common]));
      }
      if (partitionFlag !== 'none') {
        console.log(`--- partition of ${Number(partitionFlag).toLocaleString('en-US')}`);
        results.partition = await runCli<PartitionRow>(context, cli, scratch, ['--partition', partitionFlag, ...common]);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    writeFileSync(join(context.resultsDir, 'merge.json'), JSON.stringify(results, null, 2) + '\n');
    return markdown(results);
  },
};

async function runCli<T extends { wallMs: number; error?: string }>(context: BenchContext, cli: string, scratch: string, args: string[]): Promise<T> {
  const out = join(scratch, `run-${Date.now()}.json`);
  const started = performance.now();
  const child = spawn(process.execPath, [...SIM_NODE_FLAGS, cli, ...args, '--out', out], { cwd: context.root, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const wallMs = Math.round(performance.now() - started);
  if (code === 0 && existsSync(out)) return { ...(JSON.parse(readFileSync(out, 'utf8')) as T), wallMs };
  return { wallMs, error: `exit code ${code}` } as T;
}

const seconds = (ms: number | undefined) => (ms === undefined ? 'not within the limit' : `${(ms / 1000).toFixed(0)}`);

function markdown(r: MergeResults): string {
  const lines = [
    '## Rings that heal: merging two rings, healing a partition',
    '',
    `Simulator, seed ${r.seed}. Two rings of N built apart (overlay signalling, 20 joins at a time, 30 s on their own), ` +
      'then one random node of the first calls `meet()` through an introduction to one of the second. Merge time: virtual ' +
      'seconds from the meeting until every live leaf set is exact for the union (checked every 5 s). Per node, over that ' +
      `span: frames on the network, peer connections constructed (dials and answers), merge checks. Then ${LOOKUPS.toLocaleString('en-US')} ` +
      'lookups, correct at the numerically closest live node. Limit 10 virtual minutes. ' +
      `Commit ${stampLabel(r)}, ${r.date.slice(0, 10)}, ${r.cores} cores.`,
    '',
    '| rings | merge s | frames / node | constructed / node | checks / node | hints / node | inexact at end | lookups correct | wall s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of r.merges) {
    if (m.error) {
      lines.push(`| ${m.size ?? '?'} | failed: ${m.error} | | | | | | | |`);
      continue;
    }
    const n = m.size.toLocaleString('en-US');
    lines.push(
      `| ${n} + ${n} | ${seconds(m.healMs)} | ${m.framesPerNode} | ${m.constructedPerNode} | ${m.checksPerNode} | ${m.hintsPerNode} | ${m.inexact} | ${m.correctPct}% | ${(m.wallMs / 1000).toFixed(0)} |`,
    );
  }
  const p = r.partition;
  if (p?.error) lines.push('', `Partition: failed, ${p.error}.`);
  else if (p) {
    lines.push(
      '',
      `Partition (direct signalling): ${p.nodes.toLocaleString('en-US')} nodes cut into random halves (${p.sideA} / ${p.nodes - p.sideA}) for ` +
        `${p.cutMs / 60_000} virtual minutes; links across close after the 30 s consent timeout and each half repairs into a ring ` +
        `of its own. After the cut lifts, with no meet() called: leaf sets exact after ${seconds(p.healMs)} virtual s; per node ` +
        `${p.retriesPerNode} lost-peer retries, ${p.checksPerNode} checks, ${p.framesPerNode} frames, ${p.constructedPerNode} constructed; ` +
        `${p.correctPct}% of ${p.lookups.toLocaleString('en-US')} lookups correct; ${(p.wallMs / 1000).toFixed(0)} s wall.`,
    );
  }
  return lines.join('\n');
}
