import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { theme } from '../theme.js';

/** Frames a second we hand to jsqr: enough to catch a code held still, little CPU on a phone. */
const SCANS_PER_SECOND = 6;
/** Frames are scaled down to this width before decoding (jsqr's cost grows with the pixels). */
const SCAN_WIDTH = 640;

/** True where a camera can be asked for at all (a secure context with mediaDevices). */
export function cameraAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';
}

/**
 * The camera, read for QR codes with jsqr (loaded only when a camera is opened). Fires `dima-scan`
 * with `{ text }` once a code is read, then stops the camera. Without a camera, or when the user
 * refuses it, it says so and the user pastes instead: the camera is only ever a shortcut.
 */
@customElement('dima-qr-scanner')
export class QrScanner extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; }
      video { width: 100%; max-width: 24em; border-radius: var(--radius); background: #000; }
    `,
  ];

  @state() private message = 'Starting the camera…';
  private stream: MediaStream | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop();
  }

  override render() {
    return html`<video muted playsinline aria-label="Camera picture"></video>
      <p class="muted" role="status" aria-live="polite">${this.message}</p>`;
  }

  private async start(): Promise<void> {
    if (!cameraAvailable()) {
      this.message = 'No camera is available here: paste the invite instead.';
      return;
    }
    try {
      const [stream, { default: jsQR }] = await Promise.all([
        navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }),
        import('jsqr'),
      ]);
      if (!this.isConnected) return stream.getTracks().forEach((t) => t.stop());
      this.stream = stream;
      await this.updateComplete;
      const video = this.renderRoot.querySelector('video')!;
      video.srcObject = stream;
      await video.play();
      this.message = 'Hold the invite\'s QR code in front of the camera.';
      const canvas = document.createElement('canvas');
      const context = canvas.getContext('2d', { willReadFrequently: true })!;
      this.timer = setInterval(() => {
        if (video.videoWidth === 0) return;
        const scale = Math.min(1, SCAN_WIDTH / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        const image = context.getImageData(0, 0, canvas.width, canvas.height);
        const found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
        if (!found?.data) return;
        this.stop();
        this.message = 'Code read.';
        this.dispatchEvent(new CustomEvent('dima-scan', { detail: { text: found.data }, bubbles: true, composed: true }));
      }, 1000 / SCANS_PER_SECOND);
    } catch (error) {
      this.stop();
      const denied = error instanceof DOMException && (error.name === 'NotAllowedError' || error.name === 'SecurityError');
      this.message = denied ? 'The camera was not allowed: paste the invite instead.' : 'No camera could be opened: paste the invite instead.';
    }
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = undefined;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'dima-qr-scanner': QrScanner;
  }
}
