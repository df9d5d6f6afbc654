import { LitElement, css, html } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { theme } from '../theme.js';

export interface ConfirmRequest {
  title: string;
  body: string;
  /** The button that goes ahead, e.g. "Leave". */
  confirm: string;
  danger?: boolean;
}

/**
 * "Are you sure?" in a native modal <dialog>: focus stays inside, Escape and Cancel answer no, and
 * focus returns to what had it before. ask() settles with the answer.
 */
@customElement('dima-confirm-dialog')
export class ConfirmDialog extends LitElement {
  static override styles = [
    theme,
    css`
      dialog { background: var(--surface); color: var(--text); border: 1px solid var(--border); border-radius: var(--radius); max-width: min(28em, 92vw); padding: 1.2em; }
      dialog::backdrop { background: rgb(0 0 0 / 0.6); }
      h2 { font-size: 1.15rem; }
      .row { display: flex; gap: 0.6em; justify-content: flex-end; margin-top: 1em; }
    `,
  ];

  @state() private request: ConfirmRequest = { title: '', body: '', confirm: 'OK' };
  @query('dialog') private dialog!: HTMLDialogElement;
  private answer: ((yes: boolean) => void) | undefined;
  private returnFocus: HTMLElement | undefined;

  async ask(request: ConfirmRequest): Promise<boolean> {
    this.answer?.(false);
    this.request = request;
    this.returnFocus = deepActiveElement();
    await this.updateComplete;
    this.dialog.showModal();
    this.renderRoot.querySelector<HTMLButtonElement>('.cancel')?.focus();
    return new Promise((resolve) => (this.answer = resolve));
  }

  override render() {
    const { title, body, confirm, danger } = this.request;
    return html`<dialog aria-labelledby="confirm-title" aria-describedby="confirm-body" @close=${() => this.settle(false)}>
      <h2 id="confirm-title">${title}</h2>
      <p id="confirm-body">${body}</p>
      <div class="row">
        <button class="quiet cancel" @click=${() => this.settle(false)}>Cancel</button>
        <button class=${danger ? 'danger' : ''} @click=${() => this.settle(true)}>${confirm}</button>
      </div>
    </dialog>`;
  }

  private settle(yes: boolean): void {
    const answer = this.answer;
    this.answer = undefined;
    if (this.dialog.open) this.dialog.close();
    if (!answer) return;
    answer(yes);
    // Back where the user was (the button that asked), unless the answer took it away.
    if (this.returnFocus?.isConnected) this.returnFocus.focus();
  }
}

/** The focused element, looking into shadow roots (document.activeElement stops at the first host). */
function deepActiveElement(): HTMLElement | undefined {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active instanceof HTMLElement ? active : undefined;
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-confirm-dialog': ConfirmDialog;
  }
}
