import { twoBuddies } from './chat-helpers.js';
import { buddyButton, conversation, expect, sendTo, test, waitJoined } from './real-tabs.js';

// The chat basics over the real overlay, two users in two browser contexts: a multi-line message
// round-trips, the limit refuses and keeps the draft, links are safe, the empty state, date
// separator and list preview show, block works, and "Leave the network" asks and can be undone.

test('multi-line messages, the length limit, safe links, empty state, preview and block', async ({ browser, ring }) => {
  test.setTimeout(150_000);
  const [cleo, dan] = await twoBuddies(browser, ring, ['Cleo Carlsson', 'Dan Dahl']);

  // Nothing said yet: the chat says so, and the message list is a keyboard-scrollable log.
  await buddyButton(dan.page, 'Cleo Carlsson').click();
  await expect(dan.page.getByText('No messages yet.')).toBeVisible();
  const log = dan.page.getByRole('log', { name: 'Messages with Cleo Carlsson' });
  await expect(log).toHaveAttribute('tabindex', '0');

  // Shift+Enter is a new line, Enter sends; the lines arrive as lines.
  await buddyButton(cleo.page, 'Dan Dahl').click();
  const box = cleo.page.getByLabel('Message to Dan Dahl');
  await box.pressSequentially('first line');
  await box.press('Shift+Enter');
  await box.pressSequentially('second line');
  await box.press('Enter');
  await expect(box).toHaveValue('');
  const received = conversation(dan.page, 'Cleo Carlsson').filter({ hasText: 'first line' }).locator('.text');
  await expect(received).toHaveText('first line\nsecond line', { timeout: 15_000 });
  expect(await received.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('pre-wrap');
  const lines = await received.evaluate((el) => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)));
  expect(lines).toBe(2);
  await expect(conversation(dan.page, 'Cleo Carlsson').getByRole('heading', { name: 'Today' })).toBeVisible();
  // The buddy list previews the newest message, on one line.
  await expect(buddyButton(dan.page, 'Cleo Carlsson')).toContainText('first line second line');

  // Pasted newlines stay (fill sets the value as a paste does), and come back the other way.
  await dan.page.getByLabel('Message to Cleo Carlsson').fill('pasted\n\nthree lines');
  await dan.page.getByLabel('Message to Cleo Carlsson').press('Enter');
  await expect(conversation(cleo.page, 'Dan Dahl').filter({ hasText: 'pasted' }).locator('.text')).toHaveText('pasted\n\nthree lines', { timeout: 15_000 });

  // Over the limit (2,000): refused with a reason, the draft kept, nothing sent.
  const long = 'x'.repeat(2_100);
  await box.fill(long);
  await expect(cleo.page.locator('dima-composer .counter')).toHaveText('2,100 / 2,000');
  await expect(cleo.page.getByRole('button', { name: 'Send' })).toBeDisabled();
  await box.press('Enter');
  await expect(cleo.page.getByRole('alert')).toContainText('Too long: 2,100 characters, at most 2,000');
  await expect(box).toHaveValue(long);
  await expect(conversation(cleo.page, 'Dan Dahl')).toHaveCount(2);
  await box.fill('');

  // Links: http(s) only, opened in a new tab without an opener; anything else stays text.
  await sendTo(cleo.page, 'Dan Dahl', 'docs at https://example.org/pastry?x=1. not javascript:alert(1) <b>bold</b>');
  const bubble = conversation(dan.page, 'Cleo Carlsson').filter({ hasText: 'docs at' });
  const link = bubble.getByRole('link');
  await expect(link).toHaveCount(1, { timeout: 15_000 });
  await expect(link).toHaveAttribute('href', 'https://example.org/pastry?x=1');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(bubble.locator('b')).toHaveCount(0);
  await expect(bubble.locator('.text')).toContainText('<b>bold</b>');

  // Text direction follows the text: an Arabic message is laid out right to left.
  await sendTo(cleo.page, 'Dan Dahl', 'مرحبا بالعالم');
  const arabic = conversation(dan.page, 'Cleo Carlsson').filter({ hasText: 'مرحبا' }).locator('.text');
  await expect(arabic).toHaveAttribute('dir', 'auto');
  expect(await arabic.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');

  // Dan blocks Cleo: asked first; she leaves his list and appears under Blocked in Settings.
  await dan.page.getByRole('button', { name: 'Chat options' }).click();
  await dan.page.getByRole('button', { name: 'Block', exact: true }).click();
  const dialog = dan.page.getByRole('dialog', { name: 'Block Cleo Carlsson?' });
  await dialog.getByRole('button', { name: 'Block', exact: true }).click();
  await expect(buddyButton(dan.page, 'Cleo Carlsson')).toHaveCount(0);
  await dan.page.getByRole('button', { name: 'Settings' }).click();
  await expect(dan.page.getByRole('list', { name: 'Blocked people' })).toContainText('Cleo Carlsson');

  await cleo.context.close();
  await dan.context.close();
});

