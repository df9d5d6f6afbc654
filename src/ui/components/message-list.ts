import { LitElement, css, html, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import type { ChatMessage } from '../messenger-port.js';
import { daySeparators, formatTime, statusMark } from '../format.js';
import { linkify } from '../linkify.js';
import { theme } from '../theme.js';

/** Within this many pixels of the bottom the list follows new messages; further up it stays put. */
const FOLLOW_PX = 80;

/**
 * One conversation's bubbles, oldest first, with date separators, receipts (✓ sent, ✓✓ delivered,
 * "queued" in the outbox) and, on a failed one, its reason and Retry (fires `dima-retry` {id}).
 * Peers' text is rendered as text nodes and http(s) links only (linkify.ts), never as HTML. The
 * scroller is a focusable log, so the keyboard scrolls it.
 */
@customElement('dima-message-list')
export class MessageList extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; flex: 1; min-height: 0; }
      .log { height: 100%; overflow-y: auto; padding: 1em; }
      ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.5em; }
      li { display: flex; flex-direction: column; }
      .day { align-self: center; font-size: 0.8rem; color: var(--muted); margin: 0.6em 0 0.2em; padding: 0.1em 0.8em; border-radius: 1em; background: var(--surface); }
      .bubble { max-width: min(75%, 34em); padding: 0.5em 0.8em; border-radius: 14px; background: var(--surface-raised); align-self: flex-start; }
      li.out .bubble { align-self: flex-end; background: var(--bubble-out); }
      li.queued .bubble { border: 1px dashed var(--self); }
      li.failed .bubble { border: 1px solid var(--danger); }
      .text { white-space: pre-wrap; overflow-wrap: anywhere; }
      .text a { color: inherit; text-decoration: underline; }
      .meta { display: flex; justify-content: flex-end; gap: 0.5em; font-size: 0.75rem; color: var(--muted); margin-top: 0.2em; }
      .queued .receipt { color: var(--self); }
      .failed .receipt, .failure { color: var(--danger); }
      .failure { display: flex; align-items: center; gap: 0.6em; flex-wrap: wrap; font-size: 0.85rem; margin-top: 0.3em; }
      .failure button { font-size: 0.85rem; padding: 0.15em 0.7em; }
      .empty { height: 100%; display: grid; place-items: center; text-align: center; }
    `,
  ];

  @property({ attribute: false }) messages: readonly ChatMessage[] = [];
  @property() buddyName = '';
  /** For "Today"/"Yesterday": injected so a test can pin the day. */
  @property({ attribute: false }) now: () => number = () => Date.now();
  @query('.log') private log!: HTMLElement;
  private follow = true;

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Measured before the new bubbles are in: was the user reading the newest ones?
    if (changed.has('messages') && this.log) this.follow = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < FOLLOW_PX;
  }

  protected override updated(changed: PropertyValues<this>): void {
    const mine = this.messages.at(-1)?.direction === 'out';
    if (changed.has('messages') && (this.follow || mine || changed.get('messages') === undefined)) this.log.scrollTop = this.log.scrollHeight;
  }

  override render() {
    const name = this.buddyName;
    const days = daySeparators(this.messages.map((m) => m.at), this.now());
    return html`<div class="log" role="log" tabindex="0" aria-label="Messages with ${name}">
      ${this.messages.length === 0
        ? html`<p class="empty muted">No messages yet.<br />Say hello to <span dir="auto">${name}</span>.</p>`
        : html`<ol aria-label="Conversation with ${name}">${this.messages.map((m, i) => this.renderMessage(m, days[i]))}</ol>`}
    </div>`;
  }

  private renderMessage(m: ChatMessage, day: string | undefined) {
    const receipt = m.direction === 'out' ? statusMark(m.status) : undefined;
    return html`<li class="${m.direction} ${m.direction === 'out' ? m.status : ''}" data-id=${m.id}>
      ${day ? html`<div class="day" role="heading" aria-level="3">${day}</div>` : ''}
      <div class="bubble">
        <div class="text" dir="auto">${linkify(m.text).map((s) =>
          s.kind === 'link' ? html`<a href=${s.href} target="_blank" rel="noopener noreferrer">${s.text}</a>` : s.text,
        )}</div>
        <div class="meta">
          <time datetime=${new Date(m.at).toISOString()}>${formatTime(m.at)}</time>
          ${receipt ? html`<span class="receipt" title=${receipt.label} aria-label=${receipt.label}>${receipt.mark}</span>` : ''}
        </div>
        ${m.status === 'failed' && m.direction === 'out'
          ? html`<div class="failure"><span class="reason">${m.error ?? 'Not sent.'}</span>
              <button type="button" @click=${() => this.retry(m.id)}>Retry</button></div>`
          : ''}
      </div>
    </li>`;
  }

  private retry(id: string): void {
    this.dispatchEvent(new CustomEvent('dima-retry', { detail: { id }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-message-list': MessageList;
  }
}
