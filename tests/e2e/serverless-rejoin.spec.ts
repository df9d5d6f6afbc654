import type { Page } from '@playwright/test';
import { startPeer, type RunningPeer } from '../../signaling-bootstrap/peer.js';
import { startServer, type RunningServer } from '../../signaling-bootstrap/server.js';
import { expect, newContext, test, waitJoined, type Ring } from './real-tabs.js';

// Issue 13: the network lives without its server. Tabs and a Node seed peer (--seed-port) join
// through the server; the seed announces its introducer on the overlay's seed board and the tabs
// keep what they learn. Then the server is stopped: a tab that reloads (the app comes from the
// service worker) gets back in through the seed it learned of, and a brand-new profile in a browser
// that has a joined tab gets in through that tab over BroadcastChannel. And (d): a tab whose links
// are all cut rejoins by itself.

test.describe.configure({ timeout: 150_000 });

let server: RunningServer | null = null;
let seed: RunningPeer | null = null;
test.afterEach(async () => {
  await seed?.leave();
  await server?.close();
  seed = server = null;
});

/** A ring of the test's own (startServer as the `ring` fixture does, but we stop it mid-test). */
async function ownRing(port = 0): Promise<Ring> {
  server = await startServer({ port, distDir: process.env.DIST ?? 'dist' });
  return Object.assign(server, { pageErrors: [] as string[] });
}

async function joinedTab(ring: Ring, browser: Parameters<typeof newContext>[0], path = '/') {
  const context = await newContext(browser, ring);
  const page = await context.newPage();
  await page.goto(path);
  const id = await waitJoined(page);
  return { context, page, id };
}

const entryUsed = (page: Page) => page.evaluate(() => window.__dima!.entryUsed());

test('with the server stopped, a reloaded tab rejoins through the seed it learned from the overlay, and a new profile through a tab of its browser', async ({ browser }) => {
  const ring = await ownRing();
  // The seed peer joins first (it is the ring's first node), so every tab finds its record.
  seed = await startPeer({ bootstrap: ring.bootstrapUrl, seedPort: 0, seedHost: '127.0.0.1' });
  const seedUrl = seed.seedUrl!;
  const tabs: Awaited<ReturnType<typeof joinedTab>>[] = [];
  for (let i = 0; i < 3; i++) tabs.push(await joinedTab(ring, browser));
  for (const tab of tabs) expect(await entryUsed(tab.page)).toBe('origin');

  const [reloading, other] = tabs;
  // What the tabs learned is the overlay's seed board, not a parameter: no ?seed= anywhere.
  await expect.poll(() => reloading.page.evaluate(() => window.__dima!.learnedSeeds()), { timeout: 30_000 }).toEqual([seedUrl]);
  for (const tab of [reloading, other]) {
    await tab.page.evaluate(async () => void (await navigator.serviceWorker.ready));
    await expect.poll(() => tab.page.evaluate(() => caches.keys().then((keys) => keys.length))).toBeGreaterThan(0);
  }

  await server!.close();
  server = null;

  await reloading.page.reload();
  expect(await waitJoined(reloading.page, 60_000)).toBe(reloading.id);
  expect(await entryUsed(reloading.page)).toBe(`learned ${seedUrl}`);
  await expect.poll(() => reloading.page.evaluate(() => window.__dima!.links()), { timeout: 20_000 }).toBeGreaterThan(1);
  await expect(reloading.page.getByRole('status').filter({ hasText: 'Joined' })).toContainText(/\d+ links?/);
  // Back in the ring the others are in, not in a ring of its own: it routes to each of them.
  for (const tab of tabs.slice(1)) {
    await expect.poll(() => reloading.page.evaluate((key) => window.__dima!.route(key as never).then((r) => r.root), tab.id), { timeout: 20_000 }).toBe(tab.id);
  }

  const newcomer = await other.context.newPage();
  await newcomer.goto('/?profile=new');
  const newcomerId = await waitJoined(newcomer, 60_000);
  expect(newcomerId).not.toBe(other.id);
  expect(await entryUsed(newcomer)).toBe('same-browser');
  await expect.poll(() => newcomer.evaluate((key) => window.__dima!.route(key as never).then((r) => r.root), reloading.id), { timeout: 20_000 }).toBe(reloading.id);

  expect(ring.pageErrors).toEqual([]);
  for (const tab of tabs) await tab.context.close();
});

