// Driving the chat tabs of the im bench (bench/im.bench.ts) through window.__dima
// (src/app/test-handle.ts): opening a tab on the shaped overlay, befriending two tabs, switching a
// pair between routed and direct chat, and the two kinds of measured block (paced latency, burst).

import type { Browser, Page } from '@playwright/test';

/** Overlay shape of every tab: with the default |L| = 16 all routes of a small ring take one hop. */
export const SHAPE = '?leafSetSize=2&bitsPerDigit=1';

export type Mode = 'routed' | 'direct';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Routed: direct links off on both sides, and the pair's old link closed (the overlay closes a link
 * both let go after 10 s without traffic). Direct: on, and chatting until both report the link open.
 */
export async function switchTo(mode: Mode, sender: Page, receiver: Page, senderId: string, receiverId: string): Promise<void> {
  for (const page of [sender, receiver]) await page.evaluate((on) => window.__dima!.useDirectLinks(on), mode === 'direct');
  if (mode === 'direct') return warmUpDirect(sender, receiver, senderId, receiverId);
  const deadline = Date.now() + 30_000;
  while ((await linked(sender, receiverId)) && Date.now() < deadline) await sleep(500);
}

export async function openTab(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto(`/${SHAPE}`);
  await page.waitForFunction(() => window.__dima?.state === 'joined', undefined, { timeout: 60_000, polling: 100 });
  return page;
}

export const linked = (page: Page, peer: string) => page.evaluate((p) => window.__dima!.linkedTo(p as never), peer);
export const imStats = (page: Page) => page.evaluate(() => window.__dima!.imStats());
/** Chats the receiver got so far, by overlay hops (its messenger's counters). */
export async function hopsSeen(receiver: Page): Promise<Record<string, number>> {
  const hops: Record<string, number> = {};
  for (const [key, n] of Object.entries(await imStats(receiver))) {
    const match = /^im\.chat received over (\d+\+?) hops$/.exec(key);
    if (match) hops[match[1]] = n;
  }
  return hops;
}

/** Each imports the other as an accepted buddy (Settings > Import), as two users who swapped lists. */
export async function befriend(a: Page, b: Page): Promise<void> {
  const card = (page: Page, name: string) =>
    page.evaluate((n) => ({ uid: window.__dima!.id, publicKey: window.__dima!.publicKey, name: n, status: 'accepted', lastNoticeAt: 0, addedAt: 0 }), name);
  const file = (record: unknown) => JSON.stringify({ format: 'dima-buddies', version: 1, buddies: [record] });
  const [cardA, cardB] = [await card(a, 'bench sender'), await card(b, 'bench receiver')];
  await a.evaluate((json) => window.__dima!.importBuddies(json), file(cardB));
  await b.evaluate((json) => window.__dima!.importBuddies(json), file(cardA));
}

/** Direct links open once a chat is active: a few messages each way until both report it. */
async function warmUpDirect(sender: Page, receiver: Page, senderId: string, receiverId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let i = 0; ; i++) {
    await sender.evaluate(([peer, n]) => window.__dima!.send(peer as never, `warm-up ${n}`), [receiverId, i] as const);
    await receiver.evaluate(([peer, n]) => window.__dima!.send(peer as never, `warm-up back ${n}`), [senderId, i] as const);
    await sleep(500);
    const open = (await sender.evaluate(() => window.__dima!.directLinks())).includes(receiverId as never) &&
      (await receiver.evaluate(() => window.__dima!.directLinks())).includes(senderId as never);
    if (open) return;
    if (Date.now() > deadline) throw new Error('the direct link did not open within 30 s');
  }
}

/** Sends `texts` one after another from inside the sender's page; `paced`: each waits for the previous receipt. */
function sendAll(sender: Page, receiverId: string, texts: string[], paced: boolean) {
  return sender.evaluate(
    async ({ peer, texts, paced }) => {
      // No named functions in here: tsx would wrap them in a helper the page does not have.
      const d = window.__dima!;
      const sent: { text: string; seq: number; at: number; queuedAt: number }[] = [];
      for (const text of texts) {
        const at = d.now();
        const seq = await d.send(peer as never, text);
        sent.push({ text, seq, at, queuedAt: d.now() });
        const deadline = performance.now() + 30_000;
        while (paced && (d.chatLog().receipts.findLast((r) => r.to === peer)?.seq ?? 0) < seq && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      return sent;
    },
    { peer: receiverId, texts, paced },
  );
}

/** Waits until the receiver has shown every text (or 120 s); returns what it showed of this run, in order. */
async function shownAt(receiver: Page, prefix: string, expected: number): Promise<{ text: string; at: number }[]> {
  const read = () => receiver.evaluate((p) => window.__dima!.chatLog().shown.filter((m) => m.text.startsWith(p)).map(({ text, at }) => ({ text, at })), `${prefix} `);
  const deadline = Date.now() + 120_000;
  let shown = await read();
  while (shown.length < expected && Date.now() < deadline) {
    await sleep(200);
    shown = await read();
  }
  return shown;
}

/** `samples` messages one at a time, each after the previous receipt: raw one-way, round-trip and send() times. */
export async function latencyBlock(sender: Page, receiver: Page, receiverId: string, prefix: string, samples: number) {
  const texts = Array.from({ length: samples }, (_, i) => `${prefix} ${i}`);
  const sent = await sendAll(sender, receiverId, texts, true);
  const shown = new Map((await shownAt(receiver, prefix, samples)).map((m) => [m.text, m.at]));
  const receipts = await sender.evaluate((peer) => window.__dima!.chatLog().receipts.filter((r) => r.to === peer), receiverId);
  const block = { oneWay: [] as number[], roundTrip: [] as number[], sendCall: sent.map((m) => m.queuedAt - m.at), afterSend: [] as number[] };
  for (const { text, seq, at, queuedAt } of sent) {
    const arrived = shown.get(text);
    if (arrived !== undefined) {
      block.oneWay.push(arrived - at);
      block.afterSend.push(arrived - queuedAt);
    }
    const receipt = receipts.find((r) => r.seq >= seq && r.at >= at);
    if (receipt) block.roundTrip.push(receipt.at - at);
  }
  return block;
}

/** `messages` sent back to back; timed from the first send() to the last shown, and until the last send() resolved. */
export async function throughputBlock(sender: Page, receiver: Page, receiverId: string, prefix: string, messages: number) {
  const texts = Array.from({ length: messages }, (_, i) => `${prefix} ${i}`);
  const sent = await sendAll(sender, receiverId, texts, false);
  const shown = await shownAt(receiver, prefix, messages);
  // Let the receipts drain the outbox before the next block.
  await sender.waitForFunction(
    ([peer, seq]) => (window.__dima!.chatLog().receipts.findLast((r) => r.to === peer)?.seq ?? 0) >= seq,
    [receiverId, sent.at(-1)!.seq] as const,
    { timeout: 60_000, polling: 200 },
  );
  return {
    messages,
    seconds: ((shown.at(-1)?.at ?? NaN) - sent[0].at) / 1000,
    queuedSeconds: (sent.at(-1)!.queuedAt - sent[0].at) / 1000,
    inOrderOnce: JSON.stringify(shown.map((m) => m.text)) === JSON.stringify(texts),
  };
}
