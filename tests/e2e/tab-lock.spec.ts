import { expect, openTab, test, waitJoined } from './real-tabs.js';

// One tab per identity (Web Locks): a second tab of the same browser profile offers to take over,
// and the first one stops its node when it does.

test('a second tab of the same profile waits; "Take over" moves the node there and stops the first', async ({ browser, ring }) => {
  test.setTimeout(90_000);
  const peer = await openTab(browser, ring); // so the profile's node has somebody to be linked to
  const first = await openTab(browser, ring);
  const second = await first.context.newPage();
  await second.goto('/');
  await expect(second.getByRole('heading', { name: 'DIMA is open in another tab' })).toBeVisible();
  expect(await second.evaluate(() => window.__dima)).toBeUndefined();

  await second.getByRole('button', { name: 'Take over' }).click();
  await expect(first.page.getByRole('heading', { name: 'Taken over by another tab' })).toBeVisible();
  expect(await first.page.evaluate(() => window.__dima!.state)).toBe('left');
  expect(await waitJoined(second)).toBe(first.id);
  await expect.poll(() => peer.page.evaluate((id) => window.__dima!.route(id as never).then((r) => r.root), first.id), { timeout: 20_000 }).toBe(first.id);

  // Another profile in the same browser is another identity, and runs beside it.
  const other = await first.context.newPage();
  await other.goto('/?profile=work');
  expect(await waitJoined(other)).not.toBe(first.id);

  await first.context.close();
  await peer.context.close();
});
