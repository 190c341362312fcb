import type { KycArtifacts, KycProof } from './kyc-prover.js';
import { KycProver } from './kyc-prover.js';
import type { KycProofRequest } from './request.js';

const provers = new WeakMap<KycArtifacts, Promise<KycProver>>();

/**
 * Proves, in zero knowledge, that a holder's credential meets a token's
 * policy, for one wallet.
 *
 * The proof says: "a leaf of the issuer tree with this `root` holds my
 * identity commitment and attributes that satisfy the policy whose hash is
 * `policyHash`; I register `wallet` with it, today, until `validUntil`." It
 * reveals none of the attributes and not which leaf. Its `nullifier` is
 * Poseidon(s, scope): the same for every proof this person makes under the
 * policy's scope (one chain, one gate, one policy id), so the gate can count
 * an investor's wallets without learning who the investor is. The circuit is
 * built for a fixed tree `depth` (capacity 2^depth leaves); the Merkle path must have `depth / 2`
 * levels of three siblings.
 *
 * Requests are checked first (wrong depth, mismatched leaf, a policy the
 * credential fails) and refused with the field or rule named. The prover for
 * a set of artifacts is kept, so repeated calls reuse the compiled circuit.
 */
export async function generateKycProof(request: KycProofRequest, artifacts: KycArtifacts): Promise<KycProof> {
  let prover = provers.get(artifacts);
  if (!prover) {
    prover = KycProver.load(artifacts);
    provers.set(artifacts, prover);
  }
  return (await prover).prove(request);
}
