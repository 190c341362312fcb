// Copies the committed circuit artifacts (circuits/artifacts) and the verifiers generated from them
// (contracts/src/verifiers) into insecure-dev/ for `npm pack`, with a manifest whose paths are
// relative to that directory. The repository keeps one copy of the big files; only the tarball
// carries a second. Each file's hash is checked on the way, so a stale copy cannot be packed. Also
// stages kycPolicy32's batch verifier (generated from the same key, not in the circuits' manifest),
// and the licences: Apache-2.0 for zkkyc's own files, GPL-3.0 for the snarkJS-generated verifiers
// and the circuit wasm (circomlib's templates).
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
// The batch verifier imports its interface relatively; staged alone it imports it from @zkkyc/contracts.
const batchSource = readFileSync(join(repoRoot, 'contracts/src/verifiers/KycPolicyBatchVerifier32.sol'), 'utf8').replace(
  '"../interfaces/IKycBatchVerifier.sol"',
  '"@zkkyc/contracts/src/interfaces/IKycBatchVerifier.sol"',
);
if (!batchSource.includes('@zkkyc/contracts/src/interfaces/IKycBatchVerifier.sol'))
  throw new Error('KycPolicyBatchVerifier32.sol no longer imports ../interfaces/IKycBatchVerifier.sol: update stage.mjs');
writeFileSync(join(out, 'kycPolicy32', 'KycPolicyBatchVerifier32.sol'), batchSource);
staged.circuits.kycPolicy32.batchVerifier = {
  file: 'kycPolicy32/KycPolicyBatchVerifier32.sol',
  sha256: createHash('sha256').update(batchSource).digest('hex'),
  contract: 'KycPolicyBatchVerifier32',
};
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(staged, null, 2)}\n`);
console.error(`staged ${Object.keys(staged.circuits).join(', ')} into ${out}`);
copyFileSync(join(repoRoot, 'LICENSE'), join(packageDir, 'LICENSE'));
copyFileSync(join(repoRoot, 'node_modules', 'snarkjs', 'COPYING'), join(packageDir, 'LICENSE-GPL-3.0'));
