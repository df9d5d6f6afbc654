// The linter `npm test` runs (scripts/test.sh), type-aware through the TypeScript project
// (tsconfig.json). A few rules, each for a bug tsc does not catch: a promise nobody awaits or
// catches (a rejection that kills a Node peer, an ordering nobody meant), a promise where a plain
// value is expected, and code nothing uses. Style is not linted.

import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist*/**', 'test-results/**', 'playwright-report/**', 'public/**', 'docs/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['scripts/make-icons.ts'] }, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/no-unused-expressions': 'error',
      'no-unreachable': 'error',
    },
  },
);
