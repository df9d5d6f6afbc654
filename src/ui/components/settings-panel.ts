import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { MessengerPort, Profile } from '../messenger-port.js';
import { theme } from '../theme.js';
import './profile-form.js';

/** Profile fields, leaving the network, and buddy export/import (a JSON file the user keeps). */
@customElement('dima-settings-panel')
export class SettingsPanel extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; padding: 1.2em; max-width: 40em; overflow-y: auto; }
      section { margin-bottom: 2em; }
      .row { display: flex; gap: 0.6em; flex-wrap: wrap; align-items: center; }
      input[type='file'] { width: auto; }
    `,
  ];

  @property({ attribute: false }) port!: MessengerPort;
  @property({ attribute: false }) profile: Profile | undefined;
  @state() private notice = '';

  override render() {
    return html`<section aria-labelledby="profile-h">
        <h2 id="profile-h">Profile</h2>
        <dima-profile-form .profile=${this.profile} submitLabel="Save and publish"></dima-profile-form>
      </section>
      <section aria-labelledby="buddies-h">
        <h2 id="buddies-h">Buddies</h2>
        <div class="row">
          <button class="quiet" @click=${this.exportBuddies}>Export buddies</button>
          <label>Import buddies <input type="file" accept="application/json,.json" @change=${this.importBuddies} /></label>
        </div>
      </section>
      <slot></slot>
      <section aria-labelledby="leave-h">
        <h2 id="leave-h">Network</h2>
        <button class="danger" @click=${() => this.port.leave()}>Leave the network</button>
        <p class="muted">Your leaf set and buddies are told you left. Reload the page to join again.</p>
      </section>
      <p role="status" aria-live="polite">${this.notice}</p>`;
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
