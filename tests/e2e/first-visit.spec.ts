import { expect, newContext, test, waitJoined } from './real-tabs.js';

// A first visit on a phone: onboarding comes from the small entry chunk, compressed; the boot chunk
// (overlay, WebRTC, crypto) is fetched only once the user starts on the form.

test('a first visit shows onboarding without the boot chunk, brotli-compressed; touching the form starts the node', async ({ browser, ring }) => {
  const context = await newContext(browser, ring);
  const page = await context.newPage();
  const scripts: { url: string; encoding: string | undefined }[] = [];
  page.on('response', (response) => {
    if (response.url().endsWith('.js')) scripts.push({ url: new URL(response.url()).pathname, encoding: response.headers()['content-encoding'] });
  });
  await page.goto('/');
  await expect(page.getByRole('main')).toContainText('Welcome to DIMA');
  await page.waitForTimeout(1_500); // well inside the 3 s an untouched first visit waits
  expect(scripts.filter((s) => s.url.includes('/boot-'))).toEqual([]);
  const entry = scripts.find((s) => /\/assets\/index-.*\.js$/.test(s.url));
  expect(entry?.encoding).toBe('br');

  await page.getByLabel('Display name').click();
  await expect.poll(() => scripts.some((s) => s.url.includes('/boot-')), { timeout: 5_000 }).toBe(true);
  await waitJoined(page);
  await context.close();
});
