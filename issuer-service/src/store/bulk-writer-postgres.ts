import { STATUS_LIST_BYTES } from '@zkkyc/credentials';
import type { NodeKey, NodeValue } from '@zkkyc/tree';
import { BulkWriteConflict, chunkLeaves, nodeKey, personActiveConflict, rootOf, type BulkChunk, type BulkWriter, type ImportRun, type TreeStateRow } from './bulk-writer.js';
import type { PgPool } from './postgres-database.js';
import { auditEventValues, INSERT_AUDIT_EVENT } from './record-rows.js';
import { toPostgresPlaceholders } from './sql-runner.js';
import { checkStoredDepth, STORED_TREE_DEPTH_SQL, TREE_LOCK_SQL, treeReads, treeWrite, type TreeShape } from './tree-rows.js';

/** The pool or a transaction's client. */
type Queryable = { query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };

const RUN_SELECT = `SELECT id, file_name AS "fileName", total_rows AS "totalRows", rows_done AS "rowsDone", issued, skipped,
  started_at AS "startedAt", updated_at AS "updatedAt", finished_at AS "finishedAt" FROM import_runs WHERE id = $1`;

const UNIQUE_VIOLATION = '23505';

/**
 * The bulk writer over Postgres: each table of a chunk is one `INSERT … SELECT FROM unnest(arrays)`
 * (a statement per table, not per row), in one transaction. Other service instances may be
 * approving on the same database meanwhile, so the transaction takes the leaf advisory lock their
 * approvals take and checks the leaf count under it; a chunk that lost the race is refused whole
 * (`BulkWriteConflict`) and planned again.
 */
export class PostgresBulkWriter implements BulkWriter {
  readonly backend = 'postgres' as const;

  constructor(private readonly pool: PgPool) {}

  async getRun(id: string): Promise<ImportRun | null> {
    const { rows } = await this.pool.query(RUN_SELECT, [id]);
    return (rows[0] as ImportRun | undefined) ?? null;
  }

