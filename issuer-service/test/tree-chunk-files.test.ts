/**
 * Issue 14, item 4: tree chunk files kept in the store (migration 13, store/tree-chunk-files.ts), so
 * that a capture — at start, on a follower, at publication — reads and encodes only the chunks that
 * changed since any capture by any instance, and a snapshot holds descriptors, not nodes.
 *
 * Real parts: the SQLite and Postgres stores (each test opens a second store on the same database
 * for "another process"), the persisted tree, `TreeChunkService`. Seams: the tree reader is wrapped
 * to count the node ranges a capture reads, and the file store to count or fail its writes. The
 * expected bytes are those of a tree built from scratch over the stored leaves (@zkkyc/tree).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { encodeChunk, encodeTop, hashNode, IssuerTree, SNARK_FIELD, treeChunk, treeTop } from '@zkkyc/tree';
import { openSqliteDatabase } from '../src/store/sqlite-database.js';
import { openPostgresDatabase } from '../src/store/postgres-database.js';
import { SqliteIssuerStore } from '../src/store/sqlite-issuer-store.js';
import { PostgresIssuerStore } from '../src/store/postgres-issuer-store.js';
import { postgresRunner, sqliteRunner, type SqlRunner } from '../src/store/sql-runner.js';
import { SqlTreeFileStore, type TreeFileStore } from '../src/store/tree-chunk-files.js';
import type { ApprovalDraft, IssuerStore, TreeReader } from '../src/store/issuer-store.js';
import { loadIssuerTree, type MerkleTree } from '../src/services/issuer-tree.js';
import { TreeChunkService, type TreeSnapshot } from '../src/services/tree-chunks.js';
import { serveLatestPublishedRoot } from '../src/published-tree-files.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { approveNewHolder, ManualClock, RecordingRootAnchor, reviewer, startService, tempDir, testConfig } from './support/service.js';
import { submitPendingApplication } from './support/pending-application.js';

const DEPTH = 6; // 4,096 leaves
const LEVELS = 1; // chunks of 4 leaves: a few credentials span several chunks
const now = Date.now();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Db = Awaited<ReturnType<TestBackend['freshDatabase']>>;

/** One "process": its own connection to the database, store, tree and runner. */
async function openProcess(db: Db): Promise<{ store: IssuerStore; sql: SqlRunner; tree: MerkleTree }> {
  let store: IssuerStore;
  let sql: SqlRunner;
  if (db.config.databaseUrl) {
    const pool = await openPostgresDatabase(db.config.databaseUrl, { schema: db.config.databaseSchema });
    store = new PostgresIssuerStore(pool);
    sql = postgresRunner(pool);
  } else {
    const sqlite = openSqliteDatabase(db.config.databasePath);
    store = new SqliteIssuerStore(sqlite);
    sql = sqliteRunner(sqlite);
  }
  cleanups.push(() => store.close());
  const tree = await loadIssuerTree(store, DEPTH, () => undefined, hashNode);
  return { store, sql, tree };
}

/** The tree with its node reads counted: `ranges` lists `level:start-end` of every range read. */
function counted(tree: MerkleTree): { tree: Pick<MerkleTree, 'depth' | 'read'>; ranges: string[] } {
  const ranges: string[] = [];
  return {
    ranges,
    tree: {
      depth: tree.depth,
      read: (fn) =>
        tree.read((reader: TreeReader) =>
          fn({
            state: () => reader.state(),
            range: (level, start, end) => {
              ranges.push(`${level}:${start}-${end}`);
              return reader.range(level, start, end);
            },
          }),
        ),
    },
  };
}

/** Chunk reads only (levels below chunk level): which chunks' nodes a capture read. */
const chunkReads = (ranges: string[]) => ranges.filter((r) => Number(r.split(':')[0]) < LEVELS).map((r) => Number(r.split(':')[1].split('-')[0]) / 4 ** LEVELS);

/** The file store with its chunk writes counted (and failing after `failAfter` writes, when set). */
function countingFiles(sql: SqlRunner, failAfter = Infinity): { files: TreeFileStore; written: number[] } {
  const inner = new SqlTreeFileStore(sql);
  const written: number[] = [];
  const files: TreeFileStore = Object.create(inner);
  files.putChunk = async (shape, key, file) => {
    if (written.length >= failAfter) throw new Error('killed while writing files');
    await inner.putChunk(shape, key, file);
    written.push(key.index);
  };
  return { files, written };
}

let seq = 0;
const randomLeaf = () => (BigInt(`0x${randomBytes(32).toString('hex')}`) % (SNARK_FIELD - 1n)) + 1n;

