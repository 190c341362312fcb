import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { jest } from '@jest/globals';

/**
 * `app.inject` under jest: light-my-request loads `cookie@2`, which is ESM only, through `require`,
 * which jest's CommonJS loader refuses ("Must use import to load ES Module"). The one function it
 * takes from it serialises cookies a test passes, which ours never do; a CommonJS stand-in for it is
 * enough. Import this file first in a test that injects.
 */
const requireHere = createRequire(import.meta.url);
const cookieEntry = join(dirname(requireHere.resolve('light-my-request/package.json')), 'node_modules', 'cookie', 'dist', 'index.js');
if (existsSync(cookieEntry)) {
  jest.mock(cookieEntry, () => ({ stringifySetCookie: ({ name, value }: { name: string; value: string }) => `${name}=${encodeURIComponent(value)}` }));
}
