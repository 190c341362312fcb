import type {
  ApplicationRecord,
  ApplicationStatus,
  AuditEventRecord,
  CredentialRecord,
  DecisionRecord,
  DisclosureRecord,
  ProposalRecord,
  ScreeningMatchRecord,
  ScreeningMatchStatus,
  SealedIdentityRecord,
  StatusListRecord,
} from './issuer-store.js';

/**
 * The table rows both SQL backends share (same columns, same names) and their mapping to records,
 * so SQLite and Postgres cannot drift apart in how they read a credential or an application.
 */

export interface ApplicationRow {
  id: string;
  holder_did: string;
  identity_commitment: string;
  attributes_json: string;
  status: ApplicationStatus;
  access_token_hash: string;
  challenge_nonce: string;
  created_at: number;
  updated_at: number;
}

export interface CredentialRow {
  id: string;
  application_id: string;
  holder_did: string;
  leaf_index: number;
  leaf: string;
  salt: string;
  attributes_json: string;
  expiry_date: string;
  vc_jwt: string;
  status: 'active' | 'revoked';
  issued_at: number;
  revoked_at: number | null;
  person_key?: string | null;
  format?: 'vc1.1' | 'vc2';
  status_list?: number | null;
  status_index?: number | null;
}

export const STORE_TABLES = [
  'challenges',
  'applications',
  'credentials',
  'leaves',
  'decisions',
  'root_publications',
  'proposals',
  'audit_events',
  'veramo_keys',
  'veramo_private_keys',
  'veramo_dids',
  'identity_records',
  'disclosures',
  'screening_matches',
  'status_lists',
] as const;

export interface ScreeningMatchRow {
  id: number | string;
  credential_id: string;
  source: string;
  entry_uid: string;
  entry_name: string;
  matched_name: string;
  score: number | string;
  reasons_json: string;
  status: ScreeningMatchStatus;
  reported_by: string;
  reported_at: number | string;
  decided_by: string | null;
  decided_at: number | string | null;
  decision_reason: string | null;
}

export const SCREENING_MATCH_COLUMNS = 'credential_id, source, entry_uid, entry_name, matched_name, score, reasons_json, status, reported_by, reported_at, decided_by, decided_at, decision_reason';

export function screeningMatchValues(m: Omit<ScreeningMatchRecord, 'id'>): unknown[] {
  return [m.credentialId, m.source, m.entryUid, m.entryName, m.matchedName, m.score, JSON.stringify(m.reasons), m.status, m.reportedBy, m.reportedAt, m.decidedBy, m.decidedAt, m.decisionReason];
}

export function toScreeningMatch(r: ScreeningMatchRow): ScreeningMatchRecord {
  return {
    id: Number(r.id),
    credentialId: r.credential_id,
    source: r.source,
    entryUid: r.entry_uid,
    entryName: r.entry_name,
    matchedName: r.matched_name,
    score: Number(r.score),
    reasons: JSON.parse(r.reasons_json),
    status: r.status,
    reportedBy: r.reported_by,
    reportedAt: Number(r.reported_at),
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    decisionReason: r.decision_reason,
  };
}

