import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { PROFILE_FIELDS, type Profile, type ProfileField } from '../messenger-port.js';
import { nameProblem } from '../limits.js';
import { theme } from '../theme.js';

const FIELD_LABEL: Record<ProfileField, string> = {
  name: 'Display name',
  nickname: 'Nickname',
  city: 'City',
  email: 'E-mail',
  words: 'Free words (interests, team…)',
};

/**
 * The profile fields and, for each, whether it is published to the directory (others can search by
 * it). Shared by onboarding and settings; fires `dima-profile` {profile} on submit.
 */
@customElement('dima-profile-form')
export class ProfileForm extends LitElement {
  static override styles = [
    theme,
    css`
      .field { display: grid; grid-template-columns: 1fr auto; gap: 0.3em 0.8em; align-items: center; margin-bottom: 0.9em; }
      .field label:first-child { grid-column: 1 / -1; font-weight: 600; }
      .publish { display: inline-flex; gap: 0.3em; align-items: center; white-space: nowrap; font-size: 0.9rem; }
      .publish input { width: auto; }
      .error { color: var(--danger); }
    `,
  ];

  @property({ attribute: false }) profile: Profile | undefined;
  @property() submitLabel = 'Save';

  @state() private fields: Partial<Record<ProfileField, string>> = {};
  @state() private published = new Set<ProfileField>(['name', 'nickname', 'city', 'words']);
  @state() private error = '';

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('profile') && this.profile) {
      this.fields = { ...this.profile.fields };
      this.published = new Set(this.profile.published);
    }
  }

  override render() {
    return html`<form @submit=${this.submit} novalidate>
      ${PROFILE_FIELDS.map((field) => this.renderField(field))}
      ${this.error ? html`<p class="error" id="form-error" role="alert">${this.error}</p>` : ''}
      <button type="submit">${this.submitLabel}</button>
    </form>`;
  }

  private renderField(field: ProfileField) {
    const id = `field-${field}`;
    return html`<div class="field">
      <label for=${id}>${FIELD_LABEL[field]}</label>
      <input id=${id} name=${field} type=${field === 'email' ? 'email' : 'text'} autocomplete=${field === 'email' ? 'email' : 'off'}
        ?required=${field === 'name'} .value=${this.fields[field] ?? ''} dir="auto"
        aria-invalid=${field === 'name' && this.error ? 'true' : 'false'} aria-describedby=${field === 'name' && this.error ? 'form-error' : nothing}
        @input=${(e: InputEvent) => (this.fields = { ...this.fields, [field]: (e.target as HTMLInputElement).value })} />
      <label class="publish">
        <input type="checkbox" name="publish-${field}" .checked=${this.published.has(field)} @change=${(e: Event) => this.togglePublished(field, (e.target as HTMLInputElement).checked)} />
        publish
      </label>
    </div>`;
  }

  private togglePublished(field: ProfileField, on: boolean): void {
    const next = new Set(this.published);
    if (on) next.add(field);
    else next.delete(field);
    this.published = next;
  }

  private submit(event: Event): void {
    event.preventDefault();
    const fields = Object.fromEntries(
      PROFILE_FIELDS.map((f) => [f, (this.fields[f] ?? '').trim()]).filter(([, value]) => value),
    ) as Profile['fields'];
    const problem = nameProblem(fields.name);
    if (problem) {
      this.error = problem;
      this.renderRoot.querySelector<HTMLInputElement>('#field-name')?.focus();
      return;
    }
    this.error = '';
    const profile: Profile = { fields, published: PROFILE_FIELDS.filter((f) => this.published.has(f) && fields[f]) };
    this.dispatchEvent(new CustomEvent('dima-profile', { detail: { profile }, bubbles: true, composed: true }));
  }
}
