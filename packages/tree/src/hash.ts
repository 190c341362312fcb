import { poseidon2 } from 'poseidon-lite';

/** The BN254 scalar field order; leaves and nodes are below it. */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** A tree node: `Poseidon2(left, right)`, as circomlib's `Poseidon(2)` in the circuit. */
export function hashPair(left: bigint, right: bigint): bigint {
  return poseidon2([left, right]);
}

const zeroCache: bigint[] = [0n];

/**
 * The roots of empty subtrees: `z[0] = 0` (the empty leaf), `z[i+1] = Poseidon2(z[i], z[i])`.
 * Returns `depth + 1` values, so `zeroHashes(d)[d]` is the root of an empty tree of depth `d`.
 */
export function zeroHashes(depth: number): bigint[] {
  while (zeroCache.length <= depth) {
    const below = zeroCache[zeroCache.length - 1];
    zeroCache.push(hashPair(below, below));
  }
  return zeroCache.slice(0, depth + 1);
}
