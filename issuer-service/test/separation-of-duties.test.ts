import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { verifyKycCredential } from '@zkkyc/credentials';
import type { InjectOptions } from 'fastify';
import { loadConfig } from '../src/config.js';
import type { IssuerService } from '../src/issuer-service.js';
import { TEST_BACKENDS, type TestBackend } from './support/backends.js';
import { makeHolder } from './support/holder.js';
import { newPerson } from './support/people.js';
import { apply, GOOD_ATTRIBUTES, nextYear, RecordingRootAnchor, startService } from './support/service.js';

/**
 * Separation of duties (issue 9, item 14): roles on reviewer keys checked per route, four-eyes when
 * attributes change, a bounded credential lifetime, rate-limited reviewer routes, and an audit trail
 * of every decision (who, with which role, what).
 */
const KEYS = {
  rita: '65TMX4c1PojWoDQMLE4BLyyHcQs8JgQ3', // reviewer
  arno: 'KE9N4y3qr2c89sWZ16M0fFlCHDpsH2ZU', // approver
  vera: 'k3cCaSub13qFgE7RzLiAIjE1GdCAHq2c', // revoker
  paul: 'JRtGmhLr8cUKbhYIbrOlQpa1cHlElqLt', // publisher
  ada: 'xQF0n8zRQfpCO3uWMZmmSidtT2LdsuTV', // admin
  sam: 'XLYQE9v9nYng5q710ZeO5yd5Zln70B2F', // reviewer + approver
  rex: '04fFyWmVI0rqiJHkagZniOIxwcnHeDwG', // approver + revoker
};
const as = (name: keyof typeof KEYS) => ({ 'x-api-key': KEYS[name] });

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let backend: TestBackend;

async function fresh(env: Record<string, string> = {}, anchor?: RecordingRootAnchor) {
  const db = await backend.freshDatabase();
  cleanups.push(db.cleanup);
  const config = {
    ...loadConfig({
      ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H',
      REVIEWER_API_KEYS: [
        `rita:${KEYS.rita}:reviewer`,
        `arno:${KEYS.arno}:approver`,
        `vera:${KEYS.vera}:revoker`,
        `paul:${KEYS.paul}:publisher`,
        `ada:${KEYS.ada}:admin`,
        `sam:${KEYS.sam}:reviewer+approver`,
        `rex:${KEYS.rex}:approver+revoker`,
      ].join(','),
      PUBLISH_INTERVAL_SECONDS: '0',
      ...env,
    }),
    ...db.config,
  };
  const service = await startService(config, { anchor });
  cleanups.push(() => service.close());
  return service;
}

async function pending(service: IssuerService, attributes: Record<string, unknown> = GOOD_ATTRIBUTES) {
  const applied = await apply(service, makeHolder(), { attributes });
  expect(applied.statusCode).toBe(201);
  return applied.json as { id: string; accessToken: string };
}

/** Sends the request, asserts the refusal and that no table changed. */
async function refused(service: IssuerService, request: InjectOptions, expected: Record<string, unknown>) {
  const before = await service.store.rowCounts();
  const res = await service.app.inject(request);
  expect({ status: res.statusCode, ...res.json().error }).toMatchObject(expected);
  expect(await service.store.rowCounts()).toEqual(before);
  return res.json().error as { message: string };
}

function inYears(years: number): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString().slice(0, 10);
}

