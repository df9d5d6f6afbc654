// SCAN directory figures on the real simulated overlay (not keys on a sorted ring): ASCII keys (the
// paper) against frequency keys (ours), both on ONE overlay of N PastryNodes (each mapping is its
// own application on every node), with faker users publishing name + city through the nodes.
// Per mapping: overlay hops and frames per query, nodes a prefix walk visits, recall before and
// after 10% of the nodes crash silently (90 s of repair), and records stored per node.
//
//   npm run bench -- --only scan [--nodes 10000] [--users 5000] [--queries 300] [--seed 1]
//                    [--signalling direct|overlay] [--concurrency 100]
//
// Signalling is direct (one round trip per link, no overlay frames) by default, for time at 10,000
// nodes; the JSON and the markdown say which. Frames per query are counted on the simulated wire
// (tests/sim/scan-world.ts): the query's own frames only, the routed request, the walk's relays and
// every reply hop back. Records per node are counted in the nodes' stores (root and replica copies).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASCII_MAPPING, FREQUENCY_MAPPING, type KeyMapping } from '../src/scan/keys.js';
import type { SearchResult } from '../src/scan/search.js';
import { summarize, type Summary } from '../src/sim/report.js';
import { barChartSvg } from '../src/sim/svg.js';
import { stampLabel, type BenchModule } from './bench-module.js';
import { FAKER_LOCALES, normalizedPrefix, ScanWorld, type ScanUser } from '../tests/sim/scan-world.js';

const MAPPINGS = [ASCII_MAPPING, FREQUENCY_MAPPING];
/** Upper bounds of the records-per-node buckets of the chart (the last bucket is open). */
const BUCKETS = [0, 10, 25, 50, 100, 200, 500, 1_000, 2_000];

interface QueryFigures {
  queries: number;
  found: number;
  recallPct: number;
  complete: number;
  /** Per query word: overlay hops to the first node of its walk. */
  routeHops: Summary;
  /** Per query word: nodes its walk visited. */
  walkNodes: Summary;
  /** Per query (all its words): frames of request, relays and replies. */
  frames: Summary;
  meanHits: number;
}

interface MappingFigures {
  mapping: string;
  exact: QueryFigures;
  surnamePrefix: QueryFigures;
  afterFailures: QueryFigures;
  /** Stored entries (root and replica copies) per live node, before failures. */
  recordsPerNode: Summary & { maxOverMean: number; nodesHoldingAnyPct: number; histogram: { bucket: string; nodesPct: number }[] };
}

interface ScanBenchResults {
  commit: string;
  /** The work tree differed from `commit` when the run started (see bench-module.ts). */
  dirty: boolean;
  nodes: number;
  /** The nodes' own configuration (OverlayConfig.bitsPerDigit, leafSetSize). */
  b: number;
  leafSet: number;
  users: number;
  locales: number;
  seed: number;
  signalling: string;
  replicas: number;
  crashed: number;
  buildS: number;
  totalS: number;
  date: string;
  mappings: MappingFigures[];
}

export const bench: BenchModule = {
  name: 'scan',
  async run(context) {
    const nodes = Number(context.args.get('nodes') ?? 10_000);
    const users = Number(context.args.get('users') ?? 5_000);
    const queries = Number(context.args.get('queries') ?? 300);
    const seed = Number(context.args.get('seed') ?? 1);
    const signalling = (context.args.get('signalling') ?? 'direct') as 'direct' | 'overlay';
    const concurrency = Number(context.args.get('concurrency') ?? 100);
    const started = performance.now();
    const seconds = () => Math.round((performance.now() - started) / 100) / 10;
    let buildS = 0;

    const world = await ScanWorld.create({
      seed, nodes, users, mappings: MAPPINGS, concurrency, signalling,
      onProgress: (stage) => {
        if (stage.startsWith('built')) buildS = seconds();
        console.log(`scan bench: ${stage} (${seconds()} s)`);
      },
    });
    const step = Math.max(1, Math.floor(world.users.length / queries));
    const sample = (offset: number) => Array.from({ length: Math.min(queries, world.users.length) }, (_, i) => world.users[(offset + i * step) % world.users.length]);

    const figures = new Map<string, Partial<MappingFigures>>(MAPPINGS.map((m) => [m.name, { mapping: m.name, recordsPerNode: recordsPerNode(world, m) }]));
    for (const mapping of MAPPINGS) {
      const entry = figures.get(mapping.name)!;
      entry.exact = await measureQueries(world, mapping, sample(0), (user) => user.name);
      entry.surnamePrefix = await measureQueries(world, mapping, sample(1), (user) => normalizedPrefix(user.surname, 3));
      console.log(`scan bench: ${mapping.name} searches done (${seconds()} s)`);
    }
    const crashed = world.crash(0.1).size;
    await world.sim.settle(90_000);
    console.log(`scan bench: ${crashed} nodes crashed, 90 s of repair (${seconds()} s)`);
    for (const mapping of MAPPINGS) {
      figures.get(mapping.name)!.afterFailures = await measureQueries(world, mapping, sample(2), (user) => user.name);
    }

    const results: ScanBenchResults = {
      commit: context.stamp.commit, dirty: context.stamp.dirty,
      nodes, users, seed, signalling,
      b: world.sim.liveNodes()[0].config.bitsPerDigit, leafSet: world.sim.liveNodes()[0].config.leafSetSize,
      locales: FAKER_LOCALES.length,
      replicas: world.liveDirectories(FREQUENCY_MAPPING)[0].config.replicas,
      crashed, buildS, totalS: seconds(), date: context.date,
      mappings: MAPPINGS.map((m) => figures.get(m.name) as MappingFigures),
    };
    writeFileSync(join(context.resultsDir, 'scan.json'), JSON.stringify(results, null, 2) + '\n');
    for (const m of results.mappings) {
      writeFileSync(
        join(context.docsDir, `scan-records-${m.mapping}.svg`),
        barChartSvg({
          title: `Records per node, ${m.mapping} keys (${nodes.toLocaleString('en-US')} nodes, ${users.toLocaleString('en-US')} users)`,
          xLabel: 'records stored (root + replica copies)',
          yLabel: '% of nodes',
          bars: m.recordsPerNode.histogram.map((b) => ({ label: b.bucket, value: b.nodesPct })),
        }),
      );
    }
    return markdown(results);
  },
};

