import { ValidationError } from './errors.js';

/**
 * The ISO 3166-1 alpha-2 codes, sorted alphabetically. A code's position in this list is the number
 * the circuit compares, so the list is fixed: appending or reordering would silently move every
 * credential and policy mask to another country. 249 codes, AD = 0 … ZW = 248.
 */
export const JURISDICTIONS: readonly string[] = Object.freeze([
  'AD', 'AE', 'AF', 'AG', 'AI', 'AL', 'AM', 'AO', 'AQ', 'AR', 'AS', 'AT', 'AU', 'AW', 'AX', 'AZ',
  'BA', 'BB', 'BD', 'BE', 'BF', 'BG', 'BH', 'BI', 'BJ', 'BL', 'BM', 'BN', 'BO', 'BQ', 'BR', 'BS',
  'BT', 'BV', 'BW', 'BY', 'BZ', 'CA', 'CC', 'CD', 'CF', 'CG', 'CH', 'CI', 'CK', 'CL', 'CM', 'CN',
  'CO', 'CR', 'CU', 'CV', 'CW', 'CX', 'CY', 'CZ', 'DE', 'DJ', 'DK', 'DM', 'DO', 'DZ', 'EC', 'EE',
  'EG', 'EH', 'ER', 'ES', 'ET', 'FI', 'FJ', 'FK', 'FM', 'FO', 'FR', 'GA', 'GB', 'GD', 'GE', 'GF',
  'GG', 'GH', 'GI', 'GL', 'GM', 'GN', 'GP', 'GQ', 'GR', 'GS', 'GT', 'GU', 'GW', 'GY', 'HK', 'HM',
  'HN', 'HR', 'HT', 'HU', 'ID', 'IE', 'IL', 'IM', 'IN', 'IO', 'IQ', 'IR', 'IS', 'IT', 'JE', 'JM',
  'JO', 'JP', 'KE', 'KG', 'KH', 'KI', 'KM', 'KN', 'KP', 'KR', 'KW', 'KY', 'KZ', 'LA', 'LB', 'LC',
  'LI', 'LK', 'LR', 'LS', 'LT', 'LU', 'LV', 'LY', 'MA', 'MC', 'MD', 'ME', 'MF', 'MG', 'MH', 'MK',
  'ML', 'MM', 'MN', 'MO', 'MP', 'MQ', 'MR', 'MS', 'MT', 'MU', 'MV', 'MW', 'MX', 'MY', 'MZ', 'NA',
  'NC', 'NE', 'NF', 'NG', 'NI', 'NL', 'NO', 'NP', 'NR', 'NU', 'NZ', 'OM', 'PA', 'PE', 'PF', 'PG',
  'PH', 'PK', 'PL', 'PM', 'PN', 'PR', 'PS', 'PT', 'PW', 'PY', 'QA', 'RE', 'RO', 'RS', 'RU', 'RW',
  'SA', 'SB', 'SC', 'SD', 'SE', 'SG', 'SH', 'SI', 'SJ', 'SK', 'SL', 'SM', 'SN', 'SO', 'SR', 'SS',
  'ST', 'SV', 'SX', 'SY', 'SZ', 'TC', 'TD', 'TF', 'TG', 'TH', 'TJ', 'TK', 'TL', 'TM', 'TN', 'TO',
  'TR', 'TT', 'TV', 'TW', 'TZ', 'UA', 'UG', 'UM', 'US', 'UY', 'UZ', 'VA', 'VC', 'VE', 'VG', 'VI',
  'VN', 'VU', 'WF', 'WS', 'YE', 'YT', 'ZA', 'ZM', 'ZW',
]);

const INDEX_BY_CODE: ReadonlyMap<string, number> = new Map(JURISDICTIONS.map((code, i) => [code, i]));

/**
 * The encoding of an upper-case alpha-2 code. Throws for anything not in ISO 3166-1 (lower case
 * too: one spelling per country keeps the VC and the leaf from ever disagreeing).
 */
export function jurisdictionIndex(code: string, field = 'jurisdiction'): number {
  const index = typeof code === 'string' ? INDEX_BY_CODE.get(code) : undefined;
  if (index === undefined) {
    throw new ValidationError(field, 'iso3166-alpha2', `${JSON.stringify(code)} is not an ISO 3166-1 alpha-2 country code`);
  }
  return index;
}

/** The alpha-2 code for an encoded jurisdiction. Throws for an index outside 0..248. */
export function jurisdictionCode(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= JURISDICTIONS.length) {
    throw new ValidationError('jurisdiction', 'iso3166-index', `${index} is not a jurisdiction index (0..${JURISDICTIONS.length - 1})`);
  }
  return JURISDICTIONS[index];
}

/** A policy's allow-list as a bit mask: bit j set = jurisdiction index j allowed. */
export function jurisdictionMask(codes: string[], field = 'jurisdictions'): bigint {
  if (!Array.isArray(codes)) throw new ValidationError(field, 'array', 'must be an array of ISO 3166-1 alpha-2 codes');
  let mask = 0n;
  for (const code of codes) mask |= 1n << BigInt(jurisdictionIndex(code, field));
  return mask;
}

/** The codes whose bits are set in a mask, in index order. Throws if a bit beyond ZW is set. */
export function jurisdictionsInMask(mask: bigint): string[] {
  if (typeof mask !== 'bigint' || mask < 0n || mask >> BigInt(JURISDICTIONS.length) !== 0n) {
    throw new ValidationError('jurisdictionMask', 'range', `must be a non-negative bigint below 2^${JURISDICTIONS.length}`);
  }
  const codes: string[] = [];
  for (let i = 0; i < JURISDICTIONS.length; i++) {
    if ((mask >> BigInt(i)) & 1n) codes.push(JURISDICTIONS[i]);
  }
  return codes;
}
