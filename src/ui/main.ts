// Entry point of the browser app. `/?demo` wires the in-memory DemoMessenger (made-up buddies, no
// network) so the UI can be rendered and tested alone; everything else boots the real product
// (src/app/boot.ts: this tab becomes a Pastry node).

import './app.js';
import { DemoMessenger } from './demo/demo-messenger.js';

const app = document.querySelector('dima-app');
if (app && new URLSearchParams(location.search).has('demo')) {
  app.demo = true;
  app.port = new DemoMessenger().start();
} else if (app) {
  // Loaded on demand: the demo never pulls in WebRTC, crypto and storage.
  void import('../app/boot.js').then(({ boot }) => boot(app)).catch((error: unknown) => {
    console.error('DIMA failed to start', error);
    app.textContent = '';
    app.setAttribute('data-boot-error', String(error));
  });
}
