import type { InstanceLock } from './instance-lock.js';
import type { SqliteDb } from './sqlite-database.js';
import {
  DISCLOSURE_COLUMNS,
  disclosureValues,
  ENDED_IDENTITY_RECORDS,
  identityRecordPurgeAudit,
  PURGED_DETAIL,
  STORE_TABLES,
  toDisclosure,
  toIdentityRecord,
  toApplication,
  toAuditEvent,
  toCredential,
  toDecision,
  toProposal,
  type ApplicationRow,
  type AuditEventRow,
  type CredentialRow,
  type DecisionRow,
  type ProposalRow,
  type DisclosureRow,
  type IdentityRecordRow,
  SCREENING_MATCH_COLUMNS,
  screeningMatchValues,
  toScreeningMatch,
  type ScreeningMatchRow,
  CREDENTIAL_COLUMNS,
  credentialValues,
  toStatusList,
  type StatusListRow,
  INSERT_AUDIT_EVENT,
  auditEventValues,
} from './record-rows.js';
import { setStatusBit, STATUS_LIST_BYTES } from '@zkkyc/credentials';
import { emptyRoot, type NodeHash } from '@zkkyc/tree';
import {
  checkStoredDepth,
  defaultTreeShape,
  depthChangeRefused,
  FILL_PAGE,
  leafPage,
  parentPage,
  nodeKey,
  rowsFitDepth,
  toTreeNode,
  toTreeState,
  treeReads,
  treeWrite,
  STORED_TREE_DEPTH_SQL,
  TREE_DEPTH_SETTING,
  type TreeShape,
} from './tree-rows.js';
import {
  StoreConflict,
  type ApprovalDraft,
  type OpenTreeOptions,
  type ApprovalOutcome,
  type ApprovalWrite,
  type TreeNodeRecord,
  type TreeReader,
  type TreeStateRecord,
  type ApplicationRecord,
  type ApplicationStatus,
  type ChallengeRecord,
  type CredentialRecord,
  type AuditEventRecord,
  type DecisionRecord,
  type IssuerStore,
  type ProposalRecord,
  type LeafRecord,
  type RetentionPurge,
  type RootPublicationRecord,
  type DisclosureRecord,
  type SealedIdentityRecord,
  type ScreeningMatchClosure,
  type ScreeningMatchRecord,
  type ScreeningMatchStatus,
  type StatusListRecord,
  type PreAuthorizedCodeRecord,
  type Oid4vciAccessTokenRecord,
  type Oid4vciNonceRecord,
} from './issuer-store.js';

/** OpenID4VCI rows, selected under their record names (the same text runs on Postgres). */
const OID4VCI_OFFER = `SELECT code_hash AS "codeHash", application_id AS "applicationId", credential_id AS "credentialId", tx_code_hash AS "txCodeHash",
  failed_attempts AS "failedAttempts", created_at AS "createdAt", expires_at AS "expiresAt", redeemed_at AS "redeemedAt", voided_at AS "voidedAt" FROM oid4vci_offers WHERE code_hash = ?`;
const OID4VCI_TOKEN = `SELECT token_hash AS "tokenHash", code_hash AS "codeHash", application_id AS "applicationId", credential_id AS "credentialId",
  created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt" FROM oid4vci_access_tokens WHERE token_hash = ?`;
const OID4VCI_NONCE = `SELECT nonce_hash AS "nonceHash", created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt" FROM oid4vci_nonces WHERE nonce_hash = ?`;
const OID4VCI_TABLES = ['oid4vci_offers', 'oid4vci_access_tokens', 'oid4vci_nonces'];

