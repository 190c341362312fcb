/**
 * Start-up with the persisted tree (SQLite): a store holding `n` leaves written the way an older
 * version left them (no tree rows), then
 *  - the one-time fill (first start after migration 9: every inner node from the leaves),
 *  - a restart (reads `tree_state`, no pass over the leaves),
 *  - a Merkle path (one read of 3 × 16 siblings, checked against the stored root),
 *  - one approval written with its 16 nodes (group of 1).
 *
 *   node node_modules/tsx/dist/cli.mjs issuer-service/bench/tree-restart.ts [n]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../src/store/sqlite-database.js';
import { SqliteIssuerStore } from '../src/store/sqlite-issuer-store.js';
import { loadIssuerTree } from '../src/services/issuer-tree.js';
import { wasmNodeHash } from '../src/services/node-hash.js';

const n = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'zkkyc-tree-restart-'));
const path = join(dir, 'bench.sqlite');
const round1 = (x: number) => Math.round(x * 10) / 10;
try {
  const db = openSqliteDatabase(path);
  const challenge = db.prepare('INSERT INTO challenges (nonce, did, created_at, expires_at, used_at) VALUES (?, ?, 0, 1, 0)');
  const application = db.prepare(
    `INSERT INTO applications (id, holder_did, identity_commitment, attributes_json, status, access_token_hash, challenge_nonce, created_at, updated_at)
     VALUES (?, ?, '1', '{}', 'approved', 'h', ?, 0, 0)`,
  );
  const credential = db.prepare(
    `INSERT INTO credentials (id, application_id, holder_did, leaf_index, leaf, salt, attributes_json, expiry_date, vc_jwt, status, issued_at)
     VALUES (?, ?, ?, ?, ?, '0', '{}', '2099-01-01', 'bench', 'active', 0)`,
  );
  const leaf = db.prepare('INSERT INTO leaves (leaf_index, value, credential_id) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      const value = BigInt(`0x${randomBytes(31).toString('hex')}`).toString();
      challenge.run(id, `did:key:zB${i}`);
      application.run(id, `did:key:zB${i}`, id);
      credential.run(id, id, `did:key:zB${i}`, i, value);
      leaf.run(i, value, id);
    }
  })();
  let store = new SqliteIssuerStore(db);
  const hash = await wasmNodeHash();
  let t = performance.now();
  await loadIssuerTree(store, 32, undefined, hash);
  const fillMs = performance.now() - t;
  await store.close();

  t = performance.now();
  store = new SqliteIssuerStore(openSqliteDatabase(path));
  const tree = await loadIssuerTree(store, 32, undefined, hash);
  const restartMs = performance.now() - t;

  const proofMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    t = performance.now();
    await tree.proof(Math.floor(Math.random() * n));
    proofMs.push(performance.now() - t);
  }
  proofMs.sort((a, b) => a - b);
  console.log(JSON.stringify({ backend: 'sqlite', leaves: n, fillOnceMs: Math.round(fillMs), restartMs: round1(restartMs), proofMsMedian: round1(proofMs[10]) }));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
