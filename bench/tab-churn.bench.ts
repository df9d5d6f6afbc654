// A Chromium tab in a churning ring of headless Node peers, for 10 minutes (issue 12): what the tab
// constructs in RTCPeerConnections per minute of churn, what it still holds (closed ones count
// against Chromium's limit of 500 until garbage collected), and whether its routes stay correct.
//
//   npm run bench -- --only tab-churn [--tab-churn-minutes 10] [--tab-churn-no-build]
//
// The scenario is tests/e2e/tab-churn.ts, the same one tests/e2e/tab-churn.spec.ts runs for 3
// minutes; the tab gets no forced GC. The built app (vite build) is served by the bootstrap server.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { startServer } from '../signaling-bootstrap/server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/chromium.js';
import { CHURN_SHAPE, constructedPerMinute, runTabChurn, type ChurnResult } from '../tests/e2e/tab-churn.js';
import { stampLabel, type BenchContext, type BenchModule } from './bench-module.js';

const DEFAULT_MINUTES = 10;

interface TabChurnResults {
  /** Stamped before the run: what was measured, "+wip" when the work tree had changes. */
  commit: string;
  date: string;
  chromium: string;
  minutes: number;
  shape: typeof CHURN_SHAPE;
  tabJoinMs: number;
  constructedDuringJoin: number;
  constructedPerMinute: number;
  /** Held at the end, and the most held at any sample. */
  heldAtEnd: number;
  heldMax: number;
  limit: number;
  refused: number;
  closedAtEnd: number;
  routes: { sent: number; correct: number; errors: number };
  events: ChurnResult['events'];
  /** Per minute of churn: constructions in that minute, and held and links at its end. */
  perMinute: { minute: number; constructed: number; held: number; links: number }[];
  peerConnectionErrors: string[];
  timeline: ChurnResult['timeline'];
}

export const bench: BenchModule = {
  name: 'tab-churn',
  async run(context) {
    // Stamped by bench/run.ts before any bench ran.
    const commit = stampLabel(context.stamp);
    const minutes = Number(context.args.get('tab-churn-minutes') ?? DEFAULT_MINUTES);
    if (!context.args.has('tab-churn-no-build')) execFileSync('npx', ['vite', 'build'], { cwd: context.root, stdio: 'ignore', env: { ...process.env, VITE_DIMA_TEST_HANDLE: '1' } });
    const results = await measure(context, commit, minutes);
    writeFileSync(join(context.resultsDir, 'tab-churn.json'), JSON.stringify(results, null, 2) + '\n');
    return markdown(results);
  },
};

async function measure(context: BenchContext, commit: string, minutes: number): Promise<TabChurnResults> {
  const server = await startServer({ port: 0, distDir: join(context.root, 'dist') });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await (await browser.newContext({ baseURL: server.url })).newPage();
    const r = await runTabChurn(page, server.bootstrapUrl, minutes * 60_000, (line) => console.log(`tab-churn bench: ${line}`));
    return {
      commit,
      date: new Date().toISOString(),
      chromium: browser.version(),
      minutes,
      shape: CHURN_SHAPE,
      tabJoinMs: r.tabJoinMs,
      constructedDuringJoin: r.afterJoin.constructed,
      constructedPerMinute: Math.round(constructedPerMinute(r) * 10) / 10,
      heldAtEnd: r.atEnd.held,
      heldMax: Math.max(...r.timeline.map((s) => s.held)),
      limit: r.atEnd.limit,
      refused: r.atEnd.refused,
      closedAtEnd: r.atEnd.closed,
      routes: { sent: r.routes.sent, correct: r.routes.correct, errors: r.routes.errors },
      events: r.events,
      perMinute: perMinute(r),
      peerConnectionErrors: r.peerConnectionErrors,
      timeline: r.timeline,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The sample nearest each whole minute, differenced against the one before. */
function perMinute(r: ChurnResult): TabChurnResults['perMinute'] {
  const rows: TabChurnResults['perMinute'] = [];
  let previous = { constructed: r.afterJoin.constructed };
  for (let minute = 1; minute * 60_000 <= r.durationMs + CHURN_SHAPE.sampleEveryMs; minute++) {
    const at = r.timeline.reduce((best, s) => (Math.abs(s.atMs - minute * 60_000) < Math.abs(best.atMs - minute * 60_000) ? s : best));
    rows.push({ minute, constructed: at.constructed - previous.constructed, held: at.held, links: at.links });
    previous = at;
  }
  return rows;
}

function markdown(r: TabChurnResults): string {
  const pct = (100 * r.routes.correct) / Math.max(1, r.routes.sent);
  const lines = [
    `## Tab in churn: one Chromium tab, ${r.shape.peers} churning Node peers, ${r.minutes} minutes`,
    '',
    `Debian's Chromium ${r.chromium}, the built app with ?leafSetSize=${r.shape.leafSetSize}, joined to a ring of ` +
      `${r.shape.peers} headless Node peers (@roamhq/wrtc) on one host; every ${r.shape.eventEveryMs / 1000} s a peer leaves ` +
      `(graceful and silent in turn) or a new one joins. The tab routes one probe every ${r.shape.routeEveryMs / 1000} s to a random ` +
      `key; correct = the live node numerically closest to the key (membership when sent or when answered). No forced GC: ` +
      `held is what an ordinary page holds (FinalizationRegistry). Commit ${r.commit}, ${r.date.slice(0, 10)}.`,
    '',
    '| figure | value |',
    '|---|---:|',
    `| tab join (ms) | ${r.tabJoinMs} |`,
    `| peer connections constructed during the join | ${r.constructedDuringJoin} |`,
    `| constructed per minute of churn | ${r.constructedPerMinute} |`,
    `| held at the end / most held / limit | ${r.heldAtEnd} / ${r.heldMax} / ${r.limit} |`,
    `| refused at the limit | ${r.refused} |`,
    `| routes correct | ${r.routes.correct} / ${r.routes.sent} (${pct.toFixed(1)}%), ${r.routes.errors} errors |`,
    `| churn events | ${r.events.joins} joins, ${r.events.gracefulLeaves} graceful leaves, ${r.events.silentStops} silent stops, ${r.events.failedJoins} failed joins |`,
    '',
    '| minute | constructed | held at its end | links |',
    '|---:|---:|---:|---:|',
    ...r.perMinute.map((m) => `| ${m.minute} | ${m.constructed} | ${m.held} | ${m.links} |`),
  ];
  return lines.join('\n');
}
