// Installs a circuit's final zkey as the toolkit's artifacts: the zkey and
// wasm under circuits/artifacts/<name>/, the verification key, the generated
// Solidity verifier under contracts/src/verifiers/, and the manifest entry
// with every hash. Shared by the dev setup and the ceremony's finalize step.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as snarkjs from 'snarkjs';
import { ARTIFACTS_DIR, MANIFEST_PATH, REPO_ROOT, VERIFIERS_DIR, compiler, sha256File } from './circom.mjs';

export function readManifest() {
  return existsSync(MANIFEST_PATH) ? JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) : { circuits: {} };
}

/** The verification key JSON file for `zkey`, as committed. */
export async function verificationKeyText(zkey) {
  return JSON.stringify(await snarkjs.zKey.exportVerificationKey(zkey), null, 1) + '\n';
}

/**
 * The Solidity verifier for `zkey`, as committed: snarkjs's Groth16 template, the contract
 * renamed, under a header naming the zkey (`zkeyFile`, repo-relative) and its setup.
 */
export async function solidityVerifierText(zkey, contract, { zkeyFile, security }) {
  const template = readFileSync(join(REPO_ROOT, 'node_modules', 'snarkjs', 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
  const solidity = (await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template })).replace(/contract Groth16Verifier\b/, `contract ${contract}`);
  return `// GENERATED from ${zkeyFile} by circuits/scripts (${security.split(':')[0]}). Do not edit.\n` + solidity;
}

/**
 * @param circuit an entry of CIRCUITS
 * @param built what compile() returned for it
 * @param finalZkey path of the final zkey to install
 * @param setup { security: string, ptau: { file, sha256 } } describing where the keys came from
 */
export async function installArtifacts(circuit, built, finalZkey, setup) {
  const dir = join(ARTIFACTS_DIR, circuit.name);
  mkdirSync(dir, { recursive: true });
  mkdirSync(VERIFIERS_DIR, { recursive: true });
  const zkey = join(dir, `${circuit.name}.zkey`);
  const wasm = join(dir, `${circuit.name}.wasm`);
  const vkeyPath = join(dir, 'verification_key.json');
  const verifierPath = join(VERIFIERS_DIR, `${circuit.verifierContract}.sol`);

  if (finalZkey !== zkey) copyFileSync(finalZkey, zkey);
  copyFileSync(built.wasm, wasm);
  const vkeyText = await verificationKeyText(zkey);
  writeFileSync(vkeyPath, vkeyText);
  const vkey = JSON.parse(vkeyText);
  writeFileSync(verifierPath, await solidityVerifierText(zkey, circuit.verifierContract, { zkeyFile: relative(REPO_ROOT, zkey), security: setup.security }));

  const manifest = readManifest();
  manifest.compiler = `circom ${compiler().version}`;
  manifest.circuits[circuit.name] = {
    depth: circuit.depth,
    constraints: built.constraints,
    publicSignals: vkey.nPublic,
    security: setup.security,
    ptau: setup.ptau,
    r1cs: sha256File(built.r1cs),
    wasm: { file: relative(REPO_ROOT, wasm), sha256: sha256File(wasm) },
    zkey: { file: relative(REPO_ROOT, zkey), sha256: sha256File(zkey) },
    verificationKey: { file: relative(REPO_ROOT, vkeyPath), sha256: sha256File(vkeyPath) },
    verifier: { file: relative(REPO_ROOT, verifierPath), contract: circuit.verifierContract, sha256: sha256File(verifierPath) },
  };
  writeFileSync(MANIFEST_PATH, JSON.stringify(manifest, null, 2) + '\n');
}
