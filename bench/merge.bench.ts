// Rings that heal (issue 13, part 5): two rings of N built apart in one simulation, then one random
// node of the first meets one of the second through an introduction (src/sim/merge.ts runMerge).
// Measured until every live node's leaf set is exact for the union (checked every 5 virtual s):
// the virtual time that took, and per node the frames the network carried, the peer connections
// constructed (a browser page's scarce resource) and the merge checks run; then lookups from random
// nodes to random keys, correct when delivered at the numerically closest node of the union. Also
// a partition: one ring of P nodes cut into random halves for 5 virtual minutes, timed from the end
// of the cut (nobody calls meet(); lost leaves are retried, simulator direct mode).
//
//   npm run bench -- --only merge [--merge-sizes 100,1000,5000] [--partition-nodes 1000|none] [--seed 1]

import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MERGE, DEFAULT_PARTITION, runMerge, runPartition, type HealFigures } from '../src/sim/merge.js';
import { Simulation } from '../src/sim/simulation.js';
import { stampLabel, type BenchModule } from './bench-module.js';

interface MergeRow extends HealFigures {
  size: number;
  meet: { merged: boolean; learned: number } | string;
  wallMs: number;
}

interface PartitionRow extends HealFigures {
  nodes: number;
  sideA: number;
  cutMs: number;
  wallMs: number;
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
    for (const size of sizes) {
      console.log(`--- merge ${size.toLocaleString('en-US')} + ${size.toLocaleString('en-US')}`);
      const started = performance.now();
      const sim = new Simulation({ seed });
      const { rings: _rings, ...figures } = await runMerge(sim, { ...DEFAULT_MERGE, sizes: [size, size], lookups: LOOKUPS });
      const row: MergeRow = { size, ...figures, wallMs: Math.round(performance.now() - started) };
      console.log(JSON.stringify(row));
      results.merges.push(row);
    }
    if (partitionFlag !== 'none') {
      const nodes = Number(partitionFlag);
      console.log(`--- partition of ${nodes.toLocaleString('en-US')}`);
      const started = performance.now();
      const sim = new Simulation({ seed, signalling: 'direct' });
      const figures = await runPartition(sim, { ...DEFAULT_PARTITION, nodes, lookups: LOOKUPS });
      results.partition = { nodes, cutMs: DEFAULT_PARTITION.cutMs, ...figures, wallMs: Math.round(performance.now() - started) };
      console.log(JSON.stringify(results.partition));
    }
    writeFileSync(join(context.resultsDir, 'merge.json'), JSON.stringify(results, null, 2) + '\n');
    return markdown(results);
  },
};

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
    const n = m.size.toLocaleString('en-US');
    lines.push(
      `| ${n} + ${n} | ${seconds(m.healMs)} | ${m.framesPerNode} | ${m.constructedPerNode} | ${m.checksPerNode} | ${m.hintsPerNode} | ${m.inexact} | ${m.correctPct}% | ${(m.wallMs / 1000).toFixed(0)} |`,
    );
  }
  const p = r.partition;
  if (p) {
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
