import type { Page } from '@playwright/test';
import { buddyButton, conversation, expect, onboard, openTab, searchFor, sendTo, test, waitJoined, type Tab } from './real-tabs.js';

// Mail for the offline (src/im/mailbox.ts), in real tabs over real WebRTC, one browser context per
// user: Alice writes to Henrik while he is away and closes her tab; the other tabs of the ring (his
// future neighbours) keep the sealed messages and hand them to Henrik when he comes back, while
// Alice is still away. With six tabs and five holders per uid, every tab but Henrik keeps his mail:
// the counters of the four bystander tabs show that the mailbox, not Alice's outbox, carried it.

const stats = (page: Page) => page.evaluate(() => window.__dima!.imStats());
const counter = async (tabs: Tab[], label: string) => (await Promise.all(tabs.map((t) => stats(t.page)))).map((s) => s[label] ?? 0);

test('messages to an offline buddy wait in the mailbox after the sender left: shown once, in order, and the sender later sees ✓✓', async ({ browser, ring }) => {
  test.setTimeout(240_000);
  const alice = await openTab(browser, ring);
  await onboard(alice.page, { name: 'Alice Andersson', city: 'Uppsala' });
  const henrik = await openTab(browser, ring);
  await onboard(henrik.page, { name: 'Henrik Lundgren', city: 'Uppsala' });
  const bystanders: Tab[] = [];
  for (let i = 0; i < 4; i++) bystanders.push(await openTab(browser, ring));

  const hit = await searchFor(alice.page, 'hen', 'Henrik Lundgren');
  await hit.getByRole('button', { name: 'Add Henrik Lundgren as buddy' }).click();
  const request = henrik.page.getByRole('region', { name: 'Buddy requests' }).getByRole('listitem').filter({ hasText: 'Alice Andersson' });
  await expect(request).toContainText('wants to be your buddy', { timeout: 20_000 });
  await request.getByRole('button', { name: 'Accept' }).click();
  await expect(buddyButton(alice.page, 'Henrik Lundgren')).toContainText('online', { timeout: 20_000 });

  // Henrik closes his tab; Alice writes three messages to him.
  await henrik.page.close();
  await expect(buddyButton(alice.page, 'Henrik Lundgren')).toContainText('offline', { timeout: 20_000 });
  const texts = ['while you were away 1', 'while you were away 2', 'while you were away 3'];
  for (const text of texts) {
    await sendTo(alice.page, 'Henrik Lundgren', text);
    await expect(conversation(alice.page, 'Henrik Lundgren').filter({ hasText: text })).toHaveClass(/queued/);
  }
  // Every bystander keeps all three (the key's root took each and copied it to the other holders).
  await expect.poll(() => counter(bystanders, 'mail stored'), { timeout: 20_000 }).toEqual([3, 3, 3, 3]);

  // Alice closes her tab too: from now on nothing can come from her outbox.
  await alice.page.close();

  // Henrik comes back in the same browser profile while Alice is away: all three, once, in order.
  const back = await henrik.context.newPage();
  await back.goto('/');
  expect(await waitJoined(back)).toBe(henrik.id);
  await buddyButton(back, 'Alice Andersson').click();
  const shown = () => conversation(back, 'Alice Andersson').locator('.text').allTextContents();
  await expect.poll(shown, { timeout: 30_000 }).toEqual(texts);
  expect((await stats(back))['mail received']).toBeGreaterThanOrEqual(3);
  // The holders handed it over and his signed acknowledgement deleted it everywhere.
  await expect.poll(async () => (await counter(bystanders, 'mail deleted by ack')).reduce((a, b) => a + b, 0), { timeout: 20_000 }).toBe(12);
  expect((await counter(bystanders, 'mail handed over')).every((n) => n >= 1)).toBe(true);
  await back.waitForTimeout(2_000);
  expect(await shown()).toEqual(texts);

  // Later Alice comes back: her three messages are delivered (✓✓), no longer queued.
  const aliceBack = await alice.context.newPage();
  await aliceBack.goto('/');
  expect(await waitJoined(aliceBack)).toBe(alice.id);
  await buddyButton(aliceBack, 'Henrik Lundgren').click();
  for (const text of texts) {
    await expect(conversation(aliceBack, 'Henrik Lundgren').filter({ hasText: text }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 20_000 });
  }
  expect(await shown()).toEqual(texts);

  for (const tab of [alice, henrik, ...bystanders]) await tab.context.close();
});
