import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/e2e/chromium.js';

// End-to-end tests against the BUILT app (scripts/test.sh runs `vite build` first), in Debian's
// Chromium: Playwright's own browser download is not available here.
//
// Which server serves dist/: the signalling/bootstrap server (app + bootstrap on one port, as
// `npm start`), or plain `vite preview` while that server does not exist yet. DIMA_E2E_SERVER
// forces one ('bootstrap' | 'preview').

const PORT = Number(process.env.E2E_PORT ?? 4317);
const HOST = '127.0.0.1';
const BASE_URL = `http://${HOST}:${PORT}`;

const serverKind = process.env.DIMA_E2E_SERVER ?? (existsSync('signaling-bootstrap/server.ts') ? 'bootstrap' : 'preview');
const serverCommand =
  serverKind === 'bootstrap'
    ? 'npx tsx signaling-bootstrap/server.ts'
    : `npx vite preview --host ${HOST} --port ${PORT} --strictPort`;

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/e2e',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
  webServer: {
    command: serverCommand,
    url: `${BASE_URL}/`,
    // DIST: another build directory, so a run is not disturbed by a concurrent `vite build` into dist/.
    env: { PORT: String(PORT), HOST, DIST: process.env.DIST ?? 'dist' },
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
