// `npm run bench [-- --only overlay,scan] [-- --sizes 1000,10000 ...]`: runs every bench/*.bench.ts
// module (see bench-module.ts), each writing bench/results/<name>.json and returning a markdown
// section, then stitches all sections on disk into bench/results/README.md (a section from an
// earlier run of a bench that was not re-run stays, with the commit it was measured at).
// Figures, never pass/fail: the exit code is non-zero only when a bench crashed.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { codeStamp, machineStamp, stampLabel, type BenchContext, type BenchModule, type MachineStamp } from './bench-module.js';

/** Sections come in this order in README.md; benches not listed follow alphabetically. */
const ORDER = ['overlay', 'scan', 'directory-flood', 'hostile', 'im', 'mailbox', 'webrtc', 'tab-churn'];

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, '..');

function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) flags.set(name, 'true');
    else flags.set(name, argv[++i]);
  }
  return flags;
}

function byOrder(a: string, b: string): number {
  const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function benchNames(): string[] {
  return readdirSync(benchDir)
    .filter((file) => file.endsWith('.bench.ts'))
    .map((file) => file.slice(0, -'.bench.ts'.length))
    .sort(byOrder);
}

async function main(): Promise<void> {
  const args = parseFlags(process.argv.slice(2));
  const only = args.get('only')?.split(',');
  const context: BenchContext = {
    root, resultsDir: join(root, 'bench/results'), docsDir: join(root, 'docs/bench'), args,
    stamp: codeStamp(root), date: new Date().toISOString(), loadAtStart: loadavg(),
  };
  console.log(`bench: measuring ${stampLabel(context.stamp)}`);
  mkdirSync(context.resultsDir, { recursive: true });
  mkdirSync(context.docsDir, { recursive: true });

  const crashed: string[] = [];
  for (const name of benchNames()) {
    if (only && !only.includes(name)) continue;
    console.log(`\n=== bench ${name}`);
    try {
      const module = (await import(pathToFileURL(join(benchDir, `${name}.bench.ts`)).href)) as { bench?: BenchModule };
      if (!module.bench) throw new Error(`bench/${name}.bench.ts does not export "bench"`);
      const started = Date.now();
      const benchContext: BenchContext = { ...context, loadAtStart: loadavg() };
      const markdown = await module.bench.run(benchContext);
      const machine = machineStamp(benchContext);
      for (const dir of [context.resultsDir, context.docsDir]) stampMachine(join(dir, `${name}.json`), started, machine);
      writeFileSync(join(context.resultsDir, `${name}.md`), markdown.trimEnd() + '\n');
      console.log(markdown);
    } catch (error) {
      crashed.push(name);
      console.error(`bench ${name} crashed:`, error);
    }
  }

  writeReadme(context.resultsDir);
  if (crashed.length > 0) {
    console.error(`crashed: ${crashed.join(', ')}`);
    process.exitCode = 1;
  }
}

/**
 * Adds the machine stamp to a bench's JSON written during this run, unless the bench put its own
 * there. A JSON the bench did not rewrite (re-rendered from old figures) keeps what it had: its
 * figures were not measured on this machine now.
 */
function stampMachine(path: string, started: number, machine: MachineStamp): void {
  if (!existsSync(path) || statSync(path).mtimeMs < started) return;
  const results = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (typeof results !== 'object' || results === null || Array.isArray(results) || 'machine' in results) return;
  writeFileSync(path, JSON.stringify({ ...results, machine }, null, 2) + '\n');
}

/** README.md = every bench's markdown section on disk, in ORDER. */
function writeReadme(resultsDir: string): void {
  const sections = readdirSync(resultsDir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .map((file) => file.slice(0, -'.md'.length))
    .sort(byOrder)
    .map((name) => readFileSync(join(resultsDir, `${name}.md`), 'utf8').trimEnd());
  const header = [
    '# Benchmarks',
    '',
    'Figures, never pass/fail. Written by `npm run bench` (bench/run.ts runs every bench/*.bench.ts);',
    'each section comes from bench/results/<name>.md, its data from <name>.json.',
  ].join('\n');
  writeFileSync(join(resultsDir, 'README.md'), [header, ...sections].join('\n\n') + '\n');
}

if (existsSync(process.argv[1] ?? '') && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