async function measureQueries(world: ScanWorld, mapping: KeyMapping, users: ScanUser[], text: (user: ScanUser) => string): Promise<QueryFigures> {
  const live = world.liveDirectories(mapping);
  // One origin per query, so walks can be told apart by origin and prefix.
  const queries = users.map((user, i) => ({ from: live[(i * 7919) % live.length], text: text(user) }));
  const { result, walks, frames } = await world.traceWalks(() => world.searchAll(queries));
  const found = users.filter((user, i) => result[i].hits.some((hit) => hit.uid === user.identity.id)).length;
  const perQueryFrames = queries.map((q) => frames.get(q.from.localId) ?? 0);
  const allWalks = [...walks.values()].flat();
  return {
    queries: users.length,
    found,
    recallPct: round((100 * found) / users.length),
    complete: result.filter((r: SearchResult) => r.complete).length,
    routeHops: summarize(allWalks.map((w) => w.routeHops)),
    walkNodes: summarize(allWalks.map((w) => w.nodes)),
    frames: summarize(perQueryFrames),
    meanHits: round(result.reduce((sum, r) => sum + r.hits.length, 0) / result.length),
  };
}

function recordsPerNode(world: ScanWorld, mapping: KeyMapping): MappingFigures['recordsPerNode'] {
  const counts = world.liveDirectories(mapping).map((d) => d.storeCounts().entries);
  const histogram = BUCKETS.map((upper, i) => {
    const lower = i === 0 ? 0 : BUCKETS[i - 1] + 1;
    const inBucket = counts.filter((c) => c >= lower && c <= upper).length;
    return { bucket: i === 0 ? '0' : `${lower}-${upper}`, nodesPct: round((100 * inBucket) / counts.length) };
  });
  const top = BUCKETS[BUCKETS.length - 1];
  histogram.push({ bucket: `>${top}`, nodesPct: round((100 * counts.filter((c) => c > top).length) / counts.length) });
  const d = summarize(counts);
  return { ...d, maxOverMean: round(d.max / d.mean), nodesHoldingAnyPct: round((100 * counts.filter((c) => c > 0).length) / counts.length), histogram };
}

const round = (x: number) => Math.round(x * 100) / 100;

function markdown(r: ScanBenchResults): string {
  const lines = [
    '## SCAN directory: ASCII keys vs frequency keys on the simulated overlay',
    '',
    `${r.nodes.toLocaleString('en-US')} PastryNodes (b = ${r.b}, L = ${r.leafSet}, ${r.signalling} signalling), ${r.users.toLocaleString('en-US')} faker users ` +
      `(name + city, ${r.locales} faker locales) publishing through the nodes, k = ${r.replicas} replicas, seed ${r.seed}. Both mappings run on the same overlay. ` +
      `Queries: exact full names and the first 3 letters of surnames, ${r.mappings[0].exact.queries} each; after failures: ${r.crashed} nodes ` +
      `(10%) crashed silently, 90 s of repair, then exact names again. Frames per query: the routed request, the walk's relays and every ` +
      `reply hop back, all words of the query, counted on the simulated wire. Commit ${stampLabel(r)}, ${r.date.slice(0, 10)}. ` +
      `Build ${r.buildS} s, whole run ${r.totalS} s. ` +
      'Charts: docs/bench/scan-records-ascii.svg, docs/bench/scan-records-frequency.svg.',
    '',
    '| mapping | query | recall | route hops mean / p99 | walk nodes mean / max | frames per query mean / p99 | hits mean |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const m of r.mappings) {
    for (const [label, q] of [['exact name', m.exact], ['surname prefix (3)', m.surnamePrefix], ['exact, after 10% failures', m.afterFailures]] as const) {
      lines.push(
        `| ${m.mapping} | ${label} | ${q.recallPct}% | ${q.routeHops.mean.toFixed(2)} / ${q.routeHops.p99} | ${q.walkNodes.mean.toFixed(2)} / ${q.walkNodes.max} | ` +
          `${q.frames.mean.toFixed(1)} / ${q.frames.p99} | ${q.meanHits.toFixed(1)} |`,
      );
    }
  }
  lines.push('', '| mapping | records per node mean | p50 | p99 | max | max / mean | nodes holding any |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const m of r.mappings) {
    const d = m.recordsPerNode;
    lines.push(`| ${m.mapping} | ${d.mean.toFixed(1)} | ${d.p50} | ${d.p99} | ${d.max} | ${d.maxOverMean} | ${d.nodesHoldingAnyPct}% |`);
  }
  return lines.join('\n');
}
