// Inputs of the escrow variant (kycPolicyEscrow), built by hand like
// statement-input.ts: the kycPolicy input for the same values, with the public
// policyHash replaced by the escrow policy hash and the escrow inputs added.
// Every derived value is computed consistently unless a test overrides it.
import { poseidon2, poseidon3 } from 'poseidon-lite';
import { multiply, multiplyBase, type Point } from '@zkkyc/escrow';
import { FIELD, policyHashOf, statementInput, type CircuitInput, type StatementValues, type Tampering } from './statement-input.js';

/** What the escrow part takes: the policy's key E and the holder's randomness r. */
export interface EscrowValues {
  key: Point;
  r: bigint;
}

/** The escrow test key: e = 1234567890123456789 (docs/escrow.md's test vector), E = e·Base8. */
export const TEST_ESCROW_SECRET = 1234567890123456789n;
export const TEST_ESCROW_KEY: Point = multiplyBase(TEST_ESCROW_SECRET);
/** The test vector's r, below 2^246. */
export const TEST_R = 987654321987654321n;

/** Poseidon3(Poseidon5(rules), E.x, E.y). */
export function escrowPolicyHashOf(v: StatementValues, key: Point): bigint {
  return poseidon3([policyHashOf(v), key[0], key[1]]);
}

/** (R, c) for a leaf index, as the circuit computes it: R = r·Base8, c = leafIndex + Poseidon(r·E) mod p. */
export function ciphertextOf(leafIndex: bigint, { key, r }: EscrowValues): { R: Point; c: bigint } {
  const K = multiply(key, r);
  return { R: multiplyBase(r), c: (leafIndex + poseidon2([K[0], K[1]])) % FIELD };
}

export interface EscrowTampering extends Tampering {
  /** The public escrow policy hash (by default that of v's rules and the escrow key). */
  escrowPolicyHash?: bigint;
  /** The private rulesHash input (by default Poseidon5 of v's rules). */
  rulesHash?: bigint;
}

export function escrowStatementInput(v: StatementValues, depth: number, escrow: EscrowValues, t: EscrowTampering = {}): CircuitInput {
  const s = (x: bigint) => x.toString();
  return {
    ...statementInput(v, depth, t),
    policyHash: s(t.escrowPolicyHash ?? escrowPolicyHashOf(v, escrow.key)),
    escrowKey: escrow.key.map(s),
    escrowRandomness: s(escrow.r),
    rulesHash: s(t.rulesHash ?? policyHashOf(v)),
  };
}

/**
 * R from its published x coordinate (the subgroup point with that x): what an auditor does with a
 * registration's `escrowX` before decrypting. @zkkyc/escrow owns it (group.ts, docs/protocol.md "Escrow").
 */
export { pointFromX } from '@zkkyc/escrow';
