// `npm test`'s checks before jest, in two lanes that run side by side (each is mostly one core):
//   contracts: compile the Solidity (and its typechain types), then typecheck the repository, which
//              imports those types;
//   circuits:  recompile each circuit and check the committed artifacts and keys against it
//              (check-manifest.mjs), then that the batch verifier matches the key (batch-verifier.mjs).
// Every step runs even when another fails, so one report shows every problem; exit 1 if any failed.
//
//   node scripts/check-static.mjs
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

const lanes = {
  contracts: [
    [...npm, 'run', 'build:contracts', '--silent'],
    [...npm, 'run', 'typecheck', '--silent'],
  ],
  circuits: [
    [process.execPath, 'circuits/scripts/check-manifest.mjs'],
    [process.execPath, 'circuits/scripts/batch-verifier.mjs', '--check'],
  ],
};

function step([command, ...args]) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: 'inherit' });
    child.on('error', (err) => {
      console.error(`${[command, ...args].join(' ')}: ${err.message}`);
      resolve(false);
    });
    child.on('exit', (code) => resolve(code === 0));
  });
}

async function lane(name, steps) {
  const started = Date.now();
  let ok = true;
  for (const s of steps) ok = (await step(s)) && ok;
  console.log(`check:static ${name}: ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return ok;
}

const results = await Promise.all(Object.entries(lanes).map(([name, steps]) => lane(name, steps)));
process.exit(results.every(Boolean) ? 0 : 1);
