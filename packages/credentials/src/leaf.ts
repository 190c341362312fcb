import { poseidon7 } from 'poseidon-lite';
import { assertEncodedAttributes, type EncodedAttributes } from './attributes.js';
import { ValidationError } from './errors.js';
import { assertFieldElement } from './field.js';

/**
 * The credential leaf the issuer appends to its tree:
 * `Poseidon7(idc, jurisdiction, birthDate, investorClass, kycLevel, expiryDate, salt)`.
 * The salt hides the attributes (a leaf export reveals nothing) and keeps two holders with equal
 * attributes from sharing a leaf. Inputs are range-checked as the circuit does, so any leaf this
 * returns can be proven.
 */
export function computeLeaf(idc: bigint, attrs: EncodedAttributes, salt: bigint): bigint {
  assertFieldElement(idc, 'identityCommitment');
  assertEncodedAttributes(attrs);
  if (typeof salt !== 'bigint' || salt < 0n || salt >> 248n !== 0n) {
    throw new ValidationError('salt', 'uint248', 'must be a bigint in [0, 2^248)');
  }
  return poseidon7([idc, attrs.jurisdiction, attrs.birthDate, attrs.investorClass, attrs.kycLevel, attrs.expiryDate, salt]);
}
