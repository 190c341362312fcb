import { decodeAttributes, encodeAttributes, type CredentialAttributes } from './attributes.js';
import { ValidationError } from './errors.js';
import { assertFieldElement } from './field.js';

/**
 * What every form of the KYC credential states (VC 1.1, VC 2.0, SD-JWT VC): who issued it to whom,
 * the attributes, and the leaf they commit to. Checked once here for all three.
 */
export interface KycCredentialFacts {
  issuerDid: string;
  holderDid: string;
  attributes: CredentialAttributes;
  identityCommitment: bigint;
  leafIndex: number;
  treeId: string;
}

/**
 * The claims every form states about the holder's leaf, in the order every form writes them: the
 * checked attributes, then the identity commitment (decimal), the leaf index and the tree.
 */
export function leafClaims(attributes: CredentialAttributes, facts: Pick<KycCredentialFacts, 'identityCommitment' | 'leafIndex' | 'treeId'>) {
  return { ...attributes, identityCommitment: facts.identityCommitment.toString(), leafIndex: facts.leafIndex, treeId: facts.treeId };
}

/** A non-empty string, or a ValidationError naming `field` (rule `non-empty-string`). */
export function requireString(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(field, 'non-empty-string', 'must be a non-empty string');
}

/**
 * Refuses facts no credential may state, naming the field and the rule, and returns the attributes
 * in canonical form (investor classes in bit order), so the leaf recomputed from any form of the
 * credential is the leaf the issuer appended.
 */
export function checkCredentialFacts(facts: KycCredentialFacts): CredentialAttributes {
  for (const field of ['issuerDid', 'holderDid', 'treeId'] as const) requireString(facts[field], field);
  if (!facts.issuerDid.startsWith('did:')) throw new ValidationError('issuerDid', 'did', `${facts.issuerDid} is not a DID`);
  if (!facts.holderDid.startsWith('did:')) throw new ValidationError('holderDid', 'did', `${facts.holderDid} is not a DID`);
  assertFieldElement(facts.identityCommitment, 'identityCommitment');
  if (!Number.isSafeInteger(facts.leafIndex) || facts.leafIndex < 0 || facts.leafIndex > 0xffffffff) {
    throw new ValidationError('leafIndex', 'uint32', `${facts.leafIndex} is not a leaf index`);
  }
  return decodeAttributes(encodeAttributes(facts.attributes));
}
