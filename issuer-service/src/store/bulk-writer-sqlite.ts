import { STATUS_LIST_BYTES } from '@zkkyc/credentials';
import type { NodeKey } from '@zkkyc/tree';
import { BulkWriteConflict, chunkLeaves, nodeKey, personActiveConflict, rootOf, type BulkChunk, type BulkWriter, type ImportRun, type TreeStateRow } from './bulk-writer.js';
import { auditEventValues, CREDENTIAL_COLUMNS, credentialValues, INSERT_AUDIT_EVENT } from './record-rows.js';
import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from './sqlite-database.js';
import { checkStoredDepth, STORED_TREE_DEPTH_SQL, treeReads, treeWrite, type TreeShape } from './tree-rows.js';

const RUN_SELECT = `SELECT id, file_name AS fileName, total_rows AS totalRows, rows_done AS rowsDone, issued, skipped,
  started_at AS startedAt, updated_at AS updatedAt, finished_at AS finishedAt FROM import_runs WHERE id = ?`;

/** Batches of `IN (…)` parameters, well under SQLite's 32,766 limit. */
const IN_BATCH = 500;

/**
 * The import connection's settings (per connection: the service's own connections keep theirs).
 *
 * - `synchronous = NORMAL` instead of the service's FULL: in WAL mode a commit is then written to
 *   the WAL without an fsync, which survives the import process being killed (kill -9: the OS has
 *   the pages) but not a power loss, which may roll back the last chunks. They roll back with the
 *   journal rows of the same transactions, so a rerun issues them again, once. The journal's
 *   finish row is committed with `synchronous = FULL` (`finishRun`): in WAL mode that commit
 *   fsyncs the WAL file, and with it every chunk written before. Closing then copies the WAL into
 *   the database file (`finishImportDatabase`); the importer reports only after that.
 * - A page cache of up to 256 MB and in-memory temporary storage: the chunks insert keys that fall
 *   anywhere in growing indexes (holder DIDs, person keys, status bits), and with the default 2 MB
 *   cache each chunk read those index pages back from the OS — the write of a chunk took 2.5× longer
 *   at 100,000 rows than at 20,000.
 * - A checkpoint every 64 MB of WAL instead of every 4 MB: index pages that several chunks change
 *   are copied into the database file once.
 */
export function tuneForImport(db: SqliteDb): void {
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -262144');
  db.pragma('temp_store = MEMORY');
  db.pragma('wal_autocheckpoint = 16384');
}

/** Tries of the full checkpoint, each waiting up to this long for readers, before settling for a partial one. */
const CHECKPOINT_TRIES = 3;
const CHECKPOINT_WAIT_MS = 1_000;

export interface ImportDatabaseFinish {
  /** False when a reader's snapshot (e.g. an online backup) kept part of the WAL from being copied into the database file. */
  checkpointed: boolean;
}

/**
 * Copies the whole WAL into the database file and syncs it (a checkpoint syncs the WAL before it
 * copies, and the database file after). A reader holding an older snapshot blocks the copy of the
 * frames after it: the checkpoint is tried again a few times, then done as far as it goes
 * (`PASSIVE`), and the result says so — the frames left are in the WAL, synced by the journal's
 * FULL finish commit (`finishRun`), and the next checkpoint copies them.
 */
