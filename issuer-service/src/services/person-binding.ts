import { createHmac, randomBytes } from 'node:crypto';
import { JURISDICTIONS, dateToInt } from '@zkkyc/credentials';
import { invalidField } from '../api-error.js';
import type { IssuerStore } from '../store/issuer-store.js';
import type { SecretBox } from '../store/secret-box.js';

/**
 * One person, one investor (DESIGN §10). Per-investor limits on chain count nullifiers, and a
 * nullifier follows the holder's identity secret, not the person: a person who applies twice with
 * two secrets would be two investors. So the issuer binds every credential to the person its
 * reviewer verified and keeps at most one active credential per person (a partial unique index in
 * the database; a new credential replaces the old one in the same transaction, and only when the
 * approval names it — services/issuance.ts).
 *
 * The person key is the document identity only — document type, issuing country, document number
 * (case, spaces, dashes, dots and slashes ignored) — plus the birth date. Names are required and
 * checked on approval but are not part of the key: the same passport spelt as printed ("Müller")
 * or as in its machine-readable zone ("MUELLER"), with a given name left out, or in another script,
 * is the same person. Invisible characters (Unicode format and control characters: zero-width
 * spaces, soft hyphens, NUL…) are refused in every field, so they cannot make a "new" number.
 * What the key cannot see (docs/issuer-service.md, "One person, one credential"): two documents of
 * one person (a passport and an ID card), a renewed passport with a new number, and a number typed
 * with O for 0 — the reviewer's checks cover those.
 *
 * The person is stored only as a keyed hash, `HMAC-SHA256(personKey, canonical form)`: useless to
 * anyone holding the database without the key. The HMAC key is 32 random bytes created with the
 * database and sealed in `settings` by the key box derived from ISSUER_KEY_SECRET, so it is
 * protected by the service secret and survives rotating it (re-sealing), while a leaked table of
 * person keys cannot be matched against a list of passport numbers.
 */

export const DOCUMENT_TYPES = ['passport', 'national-id', 'driving-licence', 'residence-permit'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** The document identity as the reviewer verified it. Never stored as such. */
export interface VerifiedPerson {
  documentType: DocumentType;
  /** ISO 3166-1 alpha-2 of the issuing state. */
  issuingCountry: string;
  documentNumber: string;
  /** Required (a letter at least) and checked, but not part of the person key. */
  familyName: string;
  /** May be empty (people with a single name); not part of the person key. */
  givenNames: string;
  /** YYYY-MM-DD; must equal the credential's birth date. */
  birthDate: string;
}

/** `field` is the request path of the person object, `person` on both routes. */
const F = 'person';

/** Unicode control (Cc: NUL, C0, C1) and format (Cf: zero-width spaces and joiners, soft hyphen, bidi marks) characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;

/** Names must hold a letter; they are checked, never part of the key. */
function checkName(value: string, field: string, allowEmpty: boolean): void {
  if (!allowEmpty && !/\p{L}/u.test(value)) throw invalidField(`${F}.${field}`, 'name', `${field} must contain at least one letter`);
}

/**
 * The canonical text of a verified person (validated, each field's error naming `person.<field>`):
 * document type, issuing country, normalised number and birth date. `birthDate` must equal the
 * credential's birth date: a reviewer who verified a document of someone born on another day is
 * not verifying this applicant.
 */
export function canonicalPerson(p: VerifiedPerson, credentialBirthDate: string): string {
  for (const field of ['documentType', 'issuingCountry', 'documentNumber', 'familyName', 'givenNames', 'birthDate'] as const) {
    const value = p[field];
    if (typeof value === 'string' && INVISIBLE.test(value)) {
      throw invalidField(`${F}.${field}`, 'no-invisible-characters', `${field} contains an invisible (control or format) character; type the value as printed on the document`);
    }
  }
  if (!(DOCUMENT_TYPES as readonly string[]).includes(p.documentType)) {
    throw invalidField(`${F}.documentType`, 'enum', `documentType must be one of ${DOCUMENT_TYPES.join(', ')}`);
  }
  const country = typeof p.issuingCountry === 'string' ? p.issuingCountry.trim().toUpperCase() : '';
  if (!JURISDICTIONS.includes(country)) throw invalidField(`${F}.issuingCountry`, 'iso3166-alpha2', `"${String(p.issuingCountry).slice(0, 8)}" is not an ISO 3166-1 alpha-2 code`);
  // Any dash (\p{Pd}: '-', '–', '—', …) is a separator like a space, a dot or a slash.
  const number = p.documentNumber
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\p{Pd}./]+/gu, '');
  if (!/^[A-Z0-9]{1,40}$/.test(number)) {
    throw invalidField(`${F}.documentNumber`, 'document-number', 'documentNumber must be 1..40 letters A-Z and digits (spaces, dashes, dots and slashes are ignored)');
  }
  checkName(p.familyName, 'familyName', false);
  checkName(p.givenNames, 'givenNames', true);
  try {
    dateToInt(p.birthDate, 'birthDate');
  } catch {
    throw invalidField(`${F}.birthDate`, 'date', `${JSON.stringify(p.birthDate).slice(0, 20)} is not a YYYY-MM-DD date`);
  }
  if (p.birthDate !== credentialBirthDate) {
    throw invalidField(`${F}.birthDate`, 'matches-attributes', `the verified birth date ${p.birthDate} differs from the credential's birth date ${credentialBirthDate}`);
  }
  // v2: names left out of the key (v1 had them, so a spelling made a second person).
  return ['zkkyc-person-v2', p.documentType, country, number, p.birthDate].join('\u001f');
}

const KEY_SETTING = 'person_hmac_key';

/** Computes person keys with this database's HMAC key. */
export class PersonBinder {
  private constructor(private readonly key: Buffer) {}

  /** Loads (creating on first start) the sealed HMAC key. */
  static async open(store: IssuerStore, box: SecretBox): Promise<PersonBinder> {
    const sealed = await store.initSetting(KEY_SETTING, box.seal(randomBytes(32).toString('hex'), KEY_SETTING));
    return new PersonBinder(Buffer.from(box.open(sealed, KEY_SETTING), 'hex'));
  }

  /** The person's key (64 hex characters); validates the person first. */
  keyOf(person: VerifiedPerson, credentialBirthDate: string): string {
    return createHmac('sha256', this.key).update(canonicalPerson(person, credentialBirthDate), 'utf8').digest('hex');
  }
}
