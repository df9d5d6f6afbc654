// Helpers for e2e tests of the real product (not the demo): every page is a browser tab that is a
// Pastry node over real WebRTC, checked from outside through window.__dima (src/app/test-handle.ts).
//
// Each test gets its OWN server (app + introducer on a free port): tests running in parallel, or
// the demo specs opening '/', would otherwise join one another's rings. A new port is also a new
// origin, so IndexedDB, service worker and Web Locks start empty for every test.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../../signaling-bootstrap/server.js';
import { percentile } from '../../src/sim/report.js';

/** A test's own server, and the uncaught errors of every page opened on it (the test fails on any). */
export interface Ring extends RunningServer {
  readonly pageErrors: string[];
}

export const test = base.extend<{ ring: Ring }>({
  ring: async ({}, use) => {
    const server = await startServer({ port: 0, distDir: process.env.DIST ?? 'dist' });
    const ring: Ring = Object.assign(server, { pageErrors: [] as string[] });
    await use(ring);
    await server.close();
    expect(ring.pageErrors, 'uncaught errors in the pages').toEqual([]);
  },
});
export { expect };

export interface Tab {
  context: BrowserContext;
  page: Page;
  id: string;
}

/** A new browser context (its own IndexedDB, so its own identity) with the app of `ring` open at `path`. */
export async function openTab(browser: Browser, ring: Ring, path = '/'): Promise<Tab> {
  const context = await newContext(browser, ring);
  const page = await context.newPage();
  await page.goto(path);
  const id = await waitJoined(page);
  return { context, page, id };
}

/** A browser context whose relative URLs go to `ring`'s server. */
export async function newContext(browser: Browser, ring: Ring): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: ring.url });
  context.on('weberror', (error) => ring.pageErrors.push(error.error().stack ?? error.error().message));
  return context;
}

/** Waits until the tab's node has joined; returns its id. */
export async function waitJoined(page: Page, timeoutMs = 45_000): Promise<string> {
  await page.waitForFunction(() => window.__dima?.state === 'joined', undefined, { timeout: timeoutMs, polling: 100 });
  return page.evaluate(() => window.__dima!.id);
}

export const sorted = (ids: readonly string[]) => [...ids].sort();

export function summary(values: readonly number[]): { n: number; mean: number; p50: number; p90: number; max: number; min: number } {
  const s = [...values].sort((a, b) => a - b);
  // The one percentile definition of every report (nearest rank), so e2e and bench figures compare.
  const at = (q: number) => percentile(s, q * 100);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    min: round(s[0] ?? 0),
    max: round(s[s.length - 1] ?? 0),
  };
}

/** Figures for the benchmark (never pass/fail): test-results/e2e-figures/NAME.json. */
export function recordFigures(name: string, figures: unknown): string {
  const dir = join('test-results', 'e2e-figures');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(figures, null, 2) + '\n');
  return path;
}

/** First-run onboarding: display name (and other fields), then "Join the network". */
export async function onboard(page: Page, fields: { name: string; city?: string; words?: string }): Promise<void> {
  await page.getByLabel('Display name').fill(fields.name);
  if (fields.city) await page.getByLabel('City', { exact: true }).fill(fields.city);
  if (fields.words) await page.getByLabel('Free words (interests, team…)').fill(fields.words);
  await page.getByRole('button', { name: 'Join the network' }).click();
  await page.getByRole('navigation', { name: 'Views' }).waitFor();
}

/**
 * Types `query` into the search box until `name` is among the results: a profile published a
 * moment ago may still be on its way to the directory nodes. Returns the result's list item.
 */
export async function searchFor(page: Page, query: string, name: string, timeoutMs = 20_000) {
  const box = page.getByLabel('Search people');
  const result = page.getByRole('list', { name: 'Search results' }).getByRole('listitem').filter({ hasText: name });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await box.fill('');
    await box.pressSequentially(query, { delay: 60 });
    try {
      await result.first().waitFor({ timeout: 3_000 });
      return result.first();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

export function buddyButton(page: Page, name: string) {
  return page.getByRole('list', { name: 'Buddies' }).getByRole('button', { name: new RegExp(name) });
}

export function conversation(page: Page, name: string) {
  return page.getByRole('list', { name: `Conversation with ${name}` }).getByRole('listitem');
}

/** Opens the chat with `name` and sends `text`. */
export async function sendTo(page: Page, name: string, text: string): Promise<void> {
  const input = page.getByLabel(`Message to ${name}`);
  if (!(await input.isVisible())) await buddyButton(page, name).click();
  await input.fill(text);
  await input.press('Enter');
}
