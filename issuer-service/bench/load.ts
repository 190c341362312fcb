/**
 * Issuer load figures for `npm run bench` (section "issuer"): the service on 127.0.0.1, driven over
 * real HTTP, and root publication against the IssuerRegistry on Hardhat's in-process chain.
 *
 *  - sequential: one holder at a time applies (challenge + signed application), a reviewer approves
 *    (VC signature + leaf append + one transaction); Merkle path serving; restart (tree rebuild).
 *  - concurrent: `clients` reviewers approve pre-filed applications at once (a shared queue over
 *    keep-alive fetch), per backend — SQLite, and Postgres when TEST_DATABASE_URL/BENCH_DATABASE_URL
 *    is set: approvals per second and the p50/p99 of one approval's latency.
 *  - publish: a store filled with 10,000 then 100,000 leaves; time to rebuild the tree from the
 *    store, compute the root, and publish it (RegistryRootAnchor → IssuerRegistry, mined).
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hre from 'hardhat';
import type {} from '@nomicfoundation/hardhat-ethers';
import pg from 'pg';
import { bytesToMultibase, createJWT, EdDSASigner } from 'did-jwt';
import { identityCommitment, randomIdentitySecret } from '@zkkyc/credentials';
import { IssuerRegistry__factory } from '@zkkyc/contracts/typechain';
import { deployZkKyc, RegistryRootAnchor } from '@zkkyc/sdk';
import { createIssuerService } from '../src/issuer-service.js';
import { loadConfig, type IssuerServiceConfig } from '../src/config.js';
import { RootPublisher } from '../src/publisher.js';
import { systemClock } from '../src/services/clock.js';
import { loadIssuerTree } from '../src/services/issuer-tree.js';
import { openSqliteDatabase } from '../src/store/sqlite-database.js';
import { SqliteIssuerStore } from '../src/store/sqlite-issuer-store.js';

export interface ConcurrentApprovals {
  backend: 'sqlite' | 'postgres';
  clients: number;
  approvals: number;
  approvalsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface PublishTiming {
  leaves: number;
  /** Reading every leaf from the store and hashing the depth-32 tree (16 quaternary levels). */
  rebuildMs: number;
  rootMs: number;
  /** publishRoot transaction sent and mined on the in-process chain. */
  publishMs: number;
  totalMs: number;
}

export interface IssuerBench {
  credentials: number;
  applyMsMedian: number;
  approveMsMedian: number;
  /** Sequential: one approval at a time. */
  approvalsPerSecond: number;
  proofMsMedian: number;
  restartMs: number;
  concurrent: ConcurrentApprovals[];
  publish: PublishTiming[];
}

export interface BenchOptions {
  /** Sequential apply → approve cycles. */
  n?: number;
  clients?: number;
  /** Approvals in the concurrent run. */
  concurrentApprovals?: number;
  publishSizes?: number[];
}

const REVIEWER_KEY = 'inm3R7vVElL1UbesHBZ0ETecANb3o7fB';
const round1 = (x: number) => Math.round(x * 10) / 10;
let personCounter = 0;
/** A distinct verified person per approval (each approval binds one; the same person twice would replace). */
const benchPerson = () => ({ documentType: 'passport', issuingCountry: 'FR', documentNumber: `BENCH${++personCounter}`, familyName: 'Bench', givenNames: 'Load', birthDate: '1990-01-01' });

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return round1(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]);
}
const median = (values: number[]) => percentile(values, 50);

function holder() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  const did = `did:key:${bytesToMultibase(new Uint8Array(pub), 'base58btc', 'ed25519-pub')}`;
  const signer = EdDSASigner(new Uint8Array(seed));
  return { did, idc: identityCommitment(randomIdentitySecret()), sign: (nonce: string) => createJWT({ nonce }, { issuer: did, signer }, { alg: 'EdDSA' }) };
}

