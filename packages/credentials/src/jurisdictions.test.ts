import { ValidationError } from './errors.js';
import { JURISDICTIONS, jurisdictionCode, jurisdictionIndex, jurisdictionMask, jurisdictionsInMask } from './jurisdictions.js';

describe('jurisdictions', () => {
  it('lists all 249 ISO 3166-1 alpha-2 codes, sorted and unique', () => {
    expect(JURISDICTIONS).toHaveLength(249);
    expect(new Set(JURISDICTIONS).size).toBe(249);
    expect([...JURISDICTIONS].sort()).toEqual([...JURISDICTIONS]);
    expect(JURISDICTIONS.every((c) => /^[A-Z]{2}$/.test(c))).toBe(true);
    expect(Object.isFrozen(JURISDICTIONS)).toBe(true);
  });

  it('encodes known codes at their fixed indices', () => {
    expect(jurisdictionIndex('AD')).toBe(0);
    expect(jurisdictionIndex('CH')).toBe(42);
    expect(jurisdictionIndex('DE')).toBe(56);
    expect(jurisdictionIndex('GB')).toBe(76);
    expect(jurisdictionIndex('US')).toBe(232);
    expect(jurisdictionIndex('ZW')).toBe(248);
    expect(jurisdictionCode(232)).toBe('US');
    for (let i = 0; i < JURISDICTIONS.length; i++) expect(jurisdictionIndex(jurisdictionCode(i))).toBe(i);
  });

  it.each(['XX', 'us', 'USA', '', 'UK'])('rejects %j naming the field and rule', (code) => {
    try {
      jurisdictionIndex(code);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('jurisdiction');
      expect((err as ValidationError).rule).toBe('iso3166-alpha2');
      expect((err as ValidationError).message).toMatch(/jurisdiction.*iso3166-alpha2/);
    }
  });

  it('rejects indices outside 0..248', () => {
    expect(() => jurisdictionCode(249)).toThrow(ValidationError);
    expect(() => jurisdictionCode(-1)).toThrow(ValidationError);
    expect(() => jurisdictionCode(1.5)).toThrow(ValidationError);
  });

  it('builds masks with bit j = index j and reads them back', () => {
    const mask = jurisdictionMask(['US', 'GB', 'CH']);
    expect(mask).toBe((1n << 232n) | (1n << 76n) | (1n << 42n));
    expect(jurisdictionsInMask(mask)).toEqual(['CH', 'GB', 'US']);
    expect(jurisdictionMask([])).toBe(0n);
    const all = jurisdictionMask([...JURISDICTIONS]);
    expect(all).toBe((1n << 249n) - 1n);
    expect(jurisdictionsInMask(all)).toEqual([...JURISDICTIONS]);
  });

  it('rejects masks with bits beyond ZW', () => {
    expect(() => jurisdictionsInMask(1n << 249n)).toThrow(ValidationError);
    expect(() => jurisdictionsInMask(-1n)).toThrow(ValidationError);
  });
});
