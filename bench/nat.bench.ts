// Two Chromium tabs in two homes behind symmetric NATs (issue 16): the NAT lab of
// tests/integration/nat-turn.test.ts (scripts/nat-lab.sh, coturn with a shared secret, `npm start`'s
// server in the public namespace serving the built app and GET /ice), with a browser in each home
// instead of a Node peer. Figures: each tab's join time, the link type between them (the selected
// ICE candidate pair), a routed lookup, and chat latency (receipt round trips).
//
//   npm run bench -- --only nat [--nat-samples 20] [--nat-no-build]      (root, Linux; else it says why)
//
// Each browser runs inside its home's namespace through a wrapper executable (`ip netns exec ...
// chromium`); Playwright drives it over a pipe, so nothing crosses the lab's boundary. The page is
// http://203.0.113.1:8080, not a secure context; Chromium is told to treat that origin as secure
// (what HTTPS gives a real deployment, docs/DEPLOY.md).

import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/chromium.js';
import { summary } from '../tests/e2e/real-tabs.js';
import { labUnavailable, NatLab, SERVER_URL } from '../tests/integration/nat-lab.js';
import { stampLabel, type BenchContext, type BenchModule } from './bench-module.js';
import { befriend, latencyBlock } from './im-tabs.js';

interface NatResults {
  commit: string;
  date: string;
  chromium: string;
  skipped?: string;
  joinMs?: { a: number; b: number };
  path?: { local: string; remote: string; protocol: string; relayProtocol?: string; rttMs?: number };
  routeMs?: number;
  routeHops?: number;
  chat?: { samples: number; roundTrip: ReturnType<typeof summary> };
}

async function openTab(browser: Browser, profile: string): Promise<{ page: Page; id: string; joinMs: number }> {
  const page = await (await browser.newContext({ baseURL: SERVER_URL })).newPage();
  await page.goto(`/?profile=${profile}`);
  await page.waitForFunction(() => window.__dima?.state === 'joined', undefined, { timeout: 90_000, polling: 100 });
  const { id, joinedAt } = await page.evaluate(() => ({ id: window.__dima!.id, joinedAt: window.__dima!.joinedAt }));
  return { page, id, joinMs: Math.round(joinedAt ?? NaN) };
}

async function measure(context: BenchContext, results: NatResults): Promise<void> {
  const samples = Number(context.args.get('nat-samples') ?? 20);
  if (!context.args.has('nat-no-build')) execFileSync('npx', ['vite', 'build'], { cwd: context.root, stdio: 'inherit' });
  const lab = new NatLab('dimanatbench');
  const browsers: Browser[] = [];
  try {
    lab.build();
    await lab.startTurn();
    await lab.startServer(join(context.root, 'dist'));
    const launch = async (home: 'a' | 'b') => {
      const wrapper = join(lab.logDir, `chromium-${home}.sh`);
      writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.prefix}-home-${home} ${CHROMIUM_PATH} "$@"\n`);
      chmodSync(wrapper, 0o755);
      const browser = await chromium.launch({ executablePath: wrapper, args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${SERVER_URL}`] });
      browsers.push(browser);
      return browser;
    };
    const a = await openTab(await launch('a'), 'a');
    const b = await openTab(await launch('b'), 'b');
    results.joinMs = { a: a.joinMs, b: b.joinMs };
    const paths = await b.page.evaluate(() => window.__dima!.linkPaths());
    results.path = paths[a.id];
    const t0 = Date.now();
    const route = await b.page.evaluate((key) => window.__dima!.route(key as never), a.id);
    results.routeMs = Date.now() - t0;
    results.routeHops = route.hops;
    await befriend(a.page, b.page);
    const block = await latencyBlock(b.page, a.page, a.id, 'nat', samples);
    results.chat = { samples, roundTrip: summary(block.roundTrip) };
  } finally {
    for (const browser of browsers) await browser.close().catch(() => {});
    lab.tearDown();
  }
}

export const bench: BenchModule = {
  name: 'nat',
  async run(context: BenchContext): Promise<string> {
    const results: NatResults = {
      commit: stampLabel(context.stamp), date: context.date,
      chromium: execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' }).trim(),
    };
    const why = labUnavailable();
    if (why) results.skipped = why;
    else await measure(context, results);
    writeFileSync(join(context.resultsDir, 'nat.json'), JSON.stringify(results, null, 2) + '\n');
    if (results.skipped) return `## Two tabs behind two NATs (nat)\n\nNot measured: ${results.skipped}.\n`;
    const p = results.path;
    const c = results.chat!.roundTrip;
    return [
      '## Two tabs behind two NATs (nat)',
      '',
      `${results.chromium}, ${results.commit}, ${results.date}. Two Chromium tabs, each in its own home behind a symmetric NAT`,
      '(network namespaces, `scripts/nat-lab.sh`), the server and coturn on the public side; STUN and TURN from `GET /ice`',
      '(short-lived credentials; the tab loads them in boot.ts through src/app/ice-config.ts, without which the second tab',
      'never joins). Source: bench/nat.bench.ts.',
      '',
      '| figure | value |',
      '| --- | --- |',
      `| join, first tab (alone) / second tab | ${results.joinMs!.a} ms / ${results.joinMs!.b} ms |`,
      `| link between them (selected ICE pair) | ${p ? `${p.local} -> ${p.remote}, ${p.protocol}${p.relayProtocol ? ` (relay over ${p.relayProtocol})` : ''}` : 'not reported'} |`,
      `| routed lookup of the other tab's id | ${results.routeMs} ms, ${results.routeHops} hop(s) |`,
      `| chat receipt round trip, ${results.chat!.samples} messages | p50 ${c.p50} ms, p90 ${c.p90} ms, max ${c.max} ms |`,
      '',
    ].join('\n');
  },
};
