import { defineConfig } from 'vitest/config';

// Unit and simulator tests. Playwright e2e lives in tests/e2e and runs separately (scripts/test.sh).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts', 'signaling-bootstrap/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
