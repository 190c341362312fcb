import './support/inject-cookie-stub.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig } from '../src/config.js';
import { createMonitorServer } from '../src/server.js';
import type { MonitorStore } from '../src/store/monitor-store.js';
import { openMonitorStore } from '../src/store/open-store.js';
import { GATE, TOKEN, block, cursorAt, event } from './support/events.js';

/**
 * The officer API over a seeded SQLite store (app.inject, no port): authentication, each route's
 * answer, and errors that name the field and the rule. Then the configuration's refusals.
 */
const OLGA_KEY = 'olga-key-0123456789abcdef';
const PIET_KEY = 'piet-key-0123456789abcdef';
const ALICE = '0x' + 'a'.repeat(40);
const BOB = '0x' + 'b'.repeat(40);
const TAG = '0x' + '1234'.padStart(48, '0');
const NOW = 1_700_000_000 + 30 * 86_400;

let dir: string;
let store: MonitorStore;
let app: FastifyInstance;
let caseId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-monitor-server-'));
  store = await openMonitorStore({ databasePath: join(dir, 'monitor.sqlite'), riskHalfLifeDays: 30 });
  const verified = event(2, 'WalletVerified', { policyId: '1', wallet: ALICE, nullifier: BigInt(TAG).toString(), verifiedUntil: '9', issuerId: '1', root: '7' }, 'gate');
  const transfer = event(3, 'Transfer', { from: ALICE, to: BOB, value: '999' });
  await store.transaction(async (tx) => {
    await tx.writeBatch(31337, [verified, transfer], [block(2), block(3)], cursorAt(3));
    const hitId = await tx.insertRuleHit(
      {
        ruleId: 'large-transfer',
        rulesVersion: '1',
        token: TOKEN,
        subject: { investorTag: TAG, wallets: [ALICE] },
        severity: 'medium',
        score: 8,
        summary: 'a transfer of 999',
        evidence: { events: [transfer], amounts: ['999'], times: [transfer.blockTime], details: { threshold: '500' } },
        at: transfer.blockTime,
      },
      31337,
      3,
    );
    await tx.addRiskScore(TAG, 8, 1_700_000_000);
    caseId = await tx.openCase({ token: TOKEN, subject: { investorTag: TAG, wallets: [ALICE] }, at: transfer.blockTime, actor: 'playbook', hitIds: [hitId] });
  });
  app = await createMonitorServer({
    store,
    officers: [
      { name: 'olga', apiKey: OLGA_KEY },
      { name: 'piet', apiKey: PIET_KEY },
    ],
    contracts: { token: TOKEN, gate: GATE, registry: '0x' + '5'.repeat(40) },
    now: () => NOW,
  });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(url: string, key: string | null = OLGA_KEY) {
  const res = await app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });
  return { status: res.statusCode, body: res.json() };
}

async function post(url: string, payload: unknown, key = OLGA_KEY) {
  const res = await app.inject({ method: 'POST', url, payload: payload as object, headers: { 'x-api-key': key } });
  return { status: res.statusCode, body: res.json() };
}

it('answers /health without a key, and nothing else', async () => {
  expect(await get('/health', null)).toEqual({ status: 200, body: { status: 'ok', backend: 'sqlite', indexer: null } });
  expect(await get('/events', null)).toEqual({
    status: 401,
    body: { error: { code: 'missing_key', field: 'x-api-key', rule: 'officer-key', message: "send an officer's key as the x-api-key header" } },
  });
  expect((await get('/cases', 'not-an-officer-key-at-all')).body.error).toMatchObject({ code: 'unknown_key', field: 'x-api-key', rule: 'officer-key' });
  expect((await get('/nowhere')).body.error).toMatchObject({ code: 'route_not_found', field: 'url', rule: 'route' });
});

