import { expect, test } from '@playwright/test';
import { joinDemo } from './helpers.js';

// Search states, focus and onboarding checks on the in-memory demo (/?demo: made-up directory with
// 120 ms per hit, "joins" after 400 ms), where timing is fixed and no network is needed.

test('search says what it is doing: searching, offline, no stale results, cleared after adding', async ({ page }) => {
  await joinDemo(page);
  const box = page.getByLabel('Search people');
  const status = page.locator('dima-search-box [role=status]');
  const results = page.getByRole('list', { name: 'Search results' }).getByRole('listitem');

  // From the first key press until the first answer: "Searching…", never "No one found".
  await box.pressSequentially('upps');
  await expect(status).toHaveText('Searching…');
  await expect(results).toHaveCount(3);
  await expect(status).toHaveText('3 found');

  // A new query: the old results go at once, not after the typing pause.
  await box.fill('ada');
  await expect(results).toHaveCount(0, { timeout: 100 });
  await expect(status).toHaveText('Searching…');
  await expect(results).toHaveCount(1);
  await box.fill('nobody-here');
  await expect(status).toHaveText('No one found.');

  // Adding someone ends the search: the box empties, its results go, focus stays in the box.
  await box.fill('ada');
  await page.getByRole('button', { name: 'Add Ada Lovelace as buddy' }).click();
  await expect(box).toHaveValue('');
  await expect(results).toHaveCount(0);
  await expect(box).toBeFocused();

  // Left the network: search says it needs it instead of "No one found".
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Leave the network' }).click();
  await page.getByRole('dialog', { name: 'Leave the network?' }).getByRole('button', { name: 'Leave', exact: true }).click();
  await box.fill('upps');
  await expect(status).toHaveText('You are offline: search needs the network.');
  await expect(results).toHaveCount(0);
  // Back in: the waiting query runs.
  await page.getByRole('button', { name: 'Rejoin the network' }).click();
  await expect(results).toHaveCount(3);
});

test('focus goes where the user expects: search after onboarding, back to the buddy or button after Back/Escape', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 780 });
  await page.goto('/?demo');
  // A name over 64 characters is refused with a visible reason, not cut silently.
  await page.getByLabel('Display name').fill('N'.repeat(70));
  await page.getByRole('button', { name: 'Join the network' }).click();
  await expect(page.getByRole('alert')).toContainText('70 characters long; at most 64');
  await expect(page.getByLabel('Display name')).toBeFocused();
  await page.getByLabel('Display name').fill('Alice');
  await page.getByRole('button', { name: 'Join the network' }).click();
  await expect(page.getByLabel('Search people')).toBeFocused();

  // Chat and back (Escape in the composer, and the ← button): focus returns to that buddy.
  const henrik = page.getByRole('list', { name: 'Buddies' }).getByRole('button', { name: /Henrik Lundgren/ });
  await henrik.click();
  await expect(page.getByLabel('Message to Henrik Lundgren')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(henrik).toBeFocused();
  await henrik.press('Enter');
  await page.getByRole('button', { name: 'Back to buddies' }).click();
  await expect(henrik).toBeFocused();

  // Settings, then Escape: back on the Settings button.
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Privacy' }).click();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('button', { name: 'Settings' })).toBeFocused();
  await expect(page.getByRole('button', { name: 'Settings' })).toHaveAttribute('aria-pressed', 'false');
});

test('the message log scrolls by keyboard', async ({ page }) => {
  await page.setViewportSize({ width: 900, height: 420 });
  await joinDemo(page);
  await page.getByRole('list', { name: 'Buddies' }).getByRole('button', { name: /Richard Gold/ }).click();
  for (let i = 0; i < 12; i++) {
    await page.getByLabel('Message to Richard Gold').fill(`line ${i}\nsecond row`);
    await page.keyboard.press('Enter');
  }
  const log = page.getByRole('log', { name: 'Messages with Richard Gold' });
  const top = () => log.evaluate((el) => el.scrollTop);
  expect(await top()).toBeGreaterThan(0); // followed the newest
  // In the tab order right before the composer. (This Chromium makes any scroller focusable; the
  // tabindex is for browsers that do not.)
  await expect(log).toHaveAttribute('tabindex', '0');
  await page.keyboard.press('Shift+Tab');
  await expect(log).toBeFocused();
  await page.keyboard.press('Home');
  await expect.poll(top).toBe(0);
  await page.keyboard.press('PageDown');
  await expect.poll(top).toBeGreaterThan(0);
});

test('a failed message says why and offers Retry, which sends it again in its place', async ({ page }) => {
  await joinDemo(page);
  await page.getByRole('list', { name: 'Buddies' }).getByRole('button', { name: /Henrik Lundgren/ }).click();
  // Past the composer (which refuses it): the port itself answers with a failed message and its reason.
  await page.evaluate(() => {
    const app = document.querySelector('dima-app')!;
    const henrik = app.port!.buddies().find((b) => b.name === 'Henrik Lundgren')!;
    app.port!.send(henrik.uid, 'y'.repeat(2_001));
  });
  const conversation = page.getByRole('list', { name: 'Conversation with Henrik Lundgren' }).getByRole('listitem');
  const failed = conversation.filter({ hasText: 'yyyy' });
  await expect(failed).toHaveClass(/failed/);
  await expect(failed).toContainText('Too long: 2001 of at most 2000 characters.');
  await expect(failed.getByLabel('not delivered')).toBeVisible();
  const before = await conversation.count();
  await failed.getByRole('button', { name: 'Retry' }).click();
  // Still too long, so it fails again: one failed bubble in place of the old one, not two.
  await expect(conversation.filter({ hasText: 'yyyy' })).toHaveCount(1);
  await expect(conversation).toHaveCount(before);
  await expect(page.getByLabel('Message to Henrik Lundgren')).toBeFocused();
});
