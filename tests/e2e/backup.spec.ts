import { readFileSync, writeFileSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { buddyButton, conversation, expect, newContext, onboard, openTab, searchFor, sendTo, test, waitJoined } from './real-tabs.js';

// Identity backup across browsers: Åsa backs up her identity in one browser context, closes it, and
// restores it in a fresh one (its own, empty IndexedDB): the same uid, her buddy and history are
// there, and the chat carries on both ways with receipts. Second test: the file is older than the
// last messages of the old browser (both sides chatted after it); what both send after the restore
// is shown once each, in order, on both sides.

const PASSPHRASE = 'rain on the fjord at noon';

async function exportBackup(page: Page, path: string): Promise<void> {
  const open = page.getByRole('button', { name: 'Back up this identity…' });
  if (!(await open.isVisible())) await page.getByRole('button', { name: 'Settings' }).click();
  await open.click();
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

type Ring = Parameters<typeof openTab>[1];

/** Åsa and Bo, buddies, one message each way. */
async function buddies(browser: Browser, ring: Ring) {
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
  await delivered(asa.page, 'Bo Ek', 'before the backup');
  await sendTo(bo.page, 'Åsa Berg', 'got it');
  await expect(conversation(asa.page, 'Bo Ek').filter({ hasText: 'got it' })).toBeVisible({ timeout: 15_000 });
  return { asa, bo };
}

async function delivered(page: Page, buddy: string, text: string): Promise<void> {
  await expect(conversation(page, buddy).filter({ hasText: text }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 20_000 });
}

/** Sends each text and waits until the other side shows it. */
async function chat(from: Page, to: string, peer: Page, peerSeesAs: string, texts: string[]): Promise<void> {
  for (const text of texts) {
    await sendTo(from, to, text);
    await expect(conversation(peer, peerSeesAs).filter({ hasText: text })).toHaveCount(1, { timeout: 20_000 });
  }
}

/** A fresh browser context restores `file` from onboarding; returns its page once it runs as `uid`. */
async function restoreInFreshBrowser(browser: Browser, ring: Ring, file: string, uid: string) {
  const context = await newContext(browser, ring);
  const page = await context.newPage();
  await page.goto('/');
  await page.getByText('Restore from backup').click();
  await page.getByLabel('Backup file').setInputFiles(file);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Restore' }).click();
  expect(await waitJoined(page, 90_000)).toBe(uid);
  await expect(buddyButton(page, 'Bo Ek')).toContainText('online', { timeout: 20_000 });
  await buddyButton(page, 'Bo Ek').click();
  return { context, page };
}

test('an identity backed up in one browser is restored in another: same uid, buddies present, chats continue', async ({ browser, ring }, testInfo) => {
  test.setTimeout(180_000);
  const { asa, bo } = await buddies(browser, ring);

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

test('a backup older than the last messages: after the restore the new messages of both sides are shown once each, in order; settings come back', async ({ browser, ring }, testInfo) => {
  test.setTimeout(240_000);
  const { asa, bo } = await buddies(browser, ring);
  // Settings the user chose go into the file (sound on, direct links off: every message routed).
  await asa.page.getByRole('button', { name: 'Settings' }).click();
  await asa.page.getByRole('checkbox', { name: /Direct links for active chats/ }).uncheck();
  await asa.page.getByRole('checkbox', { name: 'Play a sound for new messages' }).check();
  const file = testInfo.outputPath('asa-old.dima-backup.json');
  await exportBackup(asa.page, file);

  // Both chat on after the backup: the old browser uses seqs 2 and 3, and acknowledges Bo's 2 and 3.
  await buddyButton(asa.page, 'Bo Ek').click();
  await chat(asa.page, 'Bo Ek', bo.page, 'Åsa Berg', ['after the backup 1', 'after the backup 2']);
  await delivered(asa.page, 'Bo Ek', 'after the backup 2');
  await chat(bo.page, 'Åsa Berg', asa.page, 'Bo Ek', ['Bo after the backup 1', 'Bo after the backup 2']);
  await asa.context.close();
  await expect(buddyButton(bo.page, 'Åsa Berg')).toContainText('offline', { timeout: 20_000 });

  const { context, page } = await restoreInFreshBrowser(browser, ring, file, asa.id);
  // The restored history is the file's: what the old browser sent and showed after it is not there.
  await expect(conversation(page, 'Bo Ek').locator('.text')).toHaveText(['before the backup', 'got it']);
  await chat(page, 'Bo Ek', bo.page, 'Åsa Berg', ['restored 1', 'restored 2']);
  await delivered(page, 'Bo Ek', 'restored 2');
  await chat(bo.page, 'Åsa Berg', page, 'Bo Ek', ['Bo to the restored 1', 'Bo to the restored 2']);
  await expect(conversation(bo.page, 'Åsa Berg').locator('.text')).toHaveText([
    'before the backup', 'got it', 'after the backup 1', 'after the backup 2', 'Bo after the backup 1', 'Bo after the backup 2',
    'restored 1', 'restored 2', 'Bo to the restored 1', 'Bo to the restored 2',
  ]);
  await expect(conversation(page, 'Bo Ek').locator('.text')).toHaveText(['before the backup', 'got it', 'restored 1', 'restored 2', 'Bo to the restored 1', 'Bo to the restored 2']);
  await delivered(page, 'Bo Ek', 'restored 1');
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('checkbox', { name: /Direct links for active chats/ })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Play a sound for new messages' })).toBeChecked();

  await context.close();
  await bo.context.close();
});
