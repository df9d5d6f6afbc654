// Entry point of the browser app (index.html loads it). `/?demo` wires the in-memory DemoMessenger
// (made-up buddies, no network) so the UI can be rendered and tested alone; everything else boots
// the real product (boot.ts: this tab becomes a Pastry node). It lives in app, not ui: the entry is
// what composes the layers, and ui must not import upward.

import '../ui/app.js';
import { DemoMessenger } from '../ui/demo/demo-messenger.js';

const app = document.querySelector('dima-app');
if (app && new URLSearchParams(location.search).has('demo')) {
  app.demo = true;
  app.port = new DemoMessenger().start();
} else if (app) {
  // Loaded on demand: the demo never pulls in WebRTC, crypto and storage.
  void import('./boot.js').then(({ boot }) => boot(app)).catch((error: unknown) => {
    console.error('DIMA failed to start', error);
    app.textContent = '';
    app.setAttribute('data-boot-error', String(error));
  });
}
