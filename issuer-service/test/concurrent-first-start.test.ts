import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import './support/inject-shim.js';
import pg from 'pg';
import { Resolver } from 'did-resolver';
import { verifyKycCredential } from '@zkkyc/credentials';
import { createIssuerService, type IssuerService } from '../src/issuer-service.js';
import { ConfigError, loadConfig, type IssuerServiceConfig } from '../src/config.js';
import { FIRST_START_LOCK_KEY, FirstStartLockTimeout } from '../src/store/first-start-lock.js';
import { TEST_BACKENDS } from './support/backends.js';
import { exited, killAll, spawnUntil } from './support/child-service.js';
import { makeHolder } from './support/holder.js';
import { ALL_ROLES, newPerson } from './support/people.js';
import { apply, nextYear } from './support/service.js';

/**
 * Several instances started at the same moment on an empty Postgres schema (issue 14 item 5; the
 * operator starts all N at once, e.g. a deployment that rolls out every replica together). Each
 * runs the first-start initialization — the key box settings, the issuer's keys and DIDs, the
 * person-binding and identity-record keys, the tree — and all of them must end up as one issuer:
 * every start succeeds, one DID and one JOSE key, one person key, one record key, one row of each.
 */
const postgres = TEST_BACKENDS.find((b) => b.name === 'postgres');
const HOST = 'issuer.example.test';
const DID = `did:web:${HOST}`;
const KEY = 'N0tdSfJ0TYzsN6mIW7ahIjZGu1k8LQxr';
const headers = { 'x-api-key': KEY };
const INSTANCES = 3;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(() => killAll());
// What the starts print: "another instance is initializing …; waiting for it" when they take turns.
const warnings: string[] = [];
beforeEach(() => {
  warnings.length = 0;
  jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
});
afterEach(() => {
  jest.restoreAllMocks();
});

