// Copies the committed circuit artifacts (circuits/artifacts) and the verifiers generated from them
// (contracts/src/verifiers) into insecure-dev/ for `npm pack`, with a manifest whose paths are
// relative to that directory. The repository keeps one copy of the big files; only the tarball
// carries a second. Each file's hash is checked on the way, so a stale copy cannot be packed.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(packageDir, '..', '..');
const out = join(packageDir, 'insecure-dev');
const source = JSON.parse(readFileSync(join(repoRoot, 'circuits', 'artifacts', 'manifest.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
const staged = { security: source.security, setup: 'insecure-dev', compiler: source.compiler, ptau: source.ptau, circuits: {} };
for (const [name, entry] of Object.entries(source.circuits)) {
  const copy = { ...entry };
  for (const key of ['wasm', 'zkey', 'verificationKey', 'verifier']) {
    const from = join(repoRoot, entry[key].file);
    const sha256 = createHash('sha256').update(readFileSync(from)).digest('hex');
    if (sha256 !== entry[key].sha256) throw new Error(`${entry[key].file} does not match circuits/artifacts/manifest.json: run the circuit check`);
    const file = `${name}/${basename(from)}`;
    mkdirSync(join(out, name), { recursive: true });
    copyFileSync(from, join(out, file));
    copy[key] = { ...entry[key], file };
  }
  staged.circuits[name] = copy;
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(staged, null, 2)}\n`);
console.error(`staged ${Object.keys(staged.circuits).join(', ')} into ${out}`);
