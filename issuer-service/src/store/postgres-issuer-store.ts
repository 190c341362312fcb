import type { InstanceLock } from './instance-lock.js';
import { inTransaction, type PgClient, type PgPool } from './postgres-database.js';
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
  TREE_LOCK_SQL,
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

/** OpenID4VCI rows, selected under their record names (the same text as the SQLite store's). */
const OID4VCI_OFFER = `SELECT code_hash AS "codeHash", application_id AS "applicationId", credential_id AS "credentialId", tx_code_hash AS "txCodeHash",
  failed_attempts AS "failedAttempts", created_at AS "createdAt", expires_at AS "expiresAt", redeemed_at AS "redeemedAt", voided_at AS "voidedAt" FROM oid4vci_offers WHERE code_hash = $1`;
const OID4VCI_TOKEN = `SELECT token_hash AS "tokenHash", code_hash AS "codeHash", application_id AS "applicationId", credential_id AS "credentialId",
  created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt" FROM oid4vci_access_tokens WHERE token_hash = $1`;
const OID4VCI_NONCE = `SELECT nonce_hash AS "nonceHash", created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt" FROM oid4vci_nonces WHERE nonce_hash = $1`;
const OID4VCI_TABLES = ['oid4vci_offers', 'oid4vci_access_tokens', 'oid4vci_nonces'];
import { toPostgresPlaceholders } from './sql-runner.js';

const UNIQUE_VIOLATION = '23505';

function violates(err: unknown, ...constraints: string[]): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === UNIQUE_VIOLATION && e.constraint !== undefined && constraints.includes(e.constraint);
}

/**
 * `IssuerStore` over Postgres (`pg`). Same schema, same semantics as the SQLite store: every
 * multi-row write runs in one transaction on one connection, and a refused write leaves nothing.
 *
 * Unlike SQLite, Postgres runs transactions concurrently (READ COMMITTED), so the conditional
 * updates (`… WHERE status = 'pending'`) carry the race-safety — Postgres re-checks the condition
 * on the row it waited for — and leaf allocation takes a transaction-scoped advisory lock so two
 * approvals, even from two service instances, cannot both claim the next index.
 */
export class PostgresIssuerStore implements IssuerStore {
  /** `instanceLock`: the service's one-instance lock (store/instance-lock.ts), released by `close()`. */
  constructor(
    private readonly pool: PgPool,
    private readonly instanceLock?: InstanceLock,
  ) {}

  async getSetting(key: string): Promise<string | null> {
    const { rows } = await this.pool.query('SELECT value FROM settings WHERE key = $1', [key]);
    return (rows[0]?.value as string | undefined) ?? null;
  }

