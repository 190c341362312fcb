#!/usr/bin/env node
// The `escrow` bin. An installed package runs the built CLI (dist/cli.js), no TypeScript loader. A
// checkout of the repository (it has tsconfig.build.json, which is not packed) runs the source
// through tsx, so a stale dist/ is never what its tests exercise.
import { existsSync } from 'node:fs';

const checkout = existsSync(new URL('../tsconfig.build.json', import.meta.url));
let runEscrowCli;
if (checkout) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runEscrowCli } = await import('../src/cli.ts'));
} else {
  ({ runEscrowCli } = await import('../dist/cli.js'));
}
process.exitCode = await runEscrowCli(process.argv.slice(2));
