/**
 * `npm run bench:scale [-- --leaves N] [--dir DIR] [--fill-until HH:MM] [--fresh]` — one issuer at
 * 10 million credentials (issue 14, item 4). Not part of `npm test`. Writes `scale` into
 * bench/results.json (other keys kept).
 *
 * 1. Fill (synthetic, in this process): a SQLite issuer in DIR (default /tmp/zkkyc-scale) is created
 *    by the real service (keys, settings, migrations), then filled in batches of 50,000 with what
 *    issuance writes per credential — a challenge, an approved application, a credential row, its
 *    leaf, its identity record — and the tree nodes above each batch, hashed level by level with the
 *    service's WebAssembly Poseidon, and `tree_state`. What is synthetic, and said so in the results:
 *    no VC is signed (`vc_jwt` holds a placeholder; the disk figure adds the measured size of a real
 *    one per credential), leaves are random field elements (not Poseidon7 of the attributes),
 *    identity records are random bytes of a sealed record's size, no person keys, no decisions or
 *    audit events; ids are zero-padded counters (so B-tree inserts append). The fill is resumable:
 *    run again and it continues from the stored leaf count. It stops at N leaves or at
 *    `--fill-until` (UTC), whichever comes first, and the measurements run at the size reached.
 *    Publication needs the compiled contracts (`npm run build:contracts` once).
 * 2. Measure (a fresh child process, so memory is the service's): start the real service on the
 *    file (restart time), ~100 revocations and ~1,000 Merkle paths of random credentials (GET
 *    /credentials/:id/proof) through the HTTP API (app.inject), one publication to a Hardhat node
 *    (POST /tree/publish; the first on a filled file stores every chunk's tree file once), a restart
 *    with the tree files stored and a holder's download of the top and one chunk, ~100 single
 *    approvals (and the challenge each applicant asks for first), the next publication, RSS and the
 *    database's bytes.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { bytesToMultibase, createJWT, EdDSASigner } from 'did-jwt';
import { parseEther, Wallet } from 'ethers';
import { IssuerRegistry__factory } from '@zkkyc/contracts/typechain';
import { create2FactoryAddress, deployZkKycDeterministic, ensureCreate2Factory } from '@zkkyc/sdk';
import { startHardhatNode } from '../compliance-monitor/test/support/chain.js';
import { identityCommitment, randomIdentitySecret, STATUS_LIST_BITS, STATUS_LIST_BYTES } from '@zkkyc/credentials';
import { siblingsToRead, updatedNodes } from '@zkkyc/tree';
import { loadConfig, type IssuerServiceConfig } from '../issuer-service/src/config.js';
import { createIssuerService } from '../issuer-service/src/issuer-service.js';
import { connectAnchorChains } from '../issuer-service/src/registry-connection.js';
import { hashToken } from '../issuer-service/src/services/holder-auth.js';
import { RetentionPurger } from '../issuer-service/src/services/retention.js';
import { wasmNodeHash } from '../issuer-service/src/services/node-hash.js';
import { SqliteBulkWriter } from '../issuer-service/src/store/bulk-writer-sqlite.js';
import { nodeKey } from '../issuer-service/src/store/bulk-writer.js';
import { CREDENTIAL_COLUMNS } from '../issuer-service/src/store/record-rows.js';
import { openSqliteDatabase } from '../issuer-service/src/store/sqlite-database.js';

const RESULTS = join(import.meta.dirname, 'results.json');
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const TARGET = Number(arg('leaves') ?? 10_000_000);
const DIR = arg('dir') ?? '/tmp/zkkyc-scale';
const DB = join(DIR, 'issuer.sqlite');
const PROGRESS = join(DIR, 'progress.json');
const BATCH = 50_000;
const SECRET = 'scale-bench-secret-0123456789abcdef';
const REVIEWER_KEY = 'sCaLeBeNcHrEvIeWeRkEy0123456789ab';
/** Every synthetic application shares this holder token, so the bench can ask for any credential's path. */
const SCALE_TOKEN = 'scale-bench-holder-token';
const ISSUER_ID = 7;
const PUBLISHER_KEY = '0x' + '5c'.repeat(32);
/** Fixed-width, so ids sort in issue order and B-tree inserts append; UUID-shaped, as the routes require. */
const credentialId = (i: number) => `c0000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const applicationId = (i: number) => `a0000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const DAY = 86_400_000;
const expiry = new Date(Date.now() + 365 * DAY).toISOString().slice(0, 10);

