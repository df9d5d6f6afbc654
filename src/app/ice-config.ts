// STUN/TURN servers for a tab, from the deployment (issue 16, docs/DEPLOY.md).
//
// The server that served the page answers GET /ice with the servers it was started with and, for a
// TURN server sharing a secret with it, credentials that expire (coturn's use-auth-secret scheme:
// the secret never leaves the server). The tab:
//   - fetches /ice once at boot, with a deadline and a size cap, and validates the answer (valibot);
//   - keeps the last good answer (localStorage), for when no server is reachable: a tab opened from
//     an invite while the server is down, or a deployment whose page is served by a static host and
//     whose introducer is a seed peer;
//   - refreshes before the credentials expire, and retries a failed refresh;
//   - falls back to the page's `<meta name="dima-ice-servers">` (src/app/config.ts) when the server
//     offers no servers and nothing is stored.
// The WebRTC transport reads `current()` at every peer connection it constructs, so a link opened
// after a refresh uses the new credentials; links already open keep theirs.
//
// This file is also the one schema of the /ice answer: signaling-bootstrap/ice-config.ts, which
// writes the answer, imports it from here.

import * as v from 'valibot';
import type { Clock, TimerHandle } from '../overlay/environment.js';
import { realClock } from '../overlay/transports/real-environment.js';

/** Served by signaling-bootstrap/server.ts on the same origin as the page. */
export const ICE_PATH = '/ice';

/** Every bound on an /ice answer and on the loader's timers, named in one place. */
export const ICE_LIMITS = {
  /** Larger answers are not read further (a sane one is a few hundred bytes). */
  maxResponseBytes: 16_384,
  /** RTCIceServer entries per answer. */
  maxServers: 8,
  /** URLs per entry. */
  maxUrlsPerServer: 8,
  maxUrlChars: 256,
  /** TURN username and credential (minted ones are ~20 and 28 characters). */
  maxCredentialChars: 256,
  /** The boot fetch gives up after this long: a tab must not wait on a slow server to open. */
  fetchTimeoutMs: 5_000,
  /** Refresh when this fraction of the remaining lifetime has passed (1 h credentials: after 45 min). */
  refreshAtFraction: 0.75,
  /** Never refresh more often than this, whatever the server says about expiry. */
  minRefreshMs: 30_000,
  /** After a failed refresh, try again this much later. */
  retryMs: 60_000,
} as const;

