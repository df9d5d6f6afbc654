// The second step of boot.ts, in a chunk of its own: the network stack (WebRTC, the Pastry node,
// SCAN, the messenger) for the identity boot.ts loaded, the adapter handed to <dima-app>, and the
// loop that keeps this tab joined.

import type { Identity } from '../overlay/identity.js';
import { PeerConnectionBudget } from '../overlay/transports/peer-connection-budget.js';
import { cryptoRandom, realClock } from '../overlay/transports/real-environment.js';
import type { ImStorage } from '../im/storage.js';
import type { DimaApp } from '../ui/app.js';
import { RETRY_JOIN_EVENT } from '../ui/components/connection-status.js';
import { openBroadcastChannel, sameBrowserEntryPoint } from './broadcast-introducer.js';
import { APP_CONFIG, overlayShape } from './config.js';
import { introducerEntryPoint, type EntryPoint } from './entry-points.js';
import type { IceServersLoader } from './ice-config.js';
import { MessengerAdapter } from './messenger-adapter.js';
import type { ProfileStore } from './profile-store.js';
import type { SeedCache } from './seed-cache.js';
import { Session, type SessionOptions } from './session.js';
import type { TabLock } from './single-tab.js';
import type { TabNotice } from './tab-notice.js';
import { yieldToMain } from './yield-to-main.js';

/** What boot.ts has ready when the network stack is loaded. */
export interface BootState {
  profile: string;
  lock: TabLock;
  notice: TabNotice;
  identity: Identity;
  storage: ImStorage;
  profileStore: ProfileStore;
  /** ws(s)://host/bootstrap of the origin. */
  origin: string;
  seedCache: SeedCache;
  /** Seeds the page or the address names. */
  seeds: readonly string[];
  ice: IceServersLoader;
}

export async function startSession(app: DimaApp, state: BootState): Promise<MessengerAdapter> {
  const { profile, lock, notice, identity, storage, profileStore, origin, seedCache, seeds, ice } = state;
  const canBroadcast = typeof BroadcastChannel === 'function';
  const options: SessionOptions = {
    identity,
    storage,
    bootstrapUrl: origin,
    entryPoints: () => entryPoints(origin, seeds, seedCache, canBroadcast),
    seedCache,
    // Without Web Locks (an insecure context) every joined tab answers; the joiner takes the first.
    sameBrowser: canBroadcast ? { openChannel: openBroadcastChannel, locks: navigator.locks } : undefined,
    iceServers: () => ice.current(),
    overlay: overlayShape(location.search),
    // One per page, whatever number of sessions keepJoined goes through (Chromium's limit is per page).
    peerConnections: new PeerConnectionBudget(),
  };

  let running = true;
  /** Each keepJoined loop runs only while it is the newest: one left asleep in its backoff must not wake beside a rejoin's. */
  let loop = 0;
  const session = await Session.open(options);
  await yieldToMain();
  const adapter = await MessengerAdapter.create(session, {
    profile: await profileStore.load(),
    profileStore,
    preferences: await profileStore.loadPreferences(),
    onLeave: () => (running = false),
    // "Rejoin" after "Leave the network": the adapter follows a fresh session, kept joined as at boot.
    onRejoin: () => {
      running = true;
      const mine = ++loop;
      void keepJoined(adapter, options, () => running && loop === mine);
    },
    openSession: () => Session.open(options),
  });
  // The main view's first render is a task of its own, and so is the join after it.
  await yieldToMain();
  app.port = adapter;
  await app.updateComplete;
  await yieldToMain();
  // window.__dima reads chats in plaintext and cuts links: only in builds made for tests and benches
  // (`npm run build:test`); Vite folds the condition, so a production build carries none of it.
  if (import.meta.env.VITE_DIMA_TEST_HANDLE === '1') {
    const { installTestHandle } = await import('./test-handle.js');
    installTestHandle(adapter, identity, seedCache);
  }

  void lock.lost.then(() => {
    running = false;
    adapter.current.stop();
    notice.takenOver(profile);
  });
  addEventListener('pagehide', () => {
    running = false;
    adapter.current.leave();
  });
  // Back from the back/forward cache the node is gone (it left on pagehide): start afresh.
  addEventListener('pageshow', (event) => {
    if (event.persisted) location.reload();
  });

  void keepJoined(adapter, options, () => running && loop === 0);
  return adapter;
}