async function issue(store: IssuerStore, count: number): Promise<string[]> {
  const ids: string[] = [];
  const drafts: ApprovalDraft[] = [];
  for (let i = 0; i < count; i++) {
    const id = `app-${++seq}-${randomBytes(3).toString('hex')}`;
    await submitPendingApplication(store, id, now);
    const leaf = randomLeaf();
    drafts.push({
      async build(leafIndex) {
        return {
          credential: {
            id: `cred-${id}`,
            applicationId: id,
            holderDid: `did:key:z${id}`,
            leafIndex,
            leaf: leaf.toString(),
            salt: '7',
            attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [], kycLevel: 1, expiryDate: '2030-01-01' },
            expiryDate: '2030-01-01',
            vcJwt: 'jwt',
            status: 'active',
            issuedAt: now,
            revokedAt: null,
            personKey: null,
          },
          decision: { subjectType: 'application', subjectId: id, action: 'approve', reviewer: 'r', reason: null, decidedAt: now },
        };
      },
    });
    ids.push(`cred-${id}`);
  }
  for (const outcome of await store.recordApprovals(drafts)) expect(outcome.ok).toBe(true);
  return ids;
}

async function revoke(store: IssuerStore, credentialId: string): Promise<void> {
  await store.recordRevocation({ credentialId, decision: { subjectType: 'credential', subjectId: credentialId, action: 'revoke', reviewer: 'r', reason: 'test', decidedAt: now } });
}

/** The files the old code served for the store's tree now: encoded from a tree built from scratch over the stored leaves. */
async function expectedFiles(store: IssuerStore): Promise<{ root: bigint; top: Uint8Array; chunks: Uint8Array[] }> {
  const leaves = (await store.listLeaves(0, 100_000)).map((l) => BigInt(l.value));
  const tree = new IssuerTree(DEPTH, leaves);
  const chunks: Uint8Array[] = [];
  for (let n = 0; n < Math.ceil(leaves.length / 4 ** LEVELS); n++) chunks.push(encodeChunk(treeChunk(tree, n, LEVELS)));
  return { root: tree.root, top: encodeTop(treeTop(tree, LEVELS)), chunks };
}

async function expectServes(service: TreeChunkService, snapshot: TreeSnapshot, expected: { root: bigint; top: Uint8Array; chunks: Uint8Array[] }): Promise<void> {
  expect(snapshot.root).toBe(expected.root);
  expect(Buffer.from(service.topFile(snapshot).bytes).equals(Buffer.from(expected.top))).toBe(true);
  expect(snapshot.chunks).toHaveLength(expected.chunks.length);
  for (let n = 0; n < expected.chunks.length; n++) {
    const file = await service.chunkFile(snapshot, n);
    expect(Buffer.from(file!.bytes).equals(Buffer.from(expected.chunks[n]))).toBe(true);
  }
  expect(await service.chunkFile(snapshot, expected.chunks.length)).toBeNull();
}