function serviceConfig(extra: Record<string, string> = {}): IssuerServiceConfig {
  return loadConfig({
    ISSUER_KEY_SECRET: SECRET,
    DATABASE_PATH: DB,
    REVIEWER_API_KEYS: `bench:${REVIEWER_KEY}:reviewer+approver+revoker+publisher+admin`,
    HOLDER_RATE_LIMIT: '1000000',
    REVIEWER_RATE_LIMIT: '1000000',
    PUBLISH_INTERVAL_SECONDS: '0',
    ISSUER_TREE_ID: String(ISSUER_ID),
    ...extra,
  });
}

interface Progress {
  /** Synthetic leaves written (credential ids 0..leaves-1). */
  leaves: number;
  /** Seconds spent filling each completed million (and the partial last one). */
  perMillionSeconds: number[];
  fillSeconds: number;
}

function readProgress(): Progress {
  return existsSync(PROGRESS) ? (JSON.parse(readFileSync(PROGRESS, 'utf8')) as Progress) : { leaves: 0, perMillionSeconds: [], fillSeconds: 0 };
}

/** Fisher–Yates over one list's bit indices: a random, collision-free order of status bits. */
function shuffledBits(): Uint32Array {
  const bits = new Uint32Array(STATUS_LIST_BITS);
  for (let i = 0; i < bits.length; i++) bits[i] = i;
  for (let i = bits.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [bits[i], bits[j]] = [bits[j], bits[i]];
  }
  return bits;
}

