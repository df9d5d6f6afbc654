// Mail for the offline on the simulator (tests/sim/mail-scenario.ts, virtual time): pairs whose
// sender writes to an offline recipient and leaves, 20% of the storing nodes crash (as many join),
// then the recipients come back. Each size runs once per seed (a loss is rare: one seed alone says
// little), then all seeds together. Reported per run: how long after a recipient's node starts its
// join its last message is shown (mean / p50 / p99 / max; the scenario advances virtual time in
// 500 ms slices, so that is the resolution), the bytes and items each node's mailbox held at its
// highest (mean over the nodes that held any / max), and how many messages were shown once, in order.
//
//   npm run bench -- --only mailbox [--mailbox-sizes 1000:200:3,2000:400:5] [--mailbox-seeds 42,43,44]
//   (sizes are nodes:pairs:messages)

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, round } from '../src/sim/report.js';
import { DEFAULT_MAILBOX_CONFIG } from '../src/im/config.js';
import { runMailScenario, type MailScenarioResult } from '../tests/sim/mail-scenario.js';
import { stampLabel, type BenchModule } from './bench-module.js';

interface SizeResult {
  /** The scenario's seed; 'all' for the row over every seed of this size. */
  seed: number | 'all';
  nodes: number;
  pairs: number;
  messagesPerPair: number;
  churn: number;
  shownOnce: number;
  sent: number;
  deliveryMs: { mean: number; p50: number; p99: number; max: number };
  bytesPerNode: { mean: number; max: number };
  itemsPerNode: { mean: number; max: number };
  storingNodes: number;
  crashedHolders: number;
  outboxesEmptied: number;
  wallSeconds: number;
  counters: Record<string, number>;
}

interface MailboxResults {
  commit: string;
  date: string;
  holders: number;
  ttlDays: number;
  sizes: SizeResult[];
}

export const bench: BenchModule = {
  name: 'mailbox',
  async run(context) {
    const sizes = (context.args.get('mailbox-sizes') ?? '1000:200:3').split(',').map((s) => s.split(':').map(Number));
    const seeds = (context.args.get('mailbox-seeds') ?? '42,43,44').split(',').map(Number);
    const results: MailboxResults = {
      commit: stampLabel(context.stamp), date: context.date,
      holders: DEFAULT_MAILBOX_CONFIG.holders, ttlDays: DEFAULT_MAILBOX_CONFIG.ttlMs / 86_400_000, sizes: [],
    };
    for (const [nodes, pairs, messages] of sizes) {
      const runs: SizeRun[] = [];
      for (const seed of seeds) {
        const started = performance.now();
        const run = { seed, wallSeconds: 0, result: await runMailScenario({ seed, nodes, pairs, messages, churn: 0.2 }) };
        run.wallSeconds = round((performance.now() - started) / 1000, 0);
        runs.push(run);
        results.sizes.push(summarise(nodes, pairs, messages, [run]));
        console.log(`mailbox bench: ${nodes} nodes, seed ${seed}: ${run.result.shownOnce}/${run.result.sent} in ${run.wallSeconds} s`);
        // Written after every run: the larger ones take long, and a cut-short run keeps what it measured.
        save(context.resultsDir, context.docsDir, results);
      }
      if (runs.length > 1) results.sizes.push(summarise(nodes, pairs, messages, runs));
      save(context.resultsDir, context.docsDir, results);
    }
    return markdown(results);
  },
};

interface SizeRun {
  seed: number;
  wallSeconds: number;
  result: MailScenarioResult;
}

/** One row: a run, or several runs of one size pooled (every message and every node counted once). */
function summarise(nodes: number, pairs: number, messages: number, runs: readonly SizeRun[]): SizeResult {
  const all = runs.map((run) => run.result);
  const sum = (f: (r: MailScenarioResult) => number) => all.reduce((total, r) => total + f(r), 0);
  const delivery = all.flatMap((r) => r.deliveryMs).sort((a, b) => a - b);
  const stored = all.flatMap((r) => r.bytesPerNode).filter((b) => b > 0);
  const items = all.flatMap((r) => r.itemsPerNode).filter((n) => n > 0);
  const counters: Record<string, number> = {};
  for (const r of all) for (const [label, n] of Object.entries(r.counters)) counters[label] = (counters[label] ?? 0) + n;
  return {
    seed: runs.length === 1 ? runs[0].seed : 'all', nodes, pairs: pairs * runs.length, messagesPerPair: messages, churn: 0.2,
    shownOnce: sum((r) => r.shownOnce), sent: sum((r) => r.sent),
    deliveryMs: { mean: round(mean(delivery), 0), p50: round(percentile(delivery, 50), 0), p99: round(percentile(delivery, 99), 0), max: round(delivery[delivery.length - 1] ?? 0, 0) },
    bytesPerNode: { mean: round(mean(stored), 0), max: Math.max(0, ...stored) },
    itemsPerNode: { mean: round(mean(items), 1), max: Math.max(0, ...items) },
    storingNodes: sum((r) => r.storingNodes), crashedHolders: sum((r) => r.crashedHolders), outboxesEmptied: sum((r) => r.outboxesEmptied),
    wallSeconds: runs.reduce((total, run) => total + run.wallSeconds, 0), counters,
  };
}

function save(resultsDir: string, docsDir: string, results: MailboxResults): void {
  const json = JSON.stringify(results, null, 2) + '\n';
  const md = markdown(results).trimEnd() + '\n';
  writeFileSync(join(resultsDir, 'mailbox.json'), json);
  writeFileSync(join(resultsDir, 'mailbox.md'), md);
  writeFileSync(join(docsDir, 'mailbox.json'), json);
  writeFileSync(join(docsDir, 'mailbox.md'), md);
}

const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

function markdown(results: MailboxResults): string {
  const rows = results.sizes.map((s) =>
    `| ${s.seed} | ${s.nodes} | ${s.pairs} x ${s.messagesPerPair} | ${s.crashedHolders} of ${s.storingNodes} | ${s.shownOnce}/${s.sent} (${round((100 * s.shownOnce) / Math.max(1, s.sent), 2)}%) | ` +
    `${s.deliveryMs.mean} / ${s.deliveryMs.p50} / ${s.deliveryMs.p99} / ${s.deliveryMs.max} | ` +
    `${s.bytesPerNode.mean} / ${s.bytesPerNode.max} | ${s.itemsPerNode.mean} / ${s.itemsPerNode.max} | ${s.outboxesEmptied}/${s.pairs} | ${s.wallSeconds} |`);
  return [
    '## Mail for the offline (simulator, virtual time)',
    '',
    `Commit ${results.commit}, ${results.date}. ${results.holders} holders per uid, TTL ${results.ttlDays} days. Each sender writes to its`,
    'offline buddy and leaves; 20% of the nodes holding mail then crash in two waves a minute apart (as',
    'many fresh nodes join); then every recipient returns. Delivery = from the recipient\'s node starting',
    'its join to its last message shown (500 ms resolution). Bytes / items = the most one node\'s mailbox',
    'held at once, mean over the nodes that held any / max. Outboxes emptied = senders that came back',
    'after their recipient left again and got its receipt from their own mailbox. Seed "all" = the runs',
    'above pooled (each message, delivery and node counted once).',
    '',
    '| seed | nodes | pairs x messages | holders crashed | shown once, in order | delivery ms mean / p50 / p99 / max | bytes per node mean / max | items per node mean / max | outboxes emptied | wall s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
