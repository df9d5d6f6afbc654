import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { startServer } from '../../signaling-bootstrap/server.js';
import { saveScreenshot } from './helpers.js';
import { buddyButton, conversation, onboard, searchFor, sendTo } from './real-tabs.js';

// Issue 13 (b), the serverless invite: two people whose browsers visited the app once meet with no
// server at all. The server that served the app is stopped before either of them joins anything;
// the app comes from the service worker, and the only introduction is the invite and its reply,
// carried between the two pages as text through the real dialogs.

async function visitOnce(browser: Browser, url: string, errors: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: url });
  context.on('weberror', (error) => errors.push(error.error().stack ?? error.error().message));
  const page = await context.newPage();
  await page.goto('/');
  await page.evaluate(async () => void (await navigator.serviceWorker.ready));
  await page.reload();
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  return { context, page };
}

/**
 * Gives the page a camera that films `svg` (a QR code) held in front of it: getUserMedia answers
 * with a canvas stream, redrawn a few times a second as a real camera keeps sending frames.
 */
async function cameraFilming(page: Page, svg: string): Promise<void> {
  await page.evaluate(async (svgText) => {
    const image = new Image();
    image.src = `data:image/svg+xml;base64,${btoa(svgText)}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 480;
    const context = canvas.getContext('2d')!;
    const draw = () => {
      context.fillStyle = '#fff';
      context.fillRect(0, 0, 480, 480);
      context.drawImage(image, 60, 60, 360, 360);
    };
    draw();
    setInterval(draw, 100);
    const stream = canvas.captureStream(10);
    navigator.mediaDevices.getUserMedia = async () => stream;
  }, svg);
}

/** The value of a text field once it holds a code with `prefix`. */
async function codeIn(page: Page, label: string, prefix: string): Promise<string> {
  const field = page.getByRole('dialog').getByLabel(label);
  await expect(field).toHaveValue(new RegExp(`^${prefix}`), { timeout: 20_000 });
  return field.inputValue();
}

test('with no server at all, two visitors form a network through an invite, find each other and chat', async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  const server = await startServer({ port: 0, distDir: process.env.DIST ?? 'dist' });
  const astrid = await visitOnce(browser, server.url, errors);
  const bertil = await visitOnce(browser, server.url, errors);
  await server.close();
  // Nothing answers at the origin any more: no app files, no introducer.
  await expect(astrid.page.request.get(server.url).then(() => 'answered', () => 'refused')).resolves.toBe('refused');

  for (const { page } of [astrid, bertil]) {
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Welcome to DIMA' })).toBeVisible();
  }
  await onboard(astrid.page, { name: 'Astrid Ekholm', city: 'Visby' });
  await onboard(bertil.page, { name: 'Bertil Strand', city: 'Kiruna' });
  for (const { page } of [astrid, bertil]) {
    await expect(page.locator('dima-connection-status')).toContainText('Offline', { timeout: 30_000 });
  }

  // No camera here: asking for it says so, and pasting still works.
  // Offline, the header itself offers the way in.
  await bertil.page.locator('dima-connection-status').getByRole('button', { name: 'Join with an invite' }).click();
  const join = bertil.page.getByRole('dialog', { name: 'Join with an invite' });
  await join.getByRole('button', { name: 'Scan with the camera' }).click();
  await expect(join.locator('dima-qr-scanner').getByRole('status')).toContainText('paste the invite instead');
  await join.getByRole('button', { name: 'Stop the camera' }).click();

  // A code from elsewhere is refused with a clear message, on both sides.
  await join.getByLabel('Invite code').fill('WIFI:S:home;T:WPA;P:secret;;');
  await join.getByRole('button', { name: 'Use this invite' }).click();
  await expect(join.getByRole('status')).toContainText('not a DIMA invite');

  // Astrid invites: alone and offline, her tab first founds a ring of its own.
  await astrid.page.getByRole('button', { name: 'Invite someone' }).click();
  const invite = await codeIn(astrid.page, 'Invite code', 'DIMAI1-');
  await expect(astrid.page.locator('dima-connection-status')).toContainText('Alone in the network');
  await saveScreenshot(astrid.page, testInfo, 'invite-inviter');

  // Bertil pastes it (a reply pasted where the invite goes would be refused, and vice versa).
  await join.getByLabel('Invite code').fill(invite);
  await join.getByRole('button', { name: 'Use this invite' }).click();
  const reply = await codeIn(bertil.page, 'Your reply code', 'DIMAR1-');
  await saveScreenshot(bertil.page, testInfo, 'invite-newcomer-reply');
  const inviterDialog = astrid.page.getByRole('dialog', { name: 'Invite someone' });
  await inviterDialog.getByLabel('Their reply code').fill(invite);
  await inviterDialog.getByRole('button', { name: 'Connect' }).click();
  await expect(inviterDialog.getByRole('status')).toContainText('invite, not a reply code');

  // Astrid pastes the reply: the data channel opens and Bertil joins through her.
  await inviterDialog.getByLabel('Their reply code').fill(reply);
  await inviterDialog.getByRole('button', { name: 'Connect' }).click();
  await expect(inviterDialog.getByRole('status')).toHaveText('Connected.', { timeout: 30_000 });
  await expect(join.getByRole('status')).toHaveText('Joined through the invite.', { timeout: 30_000 });
  await expect(bertil.page.locator('dima-connection-status')).toContainText('Joined · 1 link');
  console.info(`[invite e2e] invite ${invite.length} chars, reply ${reply.length} chars`);
  await join.getByRole('button', { name: 'Close' }).click();
  await inviterDialog.getByRole('button', { name: 'Close' }).press('Enter'); // keyboard works too
  await expect(inviterDialog).toBeHidden();

  // The network is real: Bertil finds Astrid in the directory, they become buddies and chat.
  const hit = await searchFor(bertil.page, 'astr', 'Astrid Ekholm', 30_000);
  await hit.getByRole('button', { name: 'Add Astrid Ekholm as buddy' }).click();
  const request = astrid.page.getByRole('region', { name: 'Buddy requests' }).getByRole('listitem').filter({ hasText: 'Bertil Strand' });
  await request.getByRole('button', { name: 'Accept' }).click({ timeout: 20_000 });
  await expect(buddyButton(bertil.page, 'Astrid Ekholm')).toContainText('online', { timeout: 20_000 });
  await sendTo(bertil.page, 'Astrid Ekholm', 'Hej Astrid, no server in sight!');
  await buddyButton(astrid.page, 'Bertil Strand').click();
  await expect(conversation(astrid.page, 'Bertil Strand').filter({ hasText: 'no server in sight' })).toBeVisible({ timeout: 20_000 });
  await expect(conversation(bertil.page, 'Astrid Ekholm').last().getByLabel('delivered')).toHaveText('✓✓', { timeout: 20_000 });
  await saveScreenshot(astrid.page, testInfo, 'invite-chat');

  await astrid.context.close();
  await bertil.context.close();
  expect(errors, 'uncaught errors in the pages').toEqual([]);
});

test('a newcomer alone in a ring of its own scans the invite, leaves its ring and joins through the invite', async ({ browser }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  const server = await startServer({ port: 0, distDir: process.env.DIST ?? 'dist' });
  const astrid = await visitOnce(browser, server.url, errors);
  const cecilia = await visitOnce(browser, server.url, errors);
  await server.close();
  for (const [tab, name] of [[astrid, 'Astrid Ekholm'], [cecilia, 'Cecilia Berg']] as const) {
    await tab.page.reload();
    await onboard(tab.page, { name });
  }
  const ceciliaId = await cecilia.page.evaluate(() => window.__dima!.id);
  // Cecilia made an invite of her own first: her tab founded a ring and is joined, alone.
  await cecilia.page.getByRole('button', { name: 'Invite someone' }).click();
  await codeIn(cecilia.page, 'Invite code', 'DIMAI1-');
  await cecilia.page.keyboard.press('Escape');
  await expect(cecilia.page.locator('dima-connection-status')).toContainText('Alone in the network');

  await astrid.page.getByRole('button', { name: 'Invite someone' }).click();
  await codeIn(astrid.page, 'Invite code', 'DIMAI1-');
  // Cecilia scans Astrid's QR code: her "camera" films the picture Astrid's dialog drew.
  const qr = await astrid.page.locator('dima-qr-code svg').evaluate((svg) => new XMLSerializer().serializeToString(svg));
  await cameraFilming(cecilia.page, qr);
  await cecilia.page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Join with an invite' }).click();
  const join = cecilia.page.getByRole('dialog', { name: 'Join with an invite' });
  await join.getByRole('button', { name: 'Scan with the camera' }).click();
  const reply = await codeIn(cecilia.page, 'Your reply code', 'DIMAR1-');
  const inviterDialog = astrid.page.getByRole('dialog', { name: 'Invite someone' });
  await inviterDialog.getByLabel('Their reply code').fill(reply);
  await inviterDialog.getByRole('button', { name: 'Connect' }).click();
  await expect(join.getByRole('status')).toHaveText('Joined through the invite.', { timeout: 30_000 });
  await expect(cecilia.page.locator('dima-connection-status')).toContainText('Joined · 1 link');
  // Same identity, new node in Astrid's ring: she finds Cecilia in the directory.
  expect(await cecilia.page.evaluate(() => window.__dima!.id)).toBe(ceciliaId);
  await astrid.page.keyboard.press('Escape');
  await searchFor(astrid.page, 'cec', 'Cecilia Berg', 30_000);

  await astrid.context.close();
  await cecilia.context.close();
  expect(errors, 'uncaught errors in the pages').toEqual([]);
});