function benchConfig(env: Record<string, string>): IssuerServiceConfig {
  return loadConfig({
    ISSUER_KEY_SECRET: '62YZjfG6dGRCmdtFfzCHSkSSbz1UzO7I',
    REVIEWER_API_KEYS: `bench:${REVIEWER_KEY}:reviewer+approver+revoker+publisher`,
    HOLDER_RATE_LIMIT: '1000000',
    REVIEWER_RATE_LIMIT: '1000000',
    PUBLISH_INTERVAL_SECONDS: '0',
    ...env,
  });
}

/** JSON POST helper bound to a base URL; throws on a non-2xx answer. */
function poster(url: string) {
  return async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each caller reads its own answer's fields
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
    return json;
  };
}

const expiryDate = () => new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);

async function applyOnce(post: ReturnType<typeof poster>): Promise<{ id: string; accessToken: string }> {
  const h = holder();
  const { nonce } = await post('/challenges', { did: h.did });
  return post('/applications', {
    did: h.did,
    challenge: nonce,
    signature: await h.sign(nonce),
    identityCommitment: h.idc.toString(),
    attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: ['retail'] },
  });
}

/** The original sequential figures over a SQLite file. */
async function sequential(dir: string, n: number) {
  const config = benchConfig({ DATABASE_PATH: join(dir, 'sequential.sqlite') });
  let service = await createIssuerService(config);
  try {
    const url = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const post = poster(url);
    const applyMs: number[] = [];
    const approveMs: number[] = [];
    const issued: Array<{ credentialId: string; token: string }> = [];
    for (let i = 0; i < n; i++) {
      let t = performance.now();
      const app = await applyOnce(post);
      applyMs.push(performance.now() - t);
      t = performance.now();
      const approved = await post(`/applications/${app.id}/approve`, { expiryDate: expiryDate(), person: benchPerson(), attributes: { kycLevel: 2 } }, { 'x-api-key': REVIEWER_KEY });
      approveMs.push(performance.now() - t);
      issued.push({ credentialId: approved.credentialId, token: app.accessToken });
    }
    const proofMs: number[] = [];
    for (const c of issued) {
      const t = performance.now();
      const res = await fetch(`${url}/credentials/${c.credentialId}/proof`, { headers: { authorization: `Bearer ${c.token}` } });
      await res.json();
      proofMs.push(performance.now() - t);
    }
    await service.close();
    const t = performance.now();
    service = await createIssuerService(config);
    const restartMs = Math.round(performance.now() - t);
    const total = approveMs.reduce((a, b) => a + b, 0);
    return {
      credentials: n,
      applyMsMedian: median(applyMs),
      approveMsMedian: median(approveMs),
      approvalsPerSecond: round1((n / total) * 1000),
      proofMsMedian: median(proofMs),
      restartMs,
    };
  } finally {
    await service.close();
  }
}

/** `clients` concurrent reviewers drain a queue of `approvals` pending applications. */
async function concurrent(backend: ConcurrentApprovals['backend'], config: IssuerServiceConfig, clients: number, approvals: number): Promise<ConcurrentApprovals> {
  const service = await createIssuerService(config);
  try {
    const url = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const post = poster(url);
    const queue: string[] = [];
    // Filing is not what is measured; do it with the same concurrency to save time.
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = c; i < approvals; i += clients) queue.push((await applyOnce(post)).id);
      }),
    );
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
          const t = performance.now();
          await post(`/applications/${id}/approve`, { expiryDate: expiryDate(), person: benchPerson(), attributes: { kycLevel: 2 } }, { 'x-api-key': REVIEWER_KEY });
          latencies.push(performance.now() - t);
        }
      }),
    );
    const wallMs = performance.now() - started;
    if (service.tree.size !== approvals) throw new Error(`expected ${approvals} leaves, tree has ${service.tree.size}`);
    return { backend, clients, approvals, approvalsPerSecond: round1((approvals / wallMs) * 1000), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  } finally {
    await service.close();
  }
}