async function freshConfig(overrides: Partial<IssuerServiceConfig> = {}): Promise<IssuerServiceConfig> {
  const db = await postgres!.freshDatabase();
  cleanups.push(db.cleanup);
  return {
    ...loadConfig({ ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H', REVIEWER_API_KEYS: `olga:${KEY}:${ALL_ROLES}+screening`, PUBLISH_INTERVAL_SECONDS: '0' }),
    ...db.config,
    ...overrides,
  };
}

/** Starts `INSTANCES` services at once; every one that started is closed after the test. */
async function startTogether(config: IssuerServiceConfig): Promise<PromiseSettledResult<IssuerService>[]> {
  const results = await Promise.allSettled(Array.from({ length: INSTANCES }, () => createIssuerService(config)));
  for (const r of results) if (r.status === 'fulfilled') cleanups.push(() => r.value.close());
  return results;
}

function allStarted(results: PromiseSettledResult<IssuerService>[]): IssuerService[] {
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
  expect(failures).toEqual([]);
  return results.map((r) => (r as PromiseFulfilledResult<IssuerService>).value);
}

async function query<T = Record<string, unknown>>(config: IssuerServiceConfig, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: config.databaseUrl, options: `-c search_path=${config.databaseSchema}` });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

async function approve(service: IssuerService, person: object, replaces?: string) {
  const applied = await apply(service, makeHolder());
  expect(applied.statusCode).toBe(201);
  const res = await service.app.inject({
    method: 'POST',
    url: `/applications/${applied.json.id}/approve`,
    headers,
    payload: { expiryDate: nextYear(), attributes: { kycLevel: 2 }, person, ...(replaces ? { replaces } : {}) },
  });
  return { res, token: applied.json.accessToken as string };
}

/** The issuer's key rows: every key belongs to one of the DIDs, and each alias is there once. */
async function keyRows(config: IssuerServiceConfig) {
  const dids = await query<{ did: string; alias: string | null; identifier_json: string }>(config, 'SELECT did, alias, identifier_json FROM veramo_dids ORDER BY did');
  const keys = await query<{ kid: string }>(config, 'SELECT kid FROM veramo_keys ORDER BY kid');
  const privateKeys = await query<{ alias: string }>(config, 'SELECT alias FROM veramo_private_keys ORDER BY alias');
  const usedKids = [...new Set(dids.flatMap((d) => (JSON.parse(d.identifier_json) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)))].sort();
  return { dids, keys: keys.map((k) => k.kid), privateKeys: privateKeys.map((k) => k.alias), usedKids };
}

describe('FIRST_START_LOCK_TIMEOUT_SECONDS', () => {
  const env = { ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H', REVIEWER_API_KEYS: `olga:${KEY}:${ALL_ROLES}` };
  it('defaults to 120 s and takes 1 … 3600', () => {
    expect(loadConfig(env).firstStartLockTimeoutSeconds).toBe(120);
    expect(loadConfig({ ...env, FIRST_START_LOCK_TIMEOUT_SECONDS: '5' }).firstStartLockTimeoutSeconds).toBe(5);
  });
  it.each(['0', '3601', '-1', '2.5', 'soon'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig({ ...env, FIRST_START_LOCK_TIMEOUT_SECONDS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, FIRST_START_LOCK_TIMEOUT_SECONDS: value })).toThrow(/FIRST_START_LOCK_TIMEOUT_SECONDS/);
  });
});

(postgres ? describe : describe.skip)('instances starting together on an empty Postgres', () => {
  it('did:web: all start, one DID document, one JOSE key, one person key, one record key; approved on A, verified with B’s document', async () => {
    const config = await freshConfig({ didWebHost: HOST });
    const [a, b, c] = allStarted(await startTogether(config));

    // One issuer: the same DID and the same document (both keys) on every instance.
    const docs = await Promise.all([a, b, c].map(async (s) => (await s.app.inject({ method: 'GET', url: '/.well-known/did.json' })).json()));
    expect([a, b, c].map((s) => s.issuerDid)).toEqual([DID, DID, DID]);
    expect(docs[1]).toEqual(docs[0]);
    expect(docs[2]).toEqual(docs[0]);
    const joseKey = docs[0].verificationMethod.find((m: { id: string }) => m.id === `${DID}#jose-key`);
    expect(joseKey.publicKeyJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });

    // Exactly one row of each: the secp256k1 did:key, the P-256 did:key, the did:web identifier; two
    // keys, both used by those DIDs (no key left behind by a start that lost a race).
    const rows = await keyRows(config);
    expect(rows.dids.map((d) => d.alias).sort()).toEqual([config.issuerAlias, `${config.issuerAlias}-jose`, null].sort());
    expect(rows.keys).toHaveLength(2);
    expect(rows.privateKeys).toEqual(rows.keys);
    expect(rows.usedKids).toEqual(rows.keys);
    expect(await query(config, 'SELECT COUNT(*)::int AS n FROM tree_state')).toEqual([{ n: 1 }]);
    // The lock was held for the start only: while the three serve, anyone can take it.
    expect(await query(config, `SELECT pg_try_advisory_lock(hashtext('${config.databaseSchema}' || ':zkkyc-first-start')) AS locked`)).toEqual([{ locked: true }]);

    // Approved through A: the VC verifies against the document B serves.
    const person = newPerson();
    const first = await approve(a, person);
    expect(first.res.statusCode).toBe(201);
    const credentialId = first.res.json().credentialId as string;
    const vc = (await a.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: { authorization: `Bearer ${first.token}` } })).json().vc as string;
    const fromB = new Resolver({ web: async () => ({ didDocument: docs[1], didDocumentMetadata: {}, didResolutionMetadata: { contentType: 'application/did+json' } }) });
    const verified = await verifyKycCredential(vc, { issuerDid: DID, resolver: fromB });
    expect(verified.error).toBeUndefined();
    expect(verified.verified).toBe(true);

    // The identity record A sealed opens on B (the screening export opens every active record).
    const persons = await b.app.inject({ method: 'GET', url: '/screening/persons', headers });
    expect(persons.statusCode).toBe(200);
    expect(persons.json().persons).toEqual([expect.objectContaining({ credentialId, familyName: person.familyName, birthDate: person.birthDate })]);

    // B computes the same person key as A: the same person is the same investor there...
    const again = await approve(b, person);
    expect({ status: again.res.statusCode, ...again.res.json().error }).toMatchObject({ status: 409, code: 'replacement_unconfirmed', field: 'replaces' });
    expect(again.res.json().error.message).toContain(credentialId);
    // ...and on C, which replaces A's credential by naming it.
    const replaced = await approve(c, person, credentialId);
    expect(replaced.res.statusCode).toBe(201);
    expect(replaced.res.json().replacedCredentialId).toBe(credentialId);
  });

  it('did:key (the default): all start under one P-256 did:key, and one key row remains', async () => {
    const config = await freshConfig();
    const services = allStarted(await startTogether(config));
    const dids = services.map((s) => s.issuerDid);
    expect(new Set(dids).size).toBe(1);
    expect(dids[0]).toMatch(/^did:key:zDn/);
    const rows = await keyRows(config);
    expect(rows.dids.map((d) => d.alias)).toEqual([`${config.issuerAlias}-jose`]);
    expect(rows.dids[0].did).toBe(dids[0]);
    expect(rows.keys).toHaveLength(1);
    expect(rows.privateKeys).toEqual(rows.keys);
    expect(rows.usedKids).toEqual(rows.keys);

    // A credential approved on one verifies under the DID every other announces.
    const first = await approve(services[2], newPerson());
    expect(first.res.statusCode).toBe(201);
    const vc = (await services[2].app.inject({ method: 'GET', url: `/credentials/${first.res.json().credentialId}`, headers: { authorization: `Bearer ${first.token}` } })).json().vc as string;
    expect((await verifyKycCredential(vc, { issuerDid: services[0].issuerDid })).verified).toBe(true);
  });

  it('a start waits while another process holds the first-start lock, and goes on once that process is killed (kill -9)', async () => {
    const config = await freshConfig();
    // A process that took the lock and died mid-initialization: it holds the lock until killed.
    const holder = `import pg from 'pg';
      const c = new pg.Client({ connectionString: process.env.URL });
      await c.connect();
      await c.query(process.env.LOCK_SQL, [process.env.SCHEMA]);
      console.log('holding');
      setInterval(() => undefined, 60_000);`;
    const { child } = await spawnUntil(
      ['--input-type=module', '-e', holder],
      { URL: config.databaseUrl, SCHEMA: config.databaseSchema, LOCK_SQL: `SELECT pg_advisory_lock(${FIRST_START_LOCK_KEY})` },
      /holding/,
    );

    let started = false;
    const starting = createIssuerService(config).then((s) => {
      started = true;
      cleanups.push(() => s.close());
      return s;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(started).toBe(false);
    expect(warnings).toContainEqual(expect.stringContaining('another instance is initializing this database'));
    expect(await query(config, 'SELECT COUNT(*)::int AS n FROM veramo_dids')).toEqual([{ n: 0 }]);

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await exited(child);
    const service = await starting;
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(service.issuerDid).toMatch(/^did:key:zDn/);
    expect((await keyRows(config)).dids.map((d) => d.did)).toEqual([service.issuerDid]);
  });

  it('a start gives up after FIRST_START_LOCK_TIMEOUT_SECONDS when the holder never releases (a host gone without closing), and creates nothing', async () => {
    const config = await freshConfig({ firstStartLockTimeoutSeconds: 1 });
    // A holder that never lets go: a session that stays open, as a vanished host's does until the server's TCP keepalive.
    const holder = new pg.Client({ connectionString: config.databaseUrl });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query(`SELECT pg_advisory_lock(${FIRST_START_LOCK_KEY})`, [config.databaseSchema]);

    const startedAt = Date.now();
    const failed = await createIssuerService(config).then(
      (s) => {
        cleanups.push(() => s.close());
        return null;
      },
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(FirstStartLockTimeout);
    expect((failed as Error).message).toContain(`first-start lock of schema "${config.databaseSchema}"`);
    expect((failed as Error).message).toContain('pg_terminate_backend');
    expect((failed as Error).message).toContain('FIRST_START_LOCK_TIMEOUT_SECONDS');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - startedAt).toBeLessThan(8_000);
    // Told once that it waits, however many times it tried.
    expect(warnings.filter((w) => w.includes('another instance is initializing this database'))).toHaveLength(1);
    // Nothing of the issuer was created.
    expect(await query(config, 'SELECT COUNT(*)::int AS n FROM veramo_dids')).toEqual([{ n: 0 }]);
    expect(await query(config, 'SELECT COUNT(*)::int AS n FROM veramo_keys')).toEqual([{ n: 0 }]);

    // Once the holder lets go, a start goes through.
    await holder.query(`SELECT pg_advisory_unlock(${FIRST_START_LOCK_KEY})`, [config.databaseSchema]);
    const service = await createIssuerService(config);
    cleanups.push(() => service.close());
    expect(service.issuerDid).toMatch(/^did:key:zDn/);
  });
});
