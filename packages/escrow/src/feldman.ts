import { addPoints, IDENTITY, modOrder, multiply, multiplyBase, pointsEqual, type Point } from './group.js';

/**
 * Feldman's verifiable secret sharing: a dealer who shares `f(0)` with a polynomial `f` also
 * publishes a commitment to every coefficient, `C_m = a_m·Base8`. Anyone can then compute the point
 * `f(j)·Base8 = Σ_m j^m·C_m` without learning `f(j)`, and participant `j` can check that the number it
 * received really is `f(j)`. It hides the secret only as well as the discrete logarithm does, which
 * is all an ElGamal-style key needs: `C_0` is the dealer's part of the public key.
 */

/** `C_m = a_m·Base8` for each coefficient, constant term first. */
export function commitToPolynomial(coefficients: readonly bigint[]): Point[] {
  return coefficients.map((a) => multiplyBase(a));
}

/** `Σ_m j^m·C_m`: the point `f(j)·Base8` that the commitments promise for participant `j`. */
export function committedSharePoint(commitments: readonly Point[], j: number): Point {
  let acc: Point = IDENTITY;
  let power = 1n;
  for (const C of commitments) {
    acc = addPoints(acc, multiply(C, power));
    power = modOrder(power * BigInt(j));
  }
  return acc;
}

/** The Feldman check: whether `share·Base8 = Σ_m j^m·C_m`. */
export function shareMatchesCommitments(share: bigint, j: number, commitments: readonly Point[]): boolean {
  return pointsEqual(multiplyBase(share), committedSharePoint(commitments, j));
}
