// Records per node, ASCII keys (the paper) vs frequency keys (ours): N random node ids on the ring,
// faker users' profiles (name + city) turned into keyword keys, each key stored at its root
// (numerically closest node) and on the next k = 4 nodes. Keys alone: no overlay, no signatures.
//
//   npx tsx bench/scan-records-per-node.ts [--nodes 10000] [--users 5000] [--seed 1]
//
// Writes bench/results/scan-records-per-node.json and prints a markdown table. A figure, never pass/fail.

import { mkdirSync, writeFileSync } from 'node:fs';
import { fakerDE, fakerEN, fakerES, fakerFR, fakerIT, fakerPL, fakerSV, type Faker } from '@faker-js/faker';
import { bytesToId, idToBigInt, type NodeId } from '../src/overlay/id.js';
import { ASCII_MAPPING, FREQUENCY_MAPPING, type KeyMapping } from '../src/scan/keys.js';
import { deriveKeywords } from '../src/scan/records.js';
import { seededRandom } from '../src/scan/testing/seeded-random.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const NODES = Number(args.get('nodes') ?? 10_000);
const USERS = Number(args.get('users') ?? 5_000);
const SEED = Number(args.get('seed') ?? 1);
const REPLICAS = 4;
// Other locales than most of the frequency table's, and a different seed: the table is not tested on its own sample.
const LOCALES: Faker[] = [fakerEN, fakerSV, fakerDE, fakerFR, fakerES, fakerIT, fakerPL];

const random = seededRandom(SEED);
const ring = Array.from({ length: NODES }, () => idToBigInt(bytesToId(random.bytes(16)))).sort((a, b) => (a < b ? -1 : 1));

const users = Array.from({ length: USERS }, (_, i) => {
  const faker = LOCALES[i % LOCALES.length];
  faker.seed(SEED * 100_003 + i);
  return {
    uid: bytesToId(random.bytes(16)),
    keywords: deriveKeywords({ name: faker.person.fullName(), city: faker.location.city() }),
  };
});

/** Index in `ring` of the node numerically closest to `key` (ties: the smaller id, as isCloser). */
function rootIndex(key: bigint): number {
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ring[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  const above = lo % ring.length;
  const below = (lo - 1 + ring.length) % ring.length;
  const ringSize = 1n << 128n;
  const distance = (node: bigint) => {
    const d = (node - key + ringSize) % ringSize;
    return d > ringSize / 2n ? ringSize - d : d;
  };
  const da = distance(ring[above]);
  const db = distance(ring[below]);
  return da < db || (da === db && ring[above] < ring[below]) ? above : below;
}

function measure(mapping: KeyMapping) {
  const counts = new Array<number>(NODES).fill(0);
  let records = 0;
  for (const user of users) {
    for (const keyword of user.keywords) {
      const key = idToBigInt(mapping.keywordKey(keyword, user.uid as NodeId));
      const root = rootIndex(key);
      records++;
      // The k + 1 numerically closest nodes: the root and its nearest neighbours on both sides.
      let left = root - 1;
      let right = root + 1;
      counts[root]++;
      for (let copies = 1; copies <= REPLICAS; copies++) {
        const l = ring[(left + NODES) % NODES];
        const r = ring[right % NODES];
        const dl = (key - l + (1n << 128n)) % (1n << 128n);
        const dr = (r - key + (1n << 128n)) % (1n << 128n);
        if (dl <= dr) counts[(left-- + NODES) % NODES]++;
        else counts[right++ % NODES]++;
      }
    }
  }
  const sorted = [...counts].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = counts.reduce((s, c) => s + c, 0) / NODES;
  const nodesHolding = counts.filter((c) => c > 0).length;
  return {
    mapping: mapping.name,
    keywordRecords: records,
    storedCopies: records * (REPLICAS + 1),
    perNode: { mean: round(mean), p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] },
    maxOverMean: round(sorted[sorted.length - 1] / mean),
    nodesHoldingAny: nodesHolding,
    nodesHoldingAnyPct: round((100 * nodesHolding) / NODES),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
const started = performance.now();
const results = [measure(ASCII_MAPPING), measure(FREQUENCY_MAPPING)];
const output = { nodes: NODES, users: USERS, seed: SEED, replicas: REPLICAS, results, ms: Math.round(performance.now() - started) };

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/scan-records-per-node.json', JSON.stringify(output, null, 2) + '\n');
console.log(`records per node: ${NODES} nodes, ${USERS} users, k = ${REPLICAS}, seed ${SEED}\n`);
console.log('| mapping | records | mean | p50 | p99 | max | max/mean | nodes holding any |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.mapping} | ${r.storedCopies} | ${r.perNode.mean} | ${r.perNode.p50} | ${r.perNode.p99} | ${r.perNode.max} | ${r.maxOverMean} | ${r.nodesHoldingAny} (${r.nodesHoldingAnyPct}%) |`);
}
