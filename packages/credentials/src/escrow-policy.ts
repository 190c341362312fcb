import { poseidon3 } from 'poseidon-lite';
import { ValidationError } from './errors.js';
import { SNARK_FIELD } from './field.js';
import { computePolicyHash, type EncodedPolicy } from './policy.js';

/**
 * A policy's escrow key: a point `E = (x, y)` of Baby Jubjub's prime-order subgroup (docs/escrow.md
 * §1). Registration proofs for the policy encrypt the holder credential's leaf index to it.
 */
export type EscrowKey = readonly [bigint, bigint];

/** Baby Jubjub (EIP-2494): `a·x² + y² = 1 + d·x²·y²` over the BN254 scalar field. */
const A = 168700n;
const D = 168696n;
/** `l`, the order of the prime-order subgroup. */
export const BABYJUB_SUBGROUP_ORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041n;

const mod = (x: bigint): bigint => {
  const m = x % SNARK_FIELD;
  return m < 0n ? m + SNARK_FIELD : m;
};

function inverse(x: bigint): bigint {
  let [a, b, u, v] = [mod(x), SNARK_FIELD, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b, u, v] = [b, a - q * b, v, u - q * v];
  }
  return mod(u);
}

function add(p: EscrowKey, q: EscrowKey): [bigint, bigint] {
  const t = mod(D * p[0] * q[0] * p[1] * q[1]);
  return [mod((p[0] * q[1] + p[1] * q[0]) * inverse(1n + t)), mod((p[1] * q[1] - A * p[0] * q[0]) * inverse(1n - t))];
}

function times(p: EscrowKey, s: bigint): [bigint, bigint] {
  let result: [bigint, bigint] = [0n, 1n];
  let base: [bigint, bigint] = [p[0], p[1]];
  for (; s > 0n; s >>= 1n) {
    if (s & 1n) result = add(result, base);
    base = add(base, base);
  }
  return result;
}

/**
 * Throws a ValidationError naming `field` unless `key` is a usable escrow key: two canonical field
 * elements (rule `canonical`), on the curve (`on-curve`), not the identity (`not-identity`), and in the
 * prime-order subgroup, `l·E = (0, 1)` (`subgroup`). The same rules as @zkkyc/escrow's point
 * validation, here without its Node-only dependencies so the holder's prover (in a browser worker)
 * can refuse a bad key before proving: with a low-order key the ciphertext would take one of at most
 * eight values and anybody could decrypt it.
 */
export function assertEscrowKey(key: unknown, field = 'escrowKey'): asserts key is EscrowKey {
  if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'bigint' || typeof key[1] !== 'bigint') {
    throw new ValidationError(field, 'point', 'must be a pair of bigint coordinates [x, y]');
  }
  const [x, y] = key as [bigint, bigint];
  if (x < 0n || x >= SNARK_FIELD || y < 0n || y >= SNARK_FIELD) {
    throw new ValidationError(field, 'canonical', 'has a coordinate outside [0, p) of the BN254 scalar field');
  }
  if (mod(A * x * x + y * y) !== mod(1n + D * x * x * y * y)) throw new ValidationError(field, 'on-curve', 'is not on the Baby Jubjub curve');
  if (x === 0n && y === 1n) throw new ValidationError(field, 'not-identity', 'is the identity point');
  const lE = times([x, y], BABYJUB_SUBGROUP_ORDER);
  if (lE[0] !== 0n || lE[1] !== 1n) throw new ValidationError(field, 'subgroup', 'is not in the prime-order subgroup');
}

/**
 * The public policy hash of a policy with an escrow key:
 * `Poseidon3(Poseidon5(scope, jurisdictionMask, minAge, investorClassMask, minKycLevel), E.x, E.y)`.
 * The inner hash is the policy's hash without escrow (computePolicyHash), so the rules are hashed
 * the same way in both circuits; the outer one binds the key (docs/protocol.md, "Escrow"). On-chain it
 * is PoseidonT6 then PoseidonT4 of poseidon-solidity.
 */
export function computeEscrowPolicyHash(scope: bigint, policy: EncodedPolicy, escrowKey: EscrowKey): bigint {
  assertEscrowKey(escrowKey);
  return poseidon3([computePolicyHash(scope, policy), escrowKey[0], escrowKey[1]]);
}
