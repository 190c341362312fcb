import { ValidationError } from './errors.js';
import { INVESTOR_CLASSES, investorClassIds, investorClassMask } from './investor-classes.js';

describe('investor classes', () => {
  it('follows the protocol table: bit i = class i', () => {
    expect(INVESTOR_CLASSES.map((c) => [c.bit, c.id])).toEqual([
      [0, 'retail'],
      [1, 'accredited'],
      [2, 'qualified-purchaser'],
      [3, 'professional-eu'],
      [4, 'professional-hk'],
      [5, 'professional-uk'],
      [6, 'institutional'],
      [7, 'qualified-investor-ch'],
    ]);
    for (const c of INVESTOR_CLASSES) expect(c.label.length).toBeGreaterThan(0);
  });

  it('round-trips masks in bit order', () => {
    expect(investorClassMask(['accredited', 'retail'])).toBe(0b11);
    expect(investorClassMask([])).toBe(0);
    expect(investorClassIds(0b1010_0000)).toEqual(['professional-uk', 'qualified-investor-ch']);
    expect(investorClassIds(investorClassMask(['institutional', 'professional-hk']))).toEqual(['professional-hk', 'institutional']);
  });

  it('rejects unknown classes, naming the field', () => {
    expect(() => investorClassMask(['whale'])).toThrow(expect.objectContaining({ field: 'investorClasses', rule: 'known-investor-class' }));
    expect(() => investorClassIds(1 << 8)).toThrow(expect.objectContaining({ field: 'investorClass', rule: 'known-investor-class' }));
    expect(() => investorClassIds(1 << 16)).toThrow(ValidationError);
  });
});
