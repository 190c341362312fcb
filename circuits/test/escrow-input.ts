// Inputs of the escrow variant (kycPolicyEscrow), built by hand like
// statement-input.ts: the kycPolicy input for the same values, with the public
// policyHash replaced by the escrow policy hash and the escrow inputs added.
// Every derived value is computed consistently unless a test overrides it.
import { poseidon2, poseidon3 } from 'poseidon-lite';
import { IDENTITY, multiply, multiplyBase, pointsEqual, SUBGROUP_ORDER, type Point } from '@zkkyc/escrow';
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

const A = 168700n;
const D = 168696n;
const mod = (x: bigint) => ((x % FIELD) + FIELD) % FIELD;
function power(b: bigint, e: bigint): bigint {
  let result = 1n;
  for (b = mod(b); e > 0n; e >>= 1n, b = (b * b) % FIELD) if (e & 1n) result = (result * b) % FIELD;
  return result;
}

/** A square root modulo p (Tonelli–Shanks; p − 1 = q·2^28), or undefined for a non-residue. */
export function sqrtModP(n: bigint): bigint | undefined {
  n = mod(n);
  if (n === 0n) return 0n;
  if (power(n, (FIELD - 1n) / 2n) !== 1n) return undefined;
  let q = FIELD - 1n;
  let s = 0n;
  while ((q & 1n) === 0n) [q, s] = [q >> 1n, s + 1n];
  let z = 2n;
  while (power(z, (FIELD - 1n) / 2n) !== FIELD - 1n) z++;
  let [m, c, t, r] = [s, power(z, q), power(n, q), power(n, (q + 1n) / 2n)];
  while (t !== 1n) {
    let i = 0n;
    for (let t2 = t; t2 !== 1n; t2 = (t2 * t2) % FIELD) i++;
    const b = power(c, 1n << (m - i - 1n));
    [m, c, t, r] = [i, (b * b) % FIELD, (t * b * b) % FIELD, (r * b) % FIELD];
  }
  return r;
}

/**
 * R from its published x coordinate: of the two curve points (x, ±y), the one in the prime-order
 * subgroup (the other is −R + (0, −1), of order 2l). What an auditor does with a registration's
 * `escrowX` before decrypting (docs/protocol.md, "Escrow").
 */
export function pointFromX(x: bigint): Point {
  const y = sqrtModP(mod((1n - A * x * x) * power(1n - D * x * x, FIELD - 2n)));
  if (y === undefined) throw new Error('no curve point has this x');
  const candidates: Point[] = [[x, y], [x, mod(-y)]].filter((P) => pointsEqual(multiply(P as Point, SUBGROUP_ORDER), IDENTITY)) as Point[];
  if (candidates.length !== 1) throw new Error(`expected exactly one subgroup point with this x, found ${candidates.length}`);
  return candidates[0];
}
