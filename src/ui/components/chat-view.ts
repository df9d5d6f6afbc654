import { LitElement, css, html } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { Buddy, ChatMessage, MessengerPort } from '../messenger-port.js';
import { theme } from '../theme.js';
import type { ConfirmDialog } from './confirm-dialog.js';
import './composer.js';
import type { Composer } from './composer.js';
import './message-list.js';

/** One conversation: the buddy's name and presence, remove/block, the messages and the composer. */
@customElement('dima-chat-view')
export class ChatView extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: flex; flex-direction: column; height: 100%; min-height: 0; }
      header { display: flex; align-items: center; gap: 0.6em; padding: 0.7em 1em; border-bottom: 1px solid var(--border); }
      header h2 { margin: 0; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .presence { font-size: 0.85rem; }
      .actions { position: relative; }
      .menu { position: absolute; right: 0; top: calc(100% + 0.3em); z-index: 2; display: flex; flex-direction: column; gap: 0.3em; min-width: 11em;
        padding: 0.4em; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); }
      .menu[hidden] { display: none; }
      .menu button { text-align: left; }
      .back { display: none; }
      :host([narrow]) .back { display: inline-block; }
    `,
  ];

  @property({ attribute: false }) port!: MessengerPort;
  @property({ attribute: false }) buddy!: Buddy;
  @property({ attribute: false }) messages: readonly ChatMessage[] = [];
  /** The app's confirm dialog (remove and block ask first). */
  @property({ attribute: false }) confirm: ConfirmDialog | undefined;
  @property({ type: Boolean, reflect: true }) narrow = false;
  @query('dima-composer') private composer!: Composer;
  @state() private menuOpen = false;

  override focus(): void {
    void this.updateComplete.then(() => this.composer?.focus());
  }

  override render() {
    const { buddy } = this;
    return html`<header>
        <button class="quiet back" @click=${this.back} aria-label="Back to buddies">←</button>
        <h2 dir="auto">${buddy.name}</h2>
        <span class="presence muted">${buddy.presence}</span>
        <span class="actions" @focusout=${this.onFocusOut} @keydown=${this.onMenuKey}>
          <button class="quiet more" aria-label="Chat options" aria-haspopup="true" aria-expanded=${this.menuOpen ? 'true' : 'false'}
            aria-controls="chat-actions" @click=${() => (this.menuOpen = !this.menuOpen)}>⋯</button>
          <span class="menu" id="chat-actions" role="group" aria-label="Chat options" ?hidden=${!this.menuOpen}>
            <button class="quiet" @click=${this.removeBuddy}>Remove buddy</button>
            <button class="quiet" @click=${this.blockBuddy}>Block</button>
          </span>
        </span>
      </header>
      <dima-message-list .messages=${this.messages} buddyName=${buddy.name} @dima-retry=${this.retry}></dima-message-list>
      <dima-composer .peer=${buddy.uid} buddyName=${buddy.name} @dima-send=${this.send}></dima-composer>`;
  }

  /** The menu closes when focus leaves it, and on Escape (back on its button, not out of the chat). */
  private onFocusOut(event: FocusEvent): void {
    const actions = event.currentTarget as HTMLElement;
    if (!actions.contains(event.relatedTarget as Node | null)) this.menuOpen = false;
  }

  private onMenuKey(event: KeyboardEvent): void {
    if (event.key !== 'Escape' || !this.menuOpen) return;
    event.stopPropagation();
    this.menuOpen = false;
    this.renderRoot.querySelector<HTMLButtonElement>('.more')?.focus();
  }

  private send(event: CustomEvent<{ text: string }>): void {
    this.port.send(this.buddy.uid, event.detail.text);
  }

  private retry(event: CustomEvent<{ id: string }>): void {
    this.port.retry(this.buddy.uid, event.detail.id);
    this.composer.focus();
  }

  private async removeBuddy(): Promise<void> {
    this.menuOpen = false;
    const { uid, name } = this.buddy;
    const yes = await this.confirm?.ask({
      title: `Remove ${name}?`,
      body: `${name} is told and leaves your buddy list; this conversation is deleted from this browser. You can ask to be buddies again later.`,
      confirm: 'Remove',
      danger: true,
    });
    if (!yes) return;
    await this.port.removeBuddy(uid);
    this.back();
  }

  private async blockBuddy(): Promise<void> {
    this.menuOpen = false;
    const { uid, name } = this.buddy;
    const yes = await this.confirm?.ask({
      title: `Block ${name}?`,
      body: `${name} is not told. Their messages and requests are dropped from now on, and this conversation is deleted from this browser. Settings lists who is blocked.`,
      confirm: 'Block',
      danger: true,
    });
    if (!yes) return;
    await this.port.block(uid, name);
    this.back();
  }

  private back(): void {
    this.dispatchEvent(new CustomEvent('dima-back', { bubbles: true, composed: true }));
  }
}
