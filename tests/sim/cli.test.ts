// The simulator CLI as the team's contract (docs/DESIGN.md, "Contracts"): a run is a pure function of its
// seed apart from wall-clock fields, the JSON carries every promised field, the hop histogram is an SVG.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, WALL_CLOCK_FIELDS } from '../../src/sim/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dima-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(name: string, extra: string[] = []) {
  const out = join(dir, `${name}.json`);
  const result = await main(['--nodes', '200', '--seed', '7', '--lookups', '500', '--out', out, '--quiet', ...extra]);
  return { ...result, json: JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown> };
}

function withoutWallClock(report: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...report };
  for (const field of WALL_CLOCK_FIELDS) delete copy[field];
  return copy;
}

describe('npm run sim', () => {
  it('gives the same JSON for the same seed, except wall-clock fields', async () => {
    const first = await run('first');
    const second = await run('second');
    expect(withoutWallClock(second.json)).toEqual(withoutWallClock(first.json));
    expect(first.json.buildMs).toBeGreaterThan(0);
  });

  it('writes every field the contract promises', async () => {
    const { json } = await run('fields');
    for (const field of ['nodes', 'seed', 'b', 'leafSet', 'lookups', 'delivered', 'correct', 'buildMs', 'heapMB', 'signalling']) {
      expect(json, field).toHaveProperty(field);
    }
    for (const field of ['mean', 'p50', 'p99', 'max']) expect(json.hops, `hops.${field}`).toHaveProperty(field);
    expect(json.stretch).toHaveProperty('mean');
    expect(json.linksPerNode).toHaveProperty('mean');
    expect(json.linksPerNode).toHaveProperty('max');
    expect(json.joinMessages).toHaveProperty('mean');
    expect(json).toMatchObject({ nodes: 200, seed: 7, lookups: 500 });
    // `leafSet` must be the size the nodes' leaf sets really reached (200 nodes fill every one).
    // `b` is not checked by value: cli.ts reads it from the nodes' config and nothing in the report
    // measures it.
    expect(json.leafSetPerNode).toMatchObject({ mean: json.leafSet, max: json.leafSet });
    // Figures, not pass/fail thresholds: only what any working overlay of 200 nodes must show.
    expect(json).toMatchObject({ delivered: 500, correct: 500, correctPct: 100 });
    expect((json.hops as { max: number }).max).toBeLessThanOrEqual(6);
  });

  it('draws the hop histogram as a well-formed SVG beside the JSON', async () => {
    const { svg } = await run('chart');
    expect(svg).toBe(join(dir, 'chart-hops.svg'));
    const text = readFileSync(svg!, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text.trimEnd().endsWith('</svg>')).toBe(true);
    expect(text.match(/<rect class="bar"/g)?.length ?? 0).toBeGreaterThan(1);
    // Every opened element is closed (or self-closing): a cheap well-formedness check without a parser.
    const opened = text.match(/<[a-z]+[\s>][^>]*?(?<!\/)>/g)?.length ?? 0;
    const closed = text.match(/<\/[a-z]+>/g)?.length ?? 0;
    expect(closed).toBe(opened);
  });

  it('reports correctness after silent failures and repair with --fail', async () => {
    const { json } = await run('fail', ['--nodes', '100', '--fail', '0.2', '--settle', '180000']);
    expect(json.maintenance).toBe(true);
    expect(json.failure).toMatchObject({ fraction: 0.2, crashed: 20, liveNodes: 80, lookups: 500 });
    // 180 s of virtual repair is far beyond the 15 s failure timeout: every lookup among the 80
    // survivors reaches the numerically closest live node (seeded: the same 500 every run).
    expect(json.failure).toMatchObject({ delivered: 500, correct: 500, correctPct: 100 });
    expect((json.failure as { hops: { max: number } }).hops.max).toBeLessThanOrEqual(6);
  });
});
