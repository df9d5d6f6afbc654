import { readFileSync, writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { buddyButton, conversation, expect, newContext, onboard, openTab, searchFor, sendTo, test, waitJoined } from './real-tabs.js';

// Identity backup across browsers: Åsa backs up her identity in one browser context, closes it, and
// restores it in a fresh one (its own, empty IndexedDB): the same uid, her buddy and history are
// there, and the chat carries on both ways with receipts.

const PASSPHRASE = 'rain on the fjord at noon';

async function exportBackup(page: Page, path: string): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Back up this identity…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Back up this identity' });
  await expect(dialog).toContainText('Anyone with this file and its passphrase can be you');
  await dialog.getByLabel('Passphrase (at least 10 characters)').fill(PASSPHRASE);
  await dialog.getByLabel('Passphrase again').fill(PASSPHRASE);
  const download = page.waitForEvent('download', { timeout: 60_000 });
  await dialog.getByRole('button', { name: 'Create backup file' }).click();
  await (await download).saveAs(path);
  await expect(dialog.getByRole('status')).toContainText('Backup ready', { timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Close' }).click();
}

test('an identity backed up in one browser is restored in another: same uid, buddies present, chats continue', async ({ browser, ring }, testInfo) => {
  test.setTimeout(180_000);
  const asa = await openTab(browser, ring);
  await onboard(asa.page, { name: 'Åsa Berg', city: 'Kiruna' });
  const bo = await openTab(browser, ring);
  await onboard(bo.page, { name: 'Bo Ek', words: 'skiing' });

  const hit = await searchFor(asa.page, 'bo', 'Bo Ek');
  await hit.getByRole('button', { name: 'Add Bo Ek as buddy' }).click();
  const request = bo.page.getByRole('region', { name: 'Buddy requests' }).getByRole('listitem').filter({ hasText: 'Åsa Berg' });
  await request.getByRole('button', { name: 'Accept' }).click({ timeout: 20_000 });
  await expect(buddyButton(asa.page, 'Bo Ek')).toContainText('online', { timeout: 20_000 });
  await sendTo(asa.page, 'Bo Ek', 'before the backup');
  await expect(conversation(asa.page, 'Bo Ek').filter({ hasText: 'before the backup' }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 15_000 });
  await sendTo(bo.page, 'Åsa Berg', 'got it');
  await expect(conversation(asa.page, 'Bo Ek').filter({ hasText: 'got it' })).toBeVisible({ timeout: 15_000 });

  const file = testInfo.outputPath('asa.dima-backup.json');
  await exportBackup(asa.page, file);
  const sealed = readFileSync(file, 'utf8');
  expect(JSON.parse(sealed)).toMatchObject({ format: 'dima-identity-backup', version: 1, kdf: { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 } });
  expect(sealed).not.toContain('Åsa'); // sealed: neither names nor texts in the clear
  expect(sealed).not.toContain('before the backup');

  // Her old browser goes away (the warning: one identity runs in one place at a time).
  await asa.context.close();
  await expect(buddyButton(bo.page, 'Åsa Berg')).toContainText('offline', { timeout: 20_000 });

  // A fresh browser: onboarding offers the restore.
  const context = await newContext(browser, ring);
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('main')).toContainText('Welcome to DIMA');
  await page.getByText('Restore from backup').click();
  await expect(page.getByText('If it is still open in another browser')).toBeVisible();
  await page.getByLabel('Backup file').setInputFiles(file);

  // A wrong passphrase and a damaged file are refused with their reasons; nothing changes.
  await page.getByLabel('Passphrase', { exact: true }).fill('rain on the fjord at midnight');
  await page.getByRole('button', { name: 'Restore' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Wrong passphrase' })).toBeVisible({ timeout: 60_000 });
  const damaged = testInfo.outputPath('damaged.json');
  writeFileSync(damaged, sealed.slice(0, sealed.length / 2));
  await page.getByLabel('Backup file').setInputFiles(damaged);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Restore' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'not a DIMA identity backup' })).toBeVisible({ timeout: 10_000 });

  await page.getByLabel('Backup file').setInputFiles(file);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Restore' }).click();
  // The page reloads into the restored identity: same uid, no onboarding, the buddy and history there.
  expect(await waitJoined(page, 90_000)).toBe(asa.id);
  await expect(page.getByRole('navigation', { name: 'Views' })).toBeVisible();
  await expect(buddyButton(page, 'Bo Ek')).toContainText('online', { timeout: 20_000 });
  await buddyButton(page, 'Bo Ek').click();
  await expect(conversation(page, 'Bo Ek').locator('.text')).toHaveText(['before the backup', 'got it']);

  // Chats continue both ways, with receipts: the same conversation, counters where they were.
  await sendTo(page, 'Bo Ek', 'restored in a new browser');
  await expect(conversation(page, 'Bo Ek').filter({ hasText: 'restored in a new browser' }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 20_000 });
  await expect(conversation(bo.page, 'Åsa Berg').filter({ hasText: 'restored in a new browser' })).toHaveCount(1, { timeout: 15_000 });
  await sendTo(bo.page, 'Åsa Berg', 'welcome back');
  await expect(conversation(page, 'Bo Ek').filter({ hasText: 'welcome back' })).toBeVisible({ timeout: 15_000 });
  await expect(conversation(bo.page, 'Åsa Berg').locator('.text')).toHaveText(['before the backup', 'got it', 'restored in a new browser', 'welcome back']);

  await context.close();
  await bo.context.close();
});
