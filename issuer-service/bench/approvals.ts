/**
 * Approvals per second through the HTTP API: `clients` reviewers approve pre-filed applications at
 * once (a shared queue over keep-alive fetch), on SQLite and, with BENCH_DATABASE_URL (or
 * TEST_DATABASE_URL), on Postgres. What issue 14 item 2 is measured with: before the persisted tree
 * an approval waited for the previous one and spent 16 poseidon-lite hashes; now approvals that
 * arrive together are one group commit hashed with circomlibjs' WebAssembly Poseidon.
 *
 *   node node_modules/tsx/dist/cli.mjs issuer-service/bench/approvals.ts [clients] [approvals]
 *
 * Prints one JSON line per backend; no assertion on timings.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bytesToMultibase, createJWT, EdDSASigner } from 'did-jwt';
import { identityCommitment, randomIdentitySecret } from '@zkkyc/credentials';
import { createIssuerService } from '../src/issuer-service.js';
import { loadConfig } from '../src/config.js';

const REVIEWER_KEY = 'inm3R7vVElL1UbesHBZ0ETecANb3o7fB';
let people = 0;
const person = () => ({ documentType: 'passport', issuingCountry: 'FR', documentNumber: `APPR${++people}`, familyName: 'Bench', givenNames: 'Load', birthDate: '1990-01-01' });
const expiryDate = () => new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
const round1 = (x: number) => Math.round(x * 10) / 10;
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return round1(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]);
}

function holder() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  const did = `did:key:${bytesToMultibase(new Uint8Array(pub), 'base58btc', 'ed25519-pub')}`;
  const signer = EdDSASigner(new Uint8Array(seed));
  return { did, idc: identityCommitment(randomIdentitySecret()), sign: (nonce: string) => createJWT({ nonce }, { issuer: did, signer }, { alg: 'EdDSA' }) };
}

function poster(url: string) {
  return async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const json = (await res.json()) as { id: string; accessToken: string; nonce: string };
    if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
    return json;
  };
}

async function run(backend: string, env: Record<string, string>, clients: number, approvals: number) {
  const config = loadConfig({
    ISSUER_KEY_SECRET: '62YZjfG6dGRCmdtFfzCHSkSSbz1UzO7I',
    REVIEWER_API_KEYS: `bench:${REVIEWER_KEY}:reviewer+approver+revoker+publisher`,
    HOLDER_RATE_LIMIT: '1000000',
    REVIEWER_RATE_LIMIT: '1000000',
    PUBLISH_INTERVAL_SECONDS: '0',
    ...env,
  });
  const service = await createIssuerService(config);
  try {
    const url = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const post = poster(url);
    const queue: string[] = [];
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = c; i < approvals; i += clients) {
          const h = holder();
          const { nonce } = await post('/challenges', { did: h.did });
          const app = await post('/applications', {
            did: h.did,
            challenge: nonce,
            signature: await h.sign(nonce),
            identityCommitment: h.idc.toString(),
            attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: ['retail'] },
          });
          queue.push(app.id);
        }
      }),
    );
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
          const t = performance.now();
          await post(`/applications/${id}/approve`, { expiryDate: expiryDate(), person: person(), attributes: { kycLevel: 2 } }, { 'x-api-key': REVIEWER_KEY });
          latencies.push(performance.now() - t);
        }
      }),
    );
    const wallMs = performance.now() - started;
    return { backend, clients, approvals, approvalsPerSecond: round1((approvals / wallMs) * 1000), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  } finally {
    await service.close();
  }
}

const clients = Number(process.argv[2] ?? 8);
const approvals = Number(process.argv[3] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'zkkyc-approvals-bench-'));
try {
  console.log(JSON.stringify(await run('sqlite', { DATABASE_PATH: join(dir, 'bench.sqlite') }, clients, approvals)));
  const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (url) {
    const schema = `zkkyc_bench_${randomBytes(4).toString('hex')}`;
    try {
      console.log(JSON.stringify(await run('postgres', { DATABASE_URL: url, DATABASE_SCHEMA: schema }, clients, approvals)));
    } finally {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