/** stun:/stuns:/turn:/turns: URLs (RFC 7064/7065): a host or [IPv6], an optional port, `?transport=` for TURN. */
const ICE_URL = /^(?:stuns?:(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?|turns?:(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?(?:\?transport=(?:udp|tcp))?)$/;

export const IceUrl = v.pipe(v.string(), v.maxLength(ICE_LIMITS.maxUrlChars), v.regex(ICE_URL, 'not a stun:, stuns:, turn: or turns: URL'));
const credentialText = v.pipe(v.string(), v.minLength(1), v.maxLength(ICE_LIMITS.maxCredentialChars));

export const IceServer = v.pipe(
  v.strictObject({
    urls: v.union([IceUrl, v.pipe(v.array(IceUrl), v.minLength(1), v.maxLength(ICE_LIMITS.maxUrlsPerServer))]),
    username: v.optional(credentialText),
    credential: v.optional(credentialText),
  }),
  // A TURN server always authenticates: an entry without credentials only costs failed allocations.
  v.check(
    (server) => !urlList(server.urls).some(isTurnUrl) || (server.username !== undefined && server.credential !== undefined),
    'a turn: URL needs a username and a credential',
  ),
);
export type IceServer = v.InferOutput<typeof IceServer>;

/** The body of GET /ice. `expiresAt`: ms since the epoch when the TURN credentials stop working, null if none expire. */
export const IceAnswer = v.strictObject({
  iceServers: v.pipe(v.array(IceServer), v.maxLength(ICE_LIMITS.maxServers)),
  expiresAt: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export type IceAnswer = v.InferOutput<typeof IceAnswer>;

export function urlList(urls: string | readonly string[]): readonly string[] {
  return typeof urls === 'string' ? [urls] : urls;
}

export function isTurnUrl(url: string): boolean {
  return url.startsWith('turn:') || url.startsWith('turns:');
}

/** Where the last good answer is kept: a string slot (localStorage in a tab, memory in tests). */
export interface IceStore {
  load(): string | null;
  save(text: string): void;
}

const ICE_STORE_KEY = 'dima.ice-servers';

/** localStorage, or nothing where it throws (storage disabled, opaque origins): the loader still works. */
function localStorageIceStore(storage: Pick<Storage, 'getItem' | 'setItem'>, key = ICE_STORE_KEY): IceStore {
  return {
    load: () => {
      try {
        return storage.getItem(key);
      } catch {
        return null;
      }
    },
    save: (text) => {
      try {
        storage.setItem(key, text);
      } catch {
        // Quota or disabled storage: the tab only loses the offline fallback.
      }
    },
  };
}

/**
 * The loader a tab uses: /ice on the page's own origin, the browser's fetch, localStorage (none
 * where even touching it throws: sandboxed frames, opaque origins), wall-clock time.
 * `fallback`: the page's meta tag (config.ts iceServers(document)).
 */
export function tabIceLoader(pageUrl: string, fallback: RTCIceServer[]): IceServersLoader {
  let store: IceStore | null = null;
  try {
    store = localStorageIceStore(globalThis.localStorage);
  } catch {
    store = null;
  }
  return new IceServersLoader({ url: new URL(ICE_PATH, pageUrl).href, fetch: globalThis.fetch.bind(globalThis), store, clock: realClock, fallback });
}

export interface IceLoaderOptions {
  /** Absolute URL of the /ice endpoint, e.g. `new URL(ICE_PATH, location.href).href`. */
  url: string;
  fetch: typeof fetch;
  store: IceStore | null;
  /** Wall-clock time: expiry is a wall-clock instant set by the server. */
  clock: Clock;
  /** Used when the server offers no servers and nothing good is stored (the page's meta tag). */
  fallback?: RTCIceServer[];
}

/** Why the loader uses what it uses, for the overlay picture and tests. */
export type IceSource = 'server' | 'stored' | 'fallback';

/** Fixed labels: what went wrong with /ice, counted. */
export interface IceLoaderStats {
  fetched: number;
  failedFetch: number;
  tooLarge: number;
  invalid: number;
}

export class IceServersLoader {
  readonly stats: IceLoaderStats = { fetched: 0, failedFetch: 0, tooLarge: 0, invalid: 0 };
  private answer: IceAnswer | null = null;
  private answerSource: IceSource = 'fallback';
  private timer: TimerHandle | null = null;
  private inFlight: Promise<boolean> | null = null;
  private stopped = false;
  private lastAttempt = -Infinity;

  constructor(private readonly options: IceLoaderOptions) {
    const stored = options.store?.load();
    if (stored) {
      const parsed = parseIceAnswer(stored);
      if (parsed) {
        this.answer = parsed;
        this.answerSource = 'stored';
      }
    }
  }

  /** The boot fetch: resolves (never rejects) once the server answered, failed, or the deadline passed. */
  async load(): Promise<IceSource> {
    await this.refresh();
    return this.source;
  }

  get source(): IceSource {
    return this.servers().length > 0 || !this.options.fallback?.length ? this.answerSource : 'fallback';
  }

  /**
   * The servers to construct a peer connection with now. TURN entries whose credentials expired are
   * left out (coturn would refuse them; STUN still helps), and a refresh is started.
   */
  current(): RTCIceServer[] {
    const servers = this.servers();
    // A suspended tab's timer may fire late: expired credentials start a refresh (at most one per minRefreshMs).
    const now = this.options.clock.now();
    if (this.answer?.expiresAt != null && this.answer.expiresAt <= now && now - this.lastAttempt >= ICE_LIMITS.minRefreshMs) void this.refresh();
    return servers.length > 0 ? servers : [...(this.options.fallback ?? [])];
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.options.clock.clearTimer(this.timer);
    this.timer = null;
  }

  /** One fetch at a time; schedules the next refresh whatever the outcome. */
  refresh(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    this.inFlight ??= this.fetchOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private servers(): RTCIceServer[] {
    if (!this.answer) return [];
    const expired = this.answer.expiresAt !== null && this.answer.expiresAt <= this.options.clock.now();
    return this.answer.iceServers
      .filter((server) => !expired || !urlList(server.urls).some(isTurnUrl))
      .map((server) => ({ ...server, urls: typeof server.urls === 'string' ? server.urls : [...server.urls] }));
  }

  private async fetchOnce(): Promise<boolean> {
    const { clock } = this.options;
    this.lastAttempt = clock.now();
    const text = await this.fetchText();
    const parsed = text === null ? null : parseIceAnswer(text);
    if (text !== null && !parsed) this.stats.invalid++;
    if (parsed && !this.stopped) {
      this.stats.fetched++;
      this.answer = parsed;
      this.answerSource = 'server';
      this.options.store?.save(JSON.stringify(parsed));
    }
    const next = parsed ? refreshDelay(parsed, clock.now()) : ICE_LIMITS.retryMs;
    if (!this.stopped && next !== null) this.schedule(next);
    return parsed !== null;
  }

  /** The body, or null (network error, deadline, not 200, too large). Reads at most maxResponseBytes. */
  private async fetchText(): Promise<string | null> {
    const { clock } = this.options;
    const controller = new AbortController();
    const deadline = clock.setTimer(ICE_LIMITS.fetchTimeoutMs, () => controller.abort());
    try {
      const response = await this.options.fetch(this.options.url, { cache: 'no-store', signal: controller.signal, credentials: 'same-origin' });
      if (!response.ok || !response.body) {
        this.stats.failedFetch++;
        return null;
      }
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > ICE_LIMITS.maxResponseBytes) {
        this.stats.tooLarge++;
        controller.abort();
        return null;
      }
      const reader = response.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > ICE_LIMITS.maxResponseBytes) {
          this.stats.tooLarge++;
          controller.abort();
          return null;
        }
        chunks.push(value);
      }
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.byteLength;
      }
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      this.stats.failedFetch++;
      return null;
    } finally {
      clock.clearTimer(deadline);
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null) this.options.clock.clearTimer(this.timer);
    this.timer = this.options.clock.setTimer(delayMs, () => {
      this.timer = null;
      void this.refresh();
    });
  }
}

/** A validated answer, or null for anything else (not JSON, wrong shape, over a bound). */
export function parseIceAnswer(text: string): IceAnswer | null {
  if (text.length > ICE_LIMITS.maxResponseBytes) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const result = v.safeParse(IceAnswer, json);
  return result.success ? result.output : null;
}

/** When to ask again: most of the way to expiry, never sooner than minRefreshMs; no expiry, no refresh. */
function refreshDelay(answer: IceAnswer, now: number): number | null {
  if (answer.expiresAt === null) return null;
  // setTimeout overflows past 2^31 - 1 ms (24.8 days) and would fire at once.
  return Math.min(2 ** 31 - 1, Math.max(ICE_LIMITS.minRefreshMs, Math.floor((answer.expiresAt - now) * ICE_LIMITS.refreshAtFraction)));
}