it('lists events newest first, by wallet or token, and names a bad parameter and its rule', async () => {
  const all = await get('/events');
  expect(all.status).toBe(200);
  expect(all.body.events.map((e: { name: string }) => e.name)).toEqual(['Transfer', 'WalletVerified']);
  expect((await get(`/events?wallet=${BOB}`)).body.events).toMatchObject([{ name: 'Transfer', args: { from: ALICE, to: BOB, value: '999' }, blockNumber: 3 }]);
  expect((await get(`/events?token=${TOKEN}&limit=1`)).body.events.map((e: { name: string }) => e.name)).toEqual(['Transfer']);
  expect((await get('/events?limit=abc')).body.error).toMatchObject({ code: 'invalid_field', field: 'limit', rule: 'pattern' });
  expect((await get('/events?limit=5000')).body.error).toMatchObject({ field: 'limit', rule: 'maximum' });
  expect((await get('/events?wallet=0x12')).body.error).toMatchObject({ field: 'wallet', rule: 'pattern' });
  expect((await get(`/events?token=${BOB}`)).body.error).toMatchObject({ field: 'token', rule: 'monitored-token' });
  expect((await get('/events?colour=red')).body.error).toMatchObject({ field: 'colour', rule: 'additionalProperties' });
});

it("shows an investor's wallets, decayed risk score and cases", async () => {
  const res = await get(`/investors/${TAG}`);
  expect(res.status).toBe(200);
  expect(res.body.investorTag).toBe(TAG);
  expect(res.body.wallets).toEqual([{ wallet: ALICE, policyId: '1', status: 'verified', at: 1_700_000_024 }]);
  // 8 points, one half-life (30 days) ago.
  expect(res.body.risk).toMatchObject({ raw: 8, updatedAt: 1_700_000_000, halfLifeDays: 30 });
  expect(res.body.risk.score).toBeCloseTo(4, 9);
  expect(res.body.cases.map((c: { id: string }) => c.id)).toEqual([caseId]);
  expect((await get(`/investors/0x${'9'.repeat(48)}`)).body.error).toMatchObject({ code: 'not_found', field: 'tag', rule: 'exists' });
  expect((await get('/investors/0x1234')).body.error).toMatchObject({ code: 'invalid_field', field: 'tag', rule: 'pattern' });

  const alice = await get(`/wallets/${ALICE.toUpperCase().replace('0X', '0x')}`);
  expect(alice.body).toMatchObject({ wallet: ALICE, investorTag: TAG, registrations: [{ policyId: '1', investorTag: TAG, status: 'verified' }], risk: { subject: TAG, raw: 8 } });
  expect((await get(`/wallets/${BOB}`)).body).toEqual({ wallet: BOB, investorTag: null, registrations: [], risk: { subject: BOB, score: 0, raw: 0, updatedAt: 0, halfLifeDays: 30 } });
  expect((await get('/wallets/bob')).body.error).toMatchObject({ field: 'address', rule: 'pattern' });
});

it('reads cases, adds notes and changes status as the named officer', async () => {
  const list = await get('/cases?status=open');
  expect(list.body.cases).toEqual([{ id: caseId, token: TOKEN, subject: { investorTag: TAG, wallets: [ALICE] }, status: 'open', openedAt: 1_700_000_036, rules: ['large-transfer'], score: 8 }]);
  expect((await get('/cases?status=pending')).body.error).toMatchObject({ field: 'status', rule: 'enum' });
  const kase = await get(`/cases/${caseId}`);
  expect(kase.body.hits).toMatchObject([{ ruleId: 'large-transfer', evidence: { amounts: ['999'], details: { threshold: '500' } } }]);
  expect((await get('/cases/case_unknown')).body.error).toMatchObject({ code: 'not_found', field: 'id', rule: 'exists' });

  const note = await post(`/cases/${caseId}/notes`, { text: 'asked the transfer agent for the invoice' }, PIET_KEY);
  expect(note.status).toBe(201);
  expect(note.body).toMatchObject({ kind: 'note', actor: 'piet', text: 'asked the transfer agent for the invoice' });
  expect((await post(`/cases/${caseId}/notes`, { text: '' })).body.error).toMatchObject({ field: 'text', rule: 'minLength' });
  expect((await post(`/cases/${caseId}/notes`, { text: 'x', by: 'someone else' })).body.error).toMatchObject({ field: 'by', rule: 'additionalProperties' });
  expect((await post('/cases/case_unknown/notes', { text: 'x' })).status).toBe(404);

  const closed = await post(`/cases/${caseId}/status`, { status: 'closed', reason: 'invoice matches' });
  expect(closed.status).toBe(200);
  expect(closed.body.status).toBe('closed');
  expect(closed.body.log.at(-1)).toMatchObject({ kind: 'status', actor: 'olga', text: 'invoice matches', data: { from: 'open', to: 'closed' } });
  expect((await post(`/cases/${caseId}/status`, { status: 'closed', reason: 'again' })).body.error).toMatchObject({ code: 'no_change', field: 'status', rule: 'transition' });
  expect((await post(`/cases/${caseId}/status`, { status: 'closed' })).body.error).toMatchObject({ field: 'reason', rule: 'required' });
  const audit = await get(`/audit?subjectType=case&subjectId=${caseId}`);
  expect(audit.body.entries.map((a: { actor: string; action: string }) => [a.actor, a.action])).toEqual([
    ['playbook', 'case-opened'],
    ['piet', 'case-note'],
    ['olga', 'case-status'],
  ]);
  expect((await store.auditTrail({ subjectId: caseId })).map((a) => [a.actor, a.action])).toEqual([
    ['playbook', 'case-opened'],
    ['piet', 'case-note'],
    ['olga', 'case-status'],
  ]);
});

