// The compiled circuit the tests examine: circuits/build/<name>/ when it is
// up to date with the sources, otherwise compiled first (a fresh clone has no
// build/). Tests read the r1cs and sym files, which the committed artifacts
// do not include.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, CIRCUITS, CIRCUITS_DIR, compile, type CircuitSpec } from '../scripts/circom.mjs';

export type CircuitName = CircuitSpec['name'];

export interface BuiltCircuit {
  spec: CircuitSpec;
  r1csPath: string;
  symPath: string;
  wasmPath: string;
  /** What the compiler printed when it built these files (with --inspect). */
  compileLog: string;
}

function outputs(name: CircuitName) {
  const dir = join(BUILD_DIR, name);
  return {
    dir,
    r1csPath: join(dir, `${name}.r1cs`),
    symPath: join(dir, `${name}.sym`),
    wasmPath: join(dir, `${name}_js`, `${name}.wasm`),
    // What the compiler wrote on stdout and stderr (compile() keeps it here), so
    // the "--inspect is clean" tests read it without compiling again.
    logPath: join(dir, `${name}.compile.log`),
  };
}

function newestSourceTime(name: CircuitName): number {
  const files = [join(CIRCUITS_DIR, 'main', `${name}.circom`), join(CIRCUITS_DIR, 'scripts', 'circom.mjs')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.circom')) files.push(path);
    }
  };
  walk(join(CIRCUITS_DIR, 'src'));
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function isFresh(name: CircuitName): boolean {
  const out = outputs(name);
  const paths = [out.r1csPath, out.symPath, out.wasmPath, out.logPath];
  if (!paths.every((p) => existsSync(p))) return false;
  const oldest = Math.min(...paths.map((p) => statSync(p).mtimeMs));
  return oldest >= newestSourceTime(name);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Jest runs test files in parallel workers; only one may compile, and none
 * may read a file another is rewriting. A directory is the lock (mkdir is
 * atomic); one left by a killed run is taken over after five minutes.
 */
async function withBuildLock<T>(work: () => T): Promise<T> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const lock = join(BUILD_DIR, '.test-compile.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The build of `name`, compiling it first when it is missing or older than the circuit sources. */
export async function builtCircuit(name: CircuitName): Promise<BuiltCircuit> {
  const spec = CIRCUITS.find((c) => c.name === name);
  if (!spec) throw new Error(`unknown circuit ${name}`);
  const out = outputs(name);
  await withBuildLock(() => {
    if (isFresh(name)) return;
    const compiled = compile(spec);
    writeFileSync(out.logPath, compiled.log);
  });
  return { spec, r1csPath: out.r1csPath, symPath: out.symPath, wasmPath: out.wasmPath, compileLog: readFileSync(out.logPath, 'utf8') };
}
