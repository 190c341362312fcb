import './support/inject-cookie-stub.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { createMonitorServer } from '../src/server.js';
import { SqlSarStore } from '../src/sar/sql-store.js';
import type { ChainEvent } from '../src/model.js';
import type { MonitorStore } from '../src/store/monitor-store.js';
import { openMonitorStore } from '../src/store/open-store.js';
import { GATE, TOKEN, block, cursorAt, event } from './support/events.js';

/**
 * Attaching an escrow disclosure to a case (routes/disclosure-routes.ts), and the SAR subject that
 * follows from it. The monitor takes the issuer's `POST /disclosures` answer only when it names an
 * escrow registration it indexed from the gate, of one of the case's wallets.
 */
const KEY = 'olga-key-0123456789abcdef';
const ALICE = '0x' + 'a'.repeat(40);
const ALICE_2 = '0x' + 'c'.repeat(40);
const BOB = '0x' + 'b'.repeat(40);
const ALICE_TAG = '0x' + '1234'.padStart(48, '0');
const BOB_TAG = '0x' + '5678'.padStart(48, '0');

let dir: string;
let store: MonitorStore;
let app: FastifyInstance;
let caseId: string;
let bobCaseId: string;
let aliceEscrow: ChainEvent;
let alice2Escrow: ChainEvent;
let aliceVerified: ChainEvent;
let bobEscrow: ChainEvent;

const SAR = {
  reportingEntity: { rentityId: '4711', name: 'Example Bond Issuer GmbH', countryCode: 'DE', reportingPerson: { firstName: 'Olga', lastName: 'Officer' } },
};

