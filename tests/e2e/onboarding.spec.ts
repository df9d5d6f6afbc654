import { saveScreenshot } from './helpers.js';
import { buddyButton, conversation, newContext, expect, onboard, openTab, searchFor, sendTo, test, waitJoined } from './real-tabs.js';

// A new user's first minutes in the real product, with screenshots for the docs; then the PWA
// offline case: after one visit the app opens without network, with its history, and what is typed
// offline waits in the outbox until the tab is back in the overlay.

test('a new user onboards, finds a buddy by 3 letters and chats; offline the app opens with history and queues', async ({ browser, ring }, testInfo) => {
  test.setTimeout(180_000);
  // Somebody to find, and two more tabs so the overlay picture has a ring to show.
  const henrik = await openTab(browser, ring);
  await onboard(henrik.page, { name: 'Henrik Lundgren', city: 'Uppsala', words: 'pastry p2p' });
  const others = await Promise.all([openTab(browser, ring), openTab(browser, ring)]);

  const context = await newContext(browser, ring);
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Welcome to DIMA' })).toBeVisible();
  await page.getByLabel('Display name').fill('Maja Nilsson');
  await page.getByLabel('City', { exact: true }).fill('Göteborg');
  await saveScreenshot(page, testInfo, 'product-onboarding');
  await page.getByRole('button', { name: 'Join the network' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Joined' })).toContainText(/\d+ links?/, { timeout: 45_000 });
  const majaId = await waitJoined(page);

  const hit = await searchFor(page, 'hen', 'Henrik Lundgren');
  await expect(hit).toContainText('Uppsala');
  await saveScreenshot(page, testInfo, 'product-search');
  await hit.getByRole('button', { name: 'Add Henrik Lundgren as buddy' }).click();
  const request = henrik.page.getByRole('region', { name: 'Buddy requests' }).getByRole('listitem').filter({ hasText: 'Maja Nilsson' });
  await request.getByRole('button', { name: 'Accept' }).click({ timeout: 20_000 });
  await expect(buddyButton(page, 'Henrik Lundgren')).toContainText('online', { timeout: 20_000 });

  await sendTo(page, 'Henrik Lundgren', 'Hej Henrik! Found you by three letters.');
  await expect(conversation(page, 'Henrik Lundgren').last().getByLabel('delivered')).toHaveText('✓✓', { timeout: 15_000 });
  await sendTo(henrik.page, 'Maja Nilsson', 'Welcome to the ring, Maja.');
  await expect(conversation(page, 'Henrik Lundgren').filter({ hasText: 'Welcome to the ring' })).toBeVisible({ timeout: 15_000 });
  await saveScreenshot(page, testInfo, 'product-chat');

  await page.getByRole('button', { name: 'Network' }).click();
  const picture = page.locator('dima-overlay-view svg');
  await expect(picture.locator('circle.self')).toHaveCount(1);
  await expect(picture.locator('circle.leaf')).toHaveCount(3); // Henrik and the two other tabs
  await expect(picture.locator('g.path[data-kind="message"]').first()).toBeAttached();
  await saveScreenshot(page, testInfo, 'product-overlay');

  // Offline: the service worker serves the shell, IndexedDB the history; the bootstrap is out of reach.
  await page.evaluate(async () => void (await navigator.serviceWorker.ready));
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('status').filter({ hasText: 'Offline' })).toBeVisible({ timeout: 30_000 });
  expect(await page.evaluate(() => window.__dima!.id)).toBe(majaId);
  await buddyButton(page, 'Henrik Lundgren').click();
  await expect(conversation(page, 'Henrik Lundgren').filter({ hasText: 'Found you by three letters' })).toBeVisible();
  await expect(conversation(page, 'Henrik Lundgren').filter({ hasText: 'Welcome to the ring' })).toBeVisible();
  await sendTo(page, 'Henrik Lundgren', 'typed on the train, no network');
  const offline = conversation(page, 'Henrik Lundgren').filter({ hasText: 'typed on the train' });
  await expect(offline).toHaveClass(/queued/);
  await page.waitForTimeout(3_000); // retries while offline must not get it out
  await expect(offline).toHaveClass(/queued/);
  await saveScreenshot(page, testInfo, 'product-offline-queued');

  // Back online: the tab joins again, the outbox flushes, the receipt comes back.
  await context.setOffline(false);
  expect(await waitJoined(page, 60_000)).toBe(majaId);
  await expect(offline.getByLabel('delivered')).toHaveText('✓✓', { timeout: 30_000 });
  await buddyButton(henrik.page, 'Maja Nilsson').click();
  await expect(conversation(henrik.page, 'Maja Nilsson').filter({ hasText: 'typed on the train, no network' })).toHaveCount(1);

  await context.close();
  await henrik.context.close();
  for (const tab of others) await tab.context.close();
});
