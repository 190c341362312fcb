import { STATUS_LIST_BYTES } from '@zkkyc/credentials';
import type { NodeKey } from '@zkkyc/tree';
import { BulkWriteConflict, chunkLeaves, nodeKey, personActiveConflict, rootOf, type BulkChunk, type BulkWriter, type ImportRun, type TreeStateRow } from './bulk-writer.js';
import { auditEventValues, CREDENTIAL_COLUMNS, credentialValues, INSERT_AUDIT_EVENT } from './record-rows.js';
import type { SqliteDb } from './sqlite-database.js';
import { checkStoredDepth, STORED_TREE_DEPTH_SQL, treeReads, treeWrite, type TreeShape } from './tree-rows.js';

const RUN_SELECT = `SELECT id, file_name AS fileName, total_rows AS totalRows, rows_done AS rowsDone, issued, skipped,
  started_at AS startedAt, updated_at AS updatedAt, finished_at AS finishedAt FROM import_runs WHERE id = ?`;

/** Batches of `IN (…)` parameters, well under SQLite's 32,766 limit. */
const IN_BATCH = 500;

/**
 * The bulk writer over better-sqlite3: one `db.transaction` per chunk with statements prepared once.
 * The file's one-instance lock (taken when the import opens the database) keeps the service out
 * meanwhile; the transaction still checks the leaf count and computes the nodes from what is stored
 * inside it, so nothing read outside it (when the chunk was planned) reaches the tree.
 */
export class SqliteBulkWriter implements BulkWriter {
  readonly backend = 'sqlite' as const;
  private readonly insert;

  constructor(private readonly db: SqliteDb) {
    const values = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    this.insert = {
      challenge: db.prepare('INSERT INTO challenges (nonce, did, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)'),
      application: db.prepare(
        `INSERT INTO applications (id, holder_did, identity_commitment, attributes_json, status, access_token_hash, challenge_nonce, created_at, updated_at) VALUES (${values(9)})`,
      ),
      credential: db.prepare(`INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES (${values(CREDENTIAL_COLUMNS.split(',').length)})`),
      leaf: db.prepare('INSERT INTO leaves (leaf_index, value, credential_id) VALUES (?, ?, ?)'),
      record: db.prepare(`INSERT INTO identity_records (credential_id, leaf_index, sealed_record, valid_until, created_at, purged_at) VALUES (${values(6)})`),
      decision: db.prepare(`INSERT INTO decisions (subject_type, subject_id, action, reviewer, reason, decided_at) VALUES (${values(6)})`),
      customer: db.prepare('INSERT INTO imported_customers (customer_id, run_id, row_number, credential_id) VALUES (?, ?, ?, ?)'),
      node: db.prepare('INSERT INTO tree_nodes (level, position, value) VALUES (?, ?, ?) ON CONFLICT (level, position) DO UPDATE SET value = excluded.value'),
      statusList: db.prepare("INSERT INTO status_lists (id, purpose, bits, version, updated_at) VALUES (?, 'revocation', ?, 0, ?) ON CONFLICT (id) DO NOTHING"),
      audit: db.prepare(INSERT_AUDIT_EVENT),
    };
  }

  async getRun(id: string): Promise<ImportRun | null> {
    return (this.db.prepare(RUN_SELECT).get(id) as ImportRun | undefined) ?? null;
  }

