/**
 * The Groth16 check the gate would make, done off chain first: a request with a junk proof is
 * refused for ~10 ms of CPU and no call to the node, so refused requests cost the relayer (and the
 * requests queued behind them) nothing on chain.
 *
 * The proof does not name its circuit. A 6-signal proof is kycPolicyEscrow32 (the only escrow
 * circuit); a 4-signal one is kycPolicy32 or kycPolicy20 (the tree depth of its issuer, which the
 * gate looks up by root), so it passes if either key accepts it.
 */
import { artifactsDir, verifyGroth16, type Groth16Proof } from '@zkkyc/prover/node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistrationRequest } from './registration-request.js';

export interface ProofCheck {
  /** Whether a verification key of a circuit the gate takes accepts `proof` (false for malformed points). */
  verify(proof: RegistrationRequest['proof']): Promise<boolean>;
}

/** The Solidity calldata back in snarkjs's shape: pB's coordinates are swapped back to (real, imaginary). */
function toSnarkjs(proof: RegistrationRequest['proof']): { proof: Groth16Proof; publicSignals: string[] } {
  const s = (v: bigint) => v.toString();
  return {
    proof: {
      pi_a: [s(proof.pA[0]), s(proof.pA[1]), '1'],
      pi_b: [
        [s(proof.pB[0][1]), s(proof.pB[0][0])],
        [s(proof.pB[1][1]), s(proof.pB[1][0])],
        ['1', '0'],
      ],
      pi_c: [s(proof.pC[0]), s(proof.pC[1]), '1'],
      protocol: 'groth16',
      curve: 'bn128',
    },
    publicSignals: proof.pubSignals.map(s),
  };
}

async function readKey(circuit: string): Promise<object | undefined> {
  // Every circuit's directory sits beside kycPolicy32's under circuits/artifacts.
  const file = join(artifactsDir('kycPolicy32'), '..', circuit, 'verification_key.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as object;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads the committed verification keys once; a circuit whose key is not there is not accepted. */
export async function loadProofCheck(): Promise<ProofCheck> {
  const [plain32, plain20, escrow32] = await Promise.all([readKey('kycPolicy32'), readKey('kycPolicy20'), readKey('kycPolicyEscrow32')]);
  const byLength = new Map<number, object[]>([
    [4, [plain32, plain20].filter((k): k is object => k !== undefined)],
    [6, [escrow32].filter((k): k is object => k !== undefined)],
  ]);
  if (byLength.get(4)!.length === 0) throw new Error('no verification key for kycPolicy32 or kycPolicy20 under circuits/artifacts');
  return {
    async verify(proof) {
      const { proof: groth16, publicSignals } = toSnarkjs(proof);
      for (const key of byLength.get(publicSignals.length) ?? []) {
        if (await verifyGroth16(key, publicSignals, groth16)) return true;
      }
      return false;
    },
  };
}
