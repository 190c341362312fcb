import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { jest } from '@jest/globals';

/**
 * Lets `app.inject` run under jest on Node 20.
 *
 * fastify's `inject` lazily requires light-my-request, which requires `cookie@2` — an ESM-only
 * package. Node ≥ 20.19 can `require()` ESM, but jest's own CommonJS loader cannot, so the first
 * inject fails with "Must use import to load ES Module". light-my-request only calls
 * `stringifySetCookie` when a test passes `cookies` (these tests never do), so we register a small
 * CommonJS stand-in for that one function. Import this module before any `inject` call.
 */
const require = createRequire(import.meta.url);
const lmrDir = dirname(require.resolve('light-my-request/package.json'));
const nestedCookie = join(lmrDir, 'node_modules', 'cookie', 'dist', 'index.js');
if (existsSync(nestedCookie)) {
  jest.mock(nestedCookie, () => ({
    stringifySetCookie: ({ name, value }: { name: string; value: string }) => `${name}=${encodeURIComponent(value)}`,
  }));
}
