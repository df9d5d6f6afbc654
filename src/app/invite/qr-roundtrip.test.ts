import jsQR from 'jsqr';
import { encode } from 'uqr';
import { describe, expect, it } from 'vitest';
import { decodeInvite, encodeInvite, encodeReply, decodeReply } from './codec.js';
import type { SdpEssentials } from './sdp-essentials.js';

// The QR side of the codes, without a camera: what uqr draws (as the dialog does) jsqr reads back
// (as the camera path does), in QR alphanumeric mode, at a size a phone reads off a screen.

const OFFER: SdpEssentials = {
  ufrag: 'IVcn',
  pwd: 'mGQUIM6mVIeqMABfRpFXKG5+',
  fingerprints: [{ algorithm: 'sha-256', digest: 'C0:16:66:C9:17:46:9F:CD:6C:BA:77:59:CB:DB:D0:15:28:8D:B0:CB:FB:48:0B:E9:3B:47:06:46:1F:A5:EC:9A' }],
  setup: 'actpass',
  mid: '0',
  sctpPort: 5000,
  maxMessageSize: 262144,
  candidates: [
    { type: 'host', address: '192.168.1.23', port: 59860 },
    { type: 'host', address: 'fd00::2', port: 46577 },
    { type: 'host', address: '5c3a41b2-0d1e-4f6a-9b7c-2e8d1f0a3b4c.local', port: 51234 },
  ],
};

/** The QR code as an RGBA picture, `scale` pixels a module, as a screen shows it to a camera. */
function picture(text: string, scale = 4): { data: Uint8ClampedArray; width: number; version: number } {
  const qr = encode(text, { ecc: 'M', border: 4 });
  const width = qr.size * scale;
  const data = new Uint8ClampedArray(width * width * 4);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      const value = qr.data[Math.floor(y / scale)][Math.floor(x / scale)] ? 0 : 255;
      data.set([value, value, value, 255], (y * width + x) * 4);
    }
  }
  return { data, width, version: qr.version };
}

describe('invite codes as QR codes', () => {
  it('are read back by jsqr from what uqr draws, in alphanumeric mode', () => {
    const now = Date.UTC(2026, 11, 2);
    const invite = encodeInvite(OFFER, now + 600_000);
    const reply = encodeReply({ ...OFFER, setup: 'active' }, invite.tag);
    for (const code of [invite.code, reply]) {
      const { data, width, version } = picture(code);
      const read = jsQR(data, width, width);
      expect(read?.data).toBe(code);
      expect(read?.chunks.every((chunk) => chunk.type === 'alphanumeric')).toBe(true);
      expect(version).toBeLessThanOrEqual(8);
    }
    const scanned = picture(invite.code);
    expect(decodeInvite(jsQR(scanned.data, scanned.width, scanned.width)!.data, now).ok).toBe(true);
    expect(decodeReply(reply).ok).toBe(true);
  });
});
