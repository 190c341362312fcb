/**
 * The reviewer console (issuer-service/console) in a real headless Chromium, against an issuer
 * service on 127.0.0.1 (SQLite, a recording root anchor, the console built with Vite into a
 * temporary directory). Two holders apply through the API: one declares no KYC level, the other (an
 * older app) requests one, which the console shows as a request and never pre-selects. Alice
 * (reviewer and approver) signs in, opens the first application and proposes the verified values —
 * another jurisdiction than declared, and the level she chose (a wrong issuing country first,
 * refused in words naming the field); her own approval is refused by the four-eyes rule, in words;
 * Bob (approver) approves in his browser and the credential is issued.
 * Alice rejects the second application with a reason. The key lives in the page's memory only: a
 * reload asks for it again. /docs works under its own CSP. Bob revokes the credential (reason, confirm
 * dialog), publishes the root and reads the audit trail. Every view is checked with axe-core and
 * for sideways scrolling at 390 px; screenshots of each step go to test/artifacts/console-NN-*.png.
 * The API's answers are asserted alongside, and the served page's headers and its 503 when unbuilt.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../../wallet-demo/test/browser-session.js';
import type { ConsoleView } from '../console/src/main.js';
import type { IssuerService } from '../src/issuer-service.js';
import { loadConfig } from '../src/config.js';
import { makeHolder } from './support/holder.js';
import { apply, RecordingRootAnchor, REVIEWER_KEY, OTHER_REVIEWER_KEY, startService } from './support/service.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const serviceRoot = resolve(here, '..');
const repoRoot = resolve(serviceRoot, '..');
const artifacts = join(here, 'artifacts');
const AXE = join(repoRoot, 'node_modules/axe-core/axe.min.js');

/** Declared by the applicant: no KYC level (a real KYC flow does not let the applicant choose one). */
const DECLARED = { jurisdiction: 'FR', birthDate: '1990-04-12', investorClasses: ['professional-eu'] };
/** What an older app still sends: a level the applicant asks for — a request, never issued. */
const REQUESTING = { ...DECLARED, kycLevel: 4 };
const VIEWS_CHECKED: ConsoleView[] = ['queue', 'application', 'credentials', 'publications', 'audit'];

let step = 0;
/** `console-NN-<name>.png`, numbered in the order the story takes. */
const shot = (page: Page, name: string) => screenshot(page, artifacts, `console-${String(++step).padStart(2, '0')}-${name}`);

/** Waits until the view has loaded (main.ts sets data-ready on #view). */
const settled = (page: Page) => page.locator('#view[data-ready="true"]').waitFor({ timeout: 15_000 });

/** axe-core over the whole page: no violations. Injected from node_modules (the context bypasses CSP for it). */
async function expectAccessible(page: Page, where: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown }> }> }> } }).axe.run(document);
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
  });
  expect({ where, violations }).toEqual({ where, violations: [] });
}

/** At 390 px wide the document must not scroll sideways. */
async function expectNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const before = page.viewportSize();
  if (before?.width !== 390) await page.setViewportSize({ width: 390, height: 844 });
  // The widest elements sticking out, to say what to fix when this fails.
  const { overflow, culprits } = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > width + 0.5);
    const culprits = wide.slice(-3).map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px)`);
    return { overflow: document.documentElement.scrollWidth - width, culprits };
  });
  if (before && before.width !== 390) await page.setViewportSize(before);
  expect({ where, overflow, culprits: overflow > 0 ? culprits : [] }).toEqual({ where, overflow: 0, culprits: [] });
}

async function checkView(page: Page, where: string): Promise<void> {
  await expectAccessible(page, where);
  await expectNoSidewaysScroll(page, where);
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('Reviewer key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#reviewer-line:not([hidden])').waitFor();
  await settled(page);
}

async function goTo(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.locator(`#view[data-view="${hash.split('/')[0]}"][data-ready="true"]`).waitFor({ timeout: 15_000 });
}

