import { LitElement, css, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { encode } from 'uqr';

/**
 * A QR code for `text`, drawn by uqr (kept library) as one SVG path. Error correction M: a phone
 * camera reads it off a screen at a slant; the invite codes' base32 stays in alphanumeric mode.
 * The picture is decorative for screen readers: the same code is always shown as text beside it.
 */
@customElement('dima-qr-code')
export class QrCode extends LitElement {
  static override styles = css`
    :host { display: inline-block; background: #fff; padding: 8px; border-radius: 8px; line-height: 0; }
    svg { width: var(--qr-size, 220px); height: var(--qr-size, 220px); shape-rendering: crispEdges; }
  `;

  @property() text = '';

  override render() {
    if (!this.text) return svg``;
    const qr = encode(this.text, { ecc: 'M', border: 2 });
    let path = '';
    qr.data.forEach((row, y) => row.forEach((dark, x) => (path += dark ? `M${x} ${y}h1v1h-1z` : '')));
    return svg`<svg viewBox="0 0 ${qr.size} ${qr.size}" role="img" aria-label="QR code (version ${qr.version}) of the code shown as text" data-version=${qr.version}>
      <path d=${path} fill="#000"></path>
    </svg>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-qr-code': QrCode;
  }
}
