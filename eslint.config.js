// Lint for the whole monorepo: @eslint/js and typescript-eslint recommended, without type-aware
// rules, so that a cold run costs about 16 s of CPU for the whole tree.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Code that runs in a browser page or worker: the wallet and the two consoles. */
const browserCode = ['wallet-demo/src/**', 'issuer-service/console/src/**', 'compliance-monitor/console/src/**', 'test/integrator/fixture/browser-entry.js'];

export default tseslint.config(
  {
    // Built or generated output, never edited by hand.
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      'docs/api/**',
      'contracts/artifacts/**',
      'contracts/cache/**',
      'contracts/typechain-types/**',
      '**/build/**',
      'contracts/abi/**',
      'packages/artifacts/insecure-dev/**',
      '**/test/artifacts/**',
      'wallet-demo/.serve/**',
      '.data/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Inputs are refused when they hold control characters (config values, case and request
      // references, CSV cells) and tool output is stripped of ANSI colours: the regular expressions
      // that name those characters are the point, not a typo.
      'no-control-regex': 'off',
      // A leading underscore marks a parameter or binding kept for its position or shape
      // (callbacks, destructuring that drops a field); anything else unused is a finding.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: browserCode,
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
  {
    files: ['**/*.test.ts', '**/test/**', 'test/**'],
    languageOptions: { globals: { ...globals.jest } },
    // Tests read JSON answers and send deliberately malformed bodies; typing each probe would
    // add nothing the assertions do not already check. Source code still may not use `any`.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // CommonJS: Hardhat's configuration files.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