async function fill(deadline: number): Promise<Progress> {
  if (!existsSync(DB)) {
    // The real service creates the database: migrations, keys, settings, the persisted tree's state.
    const service = await createIssuerService(serviceConfig());
    await service.close();
  }
  const db = openSqliteDatabase(DB);
  // A benchmark fill, not issuance: durability off while filling (the service reopens it with its own settings).
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  const writer = new SqliteBulkWriter(db);
  const hash = await wasmNodeHash();
  const depth = Number((db.prepare("SELECT value FROM settings WHERE key = 'tree_depth'").get() as { value: string } | undefined)?.value ?? 32);
  const progress = readProgress();
  const state = await writer.treeState();
  let n = state?.leafCount ?? 0;
  const now = Date.now();
  const tokenHash = hashToken(SCALE_TOKEN);
  const insert = {
    challenge: db.prepare('INSERT INTO challenges (nonce, did, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)'),
    application: db.prepare(
      `INSERT INTO applications (id, holder_did, identity_commitment, attributes_json, status, access_token_hash, challenge_nonce, created_at, updated_at) VALUES (?, ?, ?, ?, 'approved', ?, ?, ?, ?)`,
    ),
    credential: db.prepare(
      `INSERT INTO credentials (${CREDENTIAL_COLUMNS}) VALUES (${CREDENTIAL_COLUMNS.split(',')
        .map(() => '?')
        .join(', ')})`,
    ),
    leaf: db.prepare('INSERT INTO leaves (leaf_index, value, credential_id) VALUES (?, ?, ?)'),
    record: db.prepare('INSERT INTO identity_records (credential_id, leaf_index, sealed_record, valid_until, created_at, purged_at) VALUES (?, ?, ?, ?, ?, NULL)'),
    node: db.prepare('INSERT INTO tree_nodes (level, position, value) VALUES (?, ?, ?) ON CONFLICT (level, position) DO UPDATE SET value = excluded.value'),
    list: db.prepare("INSERT INTO status_lists (id, purpose, bits, version, updated_at) VALUES (?, 'revocation', ?, 0, ?) ON CONFLICT (id) DO NOTHING"),
    state: db.prepare(
      'INSERT INTO tree_state (id, leaf_count, root, revision) VALUES (1, ?, ?, 1) ON CONFLICT (id) DO UPDATE SET leaf_count = excluded.leaf_count, root = excluded.root, revision = tree_state.revision + 1',
    ),
  };
  const attributesJson = JSON.stringify({ jurisdiction: 'FR', birthDate: '1980-01-01', investorClasses: ['professional-eu'], kycLevel: 2, expiryDate: expiry });
  const appAttributesJson = JSON.stringify({ jurisdiction: 'FR', birthDate: '1980-01-01', investorClasses: ['professional-eu'], kycLevel: 2 });
  let bits = shuffledBits();
  let millionStart = performance.now();
  const started = performance.now();
  while (n < TARGET && Date.now() < deadline) {
    const count = Math.min(BATCH, TARGET - n);
    const random = randomBytes(count * 31);
    const leaves = new Map<number, bigint>();
    for (let k = 0; k < count; k++) leaves.set(n + k, BigInt(`0x${random.subarray(k * 31, k * 31 + 31).toString('hex')}`));
    // The nodes above the batch, level by level (stored siblings read first), before the transaction.
    const stored = await writer.readNodes(siblingsToRead(depth, leaves.keys()));
    const nodes = updatedNodes(depth, leaves, (level, position) => stored.get(nodeKey(level, position)), hash);
    const sealed = randomBytes(300).toString('base64url'); // a sealed record's size; the bytes do not matter here
    db.transaction(() => {
      for (let k = 0; k < count; k++) {
        const i = n + k;
        const id = credentialId(i);
        const appId = applicationId(i);
        const list = Math.floor(i / STATUS_LIST_BITS) + 1;
        if (i % STATUS_LIST_BITS === 0) {
          insert.list.run(list, Buffer.alloc(STATUS_LIST_BYTES), now);
          if (i > 0) bits = shuffledBits();
        }
        const leaf = (leaves.get(i) as bigint).toString();
        const did = `did:key:z6MkScale${i.toString().padStart(10, '0')}`;
        insert.challenge.run(`scale-${appId}`, did, now, now, now);
        insert.application.run(appId, did, `${i + 1}`, appAttributesJson, tokenHash, `scale-${appId}`, now, now);
        insert.credential.run(id, appId, did, i, leaf, '1', attributesJson, expiry, 'synthetic: not signed', 'active', now, null, null, 'vc2', list, bits[i % STATUS_LIST_BITS]);
        insert.leaf.run(i, leaf, id);
        insert.record.run(id, i, sealed, now + 365 * DAY, now);
      }
      for (const node of nodes) insert.node.run(node.level, node.position, node.value.toString());
      insert.state.run(n + count, nodes[nodes.length - 1].value.toString());
    })();
    n += count;
    progress.leaves += count; // synthetic leaves only (the measuring run's approvals add real ones)
    if (progress.leaves % 1_000_000 === 0 || n === TARGET) {
      progress.perMillionSeconds.push(round((performance.now() - millionStart) / 1000));
      millionStart = performance.now();
      console.log(`[scale] ${n.toLocaleString('en')} leaves (last million in ${progress.perMillionSeconds.at(-1)} s; load ${round(loadavg()[0], 2)})`);
    }
    writeFileSync(PROGRESS, JSON.stringify({ ...progress, fillSeconds: round(progress.fillSeconds + (performance.now() - started) / 1000) }, null, 2));
  }
  progress.fillSeconds = round(progress.fillSeconds + (performance.now() - started) / 1000);
  writeFileSync(PROGRESS, JSON.stringify(progress, null, 2));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return progress;
}

