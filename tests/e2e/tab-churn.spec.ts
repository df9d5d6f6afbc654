import { CHURN_MS, CHURN_SHAPE, constructedPerMinute, runTabChurn } from './tab-churn.js';
import { expect, newContext, onboard, recordFigures, test } from './real-tabs.js';

// Issue 12: a tab in a churning ring must stay under Chromium's peer-connection limit and keep
// routing. The tab is never given a forced GC: what it holds is what an ordinary page holds.

/** Share of the tab's probes that must reach the live node numerically closest to the key. */
const MIN_ROUTES_CORRECT = 0.95;

test(`a tab in a ring of ${CHURN_SHAPE.peers} churning Node peers never hits the peer-connection limit and keeps routing (${CHURN_MS / 1000} s)`, async ({ browser, ring }) => {
  test.setTimeout(CHURN_MS + 150_000);
  const context = await newContext(browser, ring);
  const page = await context.newPage();
  const log = (line: string) => console.log(`[tab-churn] ${line}`);
  const result = await runTabChurn(page, ring.bootstrapUrl, CHURN_MS, log);

  const perMinute = constructedPerMinute(result);
  const correctShare = result.routes.correct / Math.max(1, result.routes.sent);
  const summary =
    `join: constructed ${result.afterJoin.constructed}; churn ${Math.round(result.durationMs / 1000)} s: ` +
    `constructed ${result.atEnd.constructed} (${perMinute.toFixed(1)}/min), closed ${result.atEnd.closed}, held ${result.atEnd.held} of ${result.atEnd.limit}, ` +
    `refused ${result.atEnd.refused}; routes correct ${result.routes.correct}/${result.routes.sent} (${(100 * correctShare).toFixed(1)}%), ` +
    `errors ${result.routes.errors}; events ${JSON.stringify(result.events)}`;
  log(summary);
  test.info().annotations.push({ type: 'peer connections', description: summary });
  recordFigures('tab-churn', { ...result, constructedPerMinute: perMinute, at: new Date().toISOString() });
  if (result.routes.misses.length) log(`misses: ${JSON.stringify(result.routes.misses.slice(0, 10))}`);

  expect.soft(result.atEnd.refused, 'constructions refused at the limit').toBe(0);
  expect.soft(result.peerConnectionErrors, 'page errors mentioning a peer connection').toEqual([]);
  expect.soft(result.events.joins + result.events.gracefulLeaves + result.events.silentStops, 'churn events').toBeGreaterThan(CHURN_MS / CHURN_SHAPE.eventEveryMs / 2);
  expect.soft(correctShare, `routes to the live root (${result.routes.correct}/${result.routes.sent})`).toBeGreaterThanOrEqual(MIN_ROUTES_CORRECT);

  // The overlay picture shows the same counters (its view is reached past onboarding).
  await onboard(page, { name: 'Churn tab' });
  await page.getByRole('button', { name: 'Network' }).click();
  await expect(page.locator('dima-overlay-view dd.peer-connections')).toHaveText(/^constructed \d+, held \d+ of 500$/);
  await context.close();
});
