import { ValidationError } from './errors.js';

/**
 * Dates travel as YYYYMMDD integers (20240131): the circuit orders them with one comparison, and
 * adding N·10000 moves a date N years later, which is how the age rule is written. All dates are
 * UTC calendar days; there is no time of day anywhere in the protocol.
 */

const MIN_YEAR = 1900;
const MAX_YEAR = 2999;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isRealDate(year: number, month: number, day: number): boolean {
  return Number.isInteger(year) && year >= MIN_YEAR && year <= MAX_YEAR && Number.isInteger(month) && month >= 1 && month <= 12 && Number.isInteger(day) && day >= 1 && day <= daysInMonth(year, month);
}

/** True when `n` is YYYYMMDD of a real Gregorian date in 1900..2999 (so 20230229 is not). */
export function isValidDateInt(n: number): boolean {
  if (!Number.isSafeInteger(n)) return false;
  return isRealDate(Math.floor(n / 10000), Math.floor(n / 100) % 100, n % 100);
}

/**
 * A calendar date as YYYYMMDD. Accepts 'YYYY-MM-DD' or a Date (its UTC day). `field` names the
 * input in the error, e.g. 'birthDate'.
 */
export function dateToInt(value: string | Date, field = 'date'): number {
  let year: number, month: number, day: number;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ValidationError(field, 'date', 'is an invalid Date');
    [year, month, day] = [value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate()];
  } else {
    const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
    if (!match) throw new ValidationError(field, 'date-format', `${JSON.stringify(value)} is not a YYYY-MM-DD date`);
    [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  }
  if (!isRealDate(year, month, day)) {
    throw new ValidationError(field, 'date', `${String(value instanceof Date ? value.toISOString() : value)} is not a real date in ${MIN_YEAR}..${MAX_YEAR}`);
  }
  return year * 10000 + month * 100 + day;
}

/** 'YYYY-MM-DD' for a YYYYMMDD integer. Throws for an impossible date. */
export function intToDate(n: number, field = 'date'): string {
  if (!isValidDateInt(n)) throw new ValidationError(field, 'date', `${n} is not a real YYYYMMDD date in ${MIN_YEAR}..${MAX_YEAR}`);
  const s = String(n);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

/** Today's UTC date as YYYYMMDD (the `today` a proof is made for). */
export function todayInt(now: Date = new Date()): number {
  return dateToInt(now, 'now');
}

/**
 * The same calendar day `years` later (or earlier, if negative). 29 February becomes 28 February in
 * a non-leap year, so the result is always a real date — never later than the exact anniversary.
 */
export function addYears(dateInt: number, years: number): number {
  if (!isValidDateInt(dateInt)) throw new ValidationError('date', 'date', `${dateInt} is not a real YYYYMMDD date`);
  if (!Number.isInteger(years)) throw new ValidationError('years', 'integer', `${years} is not a whole number of years`);
  const year = Math.floor(dateInt / 10000) + years;
  const month = Math.floor(dateInt / 100) % 100;
  const day = Math.min(dateInt % 100, daysInMonth(year, month));
  const result = year * 10000 + month * 100 + day;
  if (!isValidDateInt(result)) throw new ValidationError('years', 'date-range', `${dateInt} + ${years} years leaves ${MIN_YEAR}..${MAX_YEAR}`);
  return result;
}