function isUniqueViolation(err: unknown, needle: string): boolean {
  const e = err as { code?: string; message?: string };
  return (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') && typeof e.message === 'string' && e.message.includes(needle);
}

/**
 * `IssuerStore` over better-sqlite3. better-sqlite3 is synchronous, so each method runs to
 * completion before the event loop moves on; multi-row writes use `db.transaction`, which rolls
 * back when the function throws.
 */
export class SqliteIssuerStore implements IssuerStore {
  /** `instanceLock`: the service's one-instance lock (store/instance-lock.ts), released by `close()`. */
  constructor(
    private readonly db: SqliteDb,
    private readonly instanceLock?: InstanceLock,
  ) {}

  async getSetting(key: string): Promise<string | null> {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  async initSetting(key: string, value: string): Promise<string> {
    this.db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, value);
    return (await this.getSetting(key)) as string;
  }

  async createChallenge(c: ChallengeRecord): Promise<void> {
    this.db.prepare('INSERT INTO challenges (nonce, did, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)').run(c.nonce, c.did, c.createdAt, c.expiresAt, c.usedAt);
  }

  async getChallenge(nonce: string): Promise<ChallengeRecord | null> {
    const r = this.db.prepare('SELECT * FROM challenges WHERE nonce = ?').get(nonce) as { nonce: string; did: string; created_at: number; expires_at: number; used_at: number | null } | undefined;
    if (!r) return null;
    return { nonce: r.nonce, did: r.did, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at };
  }

  async pruneChallenges(now: number): Promise<number> {
    // Used challenges stay: applications reference them, and they document the proof of control.
    return this.db.prepare('DELETE FROM challenges WHERE used_at IS NULL AND expires_at < ?').run(now).changes;
  }

  async submitApplication(a: ApplicationRecord, now: number): Promise<void> {
    this.db.transaction(() => {
      const consumed = this.db.prepare('UPDATE challenges SET used_at = ? WHERE nonce = ? AND did = ? AND used_at IS NULL AND expires_at > ?').run(now, a.challengeNonce, a.holderDid, now);
      if (consumed.changes !== 1) throw new StoreConflict('challenge_unusable', 'challenge is unknown, used, expired or for another DID');
      try {
        this.db
          .prepare(
            `INSERT INTO applications (id, holder_did, identity_commitment, attributes_json, status, access_token_hash,
               challenge_nonce, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(a.id, a.holderDid, a.identityCommitment, JSON.stringify(a.attributes), a.status, a.accessTokenHash, a.challengeNonce, a.createdAt, a.updatedAt);
      } catch (err) {
        if (isUniqueViolation(err, 'applications.holder_did')) {
          throw new StoreConflict('application_pending', 'this DID already has a pending application');
        }
        throw err;
      }
    })();
  }

  async reissueAccessToken(args: { holderDid: string; applicationId?: string; challengeNonce: string; accessTokenHash: string; now: number }): Promise<ApplicationRecord> {
    return this.db.transaction(() => {
      const { holderDid, applicationId, challengeNonce, accessTokenHash, now } = args;
      const target = (
        applicationId === undefined
          ? this.db.prepare("SELECT id FROM applications WHERE holder_did = ? AND status IN ('pending', 'approved') ORDER BY created_at DESC, id DESC LIMIT 1").get(holderDid)
          : this.db.prepare("SELECT id FROM applications WHERE id = ? AND holder_did = ? AND status IN ('pending', 'approved')").get(applicationId, holderDid)
      ) as { id: string } | undefined;
      if (!target) throw new StoreConflict('application_not_found', 'no pending or approved application of this DID');
      const consumed = this.db.prepare('UPDATE challenges SET used_at = ? WHERE nonce = ? AND did = ? AND used_at IS NULL AND expires_at > ?').run(now, challengeNonce, holderDid, now);
      if (consumed.changes !== 1) throw new StoreConflict('challenge_unusable', 'challenge is unknown, used, expired or for another DID');
      this.db.prepare('UPDATE applications SET access_token_hash = ? WHERE id = ?').run(accessTokenHash, target.id);
      return toApplication(this.db.prepare('SELECT * FROM applications WHERE id = ?').get(target.id) as ApplicationRow);
    })();
  }

  async purgeRetained(args: { now: number; usedChallengesBefore: number; rejectedBefore: number; identityRecordsEndedBefore?: number }): Promise<RetentionPurge> {
    return this.db.transaction(() => {
      let identityRecords = 0;
      if (args.identityRecordsEndedBefore !== undefined) {
        const ended = this.db.prepare(ENDED_IDENTITY_RECORDS).all(args.identityRecordsEndedBefore, args.identityRecordsEndedBefore) as Array<{
          credential_id: string;
          leaf_index: number;
          ended_at: number;
        }>;
        const purge = this.db.prepare('UPDATE identity_records SET sealed_record = NULL, purged_at = ? WHERE credential_id = ? AND purged_at IS NULL');
        for (const r of ended) {
          identityRecords += purge.run(args.now, r.credential_id).changes;
          this.insertAudit([identityRecordPurgeAudit(args.now, r)]);
        }
      }
      const rejected = "SELECT id FROM applications WHERE status = 'rejected' AND updated_at < ?";
      const decisions = this.db.prepare(`DELETE FROM decisions WHERE subject_type = 'application' AND subject_id IN (${rejected})`).run(args.rejectedBefore).changes;
      // A rejected applicant's proposed attributes go with the application; its audit events keep
      // who did what and when, not what they said about the applicant.
      this.db.prepare(`DELETE FROM proposals WHERE application_id IN (${rejected})`).run(args.rejectedBefore);
      const auditEventsRedacted = this.db
        .prepare(`UPDATE audit_events SET detail_json = ? WHERE subject_type = 'application' AND subject_id IN (${rejected}) AND detail_json <> ?`)
        .run(PURGED_DETAIL, args.rejectedBefore, PURGED_DETAIL).changes;
      const applications = this.db.prepare("DELETE FROM applications WHERE status = 'rejected' AND updated_at < ?").run(args.rejectedBefore).changes;
      // A challenge an application still references is its proof of control: it stays with it.
      const challenges =
        this.db.prepare('DELETE FROM challenges WHERE used_at IS NOT NULL AND used_at < ? AND nonce NOT IN (SELECT challenge_nonce FROM applications)').run(args.usedChallengesBefore).changes +
        this.db.prepare('DELETE FROM challenges WHERE used_at IS NULL AND expires_at < ?').run(args.now).changes;
      return { challenges, applications, decisions, auditEventsRedacted, identityRecords };
    })();
  }

  async getApplication(id: string): Promise<ApplicationRecord | null> {
    const r = this.db.prepare('SELECT * FROM applications WHERE id = ?').get(id) as ApplicationRow | undefined;
    return r ? toApplication(r) : null;
  }

  async listApplications(q: { status?: ApplicationStatus; offset: number; limit: number }): Promise<ApplicationRecord[]> {
    const rows = q.status
      ? this.db.prepare('SELECT * FROM applications WHERE status = ? ORDER BY created_at, id LIMIT ? OFFSET ?').all(q.status, q.limit, q.offset)
      : this.db.prepare('SELECT * FROM applications ORDER BY created_at, id LIMIT ? OFFSET ?').all(q.limit, q.offset);
    return (rows as ApplicationRow[]).map(toApplication);
  }

  private insertDecision(d: DecisionRecord): void {
    this.db
      .prepare('INSERT INTO decisions (subject_type, subject_id, action, reviewer, reason, decided_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(d.subjectType, d.subjectId, d.action, d.reviewer, d.reason, d.decidedAt);
  }

  private closeApplication(id: string, status: ApplicationStatus, at: number): void {
    const r = this.db.prepare("UPDATE applications SET status = ?, updated_at = ? WHERE id = ? AND status = 'pending'").run(status, at, id);
    if (r.changes !== 1) throw new StoreConflict('application_not_pending', `application ${id} is not pending`);
  }

  private insertAudit(events: AuditEventRecord[] = []): void {
    const insert = this.db.prepare(INSERT_AUDIT_EVENT);
    for (const e of events) insert.run(...auditEventValues(e));
  }

  /** Revokes an active credential and zeroes its leaf (inside the caller's transaction); returns the leaf's index. */
  private revokeCredential(credentialId: string, at: number): number {
    const r = this.db.prepare("UPDATE credentials SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'").run(at, credentialId);
    if (r.changes !== 1) throw new StoreConflict('credential_not_active', `credential ${credentialId} is not active`);
    const zeroed = this.db.prepare("UPDATE leaves SET value = '0' WHERE credential_id = ? RETURNING leaf_index").get(credentialId) as { leaf_index: number } | undefined;
    // Its bit in the status list, in the same transaction: the list and the tree never disagree.
    const entry = this.db.prepare('SELECT status_list, status_index FROM credentials WHERE id = ?').get(credentialId) as { status_list: number | null; status_index: number | null };
    if (entry.status_list !== null && entry.status_index !== null) {
      const list = this.db.prepare('SELECT bits FROM status_lists WHERE id = ?').get(entry.status_list) as { bits: Buffer } | undefined;
      if (!list) throw new Error(`status list ${entry.status_list} of credential ${credentialId} is missing`);
      const bits = new Uint8Array(list.bits);
      setStatusBit(bits, entry.status_index);
      this.db.prepare('UPDATE status_lists SET bits = ?, version = version + 1, updated_at = ? WHERE id = ?').run(Buffer.from(bits), at, entry.status_list);
    }
    if (!zeroed) throw new Error(`credential ${credentialId} has no leaf`);
    return zeroed.leaf_index;
  }

  async recordApproval(write: ApprovalWrite): Promise<void> {
    const [outcome] = await this.recordApprovals([
      {
        build: async () => write,
      },
    ]);
    if (!outcome.ok) throw outcome.error;
  }

  /**
   * better-sqlite3 cannot await inside a transaction, so the drafts are built first (signing names
   * the index: `leaf_count`, +1 per draft) and then written in one synchronous transaction, each in
   * its own savepoint. When one is refused there, the ones after it were built for indices that
   * moved down by one: they are built again, with their new indices, in another round. One process
   * per file (the instance lock), so nothing else appends between the build and the write; a direct
   * `recordApproval` meanwhile only costs a round.
   */
  async recordApprovals(drafts: ApprovalDraft[]): Promise<ApprovalOutcome[]> {
    const shape = this.treeShape();
    const outcomes: ApprovalOutcome[] = new Array(drafts.length);
    let pending = drafts.map((_, i) => i);
    for (let round = 0; pending.length > 0; round++) {
      if (round === 8) {
        for (const i of pending) outcomes[i] = { ok: false, error: new StoreConflict('leaf_index_taken', 'the tree kept changing while these approvals were built') };
        break;
      }
      const first = this.readTreeState().leafCount;
      const built: Array<{ i: number; write: ApprovalWrite }> = [];
      for (const i of pending) {
        try {
          built.push({ i, write: await drafts[i].build(first + built.length) });
        } catch (error) {
          outcomes[i] = { ok: false, error };
        }
      }
      const retry: number[] = [];
      try {
        this.db.transaction(() => {
          this.assertStoredDepth(shape);
          if (this.readTreeState().leafCount !== first) {
            retry.push(...built.map((b) => b.i));
            return;
          }
          const changes = new Map<number, bigint>();
          let next = first;
          for (let k = 0; k < built.length; k++) {
            const { i, write } = built[k];
            try {
              // Nested: a savepoint, so a refused approval leaves the others of the batch.
              const own = this.db.transaction(() => this.writeApproval(write, next))();
              for (const [index, value] of own) changes.set(index, value);
              outcomes[i] = { ok: true, leafIndex: next };
              next++;
            } catch (error) {
              outcomes[i] = { ok: false, error };
              // The drafts after it were built for indices one too high: build them again.
              retry.push(...built.slice(k + 1).map((b) => b.i));
              break;
            }
          }
          if (changes.size > 0) this.writeTree(shape, changes, next);
        })();
      } catch (error) {
        // The whole transaction rolled back: every draft of it fails with the error (one refused in
        // its savepoint keeps its own reason).
        for (const { i } of built) if (!outcomes[i] || outcomes[i].ok) outcomes[i] = { ok: false, error };
        break;
      }
      pending = retry;
    }
    return outcomes;
  }

  /** One approval's rows (inside the caller's transaction); returns the leaves it changed. */
  private writeApproval({ credential: c, decision, replaces, audit, identityRecord }: ApprovalWrite, next: number): Map<number, bigint> {
    this.closeApplication(c.applicationId, 'approved', decision.decidedAt);
    // Leaves are appended without gaps, so the only index an approval may take is the next one.
    if (c.leafIndex !== next) throw new StoreConflict('leaf_index_taken', `leaf index ${c.leafIndex} is not the next free index (${next})`);
    const changes = new Map<number, bigint>();
    // The person's old credential goes first, so the one-active-per-person index admits the new one.
    if (replaces) {
      changes.set(this.revokeCredential(replaces.credentialId, replaces.decision.decidedAt), 0n);
      this.insertDecision(replaces.decision);
    }
    try {
      if (c.statusList != null) {
        // The list's row appears, empty, with its first credential.
        this.db
          .prepare("INSERT INTO status_lists (id, purpose, bits, version, updated_at) VALUES (?, 'revocation', ?, 0, ?) ON CONFLICT (id) DO NOTHING")
          .run(c.statusList, Buffer.alloc(STATUS_LIST_BYTES), c.issuedAt);
      }
      this.db
        .prepare(
          `INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES (${CREDENTIAL_COLUMNS.split(',')
            .map(() => '?')
            .join(', ')})`,
        )
        .run(...credentialValues(c));
      this.db.prepare('INSERT INTO leaves (leaf_index, value, credential_id) VALUES (?, ?, ?)').run(c.leafIndex, c.leaf, c.id);
    } catch (err) {
      if (isUniqueViolation(err, 'leaf_index')) throw new StoreConflict('leaf_index_taken', `leaf index ${c.leafIndex} is taken`);
      if (isUniqueViolation(err, 'credentials.status_list')) throw new StoreConflict('status_index_taken', `status list ${c.statusList} bit ${c.statusIndex} is taken`);
      if (isUniqueViolation(err, 'credentials.person_key')) {
        throw new StoreConflict('person_has_active_credential', 'this person already holds an active credential from this issuer');
      }
      throw err;
    }
    if (identityRecord) {
      const r = identityRecord;
      try {
        this.db
          .prepare('INSERT INTO identity_records (credential_id, leaf_index, sealed_record, valid_until, created_at, purged_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(r.credentialId, r.leafIndex, r.sealed, r.validUntil, r.createdAt, r.purgedAt);
      } catch (err) {
        if (isUniqueViolation(err, 'identity_records.leaf_index')) throw new StoreConflict('leaf_index_taken', `an identity record for leaf ${r.leafIndex} exists`);
        throw err;
      }
      // The record holds the verified person from now on; the proposals need not.
      this.db.prepare('UPDATE proposals SET sealed_person = NULL WHERE application_id = ?').run(c.applicationId);
    }
    this.insertDecision(decision);
    this.insertAudit(audit);
    changes.set(c.leafIndex, BigInt(c.leaf));
    return changes;
  }

  async recordRejection({ applicationId, decision, audit }: { applicationId: string; decision: DecisionRecord; audit?: AuditEventRecord[] }): Promise<void> {
    this.db.transaction(() => {
      this.closeApplication(applicationId, 'rejected', decision.decidedAt);
      this.insertDecision(decision);
      this.insertAudit(audit);
    })();
  }

  async recordRevocation({
    credentialId,
    decision,
    audit,
    closeMatch,
  }: {
    credentialId: string;
    decision: DecisionRecord;
    audit?: AuditEventRecord[];
    closeMatch?: ScreeningMatchClosure;
  }): Promise<void> {
    const shape = this.treeShape();
    this.db.transaction(() => {
      this.assertStoredDepth(shape);
      const index = this.revokeCredential(credentialId, decision.decidedAt);
      this.insertDecision(decision);
      if (closeMatch) this.closeMatch(closeMatch);
      this.insertAudit(audit);
      this.writeTree(shape, new Map([[index, 0n]]), this.readTreeState().leafCount);
    })();
  }

  private closeMatch(c: ScreeningMatchClosure): void {
    const r = this.db
      .prepare("UPDATE screening_matches SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ? WHERE id = ? AND status = 'open'")
      .run(c.status, c.decidedBy, c.decidedAt, c.reason, c.id);
    if (r.changes !== 1) throw new StoreConflict('match_not_open', `screening match ${c.id} is not open`);
  }

  async recordScreeningMatches(
    matches: Array<Omit<ScreeningMatchRecord, 'id'>>,
    audit: (m: ScreeningMatchRecord) => AuditEventRecord,
  ): Promise<{ stored: ScreeningMatchRecord[]; duplicates: number }> {
    return this.db.transaction(() => {
      const insert = this.db.prepare(
        `INSERT INTO screening_matches (${SCREENING_MATCH_COLUMNS}) VALUES (${SCREENING_MATCH_COLUMNS.split(',')
          .map(() => '?')
          .join(', ')}) ON CONFLICT DO NOTHING`,
      );
      const stored: ScreeningMatchRecord[] = [];
      let duplicates = 0;
      for (const m of matches) {
        const r = insert.run(...screeningMatchValues(m));
        if (r.changes === 0) {
          duplicates++;
          continue;
        }
        const record = { ...m, id: Number(r.lastInsertRowid) };
        stored.push(record);
        this.insertAudit([audit(record)]);
      }
      return { stored, duplicates };
    })();
  }

  async getScreeningMatch(id: number): Promise<ScreeningMatchRecord | null> {
    const r = this.db.prepare('SELECT * FROM screening_matches WHERE id = ?').get(id) as ScreeningMatchRow | undefined;
    return r ? toScreeningMatch(r) : null;
  }

  async listScreeningMatches(q: { status?: ScreeningMatchStatus; offset: number; limit: number }): Promise<ScreeningMatchRecord[]> {
    const rows = (
      q.status
        ? this.db.prepare('SELECT * FROM screening_matches WHERE status = ? ORDER BY id LIMIT ? OFFSET ?').all(q.status, q.limit, q.offset)
        : this.db.prepare('SELECT * FROM screening_matches ORDER BY id LIMIT ? OFFSET ?').all(q.limit, q.offset)
    ) as ScreeningMatchRow[];
    return rows.map(toScreeningMatch);
  }

  async closeScreeningMatch(closure: ScreeningMatchClosure, audit: AuditEventRecord[]): Promise<void> {
    this.db.transaction(() => {
      this.closeMatch(closure);
      this.insertAudit(audit);
    })();
  }

  async listActiveCredentialIds(q: { afterLeafIndex: number | null; limit: number }): Promise<Array<{ id: string; leafIndex: number }>> {
    const rows = this.db.prepare("SELECT id, leaf_index FROM credentials WHERE status = 'active' AND leaf_index > ? ORDER BY leaf_index LIMIT ?").all(q.afterLeafIndex ?? -1, q.limit) as Array<{
      id: string;
      leaf_index: number;
    }>;
    return rows.map((r) => ({ id: r.id, leafIndex: Number(r.leaf_index) }));
  }

  async recordProposal(p: ProposalRecord, audit: AuditEventRecord): Promise<number> {
    return this.db.transaction(() => {
      const app = this.db.prepare('SELECT status FROM applications WHERE id = ?').get(p.applicationId) as { status: string } | undefined;
      if (app?.status !== 'pending') throw new StoreConflict('application_not_pending', `application ${p.applicationId} is not pending`);
      const inserted = this.db
        .prepare('INSERT INTO proposals (application_id, reviewer, attributes_json, person_key, sealed_person, reason, proposed_at, level_from_reviewer) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(p.applicationId, p.reviewer, JSON.stringify(p.attributes), p.personKey, p.sealedPerson ?? null, p.reason, p.proposedAt, p.levelFromReviewer ? 1 : 0);
      this.insertAudit([{ ...audit, detail: { proposalId: Number(inserted.lastInsertRowid), ...audit.detail } }]);
      return Number(inserted.lastInsertRowid);
    })();
  }

  async latestProposal(applicationId: string): Promise<ProposalRecord | null> {
    const r = this.db.prepare('SELECT * FROM proposals WHERE application_id = ? ORDER BY id DESC LIMIT 1').get(applicationId) as ProposalRow | undefined;
    return r ? toProposal(r) : null;
  }

  async getActiveCredentialForPerson(personKey: string): Promise<CredentialRecord | null> {
    const r = this.db.prepare("SELECT * FROM credentials WHERE person_key = ? AND status = 'active'").get(personKey) as CredentialRow | undefined;
    return r ? toCredential(r) : null;
  }

  async recordAudit(event: AuditEventRecord): Promise<void> {
    this.insertAudit([event]);
  }

  async listAuditEvents(q: { offset: number; limit: number; subjectId?: string }): Promise<Array<AuditEventRecord & { id: number }>> {
    const rows = (
      q.subjectId === undefined
        ? this.db.prepare('SELECT * FROM audit_events ORDER BY id LIMIT ? OFFSET ?').all(q.limit, q.offset)
        : this.db.prepare('SELECT * FROM audit_events WHERE subject_id = ? ORDER BY id LIMIT ? OFFSET ?').all(q.subjectId, q.limit, q.offset)
    ) as AuditEventRow[];
    return rows.map(toAuditEvent);
  }

  async getCredential(id: string): Promise<CredentialRecord | null> {
    const r = this.db.prepare('SELECT * FROM credentials WHERE id = ?').get(id) as CredentialRow | undefined;
    return r ? toCredential(r) : null;
  }

  async getCredentialByLeafIndex(leafIndex: number): Promise<CredentialRecord | null> {
    const r = this.db.prepare('SELECT * FROM credentials WHERE leaf_index = ?').get(leafIndex) as CredentialRow | undefined;
    return r ? toCredential(r) : null;
  }

  async getIdentityRecord(credentialId: string): Promise<SealedIdentityRecord | null> {
    const r = this.db.prepare('SELECT * FROM identity_records WHERE credential_id = ?').get(credentialId) as IdentityRecordRow | undefined;
    return r ? toIdentityRecord(r) : null;
  }

  async recordDisclosure(d: DisclosureRecord, audit: AuditEventRecord): Promise<void> {
    this.db.transaction(() => {
      try {
        this.db.prepare(`INSERT INTO disclosures (${DISCLOSURE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...disclosureValues(d));
      } catch (err) {
        if (isUniqueViolation(err, 'disclosures.chain_id')) throw new StoreConflict('disclosure_exists', 'this officer already has a disclosure for this log entry');
        throw err;
      }
      this.insertAudit([audit]);
    })();
  }

  async disclosuresForRequest(q: { chainId: string; logAddress: string; requestId: string }): Promise<DisclosureRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM disclosures WHERE chain_id = ? AND log_address = ? AND request_id = ? ORDER BY disclosed_at, id')
      .all(q.chainId, q.logAddress, q.requestId) as DisclosureRow[];
    return rows.map(toDisclosure);
  }

  async listDisclosures(q: { offset: number; limit: number }): Promise<DisclosureRecord[]> {
    const rows = this.db.prepare('SELECT * FROM disclosures ORDER BY disclosed_at, id LIMIT ? OFFSET ?').all(q.limit, q.offset) as DisclosureRow[];
    return rows.map(toDisclosure);
  }

  async findRootPublication(root: string): Promise<RootPublicationRecord | null> {
    const r = this.db.prepare('SELECT * FROM root_publications WHERE root = ? ORDER BY id LIMIT 1').get(root) as
      { root: string; leaf_count: number; tx_hash: string | null; published_at: number } | undefined;
    return r ? { root: r.root, leafCount: r.leaf_count, txHash: r.tx_hash, publishedAt: r.published_at } : null;
  }

  async getCredentialForApplication(applicationId: string): Promise<CredentialRecord | null> {
    const r = this.db.prepare('SELECT * FROM credentials WHERE application_id = ?').get(applicationId) as CredentialRow | undefined;
    return r ? toCredential(r) : null;
  }

  async listDecisions(subjectType: DecisionRecord['subjectType'], subjectId: string): Promise<DecisionRecord[]> {
    const rows = this.db.prepare('SELECT * FROM decisions WHERE subject_type = ? AND subject_id = ? ORDER BY id').all(subjectType, subjectId) as DecisionRow[];
    return rows.map(toDecision);
  }

  async leafCount(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM leaves').get() as { n: number }).n;
  }

  async listLeaves(offset: number, limit: number): Promise<LeafRecord[]> {
    // Indices are 0..n-1 without gaps, so the page starts at index `offset` (a key lookup, not a skip).
    const rows = this.db.prepare('SELECT leaf_index, value FROM leaves WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?').all(offset, limit) as Array<{
      leaf_index: number;
      value: string;
    }>;
    return rows.map((r) => ({ index: r.leaf_index, value: r.value }));
  }

  private tree: TreeShape | null = null;
  /** Rows per page of the one-time fill (a multiple of 4); tests shrink it to cross page boundaries. */
  fillPage = FILL_PAGE;

  /** The shape the tree is written with: the opened one, else the depth last opened (32 when never), filling the tables first if needed. */
  private treeShape(): TreeShape {
    if (!this.tree) {
      const stored = this.storedDepth();
      this.openTreeSync(defaultTreeShape(stored ? Number(stored) : undefined));
    }
    return this.tree!;
  }

  private storedDepth(): string | undefined {
    return (this.db.prepare(STORED_TREE_DEPTH_SQL).get() as { value: string } | undefined)?.value;
  }

  /**
   * Inside every tree write's transaction: the depth may have been rebuilt by another store on the
   * same file since this one opened it, and nodes of two depths must never mix.
   */
  private assertStoredDepth(shape: TreeShape): void {
    checkStoredDepth(this.storedDepth(), shape.depth);
  }

  async openTree(depth: number, hash?: NodeHash, options: OpenTreeOptions = {}): Promise<TreeStateRecord> {
    return this.openTreeSync({ ...defaultTreeShape(depth), ...(hash ? { hash } : {}) }, options.rebuild === true);
  }

  private openTreeSync(shape: TreeShape, rebuild = false): TreeStateRecord {
    return this.db.transaction(() => {
      const state = this.db.prepare('SELECT * FROM tree_state WHERE id = 1').get() as Parameters<typeof toTreeState>[0] | undefined;
      const stored = this.storedDepth();
      const depth = stored === undefined ? undefined : { value: stored };
      if (state && depth !== undefined && depth.value !== String(shape.depth) && !rebuild) throw depthChangeRefused(Number(depth.value), shape.depth);
      this.tree = shape;
      if (state && depth?.value === String(shape.depth)) return toTreeState(state);
      if (state && depth === undefined) {
        // Written by another writer of the schema (bulk import) that did not record the depth.
        const level = shape.depth / 2;
        const rootNode = (this.db.prepare('SELECT value FROM tree_nodes WHERE level = ? AND position = 0').get(level) as { value: string } | undefined)?.value;
        const above = (this.db.prepare('SELECT COUNT(*) AS n FROM tree_nodes WHERE level > ?').get(level) as { n: number }).n;
        if (rowsFitDepth(shape.depth, toTreeState(state), rootNode, above)) {
          this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run(TREE_DEPTH_SETTING, String(shape.depth));
          return toTreeState(state);
        }
      }
      // First open since migration 9 (or a rebuild for another depth): the one full pass over the
      // leaves, level by level with one page in memory (tree-rows.ts FILL_PAGE).
      this.db.prepare('DELETE FROM tree_nodes').run();
      const insertNode = this.db.prepare('INSERT INTO tree_nodes (level, position, value) VALUES (?, ?, ?)');
      const insert = (level: number, from: number, values: bigint[]) => values.forEach((v, k) => insertNode.run(level, from + k, v.toString()));
      const leafRows = this.db.prepare('SELECT leaf_index, value FROM leaves WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?');
      const nodeRows = this.db.prepare('SELECT value FROM tree_nodes WHERE level = ? AND position >= ? ORDER BY position LIMIT ?');
      const capacity = 2 ** shape.depth;
      let leafCount = 0;
      for (;;) {
        const rows = leafRows.all(leafCount, this.fillPage) as Array<{ leaf_index: number; value: string }>;
        const inside = leafPage(leafCount, rows).slice(0, Math.max(0, capacity - leafCount));
        if (inside.length > 0) insert(1, leafCount / 4, parentPage(shape, 0, inside));
        leafCount += rows.length;
        if (rows.length < this.fillPage) break;
      }
      let root = emptyRoot(shape.depth);
      if (leafCount > 0) {
        for (let level = 1, width = Math.ceil(Math.min(leafCount, capacity) / 4); level < shape.depth / 2; level++, width = Math.ceil(width / 4)) {
          for (let at = 0; at < width; at += this.fillPage) {
            const rows = nodeRows.all(level, at, this.fillPage) as Array<{ value: string }>;
            insert(
              level + 1,
              at / 4,
              parentPage(
                shape,
                level,
                rows.map((r) => BigInt(r.value)),
              ),
            );
          }
        }
        root = BigInt((this.db.prepare('SELECT value FROM tree_nodes WHERE level = ? AND position = 0').get(shape.depth / 2) as { value: string }).value);
      }
      const revision = state ? toTreeState(state).revision + 1 : 1;
      this.db
        .prepare(
          'INSERT INTO tree_state (id, leaf_count, root, revision) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET leaf_count = excluded.leaf_count, root = excluded.root, revision = excluded.revision',
        )
        .run(leafCount, root.toString(), revision);
      this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(TREE_DEPTH_SETTING, String(shape.depth));
      return { leafCount, root: root.toString(), revision };
    })();
  }

  private readTreeState(): TreeStateRecord {
    const r = this.db.prepare('SELECT * FROM tree_state WHERE id = 1').get() as Parameters<typeof toTreeState>[0] | undefined;
    if (r) return toTreeState(r);
    this.treeShape();
    return toTreeState(this.db.prepare('SELECT * FROM tree_state WHERE id = 1').get() as Parameters<typeof toTreeState>[0]);
  }

  /** Rewrites the nodes above the changed leaves and `tree_state` (inside the caller's transaction). */
  private writeTree(shape: TreeShape, changes: Map<number, bigint>, leafCount: number): void {
    const known = new Map<string, string>();
    const leaf = this.db.prepare('SELECT value FROM leaves WHERE leaf_index = ?');
    const node = this.db.prepare('SELECT value FROM tree_nodes WHERE level = ? AND position = ?');
    for (const k of treeReads(shape, changes)) {
      const r = (k.level === 0 ? leaf.get(k.position) : node.get(k.level, k.position)) as { value: string } | undefined;
      if (r) known.set(nodeKey(k.level, k.position), r.value);
    }
    const { nodes, root } = treeWrite(shape, changes, known);
    const upsert = this.db.prepare('INSERT INTO tree_nodes (level, position, value) VALUES (?, ?, ?) ON CONFLICT (level, position) DO UPDATE SET value = excluded.value');
    for (const n of nodes) upsert.run(n.level, n.position, n.value.toString());
    if (root === null) this.db.prepare('UPDATE tree_state SET leaf_count = ?, revision = revision + 1 WHERE id = 1').run(leafCount);
    else this.db.prepare('UPDATE tree_state SET leaf_count = ?, root = ?, revision = revision + 1 WHERE id = 1').run(leafCount, root.toString());
  }

  async treeState(): Promise<TreeStateRecord> {
    return this.readTreeState();
  }

  async treePath(index: number, siblings: Array<{ level: number; position: number }>): Promise<{ state: TreeStateRecord; leaf: string | null; nodes: TreeNodeRecord[] }> {
    // Synchronous reads: no write of this process can land between them, and no other process writes the file.
    const state = this.readTreeState();
    const leaf = (this.db.prepare('SELECT value FROM leaves WHERE leaf_index = ?').get(index) as { value: string } | undefined)?.value ?? null;
    const nodes: TreeNodeRecord[] = [];
    const leafRow = this.db.prepare('SELECT value FROM leaves WHERE leaf_index = ?');
    const nodeRow = this.db.prepare('SELECT value FROM tree_nodes WHERE level = ? AND position = ?');
    for (const k of siblings) {
      const r = (k.level === 0 ? leafRow.get(k.position) : nodeRow.get(k.level, k.position)) as { value: string } | undefined;
      if (r) nodes.push({ level: k.level, position: k.position, value: r.value });
    }
    return { state, leaf, nodes };
  }

  async readTree<T>(fn: (reader: TreeReader) => Promise<T>): Promise<T> {
    const reader: TreeReader = {
      state: async () => this.readTreeState(),
      range: async (level, start, end) => {
        const rows =
          level === 0
            ? (this.db.prepare('SELECT 0 AS level, leaf_index AS position, value FROM leaves WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index').all(start, end) as Array<
                Parameters<typeof toTreeNode>[0]
              >)
            : (this.db.prepare('SELECT level, position, value FROM tree_nodes WHERE level = ? AND position >= ? AND position < ? ORDER BY position').all(level, start, end) as Array<
                Parameters<typeof toTreeNode>[0]
              >);
        return rows.map(toTreeNode);
      },
    };
    // A write of this process can land between two awaited reads: read again until none did.
    for (let attempt = 0; attempt < 10; attempt++) {
      const before = this.readTreeState().revision;
      const result = await fn(reader);
      if (this.readTreeState().revision === before) return result;
    }
    throw new Error('the tree kept changing while it was read; try again');
  }

  async recordRootPublication(p: RootPublicationRecord, audit?: AuditEventRecord): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO root_publications (root, leaf_count, tx_hash, published_at) VALUES (?, ?, ?, ?)').run(p.root, p.leafCount, p.txHash, p.publishedAt);
      if (audit) this.insertAudit([audit]);
    })();
  }

  async listRootPublications(offset: number, limit: number): Promise<RootPublicationRecord[]> {
    const rows = this.db.prepare('SELECT * FROM root_publications ORDER BY id DESC LIMIT ? OFFSET ?').all(limit, offset) as Array<{
      root: string;
      leaf_count: number;
      tx_hash: string | null;
      published_at: number;
    }>;
    return rows.map((r) => ({ root: r.root, leafCount: r.leaf_count, txHash: r.tx_hash, publishedAt: r.published_at }));
  }

  async latestRootPublication(): Promise<RootPublicationRecord | null> {
    return (await this.listRootPublications(0, 1))[0] ?? null;
  }

  async createOid4vciOffer(o: PreAuthorizedCodeRecord, audit: AuditEventRecord): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('UPDATE oid4vci_offers SET voided_at = ? WHERE application_id = ? AND redeemed_at IS NULL AND voided_at IS NULL').run(o.createdAt, o.applicationId);
      this.db
        .prepare(
          `INSERT INTO oid4vci_offers (code_hash, application_id, credential_id, tx_code_hash, failed_attempts, created_at, expires_at, redeemed_at, voided_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(o.codeHash, o.applicationId, o.credentialId, o.txCodeHash, o.failedAttempts, o.createdAt, o.expiresAt, o.redeemedAt, o.voidedAt);
      this.insertAudit([audit]);
    })();
  }

  async getOid4vciOffer(codeHash: string): Promise<PreAuthorizedCodeRecord | null> {
    return (this.db.prepare(OID4VCI_OFFER).get(codeHash) as PreAuthorizedCodeRecord | undefined) ?? null;
  }

  async recordOid4vciTxCodeFailure(codeHash: string, now: number, maxAttempts: number, voidAudit: AuditEventRecord): Promise<PreAuthorizedCodeRecord | null> {
    return this.db.transaction(() => {
      const live = 'code_hash = ? AND redeemed_at IS NULL AND voided_at IS NULL';
      this.db.prepare(`UPDATE oid4vci_offers SET failed_attempts = failed_attempts + 1 WHERE ${live}`).run(codeHash);
      const voided = this.db.prepare(`UPDATE oid4vci_offers SET voided_at = ? WHERE ${live} AND failed_attempts >= ?`).run(now, codeHash, maxAttempts).changes;
      if (voided === 1) this.insertAudit([voidAudit]);
      return (this.db.prepare(OID4VCI_OFFER).get(codeHash) as PreAuthorizedCodeRecord | undefined) ?? null;
    })();
  }

  async redeemOid4vciCode({ codeHash, now, token: t }: { codeHash: string; now: number; token: Oid4vciAccessTokenRecord }): Promise<void> {
    this.db.transaction(() => {
      const redeemed = this.db.prepare('UPDATE oid4vci_offers SET redeemed_at = ? WHERE code_hash = ? AND redeemed_at IS NULL AND voided_at IS NULL AND expires_at > ?').run(now, codeHash, now);
      if (redeemed.changes !== 1) throw new StoreConflict('code_unusable', 'the pre-authorized code is unknown, redeemed, voided or expired');
      this.db
        .prepare('INSERT INTO oid4vci_access_tokens (token_hash, code_hash, application_id, credential_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(t.tokenHash, t.codeHash, t.applicationId, t.credentialId, t.createdAt, t.expiresAt, t.usedAt);
    })();
  }

  async getOid4vciAccessToken(tokenHash: string): Promise<Oid4vciAccessTokenRecord | null> {
    return (this.db.prepare(OID4VCI_TOKEN).get(tokenHash) as Oid4vciAccessTokenRecord | undefined) ?? null;
  }

  async createOid4vciNonce(n: Oid4vciNonceRecord): Promise<void> {
    this.db.prepare('INSERT INTO oid4vci_nonces (nonce_hash, created_at, expires_at, used_at) VALUES (?, ?, ?, ?)').run(n.nonceHash, n.createdAt, n.expiresAt, n.usedAt);
  }

  async getOid4vciNonce(nonceHash: string): Promise<Oid4vciNonceRecord | null> {
    return (this.db.prepare(OID4VCI_NONCE).get(nonceHash) as Oid4vciNonceRecord | undefined) ?? null;
  }

  async deliverOid4vciCredential({ tokenHash, nonceHash, now, audit }: { tokenHash: string; nonceHash: string; now: number; audit: AuditEventRecord }): Promise<void> {
    this.db.transaction(() => {
      const nonce = this.db.prepare('UPDATE oid4vci_nonces SET used_at = ? WHERE nonce_hash = ? AND used_at IS NULL AND expires_at > ?').run(now, nonceHash, now);
      if (nonce.changes !== 1) throw new StoreConflict('nonce_unusable', 'the nonce is unknown, used or expired');
      const token = this.db.prepare('UPDATE oid4vci_access_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?').run(now, tokenHash, now);
      if (token.changes !== 1) throw new StoreConflict('access_token_unusable', 'the access token is unknown, used or expired');
      this.insertAudit([audit]);
    })();
  }

  async pruneOid4vci(now: number): Promise<number> {
    return this.db.transaction(() => {
      const nonces = this.db.prepare('DELETE FROM oid4vci_nonces WHERE expires_at < ?').run(now).changes;
      const tokens = this.db.prepare('DELETE FROM oid4vci_access_tokens WHERE expires_at < ?').run(now).changes;
      const offers = this.db.prepare('DELETE FROM oid4vci_offers WHERE expires_at < ? AND code_hash NOT IN (SELECT code_hash FROM oid4vci_access_tokens)').run(now).changes;
      return nonces + tokens + offers;
    })();
  }

  async statusListUsage(): Promise<Array<{ id: number; allocated: number }>> {
    const rows = this.db
      .prepare(
        'SELECT status_list AS id, COUNT(*) AS n FROM credentials WHERE status_index IS NOT NULL AND status_list = (SELECT MAX(status_list) FROM credentials WHERE status_index IS NOT NULL) GROUP BY status_list',
      )
      .all() as Array<{ id: number; n: number }>;
    return rows.map((r) => ({ id: r.id, allocated: r.n }));
  }

  async isStatusBitTaken(list: number, index: number): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM credentials WHERE status_list = ? AND status_index = ?').get(list, index) !== undefined;
  }

  async getStatusList(id: number): Promise<StatusListRecord | null> {
    const r = this.db.prepare('SELECT * FROM status_lists WHERE id = ?').get(id) as StatusListRow | undefined;
    return r ? toStatusList(r) : null;
  }

  async cacheSignedStatusList(id: number, version: number, jwt: string, signedAt: number): Promise<boolean> {
    return this.db.prepare('UPDATE status_lists SET signed_jwt = ?, signed_version = ?, signed_at = ? WHERE id = ? AND version = ?').run(jwt, version, signedAt, id, version).changes === 1;
  }

  async rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const t of [...STORE_TABLES, ...OID4VCI_TABLES]) counts[t] = (this.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    return counts;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    await this.instanceLock?.release();
  }
}
