import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { BlockedPerson, ConnectionState, MessengerPort, Preferences, Profile } from '../messenger-port.js';
import type { Notifier, NotifyPermission } from '../notifier.js';
import { theme } from '../theme.js';
import type { ConfirmDialog } from './confirm-dialog.js';
import { REJOIN_EVENT } from './connection-status.js';
import './profile-form.js';

const PERMISSION_TEXT: Record<NotifyPermission, string> = {
  granted: 'On: messages and buddy requests show as notifications while you look elsewhere.',
  default: 'Off: this browser has not been asked yet.',
  denied: 'Blocked in this browser’s site settings: allow notifications there to get them.',
  unsupported: 'This browser cannot show notifications; the tab title still counts what is unread.',
};

/**
 * Profile fields, notifications, the direct-link privacy switch, blocked people, buddy
 * export/import (a JSON file the user keeps), and leaving the network (asked first; Rejoin after).
 */
@customElement('dima-settings-panel')
export class SettingsPanel extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; padding: 1.2em; max-width: 40em; overflow-y: auto; }
      section { margin-bottom: 2em; }
      .row { display: flex; gap: 0.6em; flex-wrap: wrap; align-items: center; }
      input[type='file'], input[type='checkbox'] { width: auto; }
      label.switch { display: flex; gap: 0.5em; align-items: flex-start; margin: 0.5em 0; }
      label.switch input { margin-top: 0.25em; }
      ul { padding-left: 1.2em; }
      li { display: flex; gap: 0.6em; align-items: center; margin: 0.3em 0; }
    `,
  ];

  @property({ attribute: false }) port!: MessengerPort;
  @property({ attribute: false }) profile: Profile | undefined;
  @property({ attribute: false }) connection: ConnectionState = { phase: 'offline', links: 0 };
  @property({ attribute: false }) notifier: Notifier | undefined;
  @property({ attribute: false }) confirm: ConfirmDialog | undefined;
  /** Re-read on every buddy-list change (the app passes the list down to trigger it). */
  @property({ attribute: false }) blocked: readonly BlockedPerson[] = [];
  @state() private notice = '';
  @state() private prefs: Preferences | undefined;
  @state() private permission: NotifyPermission = 'unsupported';

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('port')) this.prefs = this.port.preferences();
    if (changed.has('notifier')) this.permission = this.notifier?.permission() ?? 'unsupported';
  }

  override render() {
    return html`<section aria-labelledby="profile-h">
        <h2 id="profile-h">Profile</h2>
        <dima-profile-form .profile=${this.profile} submitLabel="Save and publish"></dima-profile-form>
      </section>
      ${this.renderNotifications()}
      <section aria-labelledby="privacy-h">
        <h2 id="privacy-h">Privacy</h2>
        <label class="switch"><input type="checkbox" .checked=${this.prefs?.directLinks ?? true}
          @change=${(e: Event) => this.setPreference({ directLinks: (e.target as HTMLInputElement).checked })} />
          <span>Direct links for active chats<br /><span class="muted">Faster (one hop instead of a route through the network), but the buddy learns this tab’s network address. Off: every message is routed.</span></span></label>
      </section>
      <section aria-labelledby="buddies-h">
        <h2 id="buddies-h">Buddies</h2>
        <div class="row">
          <button class="quiet" @click=${this.exportBuddies}>Export buddies</button>
          <label>Import buddies <input type="file" accept="application/json,.json" @change=${this.importBuddies} /></label>
        </div>
        <h3>Blocked</h3>
        ${this.blocked.length === 0
          ? html`<p class="muted">Nobody is blocked.</p>`
          : html`<ul aria-label="Blocked people">${this.blocked.map((b) => html`<li><span dir="auto">${b.name}</span>
              <button class="quiet" @click=${() => this.port.unblock(b.uid)} aria-label="Unblock ${b.name}">Unblock</button></li>`)}</ul>`}
      </section>
      <slot></slot>
      <section aria-labelledby="leave-h">
        <h2 id="leave-h">Network</h2>
        ${this.connection.phase === 'left'
          ? html`<p>You left the network: buddies see you offline and messages to you wait in their outboxes.</p>
              <button @click=${this.rejoin}>Rejoin the network</button>`
          : html`<button class="danger" @click=${this.leave}>Leave the network</button>
              <p class="muted">Your leaf set and buddies are told you left. You can rejoin here.</p>`}
      </section>
      <p role="status" aria-live="polite">${this.notice}</p>`;
  }

  private renderNotifications() {
    return html`<section aria-labelledby="notify-h">
      <h2 id="notify-h">Notifications</h2>
      <p class="muted" id="notify-state">${PERMISSION_TEXT[this.permission]}</p>
      ${this.permission === 'default' ? html`<button @click=${this.askPermission} aria-describedby="notify-state">Turn on notifications</button>` : ''}
      <label class="switch"><input type="checkbox" .checked=${this.prefs?.notificationSound ?? false}
        @change=${(e: Event) => this.setPreference({ notificationSound: (e.target as HTMLInputElement).checked })} />
        <span>Play a sound for new messages</span></label>
    </section>`;
  }

  private async askPermission(): Promise<void> {
    if (!this.notifier) return;
    this.permission = await this.notifier.ask();
    await this.setPreference({ notificationsAsked: true });
  }

  private async setPreference(change: Partial<Preferences>): Promise<void> {
    await this.port.setPreferences(change);
    this.prefs = this.port.preferences();
  }

  private async leave(): Promise<void> {
    const yes = await this.confirm?.ask({
      title: 'Leave the network?',
      body: 'This tab stops being a node: buddies see you offline and you receive nothing until you rejoin. Your identity, buddies and history stay in this browser.',
      confirm: 'Leave',
      danger: true,
    });
    if (!yes) return;
    await this.port.leave();
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLButtonElement>('#leave-h ~ button')?.focus();
  }

  private rejoin(): void {
    this.dispatchEvent(new CustomEvent(REJOIN_EVENT, { bubbles: true, composed: true }));
  }

  private exportBuddies(): void {
    const blob = new Blob([this.port.exportBuddies()], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = 'dima-buddies.json';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
  }

  private async importBuddies(event: Event): Promise<void> {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (!file) return;
    try {
      const added = await this.port.importBuddies(await file.text());
      this.notice = `${added} new ${added === 1 ? 'buddy' : 'buddies'} imported.`;
    } catch (error) {
      this.notice = `Could not import ${file.name}: ${(error as Error).message}`;
    }
  }
}
