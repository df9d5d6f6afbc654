import { expect, openTab, recordFigures, sorted, summary, test, type Tab, waitJoined } from './real-tabs.js';

// The real overlay: browser tabs joined by WebRTC data channels, introduced by the bootstrap server
// only for their first link. With 8 nodes and |L| = 16 every node's leaf set is all the others.

const TABS = 8;

test('8 tabs form one Pastry ring, route to each other, and repair their leaf sets after 2 abrupt closes', async ({ browser, ring }) => {
  test.setTimeout(240_000);
  const tabs: Tab[] = [];
  // The first tab founds the ring; the others join through whichever volunteer the introducer picks.
  tabs.push(await openTab(browser, ring));
  for (let i = 1; i < TABS; i += 2) {
    tabs.push(...(await Promise.all([openTab(browser, ring), ...(i + 1 < TABS ? [openTab(browser, ring)] : [])])));
  }
  const ids = tabs.map((t) => t.id);
  expect(new Set(ids).size).toBe(TABS);

  const leafSetsSettle = async (live: Tab[], timeout: number) => {
    const liveIds = live.map((t) => t.id);
    for (const tab of live) {
      const expected = sorted(liveIds.filter((id) => id !== tab.id));
      await expect
        .poll(async () => sorted(await tab.page.evaluate(() => window.__dima!.leafSet())), { timeout, intervals: [250] })
        .toEqual(expected);
    }
  };
  const settleStart = Date.now();
  await leafSetsSettle(tabs, 30_000);
  const settleMs = Date.now() - settleStart;

  // Every tab routes to every other tab's id; the node that delivers must be that tab.
  const routeMs: number[] = [];
  const hops: number[] = [];
  for (const from of tabs) {
    for (const to of tabs) {
      if (to === from) continue;
      const result = await from.page.evaluate(async (key) => {
        const started = performance.now();
        const r = await window.__dima!.route(key as never);
        return { ...r, ms: performance.now() - started };
      }, to.id);
      expect(result.root, `route from ${from.id.slice(0, 8)} to ${to.id.slice(0, 8)}`).toBe(to.id);
      expect(result.path[0]).toBe(from.id);
      routeMs.push(result.ms);
      hops.push(result.hops);
    }
  }

  const joinMs = await Promise.all(tabs.map((t) => t.page.evaluate(() => window.__dima!.joinedAt!)));
  const links = await Promise.all(tabs.map((t) => t.page.evaluate(() => window.__dima!.links())));

  // Two tabs go away without a goodbye: one context closed, one renderer crashed.
  const [closed, crashed] = [tabs[2], tabs[5]];
  const failedAt = Date.now();
  await closed.context.close();
  const cdp = await crashed.context.newCDPSession(crashed.page);
  const crash = crashed.page.waitForEvent('crash');
  void cdp.send('Page.crash').catch(() => {}); // never answered: the renderer dies first
  await crash;
  const live = tabs.filter((t) => t !== closed && t !== crashed);
  await leafSetsSettle(live, 30_000);
  const repairMs = Date.now() - failedAt;

  // And routing to the survivors still lands on them.
  for (const from of live) {
    const to = live[(live.indexOf(from) + 1) % live.length];
    const result = await from.page.evaluate((key) => window.__dima!.route(key as never), to.id);
    expect(result.root).toBe(to.id);
  }

  recordFigures('overlay-tabs', {
    tabs: TABS,
    joinMs: { perTab: joinMs.map(Math.round), ...summary(joinMs) },
    leafSetsSettledMsAfterLastJoin: settleMs,
    linksPerTab: { perTab: links, ...summary(links) },
    routeLatencyMs: summary(routeMs),
    routeHops: summary(hops),
    repairMsAfterTwoFailures: repairMs,
    at: new Date().toISOString(),
  });
  await crashed.context.close();
  for (const tab of live) await tab.context.close();
});

test('a reloaded tab comes back with the same id and rejoins', async ({ browser, ring }) => {
  test.setTimeout(90_000);
  const a = await openTab(browser, ring);
  const b = await openTab(browser, ring);
  await b.page.reload();
  expect(await waitJoined(b.page)).toBe(b.id);
  await expect.poll(() => a.page.evaluate((id) => window.__dima!.route(id as never).then((r) => r.root), b.id), { timeout: 20_000 }).toBe(b.id);
  await a.context.close();
  await b.context.close();
});
