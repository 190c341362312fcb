import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { hashNode, IssuerTree, SNARK_FIELD, updatedNodes, buildLevels } from '@zkkyc/tree';
import { openSqliteDatabase } from '../src/store/sqlite-database.js';
import { openPostgresDatabase } from '../src/store/postgres-database.js';
import { SqliteIssuerStore } from '../src/store/sqlite-issuer-store.js';
import { PostgresIssuerStore } from '../src/store/postgres-issuer-store.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { CREDENTIAL_COLUMNS, credentialValues } from '../src/store/record-rows.js';
import type { ApprovalDraft, ApprovalWrite, CredentialRecord, IssuerStore } from '../src/store/issuer-store.js';
import { loadIssuerTree } from '../src/services/issuer-tree.js';
import { loadConfig } from '../src/config.js';
import { wasmNodeHash } from '../src/services/node-hash.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { submitPendingApplication } from './support/pending-application.js';

/**
 * The issuer tree persisted incrementally (migration 9): every leaf change writes the nodes above
 * it and `tree_state` in the credential's own transaction; start-up reads one row; several store
 * instances on one Postgres serialize on the tree lock.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const DEPTH = 6; // 4096 leaves, 3 levels: small enough to rebuild from scratch after every step
const now = Date.now();
const randomLeaf = () => (BigInt(`0x${randomBytes(32).toString('hex')}`) % (SNARK_FIELD - 1n)) + 1n;

async function openStore(backend: TestBackend, db: Awaited<ReturnType<TestBackend['freshDatabase']>>, migrations = MIGRATIONS): Promise<IssuerStore> {
  const store = db.config.databaseUrl
    ? new PostgresIssuerStore(await openPostgresDatabase(db.config.databaseUrl, { schema: db.config.databaseSchema, migrations }))
    : new SqliteIssuerStore(openSqliteDatabase(db.config.databasePath, migrations));
  let closed = false;
  const close = store.close.bind(store);
  store.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanups.push(() => store.close());
  return store;
}

async function freshDb(backend: TestBackend) {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  return db;
}

let seq = 0;
async function pending(store: IssuerStore): Promise<string> {
  const id = `app-${++seq}-${randomBytes(3).toString('hex')}`;
  await submitPendingApplication(store, id, now);
  return id;
}

function credentialFor(applicationId: string, leafIndex: number, leaf: bigint, personKey: string | null = null): CredentialRecord {
  return {
    id: `cred-${applicationId}`,
    applicationId,
    holderDid: `did:key:z${applicationId}`,
    leafIndex,
    leaf: leaf.toString(),
    salt: '7',
    attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [], kycLevel: 1, expiryDate: '2030-01-01' },
    expiryDate: '2030-01-01',
    vcJwt: 'jwt',
    status: 'active',
    issuedAt: now,
    revokedAt: null,
    personKey,
  };
}

const approveDecision = (subjectId: string) => ({ subjectType: 'application' as const, subjectId, action: 'approve' as const, reviewer: 'r', reason: null, decidedAt: now });
const revokeDecision = (subjectId: string) => ({ subjectType: 'credential' as const, subjectId, action: 'revoke' as const, reviewer: 'r', reason: 'test', decidedAt: now });

/** A draft as issuance builds one: the credential names the index the store hands out. */
function draft(applicationId: string, opts: { personKey?: string; replaces?: string; delayMs?: number; onBuild?: (leafIndex: number) => void } = {}): ApprovalDraft {
  const leaf = randomLeaf();
  return {
    async build(leafIndex: number): Promise<ApprovalWrite> {
      opts.onBuild?.(leafIndex);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      return {
        credential: credentialFor(applicationId, leafIndex, leaf, opts.personKey ?? null),
        decision: approveDecision(applicationId),
        ...(opts.replaces ? { replaces: { credentialId: opts.replaces, decision: revokeDecision(opts.replaces) } } : {}),
      };
    },
  };
}

