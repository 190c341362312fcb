import { concat, keccak256, toBeHex, zeroPadValue } from 'ethers';
import { poseidon2, poseidon5 } from 'poseidon-lite';
import { encodeAttributes } from './attributes.js';
import { ValidationError } from './errors.js';
import { jurisdictionMask } from './jurisdictions.js';
import { checkPolicy, computeNullifier, computePolicyHash, computeScope, decodePolicy, encodePolicy, type Policy } from './policy.js';

const GATE = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

const policy: Policy = { jurisdictions: ['US', 'GB', 'CH'], minAge: 18, investorClasses: ['accredited', 'professional-eu'], minKycLevel: 2 };
const holder = encodeAttributes({ jurisdiction: 'CH', birthDate: '2000-06-15', investorClasses: ['professional-eu'], kycLevel: 2, expiryDate: '2027-01-31' });

describe('policy encoding and hashes', () => {
  it('encodes and decodes a policy', () => {
    const encoded = encodePolicy(policy);
    expect(encoded).toEqual({ jurisdictionMask: jurisdictionMask(['US', 'GB', 'CH']), minAge: 18, investorClassMask: 0b1010, minKycLevel: 2 });
    expect(decodePolicy(encoded)).toEqual({ ...policy, jurisdictions: ['CH', 'GB', 'US'] });
  });

  it.each<[Partial<Policy>, string, string]>([
    [{ jurisdictions: [] }, 'jurisdictions', 'non-empty'],
    [{ jurisdictions: ['US', 'EU'] }, 'jurisdictions', 'iso3166-alpha2'],
    [{ minAge: 256 }, 'minAge', 'uint8'],
    [{ minAge: -1 }, 'minAge', 'uint8'],
    [{ investorClasses: ['whale'] }, 'investorClasses', 'known-investor-class'],
    [{ minKycLevel: 2.5 }, 'minKycLevel', 'uint8'],
  ])('rejects %j naming the field', (change, field, rule) => {
    expect(() => encodePolicy({ ...policy, ...change })).toThrow(ValidationError);
    expect(() => encodePolicy({ ...policy, ...change })).toThrow(expect.objectContaining({ field, rule }));
  });

  it('derives scope = keccak256(abi.encode(chainId, gate, policyId)) >> 8', () => {
    const packed = concat([zeroPadValue(toBeHex(31337), 32), zeroPadValue(GATE, 32), zeroPadValue(toBeHex(7), 32)]);
    const scope = computeScope(31337, GATE, 7n);
    expect(scope).toBe(BigInt(keccak256(packed)) >> 8n);
    expect(scope < 1n << 248n).toBe(true);
    expect(computeScope(31337n, GATE.toLowerCase(), 7)).toBe(scope);
    expect(computeScope(1, GATE, 7)).not.toBe(scope);
    expect(computeScope(31337, GATE, 8)).not.toBe(scope);
    expect(() => computeScope(31337, '0x1234', 7)).toThrow(expect.objectContaining({ field: 'gate', rule: 'address' }));
    expect(() => computeScope(-1, GATE, 7)).toThrow(expect.objectContaining({ field: 'chainId', rule: 'uint256' }));
  });

  it('hashes the policy with Poseidon5 and the nullifier with Poseidon2', () => {
    const scope = computeScope(31337, GATE, 1);
    const e = encodePolicy(policy);
    expect(computePolicyHash(scope, e)).toBe(poseidon5([scope, e.jurisdictionMask, 18, 0b1010, 2]));
    expect(computeNullifier(99n, scope)).toBe(poseidon2([99n, scope]));
  });
});

describe('checkPolicy', () => {
  const e = encodePolicy(policy);

  it('accepts a holder who meets every rule, at the boundaries the circuit allows', () => {
    expect(checkPolicy(holder, e, 20260101)).toEqual({ ok: true, failures: [] });
    // 18th birthday is the first day the age rule holds: 20000615 + 180000 <= 20180615.
    expect(checkPolicy({ ...holder, expiryDate: 20300101 }, e, 20180615).ok).toBe(true);
    // validUntil may equal today and may equal the expiry; expiry may equal today.
    expect(checkPolicy(holder, e, 20260101, 20260101).ok).toBe(true);
    expect(checkPolicy(holder, e, 20260101, 20270131).ok).toBe(true);
    expect(checkPolicy(holder, e, 20270131, 20270131).ok).toBe(true);
    // Investor mask 0 accepts any class, even none.
    expect(checkPolicy({ ...holder, investorClass: 0 }, { ...e, investorClassMask: 0 }, 20260101).ok).toBe(true);
  });

  it('names each failing rule in plain words', () => {
    const result = checkPolicy(holder, { ...e, jurisdictionMask: jurisdictionMask(['US', 'GB', 'FR']) }, 20260101);
    expect(result).toEqual({ ok: false, failures: [{ rule: 'jurisdiction', message: 'jurisdiction CH is not among the 3 allowed: FR, GB, US' }] });

    const young = checkPolicy({ ...holder, expiryDate: 20300101 }, e, 20180614);
    expect(young.failures.map((f) => f.rule)).toEqual(['age']);
    expect(young.failures[0].message).toContain('not yet 18');

    const retail = checkPolicy({ ...holder, investorClass: 0b1 }, e, 20260101);
    expect(retail.failures).toEqual([{ rule: 'investorClass', message: 'investor classes [retail] include none of the required: accredited, professional-eu' }]);

    const low = checkPolicy({ ...holder, kycLevel: 1 }, e, 20260101);
    expect(low.failures).toEqual([{ rule: 'kycLevel', message: 'KYC level 1 is below the required 2' }]);

    const expired = checkPolicy(holder, e, 20270201);
    expect(expired.failures.map((f) => f.rule)).toEqual(['expired']);

    expect(checkPolicy(holder, e, 20260101, 20270201).failures.map((f) => f.rule)).toEqual(['validUntil']);
    expect(checkPolicy(holder, e, 20260101, 20251231).failures.map((f) => f.rule)).toEqual(['validUntil']);

    const all = checkPolicy({ jurisdiction: 0, birthDate: 20200101, investorClass: 1, kycLevel: 0, expiryDate: 20250101 }, e, 20260101);
    expect(all.failures.map((f) => f.rule)).toEqual(['jurisdiction', 'age', 'investorClass', 'kycLevel', 'expired']);
  });

  it('rejects dates that are not dates', () => {
    expect(() => checkPolicy(holder, e, 20260230)).toThrow(expect.objectContaining({ field: 'today', rule: 'date' }));
    expect(() => checkPolicy(holder, e, 20260101, 2026)).toThrow(expect.objectContaining({ field: 'validUntil' }));
  });
});
