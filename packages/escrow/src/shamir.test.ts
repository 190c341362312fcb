import { subsets } from './dkg.fixture.js';
import { EscrowError } from './errors.js';
import { commitToPolynomial, shareMatchesCommitments } from './feldman.js';
import { modOrder, SUBGROUP_ORDER } from './group.js';
import { evaluatePolynomial, lagrangeCoefficientsAtZero, randomPolynomial } from './shamir.js';

describe('Shamir sharing modulo l', () => {
  it('recovers f(0) from any k shares and not from k − 1', () => {
    const k = 3;
    const f = randomPolynomial(k - 1);
    const shares = [1, 2, 3, 4, 5].map((j) => ({ j, y: evaluatePolynomial(f, BigInt(j)) }));
    for (const set of subsets(shares, k)) {
      const lambdas = lagrangeCoefficientsAtZero(set.map((s) => s.j));
      expect(modOrder(set.reduce((acc, s, i) => acc + lambdas[i] * s.y, 0n))).toBe(f[0]);
    }
    for (const set of subsets(shares, k - 1)) {
      const lambdas = lagrangeCoefficientsAtZero(set.map((s) => s.j));
      expect(modOrder(set.reduce((acc, s, i) => acc + lambdas[i] * s.y, 0n))).not.toBe(f[0]);
    }
  });

  it('evaluates by Horner modulo l and refuses repeated indices', () => {
    expect(evaluatePolynomial([1n, 2n, 3n], 2n)).toBe(17n);
    expect(evaluatePolynomial([SUBGROUP_ORDER - 1n, 1n], 1n)).toBe(0n);
    expect(() => lagrangeCoefficientsAtZero([1, 1])).toThrow(EscrowError);
  });

  it('Feldman commitments accept the right share and refuse any other', () => {
    const f = randomPolynomial(1);
    const C = commitToPolynomial(f);
    expect(shareMatchesCommitments(evaluatePolynomial(f, 3n), 3, C)).toBe(true);
    expect(shareMatchesCommitments(evaluatePolynomial(f, 3n) + 1n, 3, C)).toBe(false);
    expect(shareMatchesCommitments(evaluatePolynomial(f, 3n), 2, C)).toBe(false);
  });
});