  async startRun(run: ImportRun): Promise<ImportRun> {
    await this.pool.query(
      `INSERT INTO import_runs (id, file_name, total_rows, rows_done, issued, skipped, started_at, updated_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
      [run.id, run.fileName, run.totalRows, run.rowsDone, run.issued, run.skipped, run.startedAt, run.updatedAt, run.finishedAt],
    );
    return (await this.getRun(run.id)) as ImportRun;
  }

  async finishRun(id: string, at: number): Promise<void> {
    await this.pool.query('UPDATE import_runs SET finished_at = $1, updated_at = $1 WHERE id = $2 AND finished_at IS NULL', [at, id]);
  }

  async treeState(): Promise<TreeStateRow | null> {
    const { rows } = await this.pool.query('SELECT leaf_count, root, revision FROM tree_state WHERE id = 1');
    const r = rows[0] as { leaf_count: number; root: string; revision: number } | undefined;
    return r ? { leafCount: Number(r.leaf_count), root: BigInt(r.root), revision: Number(r.revision) } : null;
  }

  async leafCount(): Promise<number> {
    const { rows } = await this.pool.query('SELECT COUNT(*)::bigint AS n FROM leaves');
    return Number(rows[0].n);
  }

  async readNodes(keys: NodeKey[]): Promise<Map<string, bigint>> {
    return readNodesWith(this.pool, keys);
  }

  async importedCustomers(ids: string[]): Promise<Set<string>> {
    const { rows } = await this.pool.query('SELECT customer_id FROM imported_customers WHERE customer_id = ANY($1::text[])', [ids]);
    return new Set((rows as Array<{ customer_id: string }>).map((r) => r.customer_id));
  }

  async activePersons(keys: string[]): Promise<Set<string>> {
    const { rows } = await this.pool.query("SELECT person_key FROM credentials WHERE status = 'active' AND person_key = ANY($1::text[])", [keys]);
    return new Set((rows as Array<{ person_key: string }>).map((r) => r.person_key));
  }

  async takenStatusBits(list: number): Promise<number[]> {
    const { rows } = await this.pool.query('SELECT status_index FROM credentials WHERE status_list = $1 AND status_index IS NOT NULL', [list]);
    return (rows as Array<{ status_index: number }>).map((r) => Number(r.status_index));
  }

  async lastStatusList(): Promise<number> {
    const { rows } = await this.pool.query('SELECT COALESCE(MAX(id), 0)::bigint AS id FROM status_lists');
    return Number(rows[0].id);
  }

  async writeChunk(chunk: BulkChunk, tree: TreeShape): Promise<void> {
    const tx = await this.pool.connect();
    try {
      await tx.query('BEGIN');
      await tx.query(TREE_LOCK_SQL); // the lock the store's approvals and revocations take
      const run = (await tx.query('SELECT rows_done FROM import_runs WHERE id = $1 FOR UPDATE', [chunk.runId])).rows[0] as { rows_done: number } | undefined;
      if (!run || Number(run.rows_done) !== chunk.rowsDoneBefore) {
        throw new BulkWriteConflict('journal_moved', `import run ${chunk.runId.slice(0, 12)}… is at row ${run?.rows_done ?? '(none)'}, expected ${chunk.rowsDoneBefore}`);
      }
      const state = (await tx.query('SELECT leaf_count FROM tree_state WHERE id = 1')).rows[0] as { leaf_count: number } | undefined;
      const leaves = state ? Number(state.leaf_count) : Number((await tx.query('SELECT COUNT(*)::bigint AS n FROM leaves')).rows[0].n);
      if (leaves !== chunk.firstLeafIndex) {
        throw new BulkWriteConflict('leaf_count_moved', `the tree holds ${leaves} leaves, the chunk starts at leaf ${chunk.firstLeafIndex}`);
      }
      checkStoredDepth(((await tx.query(STORED_TREE_DEPTH_SQL)).rows[0] as { value: string } | undefined)?.value, tree.depth);
      if (chunk.rows.length > 0) {
        const personKeys = chunk.rows.map((r) => r.credential.personKey).filter((k): k is string => k != null);
        const active = await tx.query("SELECT person_key FROM credentials WHERE status = 'active' AND person_key = ANY($1::text[])", [personKeys]);
        const personConflict = personActiveConflict(chunk, new Set((active.rows as Array<{ person_key: string }>).map((r) => r.person_key)));
        if (personConflict) throw personConflict;
        // The nodes above the new leaves, from the siblings as stored under the lock (a revocation
        // may have changed them since the chunk was planned).
        const changes = chunkLeaves(chunk);
        const stored = await readNodesWith(tx, treeReads(tree, changes));
        const { nodes, root } = treeWrite(tree, changes, new Map([...stored].map(([k, v]) => [k, v.toString()])));
        await this.insertRows(tx, chunk, nodes, rootOf(tree, root));
      }
      await tx.query('UPDATE import_runs SET rows_done = $1, issued = $2, skipped = $3, updated_at = $4 WHERE id = $5', [chunk.rowsDone, chunk.issued, chunk.skipped, chunk.now, chunk.runId]);
      await tx.query('COMMIT');
    } catch (err) {
      await tx.query('ROLLBACK').catch(() => undefined);
      const e = err as { code?: string; constraint?: string };
      if (e.code === UNIQUE_VIOLATION) {
        if (e.constraint === 'credentials_status_bit') throw new BulkWriteConflict('status_bit_taken', 'a status list bit drawn for the chunk was taken meanwhile');
        if (e.constraint === 'imported_customers_pkey') throw new BulkWriteConflict('customer_imported', 'a customer of the chunk was imported meanwhile');
        if (e.constraint === 'credentials_one_active_person') throw new BulkWriteConflict('person_active', 'a person of the chunk received a credential meanwhile');
      }
      throw err;
    } finally {
      tx.release();
    }
  }

  private async insertRows(tx: import('pg').PoolClient, chunk: BulkChunk, nodes: NodeValue[], root: string): Promise<void> {
    const rows = chunk.rows;
    const col = <T>(f: (r: BulkChunk['rows'][number]) => T) => rows.map(f);
    const now = chunk.now;
    await tx.query('INSERT INTO challenges (nonce, did, created_at, expires_at, used_at) SELECT n, d, $3, $3, $3 FROM unnest($1::text[], $2::text[]) AS t(n, d)', [
      col((r) => r.challengeNonce),
      col((r) => r.application.holderDid),
      now,
    ]);
    await tx.query(
      `INSERT INTO applications (id, holder_did, identity_commitment, attributes_json, status, access_token_hash, challenge_nonce, created_at, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[])`,
      [
        col((r) => r.application.id),
        col((r) => r.application.holderDid),
        col((r) => r.application.identityCommitment),
        col((r) => JSON.stringify(r.application.attributes)),
        col((r) => r.application.status),
        col((r) => r.application.accessTokenHash),
        col((r) => r.application.challengeNonce),
        col((r) => r.application.createdAt),
        col((r) => r.application.updatedAt),
      ],
    );
    const lists = [...new Set(rows.map((r) => r.credential.statusList).filter((l): l is number => l != null))];
    for (const list of lists) {
      await tx.query("INSERT INTO status_lists (id, purpose, bits, version, updated_at) VALUES ($1, 'revocation', $2, 0, $3) ON CONFLICT (id) DO NOTHING", [
        list,
        Buffer.alloc(STATUS_LIST_BYTES),
        now,
      ]);
    }
    await tx.query(
      `INSERT INTO credentials (id, application_id, holder_did, leaf_index, leaf, salt, attributes_json, expiry_date, vc_jwt, status, issued_at, revoked_at, person_key, format, status_list, status_index)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::bigint[], $16::bigint[])`,
      [
        col((r) => r.credential.id),
        col((r) => r.credential.applicationId),
        col((r) => r.credential.holderDid),
        col((r) => r.credential.leafIndex),
        col((r) => r.credential.leaf),
        col((r) => r.credential.salt),
        col((r) => JSON.stringify(r.credential.attributes)),
        col((r) => r.credential.expiryDate),
        col((r) => r.credential.vcJwt),
        col((r) => r.credential.status),
        col((r) => r.credential.issuedAt),
        col((r) => r.credential.revokedAt),
        col((r) => r.credential.personKey ?? null),
        col((r) => r.credential.format ?? 'vc1.1'),
        col((r) => r.credential.statusList ?? null),
        col((r) => r.credential.statusIndex ?? null),
      ],
    );
    await tx.query('INSERT INTO leaves (leaf_index, value, credential_id) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])', [
      col((r) => r.credential.leafIndex),
      col((r) => r.credential.leaf),
      col((r) => r.credential.id),
    ]);
    await tx.query(
      `INSERT INTO identity_records (credential_id, leaf_index, sealed_record, valid_until, created_at, purged_at)
       SELECT c, l, s, v, t, NULL FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[]) AS x(c, l, s, v, t)`,
      [
        col((r) => r.identityRecord.credentialId),
        col((r) => r.identityRecord.leafIndex),
        col((r) => r.identityRecord.sealed),
        col((r) => r.identityRecord.validUntil),
        col((r) => r.identityRecord.createdAt),
      ],
    );
    await tx.query(
      `INSERT INTO decisions (subject_type, subject_id, action, reviewer, reason, decided_at)
       SELECT 'application', s, 'approve', $2, NULL, $3 FROM unnest($1::text[]) AS t(s)`,
      [col((r) => r.decision.subjectId), rows[0].decision.reviewer, rows[0].decision.decidedAt],
    );
    await tx.query('INSERT INTO imported_customers (customer_id, run_id, row_number, credential_id) SELECT c, $4, r, i FROM unnest($1::text[], $2::bigint[], $3::text[]) AS t(c, r, i)', [
      col((r) => r.customerId),
      col((r) => r.row),
      col((r) => r.credential.id),
      chunk.runId,
    ]);
    await tx.query(
      `INSERT INTO tree_nodes (level, position, value) SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[])
       ON CONFLICT (level, position) DO UPDATE SET value = excluded.value`,
      [nodes.map((n) => n.level), nodes.map((n) => n.position), nodes.map((n) => n.value.toString())],
    );
    await tx.query(
      `INSERT INTO tree_state (id, leaf_count, root, revision) VALUES (1, $1, $2, 1)
       ON CONFLICT (id) DO UPDATE SET leaf_count = excluded.leaf_count, root = excluded.root, revision = tree_state.revision + 1`,
      [chunk.firstLeafIndex + rows.length, root],
    );
    const e = chunk.audit;
    await tx.query(toPostgresPlaceholders(INSERT_AUDIT_EVENT), auditEventValues(e));
  }
}

/** Stored nodes at `keys` (level 0 from `leaves`), keyed `level:position`: on the pool, or on a transaction's client. */
async function readNodesWith(db: Queryable, keys: NodeKey[]): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const leaves = keys.filter((k) => k.level === 0).map((k) => k.position);
  const inner = keys.filter((k) => k.level > 0);
  if (leaves.length > 0) {
    const { rows } = await db.query('SELECT leaf_index, value FROM leaves WHERE leaf_index = ANY($1::bigint[])', [leaves]);
    for (const r of rows as Array<{ leaf_index: number; value: string }>) out.set(nodeKey(0, Number(r.leaf_index)), BigInt(r.value));
  }
  if (inner.length > 0) {
    const { rows } = await db.query(
      'SELECT n.level, n.position, n.value FROM tree_nodes n JOIN unnest($1::int[], $2::bigint[]) AS k(level, position) ON n.level = k.level AND n.position = k.position',
      [inner.map((k) => k.level), inner.map((k) => k.position)],
    );
    for (const r of rows as Array<{ level: number; position: number; value: string }>) out.set(nodeKey(Number(r.level), Number(r.position)), BigInt(r.value));
  }
  return out;
}