describe.each(TEST_BACKENDS.map((b) => [b.name, b] as const))('separation of duties on %s', (_name, b: TestBackend) => {
  beforeAll(() => {
    backend = b;
  });

  it('checks the role per route: 403 naming the missing role, nothing changed', async () => {
    const service = await fresh({}, new RecordingRootAnchor());
    const app = await pending(service);
    const approve = { method: 'POST' as const, url: `/applications/${app.id}/approve`, payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } } };
    for (const who of ['rita', 'vera', 'paul', 'ada'] as const) {
      const err = await refused(service, { ...approve, headers: as(who) }, { status: 403, code: 'missing_role', field: 'x-api-key', rule: 'approver' });
      expect(err.message).toMatch(/approver/);
    }
    await refused(service, { method: 'POST', url: '/tree/publish', headers: as('arno') }, { status: 403, code: 'missing_role', rule: 'publisher' });
    await refused(service, { method: 'GET', url: '/audit', headers: as('rita') }, { status: 403, code: 'missing_role', rule: 'admin' });
    await refused(service, { method: 'GET', url: '/applications?status=pending', headers: as('paul') }, { status: 403, code: 'missing_role' });

    const approved = await service.app.inject({ ...approve, headers: as('arno') });
    expect(approved.statusCode).toBe(201);
    const credentialId = approved.json().credentialId;
    for (const who of ['rita', 'arno', 'paul'] as const) {
      await refused(service, { method: 'POST', url: `/credentials/${credentialId}/revoke`, headers: as(who), payload: { reason: 'x' } }, { status: 403, code: 'missing_role', rule: 'revoker' });
    }
    expect((await service.app.inject({ method: 'POST', url: `/credentials/${credentialId}/revoke`, headers: as('vera'), payload: { reason: 'sanctions hit' } })).statusCode).toBe(200);
    expect((await service.app.inject({ method: 'POST', url: '/tree/publish', headers: as('paul') })).json().status).toBe('published');
    // Reading one's own key: name and roles, for a console to show what it may do.
    expect((await service.app.inject({ method: 'GET', url: '/reviewers/me', headers: as('sam') })).json()).toEqual({ name: 'sam', roles: ['reviewer', 'approver'] });
  });

  it('four-eyes: changed attributes need a proposal by one key and an approval by a different approver key', async () => {
    const service = await fresh();
    const app = await pending(service);
    const url = `/applications/${app.id}/approve`;
    const changed = { kycLevel: 3, investorClasses: ['accredited'] };

    // One key cannot override attributes on its own, even holding both roles.
    const err = await refused(
      service,
      { method: 'POST', url, headers: as('sam'), payload: { expiryDate: nextYear(), person: newPerson(), attributes: changed } },
      { status: 409, code: 'proposal_required', field: 'attributes', rule: 'four-eyes' },
    );
    expect(err.message).toMatch(/proposal/);

    // sam proposes the verified values…
    const person = newPerson();
    const proposal = await service.app.inject({
      method: 'POST',
      url: `/applications/${app.id}/proposal`,
      headers: as('sam'),
      payload: { attributes: changed, person, reason: 'accreditation letter checked' },
    });
    expect(proposal.statusCode).toBe(201);
    expect(proposal.json()).toMatchObject({ applicationId: app.id, reviewer: 'sam', changesAttributes: true, attributes: { ...GOOD_ATTRIBUTES, ...changed } });
    // … and cannot approve them himself.
    const proposalId = proposal.json().id as number;
    expect(proposalId).toEqual(expect.any(Number));
    await refused(service, { method: 'POST', url, headers: as('sam'), payload: { expiryDate: nextYear(), proposalId } }, { status: 403, code: 'four_eyes', field: 'x-api-key', rule: 'four-eyes' });
    // The approval takes the proposal as it stands: no new values slipped in at approval time.
    await refused(
      service,
      { method: 'POST', url, headers: as('arno'), payload: { expiryDate: nextYear(), proposalId, attributes: { kycLevel: 9 } } },
      { status: 409, code: 'proposal_mismatch', field: 'attributes' },
    );
    // A reviewer without the approver role proposes; a different approver approves.
    const approved = await service.app.inject({ method: 'POST', url, headers: as('arno'), payload: { expiryDate: nextYear(), proposalId } });
    expect(approved.statusCode).toBe(201);
    const cred = await service.app.inject({ method: 'GET', url: `/credentials/${approved.json().credentialId}`, headers: { authorization: `Bearer ${app.accessToken}` } });
    const vc = await verifyKycCredential(cred.json().vc, { issuerDid: service.issuerDid });
    expect(vc.credential!.credentialSubject).toMatchObject({ kycLevel: 3, investorClasses: ['accredited'] });

    // Unchanged declared values: one approver key may verify the person, set the level and approve alone.
    const plain = await pending(service);
    expect(
      (
        await service.app.inject({
          method: 'POST',
          url: `/applications/${plain.id}/approve`,
          headers: as('sam'),
          payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 } },
        })
      ).statusCode,
    ).toBe(201);
    // A proposal needs the reviewer role.
    const third = await pending(service);
    await refused(
      service,
      { method: 'POST', url: `/applications/${third.id}/proposal`, headers: as('arno'), payload: { person: newPerson() } },
      { status: 403, code: 'missing_role', rule: 'reviewer' },
    );
  });

  it('refuses a bad proposal naming the field and the rule, and changes nothing', async () => {
    const service = await fresh();
    const app = await pending(service);
    const url = `/applications/${app.id}/proposal`;
    const cases: Array<[Record<string, unknown>, number, string, string | undefined]> = [
      [{}, 400, 'person', 'required'],
      [{ person: newPerson(), attributes: { jurisdiction: 'QQ', kycLevel: 2 } }, 400, 'attributes.jurisdiction', 'iso3166-alpha2'],
      [{ person: newPerson(), attributes: { kycLevel: 256 } }, 400, 'attributes.kycLevel', undefined],
      [{ person: newPerson({ issuingCountry: 'XX' }), attributes: { kycLevel: 2 } }, 400, 'person.issuingCountry', 'iso3166-alpha2'],
      [{ person: newPerson(), reason: '' }, 400, 'reason', 'minLength'],
      [{ person: newPerson(), attributes: { kycLevel: 2 }, reason: ' \n\t ' }, 400, 'reason', 'not-blank'],
      [{ person: newPerson(), approve: true }, 400, 'approve', 'additionalProperties'],
    ];
    for (const [payload, status, field, rule] of cases) {
      await refused(service, { method: 'POST', url, headers: as('rita'), payload }, { status, code: 'invalid_field', field, ...(rule ? { rule } : {}) });
    }
    await refused(
      service,
      { method: 'POST', url: '/applications/00000000-0000-4000-8000-000000000000/proposal', headers: as('rita'), payload: { person: newPerson() } },
      { status: 404, code: 'not_found' },
    );
    await service.app.inject({ method: 'POST', url: `/applications/${app.id}/reject`, headers: as('rita'), payload: { reason: 'duplicate' } });
    await refused(service, { method: 'POST', url, headers: as('rita'), payload: { person: newPerson() } }, { status: 409, code: 'application_not_pending' });
  });

  it('bounds the credential lifetime: an expiry beyond the configured maximum is refused naming the field and the rule', async () => {
    const service = await fresh({ MAX_CREDENTIAL_LIFETIME_DAYS: '730' });
    const app = await pending(service);
    const url = `/applications/${app.id}/approve`;
    for (const expiryDate of ['2999-12-31', inYears(3)]) {
      const err = await refused(
        service,
        { method: 'POST', url, headers: as('arno'), payload: { expiryDate, person: newPerson(), attributes: { kycLevel: 2 } } },
        { status: 400, code: 'invalid_field', field: 'expiryDate', rule: 'max-lifetime' },
      );
      expect(err.message).toMatch(/730 days/);
    }
    expect((await service.app.inject({ method: 'POST', url, headers: as('arno'), payload: { expiryDate: inYears(1), person: newPerson(), attributes: { kycLevel: 2 } } })).statusCode).toBe(201);
    // Default: five years.
    expect(loadConfig({ ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H' }).maxCredentialLifetimeDays).toBe(1826);
    expect(() =>
      loadConfig({ ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H', ZKKYC_DEV: '1', AUTO_APPROVE: '1', AUTO_APPROVE_VALIDITY_DAYS: '900', MAX_CREDENTIAL_LIFETIME_DAYS: '365' }),
    ).toThrow(/AUTO_APPROVE_VALIDITY_DAYS/);
  });

  it('rate-limits reviewer routes per key', async () => {
    const service = await fresh({ REVIEWER_RATE_LIMIT: '3' });
    const list = (who: 'rita' | 'sam') => service.app.inject({ method: 'GET', url: '/applications', headers: as(who) });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await list('rita')).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    expect((await list('rita')).json().error.code).toBe('rate_limited');
    expect((await list('sam')).statusCode).toBe(200);
  });

  it('records every decision in the audit trail: who, with which role, what — and the admin reads it', async () => {
    const service = await fresh({}, new RecordingRootAnchor());
    const a = await pending(service);
    const b = await pending(service);
    const person = newPerson();
    const proposed = await service.app.inject({ method: 'POST', url: `/applications/${a.id}/proposal`, headers: as('rita'), payload: { attributes: { kycLevel: 4 }, person } });
    const approved = await service.app.inject({ method: 'POST', url: `/applications/${a.id}/approve`, headers: as('arno'), payload: { expiryDate: nextYear(), proposalId: proposed.json().id } });
    expect(approved.statusCode).toBe(201);
    await service.app.inject({ method: 'POST', url: `/applications/${b.id}/reject`, headers: as('rita'), payload: { reason: 'document expired' } });
    await service.app.inject({ method: 'POST', url: `/credentials/${approved.json().credentialId}/revoke`, headers: as('vera'), payload: { reason: 'fraud' } });
    await service.app.inject({ method: 'POST', url: '/tree/publish', headers: as('paul') });

    const audit = await service.app.inject({ method: 'GET', url: '/audit', headers: as('ada') });
    expect(audit.statusCode).toBe(200);
    const events = audit.json().items.map((e: Record<string, unknown>) => ({ actor: e.actor, role: e.role, action: e.action, subjectId: e.subjectId }));
    expect(events).toEqual([
      { actor: 'rita', role: 'reviewer', action: 'propose', subjectId: a.id },
      { actor: 'arno', role: 'approver', action: 'approve', subjectId: a.id },
      { actor: 'rita', role: 'reviewer', action: 'reject', subjectId: b.id },
      { actor: 'vera', role: 'revoker', action: 'revoke', subjectId: approved.json().credentialId },
      { actor: 'paul', role: 'publisher', action: 'publish', subjectId: null },
    ]);
    const approval = audit.json().items[1];
    expect(approval.detail).toMatchObject({ credentialId: approved.json().credentialId, proposedBy: 'rita', changedAttributes: [], attributes: { kycLevel: 4 } });
    // The verified person never appears in plain form, not even in the audit trail.
    expect(JSON.stringify(audit.json())).not.toContain(person.documentNumber);
    expect(typeof approval.at).toBe('string');
  });
  it('replacing a person’s active credential needs the revoker role and the credential named in `replaces`; nothing is written otherwise', async () => {
    const service = await fresh();
    const victim = newPerson();
    const first = await pending(service);
    const issued = await service.app.inject({
      method: 'POST',
      url: `/applications/${first.id}/approve`,
      headers: as('arno'),
      payload: { expiryDate: nextYear(), person: victim, attributes: { kycLevel: 2 } },
    });
    expect(issued.statusCode).toBe(201);
    const victimCredential = issued.json().credentialId as string;

    // An approver-only key names the victim's document on another application: it may not revoke.
    const other = await pending(service);
    const url = `/applications/${other.id}/approve`;
    for (const payload of [
      { expiryDate: nextYear(), person: victim, attributes: { kycLevel: 2 } },
      { expiryDate: nextYear(), person: victim, attributes: { kycLevel: 2 }, replaces: victimCredential },
    ]) {
      const err = await refused(service, { method: 'POST', url, headers: as('arno'), payload }, { status: 403, code: 'missing_role', field: 'x-api-key', rule: 'revoker' });
      expect(err.message).toMatch(/replac/);
    }
    // A key that may revoke must still name the credential it replaces (the 409 says which).
    const unnamed = await refused(
      service,
      { method: 'POST', url, headers: as('rex'), payload: { expiryDate: nextYear(), person: victim, attributes: { kycLevel: 2 } } },
      { status: 409, code: 'replacement_unconfirmed', field: 'replaces' },
    );
    expect(unnamed.message).toContain(victimCredential);
    await refused(
      service,
      { method: 'POST', url, headers: as('rex'), payload: { expiryDate: nextYear(), person: victim, attributes: { kycLevel: 2 }, replaces: '00000000-0000-4000-8000-000000000000' } },
      { status: 409, code: 'replacement_unconfirmed', field: 'replaces' },
    );
    expect((await service.store.getCredential(victimCredential))!.status).toBe('active');
    // Naming a replacement where there is none is refused too: the approver thought otherwise.
    const third = await pending(service);
    await refused(
      service,
      {
        method: 'POST',
        url: `/applications/${third.id}/approve`,
        headers: as('rex'),
        payload: { expiryDate: nextYear(), person: newPerson(), attributes: { kycLevel: 2 }, replaces: victimCredential },
      },
      { status: 409, code: 'replacement_unconfirmed', field: 'replaces' },
    );

    // The proposal and the pending list show that approving will replace the active credential.
    const proposed = await service.app.inject({ method: 'POST', url: `/applications/${other.id}/proposal`, headers: as('rita'), payload: { person: victim, attributes: { kycLevel: 2 } } });
    expect(proposed.statusCode).toBe(201);
    expect(proposed.json().replacesCredentialId).toBe(victimCredential);
    const listed = (await service.app.inject({ method: 'GET', url: '/applications?status=pending', headers: as('rex') })).json().items;
    expect(listed.find((i: { id: string }) => i.id === other.id).proposal.replacesCredentialId).toBe(victimCredential);

    // Named, by a key holding both roles: replaced in the same transaction.
    const replaced = await service.app.inject({ method: 'POST', url, headers: as('rex'), payload: { expiryDate: nextYear(), proposalId: proposed.json().id, replaces: victimCredential } });
    expect(replaced.statusCode).toBe(201);
    expect(replaced.json().replacedCredentialId).toBe(victimCredential);
    expect((await service.store.getCredential(victimCredential))!.status).toBe('revoked');
    const trail = await service.store.listAuditEvents({ offset: 0, limit: 10, subjectId: victimCredential });
    expect(trail.map((e) => ({ actor: e.actor, role: e.role, action: e.action }))).toEqual([{ actor: 'rex', role: 'revoker', action: 'replace' }]);
  });

  it('the approval names the proposal it approves: a proposal swapped after the approver looked is refused, nothing written', async () => {
    const service = await fresh();
    const app = await pending(service);
    const url = `/applications/${app.id}/approve`;
    const p1 = await service.app.inject({ method: 'POST', url: `/applications/${app.id}/proposal`, headers: as('rita'), payload: { person: newPerson(), attributes: { kycLevel: 3 } } });
    expect(p1.statusCode).toBe(201);
    // The approver reads the pending list and reviews the proposal there.
    const seen = (await service.app.inject({ method: 'GET', url: '/applications?status=pending', headers: as('arno') })).json().items[0].proposal;
    expect(seen.id).toBe(p1.json().id);
    // The reviewer swaps it for another one…
    const p2 = await service.app.inject({
      method: 'POST',
      url: `/applications/${app.id}/proposal`,
      headers: as('rita'),
      payload: { person: newPerson(), attributes: { kycLevel: 4, investorClasses: ['accredited'] } },
    });
    expect(p2.statusCode).toBe(201);
    expect(p2.json().id).not.toBe(p1.json().id);
    // … and the approval of what the approver saw is refused.
    await refused(service, { method: 'POST', url, headers: as('arno'), payload: { expiryDate: nextYear(), proposalId: seen.id } }, { status: 409, code: 'proposal_changed', field: 'proposalId' });
    // An approval that names no proposal, while there is one, is refused too.
    await refused(service, { method: 'POST', url, headers: as('arno'), payload: { expiryDate: nextYear() } }, { status: 409, code: 'proposal_unconfirmed', field: 'proposalId' });
    // A proposal id on an application without proposals is refused.
    const bare = await pending(service);
    await refused(
      service,
      { method: 'POST', url: `/applications/${bare.id}/approve`, headers: as('arno'), payload: { expiryDate: nextYear(), person: newPerson(), proposalId: p2.json().id } },
      { status: 409, code: 'proposal_changed', field: 'proposalId' },
    );
    // Malformed ids are schema errors naming the field.
    await refused(
      service,
      { method: 'POST', url, headers: as('arno'), payload: { expiryDate: nextYear(), proposalId: String(p2.json().id) } },
      { status: 400, code: 'invalid_field', field: 'proposalId', rule: 'type' },
    );
    await refused(
      service,
      { method: 'POST', url, headers: as('arno'), payload: { expiryDate: nextYear(), proposalId: 0 } },
      { status: 400, code: 'invalid_field', field: 'proposalId', rule: 'minimum' },
    );
    await refused(
      service,
      { method: 'POST', url, headers: as('arno'), payload: { expiryDate: nextYear(), proposalId: p2.json().id, replaces: 'x\u0000' } },
      { status: 400, code: 'invalid_field', field: 'replaces', rule: 'format' },
    );
    // Naming the latest issues exactly it.
    const approved = await service.app.inject({ method: 'POST', url, headers: as('arno'), payload: { expiryDate: nextYear(), proposalId: p2.json().id } });
    expect(approved.statusCode).toBe(201);
    expect((await service.store.getCredential(approved.json().credentialId))!.attributes).toMatchObject({ kycLevel: 4, investorClasses: ['accredited'] });
  });
  it('refuses NUL and anything but an id in /audit?subjectId with 400 naming the field (it reaches SQL)', async () => {
    const service = await fresh();
    for (const subjectId of ['%00', 'a%00b', '%27%20OR%201%3D1', '%E2%80%8B']) {
      await refused(service, { method: 'GET', url: `/audit?subjectId=${subjectId}`, headers: as('ada') }, { status: 400, code: 'invalid_field', field: 'subjectId', rule: 'pattern' });
    }
    const ok = await service.app.inject({ method: 'GET', url: '/audit?subjectId=00000000-0000-4000-8000-000000000000', headers: as('ada') });
    expect(ok.statusCode).toBe(200);
    // Every other query or path string that reaches SQL has a pattern, format or enum too.
    await refused(service, { method: 'GET', url: '/credentials/%00/status' }, { status: 400, code: 'invalid_field', field: 'id', rule: 'format' });
    await refused(service, { method: 'GET', url: '/applications/%00', headers: as('rita') }, { status: 400, code: 'invalid_field', field: 'id', rule: 'format' });
    await refused(service, { method: 'GET', url: '/applications?status=%00', headers: as('rita') }, { status: 400, code: 'invalid_field', field: 'status', rule: 'enum' });
    await refused(service, { method: 'GET', url: '/tree/leaves?offset=%00' }, { status: 400, code: 'invalid_field', field: 'offset', rule: 'pattern' });
  });
});
