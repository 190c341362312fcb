import type { EncodedAttributes } from '@zkkyc/credentials';
import { checkIssuedAttributes, dateAfterDays, isValidationError, parseIdentityCommitment } from '../services/attribute-rules.js';
import type { HolderDidMethods } from '../services/holder-did-methods.js';
import type { VerifiedPerson } from '../services/person-binding.js';
import type { IssuedAttributes } from '../store/issuer-store.js';
import { IMPORT_COLUMNS, OPTIONAL_COLUMNS, type ImportColumn, type RawImportRow } from './import-file.js';

/**
 * The checks a row of an import file passes before anything is written: the same rules a reviewer's
 * approval enforces (services/issuance.ts, attribute-rules.ts, person-binding.ts) — a DID of an
 * accepted method, an identity commitment in the field, the attributes' encodings, a birth date in
 * the past, an expiry after today and within the maximum lifetime, a verified person whose birth
 * date is the credential's — plus the import's own: a customer id, unique in the file, and one
 * credential per person in the file. What the database decides (a customer already imported, a
 * person already holding an active credential) is checked by the importer against the store.
 */

/** A customer id: what the operator's own system calls the customer; the import's idempotency key. */
const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;

export interface ImportRow {
  row: number;
  customerId: string;
  holderDid: string;
  identityCommitment: bigint;
  attributes: IssuedAttributes;
  encoded: EncodedAttributes;
  person: VerifiedPerson;
  personKey: string;
}

/** Why one row cannot be imported: its row number, the column and the rule, in words. */
export interface RowError {
  row: number;
  customerId?: string;
  field: string;
  rule: string;
  message: string;
}

export function describeRowError(e: RowError): string {
  return `row ${e.row}${e.customerId ? ` (customer ${e.customerId})` : ''}: ${e.field}: ${e.message} (rule ${e.rule})`;
}

export interface RowRules {
  now: Date;
  maxLifetimeDays: number;
  holderDids: HolderDidMethods;
  /** The person's key (HMAC of the document identity), validating the person; throws an error naming `person.<field>`. */
  personKey(person: VerifiedPerson, birthDate: string): string;
}

/** Field names as the file spells them: the services' error fields (`attributes.x`, `person.x`) map back to columns. */
function columnOf(field: string): string {
  const name = field.replace(/^(attributes|person)\./, '');
  return (IMPORT_COLUMNS as readonly string[]).includes(name) ? name : field;
}

function asRowError(row: number, customerId: string | undefined, err: unknown): RowError {
  const e = err as { field?: unknown; rule?: unknown; message?: unknown };
  if ((isValidationError(err) || (err instanceof Error && typeof e.field === 'string')) && typeof e.field === 'string') {
    return { row, customerId, field: columnOf(e.field), rule: typeof e.rule === 'string' ? e.rule : 'invalid', message: String(e.message) };
  }
  throw err;
}

/** Checks one row; returns the row ready to issue, or why not. */
export function checkImportRow(raw: RawImportRow, rules: RowRules): ImportRow | RowError {
  const v = raw.values;
  const customerId = typeof v.customerId === 'string' && v.customerId !== '' ? v.customerId : undefined;
  for (const column of IMPORT_COLUMNS) {
    const value = v[column];
    const empty = value === undefined || (typeof value === 'string' && value === '') || (Array.isArray(value) && value.length === 0 && column !== 'investorClasses');
    if (empty && !OPTIONAL_COLUMNS.includes(column)) {
      return { row: raw.row, customerId, field: column, rule: 'required', message: `${column} is required` };
    }
  }
  const text = (c: ImportColumn) => (v[c] as string | undefined) ?? '';
  if (!CUSTOMER_ID.test(text('customerId'))) {
    return { row: raw.row, customerId: undefined, field: 'customerId', rule: 'customer-id', message: '1..128 characters: letters, digits and . _ : @ / -, starting with a letter or digit' };
  }
  if (!/^(0|[1-9]\d{0,2})$/.test(text('kycLevel'))) {
    return { row: raw.row, customerId, field: 'kycLevel', rule: 'uint8', message: `"${text('kycLevel').slice(0, 10)}" is not an integer 0..255` };
  }
  try {
    const holderDid = rules.holderDids.normalise(text('holderDid'), 'holderDid');
    const identityCommitment = parseIdentityCommitment(text('identityCommitment'));
    const attributes: IssuedAttributes = {
      jurisdiction: text('jurisdiction'),
      birthDate: text('birthDate'),
      investorClasses: (v.investorClasses as string[] | undefined) ?? [],
      kycLevel: Number(text('kycLevel')),
      expiryDate: text('expiryDate'),
    };
    const encoded = checkIssuedAttributes(attributes, rules.now);
    const limit = dateAfterDays(rules.now, rules.maxLifetimeDays);
    if (attributes.expiryDate > limit) {
      return {
        row: raw.row,
        customerId,
        field: 'expiryDate',
        rule: 'max-lifetime',
        message: `${attributes.expiryDate} is beyond the maximum credential lifetime of ${rules.maxLifetimeDays} days: at most ${limit}`,
      };
    }
    const person = {
      documentType: text('documentType'),
      issuingCountry: text('issuingCountry'),
      documentNumber: text('documentNumber'),
      familyName: text('familyName'),
      givenNames: text('givenNames'),
      birthDate: attributes.birthDate,
    } as VerifiedPerson;
    const personKey = rules.personKey(person, attributes.birthDate);
    return { row: raw.row, customerId: customerId as string, holderDid, identityCommitment, attributes, encoded, person, personKey };
  } catch (err) {
    return asRowError(raw.row, customerId, err);
  }
}

export const isRowError = (r: ImportRow | RowError): r is RowError => (r as RowError).rule !== undefined;

/**
 * Checks every row and the rules between rows: a customer id or a person appears once in a file
 * (the later row is the error, naming the earlier one).
 */
export function checkImportRows(raws: RawImportRow[], rules: RowRules): { rows: ImportRow[]; errors: RowError[] } {
  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const customers = new Map<string, number>();
  const persons = new Map<string, number>();
  for (const raw of raws) {
    const checked = checkImportRow(raw, rules);
    if (isRowError(checked)) {
      errors.push(checked);
      continue;
    }
    const earlier = customers.get(checked.customerId);
    if (earlier !== undefined) {
      errors.push({ row: raw.row, customerId: checked.customerId, field: 'customerId', rule: 'unique-in-file', message: `customer ${checked.customerId} is already on row ${earlier}` });
      continue;
    }
    customers.set(checked.customerId, raw.row);
    const samePerson = persons.get(checked.personKey);
    if (samePerson !== undefined) {
      errors.push({
        row: raw.row,
        customerId: checked.customerId,
        field: 'documentNumber',
        rule: 'one-person-one-credential',
        message: `the same person (document type, issuing country, number, birth date) is on row ${samePerson}; a person holds one active credential`,
      });
      continue;
    }
    persons.set(checked.personKey, raw.row);
    rows.push(checked);
  }
  return { rows, errors };
}