test('"Leave the network" asks first, and Rejoin brings the tab back', async ({ browser, ring }) => {
  test.setTimeout(120_000);
  const [eva, finn] = await twoBuddies(browser, ring, ['Eva Ek', 'Finn Fors']);
  await eva.page.getByRole('button', { name: 'Settings' }).click();
  const leave = eva.page.getByRole('button', { name: 'Leave the network' });

  // The privacy switch: with direct links off, an active chat is routed (no direct link opens).
  const direct = eva.page.getByRole('checkbox', { name: /Direct links for active chats/ });
  await expect(direct).toBeChecked();
  await direct.uncheck();
  await sendTo(eva.page, 'Finn Fors', 'routed, not direct');
  await expect(conversation(eva.page, 'Finn Fors').filter({ hasText: 'routed, not direct' }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 20_000 });
  await eva.page.waitForTimeout(2_000);
  expect(await eva.page.evaluate(() => window.__dima!.directLinks())).toEqual([]);
  await eva.page.getByRole('button', { name: 'Settings' }).click();

  // Cancel (and Escape) keep the tab in the network, focus back on the button.
  await leave.click();
  const dialog = eva.page.getByRole('dialog', { name: 'Leave the network?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(leave).toBeFocused();
  await leave.click();
  await eva.page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  expect(await eva.page.evaluate(() => window.__dima!.state)).toBe('joined');

  // Confirmed: left, and Finn sees her go.
  await leave.click();
  await dialog.getByRole('button', { name: 'Leave', exact: true }).click();
  await expect(eva.page.getByRole('status').filter({ hasText: 'Left the network' })).toBeVisible();
  await expect(buddyButton(finn.page, 'Eva Ek')).toContainText('offline', { timeout: 20_000 });

  // The way back: Rejoin (same uid), and the chat works again.
  await eva.page.getByRole('button', { name: 'Rejoin the network' }).click();
  expect(await waitJoined(eva.page)).toBe(eva.id);
  await expect(buddyButton(finn.page, 'Eva Ek')).toContainText('online', { timeout: 20_000 });
  await sendTo(eva.page, 'Finn Fors', 'back again');
  await expect(conversation(eva.page, 'Finn Fors').filter({ hasText: 'back again' }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 20_000 });
  // The switch holds for the new session too.
  expect(await eva.page.evaluate(() => window.__dima!.directLinks())).toEqual([]);

  // Finn removes Eva (asked first): she leaves his list, and he leaves hers when told.
  await buddyButton(finn.page, 'Eva Ek').click();
  await finn.page.getByRole('button', { name: 'Chat options' }).click();
  await finn.page.getByRole('button', { name: 'Remove buddy' }).click();
  await finn.page.getByRole('dialog', { name: 'Remove Eva Ek?' }).getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(buddyButton(finn.page, 'Eva Ek')).toHaveCount(0);
  await expect(buddyButton(eva.page, 'Finn Fors')).toHaveCount(0, { timeout: 20_000 });

  await eva.context.close();
  await finn.context.close();
});
