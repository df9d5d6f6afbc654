import { describe, expect, it } from 'vitest';
import type { ChatMessage, Uid } from './messenger-port.js';
import { NOTIFY_BURST, NOTIFY_PREVIEW_CHARS, NOTIFY_WINDOW_MS, Notifier, SOUND_GAP_MS, type NotificationLike } from './notifier.js';

const ANNA = 'a'.repeat(32) as Uid;
const BO = 'b'.repeat(32) as Uid;

function setup(options: { permission?: NotificationPermission; sound?: boolean; api?: boolean } = {}) {
  const shown: { title: string; options?: NotificationOptions; closed: boolean; instance: NotificationLike }[] = [];
  const page = { visibilityState: 'visible' as DocumentVisibilityState, focused: true };
  const calls = { tones: 0, focus: 0, badge: [] as (number | 'clear')[], opened: [] as unknown[], asked: 0 };
  let now = 1_000;
  const api = {
    permission: options.permission ?? 'granted',
    async requestPermission() {
      calls.asked++;
      api.permission = 'granted';
      return api.permission;
    },
  } as { permission: NotificationPermission; requestPermission(): Promise<NotificationPermission> };
  const Fake = class {
    static get permission() {
      return api.permission;
    }
    static requestPermission() {
      return api.requestPermission();
    }
    onclick: ((event: Event) => void) | null = null;
    constructor(title: string, opts?: NotificationOptions) {
      shown.push({ title, options: opts, closed: false, instance: this });
    }
    close() {
      shown.find((s) => s.instance === this)!.closed = true;
    }
  };
  const document = {
    get visibilityState() {
      return page.visibilityState;
    },
    hasFocus: () => page.focused,
    title: 'DIMA',
  };
  const notifier = new Notifier(
    {
      document,
      Notification: options.api === false ? undefined : Fake,
      navigator: {
        setAppBadge: async (n?: number) => void calls.badge.push(n ?? 0),
        clearAppBadge: async () => void calls.badge.push('clear'),
      },
      clock: { now: () => now },
      focusWindow: () => calls.focus++,
      playTone: () => calls.tones++,
    },
    { appName: 'DIMA', open: (target) => calls.opened.push(target), soundEnabled: () => options.sound ?? false },
  );
  return { notifier, shown, page, calls, document, advance: (ms: number) => (now += ms) };
}

let nextId = 1;
const incoming = (peer: Uid, text: string): ChatMessage => ({ id: `m${nextId++}`, peer, direction: 'in', text, at: 0, status: 'delivered' });

