import { computeLeaf, computeScope, encodeAttributes, encodePolicy, identityCommitment, randomIdentitySecret, randomSalt } from '@zkkyc/credentials';
import type { KycProofRequest } from '@zkkyc/prover';
import { IssuerTree } from '@zkkyc/tree';

/** A valid proof request against a tree of `depth` holding a few leaves. */
export function benchRequest(depth: number): KycProofRequest {
  const identitySecret = randomIdentitySecret();
  const attributes = encodeAttributes({ jurisdiction: 'SG', birthDate: '1984-02-29', investorClasses: ['accredited'], kycLevel: 3, expiryDate: '2031-01-31' });
  const salt = randomSalt();
  const tree = new IssuerTree(depth);
  for (let i = 1n; i <= 5n; i++) tree.append(i);
  const index = tree.append(computeLeaf(identityCommitment(identitySecret), attributes, salt));
  const policy = encodePolicy({ jurisdictions: ['SG', 'CH', 'GB'], minAge: 21, investorClasses: ['accredited', 'institutional'], minKycLevel: 2 });
  return {
    identitySecret,
    attributes,
    salt,
    merkleProof: tree.proof(index),
    policy: { ...policy, scope: computeScope(1, '0x' + '42'.repeat(20), 7) },
    wallet: '0x' + 'c3'.repeat(20),
    today: 20261125,
    validUntil: 20301231,
  };
}
