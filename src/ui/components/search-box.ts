import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Buddy, BuddyRequest, ConnectionState, MessengerPort, SearchHandle, SearchResult, Uid } from '../messenger-port.js';
import { shortId } from '../format.js';
import { theme } from '../theme.js';
import { BUDDY_ADDED_EVENT } from './buddy-requests.js';

/** Typing pauses shorter than this do not start a directory search (each one routes through the overlay). */
const TYPING_PAUSE_MS = 200;

/** Phases in which the directory can be asked (alone: this node is the root of every key). */
const CAN_SEARCH = new Set<ConnectionState['phase']>(['joined', 'alone']);

/**
 * Search the directory as you type; results stream in, best match first; "Add" sends a buddy
 * request and clears the search. It says what is going on: "Searching…" from the first key press
 * until the first answer, that it is offline instead of "No one found", and never shows the results
 * of an older query under a new one.
 */
@customElement('dima-search-box')
export class SearchBox extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; }
      .results { margin-top: 0.4em; }
      li { display: flex; align-items: center; gap: 0.5em; padding: 0.45em 0.2em; border-bottom: 1px solid var(--border); }
      .who { flex: 1; min-width: 0; }
      .who small { display: block; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .status { font-size: 0.85rem; padding: 0.3em 0.2em; }
    `,
  ];

  @property({ attribute: false }) port!: MessengerPort;
  @property({ attribute: false }) buddies: readonly Buddy[] = [];
  @property({ attribute: false }) requests: readonly BuddyRequest[] = [];
  @property({ attribute: false }) connection: ConnectionState = { phase: 'offline', links: 0 };

  @state() private query = '';
  @state() private results: SearchResult[] = [];
  @state() private searching = false;

  private active: SearchHandle | undefined;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  override focus(): void {
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('#q')?.focus());
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    // Joined while a query waits: ask now instead of leaving "offline" on screen.
    const before = changed.get('connection') as ConnectionState | undefined;
    if (before && !CAN_SEARCH.has(before.phase) && this.online() && this.query.trim() && !this.active) this.start(this.query.trim());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop();
  }

  override render() {
    return html`<label class="visually-hidden" for="q">Search people</label>
      <input id="q" type="search" placeholder="Search people by name, city, words…" autocomplete="off"
        .value=${this.query} @input=${this.onInput} @keydown=${this.onKeydown} />
      ${this.query.trim() ? this.renderResults() : ''}`;
  }

  private renderResults() {
    const phase = this.connection.phase;
    const status = !this.online()
      ? phase === 'joining' || phase === 'reconnecting'
        ? 'Not connected yet: search needs the network.'
        : 'You are offline: search needs the network.'
      : this.results.length > 0
        ? `${this.results.length} found${this.searching ? ', searching on…' : ''}`
        : this.searching
          ? 'Searching…'
          : 'No one found.';
    return html`<div class="results">
      <div class="status muted" role="status" aria-live="polite">${status}</div>
      <ul class="plain" aria-label="Search results">
        ${this.results.map((r) => {
          const name = r.fields.name ?? r.fields.nickname ?? shortId(r.uid);
          const details = [r.fields.nickname, r.fields.city, r.fields.words].filter(Boolean).join(' · ');
          return html`<li data-uid=${r.uid}>
            <span class="who"><span dir="auto">${name}</span><small dir="auto">${details || shortId(r.uid)}</small></span>
            ${this.renderAction(r.uid, name)}
          </li>`;
        })}
      </ul>
    </div>`;
  }

  private renderAction(uid: Uid, name: string) {
    if (this.buddies.some((b) => b.uid === uid)) return html`<span class="muted">buddy</span>`;
    if (this.requests.some((r) => r.uid === uid)) return html`<span class="muted">requested</span>`;
    return html`<button @click=${() => this.add(uid, name)} aria-label="Add ${name} as buddy">Add</button>`;
  }

  /** Sends the request; the search is done with, so it clears and the box is ready for the next. */
  private add(uid: Uid, name: string): void {
    void this.port.requestBuddy(uid, name).catch(() => {});
    this.dispatchEvent(new CustomEvent(BUDDY_ADDED_EVENT, { bubbles: true, composed: true }));
    this.query = '';
    this.stop();
    this.focus();
  }

  private online(): boolean {
    return CAN_SEARCH.has(this.connection.phase);
  }

  private onInput(event: InputEvent): void {
    this.query = (event.target as HTMLInputElement).value;
    // The old query's results go at once; "Searching…" covers the typing pause too.
    this.stop();
    if (!this.query.trim() || !this.online()) return;
    this.searching = true;
    this.typingTimer = setTimeout(() => this.start(this.query.trim()), TYPING_PAUSE_MS);
  }

  private onKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Escape') return;
    this.query = '';
    this.stop();
  }

  private start(query: string): void {
    this.stop();
    if (!query || !this.online()) return;
    this.searching = true;
    const handle = this.port.search(query, (result) => {
      if (this.active !== handle) return;
      this.results = [...this.results.filter((r) => r.uid !== result.uid), result].sort((a, b) => b.matched - a.matched);
    });
    this.active = handle;
    void handle.done.then(() => {
      if (this.active === handle) this.searching = false;
    });
  }

  private stop(): void {
    clearTimeout(this.typingTimer);
    this.active?.cancel();
    this.active = undefined;
    this.results = [];
    this.searching = false;
  }
}
