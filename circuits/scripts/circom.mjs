// Compiling the circuits: the one place that knows which circuits exist,
// where their sources and outputs live, and which compiler builds them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CIRCUITS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(CIRCUITS_DIR, '..');
export const BUILD_DIR = join(CIRCUITS_DIR, 'build');
export const ARTIFACTS_DIR = join(CIRCUITS_DIR, 'artifacts');
export const MANIFEST_PATH = join(ARTIFACTS_DIR, 'manifest.json');
export const PTAU_PATH = join(CIRCUITS_DIR, 'ptau', 'zkkyc-dev-insecure-2e14.ptau');
export const VERIFIERS_DIR = join(REPO_ROOT, 'contracts', 'src', 'verifiers');

/**
 * Every circuit we build: the kycPolicy statement at two issuer-tree depths,
 * and its escrow variant (kycPolicy plus the leaf index encrypted to the
 * policy's escrow key, circuits/src/kycPolicyEscrow.circom) for policies that
 * name one.
 */
export const CIRCUITS = [
  { name: 'kycPolicy32', depth: 32, verifierContract: 'KycPolicyVerifier32' },
  { name: 'kycPolicy20', depth: 20, verifierContract: 'KycPolicyVerifier20' },
  { name: 'kycPolicyEscrow32', depth: 32, verifierContract: 'KycPolicyEscrowVerifier32', escrow: true },
];

export function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The compiler: a native `circom` on PATH when it is the same version the
 * artifacts were built with (faster), otherwise the circom2 npm package
 * (circom compiled to WebAssembly), which `npm ci` always provides. circom2 is
 * run with this Node directly rather than through npx, so npm's own notices
 * never mix into what the compiler writes.
 */
export function compiler() {
  const wanted = '2.2.3';
  const native = spawnSync('circom', ['--version'], { encoding: 'utf8' });
  if (native.status === 0 && native.stdout.includes(wanted)) return { command: 'circom', args: [], version: wanted };
  const cli = createRequire(import.meta.url).resolve('circom2/cli.js');
  return { command: process.execPath, args: [cli], version: wanted };
}

/**
 * The environment the compiler runs in: ours, minus any request for a Node
 * debugger in NODE_OPTIONS (`--inspect`, `--inspect-brk`, `--inspect-port`,
 * `--inspect-wait`, `--debug-port`). circom2 is a Node program and would
 * inherit it: it then prints "Debugger listening on ws://…" and "For help, see:
 * https://nodejs.org/en/docs/inspector" on stderr (and with --inspect-brk waits
 * for a debugger forever). Removing the request at the source means the
 * --inspect check below ignores nothing on stderr.
 */
function compilerEnv() {
  const options = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((o) => o && !/^--(inspect|debug-port)/.test(o));
  return { ...process.env, NODE_OPTIONS: options.join(' ') };
}

const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

/**
 * Warnings that circomlib's own templates raise, each matched exactly and each
 * harmless for a stated reason. Our circuits use circomlib unmodified (its code
 * is not ours to copy or patch), so these are listed rather than worked around;
 * anything else on stderr, from our code or circomlib, still fails the build.
 */
export const KNOWN_LIBRARY_WARNINGS = [
  {
    // EscalarMulFix / EscalarMulAny split the scalar into segments; each segment
    // also outputs its base doubled for the next segment, and the last segment's
    // doubling has no next segment to feed. That output is computed by the
    // segment's own constraints; leaving it unread constrains nothing less.
    pattern:
      /^warning\[CA02\]: In template "EscalarMul(Fix|Any)\([^"]*\)": Array of subcomponent input\/output signals segments\[\d+\]\.dbl contains a total of 2 signals that do not appear in any constraint of the father component\s*\n\s*= For example: segments\[\d+\]\.dbl\[0\], segments\[\d+\]\.dbl\[1\]\.$/,
    why: "circomlib's scalar multiplication leaves its last segment's doubled base unread",
  },
];

/**
 * What `--inspect` (and the compiler in general) found wrong in a build that
 * exited 0: one entry per problem, empty when the build is clean. circom
 * writes its warnings (`warning[CA01]: … signal x does not appear in any
 * constraint`, `warning[T3002]: Consider using <== …`) on stderr and its
 * summary on stdout, so both are read:
 * - every block on stderr is reported (a warning's continuation lines, the
 *   source excerpt, stay with it), except the exact circomlib warnings in
 *   KNOWN_LIBRARY_WARNINGS;
 * - stdout must not mention a warning and must end its run with
 *   "Everything went okay".
 */
export function inspectFindings(stdout, stderr) {
  const findings = [];
  const err = stderr.replace(ANSI_COLOUR, '').trim();
  if (err) {
    const blocks = err.split(/\n\s*\n/).map((block) => block.trim());
    findings.push(...blocks.filter((block) => !KNOWN_LIBRARY_WARNINGS.some((known) => known.pattern.test(block))));
  }
  const out = stdout.replace(ANSI_COLOUR, '');
  findings.push(
    ...out
      .split('\n')
      .filter((line) => /warning/i.test(line))
      .map((line) => `stdout: ${line.trim()}`),
  );
  if (!/Everything went okay/.test(out)) findings.push('stdout: the compiler did not report "Everything went okay"');
  return findings;
}

/**
 * Compiles one circuit to r1cs + wasm + sym under build/<name>/ and returns
 * the paths. `--inspect` reports signals that take part in no constraint;
 * any such warning fails the build, because a free signal is how
 * under-constrained circuits happen. The returned (and kept) log holds both
 * of the compiler's streams.
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
  const run = spawnSync(command, [...args, source, ...flags], {
    cwd: REPO_ROOT,
    env: compilerEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  const log = `${run.stdout}--- stderr ---\n${run.stderr}`;
  // Kept beside the outputs so the --inspect test reads this build's report instead of compiling again.
  writeFileSync(join(out, `${circuit.name}.compile.log`), log);
  if (run.status !== 0) {
    throw new Error(`circom failed on ${circuit.name} (exit ${run.status ?? run.signal}):\n${log.replace(ANSI_COLOUR, '')}`);
  }
  const findings = inspectFindings(run.stdout, run.stderr);
  if (findings.length) {
    throw new Error(`circom --inspect reported problems in ${circuit.name}:\n${findings.join('\n\n')}`);
  }
  const output = run.stdout;
  const constraints = Number(/non-linear constraints: (\d+)/.exec(output)?.[1] ?? NaN) + Number(/(?<!non-)linear constraints: (\d+)/.exec(output)?.[1] ?? 0);
  return {
    r1cs: join(out, `${circuit.name}.r1cs`),
    wasm: join(out, `${circuit.name}_js`, `${circuit.name}.wasm`),
    sym: join(out, `${circuit.name}.sym`),
    constraints,
    log,
  };
}
