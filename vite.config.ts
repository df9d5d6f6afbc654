import { defineConfig, type Alias } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { precompress } from './scripts/precompress.js';

/**
 * simple-peer's package entry is CommonJS that expects Node globals (process, Buffer, stream); its
 * standalone browserified bundle carries its own shims, so the browser build uses that. Exported so
 * the e2e smoke test bundles simple-peer exactly as the app does.
 */
export const browserAliases: Alias[] = [
  { find: /^simple-peer$/, replacement: 'simple-peer/simplepeer.min.js' },
];

const THEME_COLOUR = '#121a2b';

export default defineConfig({
  resolve: { alias: browserAliases },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  plugins: [
    VitePWA({
      // Workbox generateSW: the service worker and its precache manifest are generated from the build.
      strategies: 'generateSW',
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      // public/ is already in the glob below; the plugin's own asset lists would precache icons twice.
      includeManifestIcons: false,
      manifest: {
        name: 'DIMA — Distributed Instant Messaging',
        short_name: 'DIMA',
        description: 'Instant messaging between browser tabs over a Pastry overlay; no central server.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: THEME_COLOUR,
        theme_color: THEME_COLOUR,
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The app shell: everything the build emits, so a reload without network still starts the app.
        globPatterns: ['**/*.{js,css,html,png,svg}'],  // the plugin adds manifest.webmanifest itself
        navigateFallback: 'index.html',
        // The bootstrap server's own endpoints (BOOTSTRAP_PATH, src/overlay/bootstrap/protocol.ts) never get the shell.
        navigateFallbackDenylist: [/^\/bootstrap(\/|$)/],
        clientsClaim: true,
        skipWaiting: true,
        cleanupOutdatedCaches: true,
      },
    }),
    // Last: brotli and gzip copies of what the plugins above wrote (the server picks one per request).
    precompress(),
  ],
});
