// Lighthouse (the npm package, its default simulated throttling) against Debian's Chromium: the
// production build served by the bootstrap server (precompressed files), mobile and desktop, on a
// first visit (storage reset: no service worker, no profile) and after onboarding (the profile in
// IndexedDB, the service worker and its cache in place, as a returning user opens the app).
//
//   npm run bench -- --only lighthouse [--lighthouse-runs 3] [--lighthouse-dist DIR]
//
// Each case runs `runs` times; the run with the median performance score is reported (Lighthouse's
// own advice for variance). --lighthouse-dist measures a build made elsewhere (another commit).

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { launch, type LaunchedChrome } from 'chrome-launcher';
import lighthouse, { desktopConfig, type Flags } from 'lighthouse';
import { startServer } from '../signaling-bootstrap/server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/chromium.js';
import { stampLabel, type BenchContext, type BenchModule } from './bench-module.js';

type FormFactor = 'mobile' | 'desktop';
type Visit = 'first visit' | 'after onboarding';

interface Measured {
  formFactor: FormFactor;
  visit: Visit;
  /** 0-100, the median run's. */
  performance: number;
  /** Every run's score, in order. */
  scores: number[];
  fcpMs: number;
  lcpMs: number;
  tbtMs: number;
  cls: number;
  speedIndexMs: number;
  /** Main-thread work of the page load (Lighthouse's mainthread-work-breakdown). */
  mainThreadMs: number;
  /** Bytes over the wire (compressed). */
  transferBytes: number;
  /** JS script evaluation, top 3 by time. */
  scripts: { url: string; ms: number }[];
  /** The longest main-thread tasks (simulated ms), top 5: where TBT comes from. */
  longTasks: { url: string; ms: number; startMs: number }[];
}

const round = (n: number) => Math.round(n);

export const bench: BenchModule = {
  name: 'lighthouse',
  async run(context: BenchContext) {
    const runs = Number(context.args.get('lighthouse-runs') ?? 3);
    const dist = context.args.get('lighthouse-dist') ?? buildProduction(context.root);
    const server = await startServer({ port: 0, distDir: dist });
    const results: Measured[] = [];
    try {
      for (const formFactor of (context.args.get('lighthouse-form') ?? 'mobile,desktop').split(',') as FormFactor[]) {
        for (const visit of ['first visit', 'after onboarding'] as const) results.push(await measure(server.url, formFactor, visit, runs));
      }
    } finally {
      await server.close();
    }
    const json = { commit: context.stamp.commit, dirty: context.stamp.dirty, date: context.date, lighthouse: '12', runs, chromium: CHROMIUM_PATH, results };
    writeFileSync(join(context.resultsDir, 'lighthouse.json'), JSON.stringify(json, null, 2) + '\n');
    const markdown = report(context, runs, results);
    mkdirSync(context.docsDir, { recursive: true });
    writeFileSync(join(context.docsDir, 'lighthouse.json'), JSON.stringify(json, null, 2) + '\n');
    writeFileSync(join(context.docsDir, 'lighthouse.md'), markdown + '\n');
    return markdown;
  },
};

/** The product as deployed: no test handle, precompressed (scripts/precompress.ts). */
function buildProduction(root: string): string {
  const dir = join(root, 'node_modules/.cache/dima-lighthouse-dist');
  execFileSync('npx', ['vite', 'build', '--outDir', dir, '--emptyOutDir'], { cwd: root, stdio: 'inherit', env: { ...process.env, VITE_DIMA_TEST_HANDLE: '' } });
  return dir;
}

/**
 * Every run in a Chromium of its own (a fresh profile): a first visit is then surely one (clearing
 * an IndexedDB another tab still holds open can be blocked), and no tab of an earlier run holds the
 * profile's tab lock. 'after onboarding': a user onboarded in that profile, closed the tab, opens the app again.
 */
