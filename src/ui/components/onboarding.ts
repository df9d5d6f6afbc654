import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { theme } from '../theme.js';
import './profile-form.js';

/** First run: pick a display name and what others may find you by. The form's event bubbles to the app. */
@customElement('dima-onboarding')
export class Onboarding extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; max-width: 34em; margin: 0 auto; padding: 2em 1.2em; }
      h1 { font-size: 1.6rem; margin: 0 0 0.3em; }
      p { margin: 0 0 1.4em; }
    `,
  ];

  override render() {
    return html`<h1>Welcome to DIMA</h1>
      <p class="muted">
        This tab becomes a node of a peer-to-peer network: there is no server that keeps your messages.
        Choose a display name, and which fields you publish so friends can find you.
      </p>
      <dima-profile-form submitLabel="Join the network"></dima-profile-form>`;
  }
}
