import { LitElement, css, html, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { LIMITS, type Uid } from '../messenger-port.js';
import { checkDraft } from '../limits.js';
import { theme } from '../theme.js';

/** The counter shows from this share of the limit on (below it, it is only noise). */
const COUNTER_FROM = 0.8;
/** The box grows with its text up to this many lines, then scrolls. */
const MAX_ROWS = 8;

/** Drafts per buddy, for this page's life: switching chats does not lose what was typed. */
const drafts = new Map<Uid, string>();

/**
 * The message box: Enter sends, Shift+Enter starts a new line (pasted newlines stay), a live count
 * against the limit; over it nothing is sent and the draft stays. Fires `dima-send` {text}.
 */
@customElement('dima-composer')
export class Composer extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; border-top: 1px solid var(--border); padding: 0.7em 1em; }
      form { display: flex; gap: 0.5em; align-items: flex-end; }
      textarea { resize: none; overflow-y: auto; line-height: 1.4; }
      .info { display: flex; justify-content: space-between; gap: 1em; font-size: 0.8rem; min-height: 1.2em; margin-top: 0.25em; }
      .over { color: var(--danger); font-weight: 600; }
    `,
  ];

  @property({ attribute: false }) peer!: Uid;
  @property() buddyName = '';
  @state() private draft = '';
  /** Why the last Enter/Send did nothing (the draft is over the limit). */
  @state() private refused = '';
  @query('textarea') private box!: HTMLTextAreaElement;

  override focus(): void {
    void this.updateComplete.then(() => this.box?.focus());
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('peer')) {
      const previous = changed.get('peer');
      if (previous) drafts.set(previous, this.draft);
      this.draft = drafts.get(this.peer) ?? '';
      this.refused = '';
    }
  }

  protected override updated(): void {
    // As tall as its text (wrapped lines too), up to MAX_ROWS lines; then it scrolls.
    const box = this.box;
    box.style.height = 'auto';
    const line = parseFloat(getComputedStyle(box).lineHeight) || 20;
    const padding = box.offsetHeight - box.clientHeight + parseFloat(getComputedStyle(box).paddingTop) + parseFloat(getComputedStyle(box).paddingBottom);
    box.style.height = `${Math.min(box.scrollHeight + (box.offsetHeight - box.clientHeight), line * MAX_ROWS + padding)}px`;
  }

  override render() {
    const limit = LIMITS.messageChars;
    const length = this.draft.trim().length;
    const over = length > limit;
    const showCount = length >= limit * COUNTER_FROM;
    return html`<form @submit=${this.submit}>
        <label class="visually-hidden" for="draft">Message to ${this.buddyName}</label>
        <textarea id="draft" rows="1" autocomplete="off" dir="auto" placeholder="Message ${this.buddyName}" .value=${this.draft}
          aria-describedby="draft-info" aria-invalid=${over ? 'true' : 'false'}
          @input=${this.onInput} @keydown=${this.onKeydown}></textarea>
        <button type="submit" ?disabled=${length === 0 || over}>Send</button>
      </form>
      <div class="info" id="draft-info">
        <span class="over" role="alert">${this.refused}</span>
        <span class=${over ? 'over counter' : 'muted counter'} aria-live="polite">${showCount ? `${length.toLocaleString('en')} / ${limit.toLocaleString('en')}` : ''}</span>
      </div>`;
  }

  private onInput(event: InputEvent): void {
    this.draft = (event.target as HTMLTextAreaElement).value;
    drafts.set(this.peer, this.draft);
    if (this.refused && checkDraft(this.draft).ok) this.refused = '';
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      this.dispatchEvent(new CustomEvent('dima-back', { bubbles: true, composed: true }));
      return;
    }
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition is not a send.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit(event);
  }

  private submit(event: Event): void {
    event.preventDefault();
    const check = checkDraft(this.draft);
    if (!check.ok) {
      this.refused = check.reason;
      return;
    }
    this.dispatchEvent(new CustomEvent('dima-send', { detail: { text: check.text }, bubbles: true, composed: true }));
    this.draft = '';
    this.refused = '';
    drafts.delete(this.peer);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-composer': Composer;
  }
}
