/**
 * Repository-only helpers: read the circuits' committed artifacts from circuits/artifacts of this
 * repository. Exported as `@zkkyc/prover/node` only under the `zkkyc-source` condition (the
 * monorepo's), never from the published package: there `../../../circuits/artifacts` would resolve
 * to `node_modules/circuits/…`, a path any other installed package can fill, read with no hash check.
 * Installed projects load keys through @zkkyc/artifacts (sha256-checked, refusing the dev keys
 * outside development) or pass their own to `KycProver.load`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { KycArtifacts } from './kyc-prover.js';
import { KycProver } from './kyc-prover.js';
import { KycEscrowProver } from './escrow-prover.js';

/** The circuits built and committed under circuits/artifacts (see its manifest.json). */
export type CircuitName = 'kycPolicy32' | 'kycPolicy20';

const DEPTHS: Record<CircuitName, number> = { kycPolicy32: 32, kycPolicy20: 20 };

/** Directory of the committed artifacts of a circuit. */
export function artifactsDir(name: CircuitName = 'kycPolicy32'): string {
  return fileURLToPath(new URL(`../../../circuits/artifacts/${name}/`, import.meta.url));
}

/** Reads a circuit's committed wasm, zkey and verification key from disk (Node only). */
export async function loadArtifacts(name: CircuitName = 'kycPolicy32'): Promise<KycArtifacts> {
  const dir = artifactsDir(name);
  const [wasm, zkey, vkey] = await Promise.all([readFile(`${dir}${name}.wasm`), readFile(`${dir}${name}.zkey`), readFile(`${dir}verification_key.json`, 'utf8')]);
  return { depth: DEPTHS[name], wasm: new Uint8Array(wasm), zkey: new Uint8Array(zkey), verificationKey: JSON.parse(vkey) };
}

/** Reads a circuit's committed verification key alone: what an off-chain verifier needs (Node only). */
export async function loadVerificationKey(name: CircuitName = 'kycPolicy32'): Promise<object> {
  return JSON.parse(await readFile(`${artifactsDir(name)}verification_key.json`, 'utf8')) as object;
}

const loaded = new Map<CircuitName, Promise<KycProver>>();

/** One prover per circuit per process: the artifacts are read and compiled once. */
export function nodeProver(name: CircuitName = 'kycPolicy32'): Promise<KycProver> {
  let prover = loaded.get(name);
  if (!prover) {
    prover = loadArtifacts(name).then((a) => KycProver.load(a));
    loaded.set(name, prover);
  }
  return prover;
}

/** The escrow variant's committed artifacts (circuits/artifacts/kycPolicyEscrow32). */
export type EscrowCircuitName = 'kycPolicyEscrow32';

const escrowLoaded = new Map<EscrowCircuitName, Promise<KycEscrowProver>>();

/** One escrow prover per process, like nodeProver: the artifacts are read and compiled once. */
export function nodeEscrowProver(name: EscrowCircuitName = 'kycPolicyEscrow32'): Promise<KycEscrowProver> {
  let prover = escrowLoaded.get(name);
  if (!prover) {
    const dir = fileURLToPath(new URL(`../../../circuits/artifacts/${name}/`, import.meta.url));
    prover = Promise.all([readFile(`${dir}${name}.wasm`), readFile(`${dir}${name}.zkey`), readFile(`${dir}verification_key.json`, 'utf8')]).then(([wasm, zkey, vkey]) =>
      KycEscrowProver.load({ depth: 32, wasm: new Uint8Array(wasm), zkey: new Uint8Array(zkey), verificationKey: JSON.parse(vkey) }),
    );
    escrowLoaded.set(name, prover);
  }
  return prover;
}

export * from './index.js';
