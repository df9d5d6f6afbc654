import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { joinDemo } from './helpers.js';
import { expect, newContext, onboard, openTab, test } from './real-tabs.js';

// axe-core on every screen, in the light and the dark theme (prefers-color-scheme): no serious or
// critical violation (contrast, names, roles, landmarks…). The demo (/?demo) gives the screens
// with made-up buddies and chats; the real app gives onboarding with its restore form and the
// backup dialog (the demo has no stores to back up). Then the phone layout: one header row at 390 px.

const SCHEMES = ['light', 'dark'] as const;

/** Serious and critical violations on the page as it is now, as readable lines (empty: none). */
async function violations(page: Page, screen: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

for (const colorScheme of SCHEMES) {
  test(`demo screens in the ${colorScheme} theme: no serious or critical axe violation`, async ({ page }) => {
    test.setTimeout(90_000);
    await page.emulateMedia({ colorScheme });
    const found: string[] = [];
    await page.goto('/?demo');
    await expect(page.getByRole('heading', { name: 'Welcome to DIMA' })).toBeVisible();
    await expect(page.getByRole('main')).toHaveCount(1);
    found.push(...(await violations(page, 'onboarding')));

    await joinDemo(page, 'Alice');
    await expect(page.getByRole('banner')).toHaveCount(1);
    await expect(page.getByRole('main')).toHaveCount(1);
    await page.getByLabel('Search people').pressSequentially('upps', { delay: 30 });
    await expect(page.getByRole('list', { name: 'Search results' }).getByRole('listitem')).toHaveCount(3);
    found.push(...(await violations(page, 'main with search results')));

    await page.getByRole('list', { name: 'Buddies' }).getByRole('button', { name: /Henrik Lundgren/ }).click();
    await page.getByLabel('Message to Henrik Lundgren').fill('hello');
    await page.getByLabel('Message to Henrik Lundgren').press('Enter');
    await expect(page.getByRole('list', { name: 'Conversation with Henrik Lundgren' }).getByRole('listitem').filter({ hasText: 'echo: hello' })).toBeVisible();
    found.push(...(await violations(page, 'chat')));

    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByRole('button', { name: 'Settings' })).toHaveAttribute('aria-pressed', 'true');
    found.push(...(await violations(page, 'settings')));

    await page.getByRole('button', { name: 'Network', exact: true }).click();
    await expect(page.getByRole('img', { name: /Overlay ring/ })).toBeVisible();
    found.push(...(await violations(page, 'network view (pressed button)')));

    await page.getByRole('button', { name: 'Invite someone' }).click();
    await expect(page.getByRole('dialog', { name: 'Invite someone' })).toBeVisible();
    found.push(...(await violations(page, 'invite dialog')));
    await page.keyboard.press('Escape');
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Join with an invite' }).click();
    await expect(page.getByRole('dialog', { name: 'Join with an invite' })).toBeVisible();
    found.push(...(await violations(page, 'join dialog')));
    expect(found).toEqual([]);
  });

  test(`real onboarding, restore form and backup dialog in the ${colorScheme} theme: no serious or critical axe violation`, async ({ browser, ring }) => {
    test.setTimeout(90_000);
    const context = await newContext(browser, ring);
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme });
    const found: string[] = [];
    await page.goto('/');
    await expect(page.getByRole('main')).toContainText('Welcome to DIMA');
    await page.getByText('Restore from backup').click();
    await expect(page.getByLabel('Backup file')).toBeVisible();
    found.push(...(await violations(page, 'onboarding with the restore form')));
    await context.close();

    const tab = await openTab(browser, ring);
    await tab.page.emulateMedia({ colorScheme });
    await onboard(tab.page, { name: 'Maja Nilsson' });
    await tab.page.getByRole('button', { name: 'Settings' }).click();
    await tab.page.getByRole('button', { name: 'Back up this identity…' }).click();
    const dialog = tab.page.getByRole('dialog', { name: 'Back up this identity' });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('Passphrase again').fill('not the same');
    await dialog.getByLabel('Passphrase (at least 10 characters)').fill('something else');
    await dialog.getByRole('button', { name: 'Create backup file' }).click();
    await expect(dialog.getByRole('status')).toContainText('The two passphrases differ');
    found.push(...(await violations(tab.page, 'backup dialog with an error')));
    await tab.context.close();
    expect(found).toEqual([]);
  });
}

test('at 390 px (a phone) the header is one row, with the status, the demo badge and the four view buttons', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await joinDemo(page, 'Alice');
  const header = page.locator('dima-app header').first();
  const rowOf = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
  const title = await rowOf('dima-app header h1');
  const settings = await rowOf('dima-app nav button:last-child');
  const box = (await header.boundingBox())!;
  // One row: the title and the last button share a line, and the header is no taller than one button row.
  expect(Math.abs(title.y + title.height / 2 - (settings.y + settings.height / 2))).toBeLessThan(4);
  expect(box.height).toBeLessThan(settings.height * 2);
  expect(settings.x + settings.width).toBeLessThanOrEqual(390);
  // The connection status stays readable beside them.
  expect((await rowOf('dima-app header dima-connection-status')).width).toBeGreaterThan(50);
  // The short labels keep the long ones as accessible names.
  expect(await page.getByRole('button', { name: 'Invite someone' }).innerText()).toBe('Invite');
});
