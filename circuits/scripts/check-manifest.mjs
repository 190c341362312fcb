// CI's guard on the committed circuit artifacts: recompiles every circuit and
// fails when its r1cs (or wasm) no longer matches the manifest, and when any
// committed artifact differs from the hash the setup recorded (a hand-edited
// verifier, a zkey from another setup). Exits 1 with the reason.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIRCUITS, MANIFEST_PATH, REPO_ROOT, compile, sha256File } from './circom.mjs';

const problems = [];
if (!existsSync(MANIFEST_PATH)) {
  console.error('circuits/artifacts/manifest.json is missing: run `npm run setup -w @zkkyc/circuits`');
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8'));
for (const circuit of CIRCUITS) {
  const entry = manifest.circuits?.[circuit.name];
  if (!entry) {
    problems.push(`${circuit.name}: not in the manifest: run the setup`);
    continue;
  }
  const built = compile(circuit);
  if (sha256File(built.r1cs) !== entry.r1cs) {
    problems.push(`${circuit.name}: circuit changed (r1cs differs from the manifest): run the setup (npm run setup -w @zkkyc/circuits)`);
  }
  if (sha256File(built.wasm) !== entry.wasm.sha256) {
    problems.push(`${circuit.name}: compiled wasm differs from the committed one: run the setup`);
  }
  for (const key of ['wasm', 'zkey', 'verificationKey', 'verifier']) {
    const file = join(REPO_ROOT, entry[key].file);
    if (!existsSync(file)) problems.push(`${circuit.name}: ${entry[key].file} is missing`);
    else if (sha256File(file) !== entry[key].sha256) problems.push(`${circuit.name}: ${entry[key].file} does not match the manifest`);
  }
  if (problems.length === 0) console.log(`${circuit.name}: ${entry.constraints} constraints, artifacts match the manifest`);
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