/**
 * Every way in this tab knows, in the order they are tried: the origin's introducer (the only one
 * that may say "you are first"), another tab of this browser (no server needed), seeds the page
 * names, then seeds learned from the overlay, freshest first.
 */
async function entryPoints(origin: string, configured: readonly string[], cache: SeedCache, canBroadcast: boolean): Promise<EntryPoint[]> {
  const introducer = { WebSocketImpl: WebSocket, timeoutMs: APP_CONFIG.bootstrapTimeoutMs };
  const entries: EntryPoint[] = [introducerEntryPoint('origin', origin, { ...introducer, mayBeFirst: true })];
  if (canBroadcast) entries.push(sameBrowserEntryPoint({ openChannel: openBroadcastChannel, clock: realClock, random: cryptoRandom }));
  const tried = new Set([origin]);
  const add = (kind: string, url: string) => {
    if (tried.has(url)) return;
    tried.add(url);
    entries.push(introducerEntryPoint(`${kind} ${url}`, url, introducer));
  };
  for (const url of configured) add('seed', url);
  for (const { url } of await cache.load().catch(() => [])) add('learned', url);
  return entries;
}

/**
 * Keeps this tab in the network: joins, and while no entry point answers retries with backoff
 * (capped at retryMaxMs; at once on 'online', on the tab becoming visible, and on "Retry now").
 * A joined session that lost every link is replaced by a new one that rejoins at once: a Pastry
 * node joins only once. So is one whose join failed half-way.
 */
async function keepJoined(adapter: MessengerAdapter, options: SessionOptions, running: () => boolean): Promise<void> {
  let delay: number = APP_CONFIG.retryMs;
  const wake = new Wake();
  /** True from losing the links of a joined session until joined again ("Reconnecting…"). */
  let rejoin = false;
  // The new session is followed before the old one stops, so the header goes from "Reconnecting…"
  // to "Reconnecting…" and not through the old one's "Offline". Nothing dials before join().
  const replace = async () => {
    const old = adapter.current;
    const next = await Session.open({ ...options, rejoin });
    await adapter.attach(next);
    old.stop();
  };
  while (running()) {
    const session = adapter.current;
    const outcome = await session.join();
    if (!running()) return;
    if (outcome === 'stopped') {
      if (adapter.current !== session) continue; // replaced while joining (an invite): keep the new one joined
      return;
    }
    if (outcome === 'joined') {
      delay = APP_CONFIG.retryMs;
      rejoin = false;
      await lost(session);
      if (!running()) return;
      if (adapter.current !== session) continue; // replaced on purpose (an invite): follow the new one
      rejoin = true;
      await replace();
      continue;
    }
    if (outcome === 'failed') await replace();
    await wake.after(delay);
    delay = Math.min(delay * 2, APP_CONFIG.retryMaxMs);
  }
}

/** Resolves when the joined session lost every link (see Session 'lost'), or when it ended. */
function lost(session: Session): Promise<void> {
  return new Promise((resolve) => {
    const offLost = session.events.on('lost', () => done());
    const offPhase = session.events.on('phase', (phase) => (phase === 'offline' || phase === 'left') && done());
    // Back from sleep or offline: links that died meanwhile may not have been noticed yet.
    const check = () => session.node.links.size === 0 && !session.first && done();
    const onWake = () => document.visibilityState === 'visible' && check();
    addEventListener('online', check);
    document.addEventListener('visibilitychange', onWake);
    function done() {
      offLost();
      offPhase();
      removeEventListener('online', check);
      document.removeEventListener('visibilitychange', onWake);
      resolve();
    }
  });
}

/** A backoff wait that ends early on 'online', on the tab becoming visible, and on "Retry now". */
class Wake {
  private wakeUp: (() => void) | null = null;

  constructor() {
    const now = () => this.wakeUp?.();
    addEventListener('online', now);
    document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && now());
    document.addEventListener(RETRY_JOIN_EVENT, now);
  }

  after(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wakeUp?.(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
    });
  }
}
