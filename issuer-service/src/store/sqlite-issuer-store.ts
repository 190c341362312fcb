import type { SqliteDb } from './sqlite-database.js';
import { STORE_TABLES, toApplication, toCredential, toDecision, type ApplicationRow, type CredentialRow, type DecisionRow } from './record-rows.js';
import {
  StoreConflict,
  type ApplicationRecord,
  type ApplicationStatus,
  type ChallengeRecord,
  type CredentialRecord,
  type DecisionRecord,
  type IssuerStore,
  type LeafRecord,
  type RootPublicationRecord,
} from './issuer-store.js';

function isUniqueViolation(err: unknown, needle: string): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') &&
    typeof e.message === 'string' &&
    e.message.includes(needle)
  );
}

/**
 * `IssuerStore` over better-sqlite3. better-sqlite3 is synchronous, so each method runs to
 * completion before the event loop moves on; multi-row writes use `db.transaction`, which rolls
 * back when the function throws.
 */
export class SqliteIssuerStore implements IssuerStore {
  constructor(private readonly db: SqliteDb) {}

  async getSetting(key: string): Promise<string | null> {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  async initSetting(key: string, value: string): Promise<string> {
    this.db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, value);
    return (await this.getSetting(key)) as string;
  }

  async createChallenge(c: ChallengeRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO challenges (nonce, did, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)')
      .run(c.nonce, c.did, c.createdAt, c.expiresAt, c.usedAt);
  }

  async getChallenge(nonce: string): Promise<ChallengeRecord | null> {
    const r = this.db.prepare('SELECT * FROM challenges WHERE nonce = ?').get(nonce) as
      | { nonce: string; did: string; created_at: number; expires_at: number; used_at: number | null }
      | undefined;
    if (!r) return null;
    return { nonce: r.nonce, did: r.did, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at };
  }

  async pruneChallenges(now: number): Promise<number> {
    // Used challenges stay: applications reference them, and they document the proof of control.
    return this.db.prepare('DELETE FROM challenges WHERE used_at IS NULL AND expires_at < ?').run(now).changes;
  }

  async submitApplication(a: ApplicationRecord, now: number): Promise<void> {
    this.db.transaction(() => {
      const consumed = this.db
        .prepare('UPDATE challenges SET used_at = ? WHERE nonce = ? AND did = ? AND used_at IS NULL AND expires_at > ?')
        .run(now, a.challengeNonce, a.holderDid, now);
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

  async recordApproval({ credential: c, decision }: { credential: CredentialRecord; decision: DecisionRecord }): Promise<void> {
    this.db.transaction(() => {
      this.closeApplication(c.applicationId, 'approved', decision.decidedAt);
      // Leaves are appended without gaps (the tree is rebuilt from them), so the only index an
      // approval may take is the next one.
      const next = (this.db.prepare('SELECT COUNT(*) AS n FROM leaves').get() as { n: number }).n;
      if (c.leafIndex !== next) throw new StoreConflict('leaf_index_taken', `leaf index ${c.leafIndex} is not the next free index (${next})`);
      try {
        this.db
          .prepare(
            `INSERT INTO credentials (id, application_id, holder_did, leaf_index, leaf, salt, attributes_json, expiry_date,
               vc_jwt, status, issued_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(c.id, c.applicationId, c.holderDid, c.leafIndex, c.leaf, c.salt, JSON.stringify(c.attributes), c.expiryDate, c.vcJwt, c.status, c.issuedAt, c.revokedAt);
        this.db.prepare('INSERT INTO leaves (leaf_index, value, credential_id) VALUES (?, ?, ?)').run(c.leafIndex, c.leaf, c.id);
      } catch (err) {
        if (isUniqueViolation(err, 'leaf_index')) throw new StoreConflict('leaf_index_taken', `leaf index ${c.leafIndex} is taken`);
        throw err;
      }
      this.insertDecision(decision);
    })();
  }

  async recordRejection({ applicationId, decision }: { applicationId: string; decision: DecisionRecord }): Promise<void> {
    this.db.transaction(() => {
      this.closeApplication(applicationId, 'rejected', decision.decidedAt);
      this.insertDecision(decision);
    })();
  }

  async recordRevocation({ credentialId, decision }: { credentialId: string; decision: DecisionRecord }): Promise<void> {
    this.db.transaction(() => {
      const r = this.db
        .prepare("UPDATE credentials SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'")
        .run(decision.decidedAt, credentialId);
      if (r.changes !== 1) throw new StoreConflict('credential_not_active', `credential ${credentialId} is not active`);
      this.db.prepare("UPDATE leaves SET value = '0' WHERE credential_id = ?").run(credentialId);
      this.insertDecision(decision);
    })();
  }

  async getCredential(id: string): Promise<CredentialRecord | null> {
    const r = this.db.prepare('SELECT * FROM credentials WHERE id = ?').get(id) as CredentialRow | undefined;
    return r ? toCredential(r) : null;
  }

  async getCredentialForApplication(applicationId: string): Promise<CredentialRecord | null> {
    const r = this.db.prepare('SELECT * FROM credentials WHERE application_id = ?').get(applicationId) as CredentialRow | undefined;
    return r ? toCredential(r) : null;
  }

  async listDecisions(subjectType: DecisionRecord['subjectType'], subjectId: string): Promise<DecisionRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM decisions WHERE subject_type = ? AND subject_id = ? ORDER BY id')
      .all(subjectType, subjectId) as DecisionRow[];
    return rows.map(toDecision);
  }

  async leafCount(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM leaves').get() as { n: number }).n;
  }

  async listLeaves(offset: number, limit: number): Promise<LeafRecord[]> {
    const rows = this.db.prepare('SELECT leaf_index, value FROM leaves ORDER BY leaf_index LIMIT ? OFFSET ?').all(limit, offset) as Array<{
      leaf_index: number;
      value: string;
    }>;
    return rows.map((r) => ({ index: r.leaf_index, value: r.value }));
  }

  async recordRootPublication(p: RootPublicationRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO root_publications (root, leaf_count, tx_hash, published_at) VALUES (?, ?, ?, ?)')
      .run(p.root, p.leafCount, p.txHash, p.publishedAt);
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

  async rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const t of STORE_TABLES) counts[t] = (this.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    return counts;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