async function allLeaves(store: IssuerStore): Promise<bigint[]> {
  return (await store.listLeaves(0, 100_000)).map((l) => BigInt(l.value));
}

/** The stored root must be the root of a tree rebuilt from scratch over the stored leaves. */
async function expectRootMatchesLeaves(store: IssuerStore, depth = DEPTH): Promise<void> {
  const leaves = await allLeaves(store);
  const state = await store.treeState();
  expect(state.leafCount).toBe(leaves.length);
  expect(BigInt(state.root)).toBe(new IssuerTree(depth, leaves).root);
}

/** Every stored inner node, as `level:position=value`, for before/after comparisons. */
async function allNodes(store: IssuerStore, depth = DEPTH): Promise<string[]> {
  return store.readTree(async (reader) => {
    const out: string[] = [];
    for (let level = 0; level <= depth / 2; level++) {
      for (const n of await reader.range(level, 0, 4 ** (depth / 2 - level) + 1)) out.push(`${n.level}:${n.position}=${n.value}`);
    }
    return out;
  });
}

describe('ISSUER_TREE_REBUILD_DEPTH', () => {
  const base = { ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H', ISSUER_TREE_DEPTH: '20' };
  it('names the configured depth or the start is refused; unset, no rebuild is asked for', () => {
    expect(loadConfig(base).treeRebuildDepth).toBeUndefined();
    expect(loadConfig({ ...base, ISSUER_TREE_REBUILD_DEPTH: '20' }).treeRebuildDepth).toBe(20);
    expect(() => loadConfig({ ...base, ISSUER_TREE_REBUILD_DEPTH: '32' })).toThrow(/^ISSUER_TREE_REBUILD_DEPTH: must equal ISSUER_TREE_DEPTH \(20\)/);
  });
});

describe('node hashing', () => {
  it('circomlibjs WebAssembly Poseidon equals poseidon-lite, node by node and for whole updates', async () => {
    const wasm = await wasmNodeHash();
    for (let i = 0; i < 20; i++) {
      const children = [randomLeaf(), randomLeaf(), i % 2 === 0 ? 0n : randomLeaf(), randomLeaf()];
      expect(wasm(children)).toBe(hashNode(children));
    }
    const leaves = Array.from({ length: 37 }, randomLeaf);
    expect(buildLevels(DEPTH, leaves, wasm)).toEqual(buildLevels(DEPTH, leaves));
    const changed = new Map([
      [3, 0n],
      [37, randomLeaf()],
    ]);
    const tree = new IssuerTree(DEPTH, leaves);
    const read = (level: number, position: number) => tree.nodes(level, position, position + 1)[0];
    expect(updatedNodes(DEPTH, changed, read, wasm)).toEqual(updatedNodes(DEPTH, changed, read));
    expect(() => wasm([1n, 2n, 3n])).toThrow(/4 children/);
  });
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('the persisted tree on %s', (_name, backend: TestBackend) => {
  it('keeps the root of a from-scratch tree over the same leaves through batched approvals, replacements and revocations', async () => {
    const store = await openStore(backend, await freshDb(backend));
    await store.openTree(DEPTH, await wasmNodeHash());
    const tree = await loadIssuerTree(store, DEPTH);
    expect(BigInt((await store.treeState()).root)).toBe(new IssuerTree(DEPTH).root);

    // Batches of 1, 5 and 17 (17 shares level-1 and level-2 parents across the batch).
    for (const size of [1, 5, 17]) {
      const apps = await Promise.all(Array.from({ length: size }, () => pending(store)));
      const outcomes = await store.recordApprovals(apps.map((a) => draft(a)));
      expect(outcomes.every((o) => o.ok)).toBe(true);
      await expectRootMatchesLeaves(store);
    }
    // A batch where one approval is refused (its application is not pending) and one's build throws:
    // the others are written, with consecutive indices.
    const [a, b, c] = [await pending(store), await pending(store), await pending(store)];
    await store.recordRejection({ applicationId: b, decision: { ...approveDecision(b), action: 'reject', reason: 'no' } });
    const failing: ApprovalDraft = { build: async () => Promise.reject(new Error('signer down')) };
    const outcomes = await store.recordApprovals([draft(a), draft(b), failing, draft(c)]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, true]);
    expect(outcomes[0]).toEqual({ ok: true, leafIndex: 23 });
    expect(outcomes[3]).toEqual({ ok: true, leafIndex: 24 });
    expect(outcomes[1]).toMatchObject({ ok: false, error: { reason: 'application_not_pending' } });
    expect(outcomes[2]).toMatchObject({ ok: false, error: { message: 'signer down' } });
    await expectRootMatchesLeaves(store);

    // Revocations and a replacement (the old leaf zeroed, the new one appended, one transaction).
    await store.recordRevocation({ credentialId: `cred-${a}`, decision: revokeDecision(`cred-${a}`) });
    await expectRootMatchesLeaves(store);
    const first = (await store.getCredentialByLeafIndex(0))!;
    const p1 = await pending(store);
    expect((await store.recordApprovals([draft(p1, { personKey: 'person-1' })]))[0].ok).toBe(true);
    const p2 = await pending(store);
    const replaced = await store.recordApprovals([draft(p2, { personKey: 'person-1', replaces: `cred-${p1}` })]);
    expect(replaced[0].ok).toBe(true);
    expect((await store.getCredential(`cred-${p1}`))!.status).toBe('revoked');
    await store.recordRevocation({ credentialId: first.id, decision: revokeDecision(first.id) });
    await expectRootMatchesLeaves(store);

    // Paths come from the stored nodes and equal the rebuilt tree's.
    const rebuilt = new IssuerTree(DEPTH, await allLeaves(store));
    const current = await tree.current();
    expect(current.root).toBe(rebuilt.root);
    expect(current.size).toBe(rebuilt.size);
    for (const index of [1, 2, 22, 24, rebuilt.size - 1]) expect(await tree.proof(index)).toEqual(rebuilt.proof(index));
    await expect(tree.proof(0)).rejects.toThrow(/revoked/);
    await expect(tree.proof(rebuilt.size)).rejects.toThrow(/not the index of a leaf/);
  });

  it('refuses to serve a path from a corrupted node table instead of handing out a proof the chain rejects', async () => {
    const store = await openStore(backend, await freshDb(backend));
    await store.openTree(DEPTH);
    await store.recordApprovals(await Promise.all(Array.from({ length: 6 }, async () => draft(await pending(store)))));
    const tree = await loadIssuerTree(store, DEPTH);
    expect(IssuerTree.verifyProof(await tree.proof(5), DEPTH)).toBe(true);
    // Leaf 5's level-1 sibling is node (1, 0): change it behind the store's back.
    const corrupt = "UPDATE tree_nodes SET value = '12345' WHERE level = 1 AND position = 0";
    if (store instanceof SqliteIssuerStore) (store as unknown as { db: { prepare: (q: string) => { run: () => void } } }).db.prepare(corrupt).run();
    else await (store as unknown as { pool: { query: (q: string) => Promise<unknown> } }).pool.query(corrupt);
    await expect(tree.proof(5)).rejects.toThrow(/stored tree is inconsistent: the path of leaf 5/);
  });

  it('revision goes up by one on every change', async () => {
    const store = await openStore(backend, await freshDb(backend));
    const start = (await store.openTree(DEPTH)).revision;
    const app = await pending(store);
    await store.recordApprovals([draft(app)]);
    expect((await store.treeState()).revision).toBe(start + 1);
    await store.recordRevocation({ credentialId: `cred-${app}`, decision: revokeDecision(`cred-${app}`) });
    expect((await store.treeState()).revision).toBe(start + 2);
  });

  it('restarts from tree_state without reading the leaves, and a gap written behind its back is refused', async () => {
    const db = await freshDb(backend);
    let store = await openStore(backend, db);
    await store.openTree(DEPTH);
    const apps = await Promise.all(Array.from({ length: 30 }, () => pending(store)));
    await store.recordApprovals(apps.map((a) => draft(a)));
    const before = await store.treeState();
    await store.close();

    store = await openStore(backend, db);
    const listLeaves = jest.spyOn(store, 'listLeaves');
    const tree = await loadIssuerTree(store, DEPTH);
    expect(listLeaves).not.toHaveBeenCalled();
    // No fill ran: a fill would have bumped the revision.
    expect(await store.treeState()).toEqual(before);
    expect(tree.root).toBe(BigInt(before.root));
    expect(tree.size).toBe(30);
    await store.close();

    // The depth changed: refused unless asked for, then a fill (one pass over the leaves) to the new depth's root.
    store = await openStore(backend, db);
    await expect(loadIssuerTree(store, DEPTH + 2)).rejects.toMatchObject({ rule: 'tree-depth-fixed', storedDepth: DEPTH, configuredDepth: DEPTH + 2 });
    expect(await store.treeState()).toEqual(before);
    expect(await store.getSetting('tree_depth')).toBe(String(DEPTH));
    await loadIssuerTree(store, DEPTH + 2, undefined, undefined, { rebuild: true });
    await expectRootMatchesLeaves(store, DEPTH + 2);

    // A leaf written behind the store's back (no node, no tree_state): the next start refuses.
    await insertV8Credential(store, credentialFor(await pending(store), 30, randomLeaf()));
    await store.close();
    store = await openStore(backend, db);
    await expect(loadIssuerTree(store, DEPTH + 2)).rejects.toThrow(/leaf table has a gap or leaves the stored tree does not know: .* leaf 30 exists/);
  });

  it('starts while another writer appends between its openTree and its leaf check', async () => {
    const db = await freshDb(backend);
    const store = await openStore(backend, db);
    const other = await openStore(backend, db);
    await store.openTree(DEPTH);
    await other.openTree(DEPTH);
    await store.recordApprovals(await Promise.all(Array.from({ length: 4 }, async () => draft(await pending(store)))));
    const app = await pending(other);
    const open = store.openTree.bind(store);
    store.openTree = async (...args) => {
      const state = await open(...args);
      expect((await other.recordApprovals([draft(app)]))[0]).toEqual({ ok: true, leafIndex: 4 });
      return state;
    };
    const tree = await loadIssuerTree(store, DEPTH);
    expect(tree.size).toBe(5);
    expect(tree.root).toBe(BigInt((await other.treeState()).root));
  });

  it('a store opened for one depth refuses every tree write once another rebuilt the tree for another depth', async () => {
    const db = await freshDb(backend);
    const old = await openStore(backend, db);
    await old.openTree(DEPTH);
    const apps = await Promise.all(Array.from({ length: 3 }, () => pending(old)));
    await old.recordApprovals(apps.map((a) => draft(a)));
    const rebuilt = await openStore(backend, db);
    await expect(rebuilt.openTree(DEPTH + 2)).rejects.toThrow(/stored issuer tree has depth 6 but ISSUER_TREE_DEPTH is 8 \(rule tree-depth-fixed\).*ISSUER_TREE_REBUILD_DEPTH=8/);
    await rebuilt.openTree(DEPTH + 2, undefined, { rebuild: true });
    const state = await rebuilt.treeState();
    const app = await pending(old);
    const counts = await old.rowCounts();
    const [outcome] = await old.recordApprovals([draft(app)]);
    expect(outcome).toMatchObject({ ok: false, error: { rule: 'tree-depth-fixed', storedDepth: DEPTH + 2, configuredDepth: DEPTH } });
    await expect(old.recordRevocation({ credentialId: `cred-${apps[0]}`, decision: revokeDecision(`cred-${apps[0]}`) })).rejects.toThrow(
      /stored issuer tree has depth 8 but this process writes depth 6 \(rule tree-depth-fixed\)/,
    );
    // Nothing of either write landed: the rebuilt tree is the depth-8 tree of the same leaves.
    expect(await rebuilt.treeState()).toEqual(state);
    expect(await old.rowCounts()).toEqual(counts);
    expect((await old.getCredential(`cred-${apps[0]}`))!.status).toBe('active');
    await expectRootMatchesLeaves(rebuilt, DEPTH + 2);
  });

  it('adopts tree rows another writer left without the depth setting when they fit the depth, refills when not', async () => {
    const db = await freshDb(backend);
    let store = await openStore(backend, db);
    await store.openTree(DEPTH);
    await store.recordApprovals(await Promise.all(Array.from({ length: 9 }, async () => draft(await pending(store)))));
    const before = await store.treeState();
    const dropSetting = async (s: IssuerStore) => {
      if (s instanceof SqliteIssuerStore) (s as unknown as { db: { prepare: (q: string) => { run: () => void } } }).db.prepare("DELETE FROM settings WHERE key = 'tree_depth'").run();
      else await (s as unknown as { pool: { query: (q: string) => Promise<unknown> } }).pool.query("DELETE FROM settings WHERE key = 'tree_depth'");
    };
    await dropSetting(store);
    await store.close();
    store = await openStore(backend, db);
    expect(await store.openTree(DEPTH)).toEqual(before); // adopted: no fill, same revision
    expect(await store.getSetting('tree_depth')).toBe(String(DEPTH));
    await dropSetting(store);
    await store.close();
    store = await openStore(backend, db);
    const refilled = await store.openTree(DEPTH + 2); // rows of depth 6 do not fit depth 8
    expect(refilled.revision).toBe(before.revision + 1);
    await expectRootMatchesLeaves(store, DEPTH + 2);
  });

  it('a crash after the node writes leaves nothing: no credential, no leaf, no node, the same state', async () => {
    const store = await openStore(backend, await freshDb(backend));
    await store.openTree(DEPTH);
    const earlier = await Promise.all(Array.from({ length: 6 }, () => pending(store)));
    await store.recordApprovals(earlier.map((a) => draft(a)));
    const app = await pending(store);
    const counts = await store.rowCounts();
    const state = await store.treeState();
    const nodes = await allNodes(store);

    // Fail the statement that comes after the node upserts: the tree_state update.
    const crash = new Error('crash after the node writes');
    let nodeWrites = 0;
    const restore = failTreeStateUpdate(store, crash, () => nodeWrites++);
    const outcomes = await store.recordApprovals([draft(app)]);
    restore();
    expect(nodeWrites).toBeGreaterThan(0);
    expect(outcomes).toEqual([{ ok: false, error: crash }]);
    expect(await store.rowCounts()).toEqual(counts);
    expect(await store.treeState()).toEqual(state);
    expect(await allNodes(store)).toEqual(nodes);
    expect((await store.getApplication(app))!.status).toBe('pending');
    // And the same approval goes through afterwards, at the index the crash did not take.
    expect(await store.recordApprovals([draft(app)])).toEqual([{ ok: true, leafIndex: 6 }]);
    await expectRootMatchesLeaves(store);
  });
});

/**
 * Makes the store's `UPDATE tree_state` statement throw (the last write of a tree change), counting
 * the node upserts before it; returns the undo.
 */
function failTreeStateUpdate(store: IssuerStore, error: Error, onNodeWrite: () => void): () => void {
  if (store instanceof SqliteIssuerStore) {
    const db = (store as unknown as { db: { prepare: (sql: string) => unknown } }).db;
    const prepare = db.prepare;
    db.prepare = function (this: unknown, sql: string) {
      if (sql.startsWith('INSERT INTO tree_nodes')) onNodeWrite();
      if (sql.startsWith('UPDATE tree_state')) {
        return {
          run: () => {
            throw error;
          },
        };
      }
      return prepare.call(this, sql);
    } as typeof db.prepare;
    return () => {
      db.prepare = prepare;
    };
  }
  const pool = (store as unknown as { pool: { connect: () => Promise<{ query: (...args: unknown[]) => Promise<unknown> }> } }).pool;
  const connect = pool.connect;
  pool.connect = async function (this: unknown) {
    const client = await connect.call(this);
    const query = client.query;
    client.query = async function (this: unknown, ...args: unknown[]) {
      const sql = String(args[0]);
      if (sql.trim().startsWith('INSERT INTO tree_nodes')) onNodeWrite();
      if (sql.startsWith('UPDATE tree_state')) throw error;
      return query.apply(this, args);
    };
    const release = (client as unknown as { release: (...a: unknown[]) => void }).release;
    (client as unknown as { release: (...a: unknown[]) => void }).release = function (this: unknown, ...a: unknown[]) {
      client.query = query;
      return release.apply(this, a);
    };
    return client;
  } as typeof pool.connect;
  return () => {
    pool.connect = connect;
  };
}

// Absent only under ZKKYC_SKIP_PG=1 (see support/backends.ts).
const postgresBackend = TEST_BACKENDS.find((b) => b.name === 'postgres');

(postgresBackend ? describe : describe.skip)('several store instances on one Postgres', () => {
  const backend = postgresBackend!;

  it('append concurrently (two pools, 50 approvals interleaved): distinct indices, no lost node, the right root', async () => {
    const db = await freshDb(backend);
    const [a, b] = [await openStore(backend, db), await openStore(backend, db)];
    await a.openTree(DEPTH);
    await b.openTree(DEPTH);
    const apps = await Promise.all(Array.from({ length: 50 }, () => pending(a)));
    // Each approval its own transaction, alternating stores, all in flight at once.
    const outcomes = (await Promise.all(apps.map((app, i) => (i % 2 === 0 ? a : b).recordApprovals([draft(app)])))).flat();
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const indices = outcomes.map((o) => (o.ok ? o.leafIndex : -1)).sort((x, y) => x - y);
    expect(indices).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await expectRootMatchesLeaves(a);
    expect(await b.treeState()).toEqual(await a.treeState());
  });

  it('serializes tree writers across instances (the advisory lock): no two transactions build at once', async () => {
    const db = await freshDb(backend);
    const stores = [await openStore(backend, db), await openStore(backend, db)];
    for (const s of stores) await s.openTree(DEPTH);
    const apps = await Promise.all(Array.from({ length: 12 }, () => pending(stores[0])));
    // Each build holds its transaction open for 25 ms. Without the lock two transactions read the
    // same leaf_count, build for the same index and overlap; with it they queue.
    const intervals: Array<{ store: number; start: number; end: number; index: number }> = [];
    const outcomes = (
      await Promise.all(
        apps.map((app, i) => {
          const store = i % 2;
          const d = draft(app, { delayMs: 25 });
          return stores[store].recordApprovals([
            {
              async build(leafIndex) {
                const start = performance.now();
                const write = await d.build(leafIndex);
                intervals.push({ store, start, end: performance.now(), index: leafIndex });
                return write;
              },
            },
          ]);
        }),
      )
    ).flat();
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    intervals.sort((x, y) => x.start - y.start);
    for (let i = 1; i < intervals.length; i++) expect(intervals[i].start).toBeGreaterThanOrEqual(intervals[i - 1].end);
    expect(new Set(intervals.map((x) => x.index)).size).toBe(12);
    await expectRootMatchesLeaves(stores[0]);
  });

  it("one instance's write is seen by the other's next read (root, size, path), with no restart", async () => {
    const db = await freshDb(backend);
    const [a, b] = [await openStore(backend, db), await openStore(backend, db)];
    await a.openTree(DEPTH);
    const treeA = await loadIssuerTree(a, DEPTH);
    const treeB = await loadIssuerTree(b, DEPTH);
    const app = await pending(b);
    const [outcome] = await b.recordApprovals([draft(app)]);
    expect(outcome).toEqual({ ok: true, leafIndex: 0 });
    const seen = await treeA.current();
    expect(seen.size).toBe(1);
    expect(seen.root).toBe((await treeB.current()).root);
    expect(IssuerTree.verifyProof(await treeA.proof(0), DEPTH)).toBe(true);
  });
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('migration 9 on %s', (_name, backend: TestBackend) => {
  it('a database at migration 8 with leaves (revoked ones too) opens to the same root as a rebuilt tree', async () => {
    const db = await freshDb(backend);
    const v8 = MIGRATIONS.filter((m) => m.version <= 8);
    const old = await openStore(backend, db, v8);
    const leaves: bigint[] = [];
    for (let i = 0; i < 23; i++) {
      const app = await pending(old);
      const leaf = i % 5 === 3 ? 0n : randomLeaf();
      leaves.push(leaf);
      await insertV8Credential(old, credentialFor(app, i, leaf));
    }
    await old.close();

    const store = await openStore(backend, db);
    const tree = await loadIssuerTree(store, DEPTH);
    expect(tree.root).toBe(new IssuerTree(DEPTH, leaves).root);
    expect(tree.size).toBe(23);
    expect(await tree.proof(4)).toEqual(new IssuerTree(DEPTH, leaves).proof(4));
    // And it goes on incrementally from there.
    await store.recordApprovals([draft(await pending(store))]);
    await expectRootMatchesLeaves(store);
  });

  it('the fill goes page by page (pages of 4 rows): the nodes of a tree built in memory; a gap is refused', async () => {
    const db = await freshDb(backend);
    const v8 = MIGRATIONS.filter((m) => m.version <= 8);
    const old = await openStore(backend, db, v8);
    const leaves: bigint[] = [];
    for (let i = 0; i < 37; i++) {
      leaves.push(i % 7 === 2 ? 0n : randomLeaf());
      await insertV8Credential(old, credentialFor(await pending(old), i, leaves[i]));
    }
    // Leaf 38 without 37: the fill must find the gap however the pages fall.
    const gapped = await freshDb(backend);
    const before = await openStore(backend, gapped, v8);
    for (const i of [0, 1, 2, 3, 4, 6]) await insertV8Credential(before, credentialFor(await pending(before), i, randomLeaf()));
    await Promise.all([old.close(), before.close()]);

    const store = await openStore(backend, db);
    (store as unknown as { fillPage: number }).fillPage = 4;
    const state = await store.openTree(DEPTH);
    expect(state.leafCount).toBe(37);
    const expected = [...leaves.map((v, p) => `0:${p}=${v}`), ...buildLevels(DEPTH, leaves).flatMap((level, l) => level.map((v, p) => `${l + 1}:${p}=${v}`))];
    expect(await allNodes(store)).toEqual(expected);
    expect(state.root).toBe(new IssuerTree(DEPTH, leaves).root.toString());

    const broken = await openStore(backend, gapped);
    (broken as unknown as { fillPage: number }).fillPage = 4;
    await expect(broken.openTree(DEPTH)).rejects.toThrow(/leaf table has a gap: expected index 5, found 6/);
  });
});

/** What a version before migration 9 wrote for an approval: the credential and its leaf, no tree rows. */
async function insertV8Credential(store: IssuerStore, c: CredentialRecord): Promise<void> {
  const values = credentialValues(c);
  if (store instanceof SqliteIssuerStore) {
    const db = (store as unknown as { db: { prepare: (sql: string) => { run: (...a: unknown[]) => unknown } } }).db;
    db.prepare("UPDATE applications SET status = 'approved' WHERE id = ?").run(c.applicationId);
    db.prepare(`INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES (${values.map(() => '?').join(', ')})`).run(...values);
    db.prepare('INSERT INTO leaves (leaf_index, value, credential_id) VALUES (?, ?, ?)').run(c.leafIndex, c.leaf, c.id);
    return;
  }
  const pool = (store as unknown as { pool: { query: (sql: string, values?: unknown[]) => Promise<unknown> } }).pool;
  await pool.query("UPDATE applications SET status = 'approved' WHERE id = $1", [c.applicationId]);
  await pool.query(`INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
  await pool.query('INSERT INTO leaves (leaf_index, value, credential_id) VALUES ($1, $2, $3)', [c.leafIndex, c.leaf, c.id]);
}
