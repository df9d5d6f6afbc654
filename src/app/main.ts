// Entry point of the browser app (index.html loads it). `/?demo` wires the in-memory DemoMessenger
// (made-up buddies, no network) so the UI can be rendered and tested alone; everything else boots
// the real product (boot.ts: this tab becomes a Pastry node). It lives in app, not ui: the entry is
// what composes the layers, and ui must not import upward.
//
// A first visit shows onboarding at once, from this small chunk: the boot chunk (WebRTC, crypto,
// the overlay) is loaded when the user starts on the profile form, or when the tab was left
// untouched for a few seconds (it is a node of the network even before anyone onboards), never
// before the first paint. Restoring from a backup needs no boot at all until it reloads.

import '../ui/app.js';
import type { DimaApp } from '../ui/app.js';
import type { BackupPort } from '../ui/backup-port.js';
import { START_EVENT } from '../ui/backup-port.js';
import { profileName } from './profile-name.js';
import { indexedDbProfileStore } from './profile-store.js';
import { afterNextPaint } from './yield-to-main.js';

/** An untouched first visit starts its node after this long (a test tab, a user reading the welcome). */
const IDLE_BOOT_MS = 3_000;

const app = document.querySelector('dima-app');
if (app && new URLSearchParams(location.search).has('demo')) {
  app.demo = true;
  void import('../ui/demo/demo-messenger.js').then(({ DemoMessenger }) => (app.port = new DemoMessenger().start()));
} else if (app) {
  void start(app);
}

async function start(app: DimaApp): Promise<void> {
  const profile = profileName(location.search);
  app.backup = lazyBackup(profile);
  let booting = false;
  const bootNow = () => {
    if (booting) return;
    booting = true;
    // Loaded on demand: the demo and onboarding never wait for WebRTC, crypto and storage.
    void import('./boot.js').then(({ boot }) => boot(app)).catch((error: unknown) => {
      console.error('DIMA failed to start', error);
      app.textContent = '';
      app.setAttribute('data-boot-error', String(error));
    });
  };
  const onboarded = await indexedDbProfileStore(profile).load().catch(() => undefined);
  // The shell ("Starting DIMA…") is painted before the boot chunk is evaluated.
  if (onboarded) return afterNextPaint().then(bootNow);
  app.onboarding = true;
  app.addEventListener(START_EVENT, bootNow, { once: true });
  app.addEventListener('dima-profile', bootNow, { once: true });
  setTimeout(bootNow, IDLE_BOOT_MS);
}

/** The backup code (scrypt, schemas) is fetched the first time it is used. */
function lazyBackup(profile: string): BackupPort {
  const load = () => import('./backup/browser-backup.js').then(({ browserBackup }) => browserBackup(profile));
  return {
    exportBackup: async (passphrase, onProgress) => (await load()).exportBackup(passphrase, onProgress),
    restoreBackup: async (file, passphrase, onProgress) => (await load()).restoreBackup(file, passphrase, onProgress),
  };
}
