// What bench/run.ts expects of a benchmark: a module named `<name>.bench.ts` in bench/ that exports
// `bench`. It measures, writes its own bench/results/<name>.json (and any chart under docs/bench/),
// and returns a markdown section; run.ts saves it as bench/results/<name>.md and stitches every
// section into bench/results/README.md. Figures, never pass/fail: a bench fails only if it crashes.

import { execFileSync } from 'node:child_process';

export interface BenchContext {
  /** Repository root (absolute). */
  root: string;
  /** bench/results (absolute), where JSON and markdown go. */
  resultsDir: string;
  /** docs/bench (absolute), where SVG charts go. */
  docsDir: string;
  /** Command-line flags after `npm run bench --`, as --name value (a bare --flag maps to 'true'). */
  args: Map<string, string>;
}

export interface BenchModule {
  /** Short name: results are bench/results/<name>.json and <name>.md. */
  name: string;
  /** Runs the benchmark and returns its markdown section (starting with a "## " heading). */
  run(context: BenchContext): Promise<string>;
}

/** The commit a figure was measured at, "+wip" when the work tree had changes. */
export function gitCommit(root: string): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty=+wip'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
