import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, TestInfo } from '@playwright/test';

/** Screenshots kept as artifacts at a stable path (test-results/screenshots/NAME.png) and attached to the report. */
export async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  const dir = join('test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
  return path;
}

/** Open the in-memory demo and get past onboarding with a display name. */
export async function joinDemo(page: Page, name = 'Alice'): Promise<void> {
  await page.goto('/?demo');
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Join the network' }).click();
  await page.getByRole('navigation', { name: 'Views' }).waitFor();
}
