import { LitElement, css, html, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { Buddy, ChatMessage, MessengerPort } from '../messenger-port.js';
import { formatTime, statusMark } from '../format.js';
import { theme } from '../theme.js';

/** One conversation: bubbles with time and receipts (✓ sent, ✓✓ delivered, "queued" in the outbox). */
@customElement('dima-chat-view')
export class ChatView extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: flex; flex-direction: column; height: 100%; min-height: 0; }
      header { display: flex; align-items: center; gap: 0.6em; padding: 0.7em 1em; border-bottom: 1px solid var(--border); }
      header h2 { margin: 0; flex: 1; }
      .presence { font-size: 0.85rem; }
      ol { flex: 1; overflow-y: auto; list-style: none; margin: 0; padding: 1em; display: flex; flex-direction: column; gap: 0.5em; }
      li { max-width: min(75%, 34em); padding: 0.5em 0.8em; border-radius: 14px; background: var(--surface-raised); align-self: flex-start; }
      li.out { align-self: flex-end; background: #2f4f8f; }
      li.queued { border: 1px dashed var(--self); }
      .text { white-space: pre-wrap; overflow-wrap: anywhere; }
      .meta { display: flex; justify-content: flex-end; gap: 0.5em; font-size: 0.75rem; color: var(--muted); margin-top: 0.2em; }
      .queued .receipt { color: var(--self); }
      .failed .receipt { color: var(--danger); }
      form { display: flex; gap: 0.5em; padding: 0.7em 1em; border-top: 1px solid var(--border); }
      .back { display: none; }
      :host([narrow]) .back { display: inline-block; }
    `,
  ];

  @property({ attribute: false }) port!: MessengerPort;
  @property({ attribute: false }) buddy!: Buddy;
  @property({ attribute: false }) messages: readonly ChatMessage[] = [];
  @property({ type: Boolean, reflect: true }) narrow = false;

  @state() private draft = '';
  @query('ol') private list!: HTMLOListElement;
  @query('input') private input!: HTMLInputElement;

  override focus(): void {
    void this.updateComplete.then(() => this.input?.focus());
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('messages')) this.list.scrollTop = this.list.scrollHeight;
  }

  override render() {
    const { buddy } = this;
    return html`<header>
        <button class="quiet back" @click=${this.back} aria-label="Back to buddies">←</button>
        <h2>${buddy.name}</h2>
        <span class="presence muted">${buddy.presence}</span>
      </header>
      <ol aria-label="Conversation with ${buddy.name}" aria-live="polite">
        ${this.messages.map((m) => this.renderMessage(m))}
      </ol>
      <form @submit=${this.send}>
        <label class="visually-hidden" for="draft">Message to ${buddy.name}</label>
        <input id="draft" autocomplete="off" placeholder="Message ${buddy.name}" .value=${this.draft}
          @input=${(e: InputEvent) => (this.draft = (e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.back()} />
        <button type="submit" ?disabled=${!this.draft.trim()}>Send</button>
      </form>`;
  }

  private renderMessage(m: ChatMessage) {
    const receipt = m.direction === 'out' ? statusMark(m.status) : undefined;
    return html`<li class="${m.direction} ${m.direction === 'out' ? m.status : ''}" data-id=${m.id}>
      <div class="text">${m.text}</div>
      <div class="meta">
        <time datetime=${new Date(m.at).toISOString()}>${formatTime(m.at)}</time>
        ${receipt ? html`<span class="receipt" title=${receipt.label} aria-label=${receipt.label}>${receipt.mark}</span>` : ''}
      </div>
    </li>`;
  }

  private send(event: Event): void {
    event.preventDefault();
    const text = this.draft.trim();
    if (!text) return;
    this.port.send(this.buddy.uid, text);
    this.draft = '';
  }

  private back(): void {
    this.dispatchEvent(new CustomEvent('dima-back', { bubbles: true, composed: true }));
  }
}
