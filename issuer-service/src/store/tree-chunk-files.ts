import type { SqlRunner } from './sql-runner.js';

/**
 * The tree files of captured roots, kept in the database (tables `tree_chunk_files` and
 * `tree_top_files`, migration 13) so that no instance encodes a chunk some capture encoded before
 * (services/tree-chunks.ts). A chunk file is content-addressed: its key — depth, chunk levels,
 * chunk index, chunk root, leaf count — fixes its bytes (Poseidon is collision resistant; the leaf
 * count tells a revoked last leaf from an empty slot), so two instances writing the same file write
 * the same row and the second insert is ignored. Each file is one statement: a kill leaves a file
 * whole or absent.
 */

/** A chunk's identity within one tree shape (depth, chunk levels). */
export interface ChunkKey {
  index: number;
  root: bigint;
  leafCount: number;
}

/** A top's identity within one tree shape: the same root can come back with another leaf count (revoking the newest leaf). */
export interface TopKey {
  root: bigint;
  leafCount: number;
}

export interface TreeShapeKey {
  depth: number;
  chunkLevels: number;
}

/** Bytes as stored with the ETag (SHA-256 of the bytes) computed when they were encoded. */
export interface StoredTreeFile {
  bytes: Uint8Array;
  etag: string;
}

export const chunkKeyString = (k: ChunkKey): string => `${k.index}:${k.root}:${k.leafCount}`;
export const topKeyString = (k: TopKey): string => `${k.root}:${k.leafCount}`;

/** What the tree chunk service needs from the database (a test can wrap it to count or break calls). */
export interface TreeFileStore {
  /** The chunk files stored for `shape`, by {@link chunkKeyString}: metadata only, no bytes. */
  chunkKeys(shape: TreeShapeKey): Promise<Set<string>>;
  chunk(shape: TreeShapeKey, key: ChunkKey): Promise<StoredTreeFile | null>;
  /** Stores a file unless one with its key exists (insert or ignore). */
  putChunk(shape: TreeShapeKey, key: ChunkKey, file: StoredTreeFile): Promise<void>;
  /** Overwrites a stored file that failed its check with bytes encoded again from the nodes. */
  replaceChunk(shape: TreeShapeKey, key: ChunkKey, file: StoredTreeFile): Promise<void>;
  /**
   * Stamps the stored files of `keys` as stored now (their bytes are not rewritten), so that a prune
   * starting later keeps them for its grace period, and one in flight no longer deletes them (its
   * DELETE requires the old stamp). Returns how many files were found: fewer than `keys` means a
   * prune deleted some first.
   */
  touchChunks(shape: TreeShapeKey, keys: readonly ChunkKey[]): Promise<number>;
  putTop(shape: TreeShapeKey, key: TopKey, file: StoredTreeFile): Promise<void>;
  /** The top files of the latest `count` recorded publications (those a top was stored for). */
  publishedTops(shape: TreeShapeKey, count: number): Promise<Uint8Array[]>;
  /**
   * Deletes the files of `shape` whose key is not kept and that were stored before `storedBefore`
   * (a capture in flight on another instance has stored its new files only just). Returns how many went.
   */
  prune(shape: TreeShapeKey, keep: { chunks: Set<string>; tops: Set<string> }, storedBefore: number): Promise<{ chunks: number; tops: number }>;
}

interface KeyRow {
  chunk_index: number | string;
  chunk_root: string;
  leaf_count: number | string;
}