/** A fresh Postgres schema on `url` for one run; returns the config env and a drop function. */
async function postgresSchema(url: string): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const schema = `zkkyc_bench_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE SCHEMA ${schema}`);
  return { env: { DATABASE_URL: url, DATABASE_SCHEMA: schema }, drop: () => run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

/**
 * Appends leaves `from..to-1` straight into the store's tables (with the rows they reference), in
 * one transaction: building 100,000 real credentials over HTTP would measure signing, not publishing.
 */
function fillLeaves(db: ReturnType<typeof openSqliteDatabase>, from: number, to: number): void {
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
    for (let i = from; i < to; i++) {
      const id = randomUUID();
      const did = `did:key:zBench${i}`;
      // 248 random bits: below the field order, and as costly to hash as any leaf.
      const value = BigInt('0x' + randomBytes(31).toString('hex')).toString();
      challenge.run(id, did);
      application.run(id, did, id);
      credential.run(id, id, did, i, value);
      leaf.run(i, value, id);
    }
  })();
}

/** Root publication after `sizes` leaves (cumulative), against IssuerRegistry on Hardhat's in-process chain. */
async function publishTimings(dir: string, sizes: number[]): Promise<PublishTiming[]> {
  const ISSUER_ID = 1n;
  const [admin, publisherSigner] = await hre.ethers.getSigners();
  const deployment = await deployZkKyc(admin, { issuers: [{ issuerId: ISSUER_ID, did: 'did:key:bench', publisher: publisherSigner.address }], verifier20: false });
  const anchor = new RegistryRootAnchor(IssuerRegistry__factory.connect(deployment.contracts.issuerRegistry, publisherSigner), ISSUER_ID);
  const db = openSqliteDatabase(join(dir, 'publish.sqlite'));
  const store = new SqliteIssuerStore(db);
  const timings: PublishTiming[] = [];
  try {
    let filled = 0;
    for (const size of [...sizes].sort((a, b) => a - b)) {
      fillLeaves(db, filled, size);
      filled = size;
      // The leaves were written behind the store (no tree rows): forget the stored tree, so opening
      // it fills the tree rows from all the leaves — what a first start after migration 9 costs.
      db.prepare('DELETE FROM tree_state').run();
      let t = performance.now();
      const tree = await loadIssuerTree(store, 32);
      const rebuildMs = performance.now() - t;
      t = performance.now();
      const root = tree.root;
      const rootMs = performance.now() - t;
      const publisher = new RootPublisher({ anchor, store, tree, clock: systemClock, intervalMs: 0 });
      t = performance.now();
      const outcome = await publisher.publishNow();
      const publishMs = performance.now() - t;
      if (outcome.status !== 'published' || outcome.root !== root || (await anchor.currentRoot()) !== root) {
        throw new Error(`publication at ${size} leaves did not land: ${outcome.status}`);
      }
      timings.push({ leaves: size, rebuildMs: Math.round(rebuildMs), rootMs: round1(rootMs), publishMs: round1(publishMs), totalMs: Math.round(rebuildMs + rootMs + publishMs) });
    }
    return timings;
  } finally {
    await store.close();
  }
}

/** Runs every measurement; returns the figures (bench/run.ts stores them under `issuer`). */
export async function benchIssuer(options: BenchOptions = {}): Promise<IssuerBench> {
  const { n = 40, clients = 8, concurrentApprovals = 200, publishSizes = [10_000, 100_000] } = options;
  const dir = mkdtempSync(join(tmpdir(), 'zkkyc-issuer-bench-'));
  try {
    const seq = await sequential(dir, n);
    const runs: ConcurrentApprovals[] = [await concurrent('sqlite', benchConfig({ DATABASE_PATH: join(dir, 'concurrent.sqlite') }), clients, concurrentApprovals)];
    const pgUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
    if (pgUrl) {
      const schema = await postgresSchema(pgUrl);
      try {
        runs.push(await concurrent('postgres', benchConfig(schema.env), clients, concurrentApprovals));
      } finally {
        await schema.drop();
      }
    }
    const publish = await publishTimings(dir, publishSizes);
    return { ...seq, concurrent: runs, publish };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `npx tsx issuer-service/bench/load.ts [publishSize …]` prints the figures on their own.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  benchIssuer(sizes.length ? { publishSizes: sizes } : {}).then((r) => console.log(JSON.stringify(r, null, 2)));
}