  async initSetting(key: string, value: string): Promise<string> {
    await this.pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.getSetting(key)) as string;
  }

  async createChallenge(c: ChallengeRecord): Promise<void> {
    await this.pool.query('INSERT INTO challenges (nonce, did, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)', [c.nonce, c.did, c.createdAt, c.expiresAt, c.usedAt]);
  }

  async getChallenge(nonce: string): Promise<ChallengeRecord | null> {
    const { rows } = await this.pool.query('SELECT * FROM challenges WHERE nonce = $1', [nonce]);
    const r = rows[0];
    if (!r) return null;
    return { nonce: r.nonce, did: r.did, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at };
  }

  async pruneChallenges(now: number): Promise<number> {
    // Used challenges stay: applications reference them, and they document the proof of control.
    return (await this.pool.query('DELETE FROM challenges WHERE used_at IS NULL AND expires_at < $1', [now])).rowCount ?? 0;
  }

  async submitApplication(a: ApplicationRecord, now: number): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      const consumed = await tx.query('UPDATE challenges SET used_at = $1 WHERE nonce = $2 AND did = $3 AND used_at IS NULL AND expires_at > $1', [now, a.challengeNonce, a.holderDid]);
      if (consumed.rowCount !== 1) throw new StoreConflict('challenge_unusable', 'challenge is unknown, used, expired or for another DID');
      try {
        await tx.query(
          `INSERT INTO applications (id, holder_did, identity_commitment, attributes_json, status, access_token_hash,
             challenge_nonce, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [a.id, a.holderDid, a.identityCommitment, JSON.stringify(a.attributes), a.status, a.accessTokenHash, a.challengeNonce, a.createdAt, a.updatedAt],
        );
      } catch (err) {
        if (violates(err, 'applications_one_pending')) throw new StoreConflict('application_pending', 'this DID already has a pending application');
        throw err;
      }
    });
  }

  async reissueAccessToken(args: { holderDid: string; applicationId?: string; challengeNonce: string; accessTokenHash: string; now: number }): Promise<ApplicationRecord> {
    return inTransaction(this.pool, async (tx) => {
      const { holderDid, applicationId, challengeNonce, accessTokenHash, now } = args;
      const target = (
        applicationId === undefined
          ? await tx.query("SELECT id FROM applications WHERE holder_did = $1 AND status IN ('pending', 'approved') ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE", [holderDid])
          : await tx.query("SELECT id FROM applications WHERE id = $1 AND holder_did = $2 AND status IN ('pending', 'approved') FOR UPDATE", [applicationId, holderDid])
      ).rows[0] as { id: string } | undefined;
      if (!target) throw new StoreConflict('application_not_found', 'no pending or approved application of this DID');
      const consumed = await tx.query('UPDATE challenges SET used_at = $1 WHERE nonce = $2 AND did = $3 AND used_at IS NULL AND expires_at > $1', [now, challengeNonce, holderDid]);
      if (consumed.rowCount !== 1) throw new StoreConflict('challenge_unusable', 'challenge is unknown, used, expired or for another DID');
      const { rows } = await tx.query<ApplicationRow>('UPDATE applications SET access_token_hash = $1 WHERE id = $2 RETURNING *', [accessTokenHash, target.id]);
      return toApplication(rows[0]);
    });
  }

  async purgeRetained(args: { now: number; usedChallengesBefore: number; rejectedBefore: number; identityRecordsEndedBefore?: number }): Promise<RetentionPurge> {
    return inTransaction(this.pool, async (tx) => {
      let identityRecords = 0;
      if (args.identityRecordsEndedBefore !== undefined) {
        const { rows: ended } = await tx.query(toPostgresPlaceholders(ENDED_IDENTITY_RECORDS), [args.identityRecordsEndedBefore, args.identityRecordsEndedBefore]);
        for (const r of ended as Array<{ credential_id: string; leaf_index: number; ended_at: number }>) {
          identityRecords +=
            (await tx.query('UPDATE identity_records SET sealed_record = NULL, purged_at = $1 WHERE credential_id = $2 AND purged_at IS NULL', [args.now, r.credential_id])).rowCount ?? 0;
          await this.insertAudit(tx, [identityRecordPurgeAudit(args.now, r)]);
        }
      }
      const rejected = "SELECT id FROM applications WHERE status = 'rejected' AND updated_at < $1";
      const decisions = (await tx.query(`DELETE FROM decisions WHERE subject_type = 'application' AND subject_id IN (${rejected})`, [args.rejectedBefore])).rowCount ?? 0;
      // A rejected applicant's proposed attributes go with the application; its audit events keep
      // who did what and when, not what they said about the applicant.
      await tx.query(`DELETE FROM proposals WHERE application_id IN (${rejected})`, [args.rejectedBefore]);
      const auditEventsRedacted =
        (await tx.query(`UPDATE audit_events SET detail_json = $2 WHERE subject_type = 'application' AND subject_id IN (${rejected}) AND detail_json <> $2`, [args.rejectedBefore, PURGED_DETAIL]))
          .rowCount ?? 0;
      const applications = (await tx.query("DELETE FROM applications WHERE status = 'rejected' AND updated_at < $1", [args.rejectedBefore])).rowCount ?? 0;
      // A challenge an application still references is its proof of control: it stays with it.
      const used = await tx.query('DELETE FROM challenges WHERE used_at IS NOT NULL AND used_at < $1 AND nonce NOT IN (SELECT challenge_nonce FROM applications)', [args.usedChallengesBefore]);
      const expired = await tx.query('DELETE FROM challenges WHERE used_at IS NULL AND expires_at < $1', [args.now]);
      return { challenges: (used.rowCount ?? 0) + (expired.rowCount ?? 0), applications, decisions, auditEventsRedacted, identityRecords };
    });
  }

  async getApplication(id: string): Promise<ApplicationRecord | null> {
    const { rows } = await this.pool.query<ApplicationRow>('SELECT * FROM applications WHERE id = $1', [id]);
    return rows[0] ? toApplication(rows[0]) : null;
  }

  async listApplications(q: { status?: ApplicationStatus; offset: number; limit: number }): Promise<ApplicationRecord[]> {
    const { rows } = q.status
      ? await this.pool.query<ApplicationRow>('SELECT * FROM applications WHERE status = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3', [q.status, q.limit, q.offset])
      : await this.pool.query<ApplicationRow>('SELECT * FROM applications ORDER BY created_at, id LIMIT $1 OFFSET $2', [q.limit, q.offset]);
    return rows.map(toApplication);
  }

  private async insertDecision(tx: PgClient, d: DecisionRecord): Promise<void> {
    await tx.query('INSERT INTO decisions (subject_type, subject_id, action, reviewer, reason, decided_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      d.subjectType,
      d.subjectId,
      d.action,
      d.reviewer,
      d.reason,
      d.decidedAt,
    ]);
  }

  private async closeApplication(tx: PgClient, id: string, status: ApplicationStatus, at: number): Promise<void> {
    const r = await tx.query("UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'pending'", [status, at, id]);
    if (r.rowCount !== 1) throw new StoreConflict('application_not_pending', `application ${id} is not pending`);
  }

  private async insertAudit(tx: PgClient, events: AuditEventRecord[] = []): Promise<void> {
    for (const e of events) {
      await tx.query(toPostgresPlaceholders(INSERT_AUDIT_EVENT), auditEventValues(e));
    }
  }

  /** Revokes an active credential and zeroes its leaf (inside the caller's transaction); returns the leaf's index. */
  private async revokeCredential(tx: PgClient, credentialId: string, at: number): Promise<number> {
    const r = await tx.query("UPDATE credentials SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status = 'active'", [at, credentialId]);
    if (r.rowCount !== 1) throw new StoreConflict('credential_not_active', `credential ${credentialId} is not active`);
    const zeroed = (await tx.query("UPDATE leaves SET value = '0' WHERE credential_id = $1 RETURNING leaf_index", [credentialId])).rows[0] as { leaf_index: number | string } | undefined;
    if (!zeroed) throw new Error(`credential ${credentialId} has no leaf`);
    // Its bit in the status list, in the same transaction: the list and the tree never disagree.
    // FOR UPDATE: two revocations on the same list queue here instead of overwriting each other's bit.
    const entry = (await tx.query('SELECT status_list, status_index FROM credentials WHERE id = $1', [credentialId])).rows[0] as { status_list: number | null; status_index: number | null };
    if (entry.status_list !== null && entry.status_index !== null) {
      const list = (await tx.query('SELECT bits FROM status_lists WHERE id = $1 FOR UPDATE', [entry.status_list])).rows[0] as { bits: Buffer } | undefined;
      if (!list) throw new Error(`status list ${entry.status_list} of credential ${credentialId} is missing`);
      const bits = new Uint8Array(list.bits);
      setStatusBit(bits, entry.status_index);
      await tx.query('UPDATE status_lists SET bits = $1, version = version + 1, updated_at = $2 WHERE id = $3', [Buffer.from(bits), at, entry.status_list]);
    }
    return Number(zeroed.leaf_index);
  }

  async recordApproval(write: ApprovalWrite): Promise<void> {
    const [outcome] = await this.recordApprovals([{ build: async () => write }]);
    if (!outcome.ok) throw outcome.error;
  }

  /**
   * The tree lock is the transaction's first statement and `leaf_count` is read after it, so it sees
   * the previous holder's commit: several processes on one database never pick the same index nor
   * overwrite each other's nodes. Each draft is built (signed) under the lock with its index and
   * written in a savepoint; a refused one rolls back to it and does not take the index.
   */
  async recordApprovals(drafts: ApprovalDraft[]): Promise<ApprovalOutcome[]> {
    const outcomes: ApprovalOutcome[] = new Array(drafts.length);
    try {
      await inTransaction(this.pool, async (tx) => {
        await tx.query(TREE_LOCK_SQL);
        const shape = await this.treeShape(tx);
        const first = (await this.readTreeState(tx)).leafCount;
        const changes = new Map<number, bigint>();
        let next = first;
        for (let i = 0; i < drafts.length; i++) {
          let write: ApprovalWrite;
          try {
            write = await drafts[i].build(next);
          } catch (error) {
            outcomes[i] = { ok: false, error };
            continue;
          }
          await tx.query('SAVEPOINT approval');
          try {
            const own = await this.writeApproval(tx, write, next);
            await tx.query('RELEASE SAVEPOINT approval');
            for (const [index, value] of own) changes.set(index, value);
            outcomes[i] = { ok: true, leafIndex: next };
            next++;
          } catch (error) {
            await tx.query('ROLLBACK TO SAVEPOINT approval');
            outcomes[i] = { ok: false, error };
          }
        }
        if (changes.size > 0) await this.writeTree(tx, shape, changes, next);
      });
    } catch (error) {
      for (let i = 0; i < drafts.length; i++) if (!outcomes[i] || outcomes[i].ok) outcomes[i] = { ok: false, error };
    }
    return outcomes;
  }

  /** One approval's rows (inside the caller's transaction); returns the leaves it changed. */
  private async writeApproval(tx: PgClient, { credential: c, decision, replaces, audit, identityRecord }: ApprovalWrite, next: number): Promise<Map<number, bigint>> {
    await this.closeApplication(tx, c.applicationId, 'approved', decision.decidedAt);
    // Leaves are appended without gaps, so the only index an approval may take is the next one.
    if (c.leafIndex !== next) throw new StoreConflict('leaf_index_taken', `leaf index ${c.leafIndex} is not the next free index (${next})`);
    const changes = new Map<number, bigint>();
    // The person's old credential goes first, so the one-active-per-person index admits the new one.
    if (replaces) {
      changes.set(await this.revokeCredential(tx, replaces.credentialId, replaces.decision.decidedAt), 0n);
      await this.insertDecision(tx, replaces.decision);
    }
    try {
      if (c.statusList != null) {
        // The list's row appears, empty, with its first credential.
        await tx.query("INSERT INTO status_lists (id, purpose, bits, version, updated_at) VALUES ($1, 'revocation', $2, 0, $3) ON CONFLICT (id) DO NOTHING", [
          c.statusList,
          Buffer.alloc(STATUS_LIST_BYTES),
          c.issuedAt,
        ]);
      }
      const values = credentialValues(c);
      await tx.query(`INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
      await tx.query('INSERT INTO leaves (leaf_index, value, credential_id) VALUES ($1, $2, $3)', [c.leafIndex, c.leaf, c.id]);
    } catch (err) {
      if (violates(err, 'leaves_pkey', 'credentials_leaf_index_key')) throw new StoreConflict('leaf_index_taken', `leaf index ${c.leafIndex} is taken`);
      if (violates(err, 'credentials_status_bit')) throw new StoreConflict('status_index_taken', `status list ${c.statusList} bit ${c.statusIndex} is taken`);
      if (violates(err, 'credentials_one_active_person')) {
        throw new StoreConflict('person_has_active_credential', 'this person already holds an active credential from this issuer');
      }
      throw err;
    }
    if (identityRecord) {
      const r = identityRecord;
      try {
        await tx.query('INSERT INTO identity_records (credential_id, leaf_index, sealed_record, valid_until, created_at, purged_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          r.credentialId,
          r.leafIndex,
          r.sealed,
          r.validUntil,
          r.createdAt,
          r.purgedAt,
        ]);
      } catch (err) {
        if (violates(err, 'identity_records_leaf_index_key')) throw new StoreConflict('leaf_index_taken', `an identity record for leaf ${r.leafIndex} exists`);
        throw err;
      }
      // The record holds the verified person from now on; the proposals need not.
      await tx.query('UPDATE proposals SET sealed_person = NULL WHERE application_id = $1', [c.applicationId]);
    }
    await this.insertDecision(tx, decision);
    await this.insertAudit(tx, audit);
    changes.set(c.leafIndex, BigInt(c.leaf));
    return changes;
  }

  async recordRejection({ applicationId, decision, audit }: { applicationId: string; decision: DecisionRecord; audit?: AuditEventRecord[] }): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await this.closeApplication(tx, applicationId, 'rejected', decision.decidedAt);
      await this.insertDecision(tx, decision);
      await this.insertAudit(tx, audit);
    });
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
    await inTransaction(this.pool, async (tx) => {
      await tx.query(TREE_LOCK_SQL);
      const shape = await this.treeShape(tx);
      const index = await this.revokeCredential(tx, credentialId, decision.decidedAt);
      await this.insertDecision(tx, decision);
      if (closeMatch) await this.closeMatch(tx, closeMatch);
      await this.insertAudit(tx, audit);
      await this.writeTree(tx, shape, new Map([[index, 0n]]), (await this.readTreeState(tx)).leafCount);
    });
  }

  private async closeMatch(tx: PgClient, c: ScreeningMatchClosure): Promise<void> {
    const r = await tx.query("UPDATE screening_matches SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 WHERE id = $5 AND status = 'open'", [
      c.status,
      c.decidedBy,
      c.decidedAt,
      c.reason,
      c.id,
    ]);
    if (r.rowCount !== 1) throw new StoreConflict('match_not_open', `screening match ${c.id} is not open`);
  }

  async recordScreeningMatches(
    matches: Array<Omit<ScreeningMatchRecord, 'id'>>,
    audit: (m: ScreeningMatchRecord) => AuditEventRecord,
  ): Promise<{ stored: ScreeningMatchRecord[]; duplicates: number }> {
    return inTransaction(this.pool, async (tx) => {
      const placeholders = SCREENING_MATCH_COLUMNS.split(',')
        .map((_, i) => `$${i + 1}`)
        .join(', ');
      const stored: ScreeningMatchRecord[] = [];
      let duplicates = 0;
      for (const m of matches) {
        const { rows } = await tx.query(`INSERT INTO screening_matches (${SCREENING_MATCH_COLUMNS}) VALUES (${placeholders}) ON CONFLICT DO NOTHING RETURNING id`, screeningMatchValues(m));
        if (rows.length === 0) {
          duplicates++;
          continue;
        }
        const record = { ...m, id: Number(rows[0].id) };
        stored.push(record);
        await this.insertAudit(tx, [audit(record)]);
      }
      return { stored, duplicates };
    });
  }

  async getScreeningMatch(id: number): Promise<ScreeningMatchRecord | null> {
    const { rows } = await this.pool.query<ScreeningMatchRow>('SELECT * FROM screening_matches WHERE id = $1', [id]);
    return rows[0] ? toScreeningMatch(rows[0]) : null;
  }

  async listScreeningMatches(q: { status?: ScreeningMatchStatus; offset: number; limit: number }): Promise<ScreeningMatchRecord[]> {
    const { rows } = q.status
      ? await this.pool.query<ScreeningMatchRow>('SELECT * FROM screening_matches WHERE status = $1 ORDER BY id LIMIT $2 OFFSET $3', [q.status, q.limit, q.offset])
      : await this.pool.query<ScreeningMatchRow>('SELECT * FROM screening_matches ORDER BY id LIMIT $1 OFFSET $2', [q.limit, q.offset]);
    return rows.map(toScreeningMatch);
  }

  async closeScreeningMatch(closure: ScreeningMatchClosure, audit: AuditEventRecord[]): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await this.closeMatch(tx, closure);
      await this.insertAudit(tx, audit);
    });
  }

  async listActiveCredentialIds(q: { afterLeafIndex: number | null; limit: number }): Promise<Array<{ id: string; leafIndex: number }>> {
    const { rows } = await this.pool.query<{ id: string; leaf_index: string | number }>(
      "SELECT id, leaf_index FROM credentials WHERE status = 'active' AND leaf_index > $1 ORDER BY leaf_index LIMIT $2",
      [q.afterLeafIndex ?? -1, q.limit],
    );
    return rows.map((r) => ({ id: r.id, leafIndex: Number(r.leaf_index) }));
  }

  async recordProposal(p: ProposalRecord, audit: AuditEventRecord): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      // FOR SHARE: an approval or rejection committing meanwhile cannot slip in between the check and the insert.
      const app = (await tx.query('SELECT status FROM applications WHERE id = $1 FOR SHARE', [p.applicationId])).rows[0] as { status: string } | undefined;
      if (app?.status !== 'pending') throw new StoreConflict('application_not_pending', `application ${p.applicationId} is not pending`);
      const { rows } = await tx.query(
        'INSERT INTO proposals (application_id, reviewer, attributes_json, person_key, sealed_person, reason, proposed_at, level_from_reviewer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id',
        [p.applicationId, p.reviewer, JSON.stringify(p.attributes), p.personKey, p.sealedPerson ?? null, p.reason, p.proposedAt, p.levelFromReviewer ? 1 : 0],
      );
      const id = rows[0].id as number;
      await this.insertAudit(tx, [{ ...audit, detail: { proposalId: id, ...audit.detail } }]);
      return id;
    });
  }

  async latestProposal(applicationId: string): Promise<ProposalRecord | null> {
    const { rows } = await this.pool.query<ProposalRow>('SELECT * FROM proposals WHERE application_id = $1 ORDER BY id DESC LIMIT 1', [applicationId]);
    return rows[0] ? toProposal(rows[0]) : null;
  }

  async getActiveCredentialForPerson(personKey: string): Promise<CredentialRecord | null> {
    const { rows } = await this.pool.query<CredentialRow>("SELECT * FROM credentials WHERE person_key = $1 AND status = 'active'", [personKey]);
    return rows[0] ? toCredential(rows[0]) : null;
  }

  async recordAudit(event: AuditEventRecord): Promise<void> {
    await inTransaction(this.pool, (tx) => this.insertAudit(tx, [event]));
  }

  async listAuditEvents(q: { offset: number; limit: number; subjectId?: string }): Promise<Array<AuditEventRecord & { id: number }>> {
    const { rows } =
      q.subjectId === undefined
        ? await this.pool.query<AuditEventRow>('SELECT * FROM audit_events ORDER BY id LIMIT $1 OFFSET $2', [q.limit, q.offset])
        : await this.pool.query<AuditEventRow>('SELECT * FROM audit_events WHERE subject_id = $1 ORDER BY id LIMIT $2 OFFSET $3', [q.subjectId, q.limit, q.offset]);
    return rows.map(toAuditEvent);
  }

  async getCredential(id: string): Promise<CredentialRecord | null> {
    const { rows } = await this.pool.query<CredentialRow>('SELECT * FROM credentials WHERE id = $1', [id]);
    return rows[0] ? toCredential(rows[0]) : null;
  }

  async getCredentialByLeafIndex(leafIndex: number): Promise<CredentialRecord | null> {
    const { rows } = await this.pool.query<CredentialRow>('SELECT * FROM credentials WHERE leaf_index = $1', [leafIndex]);
    return rows[0] ? toCredential(rows[0]) : null;
  }

  async getIdentityRecord(credentialId: string): Promise<SealedIdentityRecord | null> {
    const { rows } = await this.pool.query<IdentityRecordRow>('SELECT * FROM identity_records WHERE credential_id = $1', [credentialId]);
    return rows[0] ? toIdentityRecord(rows[0]) : null;
  }

  async recordDisclosure(d: DisclosureRecord, audit: AuditEventRecord): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      try {
        await tx.query(`INSERT INTO disclosures (${DISCLOSURE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, disclosureValues(d));
      } catch (err) {
        if (violates(err, 'disclosures_one_per_officer')) throw new StoreConflict('disclosure_exists', 'this officer already has a disclosure for this log entry');
        throw err;
      }
      await this.insertAudit(tx, [audit]);
    });
  }

  async disclosuresForRequest(q: { chainId: string; logAddress: string; requestId: string }): Promise<DisclosureRecord[]> {
    const { rows } = await this.pool.query<DisclosureRow>('SELECT * FROM disclosures WHERE chain_id = $1 AND log_address = $2 AND request_id = $3 ORDER BY disclosed_at, id', [
      q.chainId,
      q.logAddress,
      q.requestId,
    ]);
    return rows.map(toDisclosure);
  }

  async listDisclosures(q: { offset: number; limit: number }): Promise<DisclosureRecord[]> {
    const { rows } = await this.pool.query<DisclosureRow>('SELECT * FROM disclosures ORDER BY disclosed_at, id LIMIT $1 OFFSET $2', [q.limit, q.offset]);
    return rows.map(toDisclosure);
  }

  async findRootPublication(root: string): Promise<RootPublicationRecord | null> {
    const { rows } = await this.pool.query('SELECT * FROM root_publications WHERE root = $1 ORDER BY id LIMIT 1', [root]);
    const r = rows[0];
    return r ? { root: r.root, leafCount: r.leaf_count, txHash: r.tx_hash, publishedAt: r.published_at } : null;
  }

  async getCredentialForApplication(applicationId: string): Promise<CredentialRecord | null> {
    const { rows } = await this.pool.query<CredentialRow>('SELECT * FROM credentials WHERE application_id = $1', [applicationId]);
    return rows[0] ? toCredential(rows[0]) : null;
  }

  async listDecisions(subjectType: DecisionRecord['subjectType'], subjectId: string): Promise<DecisionRecord[]> {
    const { rows } = await this.pool.query<DecisionRow>('SELECT * FROM decisions WHERE subject_type = $1 AND subject_id = $2 ORDER BY id', [subjectType, subjectId]);
    return rows.map(toDecision);
  }

  async leafCount(): Promise<number> {
    return (await this.pool.query('SELECT COUNT(*) AS n FROM leaves')).rows[0].n as number;
  }

  async listLeaves(offset: number, limit: number): Promise<LeafRecord[]> {
    // Indices are 0..n-1 without gaps, so the page starts at index `offset` (a key lookup, not a skip).
    const { rows } = await this.pool.query('SELECT leaf_index, value FROM leaves WHERE leaf_index >= $2 ORDER BY leaf_index LIMIT $1', [limit, offset]);
    return rows.map((r) => ({ index: r.leaf_index as number, value: r.value as string }));
  }

  private tree: TreeShape | null = null;
  /** Rows per page of the one-time fill (a multiple of 4); tests shrink it to cross page boundaries. */
  fillPage = FILL_PAGE;

  /**
   * The shape the tree is written with (inside a transaction holding the tree lock): the opened one,
   * else the depth last opened (32 when never), filling the tables first if needed.
   */
  private async treeShape(tx: PgClient): Promise<TreeShape> {
    const stored = ((await tx.query(STORED_TREE_DEPTH_SQL)).rows[0] as { value: string } | undefined)?.value;
    if (!this.tree) {
      await this.fill(tx, defaultTreeShape(stored ? Number(stored) : undefined));
      return this.tree!;
    }
    // Read under the lock at every write: another instance may have rebuilt the tree for another
    // depth since this one opened it, and nodes of two depths must never mix.
    checkStoredDepth(stored, this.tree.depth);
    return this.tree;
  }

  async openTree(depth: number, hash?: NodeHash, options: OpenTreeOptions = {}): Promise<TreeStateRecord> {
    return inTransaction(this.pool, async (tx) => {
      // Under the tree lock: instances starting together fill once, and no write slips in meanwhile.
      await tx.query(TREE_LOCK_SQL);
      return this.fill(tx, { ...defaultTreeShape(depth), ...(hash ? { hash } : {}) }, options.rebuild === true);
    });
  }

  /** Takes `shape`; fills `tree_nodes` and `tree_state` from `leaves` unless they were written for it. */
  private async fill(tx: PgClient, shape: TreeShape, rebuild = false): Promise<TreeStateRecord> {
    const state = (await tx.query('SELECT * FROM tree_state WHERE id = 1')).rows[0] as Parameters<typeof toTreeState>[0] | undefined;
    const depth = (await tx.query(STORED_TREE_DEPTH_SQL)).rows[0] as { value: string } | undefined;
    if (state && depth !== undefined && depth.value !== String(shape.depth) && !rebuild) throw depthChangeRefused(Number(depth.value), shape.depth);
    this.tree = shape;
    if (state && depth?.value === String(shape.depth)) return toTreeState(state);
    if (state && depth === undefined) {
      // Written by another writer of the schema (bulk import) that did not record the depth.
      const level = shape.depth / 2;
      const rootNode = ((await tx.query('SELECT value FROM tree_nodes WHERE level = $1 AND position = 0', [level])).rows[0] as { value: string } | undefined)?.value;
      const above = Number((await tx.query('SELECT COUNT(*) AS n FROM tree_nodes WHERE level > $1', [level])).rows[0].n);
      if (rowsFitDepth(shape.depth, toTreeState(state), rootNode, above)) {
        await tx.query('INSERT INTO settings (key, value) VALUES ($1, $2)', [TREE_DEPTH_SETTING, String(shape.depth)]);
        return toTreeState(state);
      }
    }
    // First open since migration 9 (or a rebuild for another depth): the one full pass over the
    // leaves, level by level with one page in memory (tree-rows.ts FILL_PAGE).
    await tx.query('DELETE FROM tree_nodes');
    const insert = (level: number, from: number, values: bigint[]) =>
      tx.query('INSERT INTO tree_nodes (level, position, value) SELECT $1, p, v FROM unnest($2::bigint[], $3::text[]) AS t(p, v)', [
        level,
        values.map((_, k) => from + k),
        values.map((v) => v.toString()),
      ]);
    const capacity = 2 ** shape.depth;
    let leafCount = 0;
    for (;;) {
      const { rows } = await tx.query('SELECT leaf_index, value FROM leaves WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT $2', [leafCount, this.fillPage]);
      const inside = leafPage(leafCount, rows as Array<{ leaf_index: string; value: string }>).slice(0, Math.max(0, capacity - leafCount));
      if (inside.length > 0) await insert(1, leafCount / 4, parentPage(shape, 0, inside));
      leafCount += rows.length;
      if (rows.length < this.fillPage) break;
    }
    let root = emptyRoot(shape.depth);
    if (leafCount > 0) {
      for (let level = 1, width = Math.ceil(Math.min(leafCount, capacity) / 4); level < shape.depth / 2; level++, width = Math.ceil(width / 4)) {
        for (let at = 0; at < width; at += this.fillPage) {
          const { rows } = await tx.query('SELECT value FROM tree_nodes WHERE level = $1 AND position >= $2 ORDER BY position LIMIT $3', [level, at, this.fillPage]);
          await insert(
            level + 1,
            at / 4,
            parentPage(
              shape,
              level,
              (rows as Array<{ value: string }>).map((r) => BigInt(r.value)),
            ),
          );
        }
      }
      root = BigInt((await tx.query('SELECT value FROM tree_nodes WHERE level = $1 AND position = 0', [shape.depth / 2])).rows[0].value);
    }
    const revision = state ? toTreeState(state).revision + 1 : 1;
    await tx.query(
      'INSERT INTO tree_state (id, leaf_count, root, revision) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET leaf_count = excluded.leaf_count, root = excluded.root, revision = excluded.revision',
      [leafCount, root.toString(), revision],
    );
    await tx.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [TREE_DEPTH_SETTING, String(shape.depth)]);
    return { leafCount, root: root.toString(), revision };
  }

  private async readTreeState(tx: PgClient | PgPool): Promise<TreeStateRecord> {
    const r = (await tx.query('SELECT * FROM tree_state WHERE id = 1')).rows[0] as Parameters<typeof toTreeState>[0] | undefined;
    if (!r) throw new Error('the issuer tree was never opened on this database (tree_state is empty): start the service once');
    return toTreeState(r);
  }

  /** Rewrites the nodes above the changed leaves and `tree_state` (inside the caller's transaction, which holds the tree lock). */
  private async writeTree(tx: PgClient, shape: TreeShape, changes: Map<number, bigint>, leafCount: number): Promise<void> {
    const reads = treeReads(shape, changes);
    const known = new Map<string, string>();
    if (reads.length > 0) {
      const leaves = reads.filter((k) => k.level === 0).map((k) => k.position);
      const inner = reads.filter((k) => k.level > 0);
      const { rows } = await tx.query(
        `SELECT 0 AS level, leaf_index AS position, value FROM leaves WHERE leaf_index = ANY($1::bigint[])
         UNION ALL
         SELECT n.level, n.position, n.value FROM tree_nodes n JOIN unnest($2::int[], $3::bigint[]) AS k(level, position) ON n.level = k.level AND n.position = k.position`,
        [leaves, inner.map((k) => k.level), inner.map((k) => k.position)],
      );
      for (const r of rows.map(toTreeNode)) known.set(nodeKey(r.level, r.position), r.value);
    }
    const { nodes, root } = treeWrite(shape, changes, known);
    if (nodes.length > 0) {
      await tx.query(
        `INSERT INTO tree_nodes (level, position, value) SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[])
         ON CONFLICT (level, position) DO UPDATE SET value = excluded.value`,
        [nodes.map((n) => n.level), nodes.map((n) => n.position), nodes.map((n) => n.value.toString())],
      );
    }
    if (root === null) await tx.query('UPDATE tree_state SET leaf_count = $1, revision = revision + 1 WHERE id = 1', [leafCount]);
    else await tx.query('UPDATE tree_state SET leaf_count = $1, root = $2, revision = revision + 1 WHERE id = 1', [leafCount, root.toString()]);
  }

  async treeState(): Promise<TreeStateRecord> {
    return this.readTreeState(this.pool);
  }

  async treePath(index: number, siblings: Array<{ level: number; position: number }>): Promise<{ state: TreeStateRecord; leaf: string | null; nodes: TreeNodeRecord[] }> {
    // One statement, so one snapshot: the state, the leaf and the siblings belong together.
    const leaves = [index, ...siblings.filter((k) => k.level === 0).map((k) => k.position)];
    const inner = siblings.filter((k) => k.level > 0);
    const { rows } = await this.pool.query(
      `SELECT -1 AS level, leaf_count AS position, root AS value, revision FROM tree_state WHERE id = 1
       UNION ALL
       SELECT 0, leaf_index, value, NULL FROM leaves WHERE leaf_index = ANY($1::bigint[])
       UNION ALL
       SELECT n.level, n.position, n.value, NULL FROM tree_nodes n JOIN unnest($2::int[], $3::bigint[]) AS k(level, position) ON n.level = k.level AND n.position = k.position`,
      [leaves, inner.map((k) => k.level), inner.map((k) => k.position)],
    );
    const stateRow = rows.find((r) => Number(r.level) === -1);
    if (!stateRow) throw new Error('the issuer tree was never opened on this database (tree_state is empty): start the service once');
    const state = toTreeState({ leaf_count: stateRow.position, root: stateRow.value, revision: stateRow.revision });
    const nodes = rows.filter((r) => Number(r.level) >= 0).map(toTreeNode);
    const leaf = nodes.find((n) => n.level === 0 && n.position === index)?.value ?? null;
    const wanted = new Set(siblings.map((k) => nodeKey(k.level, k.position)));
    return { state, leaf, nodes: nodes.filter((n) => wanted.has(nodeKey(n.level, n.position))) };
  }

  async readTree<T>(fn: (reader: TreeReader) => Promise<T>): Promise<T> {
    // One snapshot for every read in `fn`: the nodes are those of the state it reads.
    return inTransaction(
      this.pool,
      (client) =>
        fn({
          state: () => this.readTreeState(client),
          range: async (level, start, end) => {
            const { rows } =
              level === 0
                ? await client.query('SELECT 0 AS level, leaf_index AS position, value FROM leaves WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index', [start, end])
                : await client.query('SELECT level, position, value FROM tree_nodes WHERE level = $1 AND position >= $2 AND position < $3 ORDER BY position', [level, start, end]);
            return rows.map(toTreeNode);
          },
        }),
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
  }

  async recordRootPublication(p: RootPublicationRecord, audit?: AuditEventRecord): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query('INSERT INTO root_publications (root, leaf_count, tx_hash, published_at) VALUES ($1, $2, $3, $4)', [p.root, p.leafCount, p.txHash, p.publishedAt]);
      if (audit) await this.insertAudit(tx, [audit]);
    });
  }

  async listRootPublications(offset: number, limit: number): Promise<RootPublicationRecord[]> {
    const { rows } = await this.pool.query('SELECT * FROM root_publications ORDER BY id DESC LIMIT $1 OFFSET $2', [limit, offset]);
    return rows.map((r) => ({ root: r.root, leafCount: r.leaf_count, txHash: r.tx_hash, publishedAt: r.published_at }));
  }

  async latestRootPublication(): Promise<RootPublicationRecord | null> {
    return (await this.listRootPublications(0, 1))[0] ?? null;
  }

  async createOid4vciOffer(o: PreAuthorizedCodeRecord, audit: AuditEventRecord): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query('UPDATE oid4vci_offers SET voided_at = $1 WHERE application_id = $2 AND redeemed_at IS NULL AND voided_at IS NULL', [o.createdAt, o.applicationId]);
      await tx.query(
        `INSERT INTO oid4vci_offers (code_hash, application_id, credential_id, tx_code_hash, failed_attempts, created_at, expires_at, redeemed_at, voided_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [o.codeHash, o.applicationId, o.credentialId, o.txCodeHash, o.failedAttempts, o.createdAt, o.expiresAt, o.redeemedAt, o.voidedAt],
      );
      await this.insertAudit(tx, [audit]);
    });
  }

  async getOid4vciOffer(codeHash: string): Promise<PreAuthorizedCodeRecord | null> {
    return ((await this.pool.query(OID4VCI_OFFER, [codeHash])).rows[0] as PreAuthorizedCodeRecord | undefined) ?? null;
  }

  async recordOid4vciTxCodeFailure(codeHash: string, now: number, maxAttempts: number, voidAudit: AuditEventRecord): Promise<PreAuthorizedCodeRecord | null> {
    return inTransaction(this.pool, async (tx) => {
      // One statement counts and voids, so concurrent wrong guesses cannot overshoot the limit unseen.
      const voided = await tx.query(
        `UPDATE oid4vci_offers SET failed_attempts = failed_attempts + 1,
           voided_at = CASE WHEN failed_attempts + 1 >= $2 THEN $3::BIGINT ELSE NULL END
         WHERE code_hash = $1 AND redeemed_at IS NULL AND voided_at IS NULL RETURNING voided_at`,
        [codeHash, maxAttempts, now],
      );
      if (voided.rows[0]?.voided_at != null) await this.insertAudit(tx, [voidAudit]);
      return ((await tx.query(OID4VCI_OFFER, [codeHash])).rows[0] as PreAuthorizedCodeRecord | undefined) ?? null;
    });
  }

  async redeemOid4vciCode({ codeHash, now, token: t }: { codeHash: string; now: number; token: Oid4vciAccessTokenRecord }): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      const redeemed = await tx.query('UPDATE oid4vci_offers SET redeemed_at = $1 WHERE code_hash = $2 AND redeemed_at IS NULL AND voided_at IS NULL AND expires_at > $1', [now, codeHash]);
      if (redeemed.rowCount !== 1) throw new StoreConflict('code_unusable', 'the pre-authorized code is unknown, redeemed, voided or expired');
      await tx.query('INSERT INTO oid4vci_access_tokens (token_hash, code_hash, application_id, credential_id, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        t.tokenHash,
        t.codeHash,
        t.applicationId,
        t.credentialId,
        t.createdAt,
        t.expiresAt,
        t.usedAt,
      ]);
    });
  }

  async getOid4vciAccessToken(tokenHash: string): Promise<Oid4vciAccessTokenRecord | null> {
    return ((await this.pool.query(OID4VCI_TOKEN, [tokenHash])).rows[0] as Oid4vciAccessTokenRecord | undefined) ?? null;
  }

  async createOid4vciNonce(n: Oid4vciNonceRecord): Promise<void> {
    await this.pool.query('INSERT INTO oid4vci_nonces (nonce_hash, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4)', [n.nonceHash, n.createdAt, n.expiresAt, n.usedAt]);
  }

  async getOid4vciNonce(nonceHash: string): Promise<Oid4vciNonceRecord | null> {
    return ((await this.pool.query(OID4VCI_NONCE, [nonceHash])).rows[0] as Oid4vciNonceRecord | undefined) ?? null;
  }

  async deliverOid4vciCredential({ tokenHash, nonceHash, now, audit }: { tokenHash: string; nonceHash: string; now: number; audit: AuditEventRecord }): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      const nonce = await tx.query('UPDATE oid4vci_nonces SET used_at = $1 WHERE nonce_hash = $2 AND used_at IS NULL AND expires_at > $1', [now, nonceHash]);
      if (nonce.rowCount !== 1) throw new StoreConflict('nonce_unusable', 'the nonce is unknown, used or expired');
      const token = await tx.query('UPDATE oid4vci_access_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1', [now, tokenHash]);
      if (token.rowCount !== 1) throw new StoreConflict('access_token_unusable', 'the access token is unknown, used or expired');
      await this.insertAudit(tx, [audit]);
    });
  }

  async pruneOid4vci(now: number): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const nonces = (await tx.query('DELETE FROM oid4vci_nonces WHERE expires_at < $1', [now])).rowCount ?? 0;
      const tokens = (await tx.query('DELETE FROM oid4vci_access_tokens WHERE expires_at < $1', [now])).rowCount ?? 0;
      const offers = (await tx.query('DELETE FROM oid4vci_offers WHERE expires_at < $1 AND code_hash NOT IN (SELECT code_hash FROM oid4vci_access_tokens)', [now])).rowCount ?? 0;
      return nonces + tokens + offers;
    });
  }

  async statusListUsage(): Promise<Array<{ id: number; allocated: number }>> {
    const { rows } = await this.pool.query(
      'SELECT status_list AS id, COUNT(*)::int AS n FROM credentials WHERE status_index IS NOT NULL AND status_list = (SELECT MAX(status_list) FROM credentials WHERE status_index IS NOT NULL) GROUP BY status_list',
    );
    return rows.map((r) => ({ id: Number(r.id), allocated: Number(r.n) }));
  }

  async isStatusBitTaken(list: number, index: number): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM credentials WHERE status_list = $1 AND status_index = $2', [list, index])).rowCount ?? 0) > 0;
  }

  async getStatusList(id: number): Promise<StatusListRecord | null> {
    const r = (await this.pool.query('SELECT * FROM status_lists WHERE id = $1', [id])).rows[0] as StatusListRow | undefined;
    return r ? toStatusList(r) : null;
  }

  async cacheSignedStatusList(id: number, version: number, jwt: string, signedAt: number): Promise<boolean> {
    const r = await this.pool.query('UPDATE status_lists SET signed_jwt = $1, signed_version = $2, signed_at = $3 WHERE id = $4 AND version = $5', [jwt, version, signedAt, id, version]);
    return r.rowCount === 1;
  }

  async rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const t of [...STORE_TABLES, ...OID4VCI_TABLES]) counts[t] = (await this.pool.query(`SELECT COUNT(*) AS n FROM ${t}`)).rows[0].n as number;
    return counts;
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
    await this.instanceLock?.release();
  }
}
