import { poseidon7 } from 'poseidon-lite';
import { encodeAttributes } from './attributes.js';
import { ValidationError } from './errors.js';
import { identityCommitment, identitySecretFromSeed } from './identity.js';
import { computeLeaf } from './leaf.js';

describe('credential leaf', () => {
  const idc = identityCommitment(identitySecretFromSeed(new Uint8Array(32).fill(1)));
  const attrs = encodeAttributes({ jurisdiction: 'DE', birthDate: '1985-07-14', investorClasses: ['accredited'], kycLevel: 3, expiryDate: '2030-06-30' });
  const salt = 123456789n;

  it('is Poseidon7(idc, jurisdiction, birthDate, investorClass, kycLevel, expiryDate, salt)', () => {
    expect(computeLeaf(idc, attrs, salt)).toBe(poseidon7([idc, 56, 19850714, 2, 3, 20300630, salt]));
  });

  it('changes with every input', () => {
    const leaf = computeLeaf(idc, attrs, salt);
    expect(computeLeaf(idc, attrs, salt + 1n)).not.toBe(leaf);
    expect(computeLeaf(idc + 1n, attrs, salt)).not.toBe(leaf);
    expect(computeLeaf(idc, { ...attrs, kycLevel: 4 }, salt)).not.toBe(leaf);
  });

  it('rejects values the circuit would range-check away', () => {
    expect(() => computeLeaf(idc, attrs, 1n << 248n)).toThrow(expect.objectContaining({ field: 'salt', rule: 'uint248' }));
    expect(() => computeLeaf(idc, { ...attrs, kycLevel: 300 }, salt)).toThrow(expect.objectContaining({ field: 'kycLevel' }));
    expect(() => computeLeaf(idc, { ...attrs, expiryDate: 20301340 }, salt)).toThrow(expect.objectContaining({ field: 'expiryDate' }));
    expect(() => computeLeaf(-1n, attrs, salt)).toThrow(ValidationError);
  });
});
