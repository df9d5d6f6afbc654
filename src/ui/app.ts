import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type {
  Buddy,
  BuddyRequest,
  ChatMessage,
  ConnectionState,
  MessengerEvents,
  MessengerPort,
  OverlaySnapshot,
  Profile,
  Uid,
} from './messenger-port.js';
import { Notifier } from './notifier.js';
import { browserNotifierEnvironment } from './notifier-browser.js';
import type { BackupPort } from './backup-port.js';
import { phoneLabels, theme } from './theme.js';
import type { BuddyList } from './components/buddy-list.js';
import './components/buddy-list.js';
import { BUDDY_ADDED_EVENT } from './components/buddy-requests.js';
import type { ConfirmDialog } from './components/confirm-dialog.js';
import './components/confirm-dialog.js';
import { REJOIN_EVENT } from './components/connection-status.js';
import './components/connection-status.js';
import './components/onboarding.js';
import './components/search-box.js';
import type { InviteMode } from './components/invite-dialog.js';
import { loadView, preloadViewsWhenIdle } from './lazy-views.js';

type View = { name: 'home' } | { name: 'chat'; uid: Uid } | { name: 'overlay' } | { name: 'settings' };

const NARROW = '(max-width: 719px)';

/**
 * The shell: header with connection status, sidebar (search, requests, buddies) and a main pane
 * (chat, overlay picture, settings). Below 720px one of the two is shown at a time.
 * Keeps the port's current values and hands them down; components act through the port.
 */
@customElement('dima-app')
export class DimaApp extends LitElement {
  static override styles = [
    theme,
    phoneLabels,
    css`
      :host { display: grid; grid-template-rows: auto 1fr; height: 100%; background: var(--bg); }
      header { display: flex; align-items: center; gap: 1em; padding: 0.6em 1em; background: var(--surface); border-bottom: 1px solid var(--border); flex-wrap: nowrap; min-width: 0; }
      header h1 { font-size: 1.15rem; margin: 0; letter-spacing: 0.08em; }
      header dima-connection-status { min-width: 4em; overflow: hidden; }
      .demo { white-space: nowrap; }
      nav { margin-left: auto; display: flex; gap: 0.5em; flex-shrink: 0; }
      nav button[aria-pressed='true'] { background: var(--self); color: var(--on-self); border-color: var(--self); }
      /* A phone (390 px) keeps the header on one row: tighter, and short labels (phoneLabels). */
      @media (max-width: 560px) {
        header { gap: 0.4em; padding: 0.5em 0.5em; }
        header h1 { font-size: 1rem; letter-spacing: 0.04em; }
        nav { gap: 0.25em; }
        nav button { padding: 0.35em 0.4em; font-size: 0.85rem; }
      }
      /* Narrower still, the status matters more than the brand: the title stays for screen readers. */
      @media (max-width: 420px) {
        header h1 { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
      }
      /* The dialog lives in the top layer when open; closed, it must not take a row of the grid. */
      dima-invite-dialog { display: contents; }
      .demo { background: var(--self); color: var(--on-self); padding: 0.15em 0.6em; border-radius: 6px; font-size: 0.8rem; font-weight: 600; }
      .body { display: grid; grid-template-columns: minmax(16em, 22em) 1fr; min-height: 0; }
      aside { background: var(--surface); border-right: 1px solid var(--border); padding: 1em; overflow-y: auto; display: flex; flex-direction: column; gap: 1.2em; }
      main { min-width: 0; min-height: 0; overflow: hidden; display: flex; flex-direction: column; }
      main.onboarding { display: block; overflow-y: auto; }
      main > * { flex: 1; min-height: 0; }
      .placeholder { display: grid; place-items: center; text-align: center; padding: 2em; }
      :host([narrow]) .body { grid-template-columns: 1fr; }
      :host([narrow]) .body[data-pane='main'] aside,
      :host([narrow]) .body[data-pane='sidebar'] main { display: none; }
    `,
  ];

