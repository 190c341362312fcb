import { addYears, dateToInt, intToDate, isValidDateInt, todayInt } from './dates.js';
import { ValidationError } from './errors.js';

describe('dates', () => {
  it('encodes YYYY-MM-DD and Dates (UTC) as YYYYMMDD', () => {
    expect(dateToInt('1990-02-03')).toBe(19900203);
    expect(dateToInt(new Date('2024-03-05T23:59:59Z'))).toBe(20240305);
    expect(dateToInt('2024-02-29')).toBe(20240229);
    expect(intToDate(20240305)).toBe('2024-03-05');
    expect(todayInt(new Date('2026-11-25T00:00:00Z'))).toBe(20261125);
  });

  it('accepts only real Gregorian dates in 1900..2999', () => {
    expect(isValidDateInt(20240229)).toBe(true);
    expect(isValidDateInt(20230229)).toBe(false);
    expect(isValidDateInt(19000229)).toBe(false); // 1900 is not a leap year
    expect(isValidDateInt(20000229)).toBe(true);
    expect(isValidDateInt(18991231)).toBe(false);
    expect(isValidDateInt(30000101)).toBe(false);
    expect(isValidDateInt(20241301)).toBe(false);
    expect(isValidDateInt(20240431)).toBe(false);
    expect(isValidDateInt(20240100)).toBe(false);
    expect(isValidDateInt(2024010.5)).toBe(false);
  });

  it.each(['2023-02-29', '2024-13-01', '1899-12-31', '24-01-01', '2024/01/01', '2024-1-1'])('rejects %j with the field name', (value) => {
    expect(() => dateToInt(value, 'birthDate')).toThrow(expect.objectContaining({ field: 'birthDate' }));
    expect(() => dateToInt(value, 'birthDate')).toThrow(ValidationError);
  });

  it('adds years, clamping 29 February', () => {
    expect(addYears(20000101, 18)).toBe(20180101);
    expect(addYears(20240229, 1)).toBe(20250228);
    expect(addYears(20240229, 4)).toBe(20280229);
    expect(addYears(20240315, -1)).toBe(20230315);
    expect(() => addYears(29990101, 1)).toThrow(ValidationError);
  });
});
