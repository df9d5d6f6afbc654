// Full-page notices shown instead of the app when this tab may not run the profile's node: another
// tab holds it (offer to take over), or another tab took it from this one.

import { html, render, type TemplateResult } from 'lit';

// Inline display would override the `hidden` attribute, so visibility is switched through display.
const SHOWN = 'display:grid;place-items:center;height:100%;text-align:center;padding:2em;box-sizing:border-box';
const HIDDEN = 'display:none';

export class TabNotice {
  private readonly host = document.createElement('div');

  constructor(private readonly app: HTMLElement) {
    this.host.setAttribute('style', HIDDEN);
    this.host.setAttribute('role', 'alert');
    app.before(this.host);
  }

  /** "Open in another tab": resolves when the user presses "Take over". */
  askToTakeOver(profile: string): Promise<void> {
    return new Promise((resolve) =>
      this.show(html`<div>
        <h1 style="font-size:1.4rem">DIMA is open in another tab</h1>
        <p>Profile <strong>${profile}</strong> runs in another tab of this browser: one node per identity.</p>
        <p><button @click=${() => resolve()} style="font:inherit;padding:0.5em 1.2em">Take over</button></p>
        <p style="opacity:0.7">The other tab stops its node, and this one joins in its place.</p>
      </div>`),
    );
  }

  takenOver(profile: string): void {
    this.show(html`<div>
      <h1 style="font-size:1.4rem">Taken over by another tab</h1>
      <p>Profile <strong>${profile}</strong> now runs in another tab; this tab stopped its node.</p>
      <p><button @click=${() => location.reload()} style="font:inherit;padding:0.5em 1.2em">Use it here again</button></p>
    </div>`);
  }

  hide(): void {
    this.host.setAttribute('style', HIDDEN);
    this.app.style.display = '';
  }

  private show(content: TemplateResult): void {
    render(content, this.host);
    this.host.setAttribute('style', SHOWN);
    this.app.style.display = 'none'; // not `hidden`: the element's own :host display would win
  }
}
