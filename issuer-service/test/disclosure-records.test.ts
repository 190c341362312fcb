import { afterEach, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import Database from 'better-sqlite3';
import pg from 'pg';
import { generateSingleKey, multiply, multiplyBase, SNARK_FIELD } from '@zkkyc/escrow';
import { ApiError } from '../src/api-error.js';
import { ConfigError, loadConfig, type IssuerServiceConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { openKeyBox } from '../src/services/issuer-identity.js';
import { IdentityRecordSealError, IdentityRecordVault } from '../src/services/identity-records.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { admin, officer, otherOfficer, pointBody, StubDisclosureChain, TEST_CHAIN_ID, TEST_GATE, TEST_LOG, withDisclosure } from './support/disclosure.js';
import { makeHolder } from './support/holder.js';
import { newPerson, type TestPerson } from './support/people.js';
import { apply, ManualClock, nextYear, OTHER_REVIEWER_KEY, RecordingRootAnchor, reviewer, startService, testConfig } from './support/service.js';

/**
 * Disclosure at the issuer (issue 10, item 5), with the chain boundary replaced by a stub that
 * hands out real escrow ciphertexts: the identity record sealed behind every credential, written
 * with it; only the disclosure-officer role reads it, through POST /disclosures, which checks the
 * issuer, the published root and the decryption with K, records the disclosure, and refuses bad
 * input naming the field and rule without changing anything; retention purges records (audited)
 * and a purged record answers 410. The JSON-RPC reader runs against Hardhat in disclosure.test.ts.
 */
const DAY = 86_400_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const bob = { 'x-api-key': OTHER_REVIEWER_KEY };

interface Harness {
  service: IssuerService;
  config: IssuerServiceConfig;
  chain: StubDisclosureChain;
  dump(): Promise<string>;
}

async function harness(backend: TestBackend, over: Partial<IssuerServiceConfig> = {}, clock?: ManualClock, chain = new StubDisclosureChain()): Promise<Harness> {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  const config = { ...withDisclosure(testConfig(db.config.databasePath, db.config)), ...over };
  const anchor = new RecordingRootAnchor();
  const service = await startService(config, { anchor, disclosureChain: chain, ...(clock ? { clock } : {}) });
  cleanups.push(() => service.close());
  return { service, config, chain, dump: () => dumpDatabase(config) };
}

/** Every row of every table, as text: what someone holding a copy of the database sees. */
async function dumpDatabase(config: IssuerServiceConfig): Promise<string> {
  if (!config.databaseUrl) {
    const db = new Database(config.databasePath, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
      return JSON.stringify(tables.map((t) => db.prepare(`SELECT * FROM ${t.name}`).all()));
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [config.databaseSchema]);
    const out: unknown[] = [];
    for (const t of tables) out.push((await client.query(`SELECT * FROM ${config.databaseSchema}.${t.table_name}`)).rows);
    return JSON.stringify(out);
  } finally {
    await client.end();
  }
}

/** A person whose names and number cannot appear anywhere by accident. */
function distinctivePerson(): TestPerson {
  return newPerson({ familyName: 'Wyszomirska-Ølund', givenNames: 'Quirinalia Thérèse' });
}
const secretsOf = (p: TestPerson) => [p.familyName, p.givenNames, p.documentNumber, 'Wyszomirska', 'Quirinalia'];

/** Apply, propose (alice, reviewer) and approve (bob, approver): the four-eyes path. */
async function issueWithProposal(service: IssuerService, person: TestPerson): Promise<{ applicationId: string; credentialId: string; leafIndex: number; accessToken: string }> {
  const applied = await apply(service, makeHolder());
  expect(applied.statusCode).toBe(201);
  const proposed = await service.app.inject({
    method: 'POST',
    url: `/applications/${applied.json.id}/proposal`,
    headers: reviewer,
    payload: { person, attributes: { kycLevel: 2 }, reason: 'passport checked' },
  });
  expect(proposed.statusCode).toBe(201);
  const approved = await service.app.inject({ method: 'POST', url: `/applications/${applied.json.id}/approve`, headers: bob, payload: { expiryDate: nextYear(), proposalId: proposed.json().id } });
  expect(approved.statusCode).toBe(201);
  return { applicationId: applied.json.id, credentialId: approved.json().credentialId, leafIndex: approved.json().leafIndex, accessToken: applied.json.accessToken };
}

/** Apply and approve in one step (alice verifies and approves): no proposal. */
async function issueDirect(service: IssuerService, person: TestPerson, expiryDate = nextYear()): Promise<{ credentialId: string; leafIndex: number }> {
  const applied = await apply(service, makeHolder());
  const approved = await service.app.inject({ method: 'POST', url: `/applications/${applied.json.id}/approve`, headers: reviewer, payload: { expiryDate, person, attributes: { kycLevel: 2 } } });
  expect(approved.statusCode).toBe(201);
  return { credentialId: approved.json().credentialId, leafIndex: approved.json().leafIndex };
}

function disclosureBody(id: bigint | string, K: readonly [bigint, bigint] | [string, string], leafIndex: number | string, over: Record<string, unknown> = {}) {
  const sharedPoint = typeof K[0] === 'bigint' ? pointBody(K as [bigint, bigint]) : K;
  return { request: { chainId: TEST_CHAIN_ID, log: TEST_LOG, id: id.toString() }, sharedPoint, leafIndex: leafIndex.toString(), ...over };
}

async function expectRefused(h: Harness, headers: Record<string, string>, payload: unknown, expected: { status: number; code: string; field?: string; rule?: string }) {
  const before = await h.service.store.rowCounts();
  const res = await h.service.app.inject({ method: 'POST', url: '/disclosures', headers, payload: payload as object });
  expect({ status: res.statusCode, ...res.json().error }).toMatchObject(expected);
  expect(typeof res.json().error.message).toBe('string');
  expect(await h.service.store.rowCounts()).toEqual(before);
  return res.json().error;
}

describe('configuration', () => {
  const base = { ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H' };
  it('reads the disclosure log, its gate, its confirmations and the record retention, refusing half a configuration', () => {
    const plain = loadConfig(base);
    expect(plain.disclosure).toBeUndefined();
    expect(plain.identityRecordRetentionDays).toBe(1826);
    const c = loadConfig({
      ...base,
      DISCLOSURE_RPC_URL: 'http://127.0.0.1:8545',
      DISCLOSURE_LOG_ADDRESS: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      DISCLOSURE_GATE_ADDRESS: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
      DISCLOSURE_CONFIRMATIONS: '12',
      IDENTITY_RECORD_RETENTION_DAYS: '3650',
    });
    expect(c.disclosure).toEqual({ rpcUrl: 'http://127.0.0.1:8545', logAddress: '0x5fbdb2315678afecb367f032d93f642f64180aa3', gateAddress: TEST_GATE, confirmations: 12 });
    expect(c.identityRecordRetentionDays).toBe(3650);
    const all = { DISCLOSURE_RPC_URL: 'http://x', DISCLOSURE_LOG_ADDRESS: TEST_LOG, DISCLOSURE_GATE_ADDRESS: TEST_GATE };
    for (const [env, variable] of [
      [{ DISCLOSURE_RPC_URL: 'http://127.0.0.1:8545' }, 'DISCLOSURE_LOG_ADDRESS'],
      [{ DISCLOSURE_LOG_ADDRESS: TEST_LOG }, 'DISCLOSURE_RPC_URL'],
      [{ DISCLOSURE_GATE_ADDRESS: TEST_GATE }, 'DISCLOSURE_RPC_URL'],
      // The log without its gate: the service would have to trust whatever gate the log names.
      [{ DISCLOSURE_RPC_URL: 'http://127.0.0.1:8545', DISCLOSURE_LOG_ADDRESS: TEST_LOG }, 'DISCLOSURE_GATE_ADDRESS'],
      [{ ...all, DISCLOSURE_GATE_ADDRESS: 'complianceGate' }, 'DISCLOSURE_GATE_ADDRESS'],
      [{ ...all, DISCLOSURE_GATE_ADDRESS: TEST_LOG }, 'DISCLOSURE_GATE_ADDRESS'],
      [{ DISCLOSURE_CONFIRMATIONS: '3' }, 'DISCLOSURE_CONFIRMATIONS'],
      [{ ...all, DISCLOSURE_CONFIRMATIONS: '0' }, 'DISCLOSURE_CONFIRMATIONS'],
      [{ IDENTITY_RECORD_RETENTION_DAYS: '0' }, 'IDENTITY_RECORD_RETENTION_DAYS'],
    ] as const) {
      expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, ...env })).toThrow(new RegExp(`^${variable}: `));
    }
    expect(loadConfig({ ...base, REVIEWER_API_KEYS: 'olga:N8kNDXZa8XfGS1SzeFBBQ9Vjhxxca1n0:disclosure-officer' }).reviewers[0].roles).toEqual(['disclosure-officer']);
    // Dev mode's public key never reads identity records.
    expect(loadConfig({ ZKKYC_DEV: '1' }).reviewers[0].roles).not.toContain('disclosure-officer');
  });

  it('refuses an identity record retention shorter than a registration can outlive its credential (rule min-retention)', async () => {
    // A revoked credential's registration stays current at the gate up to its policy's ttl: a
    // record purged sooner could not answer a disclosure request about a registration still in use.
    for (const days of ['1', '30', '364']) {
      expect(() => loadConfig({ ...base, IDENTITY_RECORD_RETENTION_DAYS: days })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, IDENTITY_RECORD_RETENTION_DAYS: days })).toThrow(/^IDENTITY_RECORD_RETENTION_DAYS: .*rule min-retention/);
    }
    expect(loadConfig({ ...base, IDENTITY_RECORD_RETENTION_DAYS: '365' }).identityRecordRetentionDays).toBe(365);
    // A hand-built configuration is held to the same floor, before anything is opened.
    const db = await TEST_BACKENDS[0].freshDatabase();
    cleanups.push(db.cleanup);
    const tooShort = { ...withDisclosure(testConfig(db.config.databasePath, db.config)), identityRecordRetentionDays: 364 };
    await expect(startService(tooShort, { disclosureChain: new StubDisclosureChain() })).rejects.toThrow(/^IDENTITY_RECORD_RETENTION_DAYS: .*rule min-retention/);
  });
});

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('disclosure at the issuer on %s', (_name, backend: TestBackend) => {
  it('keeps the verified identity record sealed behind each credential and shows it only to a disclosure officer, recording each disclosure', async () => {
    const h = await harness(backend);
    const { service, chain } = h;
    const person = distinctivePerson();
    const first = await issueWithProposal(service, person);
    const other = distinctivePerson();
    const second = await issueDirect(service, { ...other, familyName: 'Brzęczyszczykiewicz', givenNames: 'Grzegorz' });

    // At rest: one sealed record per credential, bound to it; no plain value in any table.
    const row = (await service.store.getIdentityRecord(first.credentialId))!;
    expect(row).toMatchObject({ credentialId: first.credentialId, leafIndex: first.leafIndex, purgedAt: null });
    expect(row.sealed).toMatch(/^v1\./);
    const vault = await IdentityRecordVault.open(service.store, await openKeyBox(service.store, h.config.keySecret));
    expect(vault.open(row).person).toEqual(person);
    const secondRow = (await service.store.getIdentityRecord(second.credentialId))!;
    // A sealed record moved onto another credential's row does not open.
    expect(() => vault.open({ ...secondRow, sealed: row.sealed })).toThrow(IdentityRecordSealError);
    const dump = await h.dump();
    for (const s of [...secretsOf(person), 'Brzęczyszczykiewicz', 'Grzegorz', other.documentNumber]) expect(dump).not.toContain(s);

    expect((await service.publisher!.publishNow()).status).toBe('published');
    const K = chain.log(1n, first.leafIndex, { issuerId: BigInt(h.config.treeId), root: service.tree.root });

    const before = await service.store.rowCounts();
    const res = await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: disclosureBody(1n, K, first.leafIndex) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.record.person).toEqual(person);
    expect(body.record.attributes).toMatchObject({ jurisdiction: 'FR', birthDate: '1990-04-12', kycLevel: 2 });
    expect(body.record.credential).toMatchObject({ id: first.credentialId, status: 'active', validUntil: body.record.attributes.expiryDate });
    expect(body.record.credential.revokedAt).toBeUndefined();
    expect(body.record.verifiedBy.map((v: { name: string; role: string; action: string }) => [v.name, v.role, v.action])).toEqual([
      ['alice', 'reviewer', 'proposed'],
      ['bob', 'approver', 'approved'],
    ]);
    expect(body.disclosure).toMatchObject({
      requestId: '1',
      chainId: TEST_CHAIN_ID,
      log: TEST_LOG,
      policyId: '1',
      caseRefHash: `0x${'ca'.repeat(32)}`,
      registrationTx: `0x${'1'.padStart(64, '0')}`,
      registrationLogIndex: 3,
      leafIndex: first.leafIndex,
      credentialId: first.credentialId,
      officer: 'olga',
    });
    expect(await service.store.rowCounts()).toEqual({ ...before, disclosures: before.disclosures + 1, audit_events: before.audit_events + 1 });

    // The same officer again: the same disclosure, no second row — after the chain is read again.
    const calls = chain.calls;
    const again = await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: disclosureBody(1n, K, first.leafIndex) });
    expect(again.statusCode).toBe(200);
    expect(again.json().disclosure).toEqual(body.disclosure);
    expect(again.json().record).toEqual(body.record);
    expect(chain.calls).toBe(calls + 1);
    expect((await service.store.rowCounts()).disclosures).toBe(before.disclosures + 1);
    // Another officer's disclosure of the same entry is its own record.
    const otto = await service.app.inject({ method: 'POST', url: '/disclosures', headers: otherOfficer, payload: disclosureBody(1n, K, first.leafIndex) });
    expect(otto.statusCode).toBe(200);
    expect(otto.json().disclosure.id).not.toBe(body.disclosure.id);
    // Another leaf for the same request is refused, whoever asks.
    await expectRefused(h, officer, disclosureBody(1n, K, second.leafIndex), { status: 409, code: 'disclosure_conflict', field: 'leafIndex', rule: 'one-leaf-per-request' });

    // The list: officers and admins, no personal data.
    for (const headers of [officer, admin]) {
      const list = await service.app.inject({ method: 'GET', url: '/disclosures', headers });
      expect(list.statusCode).toBe(200);
      expect(list.json().items.map((d: { officer: string }) => d.officer)).toEqual(['olga', 'otto']);
      for (const s of secretsOf(person)) expect(list.body).not.toContain(s);
    }
    // The audit trail records each disclosure (and the repeat), without personal data.
    const audit = await service.app.inject({ method: 'GET', url: `/audit?subjectId=${first.credentialId}`, headers: reviewer });
    expect(audit.json().items.map((e: { actor: string; action: string; detail: { repeat: boolean } }) => [e.actor, e.action, e.detail.repeat])).toEqual([
      ['olga', 'disclose', false],
      ['olga', 'disclose', true],
      ['otto', 'disclose', false],
    ]);
    const fullDump = await h.dump();
    for (const s of secretsOf(person)) expect(fullDump).not.toContain(s);
  });

  it('never returns the person on any other route or to any other role', async () => {
    const h = await harness(backend);
    const { service, chain } = h;
    const person = distinctivePerson();
    const issued = await issueWithProposal(service, person);
    await service.publisher!.publishNow();
    const K = chain.log(7n, issued.leafIndex, { issuerId: BigInt(h.config.treeId), root: service.tree.root });

    const holder = { authorization: `Bearer ${issued.accessToken}` };
    const calls: Array<{ method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: object }> = [
      // holder
      { method: 'GET', url: `/applications/${issued.applicationId}`, headers: holder },
      { method: 'GET', url: `/credentials/${issued.credentialId}`, headers: holder },
      { method: 'GET', url: `/credentials/${issued.credentialId}/proof`, headers: holder },
      // reviewer keys holding every other role
      { method: 'GET', url: '/reviewers/me', headers: reviewer },
      { method: 'GET', url: '/applications', headers: reviewer },
      { method: 'GET', url: '/applications?status=approved', headers: bob },
      { method: 'GET', url: `/applications/${issued.applicationId}`, headers: reviewer },
      { method: 'GET', url: '/audit?limit=1000', headers: reviewer },
      { method: 'GET', url: '/audit?limit=1000', headers: admin },
      { method: 'GET', url: `/credentials/${issued.credentialId}`, headers: reviewer },
      { method: 'GET', url: '/disclosures', headers: admin },
      // … and the disclosure route itself, to every role but the officer's
      { method: 'POST', url: '/disclosures', headers: reviewer, payload: disclosureBody(7n, K, issued.leafIndex) },
      { method: 'POST', url: '/disclosures', headers: admin, payload: disclosureBody(7n, K, issued.leafIndex) },
      { method: 'POST', url: '/disclosures', headers: holder, payload: disclosureBody(7n, K, issued.leafIndex) },
      // public
      { method: 'GET', url: '/health' },
      { method: 'GET', url: `/credentials/${issued.credentialId}/status` },
      { method: 'GET', url: '/tree/leaves' },
      { method: 'GET', url: '/tree/roots' },
      { method: 'GET', url: '/docs/json' },
    ];
    for (const call of calls) {
      const res = await service.app.inject(call);
      expect(res.statusCode).toBeLessThan(500);
      for (const s of secretsOf(person)) {
        if (res.body.includes(s)) throw new Error(`${call.method} ${call.url} answered with "${s}"`);
      }
    }
    // The POSTs above were refused by role: no disclosure happened.
    expect((await service.store.rowCounts()).disclosures).toBe(0);
    // After the officer's disclosure, the audit trail an admin reads still holds none of it.
    expect((await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: disclosureBody(7n, K, issued.leafIndex) })).statusCode).toBe(200);
    const audit = await service.app.inject({ method: 'GET', url: '/audit?limit=1000', headers: admin });
    expect(audit.statusCode).toBe(200);
    for (const s of secretsOf(person)) expect(audit.body).not.toContain(s);
    const events = await service.store.listAuditEvents({ offset: 0, limit: 1000 });
    for (const s of secretsOf(person)) expect(JSON.stringify(events)).not.toContain(s);
  });

  it('refuses bad requests with the field and the rule, and changes nothing', async () => {
    const h = await harness(backend);
    const { service, chain } = h;
    const issued = await issueWithProposal(service, distinctivePerson());
    await service.publisher!.publishNow();
    const publishedRoot = service.tree.root;
    const issuerId = BigInt(h.config.treeId);
    const K = chain.log(1n, issued.leafIndex, { issuerId, root: publishedRoot });
    const leaf = issued.leafIndex;
    const p = SNARK_FIELD.toString();

    // Roles first: any other role is refused before the body is even looked at.
    const noRole = await expectRefused(h, reviewer, { nonsense: true }, { status: 403, code: 'missing_role', field: 'x-api-key', rule: 'disclosure-officer' });
    expect(noRole.message).toMatch(/disclosure-officer/);
    await expectRefused(h, {}, disclosureBody(1n, K, leaf), { status: 401, code: 'missing_api_key', field: 'x-api-key' });
    expect((await service.app.inject({ method: 'GET', url: '/disclosures' })).json().error).toMatchObject({ code: 'missing_api_key' });

    const cases: Array<[string, unknown, { status: number; code: string; field?: string; rule?: string }]> = [
      ['point not on the curve', disclosureBody(1n, ['1', '2'], leaf), { status: 400, code: 'invalid_field', field: 'sharedPoint', rule: 'on-curve' }],
      ['the identity', disclosureBody(1n, ['0', '1'], leaf), { status: 400, code: 'invalid_field', field: 'sharedPoint', rule: 'not-identity' }],
      ['a low-order point', disclosureBody(1n, ['0', (SNARK_FIELD - 1n).toString()], leaf), { status: 400, code: 'invalid_field', field: 'sharedPoint', rule: 'subgroup' }],
      ['a coordinate ≥ p', disclosureBody(1n, [p, '1'], leaf), { status: 400, code: 'invalid_field', field: 'sharedPoint', rule: 'canonical' }],
      ['a non-canonical decimal', disclosureBody(1n, ['01', '1'], leaf), { status: 400, code: 'invalid_field', field: 'sharedPoint.x', rule: 'decimal' }],
      ['one coordinate', disclosureBody(1n, [K[0].toString()] as never, leaf), { status: 400, code: 'invalid_field', field: 'sharedPoint', rule: 'minItems' }],
      ['a leaf index ≥ 2^32', disclosureBody(1n, K, '4294967296'), { status: 400, code: 'invalid_field', field: 'leafIndex', rule: 'range' }],
      ['a negative leaf index', disclosureBody(1n, K, '-1'), { status: 400, code: 'invalid_field', field: 'leafIndex', rule: 'decimal' }],
      ['request id 0', disclosureBody(0n, K, leaf), { status: 400, code: 'invalid_field', field: 'request.id', rule: 'range' }],
      ['a hex request id', disclosureBody('0x1', K, leaf), { status: 400, code: 'invalid_field', field: 'request.id', rule: 'decimal' }],
      [
        'another log',
        { ...disclosureBody(1n, K, leaf), request: { chainId: TEST_CHAIN_ID, log: `0x${'12'.repeat(20)}`, id: '1' } },
        { status: 400, code: 'invalid_field', field: 'request.log', rule: 'configured-log' },
      ],
      [
        'a chain id as a string',
        { ...disclosureBody(1n, K, leaf), request: { chainId: '31337', log: TEST_LOG, id: '1' } },
        { status: 400, code: 'invalid_field', field: 'request.chainId', rule: 'type' },
      ],
      ['an unknown key', disclosureBody(1n, K, leaf, { reason: 'court order' }), { status: 400, code: 'invalid_field', field: 'reason', rule: 'additionalProperties' }],
      ['a request not in the log', disclosureBody(99n, K, leaf), { status: 404, code: 'request_not_logged', field: 'request.id', rule: 'logged' }],
      ['K of another ciphertext', disclosureBody(1n, multiplyBase(12345n), leaf), { status: 422, code: 'leaf_index_mismatch', field: 'leafIndex', rule: 'decrypts-ciphertext' }],
      ['the right K, another leaf', disclosureBody(1n, K, leaf + 1), { status: 422, code: 'leaf_index_mismatch', field: 'leafIndex', rule: 'decrypts-ciphertext' }],
    ];
    for (const [what, payload, expected] of cases) {
      try {
        await expectRefused(h, officer, payload, expected);
      } catch (err) {
        throw new Error(`${what}: ${(err as Error).message}`);
      }
    }

    // What the chain reader refuses passes through unchanged.
    chain.refuse(2n, new ApiError(409, 'request_not_open', 'disclosure request 2 was cancelled by its requester', 'request.id', 'open'));
    await expectRefused(h, officer, disclosureBody(2n, K, leaf), { status: 409, code: 'request_not_open', field: 'request.id', rule: 'open' });
    // Another issuer's registration, a root this service never published, a leaf past the root.
    const K3 = chain.log(3n, leaf, { issuerId: issuerId + 1n, root: publishedRoot });
    await expectRefused(h, officer, disclosureBody(3n, K3, leaf), { status: 422, code: 'other_issuer', field: 'request.id', rule: 'this-issuer' });
    const K4 = chain.log(4n, leaf, { issuerId, root: 4242n });
    await expectRefused(h, officer, disclosureBody(4n, K4, leaf), { status: 422, code: 'root_not_published', field: 'request.id', rule: 'published-root' });
    const later = await issueDirect(service, distinctivePerson());
    const K5 = chain.log(5n, later.leafIndex, { issuerId, root: publishedRoot });
    await expectRefused(h, officer, disclosureBody(5n, K5, later.leafIndex), { status: 422, code: 'leaf_not_in_root', field: 'leafIndex', rule: 'in-root' });
    expect((await service.store.rowCounts()).disclosures).toBe(0);
  });

  it('re-reads the chain on a repeat: a request cancelled, dropped or changed since its disclosure is not answered again', async () => {
    const h = await harness(backend);
    const { service, chain } = h;
    const issued = await issueDirect(service, distinctivePerson());
    await service.publisher!.publishNow();
    const fields = { issuerId: BigInt(h.config.treeId), root: service.tree.root };
    const K1 = chain.log(1n, issued.leafIndex, fields);
    const K2 = chain.log(2n, issued.leafIndex, fields);
    for (const [id, K] of [
      [1n, K1],
      [2n, K2],
    ] as const) {
      expect((await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: disclosureBody(id, K, issued.leafIndex) })).statusCode).toBe(200);
    }

    // Request 1 is cancelled after its disclosure: the officer who was shown the record is refused too.
    chain.refuse(1n, new ApiError(409, 'request_not_open', 'disclosure request 1 was cancelled by its requester', 'request.id', 'open'));
    await expectRefused(h, officer, disclosureBody(1n, K1, issued.leafIndex), { status: 409, code: 'request_not_open', field: 'request.id', rule: 'open' });
    // … or a reorg dropped it.
    chain.refuse(1n, new ApiError(404, 'request_not_logged', 'the disclosure log holds no request 1', 'request.id', 'logged'));
    await expectRefused(h, officer, disclosureBody(1n, K1, issued.leafIndex), { status: 404, code: 'request_not_logged', field: 'request.id', rule: 'logged' });
    // Request 2's id now names another request (a reorg put another case under it): not the one disclosed.
    chain.amend(2n, { caseRefHash: `0x${'cb'.repeat(32)}` });
    await expectRefused(h, officer, disclosureBody(2n, K2, issued.leafIndex), { status: 409, code: 'request_changed', field: 'request.id', rule: 'recorded-entry' });
    // Nothing was recorded for the refused repeats: one disclose event per disclosure.
    const events = await service.store.listAuditEvents({ offset: 0, limit: 100, subjectId: issued.credentialId });
    expect(events.filter((e) => e.action === 'disclose').map((e) => (e.detail as { repeat: boolean }).repeat)).toEqual([false, false]);
  });

  it('serves only the configured gate: a log naming another stops the start, and a registration another contract emitted is refused', async () => {
    const forger = `0x${'66'.repeat(20)}`;
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const lying = new StubDisclosureChain();
    lying.gateAddress = forger;
    await expect(startService(withDisclosure(testConfig(db.config.databasePath, db.config)), { anchor: new RecordingRootAnchor(), disclosureChain: lying })).rejects.toThrow(
      /DISCLOSURE_GATE_ADDRESS.*configured-gate/,
    );

    // The spelling of the address does not matter.
    const chain = new StubDisclosureChain();
    chain.gateAddress = `0x${TEST_GATE.slice(2).toUpperCase()}`;
    const h = await harness(backend, {}, undefined, chain);
    const { service } = h;
    const issued = await issueDirect(service, distinctivePerson());
    await service.publisher!.publishNow();
    const fields = { issuerId: BigInt(h.config.treeId), root: service.tree.root };
    // A log that answers the configured gate at start but whose registration events come from another contract.
    const K1 = chain.log(1n, issued.leafIndex, { ...fields, gate: forger });
    await expectRefused(h, officer, disclosureBody(1n, K1, issued.leafIndex), { status: 503, code: 'disclosure_gate_mismatch', field: 'request.log', rule: 'configured-gate' });
    const K2 = chain.log(2n, issued.leafIndex, fields);
    expect((await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: disclosureBody(2n, K2, issued.leafIndex) })).statusCode).toBe(200);
  });

  it('purges a record the retention period after its credential ended, audited, and then answers 410', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
    const chain = new StubDisclosureChain();
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const config = { ...withDisclosure(testConfig(db.config.databasePath, db.config)), identityRecordRetentionDays: 365 };
    const anchor = new RecordingRootAnchor();
    const open = async () => {
      const s = await startService(config, { anchor, disclosureChain: chain, clock });
      cleanups.push(() => s.close());
      return s;
    };
    let service = await open();
    const revokedPerson = distinctivePerson();
    const revoked = await issueDirect(service, revokedPerson, '2026-06-30');
    const expiring = await issueDirect(service, distinctivePerson(), '2026-01-07');
    const active = await issueDirect(service, distinctivePerson(), '2027-12-31');
    await service.publisher!.publishNow();
    expect((await service.app.inject({ method: 'POST', url: `/credentials/${revoked.credentialId}/revoke`, headers: reviewer, payload: { reason: 'fraud' } })).statusCode).toBe(200);
    const K = chain.log(1n, revoked.leafIndex, { issuerId: BigInt(config.treeId), root: BigInt((await service.store.latestRootPublication())!.root) });

    // Day 364 after the revocation: everything is kept.
    clock.advance(364 * DAY);
    await service.close();
    cleanups.pop();
    service = await open();
    expect((await service.store.getIdentityRecord(revoked.credentialId))!.sealed).not.toBeNull();

    // Day 366: the revoked credential's record goes (ended 366 days ago); the one that expired on
    // 2026-01-07 (ended 2026-01-08, 363 days ago) and the active one stay.
    clock.advance(2 * DAY);
    await service.close();
    cleanups.pop();
    service = await open();
    const purged = (await service.store.getIdentityRecord(revoked.credentialId))!;
    expect(purged).toMatchObject({ sealed: null, purgedAt: clock.now(), leafIndex: revoked.leafIndex });
    expect((await service.store.getIdentityRecord(expiring.credentialId))!.sealed).not.toBeNull();
    expect((await service.store.getIdentityRecord(active.credentialId))!.sealed).not.toBeNull();
    const events = await service.store.listAuditEvents({ offset: 0, limit: 100, subjectId: revoked.credentialId });
    expect(events.filter((e) => e.action === 'purge-identity-record')).toEqual([
      expect.objectContaining({ actor: 'retention', subjectType: 'credential', detail: { leafIndex: revoked.leafIndex, credentialEndedAt: new Date(clock.now() - 366 * DAY).toISOString() } }),
    ]);
    for (const s of secretsOf(revokedPerson)) expect(await dumpDatabase(config)).not.toContain(s);
    const before = await service.store.rowCounts();
    const gone = await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: disclosureBody(1n, K, revoked.leafIndex) });
    expect(gone.statusCode).toBe(410);
    expect(gone.json().error).toMatchObject({ code: 'identity_record_purged', field: 'leafIndex', rule: 'retention' });
    expect(await service.store.rowCounts()).toEqual(before);

    // Day 375: the expired credential's record follows (ended 2026-01-08 + 365 days), by the periodic purge too.
    clock.advance(9 * DAY);
    await service.close();
    cleanups.pop();
    service = await open();
    expect((await service.store.getIdentityRecord(expiring.credentialId))!.sealed).toBeNull();
    expect((await service.store.getIdentityRecord(active.credentialId))!.sealed).not.toBeNull();
  });

  it('keeps the person the reviewer verified: an approval sending another spelling of it is refused', async () => {
    const h = await harness(backend);
    const { service } = h;
    const person = distinctivePerson();
    const applied = await apply(service, makeHolder());
    const proposed = await service.app.inject({ method: 'POST', url: `/applications/${applied.json.id}/proposal`, headers: reviewer, payload: { person, attributes: { kycLevel: 2 } } });
    const url = `/applications/${applied.json.id}/approve`;
    const before = await service.store.rowCounts();
    // Same document, so the same person key — but not what the reviewer verified.
    const renamed = await service.app.inject({ method: 'POST', url, headers: bob, payload: { expiryDate: nextYear(), proposalId: proposed.json().id, person: { ...person, givenNames: 'Quirina' } } });
    expect({ status: renamed.statusCode, ...renamed.json().error }).toMatchObject({ status: 409, code: 'proposal_mismatch', field: 'person', rule: 'four-eyes' });
    expect(await service.store.rowCounts()).toEqual(before);
    const approved = await service.app.inject({ method: 'POST', url, headers: bob, payload: { expiryDate: nextYear(), proposalId: proposed.json().id, person } });
    expect(approved.statusCode).toBe(201);
    // The proposal's sealed copy went into the record.
    expect((await service.store.latestProposal(applied.json.id))!.sealedPerson).toBeNull();
    const vault = await IdentityRecordVault.open(service.store, await openKeyBox(service.store, h.config.keySecret));
    expect(vault.open((await service.store.getIdentityRecord(approved.json().credentialId))!).person).toEqual(person);
  });

  it('writes the record in the approval transaction: no credential without its record', async () => {
    const h = await harness(backend);
    const { service } = h;
    const first = await issueDirect(service, distinctivePerson());
    const applied = await apply(service, makeHolder());
    const now = Date.now();
    const before = await service.store.rowCounts();
    const credential = {
      id: '00000000-0000-4000-8000-00000000abcd',
      applicationId: applied.json.id,
      holderDid: 'did:key:z',
      leafIndex: 1,
      leaf: '5',
      salt: '1',
      attributes: { jurisdiction: 'FR', birthDate: '1990-04-12', investorClasses: [], kycLevel: 1, expiryDate: '2099-01-01' },
      expiryDate: '2099-01-01',
      vcJwt: 'jwt',
      status: 'active' as const,
      issuedAt: now,
      revokedAt: null,
      personKey: null,
    };
    // A record that cannot be written (its leaf index is the first credential's) takes the credential down with it.
    await expect(
      service.store.recordApproval({
        credential,
        decision: { subjectType: 'application', subjectId: applied.json.id, action: 'approve', reviewer: 'r', reason: null, decidedAt: now },
        identityRecord: { credentialId: credential.id, leafIndex: first.leafIndex, sealed: 'v1.x.y.z', validUntil: now, createdAt: now, purgedAt: null },
      }),
    ).rejects.toMatchObject({ name: 'StoreConflict', reason: 'leaf_index_taken', message: `an identity record for leaf ${first.leafIndex} exists` });
    expect(await service.store.rowCounts()).toEqual(before);
    expect((await service.store.getApplication(applied.json.id))!.status).toBe('pending');
  });

  it('answers 503 disclosure_not_configured without a log, after the role check', async () => {
    const db = await backend.freshDatabase();
    cleanups.push(db.cleanup);
    const { disclosure: _none, ...config } = withDisclosure(testConfig(db.config.databasePath, db.config));
    const service = await startService(config);
    cleanups.push(() => service.close());
    const K = multiply(generateSingleKey().publicKey, 5n);
    const res = await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: { anything: 1 } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('disclosure_not_configured');
    expect((await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: disclosureBody(1n, K, 0) })).statusCode).toBe(503);
    expect((await service.app.inject({ method: 'POST', url: '/disclosures', headers: reviewer, payload: disclosureBody(1n, K, 0) })).json().error.code).toBe('missing_role');
    expect((await service.app.inject({ method: 'GET', url: '/disclosures', headers: admin })).json()).toEqual({ items: [] });
  });
});
