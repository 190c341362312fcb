import { describe, expect, it } from '@jest/globals';
import { poseidon3 } from 'poseidon-lite';
import { assertSubgroupPoint, BASE8, multiplyBase, SNARK_FIELD, type Point } from '@zkkyc/escrow';
import { assertEscrowKey, computeEscrowPolicyHash } from './escrow-policy.js';
import { computePolicyHash, encodePolicy } from './policy.js';
import { ValidationError } from './errors.js';

const E = multiplyBase(1234567890123456789n);
const policy = encodePolicy({ jurisdictions: ['FR', 'DE'], minAge: 18, investorClasses: ['accredited'], minKycLevel: 2 });

describe('computeEscrowPolicyHash', () => {
  it('is Poseidon3(policyHash without escrow, E.x, E.y)', () => {
    expect(computeEscrowPolicyHash(42n, policy, E)).toBe(poseidon3([computePolicyHash(42n, policy), E[0], E[1]]));
  });

  it('differs from the hash without escrow and between keys', () => {
    expect(computeEscrowPolicyHash(42n, policy, E)).not.toBe(computePolicyHash(42n, policy));
    expect(computeEscrowPolicyHash(42n, policy, E)).not.toBe(computeEscrowPolicyHash(42n, policy, BASE8));
  });
});

describe('assertEscrowKey agrees with @zkkyc/escrow point validation', () => {
  const order2: Point = [0n, SNARK_FIELD - 1n];
  const cases: [string, unknown, string | undefined][] = [
    ['a key', E, undefined],
    ['Base8', BASE8, undefined],
    ['the identity', [0n, 1n], 'not-identity'],
    ['the point of order 2', order2, 'subgroup'],
    ['E + (0, −1), order 2l', [SNARK_FIELD - E[0], SNARK_FIELD - E[1]], 'subgroup'],
    ['off the curve', [E[0], E[1] + 1n], 'on-curve'],
    ['a coordinate ≥ p', [E[0] + SNARK_FIELD, E[1]], 'canonical'],
    ['not a pair of bigints', [1, 2], 'point'],
  ];
  it.each(cases)('%s', (_name, key, rule) => {
    if (rule === undefined) {
      expect(() => assertEscrowKey(key)).not.toThrow();
      expect(() => assertSubgroupPoint(key, 'E')).not.toThrow();
    } else {
      expect(() => assertEscrowKey(key)).toThrow(ValidationError);
      expect(() => assertEscrowKey(key)).toThrow(`(rule: ${rule})`);
      expect(() => assertSubgroupPoint(key, 'E')).toThrow(`(rule: ${rule})`);
    }
  });
});
