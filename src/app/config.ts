// Settings of the composition root, named in one place.

import { BOOTSTRAP_PATH } from '../overlay/bootstrap/protocol.js';
import type { OverlayConfig } from '../overlay/config.js';

export const APP_CONFIG = {
  /** Wait this long for the introducer before showing 'offline' (history still opens). */
  bootstrapTimeoutMs: 15_000,
  /** Retry joining after this long, doubling up to retryMaxMs; the browser's 'online' event retries at once. */
  retryMs: 2_000,
  retryMaxMs: 30_000,
  /** Routed paths kept for the overlay picture. */
  recentPaths: 6,
} as const;

/** The local profile (`?profile=NAME`): its own identity, storage and tab lock. Default "default". */
export function profileName(search: string): string {
  const raw = new URLSearchParams(search).get('profile') ?? '';
  const clean = raw.trim().replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 40);
  return clean || 'default';
}

/**
 * `?leafSetSize=L&bitsPerDigit=b`: the overlay's shape, for experiments on a handful of tabs (with
 * the default |L| = 16 every tab of a small ring is every other's leaf and all routes take one hop).
 * Every tab of a ring should use the same values; anything invalid is ignored.
 */
export function overlayShape(search: string): Partial<OverlayConfig> {
  const params = new URLSearchParams(search);
  const shape: Partial<OverlayConfig> = {};
  const leafSetSize = Number(params.get('leafSetSize'));
  if (Number.isInteger(leafSetSize) && leafSetSize >= 2 && leafSetSize <= 32 && leafSetSize % 2 === 0) shape.leafSetSize = leafSetSize;
  const bitsPerDigit = Number(params.get('bitsPerDigit'));
  if ([1, 2, 4, 8].includes(bitsPerDigit)) shape.bitsPerDigit = bitsPerDigit;
  return shape;
}

/** The introducer on the server that served this page (`npm start` serves both on one port). */
export function bootstrapUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${BOOTSTRAP_PATH}`;
}

/**
 * STUN/TURN servers: none by default (enough on one host or one LAN). A deployment sets them
 * without rebuilding through `<meta name="dima-ice-servers" content='[{"urls":"stun:..."}]'>`.
 */
export function iceServers(document: Document): RTCIceServer[] {
  const content = document.querySelector<HTMLMetaElement>('meta[name="dima-ice-servers"]')?.content;
  if (!content) return [];
  try {
    const parsed: unknown = JSON.parse(content);
    return Array.isArray(parsed) ? parsed.filter((s): s is RTCIceServer => typeof s === 'object' && s !== null && 'urls' in s) : [];
  } catch {
    return [];
  }
}
