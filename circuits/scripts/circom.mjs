// Compiling the circuits: the one place that knows which circuits exist,
// where their sources and outputs live, and which compiler builds them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CIRCUITS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(CIRCUITS_DIR, '..');
export const BUILD_DIR = join(CIRCUITS_DIR, 'build');
export const ARTIFACTS_DIR = join(CIRCUITS_DIR, 'artifacts');
export const MANIFEST_PATH = join(ARTIFACTS_DIR, 'manifest.json');
export const PTAU_PATH = join(CIRCUITS_DIR, 'ptau', 'zkkyc-dev-insecure-2e14.ptau');
export const VERIFIERS_DIR = join(REPO_ROOT, 'contracts', 'src', 'verifiers');

/** Every circuit we build: the kycPolicy statement at two issuer-tree depths. */
export const CIRCUITS = [
  { name: 'kycPolicy32', depth: 32, verifierContract: 'KycPolicyVerifier32' },
  { name: 'kycPolicy20', depth: 20, verifierContract: 'KycPolicyVerifier20' },
];

export function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The compiler: a native `circom` on PATH when it is the same version the
 * artifacts were built with (faster), otherwise the circom2 npm package
 * (circom compiled to WebAssembly), which `npm ci` always provides.
 */
export function compiler() {
  const wanted = '2.2.3';
  const native = spawnSync('circom', ['--version'], { encoding: 'utf8' });
  if (native.status === 0 && native.stdout.includes(wanted)) return { command: 'circom', args: [], version: wanted };
  return { command: 'npx', args: ['--no-install', 'circom2'], version: wanted };
}

/**
 * Compiles one circuit to r1cs + wasm + sym under build/<name>/ and returns
 * the paths. `--inspect` reports signals that take part in no constraint;
 * any such warning fails the build, because a free signal is how
 * under-constrained circuits happen.
 */
export function compile(circuit, { wasm = true } = {}) {
  const out = join(BUILD_DIR, circuit.name);
  mkdirSync(out, { recursive: true });
  const { command, args } = compiler();
  // circom2 cannot read files above its working directory, so run from the root
  // with paths relative to it.
  const source = relative(REPO_ROOT, join(CIRCUITS_DIR, 'main', `${circuit.name}.circom`));
  const flags = ['--r1cs', '--sym', '--O2', '--inspect', '-l', 'node_modules', '-o', relative(REPO_ROOT, out)];
  if (wasm) flags.push('--wasm');
  const output = execFileSync(command, [...args, source, ...flags], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // Kept beside the outputs so the --inspect test reads this build's report instead of compiling again.
  writeFileSync(join(out, `${circuit.name}.compile.log`), output);
  if (/warning/i.test(output)) {
    throw new Error(`circom --inspect reported warnings for ${circuit.name}:\n${output}`);
  }
  const constraints = Number(/non-linear constraints: (\d+)/.exec(output)?.[1] ?? NaN) + Number(/(?<!non-)linear constraints: (\d+)/.exec(output)?.[1] ?? 0);
  return {
    r1cs: join(out, `${circuit.name}.r1cs`),
    wasm: join(out, `${circuit.name}_js`, `${circuit.name}.wasm`),
    sym: join(out, `${circuit.name}.sym`),
    constraints,
    log: output,
  };
}
