// Settings of the composition root, named in one place.

import { BOOTSTRAP_PATH } from '../overlay/bootstrap/protocol.js';
import type { OverlayConfig } from '../overlay/config.js';

export const APP_CONFIG = {
  /** Wait this long for the introducer before showing 'offline' (history still opens). */
  bootstrapTimeoutMs: 15_000,
  /** Retry joining after this long, doubling up to retryMaxMs; the browser's 'online' event retries at once. */
  retryMs: 1_000,
  /** A tab that lost its links is back within this long of an entry point coming back (issue 13). */
  retryMaxMs: 10_000,
  /** An entry point runs alone this long before the next one is started beside it. */
  entryHeadStartMs: 1_000,
  /** A tab whose links all closed waits this long (a link may be reopening) before it rejoins. */
  lostGraceMs: 500,
  /** Seed URLs from the page's meta and the URL together, at most. */
  maxConfiguredSeeds: 8,
  /** A seed URL longer than this is ignored. */
  maxSeedUrlChars: 256,
  /** Routed paths kept for the overlay picture. */
  recentPaths: 6,
} as const;

// The entry chunk reads it before anything else is loaded: it lives in a module of its own.
export { profileName } from './profile-name.js';

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
 * A seed's introducer URL, or null: ws: or wss: only (an introducer speaks WebSocket), at most
 * maxSeedUrlChars, no credentials, no fragment. Returned normalised (URL's own serialisation).
 */
export function validSeedUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > APP_CONFIG.maxSeedUrlChars) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return null;
  if (url.username || url.password || url.hash || !url.hostname) return null;
  const text = url.toString();
  return text.length <= APP_CONFIG.maxSeedUrlChars ? text : null;
}

/**
 * Seeds a deployment or a user names: `<meta name="dima-seeds" content='["wss://seed.example/bootstrap"]'>`
 * (a JSON list, or URLs separated by spaces) and any number of `?seed=ws(s)://…`; invalid ones are
 * dropped, duplicates merged, at most maxConfiguredSeeds kept (the meta's first).
 */
export function configuredSeeds(meta: string | null | undefined, search: string): string[] {
  const named: unknown[] = [];
  if (meta) {
    try {
      const parsed: unknown = JSON.parse(meta);
      if (Array.isArray(parsed)) named.push(...parsed.slice(0, APP_CONFIG.maxConfiguredSeeds));
    } catch {
      named.push(...meta.split(/\s+/).slice(0, APP_CONFIG.maxConfiguredSeeds));
    }
  }
  named.push(...new URLSearchParams(search).getAll('seed').slice(0, APP_CONFIG.maxConfiguredSeeds));
  const seeds = new Set<string>();
  for (const raw of named) {
    const url = validSeedUrl(raw);
    if (url) seeds.add(url);
    if (seeds.size >= APP_CONFIG.maxConfiguredSeeds) break;
  }
  return [...seeds];
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
