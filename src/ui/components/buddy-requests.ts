import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { BuddyRequest, MessengerPort } from '../messenger-port.js';
import { theme } from '../theme.js';

/** Fired (bubbling) when the user adds or accepts a buddy. */
export const BUDDY_ADDED_EVENT = 'dima-buddy-added';

/** Incoming buddy requests (accept / decline) and our own still-unanswered ones. */
@customElement('dima-buddy-requests')
export class BuddyRequests extends LitElement {
  static override styles = [
    theme,
    css`
      :host(:not([hidden])) { display: block; }
      li { display: flex; align-items: center; gap: 0.5em; padding: 0.4em 0; flex-wrap: wrap; }
      .who { flex: 1; min-width: 8em; }
    `,
  ];

  @property({ attribute: false }) port!: MessengerPort;
  @property({ attribute: false }) requests: readonly BuddyRequest[] = [];

  private accept(request: BuddyRequest): void {
    void this.port.accept(request.uid);
    // A moment the user expects to hear from someone: the app may ask for notifications now.
    this.dispatchEvent(new CustomEvent(BUDDY_ADDED_EVENT, { bubbles: true, composed: true }));
  }

  override render() {
    if (this.requests.length === 0) return '';
    const incoming = this.requests.filter((r) => r.direction === 'incoming');
    const outgoing = this.requests.filter((r) => r.direction === 'outgoing');
    return html`<section aria-label="Buddy requests">
      <h2>Requests</h2>
      <ul class="plain">
        ${incoming.map(
          (r) => html`<li class="incoming">
            <span class="who"><span dir="auto">${r.name}</span> <span class="muted">wants to be your buddy</span></span>
            <button @click=${() => this.accept(r)}>Accept</button>
            <button class="quiet" @click=${() => this.port.decline(r.uid)}>Decline</button>
            <button class="quiet" @click=${() => this.port.block(r.uid, r.name)} aria-label="Block ${r.name}">Block</button>
          </li>`,
        )}
        ${outgoing.map((r) => html`<li class="outgoing muted">Waiting for <span dir="auto">${r.name}</span> to accept…</li>`)}
      </ul>
    </section>`;
  }
}
