import { expect, test } from '@playwright/test';
import { joinDemo, saveScreenshot } from './helpers.js';

// The UI shell over the in-memory DemoMessenger (`/?demo`): rendering and interaction only; the
// overlay and the real messenger are tested elsewhere.

test('the app shell loads from the served URL', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle('DIMA');
  await page.waitForFunction(() => customElements.get('dima-app') !== undefined);
  const rendered = await page.evaluate(() => document.querySelector('dima-app')?.shadowRoot?.childElementCount ?? 0);
  expect(rendered).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});

test('onboarding asks for a display name and the fields to publish', async ({ page }, testInfo) => {
  await page.goto('/?demo');
  await expect(page.getByRole('heading', { name: 'Welcome to DIMA' })).toBeVisible();
  for (const label of ['Display name', 'Nickname', 'City', 'E-mail', 'Free words (interests, team…)']) {
    await expect(page.getByLabel(label, { exact: true })).toBeVisible();
  }
  await expect(page.locator('input[name="publish-email"]')).not.toBeChecked();
  await expect(page.locator('input[name="publish-city"]')).toBeChecked();
  await saveScreenshot(page, testInfo, 'onboarding');

  await page.getByRole('button', { name: 'Join the network' }).click();
  await expect(page.getByRole('alert')).toContainText('Pick a display name');
  await expect(page.getByLabel('Display name')).toBeFocused();

  // Keyboard only: type the name, Enter submits.
  await page.keyboard.type('Alice');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('navigation', { name: 'Views' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Joined' })).toContainText(/\d+ links/);
});

test('buddy list shows presence and unread counts; a chat shows receipts and the queued mark', async ({ page }) => {
  await joinDemo(page);
  const henrik = page.getByRole('list', { name: 'Buddies' }).getByRole('button', { name: /Henrik Lundgren/ });
  await expect(henrik).toContainText('online');
  await expect(henrik.getByLabel('1 unread')).toBeVisible();

  await henrik.click();
  await expect(henrik.getByLabel('1 unread')).toHaveCount(0);
  const conversation = page.getByRole('list', { name: 'Conversation with Henrik Lundgren' });
  await expect(conversation.getByRole('listitem')).toHaveCount(2);
  await expect(page.getByLabel('Message to Henrik Lundgren')).toBeFocused();
  await page.keyboard.type('hello over pastry');
  await page.keyboard.press('Enter');
  const mine = conversation.getByRole('listitem').filter({ hasText: 'hello over pastry' }).first();
  await expect(mine.getByLabel('delivered')).toHaveText('✓✓');
  await expect(conversation.getByRole('listitem').filter({ hasText: 'echo: hello over pastry' })).toBeVisible();

  await page.getByRole('button', { name: /Richard Gold/ }).click();
  const queued = page.getByRole('list', { name: 'Conversation with Richard Gold' }).getByRole('listitem').last();
  await expect(queued).toContainText('queued');
  await page.getByLabel('Message to Richard Gold').fill('are you there?');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('list', { name: 'Conversation with Richard Gold' }).getByRole('listitem')).toHaveCount(2);
  await expect(page.getByRole('list', { name: 'Conversation with Richard Gold' }).getByRole('listitem').last()).toContainText('queued');
});

test('search shows results as you type and sends a buddy request; incoming requests can be accepted', async ({ page }) => {
  await joinDemo(page);
  await page.getByLabel('Search people').pressSequentially('upps', { delay: 30 });
  const results = page.getByRole('list', { name: 'Search results' });
  await expect(results.getByRole('listitem')).toHaveCount(3);
  await expect(results.getByRole('listitem').filter({ hasText: 'Richard Gold' })).toContainText('buddy');
  // Erik already asked us: no second request from this side.
  await expect(results.getByRole('listitem').filter({ hasText: 'Erik Nordström' })).toContainText('requested');
  await page.getByLabel('Search people').fill('ada');
  await page.getByRole('button', { name: 'Add Ada Lovelace as buddy' }).click();
  await expect(page.getByText('Waiting for Ada Lovelace to accept…')).toBeVisible();

  const requests = page.getByRole('region', { name: 'Buddy requests' });
  await requests.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByRole('list', { name: 'Buddies' })).toContainText('Erik Nordström');
  await expect(requests.getByRole('button', { name: 'Accept' })).toHaveCount(0);
});

test('the overlay view draws this node, its leaf set, routing links and recent paths', async ({ page }, testInfo) => {
  await joinDemo(page);
  await page.getByRole('button', { name: 'Network' }).click();
  const ring = page.locator('dima-overlay-view svg');
  await expect(ring).toBeVisible();
  await expect(ring.locator('circle.self')).toHaveCount(1);
  await expect(ring.locator('circle.leaf')).toHaveCount(16);
  expect(await ring.locator('circle.routing').count()).toBeGreaterThan(10);
  await expect(ring.locator('g.path')).toHaveCount(2);
  await expect(page.getByRole('img', { name: /Overlay ring: this node [0-9a-f]{8}, 16 leaves/ })).toBeVisible();
  await saveScreenshot(page, testInfo, 'overlay');
});

test('on a narrow screen the buddy list and the chat take turns', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 780 });
  await joinDemo(page);
  const buddies = page.getByRole('list', { name: 'Buddies' });
  await expect(buddies).toBeVisible();
  await buddies.getByRole('button', { name: /Henrik Lundgren/ }).click();
  await expect(buddies).toBeHidden();
  await expect(page.getByLabel('Message to Henrik Lundgren')).toBeVisible();
  await saveScreenshot(page, testInfo, 'chat-narrow');
  await page.keyboard.press('Escape');
  await expect(buddies).toBeVisible();
});