/** What issuer-service's POST /disclosures answers for `registration` (its shape, docs/issuer-service.md). */
function issuerAnswer(registration: ChainEvent, overrides: { id?: string; policyId?: string; chainId?: number } = {}) {
  return {
    disclosure: {
      id: overrides.id ?? 'c0ffee00-0000-4000-8000-000000000001',
      requestId: '3',
      chainId: overrides.chainId ?? 31337,
      log: '0x' + '9'.repeat(40),
      policyId: overrides.policyId ?? registration.args.policyId,
      caseRefHash: '0x' + '1'.repeat(64),
      registrationTx: registration.txHash,
      registrationLogIndex: registration.logIndex,
      leafIndex: 17,
      credentialId: 'urn:uuid:7d2a0c9e-0000-4000-8000-000000000017',
      disclosedAt: '2026-11-30T10:00:00.000Z',
      officer: 'dora',
    },
    record: {
      person: { documentType: 'passport', issuingCountry: 'DE', documentNumber: 'C01X00T47', familyName: 'Mustermann', givenNames: 'Erika', birthDate: '1964-08-12' },
      attributes: { jurisdiction: 'DE', birthDate: '1964-08-12', investorClasses: ['professional'], kycLevel: 2, expiryDate: '2027-11-30' },
      credential: { id: 'urn:uuid:7d2a0c9e-0000-4000-8000-000000000017', status: 'active', issuedAt: '2026-01-05T09:00:00.000Z', validUntil: '2027-11-30' },
      verifiedBy: [{ name: 'rita', role: 'reviewer', action: 'approved', at: '2026-01-05T08:59:00.000Z' }],
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-monitor-disclosure-'));
  store = await openMonitorStore({ databasePath: join(dir, 'monitor.sqlite'), riskHalfLifeDays: 30 });
  const verified = (n: number, wallet: string, tag: string) =>
    event(n, 'WalletVerified', { policyId: '1', wallet, nullifier: BigInt(tag).toString(), verifiedUntil: '9', issuerId: '1', root: '7' }, 'gate');
  const escrow = (n: number, wallet: string) => event(n, 'EscrowCiphertext', { policyId: '1', wallet, nullifier: '1', escrowX: '11', escrowC: '12' }, 'gate', 1);
  aliceVerified = verified(2, ALICE, ALICE_TAG);
  aliceEscrow = { ...escrow(2, ALICE), txHash: aliceVerified.txHash };
  const alice2Verified = verified(3, ALICE_2, ALICE_TAG);
  alice2Escrow = { ...escrow(3, ALICE_2), txHash: alice2Verified.txHash };
  const bobVerified = verified(4, BOB, BOB_TAG);
  bobEscrow = { ...escrow(4, BOB), txHash: bobVerified.txHash };
  const transfer = event(5, 'Transfer', { from: ALICE, to: BOB, value: '999' });
  await store.transaction(async (tx) => {
    await tx.writeBatch(31337, [aliceVerified, aliceEscrow, alice2Verified, alice2Escrow, bobVerified, bobEscrow, transfer], [2, 3, 4, 5].map(block), cursorAt(5));
    caseId = await tx.openCase({ token: TOKEN, subject: { investorTag: ALICE_TAG, wallets: [ALICE] }, at: transfer.blockTime, actor: 'playbook' });
    bobCaseId = await tx.openCase({ token: TOKEN, subject: { investorTag: BOB_TAG, wallets: [BOB] }, at: transfer.blockTime, actor: 'playbook' });
  });
  app = await createMonitorServer({
    store,
    officers: [{ name: 'olga', apiKey: KEY }],
    contracts: { token: TOKEN, gate: GATE, registry: '0x' + '5'.repeat(40) },
    sar: { store: new SqlSarStore(store, SAR), token: { chainId: 31337, address: TOKEN, name: 'Harbour Bond', symbol: 'HB', decimals: 18 } },
    now: () => 1_700_100_000,
  });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST', url: string, payload?: unknown, key: string | null = KEY) {
  const res = await app.inject({ method, url, payload: payload as object, headers: key ? { 'x-api-key': key } : {} });
  return { status: res.statusCode, body: res.json() };
}

describe('case disclosures', () => {
  it("lists the escrow registrations of the case's wallets (all of its investor's), not anybody else's", async () => {
    const res = await call('GET', `/cases/${caseId}/disclosures`);
    expect(res.status).toBe(200);
    expect(res.body.disclosures).toEqual([]);
    expect(res.body.registrations).toEqual([
      { wallet: ALICE_2, policyId: '1', registrationTx: alice2Escrow.txHash, registrationLogIndex: 1, blockNumber: 3, blockTime: alice2Escrow.blockTime },
      { wallet: ALICE, policyId: '1', registrationTx: aliceEscrow.txHash, registrationLogIndex: 1, blockNumber: 2, blockTime: aliceEscrow.blockTime },
    ]);
  });

  it('refuses an answer that names no indexed escrow registration of the case, and stores nothing', async () => {
    const other = { ...aliceEscrow, txHash: '0x' + 'e'.repeat(64) };
    const cases: Array<[unknown, string, string]> = [
      [issuerAnswer(bobEscrow), 'disclosure.registrationTx', 'case-wallet'],
      [issuerAnswer(other), 'disclosure.registrationTx', 'indexed-registration'],
      // The registration's WalletVerified, not its EscrowCiphertext.
      [issuerAnswer(aliceVerified), 'disclosure.registrationTx', 'indexed-registration'],
      [issuerAnswer(aliceEscrow, { chainId: 1 }), 'disclosure.registrationTx', 'indexed-registration'],
      [issuerAnswer(aliceEscrow, { policyId: '2' }), 'disclosure.policyId', 'matches-registration'],
    ];
    for (const [payload, field, rule] of cases) {
      const res = await call('POST', `/cases/${caseId}/disclosures`, payload);
      expect({ status: res.status, field: res.body.error.field, rule: res.body.error.rule }).toEqual({ status: 422, field, rule });
    }
    const bad = issuerAnswer(aliceEscrow) as { record: { credential: Record<string, unknown> } };
    delete bad.record.credential.id;
    const malformed = await call('POST', `/cases/${caseId}/disclosures`, bad);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.field).toBe('record.credential.id');
    expect((await call('POST', `/cases/${caseId}/disclosures`, issuerAnswer(aliceEscrow), null)).status).toBe(401);
    expect((await call('POST', '/cases/case-nope/disclosures', issuerAnswer(aliceEscrow))).status).toBe(404);
    expect(await store.caseDisclosures(caseId)).toEqual([]);
    expect((await store.getCase(caseId))!.log.map((l) => l.text)).not.toContainEqual(expect.stringContaining('disclosure'));
  });

  it('a SAR drafted before any disclosure names an unidentified investor', async () => {
    const res = await call('POST', `/cases/${caseId}/sar`);
    expect(res.status).toBe(201);
    expect(res.body.subject).toMatchObject({ identified: false, investorTag: ALICE_TAG });
  });

  it('attaches the issuer answer for a registration of the case investor, once, and the next SAR names that person', async () => {
    // ALICE_2 is not in the case's wallet list, but the case's investor registered it.
    const attached = await call('POST', `/cases/${caseId}/disclosures`, issuerAnswer(alice2Escrow));
    expect(attached.status).toBe(201);
    expect(attached.body).toMatchObject({ caseId, wallet: ALICE_2, registrationTx: alice2Escrow.txHash, issuerDisclosureId: 'c0ffee00-0000-4000-8000-000000000001', attachedBy: 'olga' });
    const again = await call('POST', `/cases/${caseId}/disclosures`, issuerAnswer(alice2Escrow));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(attached.body.id);
    expect(await store.caseDisclosures(caseId)).toHaveLength(1);

    // The case log and the audit trail say that it happened, not who the person is.
    const kase = (await store.getCase(caseId))!;
    const note = kase.log.filter((l) => l.text.includes('escrow disclosure'));
    expect(note).toHaveLength(1);
    expect(JSON.stringify(note)).not.toMatch(/Mustermann|Erika|C01X00T47/);
    const audit = await store.auditTrail({ subjectType: 'case', subjectId: caseId });
    expect(audit.map((a) => a.action)).toContain('case-disclosure-attached');
    expect(JSON.stringify(audit)).not.toMatch(/Mustermann|Erika|C01X00T47/);

    const sar = await call('POST', `/cases/${caseId}/sar`);
    expect(sar.status).toBe(201);
    expect(sar.body.subject).toMatchObject({
      identified: true,
      investorTag: ALICE_TAG,
      firstName: 'Erika',
      lastName: 'Mustermann',
      birthDate: '1964-08-12',
      residence: 'DE',
      identification: { type: 'passport', number: 'C01X00T47', issueCountry: 'DE' },
    });
    expect(sar.body.subject.source).toContain('urn:uuid:7d2a0c9e-0000-4000-8000-000000000017');
    const xml = await app.inject({ method: 'GET', url: `/sar/${sar.body.id}.xml`, headers: { 'x-api-key': KEY } });
    expect(xml.body).toContain('Subject: Erika Mustermann, born 1964-08-12');

    // Another investor's case still drafts an unidentified subject.
    expect((await call('POST', `/cases/${bobCaseId}/sar`)).body.subject.identified).toBe(false);
  });

  it('a closed case takes no disclosure, and the retention purge removes its disclosures with it', async () => {
    await store.setCaseStatus(caseId, 'closed', 'olga', 'reported');
    const res = await call('POST', `/cases/${caseId}/disclosures`, issuerAnswer(aliceEscrow, { id: 'c0ffee00-0000-4000-8000-000000000002' }));
    expect({ status: res.status, rule: res.body.error.rule }).toEqual({ status: 409, rule: 'open-case' });
    expect(await store.caseDisclosures(caseId)).toHaveLength(1);
    await store.transaction((tx) => tx.purgeBefore(Math.floor(Date.now() / 1000) + 10));
    expect(await store.getCase(caseId)).toBeNull();
    expect(await store.caseDisclosures(caseId)).toEqual([]);
  });
});
