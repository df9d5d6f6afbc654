import { defineConfig } from 'vitest/config';

// Unit and simulator tests. Playwright e2e lives in tests/e2e and runs separately (scripts/test.sh).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts', 'signaling-bootstrap/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Both cores: on 2 cores vitest's default is one worker, which ran the files one after another
    // (the suite took 25 min, 17 of them in vitest).
    maxWorkers: 2,
  },
});
