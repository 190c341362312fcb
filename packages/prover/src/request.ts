import {
  ValidationError,
  assertEncodedAttributes,
  assertEncodedPolicy,
  assertFieldElement,
  checkPolicy,
  computeLeaf,
  computePolicyHash,
  identityCommitment,
  type EncodedAttributes,
  type EncodedPolicy,
  type PolicyFailure,
} from '@zkkyc/credentials';
import { SNARK_FIELD, type MerkleProof } from '@zkkyc/tree';
import { packContext } from './context.js';

/** Everything the holder supplies to prove that its credential meets a policy for one wallet. */
export interface KycProofRequest {
  /** The holder's zk identity secret `s`. */
  identitySecret: bigint;
  /** The credential's encoded attributes, as in the leaf. */
  attributes: EncodedAttributes;
  /** The salt the issuer put in the leaf (delivered beside the VC). */
  salt: bigint;
  /** The leaf's Merkle path in the issuer tree; its root is the one the proof claims. */
  merkleProof: MerkleProof;
  /** The policy as stored by the gate, with its scope. */
  policy: EncodedPolicy & { scope: bigint };
  /** The wallet address being registered. */
  wallet: string;
  /** Today's date, YYYYMMDD (UTC); the gate accepts today or yesterday. */
  today: number;
  /** Until when the registration should hold, YYYYMMDD; at most the credential's expiry. */
  validUntil: number;
}

/** The credential does not meet the policy; `failures` names each rule. Thrown before any proving. */
export class PolicyNotMetError extends Error {
  constructor(readonly failures: PolicyFailure[]) {
    super(`credential does not meet the policy: ${failures.map((f) => f.message).join('; ')}`);
    this.name = 'PolicyNotMetError';
  }
}

type CircuitSignal = string | string[] | string[][];

/**
 * Checks a proof request at the boundary and turns it into the circuit's input
 * signals. Refuses, with the field named, anything the circuit would reject with
 * an opaque "Assert Failed": a path of the wrong depth or shape (depth/2 levels
 * of 3 siblings: the issuer tree is quaternary), a credential that is not
 * the leaf the path opens, or a policy the credential does not meet.
 */
export function circuitInput(request: KycProofRequest, depth: number): Record<string, CircuitSignal> {
  const { identitySecret, attributes, salt, merkleProof, policy, wallet, today, validUntil } = request;
  assertFieldElement(identitySecret, 'identitySecret');
  assertFieldElement(salt, 'salt');
  assertEncodedAttributes(attributes);
  assertEncodedPolicy(policy);
  assertFieldElement(policy.scope, 'policy.scope');
  // The issuer tree is quaternary: `depth` bits of capacity in depth/2 levels of three siblings each.
  const levels = depth / 2;
  if (!Array.isArray(merkleProof?.siblings) || merkleProof.siblings.length !== levels) {
    throw new ValidationError('merkleProof.siblings', 'depth', `must hold ${levels} levels of siblings for this circuit (depth ${depth}), got ${merkleProof?.siblings?.length}`);
  }
  merkleProof.siblings.forEach((level, i) => {
    if (!Array.isArray(level) || level.length !== 3) {
      throw new ValidationError('merkleProof.siblings', 'shape', `level ${i} must hold exactly 3 siblings, got ${Array.isArray(level) ? level.length : typeof level}`);
    }
    level.forEach((sibling: unknown, j) => {
      if (typeof sibling !== 'bigint' || sibling < 0n || sibling >= SNARK_FIELD) {
        throw new ValidationError('merkleProof.siblings', 'shape', `siblings[${i}][${j}] must be a bigint in [0, r) of the BN254 scalar field`);
      }
    });
  });
  if (!Number.isInteger(merkleProof.index) || merkleProof.index < 0 || merkleProof.index >= 2 ** depth) {
    throw new ValidationError('merkleProof.index', 'range', `must be an integer in [0, 2^${depth})`);
  }
  const context = packContext(wallet, today, validUntil);
  const leaf = computeLeaf(identityCommitment(identitySecret), attributes, salt);
  if (leaf !== merkleProof.leaf) {
    throw new ValidationError('merkleProof.leaf', 'matches-credential', 'the Merkle proof is for another leaf than this credential, identity secret and salt');
  }
  const check = checkPolicy(attributes, policy, today, validUntil);
  if (!check.ok) throw new PolicyNotMetError(check.failures);

  return {
    root: merkleProof.root.toString(),
    policyHash: computePolicyHash(policy.scope, policy).toString(),
    context: context.toString(),
    identitySecret: identitySecret.toString(),
    jurisdiction: String(attributes.jurisdiction),
    birthDate: String(attributes.birthDate),
    investorClass: String(attributes.investorClass),
    kycLevel: String(attributes.kycLevel),
    expiryDate: String(attributes.expiryDate),
    salt: salt.toString(),
    leafIndex: String(merkleProof.index),
    siblings: merkleProof.siblings.map((level) => level.map(String)),
    scope: policy.scope.toString(),
    jurisdictionMask: policy.jurisdictionMask.toString(),
    minAge: String(policy.minAge),
    investorClassMask: String(policy.investorClassMask),
    minKycLevel: String(policy.minKycLevel),
    wallet: BigInt(wallet).toString(),
    today: String(today),
    validUntil: String(validUntil),
  };
}
