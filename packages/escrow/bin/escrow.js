#!/usr/bin/env node
// The `escrow` bin: loads the TypeScript CLI through tsx's ESM loader (the workspace ships sources).
import { register } from 'tsx/esm/api';

register();
const { runEscrowCli } = await import('../src/cli.ts');
process.exitCode = await runEscrowCli(process.argv.slice(2));
