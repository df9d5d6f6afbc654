// What bench/run.ts expects of a benchmark: a module named `<name>.bench.ts` in bench/ that exports
// `bench`. It measures, writes its own bench/results/<name>.json (and any chart under docs/bench/),
// and returns a markdown section; run.ts saves it as bench/results/<name>.md and stitches every
// section into bench/results/README.md. Figures, never pass/fail: a bench fails only if it crashes.

import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

export interface BenchContext {
  /** Repository root (absolute). */
  root: string;
  /** bench/results (absolute), where JSON and markdown go. */
  resultsDir: string;
  /** docs/bench (absolute), where SVG charts go. */
  docsDir: string;
  /** Command-line flags after `npm run bench --`, as --name value (a bare --flag maps to 'true'). */
  args: Map<string, string>;
  /** The code being measured, stamped before the first bench ran. */
  stamp: CodeStamp;
  /** When the run started (ISO 8601). */
  date: string;
  /** os.loadavg() just before this bench started (run.ts sets it per bench; see machineStamp). */
  loadAtStart: number[];
}

export interface BenchModule {
  /** Short name: results are bench/results/<name>.json and <name>.md. */
  name: string;
  /** Runs the benchmark and returns its markdown section (starting with a "## " heading). */
  run(context: BenchContext): Promise<string>;
}

/**
 * The code a figure was measured at. Taken once, before any bench runs (a stamp taken afterwards
 * names whatever was checked out by then, not what ran). `dirty`: tracked or new files differed from
 * the commit, not counting the benches' own output (bench/results, docs/bench), which every run
 * rewrites.
 */
export interface CodeStamp {
  commit: string;
  dirty: boolean;
}

export function codeStamp(root: string): CodeStamp {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const changes = git('status', '--porcelain', '--', '.', ':(exclude)bench/results', ':(exclude)docs/bench');
    return { commit, dirty: changes !== '' };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

/** How a stamp reads in markdown: the commit, flagged when the tree had uncommitted changes. */
export function stampLabel(stamp: CodeStamp): string {
  return stamp.dirty ? `${stamp.commit} (dirty tree)` : stamp.commit;
}

/**
 * The machine a bench ran on: its cores and CPU model, and the load average when the bench started
 * and ended, since other work on the same cores inflates CPU and wall times. run.ts adds it to every
 * bench's JSON that lacks one; a bench whose prose describes the machine takes it itself and renders
 * that prose with machineLabel, so the words come from the figures.
 */
export interface MachineStamp {
  /** Logical cores (os.cpus().length). */
  cores: number;
  /** The first core's model string, as the OS reports it. */
  cpuModel: string;
  /** os.loadavg() (1, 5, 15 minutes) at the bench's start and at its end. */
  loadAtStart: number[];
  loadAtEnd: number[];
}

export function machineStamp(context: Pick<BenchContext, 'loadAtStart'>): MachineStamp {
  const cores = cpus();
  return { cores: cores.length, cpuModel: cores[0]?.model.trim() ?? 'unknown', loadAtStart: context.loadAtStart, loadAtEnd: loadavg() };
}

/** How a machine stamp reads in markdown: "2 cores (model), 1-minute load average 1.9 at the start, 2.4 at the end". */
export function machineLabel(machine: MachineStamp): string {
  const load = (sample: number[]) => (sample[0] ?? 0).toFixed(1);
  return `${machine.cores} ${machine.cores === 1 ? 'core' : 'cores'} (${machine.cpuModel}), 1-minute load average ` +
    `${load(machine.loadAtStart)} at the start, ${load(machine.loadAtEnd)} at the end`;
}
