import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { InviteOutcome, MessengerPort } from '../messenger-port.js';
import { theme } from '../theme.js';
import { cameraAvailable } from './qr-scanner.js';
import './qr-code.js';

export type InviteMode = 'invite' | 'join';

type Step =
  | { name: 'idle' }
  | { name: 'working'; text: string }
  /** A code of ours to show: the invite (inviter) or the reply (newcomer). */
  | { name: 'showing'; code: string; expiresAt: number }
  | { name: 'done'; text: string };

const TITLE: Record<InviteMode, string> = { invite: 'Invite someone', join: 'Join with an invite' };

/**
 * The serverless invite, both sides, in a native modal <dialog> (focus stays inside, Escape closes).
 * Inviter: an invite as QR code and text, then a field for the newcomer's reply code.
 * Newcomer: a field for the invite (or the camera), then the reply code to give back.
 */
@customElement('dima-invite-dialog')
export class InviteDialog extends LitElement {
  static override styles = [
    theme,
    css`
      dialog { background: var(--surface); color: var(--text); border: 1px solid var(--border); border-radius: var(--radius); max-width: min(36em, 95vw); width: 100%; padding: 1.2em; }
      dialog::backdrop { background: rgb(0 0 0 / 0.6); }
      h2 { font-size: 1.2rem; }
      .code { display: flex; flex-direction: column; align-items: center; gap: 0.6em; margin: 0.8em 0; }
      textarea { font-family: ui-monospace, monospace; font-size: 0.85rem; word-break: break-all; }
      textarea[readonly] { background: var(--surface-raised); }
      .row { display: flex; gap: 0.6em; flex-wrap: wrap; align-items: center; margin-top: 0.6em; }
      .close { margin-left: auto; }
      .error { color: var(--danger); }
      label { display: block; margin: 0.8em 0 0.3em; }
    `,
  ];

  @property({ attribute: false }) port!: MessengerPort;
  @property() mode: InviteMode = 'invite';
  @state() private step: Step = { name: 'idle' };
  /** What the last action said (progress or an error); read out by screen readers. */
  @state() private notice: { text: string; error: boolean } | undefined;
  @state() private scanning = false;
  @query('dialog') private dialog!: HTMLDialogElement;

  /** Opens the dialog afresh; the inviter's side makes its invite at once. */
  async open(mode: InviteMode): Promise<void> {
    this.mode = mode;
    this.step = { name: 'idle' };
    this.notice = undefined;
    this.scanning = false;
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    if (mode === 'invite') await this.createInvite();
    else this.renderRoot.querySelector<HTMLTextAreaElement>('#invite-in')?.focus();
  }

  close(): void {
    this.scanning = false;
    this.dialog.close();
  }

  override render() {
    return html`<dialog aria-labelledby="invite-title" @close=${() => (this.scanning = false)}>
      <h2 id="invite-title">${TITLE[this.mode]}</h2>
      ${this.mode === 'invite' ? this.renderInviter() : this.renderNewcomer()}
      <p role="status" aria-live="polite" class=${this.notice?.error ? 'error' : 'muted'}>${this.notice?.text ?? ''}</p>
      <div class="row"><button class="quiet close" @click=${() => this.close()}>Close</button></div>
    </dialog>`;
  }

  private renderInviter() {
    const step = this.step;
    if (step.name === 'working') return html`<p class="muted">${step.text}</p>`;
    if (step.name === 'done') return html`<p>${step.text}</p>`;
    if (step.name !== 'showing') return nothing;
    return html`<p class="muted">Let the newcomer scan this code with “Join with an invite”, or send them the text. Nothing else is needed: no server, no account.</p>
      ${this.renderCode('invite-code', 'Invite code', step)}
      <form @submit=${this.submitReply}>
        <label for="reply-in">Their reply code</label>
        <textarea id="reply-in" rows="3" required autocomplete="off" spellcheck="false"></textarea>
        <div class="row"><button type="submit">Connect</button></div>
      </form>`;
  }