  async startRun(run: ImportRun): Promise<ImportRun> {
    this.db
      .prepare(
        `INSERT INTO import_runs (id, file_name, total_rows, rows_done, issued, skipped, started_at, updated_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(run.id, run.fileName, run.totalRows, run.rowsDone, run.issued, run.skipped, run.startedAt, run.updatedAt, run.finishedAt);
    return (await this.getRun(run.id)) as ImportRun;
  }

  async finishRun(id: string, at: number): Promise<void> {
    this.db.prepare('UPDATE import_runs SET finished_at = ?, updated_at = ? WHERE id = ? AND finished_at IS NULL').run(at, at, id);
  }

  async treeState(): Promise<TreeStateRow | null> {
    const r = this.db.prepare('SELECT leaf_count, root, revision FROM tree_state WHERE id = 1').get() as { leaf_count: number; root: string; revision: number } | undefined;
    return r ? { leafCount: Number(r.leaf_count), root: BigInt(r.root), revision: Number(r.revision) } : null;
  }

  async leafCount(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM leaves').get() as { n: number }).n;
  }

  async readNodes(keys: NodeKey[]): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    const leaf = this.db.prepare('SELECT value FROM leaves WHERE leaf_index = ?');
    const node = this.db.prepare('SELECT value FROM tree_nodes WHERE level = ? AND position = ?');
    for (const k of keys) {
      const r = (k.level === 0 ? leaf.get(k.position) : node.get(k.level, k.position)) as { value: string } | undefined;
      if (r) out.set(nodeKey(k.level, k.position), BigInt(r.value));
    }
    return out;
  }

  private inBatches(sql: (marks: string) => string, values: string[], column: string): Set<string> {
    const found = new Set<string>();
    for (let i = 0; i < values.length; i += IN_BATCH) {
      const batch = values.slice(i, i + IN_BATCH);
      const rows = this.db.prepare(sql(batch.map(() => '?').join(', '))).all(...batch) as Array<Record<string, string>>;
      for (const r of rows) found.add(r[column]);
    }
    return found;
  }

  async importedCustomers(ids: string[]): Promise<Set<string>> {
    return this.inBatches((m) => `SELECT customer_id FROM imported_customers WHERE customer_id IN (${m})`, ids, 'customer_id');
  }

  async activePersons(keys: string[]): Promise<Set<string>> {
    return this.inBatches((m) => `SELECT person_key FROM credentials WHERE status = 'active' AND person_key IN (${m})`, keys, 'person_key');
  }

  async takenStatusBits(list: number): Promise<number[]> {
    return (this.db.prepare('SELECT status_index FROM credentials WHERE status_list = ? AND status_index IS NOT NULL').all(list) as Array<{ status_index: number }>).map((r) => r.status_index);
  }

  async lastStatusList(): Promise<number> {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM status_lists').get() as { id: number }).id;
  }

  async writeChunk(chunk: BulkChunk, tree: TreeShape): Promise<void> {
    const { db, insert } = this;
    const leafAt = db.prepare('SELECT value FROM leaves WHERE leaf_index = ?');
    const nodeAt = db.prepare('SELECT value FROM tree_nodes WHERE level = ? AND position = ?');
    db.transaction(() => {
      const run = db.prepare('SELECT rows_done FROM import_runs WHERE id = ?').get(chunk.runId) as { rows_done: number } | undefined;
      if (!run || run.rows_done !== chunk.rowsDoneBefore) {
        throw new BulkWriteConflict('journal_moved', `import run ${chunk.runId.slice(0, 12)}… is at row ${run?.rows_done ?? '(none)'}, expected ${chunk.rowsDoneBefore}`);
      }
      const state = db.prepare('SELECT leaf_count FROM tree_state WHERE id = 1').get() as { leaf_count: number } | undefined;
      const leaves = state ? Number(state.leaf_count) : (db.prepare('SELECT COUNT(*) AS n FROM leaves').get() as { n: number }).n;
      if (leaves !== chunk.firstLeafIndex) {
        throw new BulkWriteConflict('leaf_count_moved', `the tree holds ${leaves} leaves, the chunk starts at leaf ${chunk.firstLeafIndex}`);
      }
      checkStoredDepth((db.prepare(STORED_TREE_DEPTH_SQL).get() as { value: string } | undefined)?.value, tree.depth);
      const personKeys = chunk.rows.map((r) => r.credential.personKey).filter((k): k is string => k != null);
      const active = this.inBatches((m) => `SELECT person_key FROM credentials WHERE status = 'active' AND person_key IN (${m})`, personKeys, 'person_key');
      const personConflict = personActiveConflict(chunk, active);
      if (personConflict) throw personConflict;
      // The nodes above the new leaves, from the siblings as stored now (a revocation may have
      // changed them since the chunk was planned); read before the chunk's own leaves go in.
      const changes = chunkLeaves(chunk);
      const known = new Map<string, string>();
      for (const k of treeReads(tree, changes)) {
        const r = (k.level === 0 ? leafAt.get(k.position) : nodeAt.get(k.level, k.position)) as { value: string } | undefined;
        if (r) known.set(nodeKey(k.level, k.position), r.value);
      }
      const { nodes, root } = treeWrite(tree, changes, known);
      const lists = new Set<number>();
      for (const r of chunk.rows) {
        const a = r.application;
        const c = r.credential;
        const rec = r.identityRecord;
        const d = r.decision;
        insert.challenge.run(r.challengeNonce, a.holderDid, chunk.now, chunk.now, chunk.now);
        insert.application.run(a.id, a.holderDid, a.identityCommitment, JSON.stringify(a.attributes), a.status, a.accessTokenHash, a.challengeNonce, a.createdAt, a.updatedAt);
        if (c.statusList != null && !lists.has(c.statusList)) {
          lists.add(c.statusList);
          insert.statusList.run(c.statusList, Buffer.alloc(STATUS_LIST_BYTES), chunk.now);
        }
        insert.credential.run(...credentialValues(c));
        insert.leaf.run(c.leafIndex, c.leaf, c.id);
        insert.record.run(rec.credentialId, rec.leafIndex, rec.sealed, rec.validUntil, rec.createdAt, rec.purgedAt);
        insert.decision.run(d.subjectType, d.subjectId, d.action, d.reviewer, d.reason, d.decidedAt);
        insert.customer.run(r.customerId, chunk.runId, r.row, c.id);
      }
      if (chunk.rows.length > 0) {
        for (const n of nodes) insert.node.run(n.level, n.position, n.value.toString());
        db.prepare(
          `INSERT INTO tree_state (id, leaf_count, root, revision) VALUES (1, ?, ?, 1)
           ON CONFLICT (id) DO UPDATE SET leaf_count = excluded.leaf_count, root = excluded.root, revision = tree_state.revision + 1`,
        ).run(chunk.firstLeafIndex + chunk.rows.length, rootOf(tree, root));
        insert.audit.run(...auditEventValues(chunk.audit));
      }
      db.prepare('UPDATE import_runs SET rows_done = ?, issued = ?, skipped = ?, updated_at = ? WHERE id = ?').run(chunk.rowsDone, chunk.issued, chunk.skipped, chunk.now, chunk.runId);
    })();
  }
}