describe('Notifier', () => {
  it('notifies a new message naming the buddy while the tab is hidden, and a click opens that chat', () => {
    const { notifier, shown, page, calls } = setup();
    notifier.setOpenChat(ANNA);
    page.visibilityState = 'hidden';
    notifier.message(incoming(ANNA, 'are you there?'), 'Anna');
    expect(shown).toHaveLength(1);
    expect(shown[0].title).toBe('Anna');
    expect(shown[0].options?.body).toBe('are you there?');
    shown[0].instance.onclick!(new Event('click'));
    expect(calls.focus).toBe(1);
    expect(calls.opened).toEqual([{ chat: ANNA }]);
    expect(shown[0].closed).toBe(true);
  });

  it('stays quiet for the chat that is open in a visible, focused tab, but not for another chat', () => {
    const { notifier, shown } = setup();
    notifier.setOpenChat(ANNA);
    notifier.message(incoming(ANNA, 'seen already'), 'Anna');
    expect(shown).toHaveLength(0);
    notifier.message(incoming(BO, 'from another chat'), 'Bo');
    expect(shown.map((s) => s.title)).toEqual(['Bo']);
  });

  it('notifies when the window lost focus even though the tab is visible', () => {
    const { notifier, shown, page } = setup();
    notifier.setOpenChat(ANNA);
    page.focused = false;
    notifier.message(incoming(ANNA, 'hello'), 'Anna');
    expect(shown).toHaveLength(1);
  });

  it('never notifies the same message twice, nor our own messages', () => {
    const { notifier, shown } = setup();
    const message = incoming(ANNA, 'once');
    notifier.message(message, 'Anna');
    notifier.message({ ...message }, 'Anna');
    notifier.message({ ...incoming(ANNA, 'mine'), direction: 'out', status: 'sent' }, 'Anna');
    expect(shown).toHaveLength(1);
  });

  it('keeps one notification per chat: a newer one replaces (closes) the older', () => {
    const { notifier, shown } = setup();
    notifier.message(incoming(ANNA, 'one'), 'Anna');
    notifier.message(incoming(ANNA, 'two'), 'Anna');
    expect(shown.map((s) => [s.options?.body, s.options?.tag, s.closed])).toEqual([
      ['one', `chat:${ANNA}`, true],
      ['two', `chat:${ANNA}`, false],
    ]);
  });

  it('cuts a long message in the preview', () => {
    const { notifier, shown } = setup();
    notifier.message(incoming(ANNA, 'x'.repeat(1_000)), 'Anna');
    expect(shown[0].options?.body).toHaveLength(NOTIFY_PREVIEW_CHARS);
    expect(shown[0].options?.body?.endsWith('…')).toBe(true);
  });

  it('opening the chat in an attentive tab closes its notification', () => {
    const { notifier, shown } = setup();
    notifier.message(incoming(ANNA, 'hi'), 'Anna');
    notifier.setOpenChat(ANNA);
    expect(shown[0].closed).toBe(true);
  });

  it('notifies buddy requests while the user looks elsewhere, and a click opens the requests', () => {
    const { notifier, shown, calls, page } = setup();
    notifier.request({ uid: ANNA, name: 'Anna', direction: 'incoming', at: 1 });
    expect(shown).toHaveLength(0); // on screen already, in the requests list
    page.visibilityState = 'hidden';
    notifier.request({ uid: BO, name: 'Bo', direction: 'incoming', at: 5 });
    notifier.request({ uid: BO, name: 'Bo', direction: 'incoming', at: 5 });
    notifier.request({ uid: ANNA, name: 'Anna', direction: 'outgoing', at: 5 });
    expect(shown.map((s) => [s.title, s.options?.body])).toEqual([['Bo', 'wants to be your buddy']]);
    shown[0].instance.onclick!(new Event('click'));
    expect(calls.opened).toEqual([{ requests: true }]);
  });

  it('shows nothing without permission, and asks only when told to', async () => {
    const { notifier, shown, calls } = setup({ permission: 'default' });
    notifier.message(incoming(ANNA, 'hi'), 'Anna');
    expect(shown).toHaveLength(0);
    expect(calls.asked).toBe(0);
    expect(await notifier.ask()).toBe('granted');
    expect(calls.asked).toBe(1);
    notifier.message(incoming(ANNA, 'again'), 'Anna');
    expect(shown).toHaveLength(1);
  });

  it('does not ask again once the user said no, and copes without the API', async () => {
    const denied = setup({ permission: 'denied' });
    expect(await denied.notifier.ask()).toBe('denied');
    expect(denied.calls.asked).toBe(0);
    const none = setup({ api: false });
    expect(none.notifier.permission()).toBe('unsupported');
    none.notifier.message(incoming(ANNA, 'hi'), 'Anna');
    expect(none.shown).toHaveLength(0);
  });

  it('puts the count in the title and on the badge, and takes it off at zero', () => {
    const { notifier, document, calls } = setup();
    notifier.setUnread(3);
    expect(document.title).toBe('(3) DIMA');
    notifier.setUnread(3);
    notifier.setUnread(0);
    expect(document.title).toBe('DIMA');
    expect(calls.badge).toEqual([3, 'clear']);
  });

  it('plays the tone only when the setting is on, at most once per gap', () => {
    const quiet = setup();
    quiet.notifier.message(incoming(ANNA, 'hi'), 'Anna');
    expect(quiet.calls.tones).toBe(0);
    const loud = setup({ sound: true });
    loud.notifier.message(incoming(ANNA, 'one'), 'Anna');
    loud.notifier.message(incoming(BO, 'two'), 'Bo');
    expect(loud.calls.tones).toBe(1);
    loud.advance(SOUND_GAP_MS);
    loud.notifier.message(incoming(ANNA, 'three'), 'Anna');
    expect(loud.calls.tones).toBe(2);
  });

  it('shows at most NOTIFY_BURST notifications per window, however fast messages come', () => {
    const { notifier, shown, advance } = setup();
    for (let i = 0; i < NOTIFY_BURST + 5; i++) notifier.message(incoming(i % 2 ? ANNA : BO, `flood ${i}`), 'Flood');
    expect(shown).toHaveLength(NOTIFY_BURST);
    advance(NOTIFY_WINDOW_MS);
    notifier.message(incoming(ANNA, 'later'), 'Anna');
    expect(shown.at(-1)?.options?.body).toBe('later');
  });
});
