// CI's guard on the committed circuit artifacts. For every circuit it
// recompiles the source (failing on any --inspect warning) and checks:
// - the r1cs is the one the manifest records ("circuit changed: run the setup");
// - the committed wasm is byte for byte the one just compiled;
// - every committed file still has the hash the setup recorded;
// - the keys belong to the compiled circuit, not merely to the manifest
//   (key-binding.mjs): the zkey's header, A/B coefficients, alpha, beta, gamma,
//   IC and prover points against the fresh r1cs and the ptau; the verification
//   key JSON and the Solidity verifier against what snarkjs derives from that
//   zkey.
// Exits 1 with every reason found.
//
//   node circuits/scripts/check-manifest.mjs [--full] [circuit…]
//
// --full also runs snarkjs's zKey.verifyFromR1cs, which rebuilds the key from
// the r1cs and the ptau and checks the contributions' transcript as well
// (about 45 s of CPU per circuit, so not in every CI run): after a setup, before
// a release.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { CIRCUITS, MANIFEST_PATH, REPO_ROOT, compile, sha256File } from './circom.mjs';
import { derivedArtifactProblems, keyBindingProblems } from './key-binding.mjs';

const args = process.argv.slice(2);
const full = args.includes('--full');
const wanted = args.filter((a) => !a.startsWith('--'));
const selected = wanted.length ? CIRCUITS.filter((c) => wanted.includes(c.name)) : CIRCUITS;
if (selected.length !== wanted.length && wanted.length) {
  console.error(`unknown circuit; known: ${CIRCUITS.map((c) => c.name).join(', ')}`);
  process.exit(2);
}
if (!existsSync(MANIFEST_PATH)) {
  console.error('circuits/artifacts/manifest.json is missing: run `npm run setup -w @zkkyc/circuits`');
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8'));
const problems = [];

for (const circuit of selected) {
  const started = Date.now();
  const found = [];
  const entry = manifest.circuits?.[circuit.name];
  if (!entry) {
    problems.push(`${circuit.name}: not in the manifest: run the setup`);
    continue;
  }
  let built;
  try {
    built = compile(circuit);
  } catch (error) {
    problems.push(`${circuit.name}: ${error.message}`);
    continue;
  }
  if (sha256File(built.r1cs) !== entry.r1cs) {
    found.push(`circuit changed (r1cs differs from the manifest): run the setup (npm run setup -w @zkkyc/circuits)`);
  }
  const file = (key) => join(REPO_ROOT, entry[key].file);
  const missing = [];
  for (const key of ['wasm', 'zkey', 'verificationKey', 'verifier']) {
    if (!existsSync(file(key))) missing.push(key);
    else if (sha256File(file(key)) !== entry[key].sha256) found.push(`${entry[key].file} does not match the manifest`);
  }
  found.push(...missing.map((key) => `${entry[key].file} is missing`));
  if (!missing.includes('wasm') && !readFileSync(built.wasm).equals(readFileSync(file('wasm')))) {
    found.push(`${entry.wasm.file} differs from the wasm compiled from the circuit: run the setup`);
  }

  const ptau = join(REPO_ROOT, entry.ptau?.file ?? '');
  if (!entry.ptau?.file || !existsSync(ptau)) {
    found.push(`the ptau its keys were made from (${entry.ptau?.file ?? 'not recorded'}) is not in the repository: commit it, CI checks the keys against it`);
  } else if (sha256File(ptau) !== entry.ptau.sha256) {
    found.push(`${entry.ptau.file} does not match the manifest`);
  } else if (!missing.includes('zkey')) {
    found.push(...(await keyBindingProblems({ r1cs: built.r1cs, ptau, zkey: file('zkey') })));
    if (full && !(await snarkjs.zKey.verifyFromR1cs(built.r1cs, ptau, file('zkey')))) {
      found.push(`${entry.zkey.file} fails snarkjs zKey.verifyFromR1cs against the compiled r1cs and ${entry.ptau.file}`);
    }
  }
  if (!missing.includes('zkey') && !missing.includes('verificationKey') && !missing.includes('verifier')) {
    found.push(
      ...(await derivedArtifactProblems({
        zkey: file('zkey'),
        verificationKey: file('verificationKey'),
        verifier: file('verifier'),
        verifierContract: entry.verifier.contract,
        zkeyFile: entry.zkey.file,
        security: entry.security,
      })),
    );
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (found.length === 0) {
    console.log(`${circuit.name}: ${entry.constraints} constraints; keys bound to the compiled circuit${full ? ' (full verification)' : ''}; artifacts match the manifest (${seconds} s)`);
  }
  problems.push(...found.map((p) => `${circuit.name}: ${p}`));
}

await globalThis.curve_bn128?.terminate();
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
