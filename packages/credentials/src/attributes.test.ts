import { decodeAttributes, encodeAttributes, randomSalt, type CredentialAttributes } from './attributes.js';
import { ValidationError } from './errors.js';

const alice: CredentialAttributes = {
  jurisdiction: 'CH',
  birthDate: '1990-02-03',
  investorClasses: ['retail', 'professional-eu'],
  kycLevel: 2,
  expiryDate: '2031-12-31',
};

describe('attribute encoding', () => {
  it('encodes as in docs/protocol.md and decodes back', () => {
    const encoded = encodeAttributes(alice);
    expect(encoded).toEqual({ jurisdiction: 42, birthDate: 19900203, investorClass: 0b1001, kycLevel: 2, expiryDate: 20311231 });
    expect(decodeAttributes(encoded)).toEqual(alice);
  });

  it.each<[string, Partial<CredentialAttributes>, string, string]>([
    ['unknown country', { jurisdiction: 'XX' }, 'jurisdiction', 'iso3166-alpha2'],
    ['impossible birth date', { birthDate: '1990-02-30' }, 'birthDate', 'date'],
    ['malformed birth date', { birthDate: '03/02/1990' }, 'birthDate', 'date-format'],
    ['impossible expiry date', { expiryDate: '2031-02-29' }, 'expiryDate', 'date'],
    ['expiry before birth', { expiryDate: '1980-01-01' }, 'expiryDate', 'after-birthDate'],
    ['expiry on the birth date', { expiryDate: '1990-02-03' }, 'expiryDate', 'after-birthDate'],
    ['kycLevel above 255', { kycLevel: 256 }, 'kycLevel', 'uint8'],
    ['negative kycLevel', { kycLevel: -1 }, 'kycLevel', 'uint8'],
    ['fractional kycLevel', { kycLevel: 1.5 }, 'kycLevel', 'uint8'],
    ['unknown investor class', { investorClasses: ['retail', 'whale'] }, 'investorClasses', 'known-investor-class'],
  ])('rejects an %s, naming the field', (_name, change, field, rule) => {
    const input = { ...alice, ...change };
    const before = JSON.stringify(input);
    let error: unknown;
    try {
      encodeAttributes(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field, rule });
    expect((error as Error).message).toContain(field);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('refuses to decode values the circuit could not hold', () => {
    const encoded = encodeAttributes(alice);
    expect(() => decodeAttributes({ ...encoded, jurisdiction: 249 })).toThrow(expect.objectContaining({ field: 'jurisdiction' }));
    expect(() => decodeAttributes({ ...encoded, birthDate: 19900230 })).toThrow(expect.objectContaining({ field: 'birthDate' }));
    expect(() => decodeAttributes({ ...encoded, investorClass: 1 << 16 })).toThrow(expect.objectContaining({ field: 'investorClass' }));
  });

  it('draws salts of at most 248 bits from Web Crypto', () => {
    const salts = Array.from({ length: 32 }, randomSalt);
    expect(new Set(salts).size).toBe(32);
    for (const salt of salts) expect(salt >= 0n && salt < 1n << 248n).toBe(true);
  });
});