export function toApplication(r: ApplicationRow): ApplicationRecord {
  return {
    id: r.id,
    holderDid: r.holder_did,
    identityCommitment: r.identity_commitment,
    attributes: JSON.parse(r.attributes_json),
    status: r.status,
    accessTokenHash: r.access_token_hash,
    challengeNonce: r.challenge_nonce,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toCredential(r: CredentialRow): CredentialRecord {
  return {
    id: r.id,
    applicationId: r.application_id,
    holderDid: r.holder_did,
    leafIndex: r.leaf_index,
    leaf: r.leaf,
    salt: r.salt,
    attributes: JSON.parse(r.attributes_json),
    expiryDate: r.expiry_date,
    vcJwt: r.vc_jwt,
    status: r.status,
    issuedAt: r.issued_at,
    revokedAt: r.revoked_at,
    personKey: r.person_key ?? null,
    format: r.format ?? 'vc1.1',
    statusList: r.status_list ?? null,
    statusIndex: r.status_index ?? null,
  };
}

export interface StatusListRow {
  id: number;
  purpose: 'revocation';
  bits: Buffer;
  version: number;
  updated_at: number;
  signed_jwt: string | null;
  signed_version: number | null;
  signed_at: number | null;
}

export function toStatusList(r: StatusListRow): StatusListRecord {
  return {
    id: r.id,
    purpose: r.purpose,
    bits: new Uint8Array(r.bits),
    version: r.version,
    updatedAt: r.updated_at,
    signedJwt: r.signed_jwt,
    signedVersion: r.signed_version,
    signedAt: r.signed_at,
  };
}

/** The INSERT of a credential row: its columns, and its values in that order. */
export const CREDENTIAL_COLUMNS =
  'id, application_id, holder_did, leaf_index, leaf, salt, attributes_json, expiry_date, vc_jwt, status, issued_at, revoked_at, person_key, format, status_list, status_index';

export function credentialValues(c: CredentialRecord): unknown[] {
  return [
    c.id,
    c.applicationId,
    c.holderDid,
    c.leafIndex,
    c.leaf,
    c.salt,
    JSON.stringify(c.attributes),
    c.expiryDate,
    c.vcJwt,
    c.status,
    c.issuedAt,
    c.revokedAt,
    c.personKey ?? null,
    c.format ?? 'vc1.1',
    c.statusList ?? null,
    c.statusIndex ?? null,
  ];
}

export interface ProposalRow {
  id: number;
  application_id: string;
  reviewer: string;
  attributes_json: string;
  person_key: string;
  sealed_person?: string | null;
  reason: string | null;
  proposed_at: number;
  level_from_reviewer?: number | null;
}

export function toProposal(r: ProposalRow): ProposalRecord {
  return {
    id: r.id,
    applicationId: r.application_id,
    reviewer: r.reviewer,
    attributes: JSON.parse(r.attributes_json),
    personKey: r.person_key,
    sealedPerson: r.sealed_person ?? null,
    reason: r.reason,
    proposedAt: r.proposed_at,
    levelFromReviewer: Number(r.level_from_reviewer ?? 0) === 1,
  };
}

/** What the retention purge leaves of a purged application's audit event detail. */
export const PURGED_DETAIL = JSON.stringify({ purged: true });

export interface AuditEventRow {
  id: number;
  at: number;
  actor: string;
  role: string;
  action: AuditEventRecord['action'];
  subject_type: AuditEventRecord['subjectType'];
  subject_id: string | null;
  detail_json: string;
}

export function toAuditEvent(r: AuditEventRow): AuditEventRecord & { id: number } {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    role: r.role,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    detail: JSON.parse(r.detail_json),
  };
}

export interface DecisionRow {
  subject_type: DecisionRecord['subjectType'];
  subject_id: string;
  action: DecisionRecord['action'];
  reviewer: string;
  reason: string | null;
  decided_at: number;
}

export function toDecision(r: DecisionRow): DecisionRecord {
  return {
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    action: r.action,
    reviewer: r.reviewer,
    reason: r.reason,
    decidedAt: r.decided_at,
  };
}

export interface IdentityRecordRow {
  credential_id: string;
  leaf_index: number;
  sealed_record: string | null;
  valid_until: number;
  created_at: number;
  purged_at: number | null;
}

export function toIdentityRecord(r: IdentityRecordRow): SealedIdentityRecord {
  return {
    credentialId: r.credential_id,
    leafIndex: r.leaf_index,
    sealed: r.sealed_record,
    validUntil: r.valid_until,
    createdAt: r.created_at,
    purgedAt: r.purged_at,
  };
}

export interface DisclosureRow {
  id: string;
  officer: string;
  chain_id: string;
  log_address: string;
  request_id: string;
  policy_id: string;
  case_ref_hash: string;
  registration_tx: string;
  registration_log_index: number;
  escrow_c: string;
  leaf_index: number;
  credential_id: string;
  disclosed_at: number;
}

export function toDisclosure(r: DisclosureRow): DisclosureRecord {
  return {
    id: r.id,
    officer: r.officer,
    chainId: r.chain_id,
    logAddress: r.log_address,
    requestId: r.request_id,
    policyId: r.policy_id,
    caseRefHash: r.case_ref_hash,
    registrationTx: r.registration_tx,
    registrationLogIndex: r.registration_log_index,
    escrowC: r.escrow_c,
    leafIndex: r.leaf_index,
    credentialId: r.credential_id,
    disclosedAt: r.disclosed_at,
  };
}

/** The columns of `disclosures` in insert order, and a record's values in that order. */
export const DISCLOSURE_COLUMNS =
  'id, officer, chain_id, log_address, request_id, policy_id, case_ref_hash, registration_tx, registration_log_index, escrow_c, leaf_index, credential_id, disclosed_at';

export function disclosureValues(d: DisclosureRecord): unknown[] {
  return [d.id, d.officer, d.chainId, d.logAddress, d.requestId, d.policyId, d.caseRefHash, d.registrationTx, d.registrationLogIndex, d.escrowC, d.leafIndex, d.credentialId, d.disclosedAt];
}

/** The audit event a retention purge writes for one identity record: which, and when its credential ended; nothing personal. */
export function identityRecordPurgeAudit(now: number, r: { credential_id: string; leaf_index: number; ended_at: number }): AuditEventRecord {
  return {
    at: now,
    actor: 'retention',
    role: 'retention',
    action: 'purge-identity-record',
    subjectType: 'credential',
    subjectId: r.credential_id,
    detail: { leafIndex: Number(r.leaf_index), credentialEndedAt: new Date(Number(r.ended_at)).toISOString() },
  };
}

/**
 * Live identity records whose credential ended before `$cutoff`: revoked before it, or valid until
 * before it (whichever came first ended it). `ended_at` is that moment.
 */
// Two halves, each served by an index (identity_records_live; credentials_revoked, migration 12):
// one OR across the two tables read every record at each purge (10 million rows at scale).
const ENDED_AT = 'CASE WHEN c.revoked_at IS NOT NULL AND c.revoked_at < r.valid_until THEN c.revoked_at ELSE r.valid_until END';
export const ENDED_IDENTITY_RECORDS = `
  SELECT credential_id, leaf_index, ended_at FROM (
    SELECT r.credential_id, r.leaf_index, ${ENDED_AT} AS ended_at
      FROM credentials c JOIN identity_records r ON r.credential_id = c.id
     WHERE c.revoked_at IS NOT NULL AND c.revoked_at < ? AND r.purged_at IS NULL
    UNION
    SELECT r.credential_id, r.leaf_index, ${ENDED_AT} AS ended_at
      FROM identity_records r JOIN credentials c ON c.id = r.credential_id
     WHERE r.purged_at IS NULL AND r.valid_until < ?
  ) AS ended
   ORDER BY leaf_index`;

/** One audit event's row, for every writer (the stores and the bulk writers). */
export const INSERT_AUDIT_EVENT = 'INSERT INTO audit_events (at, actor, role, action, subject_type, subject_id, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?)';

export function auditEventValues(e: AuditEventRecord): unknown[] {
  return [e.at, e.actor, e.role, e.action, e.subjectType, e.subjectId, JSON.stringify(e.detail)];
}
