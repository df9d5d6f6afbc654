import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ConnectionState } from '../messenger-port.js';
import { phoneLabels, theme } from '../theme.js';

/** On a phone's one-row header (<= 560 px) the long labels give way to these. */
const SHORT = { joining: 'Joining…', reconnecting: 'Reconnecting…', joined: 'Joined', alone: 'Alone', offline: 'Offline', left: 'Left' } as const;

const LABEL = {
  joining: 'Joining…',
  reconnecting: 'Reconnecting…',
  joined: 'Joined',
  alone: 'Alone in the network',
  offline: 'Offline: no entry point reachable',
  left: 'Left the network',
} as const;

/** Asks the composition root to try every entry point now (bubbles out of the shadow roots). */
export const RETRY_JOIN_EVENT = 'dima-retry-join';
/** Asks to join again after "Leave the network". */
export const REJOIN_EVENT = 'dima-rejoin';
/** Asks for the invite flow (wired by whoever provides it; nothing happens without a listener). */
const JOIN_WITH_INVITE_EVENT = 'dima-join-with-invite';

/** What the header says of this tab's place in the network, and how many overlay links it holds. */
@customElement('dima-connection-status')
export class ConnectionStatus extends LitElement {
  static override styles = [
    theme,
    phoneLabels,
    css`
      :host { display: inline-flex; align-items: center; gap: 0.45em; font-size: 0.9rem; }
      .dot { width: 0.7em; height: 0.7em; border-radius: 50%; background: var(--offline); }
      .joining .dot, .reconnecting .dot { background: var(--self); animation: pulse 1.2s infinite; }
      .joined .dot { background: var(--online); }
      .alone .dot { background: var(--self); }
      button { font: inherit; font-size: 0.85em; padding: 0.1em 0.5em; }
      :host { min-width: 0; white-space: nowrap; }
      .label { overflow: hidden; text-overflow: ellipsis; }
      @keyframes pulse { 50% { opacity: 0.3; } }
      @media (prefers-reduced-motion: reduce) { .joining .dot, .reconnecting .dot { animation: none; } }
    `,
  ];

  @property({ attribute: false }) state: ConnectionState = { phase: 'offline', links: 0 };

  override render() {
    const { phase, links } = this.state;
    return html`<span class=${phase} role="status" aria-live="polite" data-phase=${phase}>
        <span class="dot" aria-hidden="true"></span><span class="label">${SHORT[phase] === LABEL[phase] ? LABEL[phase] : html`<span class="long">${LABEL[phase]}</span><span class="short">${SHORT[phase]}</span>`}${phase === 'joined'
          ? html` · <span class="links">${links}<span class="long"> ${links === 1 ? 'link' : 'links'}</span></span>`
          : ''}</span>
      </span>
      ${phase === 'offline'
        ? html`<button type="button" class="retry" aria-label="Retry now" @click=${() => this.ask(RETRY_JOIN_EVENT)}><span class="long">Retry now</span><span class="short">Retry</span></button>
            <button type="button" class="invite" aria-label="Join with an invite" @click=${() => this.ask(JOIN_WITH_INVITE_EVENT)}><span class="long">Join with an invite</span><span class="short">Join</span></button>`
        : phase === 'left'
          ? html`<button type="button" class="rejoin" @click=${() => this.ask(REJOIN_EVENT)}>Rejoin</button>`
          : ''}`;
  }

  private ask(type: string): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
  }
}
