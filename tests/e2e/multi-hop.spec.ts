import { expect, openTab, recordFigures, sorted, summary, test, type Tab } from './real-tabs.js';

// A ring of real tabs where routes really pass through other tabs. With the default |L| = 16 every
// tab of a small ring is every other's leaf and holds a link to it, so every route is one hop. Here
// every tab runs |L| = 2 and b = 1 (?leafSetSize=&bitsPerDigit=, src/app/config.ts): it keeps its two
// ring neighbours and about log2(8) = 3 one-slot table rows, so it holds no link to some tabs, and a
// route to one of those must go through a tab in between.

const TABS = 8;
const SHAPE = '/?leafSetSize=2&bitsPerDigit=1';

/** With |L| = 2, a tab's leaves are its nearest neighbour on each side of the ring. */
function neighbours(id: string, ids: readonly string[]): string[] {
  const ring = sorted(ids); // hex ids of one length: text order is ring order
  const at = ring.indexOf(id);
  return sorted([...new Set([ring[(at + 1) % ring.length], ring[(at - 1 + ring.length) % ring.length]])]);
}

test('8 tabs with |L| = 2 and b = 1 route to each other through the tabs in between', async ({ browser, ring }) => {
  test.setTimeout(240_000);
  const tabs: Tab[] = [await openTab(browser, ring, SHAPE)];
  for (let i = 1; i < TABS; i += 2) {
    tabs.push(...(await Promise.all([openTab(browser, ring, SHAPE), ...(i + 1 < TABS ? [openTab(browser, ring, SHAPE)] : [])])));
  }
  const ids = tabs.map((t) => t.id);
  expect(new Set(ids).size).toBe(TABS);
  for (const tab of tabs) {
    await expect
      .poll(async () => sorted(await tab.page.evaluate(() => window.__dima!.leafSet())), { timeout: 30_000, intervals: [250] })
      .toEqual(neighbours(tab.id, ids));
  }

  const hops: number[] = [];
  let unlinked = 0;
  for (const from of tabs) {
    for (const to of tabs) {
      if (to === from) continue;
      const linked = await from.page.evaluate((peer) => window.__dima!.linkedTo(peer as never), to.id);
      const result = await from.page.evaluate((key) => window.__dima!.route(key as never), to.id);
      const where = `route from ${from.id.slice(0, 8)} to ${to.id.slice(0, 8)} (${linked ? 'linked' : 'not linked'})`;
      expect(result.root, where).toBe(to.id);
      expect(result.path[0], where).toBe(from.id);
      expect(result.path.at(-1), where).toBe(to.id);
      // Every node on the way is one of the tabs, each once.
      expect(result.path.every((id) => ids.includes(id)), where).toBe(true);
      expect(new Set(result.path).size, where).toBe(result.path.length);
      // No link to the key's tab: the first hop is another tab, and the route takes two hops or more.
      if (!linked) {
        unlinked++;
        expect(result.hops, where).toBeGreaterThanOrEqual(2);
      }
      hops.push(result.hops);
    }
  }
  // The point of this ring: some tabs are reached only through others.
  expect(unlinked).toBeGreaterThan(0);
  expect(Math.max(...hops)).toBeGreaterThanOrEqual(2);

  const links = await Promise.all(tabs.map((t) => t.page.evaluate(() => window.__dima!.links())));
  recordFigures('multi-hop-tabs', {
    tabs: TABS,
    shape: SHAPE,
    routes: hops.length,
    routesToUnlinkedTabs: unlinked,
    routeHops: summary(hops),
    linksPerTab: { perTab: links, ...summary(links) },
    at: new Date().toISOString(),
  });
  for (const tab of tabs) await tab.context.close();
});
