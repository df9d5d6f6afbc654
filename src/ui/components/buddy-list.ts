import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Buddy, Uid } from '../messenger-port.js';
import { previewLine } from '../format.js';
import { theme } from '../theme.js';

/** Buddies with presence dots, unread counts and the last message; picking one fires `dima-select` {uid}. */
@customElement('dima-buddy-list')
export class BuddyList extends LitElement {
  static override styles = [
    theme,
    css`
      li button {
        display: flex; align-items: center; gap: 0.6em; width: 100%; text-align: left;
        background: transparent; color: var(--text); padding: 0.6em 0.7em; border-radius: 8px;
      }
      li button:hover, li button[aria-current='true'] { background: var(--surface-raised); }
      .dot { flex: none; width: 0.65em; height: 0.65em; border-radius: 50%; background: var(--offline); }
      .online .dot { background: var(--online); }
      .who { flex: 1; min-width: 0; display: flex; flex-direction: column; }
      .name, .preview { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .preview { font-size: 0.85em; color: var(--muted); }
      .unread {
        min-width: 1.6em; padding: 0 0.45em; border-radius: 1em; text-align: center;
        background: var(--self); color: var(--accent-text); font-weight: 600; font-size: 0.85em;
      }
    `,
  ];

  @property({ attribute: false }) buddies: readonly Buddy[] = [];
  @property({ attribute: false }) selected: Uid | undefined;

  override render() {
    if (this.buddies.length === 0) return html`<p class="muted">No buddies yet: search for someone above.</p>`;
    const sorted = [...this.buddies].sort((a, b) => (a.presence === b.presence ? a.name.localeCompare(b.name) : a.presence === 'online' ? -1 : 1));
    return html`<ul class="plain" aria-label="Buddies">
      ${sorted.map(
        (buddy) => html`<li class=${buddy.presence}>
          <button aria-current=${buddy.uid === this.selected ? 'true' : 'false'} data-uid=${buddy.uid} @click=${() => this.select(buddy.uid)}>
            <span class="dot" aria-hidden="true"></span>
            <span class="who">
              <span class="name" dir="auto">${buddy.name}</span>
              ${buddy.last ? html`<span class="preview" dir="auto">${previewLine(buddy.last)}</span>` : ''}
            </span>
            <span class="visually-hidden">${buddy.presence}</span>
            ${buddy.unread > 0 ? html`<span class="unread" aria-label="${buddy.unread} unread">${buddy.unread}</span>` : ''}
          </button>
        </li>`,
      )}
    </ul>`;
  }

  /** Focuses that buddy's button; false when it is not on the list (any more). */
  focusBuddy(uid: Uid): boolean {
    const button = this.renderRoot.querySelector<HTMLButtonElement>(`button[data-uid='${uid}']`);
    button?.focus();
    return button !== null;
  }

  private select(uid: Uid): void {
    this.dispatchEvent(new CustomEvent('dima-select', { detail: { uid }, bubbles: true, composed: true }));
  }
}
