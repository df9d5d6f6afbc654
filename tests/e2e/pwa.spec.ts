import { expect, test } from '@playwright/test';

// The installable app shell: web manifest, workbox service worker, and a reload with no network.

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

/** Width and height from a PNG's IHDR chunk (bytes 16..23), and whether the signature is right. */
function pngSize(bytes: Buffer): { png: boolean; width: number; height: number } {
  const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { png, width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('the web manifest is valid and its icons load at the sizes it claims', async ({ page, request }) => {
  await page.goto('/');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBeTruthy();
  const manifestUrl = new URL(href!, page.url()).toString();
  const response = await request.get(manifestUrl);
  expect(response.ok()).toBe(true);
  const manifest = await response.json();
  expect(manifest).toMatchObject({ short_name: 'DIMA', start_url: '/', display: 'standalone' });
  expect(manifest.name).toContain('DIMA');
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);

  const icons = manifest.icons as ManifestIcon[];
  expect(icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  expect(icons.some((i) => i.purpose?.split(' ').includes('maskable'))).toBe(true);
  for (const icon of icons) {
    const iconResponse = await request.get(new URL(icon.src, manifestUrl).toString());
    expect(iconResponse.ok(), icon.src).toBe(true);
    expect(iconResponse.headers()['content-type']).toContain('image/png');
    const { png, width, height } = pngSize(await iconResponse.body());
    expect(png, icon.src).toBe(true);
    expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
  }
});

test('a service worker is registered and controls the page after a reload', async ({ page }) => {
  await page.goto('/');
  const scriptUrl = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
  expect(scriptUrl).toMatch(/\/sw\.js$/);
  await page.reload();
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null)).toMatch(/\/sw\.js$/);
});

test('with the network gone, a reload still starts the app shell from the precache', async ({ page, context }) => {
  await page.goto('/?demo');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.reload();
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);

  await context.setOffline(true);
  try {
    await page.reload();
    // The title carries the demo's unread count, "(2) DIMA" (notifier.ts).
    await expect(page).toHaveTitle(/^(\(\d+\) )?DIMA$/);
    await expect(page.getByRole('heading', { name: 'Welcome to DIMA' })).toBeVisible();
    // The reload really was offline: the network cannot be reached from the page (navigator.onLine
    // is not a reliable sign: this Chromium keeps it true under Playwright's setOffline).
    expect(await page.evaluate(() => fetch(`/ice?probe=${Date.now()}`, { cache: 'no-store' }).then(() => 'reached', () => 'offline'))).toBe('offline');
  } finally {
    await context.setOffline(false);
  }
});