  private renderNewcomer() {
    const step = this.step;
    if (step.name === 'working') return html`<p class="muted">${step.text}</p>`;
    if (step.name === 'done') return html`<p>${step.text}</p>`;
    if (step.name === 'showing') {
      return html`<p class="muted">Give this reply code back to the person who invited you (they paste it, or type it, under “Their reply code”).</p>
        ${this.renderCode('reply-code', 'Your reply code', step)}`;
    }
    return html`<form @submit=${this.submitInvite}>
        <label for="invite-in">Invite code</label>
        <textarea id="invite-in" rows="4" required autocomplete="off" spellcheck="false" placeholder="DIMAI1-…"></textarea>
        <div class="row">
          <button type="submit">Use this invite</button>
          ${cameraAvailable()
            ? html`<button type="button" class="quiet" aria-pressed=${this.scanning} @click=${this.toggleCamera}>${this.scanning ? 'Stop the camera' : 'Scan with the camera'}</button>`
            : html`<span class="muted">No camera here: paste the code.</span>`}
        </div>
      </form>
      ${this.scanning ? html`<dima-qr-scanner @dima-scan=${this.onScan}></dima-qr-scanner>` : nothing}`;
  }

  private renderCode(id: string, label: string, step: { code: string; expiresAt: number }) {
    const until = new Date(step.expiresAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const minutes = Math.max(0, Math.round((step.expiresAt - Date.now()) / 60_000));
    return html`<div class="code">
      <dima-qr-code .text=${step.code}></dima-qr-code>
      <label for=${id} style="align-self: stretch">${label} <span class="muted">(${step.code.length} characters, valid until ${until}, ${minutes} min left)</span></label>
      <textarea id=${id} rows="4" readonly .value=${step.code} @focus=${(e: Event) => (e.target as HTMLTextAreaElement).select()}></textarea>
      <div class="row"><button type="button" class="quiet" @click=${() => this.copy(id, step.code)}>Copy</button></div>
    </div>`;
  }

  private async createInvite(): Promise<void> {
    this.step = { name: 'working', text: 'Preparing an invite…' };
    const created = await this.port.createInvite();
    if (!created.ok) {
      this.step = { name: 'idle' };
      this.say(created.message, true);
      return;
    }
    this.step = { name: 'showing', code: created.code, expiresAt: created.expiresAt };
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLTextAreaElement>('#reply-in')?.focus();
  }

  private async submitReply(event: Event): Promise<void> {
    event.preventDefault();
    const text = this.renderRoot.querySelector<HTMLTextAreaElement>('#reply-in')?.value ?? '';
    this.say('Connecting…', false);
    const outcome = await this.port.acceptInviteReply(text);
    if (outcome.ok) {
      this.step = { name: 'done', text: 'Connected: the newcomer is joining the network through this tab.' };
      this.say('Connected.', false);
    } else this.say(outcome.message, true);
  }

  private async submitInvite(event: Event): Promise<void> {
    event.preventDefault();
    await this.useInvite(this.renderRoot.querySelector<HTMLTextAreaElement>('#invite-in')?.value ?? '');
  }

  private async useInvite(text: string): Promise<void> {
    this.scanning = false;
    this.say('Reading the invite…', false);
    const answered = await this.port.joinWithInvite(text);
    if (!answered.ok) return this.say(answered.message, true);
    this.step = { name: 'showing', code: answered.reply, expiresAt: answered.expiresAt };
    this.say('Waiting for the inviter to paste your reply…', false);
    void answered.connected.then((outcome: InviteOutcome) => {
      if (outcome.ok) {
        this.step = { name: 'done', text: 'You joined the network through the invite. You can close this dialog and search for people.' };
        this.say('Joined through the invite.', false);
      } else this.say(outcome.message, true);
    });
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLTextAreaElement>('#reply-code')?.focus();
  }

  private toggleCamera(): void {
    this.scanning = !this.scanning;
  }

  private onScan(event: CustomEvent<{ text: string }>): void {
    const field = this.renderRoot.querySelector<HTMLTextAreaElement>('#invite-in');
    if (field) field.value = event.detail.text;
    void this.useInvite(event.detail.text);
  }

  private async copy(id: string, text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.say('Copied.', false);
    } catch {
      // No clipboard permission (or not a secure context): select it for the user's own copy.
      this.renderRoot.querySelector<HTMLTextAreaElement>(`#${id}`)?.select();
      this.say('Selected: copy it with Ctrl+C (or your device\'s copy).', false);
    }
  }

  private say(text: string, error: boolean): void {
    this.notice = { text, error };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-invite-dialog': InviteDialog;
  }
}
