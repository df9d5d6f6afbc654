import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { START_EVENT, type BackupPort } from '../backup-port.js';
import { theme } from '../theme.js';
import './profile-form.js';
import './restore-form.js';

/**
 * First run: pick a display name and what others may find you by, or restore an identity from a
 * backup file. The form's event bubbles to the app. The first touch of the form asks for the
 * network to start (START_EVENT): joining takes a few seconds, done while the user types, and a
 * user who restores instead never gets a key of its own.
 */
@customElement('dima-onboarding')
export class Onboarding extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; max-width: 34em; margin: 0 auto; padding: 2em 1.2em; }
      h1 { font-size: 1.6rem; margin: 0 0 0.3em; }
      p { margin: 0 0 1.4em; }
      dima-restore-form { margin-top: 2em; }
    `,
  ];

  @property({ attribute: false }) backup: BackupPort | undefined;
  private started = false;

  override render() {
    return html`<h1>Welcome to DIMA</h1>
      <p class="muted">
        This tab becomes a node of a peer-to-peer network: there is no server that keeps your messages.
        Choose a display name, and which fields you publish so friends can find you.
      </p>
      <dima-profile-form submitLabel="Join the network" @focusin=${this.start} @pointerdown=${this.start}></dima-profile-form>
      <dima-restore-form .backup=${this.backup}></dima-restore-form>`;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.dispatchEvent(new CustomEvent(START_EVENT, { bubbles: true, composed: true }));
  }
}
