import { EscrowError } from './errors.js';
import { invertModOrder, modOrder, randomScalar } from './group.js';

/**
 * Shamir secret sharing over the scalars modulo `l`, the arithmetic under the DKG and the combination.
 *
 * A secret `a0` becomes the constant term of a random polynomial `f(x) = a0 + a1·x + … + a_{k−1}·x^{k−1}`;
 * participant `j` (numbered from 1) holds `f(j)`. Any `k` values determine `f` and so `f(0) = a0`;
 * `k − 1` values say nothing about it. The secret is recovered — here only ever "in the exponent",
 * on points, never as a number — by Lagrange interpolation at 0:
 *
 *     f(0) = Σ_{j∈S} λ_j · f(j),   λ_j = Π_{m∈S, m≠j} m / (m − j)   (mod l)
 *
 * so that `Σ λ_j · (f(j)·R) = f(0)·R` for any point `R`.
 */

/** A random polynomial of the given degree with every coefficient in `[1, l)`, constant term first. */
export function randomPolynomial(degree: number): bigint[] {
  return Array.from({ length: degree + 1 }, () => randomScalar());
}

/** `f(x) mod l` by Horner's rule. */
export function evaluatePolynomial(coefficients: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let i = coefficients.length - 1; i >= 0; i -= 1) acc = modOrder(acc * x + coefficients[i]);
  return acc;
}

/**
 * The Lagrange coefficients at 0 for the distinct, positive participant indices `indices`, in the
 * same order. Throws an EscrowError for a repeated or non-positive index (the interpolation would be
 * meaningless).
 */
export function lagrangeCoefficientsAtZero(indices: readonly number[]): bigint[] {
  if (new Set(indices).size !== indices.length) throw new EscrowError('indices', 'distinct', 'must not repeat an index');
  return indices.map((j) => {
    if (!Number.isInteger(j) || j < 1) throw new EscrowError('indices', 'index', `has ${j}, not a positive integer`);
    let numerator = 1n;
    let denominator = 1n;
    for (const m of indices) {
      if (m === j) continue;
      numerator = modOrder(numerator * BigInt(m));
      denominator = modOrder(denominator * BigInt(m - j));
    }
    return modOrder(numerator * invertModOrder(denominator));
  });
}