async function measure(url: string, formFactor: FormFactor, visit: Visit, runs: number): Promise<Measured> {
  const all: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    const chrome = await launch({ chromePath: CHROMIUM_PATH, chromeFlags: [...CHROMIUM_ARGS, '--headless=new'] });
    let result;
    try {
      if (visit === 'after onboarding') await onboard(chrome, url);
      const flags: Flags = { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance'], disableStorageReset: visit === 'after onboarding' };
      result = await lighthouse(url, flags, formFactor === 'desktop' ? desktopConfig : undefined);
    } finally {
      chrome.kill();
    }
    if (!result) throw new Error('lighthouse returned nothing');
    const { lhr } = result;
    if (lhr.runtimeError) throw new Error(`lighthouse: ${lhr.runtimeError.message}`);
    const audit = (id: string) => lhr.audits[id]?.numericValue ?? NaN;
    const bootup = (lhr.audits['bootup-time']?.details as { items?: { url: string; scripting: number }[] } | undefined)?.items ?? [];
    const tasks = (lhr.audits['long-tasks']?.details as { items?: { url: string; duration: number; startTime: number }[] } | undefined)?.items ?? [];
    all.push({
      formFactor, visit,
      performance: round((lhr.categories.performance.score ?? 0) * 100),
      scores: [],
      fcpMs: round(audit('first-contentful-paint')),
      lcpMs: round(audit('largest-contentful-paint')),
      tbtMs: round(audit('total-blocking-time')),
      cls: Math.round(audit('cumulative-layout-shift') * 1000) / 1000,
      speedIndexMs: round(audit('speed-index')),
      mainThreadMs: round(audit('mainthread-work-breakdown')),
      transferBytes: round(audit('total-byte-weight')),
      longTasks: [...tasks].sort((a, b) => b.duration - a.duration).slice(0, 5).map((t) => ({ url: new URL(t.url, url).pathname, ms: round(t.duration), startMs: round(t.startTime) })),
      scripts: [...bootup].sort((a, b) => b.scripting - a.scripting).slice(0, 3).map((s) => ({ url: new URL(s.url, url).pathname, ms: round(s.scripting) })),
    });
    console.log(`lighthouse ${formFactor} ${visit} run ${i + 1}: ${all[i].performance} (TBT ${all[i].tbtMs} ms, LCP ${all[i].lcpMs} ms) long tasks ${all[i].longTasks.map((t) => `${t.url}@${t.startMs}:${t.ms}`).join(' ')}`);
  }
  const byScore = [...all].sort((a, b) => a.performance - b.performance);
  return { ...byScore[Math.floor(byScore.length / 2)], scores: all.map((m) => m.performance) };
}

/** A user onboards in this Chromium (same profile Lighthouse uses): name, Join, joined. */
async function onboard(chrome: LaunchedChrome, url: string): Promise<void> {
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
  try {
    const context = browser.contexts()[0];
    const page = await context.newPage();
    await page.goto(url);
    const nav = page.getByRole('navigation', { name: 'Views' });
    if (!(await nav.isVisible())) {
      await page.getByLabel('Display name').fill('Lighthouse Reader');
      await page.getByRole('button', { name: 'Join the network' }).click();
    }
    await nav.waitFor({ timeout: 60_000 });
    await page.evaluate(async () => void (await navigator.serviceWorker.ready));
    await page.close(); // its tab lock goes with it: the measured load takes the profile
  } finally {
    await browser.close();
  }
}

function report(context: BenchContext, runs: number, results: Measured[]): string {
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  const rows = results.map((r) =>
    `| ${r.formFactor} | ${r.visit} | **${r.performance}** (${r.scores.join(', ')}) | ${r.fcpMs} | ${r.lcpMs} | ${r.tbtMs} | ${r.cls} | ${r.speedIndexMs} | ${r.mainThreadMs} | ${kib(r.transferBytes)} |`);
  const scripts = results.map((r) => `- ${r.formFactor}, ${r.visit}: ${r.scripts.map((s) => `${s.url} ${s.ms} ms`).join(', ') || 'none'}`);
  const tasks = results.map((r) => `- ${r.formFactor}, ${r.visit}: ${r.longTasks.map((t) => `${t.ms} ms at ${t.startMs} ms (${t.url})`).join(', ') || 'none'}`);
  return [
    '## Lighthouse: load on a phone and a desktop',
    '',
    `Commit ${stampLabel(context.stamp)}, ${context.date}. Lighthouse 12 (npm), default simulated throttling (mobile: Moto G Power,`,
    `slow 4G, 4x CPU; desktop preset), Debian Chromium headless, the production build served by the bootstrap server`,
    `(brotli). ${runs} runs per case; the median run by score is shown, all scores in brackets. Target: performance >= 95.`,
    '',
    '| form factor | visit | performance | FCP ms | LCP ms | TBT ms | CLS | Speed Index ms | main thread ms | transferred |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Script evaluation, top 3 (simulated CPU):',
    ...scripts,
    '',
    'Longest main-thread tasks, top 5 (simulated; TBT is the sum of each task over 50 ms):',
    ...tasks,
  ].join('\n');
}
