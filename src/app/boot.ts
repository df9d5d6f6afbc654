// The composition root of the browser product: the only module that knows every layer.
//
//   ?profile=NAME  -> tab lock (Web Locks, take-over) -> IndexedDB storage -> identity (same uid
//   across reloads) -> Session (WebRTC transport, PastryNode, SCAN directory, Messenger, probe)
//   -> MessengerAdapter handed to <dima-app> -> join through the first entry point that answers
//   (entry-points.ts: the origin's introducer, another tab of this browser, configured seeds, seeds
//   learned from the overlay), retried while none does (the app still opens, with history: the PWA
//   offline case) and again whenever the joined tab lost every link (keepJoined, session-start.ts).
//   pagehide: graceful leave (messenger, directory, leaf set are told).
//
// A phone's main thread must never block long (docs/bench/lighthouse.md): this chunk holds only the
// lock, storage and identity; the network stack (WebRTC, Pastry, SCAN, the messenger) is a chunk of
// its own, fetched while the identity is derived and evaluated in a task of its own, and each step
// below ends its task (yieldToMain).

import { loadOrCreateIdentity } from '../im/identity.js';
import { indexedDbStorage } from '../im/idb-storage.js';
import { useSmallBaseTable } from '../overlay/identity.js';
import type { DimaApp } from '../ui/app.js';
import { tabIceLoader } from './ice-config.js';
import { bootstrapUrl, configuredSeeds, iceServers, profileName } from './config.js';
import type { MessengerAdapter } from './messenger-adapter.js';
import { indexedDbProfileStore } from './profile-store.js';
import { indexedDbSeedCache } from './seed-cache.js';
import { takeOver, tryLock } from './single-tab.js';
import { TabNotice } from './tab-notice.js';
import { yieldToMain } from './yield-to-main.js';

export async function boot(app: DimaApp): Promise<MessengerAdapter> {
  const profile = profileName(location.search);
  const notice = new TabNotice(app);
  let lock = await tryLock(profile);
  if (!lock) {
    await notice.askToTakeOver(profile);
    lock = await takeOver(profile);
    notice.hide();
  }
  // simple-peer's bundle is the biggest module of the network stack: evaluated in a task before it.
  const network = import('simple-peer').then(() => import('./session-start.js'));
  await yieldToMain();

  const storage = indexedDbStorage(profile);
  useSmallBaseTable();
  const identity = await loadOrCreateIdentity(storage);
  await yieldToMain();

  const seeds = configuredSeeds(document.querySelector<HTMLMetaElement>('meta[name="dima-seeds"]')?.content, location.search);
  // STUN/TURN from the server that served us (GET /ice, short-lived TURN credentials), else the last
  // good answer kept in this browser, else the page's meta tag. At most 5 s; never throws.
  const ice = tabIceLoader(location.href, iceServers(document));
  const [{ startSession }] = await Promise.all([network, ice.load()]);
  await yieldToMain();
  return startSession(app, {
    profile,
    lock,
    notice,
    identity,
    storage,
    profileStore: indexedDbProfileStore(profile),
    origin: bootstrapUrl(location),
    seedCache: indexedDbSeedCache(),
    seeds,
    ice,
  });
}