export function finishImportDatabase(db: SqliteDb): ImportDatabaseFinish {
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${CHECKPOINT_WAIT_MS}`);
  for (let tries = 0; tries < CHECKPOINT_TRIES; tries++) {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as CheckpointResult[];
    if (result.busy === 0) return { checkpointed: true };
  }
  const [result] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
  return { checkpointed: result.busy === 0 && result.log === result.checkpointed };
}

/** One row of `PRAGMA wal_checkpoint`: blocked, frames in the WAL, frames copied into the database file. */
interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * The bulk writer over better-sqlite3: one `db.transaction` per chunk with statements prepared once,
 * each table's rows in multi-row INSERTs.
 * The file's one-instance lock (taken when the import opens the database) keeps the service out
 * meanwhile; the transaction still checks the leaf count and computes the nodes from what is stored
 * inside it, so nothing read outside it (when the chunk was planned) reaches the tree.
 */
export class SqliteBulkWriter implements BulkWriter {
  readonly backend = 'sqlite' as const;
  private readonly insert;
  private readonly read;

  constructor(private readonly db: SqliteDb) {
    const rows = (table: string, columns: string) => new MultiRowInsert(db, `INSERT INTO ${table} (${columns})`, columns.split(',').length);
    this.insert = {
      challenge: rows('challenges', 'nonce, did, created_at, expires_at, used_at'),
      application: rows('applications', 'id, holder_did, identity_commitment, attributes_json, status, access_token_hash, challenge_nonce, created_at, updated_at'),
      credential: rows('credentials', CREDENTIAL_COLUMNS),
      leaf: rows('leaves', 'leaf_index, value, credential_id'),
      record: rows('identity_records', 'credential_id, leaf_index, sealed_record, valid_until, created_at, purged_at'),
      decision: rows('decisions', 'subject_type, subject_id, action, reviewer, reason, decided_at'),
      customer: rows('imported_customers', 'customer_id, run_id, row_number, credential_id'),
      node: db.prepare('INSERT INTO tree_nodes (level, position, value) VALUES (?, ?, ?) ON CONFLICT (level, position) DO UPDATE SET value = excluded.value'),
      statusList: db.prepare("INSERT INTO status_lists (id, purpose, bits, version, updated_at) VALUES (?, 'revocation', ?, 0, ?) ON CONFLICT (id) DO NOTHING"),
      treeState: db.prepare(
        `INSERT INTO tree_state (id, leaf_count, root, revision) VALUES (1, ?, ?, 1)
         ON CONFLICT (id) DO UPDATE SET leaf_count = excluded.leaf_count, root = excluded.root, revision = tree_state.revision + 1`,
      ),
      progress: db.prepare('UPDATE import_runs SET rows_done = ?, issued = ?, skipped = ?, updated_at = ? WHERE id = ?'),
      audit: db.prepare(INSERT_AUDIT_EVENT),
    };
    this.read = {
      run: db.prepare('SELECT rows_done FROM import_runs WHERE id = ?'),
      leafCount: db.prepare('SELECT leaf_count FROM tree_state WHERE id = 1'),
      depth: db.prepare(STORED_TREE_DEPTH_SQL),
      leafAt: db.prepare('SELECT value FROM leaves WHERE leaf_index = ?'),
      nodeAt: db.prepare('SELECT value FROM tree_nodes WHERE level = ? AND position = ?'),
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
    // FULL from here on: this commit fsyncs the WAL, making the chunks committed under NORMAL durable (tuneForImport).
    this.db.pragma('synchronous = FULL');
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
    const { db, insert, read } = this;
    db.transaction(() => {
      const run = read.run.get(chunk.runId) as { rows_done: number } | undefined;
      if (!run || run.rows_done !== chunk.rowsDoneBefore) {
        throw new BulkWriteConflict('journal_moved', `import run ${chunk.runId.slice(0, 12)}… is at row ${run?.rows_done ?? '(none)'}, expected ${chunk.rowsDoneBefore}`);
      }
      const state = read.leafCount.get() as { leaf_count: number } | undefined;
      const leaves = state ? Number(state.leaf_count) : (db.prepare('SELECT COUNT(*) AS n FROM leaves').get() as { n: number }).n;
      if (leaves !== chunk.firstLeafIndex) {
        throw new BulkWriteConflict('leaf_count_moved', `the tree holds ${leaves} leaves, the chunk starts at leaf ${chunk.firstLeafIndex}`);
      }
      checkStoredDepth((read.depth.get() as { value: string } | undefined)?.value, tree.depth);
      const personKeys = chunk.rows.map((r) => r.credential.personKey).filter((k): k is string => k != null);
      const active = this.inBatches((m) => `SELECT person_key FROM credentials WHERE status = 'active' AND person_key IN (${m})`, personKeys, 'person_key');
      const personConflict = personActiveConflict(chunk, active);
      if (personConflict) throw personConflict;
      // The nodes above the new leaves, from the siblings as stored now (a revocation may have
      // changed them since the chunk was planned); read before the chunk's own leaves go in.
      const changes = chunkLeaves(chunk);
      const known = new Map<string, string>();
      for (const k of treeReads(tree, changes)) {
        const r = (k.level === 0 ? read.leafAt.get(k.position) : read.nodeAt.get(k.level, k.position)) as { value: string } | undefined;
        if (r) known.set(nodeKey(k.level, k.position), r.value);
      }
      const { nodes, root } = treeWrite(tree, changes, known);
      const { rows, now } = chunk;
      // Each table's rows in statements of many rows (MultiRowInsert), parents before children.
      insert.challenge.run(rows.map((r) => [r.challengeNonce, r.application.holderDid, now, now, now]));
      insert.application.run(
        rows.map(({ application: a }) => [a.id, a.holderDid, a.identityCommitment, JSON.stringify(a.attributes), a.status, a.accessTokenHash, a.challengeNonce, a.createdAt, a.updatedAt]),
      );
      for (const list of new Set(rows.map((r) => r.credential.statusList).filter((l): l is number => l != null))) insert.statusList.run(list, Buffer.alloc(STATUS_LIST_BYTES), now);
      insert.credential.run(rows.map((r) => credentialValues(r.credential)));
      insert.leaf.run(rows.map(({ credential: c }) => [c.leafIndex, c.leaf, c.id]));
      insert.record.run(rows.map(({ identityRecord: rec }) => [rec.credentialId, rec.leafIndex, rec.sealed, rec.validUntil, rec.createdAt, rec.purgedAt]));
      insert.decision.run(rows.map(({ decision: d }) => [d.subjectType, d.subjectId, d.action, d.reviewer, d.reason, d.decidedAt]));
      insert.customer.run(rows.map((r) => [r.customerId, chunk.runId, r.row, r.credential.id]));
      if (rows.length > 0) {
        for (const n of nodes) insert.node.run(n.level, n.position, n.value.toString());
        insert.treeState.run(chunk.firstLeafIndex + rows.length, rootOf(tree, root));
        insert.audit.run(...auditEventValues(chunk.audit));
      }
      insert.progress.run(chunk.rowsDone, chunk.issued, chunk.skipped, chunk.now, chunk.runId);
    })();
  }
}

/**
 * Inserts rows into one table a hundred at a time (`INSERT … VALUES (…), (…), …`): one statement
 * step per hundred rows instead of per row, which is most of what a row costs this process to
 * write. Statements are prepared once per row count (a chunk's last, shorter batch included).
 */
class MultiRowInsert {
  static readonly BATCH = 100;
  private readonly statements = new Map<number, Statement>();

  constructor(
    private readonly db: SqliteDb,
    private readonly head: string,
    private readonly width: number,
  ) {}

  private statement(count: number): Statement {
    let s = this.statements.get(count);
    if (!s) {
      const row = `(${Array.from({ length: this.width }, () => '?').join(', ')})`;
      s = this.db.prepare(`${this.head} VALUES ${Array.from({ length: count }, () => row).join(', ')}`);
      this.statements.set(count, s);
    }
    return s;
  }

  run(rows: unknown[][]): void {
    for (let i = 0; i < rows.length; i += MultiRowInsert.BATCH) {
      const batch = rows.slice(i, i + MultiRowInsert.BATCH);
      this.statement(batch.length).run(batch.flat());
    }
  }
}
