// `npm run sim -- --merge N [--seed S] [--lookups K] [--limit-min M] [--out FILE]`: two rings of N built apart
// meet through one introduction (src/sim/merge.ts runMerge); prints how long until every leaf set
// was exact for the union, the work per node and the lookups. `--partition N` instead cuts one ring
// of N into random halves for 5 virtual minutes (direct signalling) and times the healing. --out
// also writes the figures as JSON (bench/merge.bench.ts reads them).

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { valueFlags } from './cli-flags.js';
import { DEFAULT_MERGE, DEFAULT_PARTITION, runMerge, runPartition } from './merge.js';
import { Simulation } from './simulation.js';

export async function mergeCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: valueFlags('merge', 'partition', 'seed', 'lookups', 'limit-min', 'out'),
  });
  const count = (name: string, raw: string | undefined, fallback: number) => {
    const v = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a whole number, got ${raw}`);
    return v;
  };
  const seed = count('seed', values.seed, 1);
  const lookups = count('lookups', values.lookups, 10_000);
  const limitMs = count('limit-min', values['limit-min'], 10) * 60_000;
  const started = performance.now();
  if (values.partition !== undefined) {
    const nodes = count('partition', values.partition, 1_000);
    console.log(`partition: ${nodes} nodes cut into random halves for 5 virtual minutes, seed ${seed}`);
    const figures = await runPartition(new Simulation({ seed, signalling: 'direct' }), { ...DEFAULT_PARTITION, nodes, lookups, limitMs });
    report(values.out, { kind: 'partition', nodes, cutMs: DEFAULT_PARTITION.cutMs, ...figures });
  } else {
    const n = count('merge', values.merge, 500);
    console.log(`merge: two rings of ${n} built apart meet once, seed ${seed}`);
    const { rings: _rings, ...figures } = await runMerge(new Simulation({ seed }), { ...DEFAULT_MERGE, sizes: [n, n], lookups, limitMs });
    report(values.out, { kind: 'merge', size: n, ...figures });
  }
  console.log(`wall ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function report(out: string | undefined, figures: object): void {
  const json = JSON.stringify(figures, null, 2);
  console.log(json);
  if (out) writeFileSync(out, json + '\n');
}
