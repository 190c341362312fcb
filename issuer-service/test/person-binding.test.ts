import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { InjectOptions } from 'fastify';
import { loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { StoreConflict, type CredentialRecord } from '../src/store/issuer-store.js';
import { TEST_BACKENDS, openTestStore, type TestBackend } from './support/backends.js';
import { makeHolder } from './support/holder.js';
import { ALL_ROLES, newPerson } from './support/people.js';
import { apply, nextYear, RecordingRootAnchor, startService } from './support/service.js';

/**
 * One person, one investor (issue 9, item 11): each credential is bound to the reviewer-verified
 * person (a keyed hash of the document identity), the database keeps at most one active credential
 * per person, and a new credential replaces the old one in the same transaction.
 */
const APPROVER = 'ig8MR5EXhAhkv3v7HPgzIuRZ1Bjy2NQe';
const headers = { 'x-api-key': APPROVER };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let backend: TestBackend;

async function fresh(anchor?: RecordingRootAnchor) {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  const config = {
    ...loadConfig({ ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H', REVIEWER_API_KEYS: `olga:${APPROVER}:${ALL_ROLES}`, PUBLISH_INTERVAL_SECONDS: '0' }),
    ...db.config,
  };
  const service = await startService(config, { anchor });
  cleanups.push(() => service.close());
  return { service, db: db.config };
}

async function approveFor(service: IssuerService, person: object, replaces?: string) {
  const applied = await apply(service, makeHolder());
  expect(applied.statusCode).toBe(201);
  const res = await service.app.inject({
    method: 'POST',
    url: `/applications/${applied.json.id}/approve`,
    headers,
    payload: { expiryDate: nextYear(), attributes: { kycLevel: 2 }, person, ...(replaces ? { replaces } : {}) },
  });
  expect(res.statusCode).toBe(201);
  return { ...res.json(), token: applied.json.accessToken as string, applicationId: applied.json.id as string };
}

/** Every text value in every table of the service's database. */
async function everyStoredValue(db: { databasePath: string; databaseUrl?: string; databaseSchema?: string }): Promise<string> {
  const out: string[] = [];
  if (db.databaseUrl) {
    const c = new pg.Client({ connectionString: db.databaseUrl });
    await c.connect();
    const tables = await c.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [db.databaseSchema]);
    for (const t of tables.rows) out.push(JSON.stringify((await c.query(`SELECT * FROM ${db.databaseSchema}.${t.table_name}`)).rows));
    await c.end();
  } else {
    const d = new Database(db.databasePath, { readonly: true });
    for (const t of d.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
      out.push(JSON.stringify(d.prepare(`SELECT * FROM "${t.name}"`).all()));
    }
    d.close();
  }
  return out.join('\n');
}

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('one person, one investor on %s', (_name, b: TestBackend) => {
  beforeAll(() => {
    backend = b;
  });

  it('a new credential for the same verified person revokes the old one: leaf zeroed, decision recorded, new one active', async () => {
    const anchor = new RecordingRootAnchor();
    const { service } = await fresh(anchor);
    const person = newPerson({ documentNumber: 'AB123456', familyName: 'Müller', givenNames: 'Jörg' });
    const first = await approveFor(service, person);
    const bystander = await approveFor(service, newPerson());
    await service.publisher!.publishNow();

    // Same document, written differently by another reviewer (spaces, case, the MRZ's spelling of the
    // names, a given name left out): same person. The approval names the credential it replaces.
    const second = await approveFor(service, { ...person, documentNumber: 'ab 123-456', familyName: 'MUELLER', givenNames: 'JOERG PETER' }, first.credentialId);
    expect(second.replacedCredentialId).toBe(first.credentialId);

    const status = await service.app.inject({ method: 'GET', url: `/credentials/${first.credentialId}/status` });
    expect(status.json().status).toBe('revoked');
    expect((await service.app.inject({ method: 'GET', url: `/credentials/${second.credentialId}/status` })).json().status).toBe('active');
    expect((await service.app.inject({ method: 'GET', url: '/tree/leaves' })).json().leaves).toEqual(['0', bystander.leaf, second.leaf]);
    expect(service.tree.size).toBe(3);
    await expect(service.tree.proof(0)).rejects.toThrow(/revoked/);
    const decisions = await service.store.listDecisions('credential', first.credentialId);
    expect(decisions).toEqual([expect.objectContaining({ action: 'revoke', reviewer: 'olga', reason: expect.stringContaining(second.credentialId) })]);
    const path = await service.app.inject({ method: 'GET', url: `/credentials/${first.credentialId}/proof`, headers: { authorization: `Bearer ${first.token}` } });
    expect(path.statusCode).toBe(409);
    // The changed root goes out with the next publication, like any revocation.
    expect((await service.publisher!.publishNow()).status).toBe('published');

    // Another document of the same number in another country is another person.
    const other = await approveFor(service, { ...person, issuingCountry: 'DE' });
    expect(other.replacedCredentialId).toBeUndefined();
  });

  it('concurrent approvals for one person end with exactly one active credential; the others must name it to replace it', async () => {
    const { service } = await fresh();
    const person = newPerson();
    const apps = await Promise.all([0, 1, 2].map(() => apply(service, makeHolder())));
    const results = await Promise.all(
      apps.map((a) => service.app.inject({ method: 'POST', url: `/applications/${a.json.id}/approve`, headers, payload: { expiryDate: nextYear(), attributes: { kycLevel: 2 }, person } })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    const winner = results.find((r) => r.statusCode === 201)!.json().credentialId as string;
    for (const r of results.filter((r) => r.statusCode === 409)) {
      expect(r.json().error).toMatchObject({ code: 'replacement_unconfirmed', field: 'replaces' });
      expect(r.json().error.message).toContain(winner);
    }
    const leaves = (await service.app.inject({ method: 'GET', url: '/tree/leaves' })).json().leaves as string[];
    expect(leaves.filter((l) => l !== '0')).toHaveLength(1);
  });

  it('binds the document identity and birth date only: name spellings do not make a second person; format and control characters are refused naming the field', async () => {
    const { service } = await fresh();
    const person = newPerson({ documentNumber: 'C01X00T47', familyName: 'Müller', givenNames: 'Jörg Peter' });
    const first = await approveFor(service, person);
    // The MRZ transliteration, a dropped given name, another script for the names: the same document, the same person.
    for (const names of [{ familyName: 'MUELLER', givenNames: 'JOERG PETER' }, { givenNames: 'Jörg' }, { familyName: 'Мюллер' }]) {
      const applied = await apply(service, makeHolder());
      const before = await service.store.rowCounts();
      const res = await service.app.inject({
        method: 'POST',
        url: `/applications/${applied.json.id}/approve`,
        headers,
        payload: { expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: { ...person, ...names } },
      });
      expect({ status: res.statusCode, ...res.json().error }).toMatchObject({ status: 409, code: 'replacement_unconfirmed', field: 'replaces' });
      expect(res.json().error.message).toContain(first.credentialId);
      expect(await service.store.rowCounts()).toEqual(before);
    }
    // Invisible characters cannot make a "different" spelling of any person field: 400 naming the field.
    const applied = await apply(service, makeHolder());
    const url = `/applications/${applied.json.id}/approve`;
    const cases: Array<[Record<string, string>, string]> = [
      [{ familyName: 'Mül\u200Bler' }, 'person.familyName'],
      [{ familyName: 'Mül\u00ADler' }, 'person.familyName'],
      [{ givenNames: 'J\u200Dörg' }, 'person.givenNames'],
      [{ documentNumber: 'C01X\u200B00T47' }, 'person.documentNumber'],
      [{ documentNumber: 'C01X\u000000T47' }, 'person.documentNumber'],
      [{ familyName: 'M\u0007ller' }, 'person.familyName'],
      [{ issuingCountry: '\u200BF' }, 'person.issuingCountry'],
    ];
    for (const [over, field] of cases) {
      const before = await service.store.rowCounts();
      const res = await service.app.inject({ method: 'POST', url, headers, payload: { expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: { ...person, ...over } } });
      expect({ status: res.statusCode, ...res.json().error }).toMatchObject({ status: 400, code: 'invalid_field', field, rule: 'no-invisible-characters' });
      expect(await service.store.rowCounts()).toEqual(before);
    }
    // A dash of another kind in the number is a separator like '-'.
    const dashed = await service.app.inject({
      method: 'POST',
      url,
      headers,
      payload: { expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: { ...person, documentNumber: 'C01X\u201300T47' } },
    });
    expect(dashed.json().error).toMatchObject({ code: 'replacement_unconfirmed' });
  });

  it('keeps the verified person only as a keyed hash: no document number or name in any table', async () => {
    const { service, db } = await fresh();
    const person = newPerson({ documentNumber: 'ZX98765432', familyName: 'Quetzalcoatl', givenNames: 'Xiuhnel' });
    await approveFor(service, person);
    const dump = await everyStoredValue(db);
    for (const plain of ['ZX98765432', 'Quetzalcoatl', 'QUETZALCOATL', 'Xiuhnel', 'XIUHNEL']) expect(dump).not.toContain(plain);
    // The same person under a different service secret hashes differently (a key, not a plain hash).
    const keys = dump.match(/"person_key":"([0-9a-f]{64})"/g);
    expect(keys).toHaveLength(1);
  });

  it('refuses an approval without a verified person, or with a malformed one, naming the field; nothing changes', async () => {
    const { service } = await fresh();
    const applied = await apply(service, makeHolder());
    const url = `/applications/${applied.json.id}/approve`;
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ expiryDate: nextYear(), attributes: { kycLevel: 2 } }, 'person', 'required'],
      [{ expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: newPerson({ documentType: 'library-card' }) }, 'person.documentType', 'enum'],
      [{ expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: newPerson({ issuingCountry: 'XX' }) }, 'person.issuingCountry', 'iso3166-alpha2'],
      [{ expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: newPerson({ documentNumber: ' - ' }) }, 'person.documentNumber', 'document-number'],
      [{ expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: newPerson({ familyName: '   ' }) }, 'person.familyName', 'name'],
      [{ expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: newPerson({ birthDate: '1991-04-12' }) }, 'person.birthDate', 'matches-attributes'],
      [{ expiryDate: nextYear(), attributes: { kycLevel: 2 }, person: { ...newPerson(), nationality: 'FR' } }, 'person.nationality', 'additionalProperties'],
    ];
    for (const [payload, field, rule] of cases) {
      const before = await service.store.rowCounts();
      const res = await service.app.inject({ method: 'POST', url, headers, payload } as InjectOptions);
      expect({ status: res.statusCode, ...res.json().error }).toMatchObject({ status: 400, code: 'invalid_field', field, rule });
      expect(await service.store.rowCounts()).toEqual(before);
    }
    expect((await service.store.getApplication(applied.json.id))!.status).toBe('pending');
  });

  it('the database itself refuses a second active credential for one person', async () => {
    const { store, cleanup } = await openTestStore(backend);
    cleanups.push(cleanup);
    const now = Date.now();
    const personKey = 'ab'.repeat(32);
    for (const n of [1, 2]) {
      await store.createChallenge({ nonce: `n${n}`, did: `did:key:z${n}`, createdAt: now, expiresAt: now + 60_000, usedAt: null });
      await store.submitApplication(
        {
          id: `a${n}`,
          holderDid: `did:key:z${n}`,
          identityCommitment: String(n),
          attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [] },
          status: 'pending',
          accessTokenHash: 'h',
          challengeNonce: `n${n}`,
          createdAt: now,
          updatedAt: now,
        },
        now,
      );
    }
    const credential = (n: number): CredentialRecord => ({
      id: `c${n}`,
      applicationId: `a${n}`,
      holderDid: `did:key:z${n}`,
      leafIndex: n - 1,
      leaf: String(100 + n),
      salt: '1',
      attributes: { jurisdiction: 'FR', birthDate: '1990-01-01', investorClasses: [], kycLevel: 1, expiryDate: '2099-01-01' },
      expiryDate: '2099-01-01',
      vcJwt: 'jwt',
      status: 'active',
      issuedAt: now,
      revokedAt: null,
      personKey,
    });
    const decision = (n: number) => ({ subjectType: 'application' as const, subjectId: `a${n}`, action: 'approve' as const, reviewer: 'r', reason: null, decidedAt: now });
    await store.recordApproval({ credential: credential(1), decision: decision(1) });
    const before = await store.rowCounts();
    await expect(store.recordApproval({ credential: credential(2), decision: decision(2) })).rejects.toMatchObject({ reason: 'person_has_active_credential' });
    await expect(store.recordApproval({ credential: credential(2), decision: decision(2) })).rejects.toBeInstanceOf(StoreConflict);
    expect(await store.rowCounts()).toEqual(before);
    // Replacing in the same transaction is the way through.
    await store.recordApproval({
      credential: credential(2),
      decision: decision(2),
      replaces: { credentialId: 'c1', decision: { subjectType: 'credential', subjectId: 'c1', action: 'revoke', reviewer: 'r', reason: 'replaced', decidedAt: now } },
    });
    expect((await store.getCredential('c1'))!.status).toBe('revoked');
    expect((await store.listLeaves(0, 10)).map((l) => l.value)).toEqual(['0', '102']);
    expect((await store.getActiveCredentialForPerson(personKey))!.id).toBe('c2');
  });
});
