// The composition root of the browser product: the only module that knows every layer.
//
//   ?profile=NAME  -> tab lock (Web Locks, take-over) -> IndexedDB storage -> identity (same uid
//   across reloads) -> Session (WebRTC transport, PastryNode, SCAN directory, Messenger, probe)
//   -> MessengerAdapter handed to <dima-app> -> join through ws(s)://host/bootstrap, retried while
//   the introducer is unreachable (the app still opens, with history: the PWA offline case).
//   pagehide: graceful leave (messenger, directory, leaf set are told).

import { loadOrCreateIdentity } from '../im/identity.js';
import { indexedDbStorage } from '../im/idb-storage.js';
import { PeerConnectionBudget } from '../overlay/transports/peer-connection-budget.js';
import type { DimaApp } from '../ui/app.js';
import { APP_CONFIG, bootstrapUrl, iceServers, overlayShape, profileName } from './config.js';
import { MessengerAdapter } from './messenger-adapter.js';
import { indexedDbProfileStore } from './profile-store.js';
import { Session, type SessionOptions } from './session.js';
import { takeOver, tryLock } from './single-tab.js';
import { TabNotice } from './tab-notice.js';
import { installTestHandle } from './test-handle.js';

export async function boot(app: DimaApp): Promise<MessengerAdapter> {
  const profile = profileName(location.search);
  const notice = new TabNotice(app);
  let lock = await tryLock(profile);
  if (!lock) {
    await notice.askToTakeOver(profile);
    lock = await takeOver(profile);
    notice.hide();
  }

  const storage = indexedDbStorage(profile);
  const identity = await loadOrCreateIdentity(storage);
  const profileStore = indexedDbProfileStore(profile);
  const options: SessionOptions = {
    identity,
    storage,
    bootstrapUrl: bootstrapUrl(location),
    iceServers: iceServers(document),
    bootstrapTimeoutMs: APP_CONFIG.bootstrapTimeoutMs,
    overlay: overlayShape(location.search),
    // One per page, whatever number of sessions keepJoining goes through (Chromium's limit is per page).
    peerConnections: new PeerConnectionBudget(),
  };

  let running = true;
  const adapter = await MessengerAdapter.create(await Session.open(options), {
    profile: await profileStore.load(),
    profileStore,
    onLeave: () => (running = false),
    openSession: () => Session.open(options),
  });
  app.port = adapter;
  installTestHandle(adapter, identity);

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

  void keepJoining(adapter, options, () => running);
  return adapter;
}

/**
 * Joins, and while that fails retries with backoff (at once when the browser says it is online
 * again). A session whose join failed half-way is replaced: a Pastry node joins only once.
 */
async function keepJoining(adapter: MessengerAdapter, options: SessionOptions, running: () => boolean): Promise<void> {
  let delay: number = APP_CONFIG.retryMs;
  while (running()) {
    const outcome = await adapter.current.join();
    if (outcome === 'joined' || outcome === 'stopped' || !running()) return;
    if (outcome === 'failed') {
      adapter.current.stop();
      await adapter.attach(await Session.open(options));
    }
    await onlineOrAfter(delay);
    delay = Math.min(delay * 2, APP_CONFIG.retryMaxMs);
  }
}

function onlineOrAfter(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      removeEventListener('online', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    addEventListener('online', done);
  });
}