function percentiles(ms: number[]): { p50: number; p99: number; n: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { p50: round(at(50), 2), p99: round(at(99), 2), n: s.length };
}

function holder() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  const did = `did:key:${bytesToMultibase(new Uint8Array(pub), 'base58btc', 'ed25519-pub')}`;
  const signer = EdDSASigner(new Uint8Array(seed));
  return { did, idc: identityCommitment(randomIdentitySecret()), sign: (nonce: string) => createJWT({ nonce }, { issuer: did, signer }, { alg: 'EdDSA' }) };
}

/** A Hardhat node with zkkyc's core deployed (CREATE2, as in production) and this issuer registered with the publisher key. */
async function startRegistryChain(): Promise<{ url: string; registryAddress: string; currentRoot(): Promise<bigint>; stop(): void }> {
  const node = await startHardhatNode();
  const factoryKey = Wallet.createRandom().connect(node.provider);
  const deployer = Wallet.createRandom().connect(node.provider);
  const publisher = new Wallet(PUBLISHER_KEY).address;
  const funder = await node.provider.getSigner(0);
  for (const to of [factoryKey.address, deployer.address, publisher]) await (await funder.sendTransaction({ to, value: parseEther('10') })).wait();
  await ensureCreate2Factory(factoryKey);
  const deployment = await deployZkKycDeterministic(deployer, {
    factory: create2FactoryAddress(factoryKey.address),
    verifier20: false,
    issuers: [{ issuerId: ISSUER_ID, did: `did:example:issuer-${ISSUER_ID}`, publisher }],
  });
  const registry = IssuerRegistry__factory.connect(deployment.contracts.issuerRegistry, node.provider);
  return { url: node.url, registryAddress: deployment.contracts.issuerRegistry, currentRoot: async () => (await registry.issuer(ISSUER_ID)).currentRoot, stop: () => node.stop() };
}