const fileRows = async (sql: SqlRunner) => (await sql.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM tree_chunk_files')).map((r) => Number(r.n))[0];

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('tree chunk files in the store on %s', (_name, backend: TestBackend) => {
  async function freshDb(): Promise<Db> {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    return db;
  }

  it('a capture by another process reads no node of a chunk some capture stored; a changed chunk gets a new file; the files are those the tree gives', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    const ids = await issue(a.store, 18); // chunks 0..4, the last one with 2 leaves
    const first = counted(a.tree);
    const firstFiles = countingFiles(a.sql);
    const chunksA = new TreeChunkService({ tree: first.tree, files: firstFiles.files, chunkLevels: LEVELS });
    const s1 = (await chunksA.capture())!;
    // The first capture on a store without files reads every chunk once, and stores each.
    expect(chunkReads(first.ranges)).toEqual([0, 1, 2, 3, 4]);
    expect(firstFiles.written).toEqual([0, 1, 2, 3, 4]);
    const expected1 = await expectedFiles(a.store);
    await expectServes(chunksA, s1, expected1);

    // Another process (a restart, a follower): no chunk's node is read, nothing is written.
    const b = await openProcess(db);
    const second = counted(b.tree);
    const secondFiles = countingFiles(b.sql);
    const chunksB = new TreeChunkService({ tree: second.tree, files: secondFiles.files, chunkLevels: LEVELS, hash: hashNode });
    const s1b = (await chunksB.capture())!;
    expect(chunkReads(second.ranges)).toEqual([]);
    expect(second.ranges.every((r) => Number(r.split(':')[0]) >= LEVELS)).toBe(true);
    expect(secondFiles.written).toEqual([]);
    expect(chunksB.cachedBytes).toBe(0); // descriptors only until a file is asked for
    await expectServes(chunksB, s1b, expected1);
    chunksB.serve(s1b);

    // A revocation in chunk 1 and an append to the last chunk: process A captures, reading those two only.
    await revoke(a.store, ids[5]);
    await issue(a.store, 1);
    first.ranges.length = 0;
    const s2 = (await chunksA.capture())!;
    expect(chunkReads(first.ranges)).toEqual([1, 4]);
    expect(firstFiles.written).toEqual([0, 1, 2, 3, 4, 1, 4]);
    const expected2 = await expectedFiles(a.store);
    await expectServes(chunksA, s2, expected2);

    // Process B follows: reads nothing of any chunk (A stored the new files), serves both roots.
    second.ranges.length = 0;
    const s2b = (await chunksB.capture())!;
    expect(chunkReads(second.ranges)).toEqual([]);
    chunksB.serve(s2b);
    expect(chunksB.roots().map((s) => s.root)).toEqual([expected2.root, expected1.root]);
    await expectServes(chunksB, chunksB.snapshot(expected1.root)!, expected1);
    await expectServes(chunksB, chunksB.snapshot(expected2.root)!, expected2);
    expect((await chunksB.chunkFile(s2b, 1))!.etag).not.toBe((await chunksB.chunkFile(s1b, 1))!.etag);
    expect((await chunksB.chunkFile(s2b, 0))!.etag).toBe((await chunksB.chunkFile(s1b, 0))!.etag);
    expect(await fileRows(a.sql)).toBe(7);
  });

  it('keeps chunk bytes in memory only up to the cache bound', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    await issue(a.store, 16);
    await new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS }).capture();
    const oneChunk = 16 + 4 * 32; // header and 4 leaves (one level: the chunk root is in the top)
    const service = new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS, cacheBytes: 2 * oneChunk });
    const s = (await service.capture())!;
    for (let n = 0; n < 4; n++) await service.chunkFile(s, n);
    expect(service.cachedBytes).toBeLessThanOrEqual(2 * oneChunk);
    expect(service.cachedBytes).toBeGreaterThan(0);
  });

  it('prunes the files no recent publication needs; a pruned root answers root_not_served; files stored within the grace period stay', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    const ids = await issue(a.store, 8); // chunks 0 and 1
    let clock = now;
    const files = new SqlTreeFileStore(a.sql, () => clock);
    const service = new TreeChunkService({ tree: a.tree, files, chunkLevels: LEVELS, servedRoots: 2, pruneGraceMs: 60_000, now: () => clock });
    const publish = async () => {
      const s = (await service.capture())!;
      await a.store.recordRootPublication({ root: s.root.toString(), leafCount: s.leafCount, txHash: '0x1', publishedAt: clock });
      service.serve(s);
      return s;
    };
    const roots: TreeSnapshot[] = [await publish()];
    // Three more roots, each changing chunk 1 only (revocations): 5 files of chunk 1 in all, 1 of chunk 0.
    for (const id of ids.slice(4, 7)) {
      clock += 120_000;
      await revoke(a.store, id);
      roots.push(await publish());
    }
    expect(await fileRows(a.sql)).toBe(5);
    // The two latest publications keep chunk 0 and their two chunk-1 files; the rest go.
    expect(await service.prune()).toEqual({ chunks: 2, tops: 2 });
    expect(await fileRows(a.sql)).toBe(3);
    await expectServes(service, roots[3], await expectedFiles(a.store));
    // A process that serves nothing yet keeps the same files: it reads the latest publications' tops from the store.
    const b = await openProcess(db);
    const fresh = new TreeChunkService({ tree: b.tree, files: new SqlTreeFileStore(b.sql, () => clock), chunkLevels: LEVELS, servedRoots: 2, pruneGraceMs: 60_000, now: () => clock });
    expect(await fresh.prune()).toEqual({ chunks: 0, tops: 0 });
    expect(await fileRows(a.sql)).toBe(3);
    // An instance still holding a pruned root (it lagged behind): that root's changed chunk is gone, and the tree moved on.
    const stale = new TreeChunkService({ tree: b.tree, files: new SqlTreeFileStore(b.sql), chunkLevels: LEVELS });
    stale.serve(roots[0]);
    await expect(stale.chunkFile(roots[0], 1)).rejects.toMatchObject({ statusCode: 404, code: 'root_not_served' });
    expect(Buffer.from((await stale.chunkFile(roots[0], 0))!.bytes).equals(Buffer.from((await service.chunkFile(roots[3], 0))!.bytes))).toBe(true);
    // Files stored within the grace period are kept even when no publication names them (another instance's capture
    // in flight); once it has passed they go.
    await revoke(a.store, ids[7]);
    await new TreeChunkService({ tree: b.tree, files: new SqlTreeFileStore(b.sql, () => clock), chunkLevels: LEVELS }).capture();
    expect(await fileRows(a.sql)).toBe(4);
    expect(await service.prune()).toEqual({ chunks: 0, tops: 0 });
    expect(await fileRows(a.sql)).toBe(4);
    clock += 120_000;
    expect(await service.prune()).toEqual({ chunks: 1, tops: 1 });
    expect(await fileRows(a.sql)).toBe(3);
  });

  it('detects a tampered or missing file: encodes it again from the nodes while the tree has that chunk, else refuses to serve it', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    const ids = await issue(a.store, 10);
    await new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS }).capture();
    const expected = await expectedFiles(a.store);
    const setRow = (index: number, bytes: Uint8Array, etag?: string) =>
      a.sql.run(`UPDATE tree_chunk_files SET bytes = ?${etag ? ', etag = ?' : ''} WHERE chunk_index = ?`, [Buffer.from(bytes), ...(etag ? [etag] : []), index]);
    const sha = (bytes: Uint8Array) => `"${createHash('sha256').update(bytes).digest('base64url')}"`;
    // One leaf altered (ETag no longer matches); another chunk's bytes under chunk 1's key, with a matching ETag; a leaf
    // of chunk 2 altered with a matching ETag and the highest level (here the leaves) no longer hashing to the chunk root.
    const altered = Buffer.from(expected.chunks[0]);
    altered[16 + 31] ^= 1;
    await setRow(0, altered);
    await setRow(1, expected.chunks[2], sha(expected.chunks[2]));
    const altered2 = Buffer.from(expected.chunks[2]);
    altered2[16 + 32 + 31] ^= 1;
    await setRow(2, altered2, sha(altered2));
    await a.sql.run('DELETE FROM tree_chunk_files WHERE chunk_index = 3');
    const logged: string[] = [];
    const service = new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS, log: (m) => logged.push(m) });
    const s = (await service.capture())!;
    await expectServes(service, s, expected);
    expect(logged).toHaveLength(3);
    // Repaired in the store: another process serves them without encoding anything again.
    const b = await openProcess(db);
    const reads = counted(b.tree);
    const other = new TreeChunkService({ tree: reads.tree, files: new SqlTreeFileStore(b.sql), chunkLevels: LEVELS });
    await expectServes(other, (await other.capture())!, expected);
    expect(chunkReads(reads.ranges)).toEqual([]);

    // Once the tree has moved on (chunk 1 changed), a bad file of the old root cannot be repaired: 500, and a missing one 404.
    await revoke(a.store, ids[4]);
    const stale = new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS });
    await setRow(1, altered);
    await expect(stale.chunkFile(s, 1)).rejects.toMatchObject({ statusCode: 500, code: 'tree_file_corrupt' });
    await a.sql.run('DELETE FROM tree_chunk_files WHERE chunk_index = 1');
    // (A new service: the one above answers chunk 1 from memory for a while; see the next test.)
    const later = new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS });
    await expect(later.chunkFile(s, 1)).rejects.toMatchObject({ statusCode: 404, code: 'root_not_served' });
  });

  it('concurrent requests for a chunk share one load: one store read for a cache miss, one encoding for a missing file; loads run a few at a time', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    await issue(a.store, 24); // chunks 0..5
    await new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS }).capture();
    const inner = new SqlTreeFileStore(a.sql);
    const files: TreeFileStore = Object.create(inner);
    const storeReads: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    files.chunk = async (shape, key) => {
      storeReads.push(key.index);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        await new Promise((r) => setTimeout(r, 5));
        return await inner.chunk(shape, key);
      } finally {
        inFlight--;
      }
    };
    const reads = counted(a.tree);
    const service = new TreeChunkService({ tree: reads.tree, files, chunkLevels: LEVELS, chunkLoads: 2 });
    const s = (await service.capture())!;
    const expected = await expectedFiles(a.store);
    // 20 requests for chunk 0, not cached: one store read.
    const served = await Promise.all(Array.from({ length: 20 }, () => service.chunkFile(s, 0)));
    expect(storeReads).toEqual([0]);
    for (const f of served) expect(Buffer.from(f!.bytes).equals(Buffer.from(expected.chunks[0]))).toBe(true);
    // Chunk 1's file deleted: 20 requests, one store read and one encoding from the nodes.
    await a.sql.run('DELETE FROM tree_chunk_files WHERE chunk_index = 1');
    reads.ranges.length = 0;
    const again = await Promise.all(Array.from({ length: 20 }, () => service.chunkFile(s, 1)));
    expect(storeReads).toEqual([0, 1]);
    expect(chunkReads(reads.ranges)).toEqual([1]);
    for (const f of again) expect(Buffer.from(f!.bytes).equals(Buffer.from(expected.chunks[1]))).toBe(true);
    // Four other chunks at once: never more than 2 loads at a time.
    await Promise.all([2, 3, 4, 5].map((n) => service.chunkFile(s, n)));
    expect(storeReads).toEqual([0, 1, 2, 3, 4, 5]);
    expect(mostInFlight).toBe(2);
  });

  it('a chunk that can be neither read nor rebuilt is answered from memory for a while: no store read, no hash', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    const ids = await issue(a.store, 8);
    let clock = now;
    await new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS }).capture();
    const inner = new SqlTreeFileStore(a.sql);
    const files: TreeFileStore = Object.create(inner);
    let storeReads = 0;
    files.chunk = async (shape, key) => {
      storeReads++;
      return inner.chunk(shape, key);
    };
    let hashes = 0;
    const hash = (nodes: bigint[]) => {
      hashes++;
      return hashNode(nodes);
    };
    const service = new TreeChunkService({ tree: a.tree, files, chunkLevels: LEVELS, hash, unservableMemoryMs: 60_000, now: () => clock });
    const s = (await service.capture())!;
    // Chunk 1 corrupted (ETag matching), and the tree moves on (a revocation in chunk 1): it cannot be rebuilt.
    const bad = Buffer.from((await expectedFiles(a.store)).chunks[1]);
    bad[16 + 31] ^= 1;
    await a.sql.run('UPDATE tree_chunk_files SET bytes = ?, etag = ? WHERE chunk_index = 1', [bad, `"${createHash('sha256').update(bad).digest('base64url')}"`]);
    await revoke(a.store, ids[5]);
    await expect(service.chunkFile(s, 1)).rejects.toMatchObject({ statusCode: 500, code: 'tree_file_corrupt' });
    expect([storeReads, hashes]).toEqual([1, 1]);
    for (let i = 0; i < 10; i++) await expect(service.chunkFile(s, 1)).rejects.toMatchObject({ statusCode: 500, code: 'tree_file_corrupt' });
    expect([storeReads, hashes]).toEqual([1, 1]);
    // Once the memory has expired, the store is read again (an operator may have restored the file meanwhile).
    clock += 60_001;
    await expect(service.chunkFile(s, 1)).rejects.toMatchObject({ statusCode: 500, code: 'tree_file_corrupt' });
    expect([storeReads, hashes]).toEqual([2, 2]);
  });

  it('a start waits for the latest publication only when its top and every chunk file are stored (not as soon as any file is)', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    await issue(a.store, 18); // chunks 0..4
    const state = await a.store.treeState();
    await a.store.recordRootPublication({ root: state.root, leafCount: state.leafCount, txHash: '0x1', publishedAt: now });
    // A first capture (an upgrade's) killed after its first file.
    const dying = countingFiles(a.sql, 1);
    await expect(new TreeChunkService({ tree: a.tree, files: dying.files, chunkLevels: LEVELS }).capture()).rejects.toThrow('killed while writing files');
    expect(await fileRows(a.sql)).toBe(1);
    const b = await openProcess(db);
    const service = new TreeChunkService({ tree: b.tree, files: new SqlTreeFileStore(b.sql), chunkLevels: LEVELS });
    expect(await service.latestPublicationStored()).toBe(false);
    await service.capture();
    expect(await service.latestPublicationStored()).toBe(true);
    // The top stored, one chunk file missing: not waited for either.
    await a.sql.run('DELETE FROM tree_chunk_files WHERE chunk_index = 3');
    expect(await service.latestPublicationStored()).toBe(false);
  });

  it('closing the service stops a capture in flight at its next chunk (a background first capture does not hold the close for O(n))', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    await issue(a.store, 18); // chunks 0..4
    const inner = new SqlTreeFileStore(a.sql);
    const files: TreeFileStore = Object.create(inner);
    const written: number[] = [];
    let closed: Promise<void> | null = null;
    const service: TreeChunkService = new TreeChunkService({ tree: a.tree, files, chunkLevels: LEVELS });
    files.putChunk = async (shape, key, file) => {
      await inner.putChunk(shape, key, file);
      written.push(key.index);
      closed ??= service.close();
    };
    await expect(service.capture()).rejects.toThrow('the service is closing');
    await closed;
    expect(written).toEqual([0]);
  });

  it('a capture re-stamps the files it reuses that no recent publication holds: a prune running during the capture does not leave the published root without them', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    let clock = now;
    await issue(a.store, 8); // chunks 0, 1
    const inner = new SqlTreeFileStore(a.sql, () => clock);
    const files: TreeFileStore = Object.create(inner);
    let duringCapture: (() => Promise<unknown>) | null = null;
    files.chunkKeys = async (shape) => {
      const keys = await inner.chunkKeys(shape);
      const hook = duringCapture;
      duringCapture = null;
      await hook?.();
      return keys;
    };
    const touched: number[][] = [];
    files.touchChunks = async (shape, keys) => {
      touched.push(keys.map((k) => k.index));
      return inner.touchChunks(shape, keys);
    };
    const logged: string[] = [];
    const p = new TreeChunkService({ tree: a.tree, files, chunkLevels: LEVELS, pruneGraceMs: 60_000, now: () => clock, log: (m) => logged.push(m) });
    const r1 = (await p.capture())!;
    await a.store.recordRootPublication({ root: r1.root.toString(), leafCount: r1.leafCount, txHash: '0x1', publishedAt: clock });
    p.serve(r1);
    await issue(a.store, 2); // chunk 2 with 2 leaves
    // Another instance captured this state 20 minutes ago and stored chunk 2's file (no publication names it).
    const b = await openProcess(db);
    await new TreeChunkService({ tree: b.tree, files: new SqlTreeFileStore(b.sql, () => clock), chunkLevels: LEVELS }).capture();
    clock += 20 * 60_000;
    // The capture reads the stored keys (chunk 2's among them), then a prune deletes chunk 2's file before the capture reuses it.
    duringCapture = () => p.prune();
    const s = (await p.capture())!;
    expect(logged).toEqual([expect.stringContaining('was pruned while a capture reused it')]);
    // Only chunk 2 was stamped: chunks 0 and 1 are the latest publication's, which every prune keeps.
    expect(touched).toEqual([[2]]);
    await a.store.recordRootPublication({ root: s.root.toString(), leafCount: s.leafCount, txHash: '0x2', publishedAt: clock });
    p.serve(s);
    const left = await a.sql.all<{ chunk_index: number | string; created_at: number | string }>('SELECT chunk_index, created_at FROM tree_chunk_files ORDER BY chunk_index');
    expect(left.map((r) => Number(r.chunk_index))).toEqual([0, 1, 2]);
    // The tree moves on: the latest published root's chunk 2 is still served from its file.
    const expected = await expectedFiles(a.store);
    await issue(a.store, 1);
    expect(Buffer.from((await p.chunkFile(s, 2))!.bytes).equals(Buffer.from(expected.chunks[2]))).toBe(true);

    // The other interleaving: the file is re-stamped before a prune deletes it. Another instance's capture reuses chunk 3's
    // file (stored 20 minutes ago by a capture no publication names); a prune starting right after keeps it.
    await issue(a.store, 2); // chunk 2 fills up, chunk 3 opens
    await new TreeChunkService({ tree: b.tree, files: new SqlTreeFileStore(b.sql, () => clock), chunkLevels: LEVELS }).capture();
    clock += 20 * 60_000;
    const q = new TreeChunkService({ tree: b.tree, files: new SqlTreeFileStore(b.sql, () => clock), chunkLevels: LEVELS, pruneGraceMs: 60_000, now: () => clock });
    const s2 = (await q.capture())!;
    expect(await p.prune()).toMatchObject({ chunks: 0 });
    await issue(a.store, 1);
    expect(await q.chunkFile(s2, 3)).not.toBeNull();
  });

  it('a follower stops serving roots older than the latest publications (the publisher prunes their files)', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    const ids = await issue(a.store, 8);
    const publisher = new TreeChunkService({ tree: a.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS, servedRoots: 2 });
    const publish = async () => {
      const s = (await publisher.capture())!;
      await a.store.recordRootPublication({ root: s.root.toString(), leafCount: s.leafCount, txHash: '0x1', publishedAt: now });
      publisher.serve(s);
      return s;
    };
    const r1 = await publish();
    const b = await openProcess(db);
    const follower = new TreeChunkService({ tree: b.tree, files: new SqlTreeFileStore(b.sql), chunkLevels: LEVELS, servedRoots: 2 });
    expect(await serveLatestPublishedRoot(b.store, follower)).toBe(true);
    expect(follower.roots().map((r) => r.root)).toEqual([r1.root]);
    // Two publications the follower does not see, then a third it does: r1 is no longer among the 2 latest.
    await revoke(a.store, ids[4]);
    await publish();
    await revoke(a.store, ids[5]);
    const r3 = await publish();
    await revoke(a.store, ids[6]);
    const r4 = await publish();
    expect(await serveLatestPublishedRoot(b.store, follower)).toBe(true);
    expect(follower.roots().map((r) => r.root)).toEqual([r4.root]);
    expect(follower.snapshot(r1.root)).toBeNull();
    expect(r3.root).not.toBe(r4.root);
  });

  it('a follower captures nothing while the tree has moved past the latest published root (the files would be of no publication)', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    const ids = await issue(a.store, 6);
    const state = await a.store.treeState();
    await a.store.recordRootPublication({ root: state.root, leafCount: state.leafCount, txHash: '0x1', publishedAt: now });
    await revoke(a.store, ids[0]);
    const b = await openProcess(db);
    const files = countingFiles(b.sql);
    const follower = new TreeChunkService({ tree: b.tree, files: files.files, chunkLevels: LEVELS });
    expect(await serveLatestPublishedRoot(b.store, follower)).toBe(false);
    expect(files.written).toEqual([]);
    expect(await fileRows(b.sql)).toBe(0);
    // Published as it is now: served, its files stored.
    const current = await a.store.treeState();
    await a.store.recordRootPublication({ root: current.root, leafCount: current.leafCount, txHash: '0x2', publishedAt: now });
    expect(await serveLatestPublishedRoot(b.store, follower)).toBe(true);
    expect(follower.roots().map((r) => r.root)).toEqual([BigInt(current.root)]);
    expect(files.written).toEqual([0, 1]);
  });

  it('loses nothing when a capture dies while writing files: the next capture stores the rest and reads only those chunks', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    await issue(a.store, 18);
    const dying = countingFiles(a.sql, 2);
    await expect(new TreeChunkService({ tree: a.tree, files: dying.files, chunkLevels: LEVELS }).capture()).rejects.toThrow('killed while writing files');
    expect(await fileRows(a.sql)).toBe(2);
    const b = await openProcess(db);
    const reads = counted(b.tree);
    const service = new TreeChunkService({ tree: reads.tree, files: new SqlTreeFileStore(b.sql), chunkLevels: LEVELS });
    const s = (await service.capture())!;
    expect(chunkReads(reads.ranges)).toEqual([2, 3, 4]);
    await expectServes(service, s, await expectedFiles(a.store));
  });

  it('loses nothing when the process is killed (SIGKILL) between two file writes: a restart stores the rest', async () => {
    const db = await freshDb();
    const a = await openProcess(db);
    await issue(a.store, 18);
    // A real process captures and is killed by SIGKILL right after its third file is committed.
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CAPTURE_THEN_DIE], {
      cwd: process.cwd(),
      env: { ...process.env, NODE_OPTIONS: '', DB: JSON.stringify(db.config), DEPTH: String(DEPTH), LEVELS: String(LEVELS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect({ signal, output }).toEqual({ signal: 'SIGKILL', output: 'wrote 3\n' });
    expect(await fileRows(a.sql)).toBe(3);
    const reads = counted(a.tree);
    const service = new TreeChunkService({ tree: reads.tree, files: new SqlTreeFileStore(a.sql), chunkLevels: LEVELS });
    const s = (await service.capture())!;
    expect(chunkReads(reads.ranges)).toEqual([3, 4]);
    await expectServes(service, s, await expectedFiles(a.store));
  }, 60_000);
});