test('a tab whose links are all cut says "Reconnecting…" and is joined again by itself within 15 s', async ({ browser }) => {
  const ring = await ownRing();
  const tabs: Awaited<ReturnType<typeof joinedTab>>[] = [];
  for (let i = 0; i < 4; i++) tabs.push(await joinedTab(ring, browser));
  const cut = tabs[1].page;
  await expect.poll(() => cut.evaluate(() => window.__dima!.links()), { timeout: 20_000 }).toBeGreaterThan(1);

  // Record the header's phases as they change (the reconnecting phase may be short).
  await cut.evaluate(() => {
    const seen: string[] = [window.__dima!.phase()];
    (window as unknown as { phases: string[] }).phases = seen;
    setInterval(() => {
      const phase = window.__dima!.phase();
      if (seen[seen.length - 1] !== phase) seen.push(phase);
    }, 20);
  });
  const cutAt = Date.now();
  expect(await cut.evaluate(() => window.__dima!.cutLinks())).toBeGreaterThan(1);

  await expect(cut.getByRole('status').filter({ hasText: 'Joined' })).toContainText(/\d+ links?/, { timeout: 15_000 });
  await cut.waitForFunction(() => window.__dima!.links() > 0 && window.__dima!.sessions() === 2, undefined, { timeout: 15_000 - (Date.now() - cutAt) });
  const rejoinMs = Date.now() - cutAt;
  const phases = await cut.evaluate(() => (window as unknown as { phases: string[] }).phases);
  expect(phases).toContain('reconnecting');
  expect(phases[phases.length - 1]).toBe('joined');
  expect(rejoinMs).toBeLessThan(15_000);
  test.info().annotations.push({ type: 'rejoin', description: `${rejoinMs} ms from cutting every link to joined again; phases ${phases.join(' -> ')}` });
  // It is back in the same ring: the others are reachable.
  await expect.poll(() => cut.evaluate((key) => window.__dima!.route(key as never).then((r) => r.root), tabs[3].id), { timeout: 20_000 }).toBe(tabs[3].id);
  expect(ring.pageErrors).toEqual([]);
  for (const tab of tabs) await tab.context.close();
});

test('with no entry point reachable the header says so and "Retry now" tries again at once, whatever the backoff', async ({ browser }) => {
  const ring = await ownRing();
  const port = Number(new URL(ring.url).port);
  const tab = await joinedTab(ring, browser);
  // innerText: the header holds a long and a short label, and shows one (the other is display:none).
  const shown = { useInnerText: true };
  await expect(tab.page.getByRole('status')).toHaveText('Alone in the network', shown); // the first node, nobody else
  await tab.page.evaluate(async () => void (await navigator.serviceWorker.ready));
  await expect.poll(() => tab.page.evaluate(() => caches.keys().then((keys) => keys.length))).toBeGreaterThan(0);
  await server!.close();
  server = null;

  await tab.page.reload();
  const status = tab.page.getByRole('status');
  await expect(status).toHaveText('Offline: no entry point reachable', { ...shown, timeout: 20_000 });
  const retry = tab.page.getByRole('button', { name: 'Retry now' });
  await expect(retry).toBeVisible();
  await expect(tab.page.locator('dima-connection-status').getByRole('button', { name: 'Join with an invite' })).toBeVisible();
  // Attempts (each ~0.5 s: the origin refused, no tab of this browser) then follow at about 1.5, 4,
  // 8.5, 17 and 27.5 s after the first: bring an introducer back at ~18.5 s, just after the attempt
  // at 17 s, so only the click can get the tab in within the next 8 s.
  await tab.page.waitForTimeout(18_000);
  await ownRing(port);
  const clickedAt = Date.now();
  await retry.click();
  await expect(status).toHaveText('Alone in the network', { ...shown, timeout: 4_000 });
  expect(Date.now() - clickedAt).toBeLessThan(4_000);
  expect(await tab.page.evaluate(() => window.__dima!.entryUsed())).toBe('origin');
  await tab.context.close();
});
