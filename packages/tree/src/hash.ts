import { poseidon4 } from 'poseidon-lite';
import { TreeError } from './errors.js';

/** The BN254 scalar field order; leaves and nodes are below it. */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Children per node of the issuer tree. */
export const ARITY = 4;

/** A tree node: `Poseidon4(c0, c1, c2, c3)`, as circomlib's `Poseidon(4)` in the circuit. */
export function hashNode(children: bigint[]): bigint {
  if (children.length !== ARITY) throw new RangeError(`a node has ${ARITY} children, got ${children.length}`);
  return poseidon4(children);
}

const zeroCache: bigint[] = [0n];

/**
 * The roots of empty subtrees, one per level: `z[0] = 0` (the empty leaf),
 * `z[i+1] = Poseidon4(z[i], z[i], z[i], z[i])`. A tree of `depth` bits has `depth / 2` levels, so
 * this returns `depth / 2 + 1` values and the last is the root of an empty tree of that depth.
 * Throws a TreeError for a `depth` that is not an even integer ≥ 0 (a level holds two bits).
 */
export function zeroHashes(depth: number): bigint[] {
  if (!Number.isInteger(depth) || depth < 0 || depth % 2 !== 0) {
    throw new TreeError('depth', 'even', `${String(depth)} is not an even number of bits`);
  }
  const levels = depth / 2;
  while (zeroCache.length <= levels) {
    const below = zeroCache[zeroCache.length - 1];
    zeroCache.push(hashNode([below, below, below, below]));
  }
  return zeroCache.slice(0, levels + 1);
}
