// Figures of a simulator run: summary statistics (mean, p50, p99, max), route stretch, and the shape
// of the overlay (links per node, frames per join). Pure functions of the run: the same seed gives the
// same numbers, so a report can be diffed between runs and commits.

import type { LookupResult, Simulation } from './simulation.js';

export interface Summary {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LookupFigures {
  lookups: number;
  delivered: number;
  /** Delivered at the live node numerically closest to the key: the Pastry correctness criterion. */
  correct: number;
  correctPct: number;
  hops: Summary;
  /** Lookup latency over the one-way delay straight from origin to root (lookups with a distinct root). */
  stretch: Summary;
  latencyMs: Summary;
}

/** Rounds to `digits` decimals so reports stay readable (and diffable) without float noise. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { mean: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  let total = 0;
  for (const v of sorted) total += v;
  return {
    mean: round(total / sorted.length),
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
  };
}

/** Stretch of each delivered lookup whose root is not its origin (the Pastry paper's "relative distance"). */
function stretches(results: readonly LookupResult[]): number[] {
  const out: number[] = [];
  for (const r of results) {
    if (r.latencyMs !== undefined && r.directMs !== undefined && r.directMs > 0) out.push(r.latencyMs / r.directMs);
  }
  return out;
}

export function lookupFigures(results: readonly LookupResult[]): LookupFigures {
  const delivered = results.filter((r) => r.deliveredAt !== undefined);
  const correct = delivered.filter((r) => r.deliveredAt === r.expectedRoot).length;
  return {
    lookups: results.length,
    delivered: delivered.length,
    correct,
    correctPct: round(results.length === 0 ? 0 : (100 * correct) / results.length, 2),
    hops: summarize(delivered.map((r) => r.hops ?? 0)),
    stretch: summarize(stretches(results)),
    latencyMs: summarize(delivered.map((r) => r.latencyMs ?? 0)),
  };
}

/** How many delivered lookups took each number of hops: index = hops. */
export function hopHistogram(results: readonly LookupResult[]): number[] {
  const counts: number[] = [];
  for (const r of results) {
    if (r.hops === undefined) continue;
    while (counts.length <= r.hops) counts.push(0);
    counts[r.hops]++;
  }
  return counts;
}

export interface OverlayShape {
  liveNodes: number;
  linksPerNode: Summary;
  leafSetPerNode: Summary;
  routingEntriesPerNode: Summary;
  /** Frames on the wire during each join (network-wide, joins run one at a time). */
  joinMessages: Summary;
}

export function overlayShape(sim: Simulation): OverlayShape {
  const live = sim.liveNodes();
  return {
    liveNodes: live.length,
    linksPerNode: summarize(live.map((n) => n.links.size)),
    leafSetPerNode: summarize(live.map((n) => n.leafSet.members().length)),
    routingEntriesPerNode: summarize(live.map((n) => routingEntries(n.routingTable))),
    joinMessages: summarize(sim.joinFrames),
  };
}

function routingEntries(table: { rowCount: number; row(i: number): readonly unknown[] }): number {
  let total = 0;
  for (let i = 0; i < table.rowCount; i++) total += table.row(i).length;
  return total;
}
