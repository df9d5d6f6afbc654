import { instrumentPage, notifications, twoBuddies } from './chat-helpers.js';
import { buddyButton, conversation, expect, sendTo, test } from './real-tabs.js';

// Notifications over the real overlay, two users in two browser contexts. Bea's context has the
// notification permission granted; Adam's has not (it is asked once he adds a buddy). Both pages
// record notifications through a wrapper around window.Notification, and Bea's tab is "hidden" by
// switching document.visibilityState/hasFocus (chat-helpers.ts instrumentPage says why).

test('a hidden tab notifies a new message naming the buddy, counts it in the title and the app badge, plays the tone once turned on; the open, focused chat stays quiet', async ({ browser, ring }) => {
  test.setTimeout(150_000);
  const [adam, bea] = await twoBuddies(
    browser,
    ring,
    ['Adam Abel', 'Bea Berg'],
    async (context, index) => {
      await instrumentPage(context);
      if (index === 1) await context.grantPermissions(['notifications'], { origin: ring.url });
    },
    // Bea is elsewhere when Adam's request comes: it notifies, and counts in the title.
    async ([, b]) => b.page.evaluate(() => window.__setHidden!(true)),
  );

  // Asked at a sensible moment: not on load, once Adam added his first buddy. Bea, already
  // granted, was never prompted.
  expect(await adam.page.evaluate(() => window.__permissionAsked)).toBe(1);
  expect(await bea.page.evaluate(() => window.__permissionAsked)).toBe(0);
  // (twoBuddies waited for the request on Bea's page and accepted it there: hidden, not unseen.)
  expect(await notifications(bea.page)).toEqual([{ title: 'Adam Abel', body: 'wants to be your buddy', tag: expect.stringMatching(/^request:/), closed: false }]);
  await bea.page.evaluate(() => {
    window.__setHidden!(false);
    window.__notifications!.length = 0;
  });
  await expect(bea.page).toHaveTitle('DIMA');

  // Bea reads the chat with Adam: a message there is seen, so no notification and no count.
  await buddyButton(bea.page, 'Adam Abel').click();
  await sendTo(adam.page, 'Bea Berg', 'can you see this?');
  await expect(conversation(bea.page, 'Adam Abel').filter({ hasText: 'can you see this?' })).toBeVisible({ timeout: 15_000 });
  expect(await notifications(bea.page)).toEqual([]);
  await expect(bea.page).toHaveTitle('DIMA');

  // Bea's tab goes to the background with the same chat open: now it notifies and counts, in the
  // title and on the app badge.
  const badgesBefore = (await bea.page.evaluate(() => window.__badges!)).length;
  await bea.page.evaluate(() => window.__setHidden!(true));
  await sendTo(adam.page, 'Bea Berg', 'are you there?');
  await expect.poll(() => notifications(bea.page), { timeout: 15_000 }).toEqual([
    { title: 'Adam Abel', body: 'are you there?', tag: expect.stringMatching(/^chat:/), closed: false },
  ]);
  await expect(bea.page).toHaveTitle('(1) DIMA');
  await sendTo(adam.page, 'Bea Berg', 'hello?');
  await expect(bea.page).toHaveTitle('(2) DIMA', { timeout: 15_000 });
  // One notification per chat: the newer replaced the older.
  await expect.poll(async () => (await notifications(bea.page)).map((n) => [n.body, n.closed])).toEqual([['are you there?', true], ['hello?', false]]);

  // Bea comes back: the chat is read, the count goes, the notification is closed.
  await bea.page.evaluate(() => window.__setHidden!(false));
  await expect(bea.page).toHaveTitle('DIMA');
  expect((await notifications(bea.page)).every((n) => n.closed)).toBe(true);
  expect((await bea.page.evaluate(() => window.__badges!)).slice(badgesBefore)).toEqual([1, 2, 0]);

  // A click on a notification opens that chat: Bea is elsewhere (Settings) and hidden.
  await bea.page.getByRole('button', { name: 'Settings' }).click();
  await bea.page.evaluate(() => window.__setHidden!(true));
  await sendTo(adam.page, 'Bea Berg', 'click me');
  await expect.poll(async () => (await notifications(bea.page)).at(-1)?.body, { timeout: 15_000 }).toBe('click me');
  await bea.page.evaluate(() => {
    window.__setHidden!(false);
    window.__notifications!.at(-1)!.onclick!(new Event('click'));
  });
  await expect(conversation(bea.page, 'Adam Abel').filter({ hasText: 'click me' })).toBeVisible();
  await expect(bea.page.getByLabel('Message to Adam Abel')).toBeVisible();
  await expect(bea.page).toHaveTitle('DIMA');

  // The tone is off until Bea turns it on in Settings; then a message to her hidden tab plays it
  // (two notes: two Web Audio sources started).
  expect(await bea.page.evaluate(() => window.__tonesStarted)).toBe(0);
  await bea.page.getByRole('button', { name: 'Settings' }).click();
  await bea.page.getByLabel('Play a sound for new messages').check();
  await bea.page.evaluate(() => window.__setHidden!(true));
  await sendTo(adam.page, 'Bea Berg', 'ding');
  await expect.poll(async () => (await notifications(bea.page)).at(-1)?.body, { timeout: 15_000 }).toBe('ding');
  expect(await bea.page.evaluate(() => window.__tonesStarted)).toBe(2);

  await adam.context.close();
  await bea.context.close();
});