  /** The messenger (src/app/boot.ts, or the demo). Until it is set the shell says it is starting. */
  @property({ attribute: false }) port: MessengerPort | undefined;
  /** Shows a "demo data" badge: set by src/app/main.ts when it wires the in-memory DemoMessenger. */
  @property({ type: Boolean }) demo = false;
  @property({ type: Boolean, reflect: true }) narrow = false;
  /** The identity backup (src/app/backup); absent in the demo. */
  @property({ attribute: false }) backup: BackupPort | undefined;
  /** No profile yet and no messenger: onboarding is shown before the network starts (src/app/main.ts). */
  @property({ type: Boolean }) onboarding = false;
  /** Submitted while the messenger was still starting: saved as soon as the port is here. */
  @state() private pendingProfile: Profile | undefined;

  @state() private connection: ConnectionState = { phase: 'offline', links: 0 };
  @state() private profile: Profile | undefined;
  @state() private buddies: readonly Buddy[] = [];
  @state() private requests: readonly BuddyRequest[] = [];
  @state() private messages: readonly ChatMessage[] = [];
  @state() private snapshot: OverlaySnapshot | undefined;
  @state() private view: View = { name: 'home' };

  private readonly media = window.matchMedia(NARROW);
  private readonly onMedia = () => (this.narrow = this.media.matches);
  private subscribed: MessengerPort | undefined;
  private viewsPreloaded = false;
  /** Incoming requests already seen (a new one notifies). */
  private knownRequests = new Set<string>();
  /** Notifications, title count and badge (notifier.ts); a click opens the chat. */
  readonly notifier = new Notifier(browserNotifierEnvironment(), {
    appName: 'DIMA',
    open: (target) => ('chat' in target ? this.openChat(target.chat) : this.show({ name: 'home' })),
    soundEnabled: () => this.port?.preferences().notificationSound ?? false,
  });
  /** The user came back to the page: the open chat's messages are read now. */
  private readonly onAttention = () => {
    if (this.view.name !== 'chat' || !this.notifier.attentive()) return;
    this.notifier.setOpenChat(this.view.uid);
    this.port?.markRead(this.view.uid);
  };

  private readonly handlers: { [E in keyof MessengerEvents]: (payload: MessengerEvents[E]) => void } = {
    state: (s) => (this.connection = s),
    profile: (p) => (this.profile = p),
    buddies: (b) => {
      this.buddies = b;
      this.countUnread();
    },
    requests: (r) => {
      this.requests = r;
      for (const request of r) if (request.direction === 'incoming' && !this.knownRequests.has(request.uid)) this.notifier.request(request);
      this.knownRequests = new Set(r.map((request) => request.uid));
      this.countUnread();
    },
    overlay: (o) => (this.snapshot = o),
    message: (m) => {
      this.notifier.message(m, this.buddies.find((b) => b.uid === m.peer)?.name ?? 'A buddy');
      if (this.view.name !== 'chat' || m.peer !== this.view.uid || !this.port) return;
      this.messages = this.port.conversation(m.peer);
      // Read only if the user can see it: a hidden tab's open chat still counts as unread.
      if (m.direction === 'in' && this.notifier.seeing(m.peer)) this.port.markRead(m.peer);
    },
  };

