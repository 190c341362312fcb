import { randomBytes, randomInt } from 'node:crypto';
import { SNARK_FIELD } from '@zkkyc/credentials';
import { IMPORT_COLUMNS, type ImportColumn } from './import-file.js';

/**
 * Synthetic customers in the import file's shape, for the benchmark, the tests and an operator's
 * dry run on a scratch database: every row valid, distinct customers and persons, a syntactically
 * valid did:key per holder (no key behind it) and a random identity commitment.
 */
export type SampleCustomer = Record<ImportColumn, string | string[]>;

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += BASE58[b % 58];
  return out;
}

export function sampleCustomers(count: number, options: { prefix?: string; expiryDate: string }): SampleCustomer[] {
  const prefix = options.prefix ?? 'cust';
  const run = randomBytes(4).toString('hex').toUpperCase();
  return Array.from({ length: count }, (_, i) => ({
    customerId: `${prefix}-${i + 1}`,
    holderDid: `did:key:z6Mk${base58(44)}`,
    identityCommitment: ((BigInt(`0x${randomBytes(31).toString('hex')}`) % (SNARK_FIELD - 1n)) + 1n).toString(),
    jurisdiction: ['FR', 'DE', 'NL', 'IE'][i % 4],
    birthDate: `19${60 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`,
    investorClasses: i % 3 === 0 ? ['professional-eu'] : [],
    kycLevel: String(1 + (i % 3)),
    expiryDate: options.expiryDate,
    documentType: 'passport',
    issuingCountry: 'FR',
    documentNumber: `${run}${String(i).padStart(9, '0')}${randomInt(10)}`,
    familyName: `Martin${i}`,
    givenNames: i % 7 === 0 ? '' : 'Claire',
  }));
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function toCsv(rows: Array<Partial<Record<ImportColumn, string | string[]>>>): string {
  const lines = [IMPORT_COLUMNS.join(',')];
  for (const r of rows) lines.push(IMPORT_COLUMNS.map((c) => csvCell(Array.isArray(r[c]) ? (r[c] as string[]).join(';') : ((r[c] as string | undefined) ?? ''))).join(','));
  return lines.join('\n') + '\n';
}

export function toJsonLines(rows: Array<Partial<Record<ImportColumn, string | string[]>>>): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
