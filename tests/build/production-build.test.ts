// A production build (`npm run build`, what `npm start` serves) must not carry the test handle:
// window.__dima reads chats in plaintext and cuts links. Tests and benches opt in with
// VITE_DIMA_TEST_HANDLE=1 (`npm run build:test`).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function buildInto(env: Record<string, string>): string[] {
  const outDir = mkdtempSync(join(tmpdir(), 'dima-build-'));
  try {
    execFileSync('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir'], { stdio: 'ignore', env: { ...process.env, ...env } });
    const files = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    return files.filter((f) => readFileSync(join(outDir, f), 'utf8').includes('__dima'));
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

describe('builds', () => {
  it('a production build carries no test handle; a test build does', () => {
    const { VITE_DIMA_TEST_HANDLE: _, ...rest } = process.env;
    expect(buildInto({ ...(rest as Record<string, string>), VITE_DIMA_TEST_HANDLE: '' })).toEqual([]);
    expect(buildInto({ VITE_DIMA_TEST_HANDLE: '1' }).length).toBeGreaterThan(0);
  }, 240_000);
});
