// The dev trusted setup. INSECURE: the powers of tau and the phase-2 beacon
// are public, deterministic values, so anyone can forge proofs for these
// keys. It exists so that development, tests and the demo have real keys
// without a ceremony. Production keys come from a public ceremony ptau and a
// multi-party phase 2: see ceremony.mjs and docs/circuits.md.
//
//   node circuits/scripts/setup.mjs            all circuits
//   node circuits/scripts/setup.mjs kycPolicy20
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as snarkjs from 'snarkjs';
import { BUILD_DIR, CIRCUITS, PTAU_PATH, REPO_ROOT, compile, sha256File } from './circom.mjs';
import { installArtifacts } from './install-artifacts.mjs';

// A public, fixed "random beacon": the phase-2 contribution anyone can redo.
const DEV_BEACON = '7a6b6b79632d6465762d696e7365637572652d7068617365322d6265616f6e';
const DEV_BEACON_ITERATIONS_EXP = 10;
const DEV_SECURITY = 'INSECURE dev setup: deterministic public ptau and beacon. Never use these keys in production.';

const wanted = process.argv.slice(2);
const selected = wanted.length ? CIRCUITS.filter((c) => wanted.includes(c.name)) : CIRCUITS;
if (wanted.length && selected.length !== wanted.length) {
  console.error(`unknown circuit; known: ${CIRCUITS.map((c) => c.name).join(', ')}`);
  process.exit(2);
}
if (!existsSync(PTAU_PATH)) {
  console.error(`missing ${relative(REPO_ROOT, PTAU_PATH)} (see docs/circuits.md)`);
  process.exit(2);
}
const ptau = { file: relative(REPO_ROOT, PTAU_PATH), sha256: sha256File(PTAU_PATH) };

for (const circuit of selected) {
  const started = Date.now();
  console.log(`${circuit.name}: compiling`);
  const built = compile(circuit);
  console.log(`${circuit.name}: ${built.constraints} constraints; phase 2`);
  const zkey0 = join(BUILD_DIR, circuit.name, `${circuit.name}_0.zkey`);
  const zkeyFinal = join(BUILD_DIR, circuit.name, `${circuit.name}_dev.zkey`);
  await snarkjs.zKey.newZKey(built.r1cs, PTAU_PATH, zkey0);
  await snarkjs.zKey.beacon(zkey0, zkeyFinal, 'zkkyc insecure dev beacon', DEV_BEACON, DEV_BEACON_ITERATIONS_EXP);
  await installArtifacts(circuit, built, zkeyFinal, { security: DEV_SECURITY, ptau });
  console.log(`${circuit.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
// The gate's batch verifier must hold the same key as verifier32 (the gate cannot compare them).
if (selected.some((c) => c.name === 'kycPolicy32')) {
  execFileSync(process.execPath, [join(REPO_ROOT, 'circuits', 'scripts', 'batch-verifier.mjs')], { stdio: 'inherit' });
}

await globalThis.curve_bn128?.terminate();