/** The child of the SIGKILL test: opens the store named by $DB, captures, and kills itself after its third file write. */
const CAPTURE_THEN_DIE = `
const src = process.cwd() + '/issuer-service/src/';
const config = JSON.parse(process.env.DB);
const { SqlTreeFileStore } = await import(src + 'store/tree-chunk-files.ts');
const { TreeChunkService } = await import(src + 'services/tree-chunks.ts');
const { loadIssuerTree } = await import(src + 'services/issuer-tree.ts');
const { postgresRunner, sqliteRunner } = await import(src + 'store/sql-runner.ts');
let store, sql;
if (config.databaseUrl) {
  const { openPostgresDatabase } = await import(src + 'store/postgres-database.ts');
  const { PostgresIssuerStore } = await import(src + 'store/postgres-issuer-store.ts');
  const pool = await openPostgresDatabase(config.databaseUrl, { schema: config.databaseSchema });
  store = new PostgresIssuerStore(pool);
  sql = postgresRunner(pool);
} else {
  const { openSqliteDatabase } = await import(src + 'store/sqlite-database.ts');
  const { SqliteIssuerStore } = await import(src + 'store/sqlite-issuer-store.ts');
  const db = openSqliteDatabase(config.databasePath);
  store = new SqliteIssuerStore(db);
  sql = sqliteRunner(db);
}
const tree = await loadIssuerTree(store, Number(process.env.DEPTH), () => undefined);
const files = new SqlTreeFileStore(sql);
let written = 0;
const put = files.putChunk.bind(files);
files.putChunk = async (...args) => {
  await put(...args);
  if (++written === 3) {
    process.stdout.write('wrote 3\\n'); // a pipe: written synchronously on Linux
    process.kill(process.pid, 'SIGKILL');
  }
};
await new TreeChunkService({ tree, files, chunkLevels: Number(process.env.LEVELS) }).capture();
console.log('captured without being killed');
`;

