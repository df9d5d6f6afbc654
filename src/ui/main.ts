// Entry point of the browser app.
//
// PRODUCT WIRING IS NOT HERE YET: the real messenger (src/im) will be created and handed to
// <dima-app> below. Until then the shell runs only with `/?demo`, which wires the in-memory
// DemoMessenger (made-up buddies, no network) so the UI can be rendered and tested; without the
// parameter the shell says the messenger is not wired in.

import './app.js';
import { DemoMessenger } from './demo/demo-messenger.js';

const app = document.querySelector('dima-app');
if (app && new URLSearchParams(location.search).has('demo')) {
  app.demo = true;
  app.port = new DemoMessenger().start();
}