describe('reviewer console in a headless browser', () => {
  let dir: string;
  let service: IssuerService;
  let browser: Browser;
  let url: string;
  const contexts: BrowserContext[] = [];
  const applications: { approved: string; rejected: string } = { approved: '', rejected: '' };
  let credentialId = '';

  const api = async (path: string, key = OTHER_REVIEWER_KEY) => {
    const res = await service.app.inject({ method: 'GET', url: path, headers: { 'x-api-key': key } });
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  const openConsole = async (viewport: { width: number; height: number }, bypassCSP = true): Promise<Page> => {
    const context = await browser.newContext({ viewport, bypassCSP });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error(`[browser] ${err.message}`));
    await page.goto(`${url}/console/`);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
    return page;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'issuer-console-'));
    const consoleDir = join(dir, 'console');
    const built = spawnSync(
      process.execPath,
      [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(serviceRoot, 'console/vite.config.ts'), '--outDir', consoleDir, '--emptyOutDir'],
      {
        cwd: join(serviceRoot, 'console'),
        encoding: 'utf8',
      },
    );
    if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr || built.stdout}`);

    const config = loadConfig({
      ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H',
      // Alice may propose and approve (so the four-eyes rule, not a missing role, is what stops her);
      // Bob approves, revokes, publishes and reads the audit trail.
      REVIEWER_API_KEYS: `alice:${REVIEWER_KEY}:reviewer+approver+admin,bob:${OTHER_REVIEWER_KEY}:approver+revoker+publisher+admin`,
      DATABASE_PATH: join(dir, 'issuer.sqlite'),
      PUBLISH_INTERVAL_SECONDS: '0',
    });
    service = await startService(config, { anchor: new RecordingRootAnchor(), consoleDir });
    url = await service.app.listen({ host: '127.0.0.1', port: 0 });

    for (const [key, attributes] of [
      ['approved', DECLARED],
      ['rejected', REQUESTING],
    ] as const) {
      const applied = await apply(service, makeHolder(), { attributes });
      expect(applied.statusCode).toBe(201);
      applications[key] = applied.json.id;
      expect((await api(`/applications/${applied.json.id}`)).attributes).toEqual(attributes);
    }
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await service?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the console with a strict Content-Security-Policy, no framing, nosniff and no referrer', async () => {
    const res = await fetch(`${url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'.*connect-src 'self'.*frame-ancestors 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const asset = (await res.text()).match(/assets\/[A-Za-z0-9._-]+\.js/)![0];
    const script = await fetch(`${url}/console/${asset}`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${url}/console/assets/..%2F..%2Fissuer.sqlite`)).status).toBe(400);
  });

  it('works under its own CSP (nothing inline is blocked)', async () => {
    const page = await openConsole({ width: 390, height: 844 }, false);
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await signIn(page, REVIEWER_KEY);
    await goTo(page, `application/${applications.approved}`);
    expect(blocked).toEqual([]);
    await page.context().close();
  });

  it('keeps the key in memory only: nothing in Web Storage, and a reload asks for the key again', async () => {
    const page = await openConsole({ width: 1100, height: 900 });
    await expect(page.locator('#sign-in').textContent()).resolves.toContain('reloading or closing the page forgets it');
    await signIn(page, REVIEWER_KEY);
    const stored = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length, cookie: document.cookie }));
    expect(stored).toEqual({ session: 0, local: 0, cookie: '' });
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
    expect(await page.locator('#views').isHidden()).toBe(true);
    expect(await page.locator('#view').textContent()).toBe('');
    await page.context().close();
  });

  it('serves /docs (Swagger UI, same origin as the console) under a Content-Security-Policy it works with', async () => {
    const res = await fetch(`${url}/docs/`);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self';.*frame-ancestors 'none'/);
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await page.goto(`${url}/docs/`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 15_000 });
    await page.getByText('/applications/{id}/approve').first().waitFor();
    expect(blocked).toEqual([]);
    await context.close();
  });

  it("walks the queue, the proposal, the four-eyes refusal, Bob's approval, a rejection, a revocation, a publication and the audit trail", async () => {
    // Alice, on a phone-sized screen.
    const alice = await openConsole({ width: 390, height: 844 });
    await checkView(alice, 'sign in');
    await shot(alice, 'sign-in');

    // A wrong key is refused in words.
    await alice.getByLabel('Reviewer key').fill('not-a-reviewer-key-at-all');
    await alice.getByRole('button', { name: 'Sign in' }).click();
    await expect(alice.locator('#sign-in-status [role="alert"]').textContent()).resolves.toMatch(/not accepted.*Field: reviewer key/);

    await signIn(alice, REVIEWER_KEY);
    expect(await alice.locator('#reviewer-line').textContent()).toBe('Signed in as alice. Roles: reviewer, approver, admin.');
    // The queue: both applications, oldest first, nothing proposed yet.
    const rows = alice.locator('#view tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    await expect(rows.first().textContent()).resolves.toContain('No proposal yet.');
    await checkView(alice, 'queue');
    await shot(alice, 'queue');

    // The filter narrows the queue.
    await alice.getByLabel('Applicant DID, jurisdiction or reviewer contains').fill('nobody-matches-this');
    await alice.getByRole('button', { name: 'Filter' }).click();
    await alice.getByText('No application matches the filter.').waitFor();
    await alice.getByLabel('Applicant DID, jurisdiction or reviewer contains').fill('FR');
    await alice.getByRole('button', { name: 'Filter' }).click();
    await alice.getByText('2 of 2 shown, oldest first.').waitFor();
    await expect(alice.locator('#view tbody tr').count()).resolves.toBe(2);

    // The application: what was declared (no level), and the evidence held.
    await goTo(alice, `application/${applications.approved}`);
    const declared = await alice.locator('section[aria-labelledby="declared-title"]').textContent();
    expect(declared).toContain('not declared (the reviewer sets it)');
    expect(declared).toContain('Professional client (EU)');
    await checkView(alice, 'application');
    await shot(alice, 'application');

    // Propose: no level is chosen for her, and the form will not send without one.
    await alice.getByLabel('Document type').selectOption('passport');
    await alice.getByLabel('Issuing country').fill('XX');
    await alice.getByLabel('Document number').fill('12AB34567');
    await alice.getByLabel('Family name').fill('Martin');
    await alice.getByLabel('Given names').fill('Claire Anne');
    expect(await alice.getByLabel('KYC level').inputValue()).toBe('');
    await alice.getByRole('button', { name: 'Propose' }).click();
    const refusal = alice.locator('form[aria-labelledby="propose-title"] [role="alert"]');
    await expect(refusal.textContent()).resolves.toBe('Choose the KYC level you verified.');
    // She verified another jurisdiction than declared (so four eyes apply) and the level her checks support;
    // the document's country is wrong first: the service's refusal names the field and rule.
    await alice.getByLabel('Jurisdiction').fill('BE');
    await alice.getByLabel('KYC level').selectOption('2');
    await alice.getByRole('button', { name: 'Propose' }).click();
    await expect(refusal.textContent()).resolves.toMatch(/A value was not accepted\. Field: issuing country \(rule: [a-z0-9-]+\)\./);
    expect(await alice.getByLabel('Issuing country').getAttribute('aria-invalid')).toBe('true');
    expect(await alice.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('alert');
    await checkView(alice, 'proposal refused');
    await shot(alice, 'proposal-field-error');

    await alice.getByLabel('Issuing country').fill('FR');
    await alice.getByRole('button', { name: 'Propose' }).click();
    await alice
      .locator('#status [role="status"]')
      .getByText(/Proposal \d+ recorded/)
      .waitFor();
    const proposal = (await api(`/applications/${applications.approved}/proposal`)) as { id: number; reviewer: string; changedAttributes: string[]; attributes: { kycLevel: number } };
    expect(proposal).toMatchObject({ reviewer: 'alice', changedAttributes: ['jurisdiction'], attributes: { jurisdiction: 'BE', kycLevel: 2 } });
    await alice.locator(`#proposal-title`).getByText(`Proposal ${proposal.id}`).waitFor();
    await checkView(alice, 'proposed');
    await shot(alice, 'proposed');

    // Alice tries to approve her own proposal: the four-eyes rule refuses, in words.
    await alice.getByRole('button', { name: `Approve proposal ${proposal.id}` }).click();
    const fourEyes = alice.locator('form[aria-labelledby="approve-title"] [role="alert"]');
    await expect(fourEyes.textContent()).resolves.toMatch(
      /^Four-eyes rule: the key that proposed these values cannot also approve them\. Another approver must approve\. Field: reviewer key \(rule: four-eyes\)\./,
    );
    expect((await api(`/applications/${applications.approved}`)).status).toBe('pending');
    await checkView(alice, 'four-eyes refusal');
    await shot(alice, 'four-eyes-refused');

    // Bob, on a desktop-sized screen, approves it.
    const bob = await openConsole({ width: 1100, height: 900 });
    await signIn(bob, OTHER_REVIEWER_KEY);
    await expect(bob.locator('#view tbody tr').first().textContent()).resolves.toContain('proposed by alice; changes jurisdiction');
    await shot(bob, 'bob-queue');
    await goTo(bob, `application/${applications.approved}`);
    // Bob holds no reviewer role: no proposal form, only approve (and reject).
    await expect(bob.locator('#propose-title').count()).resolves.toBe(0);
    await bob.getByRole('button', { name: `Approve proposal ${proposal.id}` }).click();
    await bob
      .locator('#status [role="status"]')
      .getByText(/Approved\. Credential .+ is issued\./)
      .waitFor();
    const approved = await api(`/applications/${applications.approved}`);
    expect(approved).toMatchObject({ status: 'approved', credentialStatus: 'active', attributes: DECLARED });
    credentialId = approved.credentialId;
    expect((await fetch(`${url}/credentials/${credentialId}/status`).then((r) => r.json())).status).toBe('active');
    const auditApproval = (await api(`/audit?subjectId=${applications.approved}`)).items.find((e: { action: string }) => e.action === 'approve');
    expect(auditApproval).toMatchObject({
      actor: 'bob',
      role: 'approver',
      detail: { proposedBy: 'alice', proposalId: proposal.id, changedAttributes: ['jurisdiction'], attributes: { jurisdiction: 'BE', kycLevel: 2 } },
    });
    await checkView(bob, 'approved');
    await shot(bob, 'approved');

    // Alice rejects the second application: the reason is required, then recorded.
    await goTo(alice, 'queue');
    await expect(alice.locator('#view tbody tr').count()).resolves.toBe(1);
    await goTo(alice, `application/${applications.rejected}`);
    // An older app's requested level: shown as a request, and not pre-selected.
    await expect(alice.locator('section[aria-labelledby="declared-title"]').textContent()).resolves.toContain('Enhanced, ongoing (4) requested by an older app. A request only, never issued');
    expect(await alice.getByLabel('KYC level').inputValue()).toBe('');
    await alice.getByRole('button', { name: 'Reject application' }).click();
    await expect(alice.locator('form[aria-labelledby="reject-title"] [role="alert"]').textContent()).resolves.toBe('Enter the reason for rejecting.');
    expect((await api(`/applications/${applications.rejected}`)).status).toBe('pending');
    await alice.getByLabel('Reason for rejecting (required)').fill('The passport photo does not match the applicant.');
    await alice.getByRole('button', { name: 'Reject application' }).click();
    await alice.locator('#status [role="status"]').getByText('Application rejected. The reason is recorded.').waitFor();
    expect((await api(`/applications/${applications.rejected}`)).status).toBe('rejected');
    const rejection = (await api(`/audit?subjectId=${applications.rejected}`)).items;
    expect(rejection).toEqual([expect.objectContaining({ actor: 'alice', role: 'reviewer', action: 'reject', detail: { reason: 'The passport photo does not match the applicant.' } })]);
    expect((await api(`/applications/${applications.rejected}`)).attributes).toEqual(REQUESTING);
    await checkView(alice, 'rejected');
    await shot(alice, 'rejected');

    // Bob revokes the credential: confirm dialog, reason required.
    await goTo(bob, 'credentials');
    await checkView(bob, 'credentials');
    await shot(bob, 'credentials');
    await bob.getByRole('button', { name: `Revoke credential ${credentialId.slice(0, 8)}` }).click();
    const dialog = bob.getByRole('dialog', { name: 'Revoke this credential?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Revoke credential' }).click();
    await expect(dialog.locator('[role="alert"]').textContent()).resolves.toBe('Enter the reason for revoking.');
    await dialog.getByLabel('Reason for revoking (required)').fill('Identity document reported stolen.');
    await checkView(bob, 'revoke dialog');
    await shot(bob, 'revoke-dialog');
    await dialog.getByRole('button', { name: 'Revoke credential' }).click();
    await bob.locator('#status [role="status"]').getByText(`Credential ${credentialId} revoked. The next published root drops it.`).waitFor();
    expect((await fetch(`${url}/credentials/${credentialId}/status`).then((r) => r.json())).status).toBe('revoked');
    await expect(bob.locator('#view tbody tr').first().textContent()).resolves.toContain('revoked');
    await shot(bob, 'revoked');

    // Publications: pending, then published by Bob.
    await goTo(bob, 'publications');
    await bob.getByText('Pending: the current root is not published yet (1 leaf in the tree, revoked ones zeroed).').waitFor();
    await checkView(bob, 'publications');
    await bob.getByRole('button', { name: 'Publish now' }).click();
    await bob
      .locator('#status [role="status"]')
      .getByText(/Publication: published\./)
      .waitFor();
    await bob.getByText('Up to date: the current root is the published one.').waitFor();
    await expect(bob.locator('#view table').count()).resolves.toBe(1);
    await shot(bob, 'published');

    // The audit trail shows each decision, who took it and under which role.
    await goTo(bob, 'audit');
    const trail = await bob.locator('#view tbody').textContent();
    for (const text of [
      'proposed verified values',
      'approved',
      'rejected',
      'revoked',
      'published a root',
      'reason: The passport photo does not match the applicant.',
      'reason: Identity document reported stolen.',
    ]) {
      expect(trail).toContain(text);
    }
    await checkView(bob, 'audit');
    await shot(bob, 'audit');
    // Narrowed to one application.
    await bob.getByLabel('Only events about application or credential id').fill(applications.rejected);
    await bob.getByRole('button', { name: 'Show' }).click();
    await bob.getByText('Events 1 to 1, oldest first.').waitFor();
    await expect(bob.locator('#view tbody tr').count()).resolves.toBe(1);

    // Views not yet seen at 390 px on Alice's phone screen.
    for (const view of VIEWS_CHECKED) {
      await goTo(alice, view === 'application' ? `application/${applications.approved}` : view);
      await expectNoSidewaysScroll(alice, `alice ${view}`);
    }
  });

  it('answers 503 with a page saying how to build the console when it was not built', async () => {
    const bare = await startService(
      loadConfig({
        ISSUER_KEY_SECRET: 'qNPJz5YDBjm4HeGqRaU1JHTebxXwST0H',
        REVIEWER_API_KEYS: `alice:${REVIEWER_KEY}:reviewer`,
        DATABASE_PATH: join(dir, 'bare.sqlite'),
        PUBLISH_INTERVAL_SECONDS: '0',
      }),
      { consoleDir: join(dir, 'not-built') },
    );
    try {
      const res = await bare.app.inject({ method: 'GET', url: '/console/' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('npm run build:console -w @zkkyc/issuer-service');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    } finally {
      await bare.close();
    }
  });
});
