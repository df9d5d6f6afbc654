import { LitElement, css, html } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { BackupPort } from '../backup-port.js';
import { theme } from '../theme.js';

/**
 * Settings' "Identity backup": a modal dialog that seals this identity with a passphrase and offers
 * the file. It warns that the file IS the identity, and that two browsers running one identity
 * confuse the network (one uid, two places).
 */
@customElement('dima-backup-dialog')
export class BackupDialog extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; margin-bottom: 2em; }
      dialog { background: var(--surface); color: var(--text); border: 1px solid var(--border); border-radius: var(--radius); max-width: min(34em, 95vw); width: 100%; padding: 1.2em; }
      dialog::backdrop { background: rgb(0 0 0 / 0.6); }
      label { display: block; margin: 0.8em 0 0.3em; font-weight: 600; }
      .row { display: flex; gap: 0.6em; flex-wrap: wrap; align-items: center; margin-top: 1em; }
      .close { margin-left: auto; }
      .warning { border-left: 4px solid var(--warning-border); padding: 0.4em 0.8em; background: var(--surface-raised); }
      .error { color: var(--danger); }
      progress { width: 100%; }
    `,
  ];

  @property({ attribute: false }) backup: BackupPort | undefined;
  @state() private working: number | undefined;
  @state() private notice: { text: string; error: boolean } | undefined;
  @state() private download: { url: string; name: string } | undefined;
  @query('dialog') private dialog!: HTMLDialogElement;

  override render() {
    if (!this.backup) return html``;
    return html`<section aria-labelledby="backup-h">
        <h2 id="backup-h">Identity backup</h2>
        <p class="muted">Your identity lives only in this browser. A backup file lets another browser become you again: same uid, same buddies.</p>
        <button class="quiet" aria-haspopup="dialog" @click=${() => this.open()}>Back up this identity…</button>
      </section>
      <dialog aria-labelledby="backup-title" @close=${() => this.reset()}>
        <h2 id="backup-title">Back up this identity</h2>
        <p class="warning">Anyone with this file and its passphrase can be you. Restore it in one browser at a time:
          while this identity still runs here, another browser with it competes for the same uid and messages go to whichever answers.</p>
        <form @submit=${this.create}>
          <label for="backup-pass">Passphrase (at least 10 characters)</label>
          <input id="backup-pass" type="password" autocomplete="new-password" required minlength="10" />
          <label for="backup-again">Passphrase again</label>
          <input id="backup-again" type="password" autocomplete="new-password" required />
          ${this.working !== undefined ? html`<progress aria-label="Sealing the backup" max="1" .value=${this.working}></progress>` : ''}
          <div class="row">
            <button type="submit" ?disabled=${this.working !== undefined}>Create backup file</button>
            ${this.download ? html`<a href=${this.download.url} download=${this.download.name}>Download ${this.download.name}</a>` : ''}
            <button type="button" class="quiet close" @click=${() => this.dialog.close()}>Close</button>
          </div>
        </form>
        <p role="status" aria-live="polite" class=${this.notice?.error ? 'error' : 'muted'}>${this.notice?.text ?? ''}</p>
      </dialog>`;
  }

  async open(): Promise<void> {
    await this.updateComplete;
    this.dialog.showModal();
    this.renderRoot.querySelector<HTMLInputElement>('#backup-pass')?.focus();
  }

  private async create(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.backup || this.working !== undefined) return;
    const [pass, again] = ['#backup-pass', '#backup-again'].map((id) => this.renderRoot.querySelector<HTMLInputElement>(id)!.value);
    if (pass !== again) {
      this.notice = { text: 'The two passphrases differ.', error: true };
      return;
    }
    this.notice = { text: 'Sealing the backup (this takes a few seconds)…', error: false };
    this.working = 0;
    try {
      const file = await this.backup.exportBackup(pass, (f) => (this.working = f));
      this.revoke();
      this.download = { url: URL.createObjectURL(file.blob), name: file.name };
      this.notice = { text: `Backup ready: ${file.name}. Keep it and the passphrase apart.`, error: false };
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLAnchorElement>('a[download]')?.click();
    } catch (error) {
      this.notice = { text: (error as Error).message, error: true };
    } finally {
      this.working = undefined;
    }
  }

  private reset(): void {
    for (const input of this.renderRoot.querySelectorAll('input')) input.value = '';
    this.notice = undefined;
    this.revoke();
  }

  private revoke(): void {
    if (this.download) URL.revokeObjectURL(this.download.url);
    this.download = undefined;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-backup-dialog': BackupDialog;
  }
}
