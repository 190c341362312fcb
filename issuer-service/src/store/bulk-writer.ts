import type { NodeKey } from '@zkkyc/tree';
import type { TreeShape } from './tree-rows.js';
import type { ApplicationRecord, AuditEventRecord, CredentialRecord, DecisionRecord, SealedIdentityRecord } from './issuer-store.js';

/**
 * The bulk import's writes (issuer-service/src/bulk-import): a chunk of credentials — with their
 * applications, leaves, identity records, decisions, the tree nodes above them, one audit event and
 * the import journal's progress — in one transaction. Kept apart from the store classes because it
 * writes many rows at once (multi-row INSERTs on SQLite, `unnest` arrays on Postgres)
 * where the store writes one approval.
 *
 * The journal (migration 11): `import_runs` has one row per file (its SHA-256), and `rows_done`, the
 * number of the file's rows settled, moves in the chunk's own transaction — so after a kill the
 * journal and the credentials agree, and a rerun starts at the first row not settled.
 * `imported_customers` maps each customer id to its credential: a customer is issued once, whatever
 * file names it again.
 */

export interface ImportRun {
  /** SHA-256 of the file's bytes, hex. */
  id: string;
  fileName: string;
  totalRows: number;
  /** Rows 1..rowsDone of the file (in file order) are settled: issued, skipped as imported, or rejected. */
  rowsDone: number;
  issued: number;
  skipped: number;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** One imported customer's rows, all written by `writeChunk`. */
export interface BulkIssuedRow {
  customerId: string;
  /** Its row number in the file. */
  row: number;
  /** The used challenge its application references (applications need one; no holder signed it). */
  challengeNonce: string;
  application: ApplicationRecord;
  credential: CredentialRecord;
  identityRecord: SealedIdentityRecord;
  decision: DecisionRecord;
}

export interface BulkChunk {
  runId: string;
  /** The journal's progress before this chunk: the write refuses if it moved (another import of the file). */
  rowsDoneBefore: number;
  rowsDone: number;
  issued: number;
  skipped: number;
  /** The leaf index of `rows[0]`: the write refuses unless the tree holds exactly that many leaves. */
  firstLeafIndex: number;
  /**
   * The rows, their leaves at `credential.leafIndex`. The tree nodes above them are computed by the
   * writer inside its transaction, after the tree lock, from the siblings stored then: nodes read
   * before the lock may predate a revocation, and writing them would bring the revoked leaf back.
   */
  rows: BulkIssuedRow[];
  audit: AuditEventRecord;
  now: number;
}

export interface TreeStateRow {
  leafCount: number;
  root: bigint;
  revision: number;
}

/** Why a chunk was refused: the tree or the journal moved underneath (another writer); plan it again. */
export class BulkWriteConflict extends Error {
  constructor(
    readonly reason: 'leaf_count_moved' | 'journal_moved' | 'status_bit_taken' | 'customer_imported' | 'person_active',
    message: string,
    /** For `person_active`: the chunk's rows whose person received a credential meanwhile (drop them, plan the rest again). */
    readonly rows: Array<{ row: number; customerId: string }> = [],
  ) {
    super(message);
    this.name = 'BulkWriteConflict';
  }
}

export interface BulkWriter {
  readonly backend: 'sqlite' | 'postgres';
  getRun(id: string): Promise<ImportRun | null>;
  /** Creates the run unless it exists; returns the stored one. */
  startRun(run: ImportRun): Promise<ImportRun>;
  finishRun(id: string, at: number): Promise<void>;
  /** The persisted tree's state (migration 9), or null before the service first persisted it. */
  treeState(): Promise<TreeStateRow | null>;
  /** The number of rows in `leaves`. */
  leafCount(): Promise<number>;
  /** Stored nodes at `keys` (level 0 from `leaves`); absent ones are left out. Keyed `level:position`. */
  readNodes(keys: NodeKey[]): Promise<Map<string, bigint>>;
  /** Which of `ids` are imported already. */
  importedCustomers(ids: string[]): Promise<Set<string>>;
  /** Which of the person keys hold an active credential. */
  activePersons(keys: string[]): Promise<Set<string>>;
  /** The bits of status list `list` that credentials hold. */
  takenStatusBits(list: number): Promise<number[]>;
  /** The highest status list id in use (0 when none). */
  lastStatusList(): Promise<number>;
  /**
   * Writes the chunk in one transaction: under the tree lock it checks the journal, the leaf count,
   * the stored tree depth (rule `tree-depth-fixed`, tree-rows.ts) and that no person of the chunk
   * holds an active credential, then reads the siblings and writes the nodes above the new leaves
   * for `tree` (the depth and hash the importer opened the tree with) and the new root.
   */
  writeChunk(chunk: BulkChunk, tree: TreeShape): Promise<void>;
}

export const nodeKey = (level: number, position: number) => `${level}:${position}`;

/** The chunk's leaves, index → value. */
export const chunkLeaves = (chunk: BulkChunk): Map<number, bigint> => new Map(chunk.rows.map((r) => [r.credential.leafIndex, BigInt(r.credential.leaf)]));

/** The conflict for chunk rows whose person (by `personKey`) holds an active credential. */
export function personActiveConflict(chunk: BulkChunk, activeKeys: Set<string>): BulkWriteConflict | null {
  const rows = chunk.rows.filter((r) => r.credential.personKey != null && activeKeys.has(r.credential.personKey)).map((r) => ({ row: r.row, customerId: r.customerId }));
  if (rows.length === 0) return null;
  const named = rows.map((r) => `row ${r.row} (customer ${r.customerId})`).join(', ');
  return new BulkWriteConflict('person_active', `a credential was issued meanwhile to the person of ${named}`, rows);
}

/** The new root as stored; a chunk's leaves always change it (the importer refuses leaves past the tree's capacity). */
export function rootOf(tree: TreeShape, root: bigint | null): string {
  if (root === null) throw new Error(`the chunk's leaves lie outside the tree of depth ${tree.depth} (rule tree-capacity)`);
  return root.toString();
}