/** The measuring child: the real service on the filled file. Prints one JSON line. */
async function measure(): Promise<void> {
  const chain = await startRegistryChain();
  const config = serviceConfig({ ANCHOR_RPC_URL: chain.url, ANCHOR_REGISTRY_ADDRESS: chain.registryAddress, ANCHOR_PUBLISHER_KEY: PUBLISHER_KEY });
  const anchors = connectAnchorChains(config);
  // --skip-retention-purge: the service's retention purge at start scans every identity record
  // joined with its credential (record-rows.ts ENDED_IDENTITY_RECORDS: the OR across the two tables
  // uses no index) — over ten minutes at 10 million. Skipping it measures the rest; said so in the results.
  const skipPurge = process.argv.includes('--skip-retention-purge');
  if (skipPurge) RetentionPurger.prototype.purgeNow = async () => ({ challenges: 0, applications: 0, decisions: 0, auditEventsRedacted: 0, identityRecords: 0 });
  const t0 = performance.now();
  let service = await createIssuerService(config, { chains: anchors.chains });
  const restartMs = performance.now() - t0;
  const rssAfterStart = process.memoryUsage().rss;
  /** Milliseconds from `since` until the latest published root's tree files are served (null: none published). */
  const untilRootServed = async (since: number): Promise<number | null> => {
    const latest = await service.store.latestRootPublication();
    if (!latest) return null;
    for (;;) {
      const listed = (await service.app.inject({ method: 'GET', url: '/tree/chunks' })).json() as { roots: Array<{ root: string }> };
      if (listed.roots.some((r) => r.root === latest.root)) return round(performance.now() - since);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const reviewer = { 'x-api-key': REVIEWER_KEY };
  const inject = async (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const res = await service.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    if (res.statusCode >= 400) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  try {
    const filled = (await inject('GET', '/tree/roots')).current.leafCount as number;
    // What is measured so far, printed after each phase (the last line is the result): a phase that
    // does not finish still leaves the earlier ones.
    const report: Record<string, unknown> = {
      leafCount: filled,
      retentionPurgeAtStart: skipPurge ? 'skipped (--skip-retention-purge)' : 'run',
      restartMs: round(restartMs),
      rssBytesAfterStart: rssAfterStart,
    };
    const emit = () => console.log(JSON.stringify({ ...report, rssBytesNow: process.memoryUsage().rss }));
    emit();
    // Revocations of ~100 random synthetic credentials (only those: the approvals' and an earlier run's are not).
    const revoked = new Set<number>();
    const synthetic = readProgress().leaves;
    const revocations: number[] = [];
    while (revocations.length < 100) {
      const i = Math.floor(Math.random() * synthetic);
      if (revoked.has(i)) continue;
      revoked.add(i);
      const t = performance.now();
      const res = await service.app.inject({ method: 'POST', url: `/credentials/${credentialId(i)}/revoke`, headers: reviewer, payload: { reason: 'scale benchmark: revocation timing' } });
      if (res.statusCode === 409) continue; // revoked by an earlier run on this file
      if (res.statusCode >= 300) throw new Error(`revoke ${i}: ${res.statusCode} ${res.body}`);
      revocations.push(performance.now() - t);
    }
    report.revocationMs = percentiles(revocations);
    emit();
    // Paths of ~1,000 random active synthetic credentials, checked against the current root.
    const root = (await inject('GET', '/tree/roots')).current.root as string;
    const paths: number[] = [];
    while (paths.length < 1000) {
      const i = Math.floor(Math.random() * synthetic);
      if (revoked.has(i)) continue;
      const t = performance.now();
      const res = await service.app.inject({ method: 'GET', url: `/credentials/${credentialId(i)}/proof`, headers: { authorization: `Bearer ${SCALE_TOKEN}` } });
      if (res.statusCode === 409) continue; // revoked by an earlier run on this file
      paths.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`path of leaf ${i}: ${res.statusCode} ${res.body}`);
      if (res.json().root !== root) throw new Error(`path of leaf ${i} is against ${res.json().root}, the tree's root is ${root}`);
    }
    report.pathMs = percentiles(paths);
    emit();
    // Publication of the whole tree to the Hardhat node: the first one reads every node into the tree files.
    const publish = async () => {
      const t = performance.now();
      const published = await inject('POST', '/tree/publish', undefined, reviewer);
      return { ms: round(performance.now() - t), status: published.status as string, anchoredRootMatches: (await chain.currentRoot()).toString() === published.root };
    };
    report.publication = { first: await publish() };
    report.rssBytesAfterFirstPublication = process.memoryUsage().rss;
    emit();
    // A restart now that the tree files are in the store (migration 13): no chunk is read again.
    await service.close();
    const t1 = performance.now();
    service = await createIssuerService(config, { chains: anchors.chains });
    report.restartWithTreeFilesMs = round(performance.now() - t1);
    report.rootServedAfterRestartMs = await untilRootServed(t1);
    report.rssBytesAfterRestartWithTreeFiles = process.memoryUsage().rss;
    // What a holder downloads: the top and the chunk of a random leaf, from the store through the cache.
    {
      const served = (await inject('GET', '/tree/chunks')) as { chunkLeaves: number; roots: Array<{ root: string; chunks: number }> };
      const { root: servedRoot, chunks } = served.roots[0];
      const t = performance.now();
      const top = await service.app.inject({ method: 'GET', url: `/tree/${servedRoot}/top.bin` });
      const chunk = await service.app.inject({ method: 'GET', url: `/tree/${servedRoot}/chunk/${Math.floor(Math.random() * chunks)}.bin` });
      if (top.statusCode !== 200 || chunk.statusCode !== 200) throw new Error(`tree files: top ${top.statusCode}, chunk ${chunk.statusCode}`);
      report.treeFileDownload = { ms: round(performance.now() - t), topBytes: top.rawPayload.length, chunkBytes: chunk.rawPayload.length, chunks };
    }
    emit();
    // Approvals, one at a time (apply is not timed): up to 100, or as many as fit in APPROVAL_BUDGET_MS.
    const approvals: number[] = [];
    const challenges: number[] = [];
    const budgetEnd = performance.now() + Number(process.env.APPROVAL_BUDGET_MS ?? Infinity);
    for (let i = 0; i < 100 && performance.now() < budgetEnd; i++) {
      const h = holder();
      // A new challenge first deletes the expired unused ones (migration 14 keeps that to those).
      const tc = performance.now();
      const { nonce } = await inject('POST', '/challenges', { did: h.did });
      challenges.push(performance.now() - tc);
      const app = await inject('POST', '/applications', {
        did: h.did,
        challenge: nonce,
        signature: await h.sign(nonce),
        identityCommitment: h.idc.toString(),
        attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [] },
      });
      const person = { documentType: 'passport', issuingCountry: 'FR', documentNumber: `SCALE${Date.now()}${i}`, familyName: 'Scale', givenNames: 'Bench', birthDate: '1990-01-01' };
      const t = performance.now();
      await inject('POST', `/applications/${app.id}/approve`, { expiryDate: expiry, person, attributes: { kycLevel: 2 } }, reviewer);
      approvals.push(performance.now() - t);
      report.approvalMs = percentiles(approvals);
      report.challengeMs = percentiles(challenges);
      emit();
    }
    // A real VC's size (the first approval's), for the disk projection with signed credentials.
    report.realVcJwtBytes = Buffer.byteLength((await service.store.getCredentialByLeafIndex(filled))?.vcJwt ?? '');
    // The next publication after the approvals: only the chunk they appended to is read again.
    (report.publication as Record<string, unknown>).afterApprovals = await publish();
    report.rssBytesAfterRun = process.memoryUsage().rss;
    emit();
  } finally {
    await service.close();
    anchors.close();
    chain.stop();
  }
}

function dbBytes(): number {
  return [DB, `${DB}-wal`, `${DB}-shm`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);
}

async function main(): Promise<void> {
  if (process.argv.includes('--measure')) return measure();
  if (process.argv.includes('--fresh')) rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const until = arg('fill-until');
  const deadline = until ? Date.parse(`${new Date().toISOString().slice(0, 10)}T${until}:00Z`) : Infinity;
  console.log(`[scale] filling ${DB} to ${TARGET.toLocaleString('en')} leaves${until ? ` or until ${until} UTC` : ''}…`);
  const progress = await fill(deadline);
  const bytesAfterFill = dbBytes();
  console.log(`[scale] ${progress.leaves.toLocaleString('en')} leaves, ${(bytesAfterFill / 2 ** 30).toFixed(2)} GiB; measuring…`);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1), '--measure'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the measuring process exited with ${code}`);
  const measured = JSON.parse(out.trim().split('\n').at(-1) as string);
  const results: Record<string, unknown> = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
  results.scale = {
    measuredAt: new Date().toISOString(),
    cpus: cpus().length,
    backend: 'sqlite',
    synthetic:
      'fill without signing: random leaves, placeholder vc_jwt, random identity-record bytes, no person keys, decisions or audit events; tree nodes hashed for real (WebAssembly Poseidon, level by level); measurements use the real service',
    targetLeaves: TARGET,
    leaves: measured.leafCount,
    syntheticLeaves: progress.leaves,
    fill: { seconds: progress.fillSeconds, perMillionSeconds: progress.perMillionSeconds },
    ...measured,
    diskBytes: bytesAfterFill,
    diskBytesWithRealVcs: measured.realVcJwtBytes ? bytesAfterFill + progress.leaves * (measured.realVcJwtBytes - 'synthetic: not signed'.length) : null,
    loadAverage: round(loadavg()[0], 2),
  };
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
  console.log(results.scale);
}

await main();