  override connectedCallback(): void {
    super.connectedCallback();
    this.media.addEventListener('change', this.onMedia);
    this.onMedia();
    this.addEventListener('dima-select', (e) => this.openChat((e as CustomEvent<{ uid: Uid }>).detail.uid));
    this.addEventListener('dima-back', () => this.back());
    this.addEventListener('dima-profile', (e) => {
      const { profile } = (e as CustomEvent<{ profile: Profile }>).detail;
      // Onboarding runs before the boot chunk has loaded: the profile waits for the port.
      if (this.port) void this.saveProfile(profile);
      else this.pendingProfile = profile;
    });
    this.addEventListener(BUDDY_ADDED_EVENT, () => void this.askForNotifications());
    this.addEventListener(REJOIN_EVENT, () => void this.port?.rejoin());
    document.addEventListener('keydown', this.onKeydown);
    document.addEventListener('visibilitychange', this.onAttention);
    window.addEventListener('focus', this.onAttention);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.media.removeEventListener('change', this.onMedia);
    document.removeEventListener('visibilitychange', this.onAttention);
    document.removeEventListener('keydown', this.onKeydown);
    window.removeEventListener('focus', this.onAttention);
    this.subscribe(undefined);
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('port')) this.subscribe(this.port);
    if (this.port && this.pendingProfile) {
      void this.saveProfile(this.pendingProfile);
      this.pendingProfile = undefined;
    }
  }

  /** The main view is up: the views not on screen are fetched while the page is idle (lazy-views.ts). */
  protected override updated(): void {
    if (this.viewsPreloaded || !this.port || !this.profile) return;
    this.viewsPreloaded = true;
    preloadViewsWhenIdle();
  }

  private subscribe(port: MessengerPort | undefined): void {
    // `as never`: each handler matches its own event, which a loop over the keys cannot express.
    const events = Object.keys(this.handlers) as (keyof MessengerEvents)[];
    for (const event of events) this.subscribed?.off(event, this.handlers[event] as never);
    this.subscribed = port;
    if (!port) return;
    for (const event of events) port.on(event, this.handlers[event] as never);
    this.connection = port.state();
    this.profile = port.profile();
    this.buddies = port.buddies();
    this.requests = port.requests();
    this.knownRequests = new Set(this.requests.map((r) => r.uid));
    this.snapshot = port.overlay();
    this.countUnread();
  }

  override render() {
    if (!this.port) {
      if (this.onboarding && !this.pendingProfile) {
        return this.renderOnboarding(html`<header><h1>DIMA</h1></header>`);
      }
      return html`<main class="placeholder"><p>Starting DIMA…<br />
        <span class="muted">Loading this tab's identity and history.</span></p></main>`;
    }
    const header = html`<header>
      <h1>DIMA</h1>
      ${this.demo ? html`<span class="demo" title="In-memory DemoMessenger: not connected to any network">DEMO<span class="long"> DATA</span></span>` : ''}
      <dima-connection-status .state=${this.connection} @dima-join-with-invite=${() => void this.openInvite('join')}></dima-connection-status>
      ${this.profile ? html`<nav aria-label="Views">
        <button class="quiet" aria-haspopup="dialog" aria-label="Invite someone" @click=${() => void this.openInvite('invite')}><span class="long">Invite someone</span><span class="short">Invite</span></button>
        <button class="quiet" aria-haspopup="dialog" aria-label="Join with an invite" @click=${() => void this.openInvite('join')}><span class="long">Join with an invite</span><span class="short">Join</span></button>
        <button class="quiet" data-view="overlay" aria-pressed=${this.view.name === 'overlay'} @click=${() => this.toggle('overlay')}>Network</button>
        <button class="quiet" data-view="settings" aria-pressed=${this.view.name === 'settings'} @click=${() => this.toggle('settings')}>Settings</button>
      </nav>` : ''}
    </header>`;
    if (!this.profile) {
      if (this.pendingProfile) return html`${header}<main class="placeholder"><p>Joining…</p></main>`;
      return this.renderOnboarding(header);
    }
    return html`${header}
      <dima-invite-dialog .port=${this.port}></dima-invite-dialog>
      <dima-confirm-dialog></dima-confirm-dialog>
      <div class="body" data-pane=${this.view.name === 'home' ? 'sidebar' : 'main'}>
        <aside aria-label="Buddies and search">
          <dima-search-box .port=${this.port} .buddies=${this.buddies} .requests=${this.requests} .connection=${this.connection}></dima-search-box>
          <dima-buddy-requests .port=${this.port} .requests=${this.requests}></dima-buddy-requests>
          <section aria-label="Buddy list">
            <h2 style="font-size: 1.05rem; margin: 0 0 0.4em">Buddies</h2>
            <dima-buddy-list .buddies=${this.buddies} .selected=${this.view.name === 'chat' ? this.view.uid : undefined}></dima-buddy-list>
          </section>
        </aside>
        <main>${this.renderMain(this.port)}</main>
      </div>`;
  }

  /**
   * One template whether or not the messenger is there yet: it arrives while the user may be in
   * the middle of the form (or of a restore), and must not replace what they are typing in.
   */
  private renderOnboarding(header: unknown) {
    return html`${header}<main class="onboarding"><dima-onboarding .backup=${this.backup}></dima-onboarding></main>`;
  }

  private renderMain(port: MessengerPort) {
    const view = this.view;
    switch (view.name) {
      case 'chat': {
        const buddy = this.buddies.find((b) => b.uid === view.uid);
        if (!buddy) return html`<div class="placeholder muted">That buddy is gone.</div>`;
        return html`<dima-chat-view .port=${port} .buddy=${buddy} .messages=${this.messages} .confirm=${this.confirmDialog()} ?narrow=${this.narrow}></dima-chat-view>`;
      }
      case 'overlay':
        // It scrolls: focusable, so the keyboard can scroll it too.
        return html`<dima-overlay-view tabindex="0" role="region" aria-label="Network view" .snapshot=${this.snapshot}></dima-overlay-view>`;
      case 'settings':
        return html`<dima-settings-panel .port=${port} .profile=${this.profile} .connection=${this.connection} .notifier=${this.notifier}
          .confirm=${this.confirmDialog()} .blocked=${port.blocked()}><dima-backup-dialog .backup=${this.backup}></dima-backup-dialog></dima-settings-panel>`;
      case 'home':
        return html`<div class="placeholder muted">Pick a buddy, or search for someone to add.</div>`;
    }
  }

  private openChat(uid: Uid): void {
    if (!this.port) return;
    this.messages = this.port.conversation(uid);
    this.port.markRead(uid);
    this.port.chatOpened(uid);
    this.show({ name: 'chat', uid });
    void Promise.all([this.updateComplete, loadView('chat')]).then(() => this.renderRoot.querySelector<HTMLElement>('dima-chat-view')?.focus());
  }

  /** Back (the chat's ← or Escape): to the buddy the chat was opened from, or the view's own button. */
  private back(): void {
    const from = this.view;
    this.show({ name: 'home' });
    void this.updateComplete.then(async () => {
      if (from.name === 'chat') {
        const list = this.renderRoot.querySelector<BuddyList>('dima-buddy-list');
        if (!list?.focusBuddy(from.uid)) this.renderRoot.querySelector<HTMLElement>('dima-search-box')?.focus();
      } else if (from.name !== 'home') {
        this.renderRoot.querySelector<HTMLElement>(`nav button[data-view='${from.name}']`)?.focus();
      }
    });
  }

  /** Escape leaves the Network and Settings views (dialogs close themselves first). */
  private readonly onKeydown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || (this.view.name !== 'overlay' && this.view.name !== 'settings')) return;
    if (event.composedPath().some((target) => target instanceof HTMLDialogElement && target.open)) return;
    this.back();
  };

  /** Onboarding done: the next thing to do is find someone, so focus goes to the search box. */
  private async saveProfile(profile: Profile): Promise<void> {
    const first = !this.profile;
    await this.port?.setProfile(profile);
    if (!first) return;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('dima-search-box')?.focus();
  }

  /**
   * The moment to ask for notifications: the user just added or accepted a buddy (a click, as
   * browsers want), and has never been asked. Later they can turn them on in Settings.
   */
  private async askForNotifications(): Promise<void> {
    const port = this.port;
    if (!port || port.preferences().notificationsAsked || this.notifier.permission() !== 'default') return;
    await port.setPreferences({ notificationsAsked: true });
    await this.notifier.ask();
  }

  private countUnread(): void {
    const unread = this.buddies.reduce((sum, b) => sum + b.unread, 0);
    this.notifier.setUnread(unread + this.requests.filter((r) => r.direction === 'incoming').length);
  }

  private confirmDialog(): ConfirmDialog | undefined {
    return this.renderRoot.querySelector('dima-confirm-dialog') ?? undefined;
  }

  /** The serverless invite (src/app/invite): either side of it, in a modal dialog. */
  private async openInvite(mode: InviteMode): Promise<void> {
    await loadView('invite');
    void this.renderRoot.querySelector('dima-invite-dialog')?.open(mode);
  }

  /** The header's view buttons: a second press goes back, which on narrow screens is the buddy list. */
  private toggle(name: 'overlay' | 'settings'): void {
    if (this.view.name === name) this.back();
    else this.show({ name });
  }

  private show(view: View): void {
    if (view.name !== 'home') void loadView(view.name);
    this.view = view;
    this.notifier.setOpenChat(view.name === 'chat' ? view.uid : undefined);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-app': DimaApp;
  }
}