const asBytes = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const fromBytes = (b: Buffer | Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** {@link TreeFileStore} on the service's database (SQLite or Postgres: the statements are written once for both). */
export class SqlTreeFileStore implements TreeFileStore {
  constructor(
    private readonly sql: SqlRunner,
    private readonly now: () => number = Date.now,
  ) {}

  async chunkKeys(shape: TreeShapeKey): Promise<Set<string>> {
    // The primary key's columns only: read from its index, never from the rows (whose bytes are megabytes).
    const rows = await this.sql.all<KeyRow>('SELECT chunk_index, chunk_root, leaf_count FROM tree_chunk_files WHERE depth = ? AND chunk_levels = ?', [shape.depth, shape.chunkLevels]);
    return new Set(rows.map((r) => `${Number(r.chunk_index)}:${r.chunk_root}:${Number(r.leaf_count)}`));
  }

  async chunk(shape: TreeShapeKey, key: ChunkKey): Promise<StoredTreeFile | null> {
    const rows = await this.sql.all<{ bytes: Buffer; etag: string }>(
      'SELECT bytes, etag FROM tree_chunk_files WHERE depth = ? AND chunk_levels = ? AND chunk_index = ? AND chunk_root = ? AND leaf_count = ?',
      [shape.depth, shape.chunkLevels, key.index, key.root.toString(), key.leafCount],
    );
    return rows.length ? { bytes: fromBytes(rows[0].bytes), etag: rows[0].etag } : null;
  }

  async putChunk(shape: TreeShapeKey, key: ChunkKey, file: StoredTreeFile): Promise<void> {
    await this.sql.run(
      `INSERT INTO tree_chunk_files (depth, chunk_levels, chunk_index, chunk_root, leaf_count, bytes, etag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (depth, chunk_levels, chunk_index, chunk_root, leaf_count) DO NOTHING`,
      [shape.depth, shape.chunkLevels, key.index, key.root.toString(), key.leafCount, asBytes(file.bytes), file.etag, this.now()],
    );
  }

  async replaceChunk(shape: TreeShapeKey, key: ChunkKey, file: StoredTreeFile): Promise<void> {
    await this.sql.run(
      `INSERT INTO tree_chunk_files (depth, chunk_levels, chunk_index, chunk_root, leaf_count, bytes, etag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (depth, chunk_levels, chunk_index, chunk_root, leaf_count) DO UPDATE SET bytes = excluded.bytes, etag = excluded.etag, created_at = excluded.created_at`,
      [shape.depth, shape.chunkLevels, key.index, key.root.toString(), key.leafCount, asBytes(file.bytes), file.etag, this.now()],
    );
  }

  async touchChunks(shape: TreeShapeKey, keys: readonly ChunkKey[]): Promise<number> {
    let found = 0;
    // Batches of 100 keys: 302 parameters, far below SQLite's and Postgres's limits.
    for (let i = 0; i < keys.length; i += 100) {
      const batch = keys.slice(i, i + 100);
      found += await this.sql.run(
        `UPDATE tree_chunk_files SET created_at = ? WHERE depth = ? AND chunk_levels = ? AND (${batch.map(() => '(chunk_index = ? AND chunk_root = ? AND leaf_count = ?)').join(' OR ')})`,
        [this.now(), shape.depth, shape.chunkLevels, ...batch.flatMap((k) => [k.index, k.root.toString(), k.leafCount])],
      );
    }
    return found;
  }

  async putTop(shape: TreeShapeKey, key: TopKey, file: StoredTreeFile): Promise<void> {
    // A top stored again (a root captured anew) is stamped now, so a prune in flight keeps it.
    await this.sql.run(
      `INSERT INTO tree_top_files (depth, chunk_levels, root, leaf_count, bytes, etag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (depth, chunk_levels, root, leaf_count) DO UPDATE SET created_at = excluded.created_at`,
      [shape.depth, shape.chunkLevels, key.root.toString(), key.leafCount, asBytes(file.bytes), file.etag, this.now()],
    );
  }

  async publishedTops(shape: TreeShapeKey, count: number): Promise<Uint8Array[]> {
    const rows = await this.sql.all<{ bytes: Buffer }>(
      `SELECT t.bytes FROM (SELECT id, root, leaf_count FROM root_publications ORDER BY id DESC LIMIT ?) p
       JOIN tree_top_files t ON t.root = p.root AND t.leaf_count = p.leaf_count
       WHERE t.depth = ? AND t.chunk_levels = ?`,
      [count, shape.depth, shape.chunkLevels],
    );
    return rows.map((r) => fromBytes(r.bytes));
  }

  async prune(shape: TreeShapeKey, keep: { chunks: Set<string>; tops: Set<string> }, storedBefore: number): Promise<{ chunks: number; tops: number }> {
    const chunkRows = await this.sql.all<KeyRow>('SELECT chunk_index, chunk_root, leaf_count FROM tree_chunk_files WHERE depth = ? AND chunk_levels = ? AND created_at < ?', [
      shape.depth,
      shape.chunkLevels,
      storedBefore,
    ]);
    let chunks = 0;
    for (const r of chunkRows) {
      if (keep.chunks.has(`${Number(r.chunk_index)}:${r.chunk_root}:${Number(r.leaf_count)}`)) continue;
      chunks += await this.sql.run('DELETE FROM tree_chunk_files WHERE depth = ? AND chunk_levels = ? AND chunk_index = ? AND chunk_root = ? AND leaf_count = ? AND created_at < ?', [
        shape.depth,
        shape.chunkLevels,
        r.chunk_index,
        r.chunk_root,
        r.leaf_count,
        storedBefore,
      ]);
    }
    const topRows = await this.sql.all<{ root: string; leaf_count: number | string }>('SELECT root, leaf_count FROM tree_top_files WHERE depth = ? AND chunk_levels = ? AND created_at < ?', [
      shape.depth,
      shape.chunkLevels,
      storedBefore,
    ]);
    let tops = 0;
    for (const r of topRows) {
      if (keep.tops.has(`${r.root}:${Number(r.leaf_count)}`)) continue;
      tops += await this.sql.run('DELETE FROM tree_top_files WHERE depth = ? AND chunk_levels = ? AND root = ? AND leaf_count = ? AND created_at < ?', [
        shape.depth,
        shape.chunkLevels,
        r.root,
        r.leaf_count,
        storedBefore,
      ]);
    }
    return { chunks, tops };
  }
}
