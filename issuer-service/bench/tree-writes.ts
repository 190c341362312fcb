/**
 * The tree's share of an approval, without HTTP or signing: `n` approvals written to a store, on
 * SQLite and (with BENCH_DATABASE_URL / TEST_DATABASE_URL) Postgres.
 *  - before the persisted tree (a checkout of the older service): `recordApproval` then
 *    `IssuerTree.append` in memory (poseidon-lite, 16 Poseidon4 per leaf), one at a time;
 *  - now: `recordApprovals` in groups of `group` (nodes above the leaves written in the same
 *    transaction, circomlibjs' WebAssembly Poseidon, shared upper nodes hashed once).
 *
 *   node node_modules/tsx/dist/cli.mjs issuer-service/bench/tree-writes.ts [n] [group]
 *
 * Prints one JSON line per backend; no assertion on timings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { IssuerTree } from '@zkkyc/tree';
import { openSqliteDatabase } from '../src/store/sqlite-database.js';
import { SqliteIssuerStore } from '../src/store/sqlite-issuer-store.js';
import { openPostgresDatabase } from '../src/store/postgres-database.js';
import { PostgresIssuerStore } from '../src/store/postgres-issuer-store.js';
import type { CredentialRecord, IssuerStore } from '../src/store/issuer-store.js';
import { submitPendingApplication } from '../test/support/pending-application.js';

type Write = Parameters<IssuerStore['recordApproval']>[0];
const now = Date.now();

function write(id: string, leafIndex: number, leaf: bigint): Write {
  const credential: CredentialRecord = {
    id: `c-${id}`,
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
  };
  return { credential, decision: { subjectType: 'application', subjectId: id, action: 'approve', reviewer: 'bench', reason: null, decidedAt: now } };
}

async function run(backend: string, store: IssuerStore, n: number, group: number) {
  const ids = Array.from({ length: n }, (_, i) => `a${i}-${randomBytes(3).toString('hex')}`);
  for (const id of ids) await submitPendingApplication(store, id, now);
  const leaves = ids.map(() => BigInt(`0x${randomBytes(31).toString('hex')}`) + 1n);
  const grouped = store as IssuerStore & { recordApprovals?: (d: Array<{ build(i: number): Promise<Write> }>) => Promise<unknown[]>; openTree?: (depth: number, hash?: unknown) => Promise<unknown> };
  let mode: string;
  const t = performance.now();
  if (typeof grouped.recordApprovals === 'function') {
    const { wasmNodeHash } = await import('../src/services/node-hash.js');
    await grouped.openTree!(32, await wasmNodeHash());
    mode = `persisted tree, groups of ${group}`;
    for (let at = 0; at < n; at += group) {
      const slice = ids.slice(at, at + group);
      await grouped.recordApprovals(slice.map((id, k) => ({ build: async (leafIndex: number) => write(id, leafIndex, leaves[at + k]) })));
    }
  } else {
    mode = 'in-memory tree, one at a time';
    const tree = new IssuerTree(32);
    for (let i = 0; i < n; i++) {
      await store.recordApproval(write(ids[i], i, leaves[i]));
      tree.append(leaves[i]);
    }
  }
  const ms = performance.now() - t;
  return { backend, mode, approvals: n, approvalsPerSecond: Math.round((n / ms) * 1000), msPerApproval: Math.round((ms / n) * 100) / 100 };
}

const n = Number(process.argv[2] ?? 300);
const group = Number(process.argv[3] ?? 16);
const dir = mkdtempSync(join(tmpdir(), 'zkkyc-tree-writes-'));
try {
  const sqlite = new SqliteIssuerStore(openSqliteDatabase(join(dir, 'bench.sqlite')));
  console.log(JSON.stringify(await run('sqlite', sqlite, n, group)));
  await sqlite.close();
  const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (url) {
    const schema = `zkkyc_tw_${randomBytes(4).toString('hex')}`;
    const store = new PostgresIssuerStore(await openPostgresDatabase(url, { schema }));
    try {
      console.log(JSON.stringify(await run('postgres', store, n, group)));
    } finally {
      await store.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
