import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { build } from 'vite';
import { browserAliases } from '../../vite.config.js';

// The browser build resolves `simple-peer` to its standalone bundle (vite.config.ts). This bundles a
// tiny page script with that same alias and checks two peers connect over a real data channel.

test('simple-peer bundles with the app alias and connects two peers in Chromium', async ({ page }, testInfo) => {
  const outDir = testInfo.outputPath('bundle');
  await build({
    configFile: false,
    logLevel: 'warn',
    resolve: { alias: browserAliases },
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      lib: { entry: 'tests/e2e/fixtures/simple-peer-pair.ts', formats: ['iife'], name: 'SimplePeerSmoke', fileName: () => 'smoke.js' },
    },
  });
  const script = readFileSync(`${outDir}/smoke.js`, 'utf8');
  expect(script).not.toMatch(/require\(["']simple-peer["']\)/);

  await page.goto('/');
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.addScriptTag({ content: script });
  const echoed = await page.evaluate(() => (globalThis as unknown as { simplePeerSmoke: () => Promise<string> }).simplePeerSmoke());
  expect(echoed).toBe('hello through a data channel');
  expect(errors).toEqual([]);
});
