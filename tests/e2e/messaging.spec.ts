import { startPeer } from '../../signaling-bootstrap/peer.js';
import { buddyButton, conversation, expect, onboard, openTab, searchFor, sendTo, test, waitJoined } from './real-tabs.js';

// Two users in two browser contexts (each its own IndexedDB: its own identity, buddies, outbox),
// over the real overlay: SCAN search, buddy request and accept, chat with receipts (an active chat
// over a direct link), and the outbox carrying messages across the buddy's absence and the sender's
// reload.

test('find by partial name, become buddies, chat with receipts; queued messages survive both sides going away', async ({ browser, ring }) => {
  test.setTimeout(180_000);
  const alice = await openTab(browser, ring);
  await onboard(alice.page, { name: 'Alice Andersson', city: 'Uppsala' });
  const henrik = await openTab(browser, ring);
  await onboard(henrik.page, { name: 'Henrik Lundgren', city: 'Uppsala', words: 'pastry' });

  // "hen" is a prefix of "henrik": the directory's prefix walk finds him.
  const hit = await searchFor(alice.page, 'hen', 'Henrik Lundgren');
  await hit.getByRole('button', { name: 'Add Henrik Lundgren as buddy' }).click();
  await expect(alice.page.getByText('Waiting for Henrik Lundgren to accept')).toBeVisible();

  const request = henrik.page.getByRole('region', { name: 'Buddy requests' }).getByRole('listitem').filter({ hasText: 'Alice Andersson' });
  await expect(request).toContainText('wants to be your buddy', { timeout: 20_000 });
  await request.getByRole('button', { name: 'Accept' }).click();
  await expect(buddyButton(henrik.page, 'Alice Andersson')).toContainText('online', { timeout: 20_000 });
  await expect(buddyButton(alice.page, 'Henrik Lundgren')).toContainText('online', { timeout: 20_000 });

  // Both ways, each with its delivery receipt.
  await sendTo(alice.page, 'Henrik Lundgren', 'hello Henrik');
  await expect(conversation(alice.page, 'Henrik Lundgren').filter({ hasText: 'hello Henrik' }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 15_000 });
  await buddyButton(henrik.page, 'Alice Andersson').click();
  await expect(conversation(henrik.page, 'Alice Andersson').filter({ hasText: 'hello Henrik' })).toBeVisible();
  await sendTo(henrik.page, 'Alice Andersson', 'hi Alice');
  await expect(conversation(henrik.page, 'Alice Andersson').filter({ hasText: 'hi Alice' }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 15_000 });
  await expect(conversation(alice.page, 'Henrik Lundgren').filter({ hasText: 'hi Alice' })).toBeVisible();

  // An active chat goes over a direct link (src/im/direct-links.ts): one hop, receipts back over it.
  await expect.poll(() => alice.page.evaluate((peer) => window.__dima!.directLinks().includes(peer as never), henrik.id), { timeout: 10_000 }).toBe(true);
  await sendTo(alice.page, 'Henrik Lundgren', 'over the direct link');
  await expect(conversation(alice.page, 'Henrik Lundgren').filter({ hasText: 'over the direct link' }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 15_000 });
  const aliceStats = await alice.page.evaluate(() => window.__dima!.imStats());
  const henrikStats = await henrik.page.evaluate(() => window.__dima!.imStats());
  expect(aliceStats['im.chat sent direct']).toBeGreaterThanOrEqual(1);
  expect(henrikStats['im.chat received over 1 hops']).toBeGreaterThanOrEqual(aliceStats['im.chat sent direct']);
  expect(henrikStats['im.receipt sent direct']).toBeGreaterThanOrEqual(1);
  expect(await alice.page.evaluate((peer) => window.__dima!.linkedTo(peer as never), henrik.id)).toBe(true);

  // Henrik closes his tab; Alice sees him go offline and writes anyway: the outbox keeps it all.
  await henrik.page.close();
  await expect(buddyButton(alice.page, 'Henrik Lundgren')).toContainText('offline', { timeout: 20_000 });
  expect(await alice.page.evaluate(() => window.__dima!.directLinks())).toEqual([]);
  const queued = ['while you were away 1', 'while you were away 2', 'while you were away 3', 'while you were away 4', 'while you were away 5'];
  for (const text of queued) {
    await sendTo(alice.page, 'Henrik Lundgren', text);
    await expect(conversation(alice.page, 'Henrik Lundgren').filter({ hasText: text })).toHaveClass(/queued/);
  }

  // Alice reloads: same uid, and the five are still queued (history and outbox from IndexedDB).
  await alice.page.reload();
  expect(await waitJoined(alice.page)).toBe(alice.id);
  await buddyButton(alice.page, 'Henrik Lundgren').click();
  for (const text of queued) await expect(conversation(alice.page, 'Henrik Lundgren').filter({ hasText: text })).toHaveClass(/queued/);

  // Henrik comes back in the same browser profile: same uid, and all five arrive once, in order.
  const back = await henrik.context.newPage();
  await back.goto('/');
  expect(await waitJoined(back)).toBe(henrik.id);
  await buddyButton(back, 'Alice Andersson').click();
  const texts = () => conversation(back, 'Alice Andersson').locator('.text').allTextContents();
  await expect.poll(texts, { timeout: 30_000 }).toEqual(['hello Henrik', 'hi Alice', 'over the direct link', ...queued]);
  for (const text of queued) {
    await expect(conversation(alice.page, 'Henrik Lundgren').filter({ hasText: text }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 15_000 });
  }
  // Exactly once: nothing more turns up after the receipts.
  await back.waitForTimeout(2_000);
  expect(await texts()).toEqual(['hello Henrik', 'hi Alice', 'over the direct link', ...queued]);

  await alice.context.close();
  await henrik.context.close();
});

test('a tab chats with the headless Node echo buddy over real WebRTC and gets the echo', async ({ browser, ring }) => {
  test.setTimeout(120_000);
  const alice = await openTab(browser, ring);
  await onboard(alice.page, { name: 'Alice Andersson' });
  // The paper's demo peer (signaling-bootstrap/peer.ts --echo), in this process; it publishes its own
  // directory entry under --name.
  const echo = await startPeer({ bootstrap: ring.bootstrapUrl, echo: true, name: 'Echo Peer' });
  try {
    const hit = await searchFor(alice.page, 'ech', 'Echo Peer');
    await hit.getByRole('button', { name: 'Add Echo Peer as buddy' }).click();
    await expect(buddyButton(alice.page, 'Echo Peer')).toContainText('online', { timeout: 20_000 });
    await sendTo(alice.page, 'Echo Peer', 'ping through pastry');
    const chat = conversation(alice.page, 'Echo Peer');
    await expect(chat.filter({ hasText: 'ping through pastry' }).getByLabel('delivered')).toHaveText('✓✓', { timeout: 15_000 });
    // The echo comes back as an incoming message (the peer sends the text back as its own message).
    const incoming = alice.page.getByRole('list', { name: 'Conversation with Echo Peer' }).locator('li.in .text');
    await expect(incoming).toHaveText(['ping through pastry'], { timeout: 15_000 });
  } finally {
    await echo.leave();
    await alice.context.close();
  }
});
