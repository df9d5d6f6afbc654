import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ConnectionState } from '../messenger-port.js';
import { theme } from '../theme.js';

const LABEL = { joining: 'Joining…', joined: 'Joined', offline: 'Offline' } as const;

/** Joining / joined / offline, and how many overlay links this tab holds. */
@customElement('dima-connection-status')
export class ConnectionStatus extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: inline-flex; align-items: center; gap: 0.45em; font-size: 0.9rem; }
      .dot { width: 0.7em; height: 0.7em; border-radius: 50%; background: var(--offline); }
      .joining .dot { background: var(--self); animation: pulse 1.2s infinite; }
      .joined .dot { background: var(--online); }
      @keyframes pulse { 50% { opacity: 0.3; } }
      @media (prefers-reduced-motion: reduce) { .joining .dot { animation: none; } }
    `,
  ];

  @property({ attribute: false }) state: ConnectionState = { phase: 'offline', links: 0 };

  override render() {
    const { phase, links } = this.state;
    return html`<span class=${phase} role="status" aria-live="polite" data-phase=${phase}>
      <span class="dot" aria-hidden="true"></span>${LABEL[phase]}${phase === 'joined'
        ? html` · <span class="links">${links} ${links === 1 ? 'link' : 'links'}</span>`
        : ''}
    </span>`;
  }
}
