// Helpers for the chat-basics and notification specs: two users become buddies, and a page whose
// notifications and visibility the test can see and steer.

import type { Browser, BrowserContext, Page } from '@playwright/test';
import { buddyButton, expect, newContext, onboard, searchFor, waitJoined, type Ring, type Tab } from './real-tabs.js';

/** Two fresh users (one browser context each), onboarded; the first asks, the second accepts. */
export async function twoBuddies(
  browser: Browser,
  ring: Ring,
  names: [string, string],
  prepare?: (context: BrowserContext, index: number) => Promise<void>,
  /** Runs once both are onboarded, before the first one asks. */
  beforeRequest?: (tabs: [Tab, Tab]) => Promise<void>,
): Promise<[Tab, Tab]> {
  const tabs: Tab[] = [];
  for (const [index, name] of names.entries()) {
    const context = await newContext(browser, ring);
    await prepare?.(context, index);
    const page = await context.newPage();
    await page.goto('/');
    const id = await waitJoined(page);
    await onboard(page, { name });
    tabs.push({ context, page, id });
  }
  const [a, b] = tabs;
  await beforeRequest?.([a, b]);
  const hit = await searchFor(a.page, names[1].split(' ')[0].slice(0, 4).toLowerCase(), names[1]);
  await hit.getByRole('button', { name: `Add ${names[1]} as buddy` }).click();
  const request = b.page.getByRole('region', { name: 'Buddy requests' }).getByRole('listitem').filter({ hasText: names[0] });
  await expect(request).toContainText('wants to be your buddy', { timeout: 20_000 });
  await request.getByRole('button', { name: 'Accept' }).click();
  await expect(buddyButton(a.page, names[1])).toContainText('online', { timeout: 20_000 });
  await expect(buddyButton(b.page, names[0])).toContainText('online', { timeout: 20_000 });
  return [a, b];
}

export interface RecordedNotification {
  title: string;
  body: string;
  tag: string;
  closed: boolean;
}

declare global {
  interface Window {
    __notifications?: (RecordedNotification & { onclick: ((event: Event) => void) | null })[];
    __permissionAsked?: number;
    __setHidden?: (hidden: boolean) => void;
    /** Each navigator.setAppBadge(n) as n, each clearAppBadge() as 0, in order. */
    __badges?: number[];
    /** Web Audio sources started (the message tone starts two oscillators). */
    __tonesStarted?: number;
  }
}

/**
 * Before any page script: window.Notification becomes a recorder (permission and the request go to
 * the real one, so context.grantPermissions decides), and the page's visibility can be switched.
 * Hidden means document.visibilityState 'hidden', document.hidden true, document.hasFocus() false,
 * with the visibilitychange/blur events a real tab switch fires: what the app reads. (Headless
 * Chromium keeps every page visible and focused, a second page over it included.)
 */
export async function instrumentPage(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Real = window.Notification;
    window.__notifications = [];
    window.__permissionAsked = 0;
    class Recorded {
      title: string;
      body: string;
      tag: string;
      closed = false;
      onclick: ((event: Event) => void) | null = null;
      constructor(title: string, options: NotificationOptions = {}) {
        this.title = title;
        this.body = options.body ?? '';
        this.tag = options.tag ?? '';
        window.__notifications!.push(this);
      }
      close() {
        this.closed = true;
      }
      static get permission() {
        return Real.permission;
      }
      static requestPermission() {
        window.__permissionAsked!++;
        return Real.requestPermission();
      }
    }
    Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true, writable: true });
    let hidden = false;
    Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible'), configurable: true });
    Object.defineProperty(Document.prototype, 'hidden', { get: () => hidden, configurable: true });
    const hasFocus = Document.prototype.hasFocus;
    Document.prototype.hasFocus = function () {
      return !hidden && hasFocus.call(this);
    };
    // The app badge and the tone are watched, not replaced: the real calls still run.
    window.__badges = [];
    const nav = navigator as Navigator & { setAppBadge?(n?: number): Promise<void>; clearAppBadge?(): Promise<void> };
    const realSet = nav.setAppBadge?.bind(nav);
    const realClear = nav.clearAppBadge?.bind(nav);
    nav.setAppBadge = (n?: number) => (window.__badges!.push(n ?? 0), realSet ? realSet(n) : Promise.resolve());
    nav.clearAppBadge = () => (window.__badges!.push(0), realClear ? realClear() : Promise.resolve());
    window.__tonesStarted = 0;
    const realStart = AudioScheduledSourceNode.prototype.start;
    AudioScheduledSourceNode.prototype.start = function (when?: number) {
      window.__tonesStarted!++;
      return realStart.call(this, when);
    };
    window.__setHidden = (value) => {
      hidden = value;
      document.dispatchEvent(new Event('visibilitychange'));
      window.dispatchEvent(new Event(value ? 'blur' : 'focus'));
    };
  });
}

export function notifications(page: Page): Promise<RecordedNotification[]> {
  return page.evaluate(() => window.__notifications!.map(({ title, body, tag, closed }) => ({ title, body, tag, closed })));
}
