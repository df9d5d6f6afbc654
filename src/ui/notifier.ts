// What tells the user something arrived while they were not looking: a system notification (the
// Notification API), the unread count in the title ("(3) DIMA"), the app badge where the browser
// has one (navigator.setAppBadge, installed PWAs), and an optional tone. Nothing for the chat the
// user is looking at: the tab visible, the window focused, that chat open.
//
// The browser is injected (document, Notification, navigator, clock, the tone) so the rules can be
// tested without one. The permission is asked only on a user's gesture (ask()), never on load.

import type { BuddyRequest, ChatMessage, Uid } from './messenger-port.js';

/** A notification's body shows at most this much of the message. */
export const NOTIFY_PREVIEW_CHARS = 140;
/** Tones closer together than this are one tone (a burst of messages is not a drum roll). */
export const SOUND_GAP_MS = 2_000;
/** Message ids remembered so a repeated event (a status change of the same id) never notifies twice. */
const NOTIFIED_MEMORY = 500;
/**
 * At most this many system notifications per NOTIFY_WINDOW_MS: a buddy (or a flood of requests)
 * cannot make the desktop flicker; beyond it only the title count and badge move.
 */
export const NOTIFY_BURST = 10;
export const NOTIFY_WINDOW_MS = 10_000;

export interface NotificationLike {
  onclick: ((event: Event) => void) | null;
  close(): void;
}

export interface NotificationApi {
  readonly permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  new (title: string, options?: NotificationOptions): NotificationLike;
}

export interface NotifierEnvironment {
  document: { readonly visibilityState: DocumentVisibilityState; hasFocus(): boolean; title: string };
  /** Absent where the browser has no Notification API (e.g. iOS Safari outside a home-screen app). */
  Notification?: NotificationApi;
  navigator?: { setAppBadge?(count?: number): Promise<void>; clearAppBadge?(): Promise<void> };
  clock: { now(): number };
  /** Brings the window to the front (a notification's click). */
  focusWindow(): void;
  playTone(): void;
}

export interface NotifierOptions {
  /** The title without a count. */
  appName: string;
  /** A notification was clicked: show that chat (or the requests, for a buddy request). */
  open(target: { chat: Uid } | { requests: true }): void;
  soundEnabled(): boolean;
}

export type NotifyPermission = NotificationPermission | 'unsupported';

export class Notifier {
  private openChat: Uid | undefined;
  private readonly notified = new Set<string>();
  private readonly shown = new Map<string, NotificationLike>();
  private lastToneAt = -Infinity;
  /** When the last NOTIFY_BURST notifications were shown, oldest first. */
  private readonly shownAt: number[] = [];
  private count = 0;

  constructor(
    private readonly env: NotifierEnvironment,
    private readonly options: NotifierOptions,
  ) {}

  permission(): NotifyPermission {
    return this.env.Notification?.permission ?? 'unsupported';
  }

  /** Asks the browser (call from a click: browsers want a user gesture). Never throws. */
  async ask(): Promise<NotifyPermission> {
    const api = this.env.Notification;
    if (!api) return 'unsupported';
    if (api.permission !== 'default') return api.permission;
    try {
      return await api.requestPermission();
    } catch {
      return api.permission;
    }
  }

  /** The chat on screen (undefined: none); its notification goes away. */
  setOpenChat(peer: Uid | undefined): void {
    this.openChat = peer;
    if (peer !== undefined && this.attentive()) this.dismiss(peer);
  }

  /** The user can see the page: tab visible and window focused. */
  attentive(): boolean {
    return this.env.document.visibilityState === 'visible' && this.env.document.hasFocus();
  }

  /** The user is reading this chat right now. */
  seeing(peer: Uid): boolean {
    return this.attentive() && this.openChat === peer;
  }

  /** A message event from the port; notifies once for a new incoming one the user is not seeing. */
  message(message: ChatMessage, buddyName: string): void {
    if (message.direction !== 'in' || this.seeing(message.peer) || !this.remember(message.id)) return;
    const body = message.text.length > NOTIFY_PREVIEW_CHARS ? `${message.text.slice(0, NOTIFY_PREVIEW_CHARS - 1)}…` : message.text;
    this.notify(`chat:${message.peer}`, buddyName, body, { chat: message.peer });
  }

  /** A new incoming buddy request (the caller passes each one once); the page in view lists it already. */
  request(request: BuddyRequest): void {
    if (request.direction !== 'incoming' || this.attentive() || !this.remember(`request:${request.uid}:${request.at}`)) return;
    this.notify(`request:${request.uid}`, request.name, 'wants to be your buddy', { requests: true });
  }

  /** Unread messages plus waiting requests: the title's count and the app badge. */
  setUnread(count: number): void {
    if (count === this.count) return;
    this.count = count;
    this.env.document.title = count > 0 ? `(${count}) ${this.options.appName}` : this.options.appName;
    const badge = this.env.navigator;
    const done = count > 0 ? badge?.setAppBadge?.(count) : badge?.clearAppBadge?.();
    done?.catch(() => {}); // not installed, or not allowed: the title still says it
  }

  /** Closes what was shown for `peer` (the user is reading it now). */
  dismiss(peer: Uid): void {
    const tag = `chat:${peer}`;
    this.shown.get(tag)?.close();
    this.shown.delete(tag);
  }

  private notify(tag: string, title: string, body: string, target: { chat: Uid } | { requests: true }): void {
    this.tone();
    const api = this.env.Notification;
    if (!api || api.permission !== 'granted' || !this.withinBurst()) return;
    let notification: NotificationLike;
    try {
      // One per conversation: a newer message replaces the older notification (same tag).
      notification = new api(title, { body, tag, lang: '', dir: 'auto' });
    } catch {
      return; // Chrome on Android allows notifications only from a service worker: the title still counts
    }
    this.shown.get(tag)?.close();
    this.shown.set(tag, notification);
    notification.onclick = () => {
      this.env.focusWindow();
      this.options.open(target);
      notification.close();
      this.shown.delete(tag);
    };
  }

  private withinBurst(): boolean {
    const now = this.env.clock.now();
    while (this.shownAt.length > 0 && now - this.shownAt[0] >= NOTIFY_WINDOW_MS) this.shownAt.shift();
    if (this.shownAt.length >= NOTIFY_BURST) return false;
    this.shownAt.push(now);
    return true;
  }

  private tone(): void {
    if (!this.options.soundEnabled()) return;
    const now = this.env.clock.now();
    if (now - this.lastToneAt < SOUND_GAP_MS) return;
    this.lastToneAt = now;
    this.env.playTone();
  }

  /** False if `id` was seen before; keeps the newest NOTIFIED_MEMORY ids. */
  private remember(id: string): boolean {
    if (this.notified.has(id)) return false;
    this.notified.add(id);
    if (this.notified.size > NOTIFIED_MEMORY) this.notified.delete(this.notified.values().next().value as string);
    return true;
  }
}