describe('the service on SQLite', () => {
  async function until(condition: () => Promise<boolean>, ms: number): Promise<void> {
    const started = Date.now();
    while (!(await condition())) {
      if (Date.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('prunes after each publication down to the files of the 4 latest; a start on a database without files serves the root once its background capture is done', async () => {
    const tmp = tempDir();
    cleanups.push(() => tmp.cleanup());
    const clock = new ManualClock();
    const anchor = new RecordingRootAnchor();
    const open = () => startService(testConfig(tmp.dbPath), { anchor, treeChunkLevels: 1, clock, treeChunkCacheBytes: 1 });
    let service = await open();
    cleanups.push(() => service.close());
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await approveNewHolder(service);
      expect(res.statusCode).toBe(201);
      ids.push(res.json().credentialId);
    }
    const sqlite = openSqliteDatabase(tmp.dbPath);
    cleanups.push(() => void sqlite.close());
    const rows = () => (sqlite.prepare('SELECT COUNT(*) AS n FROM tree_chunk_files').get() as { n: number }).n;
    expect((await service.publisher!.publishNow()).status).toBe('published');
    // Five more publications an hour apart, each revoking one leaf: chunk 1 four times, then chunk 0.
    for (const id of [ids[4], ids[5], ids[6], ids[7], ids[0]]) {
      clock.advance(3_600_000);
      expect((await service.app.inject({ method: 'POST', url: `/credentials/${id}/revoke`, headers: reviewer, payload: { reason: 'test' } })).statusCode).toBe(200);
      expect((await service.publisher!.publishNow()).status).toBe('published');
    }
    // 7 files were written (2 + one per publication); the first two publications' chunk-1 files are not needed by the 4 latest.
    await until(async () => rows() === 5, 10_000);
    const served = (await service.app.inject({ method: 'GET', url: '/tree/chunks' })).json().roots as Array<{ root: string }>;
    expect(served).toHaveLength(4);
    for (const { root } of served) {
      for (const n of [0, 1]) expect((await service.app.inject({ method: 'GET', url: `/tree/${root}/chunk/${n}.bin` })).statusCode).toBe(200);
    }
    const latest = served[0].root;
    const fileOf = async (root: string, n: number) => (await service.app.inject({ method: 'GET', url: `/tree/${root}/chunk/${n}.bin` })).rawPayload;
    const before = [await fileOf(latest, 0), await fileOf(latest, 1)];

    // Every stored chunk-1 file zeroed (the cache holds nothing: 1 byte). The tree still has the latest two roots' chunk 1:
    // encoded again, the same bytes; the two older roots' chunk 1 cannot be rebuilt: 500, never wrong bytes.
    sqlite.prepare('UPDATE tree_chunk_files SET bytes = zeroblob(length(bytes)) WHERE chunk_index = 1').run();
    expect(await fileOf(served[0].root, 1)).toEqual(before[1]);
    expect(await fileOf(served[1].root, 1)).toEqual(before[1]);
    for (const { root } of served.slice(2)) {
      const res = await service.app.inject({ method: 'GET', url: `/tree/${root}/chunk/1.bin` });
      expect(res.statusCode).toBe(500);
      expect(res.json().error).toMatchObject({ code: 'tree_file_corrupt' });
    }
    // A root older than the 4 latest publications is not served (its files are pruned).
    const first = anchor.published[0].root.toString();
    expect(served.map((r) => r.root)).not.toContain(first);
    expect((await service.app.inject({ method: 'GET', url: `/tree/${first}/chunk/1.bin` })).json().error).toMatchObject({ code: 'root_not_served' });

    // An upgrade: the same database without any file. The start does not wait for the capture; the root is served once it is done.
    await service.close();
    sqlite.prepare('DELETE FROM tree_chunk_files').run();
    sqlite.prepare('DELETE FROM tree_top_files').run();
    service = await open();
    await until(async () => (await service.app.inject({ method: 'GET', url: '/tree/chunks' })).json().roots[0]?.root === latest, 10_000);
    expect([await fileOf(latest, 0), await fileOf(latest, 1)]).toEqual(before);
    expect(rows()).toBe(2);
  }, 60_000);
});
