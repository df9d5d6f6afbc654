import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { BackupPort } from '../backup-port.js';
import { theme } from '../theme.js';

/** Onboarding's "Restore from backup": a backup file and its passphrase make this browser that identity. */
@customElement('dima-restore-form')
export class RestoreForm extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; }
      details { border: 1px solid var(--border); border-radius: var(--radius); padding: 0.6em 1em; }
      summary { cursor: pointer; font-weight: 600; }
      label { display: block; margin: 0.8em 0 0.3em; font-weight: 600; }
      input[type='file'] { padding: 0.3em; }
      .warning { border-left: 4px solid var(--warning-border); padding: 0.4em 0.8em; background: var(--surface-raised); }
      .error { color: var(--danger); }
      progress { width: 100%; margin-top: 0.8em; }
      button { margin-top: 1em; }
    `,
  ];

  @property({ attribute: false }) backup: BackupPort | undefined;
  @state() private working: number | undefined;
  @state() private notice: { text: string; error: boolean } | undefined;

  override render() {
    if (!this.backup) return html``;
    return html`<details>
      <summary>Restore from backup</summary>
      <p class="warning">Restoring makes this browser the identity in the file. If it is still open in another browser,
        close it there first: two browsers with one identity compete for the same uid.</p>
      <form @submit=${this.restore}>
        <label for="restore-file">Backup file</label>
        <input id="restore-file" type="file" accept="application/json,.json" required />
        <label for="restore-pass">Passphrase</label>
        <input id="restore-pass" type="password" autocomplete="current-password" required />
        ${this.working !== undefined ? html`<progress aria-label="Opening the backup" max="1" .value=${this.working}></progress>` : ''}
        <button type="submit" ?disabled=${this.working !== undefined}>Restore</button>
      </form>
      <p role="status" aria-live="polite" class=${this.notice?.error ? 'error' : 'muted'}>${this.notice?.text ?? ''}</p>
    </details>`;
  }

  private async restore(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.backup || this.working !== undefined) return;
    const file = this.renderRoot.querySelector<HTMLInputElement>('#restore-file')!.files?.[0];
    const passphrase = this.renderRoot.querySelector<HTMLInputElement>('#restore-pass')!.value;
    if (!file) {
      this.notice = { text: 'Choose the backup file first.', error: true };
      return;
    }
    this.notice = { text: 'Opening the backup (this takes a few seconds)…', error: false };
    this.working = 0;
    try {
      await this.backup.restoreBackup(file, passphrase, (f) => (this.working = f));
      this.notice = { text: 'Restored. Starting as this identity…', error: false };
    } catch (error) {
      this.notice = { text: (error as Error).message, error: true };
      this.working = undefined;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-restore-form': RestoreForm;
  }
}
