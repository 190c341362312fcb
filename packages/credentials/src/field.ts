import { ValidationError } from './errors.js';

/** The BN254 scalar field order: every value hashed with Poseidon or fed to the circuit is below it. */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Throws unless `value` is a bigint in [0, SNARK_FIELD). */
export function assertFieldElement(value: unknown, field: string): asserts value is bigint {
  if (typeof value !== 'bigint') throw new ValidationError(field, 'bigint', `must be a bigint, got ${typeof value}`);
  if (value < 0n || value >= SNARK_FIELD) throw new ValidationError(field, 'field-element', 'must be in [0, r) of the BN254 scalar field');
}
