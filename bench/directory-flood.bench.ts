// The directory flood of issue 14, before and after its bounds: a hostile peer signs throwaway
// records (one fresh identity each, 16 keywords each, all aimed at one victim) and routes one store
// frame per keyword to the victim. Then a real user publishes through the victim, and the flood
// goes on. Per mode: the victim's CPU seconds spent verifying signatures (timed around each real
// check) and in all (process CPU while it handled the frames), heap growth, entries held, and
// whether the real user's record is stored at once and still held after more flood.
//
//   npm run bench -- --only directory-flood [--records 3125] [--more 300] [--seed 1] [--modes off,on]
//
// "off" is the directory with UNBOUNDED_SCAN_LIMITS (src/scan/config.ts, bench and test only): no
// budgets, no memo, no quotas, and a full store refuses new owners, as the code before issue 14.
// Two pacings: one record (16 frames) every 100 ms of virtual time, and the whole flood at once.
// The victim is a one-node ring (the fake ring of src/scan/testing): every key is its own, so every
// frame reaches it, as an attacker aiming at one victim's arc would arrange.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity, verifySignature } from '../src/overlay/identity.js';
import { DEFAULT_SCAN_CONFIG, UNBOUNDED_SCAN_LIMITS, type ScanConfig } from '../src/scan/config.js';
import type { SignatureVerifier, SignedRecord } from '../src/scan/records.js';
import { storeFrames, throwawayRecords } from '../src/scan/testing/flood.js';
import { scanRing } from '../src/scan/testing/scan-ring.js';
import { SeededRandom } from '../src/sim/seeded-random.js';
import { machineLabel, machineStamp, stampLabel, type BenchModule } from './bench-module.js';

const HOUR = 60 * 60_000;

interface RunFigures {
  mode: 'on' | 'off';
  pacing: 'paced' | 'burst';
  frames: number;
  checks: number;
  verifyCpuS: number;
  handlingCpuS: number;
  heapGrowthMb: number;
  entries: number;
  realAcceptedAtOnce: boolean;
  realHeldAfterMore: boolean;
  counters: Record<string, number>;
}

/** A verifier that counts real checks and the process CPU time they take (wall time would count the other agents' load). */
function timedVerifier(): SignatureVerifier & { calls: number; ms: number } {
  const timed = ((publicKey, message, signature) => {
    const started = process.cpuUsage();
    try {
      return verifySignature(publicKey, message, signature);
    } finally {
      const used = process.cpuUsage(started);
      timed.ms += (used.user + used.system) / 1_000;
      timed.calls++;
    }
  }) as SignatureVerifier & { calls: number; ms: number };
  timed.calls = 0;
  timed.ms = 0;
  return timed;
}

const heapMb = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

async function run(mode: 'on' | 'off', pacing: 'paced' | 'burst', flood: SignedRecord[], more: SignedRecord[], seed: number): Promise<RunFigures> {
  const verify = timedVerifier();
  const config: Partial<ScanConfig> = mode === 'on' ? {} : UNBOUNDED_SCAN_LIMITS;
  const setup = scanRing(1, { seed, verify, config });
  const victim = [...setup.directories.values()][0];
  const mallory = generateIdentity(new SeededRandom(seed + 1)).id;
  const heapBefore = heapMb();
  let cpuMicros = 0;
  let frames = 0;
  const send = async (records: SignedRecord[]) => {
    for (const record of records) {
      const started = process.cpuUsage();
      for (const frame of storeFrames(record, victim.mapping)) {
        victim.deliver({ key: frame.key, origin: mallory, hops: 3, body: frame.body });
        frames++;
      }
      const used = process.cpuUsage(started);
      cpuMicros += used.user + used.system;
      if (pacing === 'paced') await setup.clock.advance(100);
    }
  };
  await send(flood);
  const entries = victim.storeCounts().entries;
  const heapGrowthMb = heapMb() - heapBefore;
  // The real user publishes a second after the flood (a burst has spent the new-owner budget; it
  // refills at newOwnerVerifyPerSecond).
  await setup.clock.advance(1_000);
  const asa = generateIdentity(new SeededRandom(seed + 2));
  const record = victim.publisherFor(asa).publish({ name: 'Åsa Nordström', city: 'Uppsala' });
  await setup.clock.advance(50);
  const holdsAll = () => record.keywords.every((keyword) => victim.holds(asa.id, keyword));
  const realAcceptedAtOnce = holdsAll();
  await send(more);
  await setup.clock.advance(50);
  const figures: RunFigures = {
    mode, pacing, frames, checks: verify.calls, verifyCpuS: verify.ms / 1_000, handlingCpuS: cpuMicros / 1e6,
    heapGrowthMb, entries, realAcceptedAtOnce, realHeldAfterMore: holdsAll(), counters: { ...victim.counters },
  };
  victim.stop();
  return figures;
}

