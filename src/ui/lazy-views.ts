// The views that are not on screen when the app opens (a chat, the Network picture, Settings with
// the backup, the invite dialog with its QR code) are chunks of their own: a phone evaluates and
// renders only the shell first (docs/bench/lighthouse.md). A view's chunk is fetched when it is
// first shown, and all of them once the main view is up and the page is idle, so a click later
// finds them here (the service worker precaches every chunk: offline they load from its cache).

export type LazyView = 'chat' | 'overlay' | 'settings' | 'invite';

const LOADERS: Record<LazyView, () => Promise<unknown>> = {
  chat: () => import('./components/chat-view.js'),
  overlay: () => import('./components/overlay-view.js'),
  settings: () => Promise.all([import('./components/settings-panel.js'), import('./components/backup-dialog.js')]),
  invite: () => import('./components/invite-dialog.js'),
};

const loading = new Map<LazyView, Promise<void>>();

/** Loads (once) the custom elements of one view; elements already in the page upgrade when it is here. */
export function loadView(view: LazyView): Promise<void> {
  let promise = loading.get(view);
  if (!promise) {
    promise = LOADERS[view]().then(() => undefined);
    // A failed fetch (offline before the service worker cached it) may be tried again on the next show.
    promise.catch(() => loading.delete(view));
    loading.set(view, promise);
  }
  return promise;
}

/** Every lazy view, one chunk per idle moment: after the first render, never in its way. */
export function preloadViewsWhenIdle(): void {
  const idle = (next: () => void) =>
    typeof requestIdleCallback === 'function' ? requestIdleCallback(next, { timeout: 5_000 }) : setTimeout(next, 1_000);
  const views = Object.keys(LOADERS) as LazyView[];
  const step = () => {
    const view = views.shift();
    if (!view) return;
    loadView(view).then(() => idle(step), () => idle(step));
  };
  idle(step);
}
