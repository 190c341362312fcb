import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import type { InjectOptions } from 'fastify';
import { loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { makeHolder } from './support/holder.js';
import { newPerson, type TestPerson } from './support/people.js';
import { apply, nextYear, RecordingRootAnchor, startService } from './support/service.js';

/**
 * Ongoing screening (issue 11, item 4): the compliance monitor's key reads the verified persons and
 * posts candidate matches; a reviewer dismisses, a revoker confirms (the credential is revoked, its
 * leaf zeroed). Each on SQLite and Postgres.
 */
const KEYS = {
  mona: 'Vq8xT2mLr9cB4nZ7wY1kP5sH3dF6gJ0a', // screening (the compliance monitor)
  rita: '65TMX4c1PojWoDQMLE4BLyyHcQs8JgQ3', // reviewer
  arno: 'KE9N4y3qr2c89sWZ16M0fFlCHDpsH2ZU', // approver
  vera: 'k3cCaSub13qFgE7RzLiAIjE1GdCAHq2c', // revoker
  ada: 'xQF0n8zRQfpCO3uWMZmmSidtT2LdsuTV', // admin
};
const as = (name: keyof typeof KEYS) => ({ 'x-api-key': KEYS[name] });

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let backend: TestBackend;

async function fresh(anchor = new RecordingRootAnchor()) {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  const config = {
    ...loadConfig({
      ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H',
      REVIEWER_API_KEYS: [`mona:${KEYS.mona}:screening`, `rita:${KEYS.rita}:reviewer`, `arno:${KEYS.arno}:approver`, `vera:${KEYS.vera}:revoker`, `ada:${KEYS.ada}:admin`].join(','),
      PUBLISH_INTERVAL_SECONDS: '0',
    }),
    ...db.config,
  };
  const service = await startService(config, { anchor });
  cleanups.push(() => service.close());
  return service;
}

async function issue(service: IssuerService, person: TestPerson): Promise<{ credentialId: string; leafIndex: number }> {
  const applied = await apply(service, makeHolder(), { attributes: { jurisdiction: person.issuingCountry, birthDate: person.birthDate, investorClasses: [] } });
  expect(applied.statusCode).toBe(201);
  const res = await service.app.inject({
    method: 'POST',
    url: `/applications/${applied.json.id}/approve`,
    headers: as('arno'),
    payload: { expiryDate: nextYear(), person, attributes: { kycLevel: 2 } },
  });
  expect(res.statusCode).toBe(201);
  return { credentialId: res.json().credentialId, leafIndex: res.json().leafIndex };
}

function match(credentialId: string, over: Record<string, unknown> = {}) {
  return {
    credentialId,
    source: 'ofac',
    entryUid: '36001',
    entryName: 'IVANOV, Pyotr',
    matchedName: 'Petr Ivanov',
    score: 0.93,
    reasons: [
      { factor: 'name', effect: 0.88, detail: 'Petr~Pyotr 0.95, Ivanov=Ivanov 1.00' },
      { factor: 'birth-date', effect: 0.1, detail: 'listed 1971-03-05 equals' },
    ],
    ...over,
  };
}

/** Sends the request, asserts the refusal and that no table changed. */
async function refused(service: IssuerService, request: InjectOptions, expected: Record<string, unknown>) {
  const before = await service.store.rowCounts();
  const res = await service.app.inject(request);
  expect({ status: res.statusCode, ...res.json().error }).toMatchObject(expected);
  expect(await service.store.rowCounts()).toEqual(before);
}

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('ongoing screening on %s', (_name, b: TestBackend) => {
  beforeAll(() => {
    backend = b;
  });

  it('exports persons to the screening role only, takes matches without doubling them, and a confirmation revokes', async () => {
    const anchor = new RecordingRootAnchor();
    const service = await fresh(anchor);
    const petr = newPerson({ familyName: 'Ivanov', givenNames: 'Petr', birthDate: '1971-03-05', issuingCountry: 'DE' });
    const claire = newPerson();
    const ivanov = await issue(service, petr);
    const martin = await issue(service, claire);

    // Persons: only the screening key, and each export is audited.
    for (const who of ['rita', 'arno', 'vera', 'ada'] as const) {
      await refused(service, { method: 'GET', url: '/screening/persons', headers: as(who) }, { status: 403, code: 'missing_role', rule: 'screening' });
    }
    await refused(service, { method: 'GET', url: '/screening/persons' }, { status: 401 });
    const persons = await service.app.inject({ method: 'GET', url: '/screening/persons', headers: as('mona') });
    expect(persons.statusCode).toBe(200);
    expect(persons.json().nextAfter).toBeNull();
    expect(persons.json().persons).toEqual([
      { credentialId: ivanov.credentialId, familyName: 'Ivanov', givenNames: 'Petr', birthDate: '1971-03-05', issuingCountry: 'DE' },
      { credentialId: martin.credentialId, familyName: claire.familyName, givenNames: claire.givenNames, birthDate: claire.birthDate, issuingCountry: claire.issuingCountry },
    ]);
    expect(JSON.stringify(persons.json())).not.toContain(petr.documentNumber);
    const paged = (await service.app.inject({ method: 'GET', url: '/screening/persons?limit=1', headers: as('mona') })).json();
    expect(paged).toEqual({ persons: [expect.objectContaining({ credentialId: ivanov.credentialId })], nextAfter: ivanov.leafIndex });
    const audit = (await service.app.inject({ method: 'GET', url: '/audit', headers: as('ada') })).json().items;
    expect(audit.find((e: { action: string }) => e.action === 'screening-export')).toMatchObject({ actor: 'mona', role: 'screening', detail: { persons: 2, after: null } });

    // Matches: only the screening key posts them; a repeat of an open one is skipped.
    await refused(service, { method: 'POST', url: '/screening/matches', headers: as('rita'), payload: { matches: [match(ivanov.credentialId)] } }, { status: 403, rule: 'screening' });
    const posted = await service.app.inject({
      method: 'POST',
      url: '/screening/matches',
      headers: as('mona'),
      payload: { matches: [match(ivanov.credentialId), match(martin.credentialId, { entryUid: 'EU-77', source: 'eu', score: 0.81 })] },
    });
    expect(posted.statusCode).toBe(200);
    expect(posted.json()).toMatchObject({ duplicates: 0, stored: [{ status: 'open', reportedBy: 'mona' }, { status: 'open' }] });
    const again = await service.app.inject({ method: 'POST', url: '/screening/matches', headers: as('mona'), payload: { matches: [match(ivanov.credentialId)] } });
    expect(again.json()).toEqual({ stored: [], duplicates: 1 });

    // The reviewer queue.
    await refused(service, { method: 'GET', url: '/screening/matches?status=open', headers: as('mona') }, { status: 403, code: 'missing_role' });
    const queue = (await service.app.inject({ method: 'GET', url: '/screening/matches?status=open', headers: as('rita') })).json().items;
    expect(queue).toHaveLength(2);
    // The scorer's free-text details quote the verified person (name, birth date, document country):
    // the queue keeps the factors and their weights, never those texts.
    expect(JSON.stringify(queue)).not.toContain('Ivanov=Ivanov');
    expect(JSON.stringify(queue)).not.toContain('detail');
    const [hit, miss] = queue as Array<{ id: number }>;

    // Dismiss needs the reviewer role and a reason; the credential stays.
    await refused(service, { method: 'POST', url: `/screening/matches/${miss.id}/dismiss`, headers: as('vera'), payload: { reason: 'x' } }, { status: 403, rule: 'reviewer' });
    await refused(service, { method: 'POST', url: `/screening/matches/${miss.id}/dismiss`, headers: as('rita'), payload: {} }, { status: 400, field: 'reason' });
    await refused(service, { method: 'POST', url: `/screening/matches/${miss.id}/dismiss`, headers: as('rita'), payload: { reason: ' \n ' } }, { status: 400, field: 'reason', rule: 'not-blank' });
    const dismissed = await service.app.inject({ method: 'POST', url: `/screening/matches/${miss.id}/dismiss`, headers: as('rita'), payload: { reason: 'different birth date on the passport' } });
    expect(dismissed.json()).toMatchObject({ status: 'dismissed', decidedBy: 'rita', decisionReason: 'different birth date on the passport' });
    expect(dismissed.json().decidedAt).toEqual(expect.any(String));
    expect((await service.store.getCredential(martin.credentialId))!.status).toBe('active');

    // Confirm needs the revoker role; it revokes the credential and zeroes its leaf.
    for (const who of ['rita', 'mona', 'arno'] as const) {
      await refused(service, { method: 'POST', url: `/screening/matches/${hit.id}/confirm`, headers: as(who), payload: {} }, { status: 403, rule: 'revoker' });
    }
    const rootBefore = service.tree.root;
    const confirmed = await service.app.inject({ method: 'POST', url: `/screening/matches/${hit.id}/confirm`, headers: as('vera'), payload: { reason: 'passport photo matches the listing' } });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'confirmed', decidedBy: 'vera' });
    const revoked = (await service.store.getCredential(ivanov.credentialId))!;
    expect(revoked.status).toBe('revoked');
    const leaves = await service.store.listLeaves(0, 10);
    expect(leaves.find((l) => l.index === ivanov.leafIndex)!.value).toBe('0');
    expect(service.tree.root).not.toBe(rootBefore);
    const decisions = await service.store.listDecisions('credential', ivanov.credentialId);
    expect(decisions).toEqual([expect.objectContaining({ action: 'revoke', reviewer: 'vera', reason: expect.stringContaining('ofac entry 36001') })]);
    // The revoked person is no longer exported; deciding again is refused.
    expect((await service.app.inject({ method: 'GET', url: '/screening/persons', headers: as('mona') })).json().persons.map((p: { credentialId: string }) => p.credentialId)).toEqual([
      martin.credentialId,
    ]);
    // A run that read page one before the revocation goes on from its cursor and still reaches
    // martin: the revoked credential does not shift the pages (an offset would skip him).
    const pageTwo = (await service.app.inject({ method: 'GET', url: `/screening/persons?after=${paged.nextAfter}&limit=1`, headers: as('mona') })).json();
    expect(pageTwo.persons.map((p: { credentialId: string }) => p.credentialId)).toEqual([martin.credentialId]);
    await refused(service, { method: 'GET', url: '/screening/persons?offset=1', headers: as('mona') }, { status: 400, field: 'offset' });
    await refused(service, { method: 'GET', url: '/screening/persons?after=-1', headers: as('mona') }, { status: 400, field: 'after' });
    await refused(service, { method: 'POST', url: `/screening/matches/${hit.id}/confirm`, headers: as('vera'), payload: {} }, { status: 409, code: 'match_not_open' });

    // A match for the revoked credential arrives closed as moot.
    const late = await service.app.inject({ method: 'POST', url: '/screening/matches', headers: as('mona'), payload: { matches: [match(ivanov.credentialId, { entryUid: '99' })] } });
    expect(late.json().stored[0]).toMatchObject({ status: 'moot' });
    // The existing publisher anchors the root without the leaf; the audit trail has each decision.
    await service.publisher!.publishNow({ name: 'test', role: 'publisher' });
    expect(anchor.published.at(-1)?.root).toBe(service.tree.root);
    const actions = (await service.app.inject({ method: 'GET', url: '/audit', headers: as('ada') })).json().items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['screening-match', 'screening-dismiss', 'revoke', 'screening-confirm']));
  });

  it('closes an open match as moot when its credential was revoked meanwhile', async () => {
    const service = await fresh();
    const c = await issue(service, newPerson());
    const posted = await service.app.inject({ method: 'POST', url: '/screening/matches', headers: as('mona'), payload: { matches: [match(c.credentialId)] } });
    const id = posted.json().stored[0].id;
    expect((await service.app.inject({ method: 'POST', url: `/credentials/${c.credentialId}/revoke`, headers: as('vera'), payload: { reason: 'left' } })).statusCode).toBe(200);
    const res = await service.app.inject({ method: 'POST', url: `/screening/matches/${id}/confirm`, headers: as('vera'), payload: {} });
    expect(res.json()).toMatchObject({ status: 'moot', decidedBy: 'vera' });
    expect(await service.store.listDecisions('credential', c.credentialId)).toHaveLength(1);
  });

  it('refuses a bad batch whole, naming the field, and stores nothing', async () => {
    const service = await fresh();
    const c = await issue(service, newPerson());
    const post = (matches: unknown) => ({ method: 'POST' as const, url: '/screening/matches', headers: as('mona'), payload: { matches } });
    await refused(service, post([match(c.credentialId), match(c.credentialId, { score: 1.5 })]), { status: 400, code: 'invalid_field', field: expect.stringMatching(/matches.*1.*score/) });
    await refused(service, post([match(c.credentialId, { entryUid: undefined })]), { status: 400, field: expect.stringMatching(/entryUid/) });
    await refused(service, post([match(c.credentialId, { reasons: [{ factor: 'shoe-size', effect: 0, detail: 'x' }] })]), { status: 400, field: expect.stringMatching(/factor/) });
    await refused(service, post([match(c.credentialId), match('0b6b7a3c-51f4-4c55-9f9e-5b4c2b0e1f00')]), { status: 400, field: 'matches[1].credentialId', rule: 'known-credential' });
    await refused(service, post([]), { status: 400 });
    await refused(service, { method: 'POST', url: '/screening/matches/abc/dismiss', headers: as('rita'), payload: { reason: 'x' } }, { status: 400, field: expect.stringMatching(/id/) });
    await refused(service, { method: 'POST', url: '/screening/matches/42/dismiss', headers: as('rita'), payload: { reason: 'x' } }, { status: 404, code: 'not_found' });
  });
});
