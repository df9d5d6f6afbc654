// One run of bench/hostile.bench.ts, in its own process (so the RSS it starts from and the CPU it
// burns belong to this ring alone): a ring of 7 honest Node peers and one hostile over real WebRTC
// (tests/integration/hostile-ring.ts), the defences on or off, every attack in turn, each followed by
// the health checks. Writes the figures as JSON to --out.
//
//   tsx bench/hostile-run.ts --defences on|off --out <file> [--quick]

import { writeFileSync } from 'node:fs';
import {
  DEFENCES_OFF, forgedRecordsAttack, garbageAttack, honestLeafSetsWrong, joinFloodAttack, memoryMark, nodesFrameAttack, preAuthAttack, ringHealth,
  signalFloodAttack, startBlackHole, startHostileRing, stopHostileRing, type Health, type HostileRing,
} from '../tests/integration/hostile-ring.js';

export interface AttackFigures extends Health {
  attack: string;
  /** Process CPU (user + system) from the attack's start until its checks were done: the whole ring's. */
  cpuS: number;
  wallS: number;
  /** Highest RSS seen during the attack and its checks, above the RSS before it. */
  peakRssGrowthMb: number;
  /** Most honest leaf sets seen not exact (or not linked) at once, sampled every 250 ms during the attack and its checks. */
  leafSetsWrongMax: number;
  /** What the attack itself saw (frames sent, connections the victim constructed, ...). */
  seen: Record<string, unknown>;
  error?: string;
}

export interface HostileRun {
  defences: 'on' | 'off';
  startRssMb: number;
  attacks: AttackFigures[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The attacks in the order they run; `quick` keeps only the test's sizes. */
function attacks(quick: boolean): { name: string; run: (ring: HostileRing) => Promise<{ seen: Record<string, unknown>; undo?: () => void }> }[] {
  const list = [
    { name: 'no attack (10 s idle)', run: async () => (await sleep(10_000), { seen: {} }) },
    { name: '2,000 garbage frames (authenticated link)', run: async (r: HostileRing) => ({ seen: await garbageAttack(r) }) },
    { name: 'garbage before link auth + spoofed id', run: async (r: HostileRing) => ({ seen: await preAuthAttack(r) }) },
    { name: 'nodes frame, 300 fake ids', run: async (r: HostileRing) => ({ seen: await nodesFrameAttack(r) }) },
    { name: '5,000 routed SIGNAL offers in 10 s', run: async (r: HostileRing) => ({ seen: await signalFloodAttack(r) }) },
    { name: '20,000 routed SIGNAL offers in 20 s', run: async (r: HostileRing) => ({ seen: await signalFloodAttack(r, 20_000, 1_000) }), large: true },
    { name: '5,000 JOINs in 10 s', run: async (r: HostileRing) => ({ seen: await joinFloodAttack(r) }) },
    { name: '20,000 JOINs in 20 s', run: async (r: HostileRing) => ({ seen: await joinFloodAttack(r, 20_000, 1_000) }), large: true },
    { name: '1,000 forged directory records', run: async (r: HostileRing) => ({ seen: await forgedRecordsAttack(r) }) },
    { name: '5,000 forged directory records', run: async (r: HostileRing) => ({ seen: await forgedRecordsAttack(r, 5_000) }), large: true },
    { name: 'black hole (acks and drops)', run: async (r: HostileRing) => ({ seen: {}, undo: startBlackHole(r) }) },
  ];
  return list.filter((a) => !quick || !('large' in a));
}

async function runOne(ring: HostileRing, attack: ReturnType<typeof attacks>[number]): Promise<AttackFigures> {
  const before = memoryMark();
  let peak = before.rss;
  let leafSetsWrongMax = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss, before.rss + health.rssGrowthMb * 1024 * 1024);
    leafSetsWrongMax = Math.max(leafSetsWrongMax, honestLeafSetsWrong(ring).length);
  }, 250);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let seen: Record<string, unknown> = {};
  let error: string | undefined;
  let health: Health = { leafSetsExactMs: null, lookupsRight: 0, lookupsCounted: 0, chatShown: 0, rssGrowthMb: 0, heapGrowthMb: 0 };
  try {
    const done = await attack.run(ring);
    seen = done.seen;
    try {
      health = await ringHealth(ring, attack.name, before);
    } finally {
      done.undo?.();
    }
  } catch (e) {
    error = (e as Error).message;
    ring.log(`${attack.name}: ${error}`);
  }
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, before.rss + health.rssGrowthMb * 1024 * 1024);
  return {
    attack: attack.name, ...health, cpuS: (used.user + used.system) / 1e6, wallS: (performance.now() - t0) / 1000,
    peakRssGrowthMb: (peak - before.rss) / (1024 * 1024), leafSetsWrongMax, seen, ...(error ? { error } : {}),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => args[args.indexOf(`--${name}`) + 1];
  const defences = flag('defences') === 'off' ? 'off' : 'on';
  const out = flag('out');
  // With the defences off a dial may still be gathering ICE when its transport stops; that must
  // not end the run (it is reported, and the figures say what happened).
  process.on('unhandledRejection', (reason) => console.warn(`[hostile bench] unhandled rejection: ${String(reason)}`));
  const log = (line: string) => console.log(`  [${defences}] ${line}`);
  const ring = await startHostileRing({ config: defences === 'off' ? DEFENCES_OFF : {}, log });
  const run: HostileRun = { defences, startRssMb: process.memoryUsage().rss / (1024 * 1024), attacks: [] };
  try {
    for (const attack of attacks(args.includes('--quick'))) {
      log(`attack: ${attack.name}`);
      run.attacks.push(await runOne(ring, attack));
      writeFileSync(out, JSON.stringify(run, null, 2) + '\n'); // a run cut short keeps what it measured
    }
  } finally {
    await stopHostileRing(ring);
  }
  process.exit(0);
}

await main();
