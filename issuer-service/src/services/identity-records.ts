import { randomBytes } from 'node:crypto';
import type { IssuedAttributes, SealedIdentityRecord } from '../store/issuer-store.js';
import { SecretBox } from '../store/secret-box.js';
import type { VerifiedPerson } from './person-binding.js';

/**
 * The verified identity record behind a credential (issue 10, item 5; DESIGN §9): the person as
 * the reviewer verified them from the identity document, the credential's final attributes, its
 * id, leaf index, issue time and validity, and who proposed and approved it. It is what the
 * issuer's disclosure officer reads when a disclosure request, logged on chain, names the
 * credential's leaf (services/disclosures.ts) — and nothing else reads it.
 *
 * At rest it is sealed with AES-256-GCM under a **data key of its own**: 32 random bytes made with
 * the database and kept in `settings` (`identity_record_key`), sealed by the key box derived from
 * ISSUER_KEY_SECRET (scrypt, per-database salt; store/secret-box.ts) with its own purpose as the
 * associated data. So the records are protected by the operator's one secret, yet a key used for
 * nothing else: rotating the secret re-seals one setting, not every record, and the person HMAC key
 * and the issuer's signing key are separate keys.
 *
 * Each record's associated data names its row — `zkkyc-identity-record-v1|<credential id>|<leaf
 * index>` — so a sealed record copied onto another credential's row fails to open, and the opened
 * record must name the same credential and leaf again. A proposal's person is sealed the same way,
 * bound to its application and person key, until the approval moves it into the record.
 */

export const IDENTITY_RECORD_KEY_SETTING = 'identity_record_key';

/** Who vouched for the record: the reviewer who proposed the verified values, and the approver. */
export interface RecordVerifier {
  name: string;
  role: string;
  action: 'proposed' | 'approved';
  /** ms since the epoch. */
  at: number;
}

/** The plain identity record, as only a disclosure officer ever sees it. */
export interface IdentityRecord {
  version: 1;
  credentialId: string;
  leafIndex: number;
  /** The person exactly as verified (null for dev auto-approvals, which are bound to nobody). */
  person: VerifiedPerson | null;
  attributes: IssuedAttributes;
  /** ms since the epoch. */
  issuedAt: number;
  /** The credential's expiry date, YYYY-MM-DD (valid through that day, UTC). */
  validUntil: string;
  verifiedBy: RecordVerifier[];
}

const DAY_MS = 86_400_000;

/** The end of a credential valid through `expiryDate` (YYYY-MM-DD): the start of the next UTC day, in ms. */
export function validityEnd(expiryDate: string): number {
  return Date.parse(`${expiryDate}T00:00:00Z`) + DAY_MS;
}

/** Only the six verified fields, in a fixed order: nothing else a caller sent is kept. */
export function personFields(p: VerifiedPerson): VerifiedPerson {
  return {
    documentType: p.documentType,
    issuingCountry: p.issuingCountry,
    documentNumber: p.documentNumber,
    familyName: p.familyName,
    givenNames: p.givenNames,
    birthDate: p.birthDate,
  };
}

/** Raised when a sealed record or person does not open: a wrong key, an altered value, or a row moved. */
export class IdentityRecordSealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityRecordSealError';
  }
}

const recordAad = (credentialId: string, leafIndex: number) => `zkkyc-identity-record-v1|${credentialId}|${leafIndex}`;
const personAad = (applicationId: string, personKey: string) => `zkkyc-proposal-person-v1|${applicationId}|${personKey}`;

/** Seals and opens identity records (and proposals' persons) with this database's record key. */
export class IdentityRecordVault {
  private constructor(private readonly box: SecretBox) {}

  /** Loads (creating on first start) the record key, sealed by `keyBox` (the secret-derived box). */
  static async open(store: { initSetting(key: string, value: string): Promise<string> }, keyBox: SecretBox): Promise<IdentityRecordVault> {
    const sealed = await store.initSetting(IDENTITY_RECORD_KEY_SETTING, keyBox.seal(randomBytes(32).toString('hex'), IDENTITY_RECORD_KEY_SETTING));
    return new IdentityRecordVault(SecretBox.fromKey(Buffer.from(keyBox.open(sealed, IDENTITY_RECORD_KEY_SETTING), 'hex')));
  }

  /** The row for `record`, sealed and bound to its credential id and leaf index. */
  seal(record: IdentityRecord, createdAt: number): SealedIdentityRecord {
    return {
      credentialId: record.credentialId,
      leafIndex: record.leafIndex,
      sealed: this.box.seal(JSON.stringify(record), recordAad(record.credentialId, record.leafIndex)),
      validUntil: validityEnd(record.validUntil),
      createdAt,
      purgedAt: null,
    };
  }

  /** Opens a live row; throws IdentityRecordSealError if it does not open or names another credential. */
  open(row: SealedIdentityRecord): IdentityRecord {
    if (row.sealed === null) throw new IdentityRecordSealError(`the identity record of credential ${row.credentialId} was purged`);
    let record: IdentityRecord;
    try {
      record = JSON.parse(this.box.open(row.sealed, recordAad(row.credentialId, row.leafIndex))) as IdentityRecord;
    } catch {
      throw new IdentityRecordSealError(`the identity record of credential ${row.credentialId} does not open (altered, moved from another row, or another key)`);
    }
    if (record.credentialId !== row.credentialId || record.leafIndex !== row.leafIndex) {
      throw new IdentityRecordSealError(`the identity record of credential ${row.credentialId} names another credential`);
    }
    return record;
  }

  /** A proposal's verified person, sealed and bound to the application and the person key. */
  sealPerson(person: VerifiedPerson, applicationId: string, personKey: string): string {
    return this.box.seal(JSON.stringify(personFields(person)), personAad(applicationId, personKey));
  }

  openPerson(sealed: string, applicationId: string, personKey: string): VerifiedPerson {
    try {
      return JSON.parse(this.box.open(sealed, personAad(applicationId, personKey))) as VerifiedPerson;
    } catch {
      throw new IdentityRecordSealError(`the verified person of a proposal for application ${applicationId} does not open`);
    }
  }
}