export const bench: BenchModule = {
  name: 'directory-flood',
  async run(context) {
    const records = Number(context.args.get('records') ?? 3_125);
    const moreCount = Number(context.args.get('more') ?? 300);
    const seed = Number(context.args.get('seed') ?? 1);
    const attacker = new SeededRandom(seed * 7919);
    const signStarted = performance.now();
    const flood = throwawayRecords(attacker, records, { expiresAt: 20 * HOUR });
    const attackerSignS = (performance.now() - signStarted) / 1_000;
    const more = throwawayRecords(attacker, moreCount, { expiresAt: 20 * HOUR });
    const runs: RunFigures[] = [];
    for (const pacing of ['paced', 'burst'] as const) {
      for (const mode of (context.args.get('modes') ?? 'off,on').split(',') as ('off' | 'on')[]) {
        console.log(`directory-flood: ${mode}, ${pacing}`);
        runs.push(await run(mode, pacing, flood, more, seed));
      }
    }
    const results = {
      commit: context.stamp.commit, dirty: context.stamp.dirty, date: context.date, machine: machineStamp(context), seed, records, more: moreCount,
      keywordsPerRecord: flood[0].keywords.length, attackerSignS, maxEntries: DEFAULT_SCAN_CONFIG.maxEntries,
      gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function', runs,
    };
    const json = JSON.stringify(results, null, 2) + '\n';
    writeFileSync(join(context.resultsDir, 'directory-flood.json'), json);
    writeFileSync(join(context.docsDir, 'directory-flood.json'), json);
    const markdown = [
      '## Directory flood (issue 14)',
      '',
      `Code ${stampLabel(context.stamp)}, ${context.date}, seed ${seed}. ${records.toLocaleString('en')} throwaway records of ` +
        `${results.keywordsPerRecord} keywords (${attackerSignS.toFixed(1)} s for the attacker to make), one store frame per ` +
        `keyword to one victim (store of ${results.maxEntries.toLocaleString('en')} entries); then a real user publishes (1 s later), then ` +
        `${moreCount} more records. "off": UNBOUNDED_SCAN_LIMITS (the old directory). Paced: a record every 100 ms of virtual ` +
        `time; burst: all at once. CPU is this process's (${machineLabel(results.machine)}: absolute figures vary with load)` +
        `${results.gcExposed ? '' : '; heap without a forced GC, so growth is approximate'}.`,
      '',
      '| bounds | pacing | frames | signature checks | verify CPU s | handling CPU s | heap growth MB | entries held | real user stored | still held after more |',
      '|---|---|---:|---:|---:|---:|---:|---:|---|---|',
      ...runs.map((r) =>
        `| ${r.mode} | ${r.pacing} | ${r.frames.toLocaleString('en')} | ${r.checks.toLocaleString('en')} | ${r.verifyCpuS.toFixed(1)} | ` +
        `${r.handlingCpuS.toFixed(1)} | ${r.heapGrowthMb.toFixed(0)} | ${r.entries.toLocaleString('en')} | ${r.realAcceptedAtOnce ? 'yes' : 'no'} | ` +
        `${r.realHeldAfterMore ? 'yes' : 'no'} |`,
      ),
    ].join('\n');
    writeFileSync(join(context.docsDir, 'directory-flood.md'), markdown + '\n');
    return markdown;
  },
};