it('serves the OpenAPI document at /docs', async () => {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  const doc = res.json() as { paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
  expect(Object.keys(doc.paths).sort()).toEqual([
    '/audit',
    '/cases',
    '/cases/{id}',
    '/cases/{id}/disclosures',
    '/cases/{id}/evidence',
    '/cases/{id}/notes',
    '/cases/{id}/sar',
    '/cases/{id}/status',
    '/events',
    '/frozen',
    '/health',
    '/investors/{tag}',
    '/pending-transfers',
    '/pending-transfers/{id}/approve',
    '/pending-transfers/{id}/reject',
    '/sanctions/imports',
    '/sar',
    '/sar/{id}',
    '/sar/{id}/file',
    '/sar/{ref}',
    '/wallets/{address}',
  ]);
  expect(doc.components.securitySchemes.officerKey).toEqual({ type: 'apiKey', in: 'header', name: 'x-api-key' });
});

it('limits failed officer keys per client address and in all: 429 too_many_failed_keys with Retry-After, before any key is compared', async () => {
  let nowMs = 1_000_000;
  const limited = await createMonitorServer({
    store,
    officers: [{ name: 'olga', apiKey: OLGA_KEY }],
    contracts: { token: TOKEN, gate: GATE, registry: '0x' + '5'.repeat(40) },
    now: () => NOW,
    failedKeyLimit: { perAddress: 3, global: 5, windowMs: 60_000, nowMs: () => nowMs },
  });
  try {
    const call = async (key: string, remoteAddress: string) => {
      const res = await limited.inject({ method: 'GET', url: '/cases', headers: { 'x-api-key': key }, remoteAddress });
      return { status: res.statusCode, code: res.statusCode === 200 ? null : res.json().error.code, retryAfter: res.headers['retry-after'] ?? null };
    };
    const WRONG = 'not-an-officer-key-000000';
    for (let i = 0; i < 3; i++) expect(await call(WRONG, '10.0.0.1')).toEqual({ status: 401, code: 'unknown_key', retryAfter: null });
    // The fourth attempt from that address is refused, even with the right key; other addresses go on.
    expect(await call(WRONG, '10.0.0.1')).toEqual({ status: 429, code: 'too_many_failed_keys', retryAfter: '60' });
    expect(await call(OLGA_KEY, '10.0.0.1')).toMatchObject({ status: 429, code: 'too_many_failed_keys' });
    expect(await call(OLGA_KEY, '10.0.0.2')).toMatchObject({ status: 200 });
    // A missing key is not a guess and is not counted.
    const none = await limited.inject({ method: 'GET', url: '/cases', remoteAddress: '10.0.0.2' });
    expect(none.statusCode).toBe(401);
    // Two more failures elsewhere reach the global limit (5): every address is refused for the window.
    expect(await call(WRONG, '10.0.0.3')).toMatchObject({ status: 401 });
    expect(await call(WRONG, '10.0.0.4')).toMatchObject({ status: 401 });
    nowMs += 20_000;
    expect(await call(OLGA_KEY, '10.0.0.5')).toEqual({ status: 429, code: 'too_many_failed_keys', retryAfter: '40' });
    // The window ends: keys are compared again.
    nowMs += 60_000;
    expect(await call(OLGA_KEY, '10.0.0.1')).toMatchObject({ status: 200 });
    expect(await call(OLGA_KEY, '10.0.0.5')).toMatchObject({ status: 200 });
  } finally {
    await limited.close();
  }
});

describe('configuration', () => {
  const base = {
    RPC_URL: 'http://127.0.0.1:8545',
    TOKEN_ADDRESS: '0x' + 'A'.repeat(40),
    GATE_ADDRESS: GATE,
    REGISTRY_ADDRESS: '0x' + '5'.repeat(40),
    OFFICERS: `olga:${OLGA_KEY}`,
  };

  // Where no console is built, so the defaults do not depend on whether this checkout built one.
  const noConsole = join(tmpdir(), 'no-console-built-here');

  it('reads the environment with its defaults', () => {
    expect(loadConfig(base, noConsole)).toEqual({
      rpcUrl: 'http://127.0.0.1:8545',
      contracts: { token: '0x' + 'a'.repeat(40), gate: GATE, registry: '0x' + '5'.repeat(40) },
      confirmations: 2,
      startBlock: 0,
      batchBlocks: 500,
      logsChunkBlocks: 100,
      pollIntervalMs: 2000,
      riskHalfLifeDays: 30,
      retentionDays: 1826,
      databasePath: '.data/compliance-monitor.sqlite',
      port: 3200,
      host: '127.0.0.1',
      officers: [{ name: 'olga', apiKey: OLGA_KEY }],
    });
    expect(loadConfig({ ...base, SANCTIONS_ADDRESS: BOB, CONFIRMATIONS: '12', DATABASE_URL: 'postgres://u:p@db/m', RULES_FILE: 'rules.yaml' })).toMatchObject({
      contracts: { sanctions: BOB },
      confirmations: 12,
      databaseUrl: 'postgres://u:p@db/m',
      rulesFile: 'rules.yaml',
    });
  });

  it('reads the console parts: SAR reporting entity, TransferApproval, sanctions store, console directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-config-'));
    try {
      const built = join(dir, 'dist');
      mkdirSync(built);
      writeFileSync(join(built, 'index.html'), '<!doctype html>');
      writeFileSync(join(dir, 'sanctions.db'), '');
      const config = loadConfig(
        {
          ...base,
          TRANSFER_APPROVAL_ADDRESS: '0x' + 'C'.repeat(40),
          SAR_REPORTING_ENTITY_ID: '4711',
          SAR_REPORTING_ENTITY_NAME: ' Example Bond Issuer GmbH ',
          SAR_REPORTING_ENTITY_COUNTRY: 'de',
          SAR_REPORTING_PERSON_FIRST_NAME: 'Olga',
          SAR_REPORTING_PERSON_LAST_NAME: 'Officer',
          SAR_REPORTING_PERSON_EMAIL: 'olga@example.org',
          SANCTIONS_DB: join(dir, 'sanctions.db'),
        },
        built,
      );
      expect(config).toMatchObject({
        transferApproval: '0x' + 'c'.repeat(40),
        sar: { reportingEntity: { rentityId: '4711', name: 'Example Bond Issuer GmbH', countryCode: 'DE', reportingPerson: { firstName: 'Olga', lastName: 'Officer', email: 'olga@example.org' } } },
        sanctionsDb: join(dir, 'sanctions.db'),
        // Unset CONSOLE_DIR: the package's build, once it exists.
        consoleDir: built,
      });
      expect(loadConfig({ ...base, CONSOLE_DIR: built }, noConsole).consoleDir).toBe(built);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const sar = {
    SAR_REPORTING_ENTITY_ID: '4711',
    SAR_REPORTING_ENTITY_NAME: 'Example Bond Issuer GmbH',
    SAR_REPORTING_ENTITY_COUNTRY: 'DE',
    SAR_REPORTING_PERSON_FIRST_NAME: 'Olga',
    SAR_REPORTING_PERSON_LAST_NAME: 'Officer',
  };

  it.each([
    [{ TRANSFER_APPROVAL_ADDRESS: '0x12' }, "TRANSFER_APPROVAL_ADDRESS: must be a 0x-prefixed 20-byte address (rule address), the token's TransferApproval rule"],
    [{ SAR_REPORTING_ENTITY_ID: '4711' }, 'SAR_REPORTING_ENTITY_NAME: required once SAR drafts are configured (rule sar-complete; SAR_REPORTING_ENTITY_ID is set)'],
    [{ ...sar, SAR_REPORTING_ENTITY_ID: 'RE-4711' }, "SAR_REPORTING_ENTITY_ID: must be the reporting entity's goAML id (rentity_id) as the FIU registered it, digits (rule goaml-id)"],
    [{ ...sar, SAR_REPORTING_ENTITY_COUNTRY: 'Germany' }, "SAR_REPORTING_ENTITY_COUNTRY: must be the reporting entity's country, ISO 3166-1 alpha-2 (e.g. DE) (rule country)"],
    [{ ...sar, SAR_REPORTING_ENTITY_NAME: 'x'.repeat(256) }, 'SAR_REPORTING_ENTITY_NAME: must be at most 255 characters (rule text)'],
    [{ ...sar, SAR_REPORTING_PERSON_EMAIL: 'olga' }, "SAR_REPORTING_PERSON_EMAIL: must be the reporting person's e-mail address (rule email)"],
    [{ SANCTIONS_DB: join(tmpdir(), 'no-such-sanctions.db') }, 'SANCTIONS_DB: no file at'],
    [{ SANCTIONS_DB: tmpdir() }, `SANCTIONS_DB: "${tmpdir()}" is not a file (rule file)`],
    [{ CONSOLE_DIR: noConsole }, `CONSOLE_DIR: has no index.html in "${noConsole}" (rule built)`],
  ])('refuses the console setting %j', (change, message) => {
    let error: unknown;
    try {
      loadConfig({ ...base, ...change }, noConsole);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(message)).toBe(true);
  });

  it.each([
    [{ RPC_URL: '' }, 'RPC_URL: required (rule required)'],
    [{ RPC_URL: 'ws://x' }, 'RPC_URL: must be an http(s) URL (rule url)'],
    [{ TOKEN_ADDRESS: '' }, 'TOKEN_ADDRESS: required (rule required): the PermissionedToken address'],
    [{ GATE_ADDRESS: '0x12' }, 'GATE_ADDRESS: must be a 0x-prefixed 20-byte address (rule address), the ComplianceGate'],
    [{ SANCTIONS_ADDRESS: 'nope' }, 'SANCTIONS_ADDRESS: must be a 0x-prefixed 20-byte address (rule address)'],
    [{ CONFIRMATIONS: '0' }, 'CONFIRMATIONS: must be between 1 and 10000 (rule range), got 0'],
    [{ CONFIRMATIONS: 'two' }, 'CONFIRMATIONS: must be a whole number (rule integer)'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL (rule postgres-url)'],
    [{ OFFICERS: '' }, 'OFFICERS: required (rule required)'],
    [{ OFFICERS: 'olga' }, 'OFFICERS: entry 1 is not name:key (rule entry-shape)'],
    [{ OFFICERS: 'olga:short' }, 'OFFICERS: the key for "olga" must be at least 16 characters (rule min-length)'],
    [{ OFFICERS: `olga:${OLGA_KEY},olga:${PIET_KEY}` }, 'OFFICERS: two entries share the name "olga" (rule unique-name)'],
    [{ OFFICERS: `olga:${OLGA_KEY},piet:${OLGA_KEY}` }, 'OFFICERS: two officers share a key (rule unique-key)'],
  ])('refuses %j', (change, message) => {
    let error: unknown;
    try {
      loadConfig({ ...base, ...change });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(message)).toBe(true);
    // A key never reaches the message.
    expect((error as Error).message).not.toContain(OLGA_KEY);
  });
});
