// Rejoin time after a tab lost every link (issue 13): Chromium tabs (one browser context each) in a
// ring with a Node seed peer; one tab at a time has all its links closed at once (the test handle's
// cutLinks(), as a network drop would) and we time, in the page, until it says "Reconnecting…", is
// joined again (a new session, links > 0) and has its whole leaf set back. First with the server
// up (the tab rejoins through the origin's introducer), then with the server stopped (through the
// seed it learned from the overlay's seed board).
//
//   npm run bench -- --only rejoin [--rejoin-tabs 6] [--rejoin-runs 6] [--rejoin-no-build]

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { startPeer } from '../signaling-bootstrap/peer.js';
import { startServer } from '../signaling-bootstrap/server.js';
import { percentile } from '../src/sim/report.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/chromium.js';
import { stampLabel, type BenchModule } from './bench-module.js';

interface Run {
  tab: number;
  entry: string | null;
  reconnectingMs: number | null;
  joinedMs: number | null;
  leafSetMs: number | null;
}

function summary(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), max: sorted[sorted.length - 1] ?? 0 };
}

interface Scenario {
  name: string;
  runs: Run[];
  joinedMs: ReturnType<typeof summary>;
  leafSetMs: ReturnType<typeof summary>;
}

interface RejoinResults {
  commit: string;
  date: string;
  chromium: string;
  tabs: number;
  runsPerScenario: number;
  scenarios: Scenario[];
}

export const bench: BenchModule = {
  name: 'rejoin',
  async run(context) {
    const tabs = Number(context.args.get('rejoin-tabs') ?? 6);
    const runs = Number(context.args.get('rejoin-runs') ?? 6);
    if (!context.args.has('rejoin-no-build')) execFileSync('npx', ['vite', 'build'], { cwd: context.root, stdio: 'ignore', env: { ...process.env, VITE_DIMA_TEST_HANDLE: '1' } });
    const results = await measure(join(context.root, 'dist'), stampLabel(context.stamp), tabs, runs);
    writeFileSync(join(context.resultsDir, 'rejoin.json'), JSON.stringify(results, null, 2) + '\n');
    return markdown(results);
  },
};

async function measure(dist: string, commit: string, tabCount: number, runs: number): Promise<RejoinResults> {
  let server: Awaited<ReturnType<typeof startServer>> | null = await startServer({ port: 0, distDir: dist });
  const seed = await startPeer({ bootstrap: server.bootstrapUrl, seedPort: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const pages: Page[] = [];
    for (let i = 0; i < tabCount; i++) {
      const context = await browser.newContext({ baseURL: server.url });
      // tsx (keepNames) wraps the functions we hand to page.evaluate in __name(...) calls.
      await context.addInitScript('globalThis.__name = (fn) => fn;');
      const page = await context.newPage();
      await page.goto('/');
      await page.waitForFunction(() => window.__dima?.state === 'joined', undefined, { timeout: 60_000 });
      pages.push(page);
    }
    // Every other tab and the seed are in a full leaf set at this size.
    const fullLeafSet = tabCount;
    for (const page of pages) {
      await page.waitForFunction((url) => window.__dima!.learnedSeeds().then((s) => s.includes(url)), seed.seedUrl!, { timeout: 60_000, polling: 500 });
    }
    const scenarios: Scenario[] = [];
    scenarios.push(await scenario('server up: through the origin', pages, runs, fullLeafSet));
    await server.close();
    server = null;
    scenarios.push(await scenario('server stopped: through the learned seed', pages, runs, fullLeafSet));
    return { commit, date: new Date().toISOString(), chromium: browser.version(), tabs: tabCount, runsPerScenario: runs, scenarios };
  } finally {
    await browser.close();
    await seed.leave();
    await server?.close();
  }
}

async function scenario(name: string, pages: Page[], runs: number, fullLeafSet: number): Promise<Scenario> {
  const list: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const tab = i % pages.length;
    // Let the ring settle from the previous run (the others' repairs after the last cut).
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const run = await pages[tab].evaluate(cutAndTime, fullLeafSet);
    list.push({ tab, ...run });
    console.log(`rejoin bench: ${name}, run ${i + 1}: ${JSON.stringify(run)}`);
  }
  const done = (key: 'joinedMs' | 'leafSetMs') => list.map((r) => r[key]).filter((ms): ms is number => ms !== null);
  return { name, runs: list, joinedMs: summary(done('joinedMs')), leafSetMs: summary(done('leafSetMs')) };
}

/** In the page: cut every link, then time the phases (20 ms polling, 30 s at most). */
async function cutAndTime(fullLeafSet: number): Promise<Omit<Run, 'tab'>> {
  const dima = window.__dima!;
  const sessions = dima.sessions();
  const start = performance.now();
  dima.cutLinks();
  const since = () => Math.round(performance.now() - start);
  let reconnectingMs: number | null = null;
  let joinedMs: number | null = null;
  let leafSetMs: number | null = null;
  while (performance.now() - start < 30_000 && leafSetMs === null) {
    if (reconnectingMs === null && dima.phase() === 'reconnecting') reconnectingMs = since();
    if (joinedMs === null && dima.sessions() > sessions && dima.state === 'joined' && dima.links() > 0) joinedMs = since();
    if (joinedMs !== null && dima.leafSet().length >= fullLeafSet) leafSetMs = since();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { entry: dima.entryUsed(), reconnectingMs, joinedMs, leafSetMs };
}

function markdown(r: RejoinResults): string {
  const lines = [
    `## Rejoin after every link is lost: ${r.tabs} Chromium tabs and a Node seed peer`,
    '',
    `Debian's Chromium ${r.chromium}, the built app, one browser context per tab, one host. A tab's links are all ` +
      `closed at once (test handle cutLinks()); timed in the page from the cut until it is joined again (a new session ` +
      `with links) and until its leaf set holds all ${r.tabs} others again. ${r.runsPerScenario} runs per scenario, ` +
      `5 s apart. Commit ${r.commit}, ${r.date.slice(0, 10)}.`,
    '',
    '| scenario | entry point used | joined again (ms) p50 / p90 / max | leaf set whole (ms) p50 / p90 / max | runs |',
    '|---|---|---:|---:|---:|',
    ...r.scenarios.map((s) => {
      const entries = [...new Set(s.runs.map((run) => run.entry ?? 'none'))].join(', ');
      return `| ${s.name} | ${entries} | ${s.joinedMs.p50} / ${s.joinedMs.p90} / ${s.joinedMs.max} | ${s.leafSetMs.p50} / ${s.leafSetMs.p90} / ${s.leafSetMs.max} | ${s.joinedMs.n} of ${s.runs.length} |`;
    }),
  ];
  return lines.join('\n');
}
