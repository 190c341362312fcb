/**
 * The compliance officer's console (compliance-monitor/console) in a real headless Chromium: a
 * monitor server on 127.0.0.1 over a SQLite store filled through the store's own API (a
 * structuring pattern's transfers, a partial and a full freeze, the hit and its case), a sanctions
 * history from two imports of the fixture OFAC files, and the console built with Vite and served by
 * the monitor at /console/. The officer signs in, reads the cases, opens one with its evidence,
 * drafts a SAR, edits the narrative, files it, finds the download links, looks at the freezes, the
 * pending transfers (not configured here: no chain) and the sanctions history; a wrong key is
 * refused in plain words; on a monitor with pending transfers and an agent key, one is rejected with
 * a reason and one approved. Screenshots of each step go to compliance-monitor/test/artifacts/.
 * Then the routes alone (app.inject), and the chain desk against the real rule on a Hardhat node.
 */
import './support/inject-cookie-stub.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ConsoleView } from '../console/src/main.js';
import type { ChainEvent, RuleHit } from '../src/model.js';
import { importList } from '../src/sanctions/imports.js';
import { createMemorySanctionsStore, type SanctionsStore } from '../src/sanctions/store.js';
import { SqlSarStore } from '../src/sar/sql-store.js';
import { ChainPendingTransfers, type PendingTransferDesk, type PendingTransferView } from '../src/routes/transfer-routes.js';
import { createMonitorServer } from '../src/server.js';
import { openMonitorStore } from '../src/store/open-store.js';
import type { MonitorStore } from '../src/store/monitor-store.js';
import { deployZkKyc } from '@zkkyc/sdk';
import { startHardhatNode, type HardhatNode } from './support/chain.js';
import { GATE, TOKEN, block, cursorAt, event } from './support/events.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..');
const artifacts = join(here, 'artifacts');
const OFFICER_KEY = 'olga-officer-key-0123456789';
const W1 = '0x' + 'a1'.repeat(20);
const W2 = '0x' + 'b2'.repeat(20);
const W3 = '0x' + 'c3'.repeat(20);
const POLICY = '7';
const NULLIFIER = '123456789';
const HUNDRED_K = 10n ** 23n;

/** The first view the console shows after sign-in; named here so typecheck follows the console's sources. */
const FIRST_VIEW: ConsoleView = 'cases';

/** System Chromium (or CHROMIUM_PATH), else the one @sparticuz/chromium ships; never a download. */
async function launchChromium(): Promise<Browser> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
  const chosen = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null);
  if (chosen) return chromium.launch({ executablePath: chosen, args: flags });
  const { default: packaged } = await import('@sparticuz/chromium');
  const unwanted = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content']);
  return chromium.launch({ executablePath: await packaged.executablePath(), args: [...new Set([...packaged.args.filter((a: string) => !unwanted.has(a)), ...flags])] });
}

const REGISTRATIONS: Record<'w1' | 'w3', ChainEvent> = {} as Record<'w1' | 'w3', ChainEvent>;

/** The issuer's answer to a disclosure of `registration` (issuer-service's POST /disclosures). */
function issuerAnswer(registration: ChainEvent) {
  return {
    disclosure: { id: 'd1sc-0001', requestId: '1', chainId: 31337, policyId: POLICY, registrationTx: registration.txHash, registrationLogIndex: registration.logIndex },
    record: {
      person: { documentType: 'passport', issuingCountry: 'DE', documentNumber: 'C01X00T47', familyName: 'Mustermann', givenNames: 'Erika', birthDate: '1964-08-12' },
      attributes: { jurisdiction: 'DE' },
      credential: { id: 'urn:uuid:0d15c105-0000-4000-8000-000000000001', status: 'active' },
    },
  };
}

/** A structuring pattern of W1 (investor under POLICY), a partial freeze of W1 and a full freeze of W3. */
async function fillStore(store: MonitorStore): Promise<string> {
  const verified = event(1, 'WalletVerified', { policyId: POLICY, wallet: W1, nullifier: NULLIFIER }, 'gate');
  // The same registration's escrow ciphertext: what a disclosure about W1's investor names.
  const escrow = { ...event(1, 'EscrowCiphertext', { policyId: POLICY, wallet: W1, nullifier: NULLIFIER, escrowX: '5', escrowC: '6' }, 'gate', 1), txHash: verified.txHash };
  const otherEscrow = event(1, 'EscrowCiphertext', { policyId: POLICY, wallet: W3, nullifier: '99', escrowX: '7', escrowC: '8' }, 'gate', 2);
  REGISTRATIONS.w1 = escrow;
  REGISTRATIONS.w3 = otherEscrow;
  const t1 = event(2, 'Transfer', { from: W1, to: W2, value: (HUNDRED_K - 10n ** 21n).toString() });
  const t2 = event(3, 'Transfer', { from: W1, to: W2, value: (HUNDRED_K - 2n * 10n ** 21n).toString() });
  const t3 = event(4, 'Transfer', { from: W1, to: W2, value: (HUNDRED_K - 3n * 10n ** 21n).toString() });
  const frozen = event(5, 'TokensFrozen', { account: W1, amount: '5000' });
  const unfrozen = event(6, 'TokensUnfrozen', { account: W1, amount: '1000' });
  const full = event(7, 'AddressFrozen', { account: W3, frozen: 'true', agent: GATE });
  const transfers = [t1, t2, t3];
  await store.transaction((tx) => tx.writeBatch(31337, [verified, escrow, otherEscrow, ...transfers, frozen, unfrozen, full], [1, 2, 3, 4, 5, 6, 7].map(block), cursorAt(7)));
  const tag = (await store.investorOf(W1)).investorTag!;
  const hit: RuleHit = {
    ruleId: 'structuring',
    rulesVersion: '2026-12-01.1',
    token: TOKEN,
    subject: { investorTag: tag, wallets: [W1] },
    severity: 'high',
    score: 50,
    summary: '3 transfers out just under 100000 within 24 h',
    evidence: {
      events: transfers.map((e) => ({ txHash: e.txHash, logIndex: e.logIndex, blockNumber: e.blockNumber })),
      amounts: transfers.map((e) => e.args.value),
      times: transfers.map((e) => e.blockTime),
      details: { threshold: HUNDRED_K.toString(), count: 3 },
    },
    at: t3.blockTime,
  };
  return store.transaction(async (tx) => {
    const hitId = await tx.insertRuleHit(hit, 31337, t3.blockNumber);
    const caseId = await tx.openCase({ token: TOKEN, subject: hit.subject, at: hit.at, actor: 'monitor', hitIds: [hitId], reason: 'structuring' });
    await tx.appendCaseLog(caseId, 'action', 'monitor', 'done: freeze 5000 base units across 0xa1a1… : froze 5000 of 5000');
    return caseId;
  });
}

describe('compliance console in a headless browser', () => {
  let dir: string;
  let store: MonitorStore;
  let sanctions: SanctionsStore;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let url: string;
  let caseId: string;
  let consoleDir: string;
  const shot = async (name: string) => {
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  };
  /** Waits until the view has finished loading (main.ts sets data-ready on #view). */
  const settled = () => page.locator('#view[data-ready="true"]').waitFor({ timeout: 10_000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monitor-console-'));
    consoleDir = join(dir, 'console');
    const built = spawnSync(process.execPath, [join(root, '../node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'console/vite.config.ts'), '--outDir', consoleDir, '--emptyOutDir'], {
      cwd: join(root, 'console'),
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr || built.stdout}`);

    store = await openMonitorStore({ databasePath: join(dir, 'monitor.sqlite') });
    caseId = await fillStore(store);
    sanctions = createMemorySanctionsStore();
    await importList(sanctions, { source: 'ofac', file: join(root, 'fixtures/sanctions/ofac-sdn.xml'), now: 1_800_000_000 });
    await importList(sanctions, { source: 'ofac', file: join(root, 'fixtures/sanctions/ofac-sdn-next.xml'), now: 1_800_086_400 });
    const sar = new SqlSarStore(store, {
      reportingEntity: { rentityId: '4711', name: 'Example Bond Issuer GmbH', countryCode: 'DE', reportingPerson: { firstName: 'Olga', lastName: 'Officer' } },
    });
    app = await createMonitorServer({
      store,
      officers: [{ name: 'olga', apiKey: OFFICER_KEY }],
      contracts: { token: TOKEN, gate: GATE, registry: '0x' + '5'.repeat(40) },
      sar: { store: sar, token: { chainId: 31337, address: TOKEN, name: 'Example Bond', symbol: 'XBND', decimals: 18 } },
      sanctions,
      consoleDir,
    });
    url = (await app.listen({ host: '127.0.0.1', port: 0 })) + '/console/';
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    page.on('pageerror', (err) => console.error(`[browser] ${err.message}`));
    await page.goto(url);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    await sanctions?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a wrong key is refused in plain words, naming the field', async () => {
    await shot('console-01-sign-in');
    await page.getByLabel('Officer key').fill('not-the-officer-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#sign-in-status [data-tone="error"]');
    await error.waitFor();
    expect(await settledText(error, /officer key was not accepted.*Field: officer key/, false)).toMatch(/officer key was not accepted.*Field: officer key/);
    await expect(page.locator('#views').isHidden()).resolves.toBe(true);
    await shot('console-02-wrong-key');
  });

  test('the officer signs in once and sees the cases with score and status', async () => {
    await page.getByLabel('Officer key').fill(OFFICER_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#case-list').waitFor();
    await expect(page.locator('#view').getAttribute('data-view')).resolves.toBe(FIRST_VIEW);
    const row = page.locator('#case-list tbody tr').first();
    expect(await settledText(row, /structuring.*50.*open/, false)).toMatch(/structuring.*50.*open/);
    // Kept for the tab only; the key never lands in the address or in localStorage.
    await expect(page.evaluate(() => [sessionStorage.length, localStorage.length, location.href.includes('olga')])).resolves.toEqual([1, 0, false]);
    await shot('console-03-cases');
  });

  test('a case shows its evidence timeline and log; a note is added', async () => {
    await page.locator(`a[data-case-id="${caseId}"]`).click();
    await page.locator('#evidence-timeline').waitFor();
    await settled();
    const lines = await page.locator('#evidence-timeline li').evaluateAll((items) => items.map((li) => `${li.getAttribute('data-kind')}: ${li.textContent}`));
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).every((l) => l.startsWith('event: ') && l.includes('Transfer'))).toBe(true);
    expect(lines[3]).toMatch(/^hit: .*rule structuring.*3 transfers out just under/);
    expect(await settledText(page.locator('#case-log'), 'done: freeze 5000 base units', false)).toContain('done: freeze 5000 base units');
    await page.getByLabel('Note').fill("Called the investor's custodian; <b>no answer</b>.");
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.locator('#case-status-line [data-tone="ok"]').waitFor();
    // Text from the API is text: the note's markup is shown, never parsed.
    expect(await settledText(page.locator('#case-log li[data-kind="note"]').last(), '<b>no answer</b>', false)).toContain('<b>no answer</b>');
    await expect(page.locator('#case-log b').count()).resolves.toBe(0);
    await shot('console-04-case-detail');
  });

  test('a status change without a reason is refused with the field named', async () => {
    await page.getByLabel('New status').selectOption('escalated');
    await page.getByRole('button', { name: 'Change status' }).click();
    const error = page.locator('#case-status-line [data-tone="error"]');
    await error.waitFor();
    expect(await settledText(error, /A value was not accepted\. Field: reason\./, false)).toMatch(/A value was not accepted\. Field: reason\./);
    await page.getByLabel('Reason').fill('pattern confirmed by a second transfer chain');
    await page.getByRole('button', { name: 'Change status' }).click();
    await page.locator('#case-status-line [data-tone="ok"]').waitFor();
    expect(await settledText(page.locator('#case-title'), 'escalated', false)).toContain('escalated');
  });

  test("the issuer's answer to an escrow disclosure is attached to the case; another investor's is refused", async () => {
    await expect(page.locator('#no-disclosure').isVisible()).resolves.toBe(true);
    const registrations = await page.locator('#escrow-registrations tbody tr').allTextContents();
    expect(registrations).toHaveLength(1);
    expect(registrations[0]).toContain(POLICY);
    await page.getByLabel("The issuer's answer to the disclosure").fill('not json');
    await page.getByRole('button', { name: 'Attach disclosure' }).click();
    expect(await settledText(page.locator('#case-status-line [data-tone="error"]'), 'not JSON', false)).toContain('not JSON');
    await page.getByLabel("The issuer's answer to the disclosure").fill(JSON.stringify(issuerAnswer(REGISTRATIONS.w3)));
    await page.getByRole('button', { name: 'Attach disclosure' }).click();
    const error = page.locator('#case-status-line [data-tone="error"]');
    expect(await settledText(error, /not about this case.*Field: registration transaction/, false)).toMatch(/not about this case.*Field: registration transaction/);
    await page.getByLabel("The issuer's answer to the disclosure").fill(JSON.stringify(issuerAnswer(REGISTRATIONS.w1)));
    await page.getByRole('button', { name: 'Attach disclosure' }).click();
    await page.locator('#case-status-line [data-tone="ok"]').waitFor();
    expect(await settledText(page.locator('#disclosure-list'), 'Erika Mustermann, born 1964-08-12', false)).toContain('Erika Mustermann, born 1964-08-12 · passport C01X00T47 (DE)');
    await shot('console-05a-case-disclosure');
  });

  test('a SAR is drafted from the case, its narrative edited, filed, and offered for download', async () => {
    await page.getByRole('button', { name: 'Draft SAR' }).click();
    await page.locator('#sar-narrative').waitFor();
    await settled();
    expect(await settledText(page.locator('#sar-title'), /SAR draft sar-000001.*draft/, false)).toMatch(/SAR draft sar-000001.*draft/);
    await expect(page.locator('#sar-narrative').inputValue()).resolves.not.toBe('');
    // The subject is the person the attached disclosure named.
    expect(await page.locator('#view').textContent()).toContain('Erika Mustermann — Escrow disclosure of credential urn:uuid:0d15c105-0000-4000-8000-000000000001');
    await shot('console-05-sar-draft');

    const narrative = 'Three transfers just under the reporting threshold within a day; the wallet was partially frozen. The investor did not answer.';
    await page.getByLabel('Narrative').fill(narrative);
    await page.getByRole('button', { name: 'Save narrative' }).click();
    await page.locator('#sar-status-line [data-tone="ok"]').waitFor();
    expect(await settledText(page.locator('#sar-title'), 'edited', false)).toContain('edited');
    await expect(page.locator('#sar-narrative').inputValue()).resolves.toBe(narrative);
    await shot('console-06-sar-edited');

    await page.getByLabel('FIU reference (optional)').fill('FIU-2026-0042');
    await page.getByRole('button', { name: 'Mark filed' }).click();
    await page.locator('#sar-status-line [data-tone="ok"]').waitFor();
    expect(await settledText(page.locator('#sar-filed'), /by olga · FIU reference FIU-2026-0042/, false)).toMatch(/by olga · FIU reference FIU-2026-0042/);
    await expect(page.locator('#sar-narrative').getAttribute('readonly')).resolves.not.toBeNull();
    await expect(page.getByRole('button', { name: 'Save narrative' }).count()).resolves.toBe(0);

    const xml = page.locator('#download-xml');
    await expect(xml.getAttribute('download')).resolves.toBe('sar-000001.goaml.xml');
    const download = await Promise.all([page.waitForEvent('download'), xml.click()]).then(([d]) => d);
    expect(download.suggestedFilename()).toBe('sar-000001.goaml.xml');
    const saved = join(dir, 'downloaded.xml');
    await download.saveAs(saved);
    const text = await readFile(saved, 'utf8');
    expect(text).toMatch(/^<\?xml/);
    expect(text).toContain('Three transfers just under the reporting threshold');
    await expect(page.locator('#download-html').getAttribute('download')).resolves.toBe('sar-000001.html');
    expect(await settledText(page.locator('#view'), 'null', true)).not.toContain('null');
    await shot('console-07-sar-filed');

    await page.getByRole('link', { name: 'SAR drafts', exact: true }).click();
    await page.locator('#sar-list').waitFor();
    expect(await settledText(page.locator('#sar-list tbody tr').first(), /sar-000001.*filed/, false)).toMatch(/sar-000001.*filed/);
  });

  test('freezes: partial (net of unfreezes) and whole-wallet', async () => {
    await page.getByRole('link', { name: 'Freezes' }).click();
    await page.locator('#freeze-list').waitFor();
    const rows = await page.locator('#freeze-list tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toHaveLength(2);
    expect(rows[0][2]).toBe('frozen');
    expect(rows[1][1]).toBe('4000');
    await shot('console-08-freezes');
  });

  test('pending transfers say plainly that this monitor is not set up for them', async () => {
    await page.getByRole('link', { name: 'Pending transfers' }).click();
    await settled();
    expect(await settledText(page.locator('#view [data-tone="error"]'), /not set up for this.*TRANSFER_APPROVAL_ADDRESS/, false)).toMatch(/not set up for this.*TRANSFER_APPROVAL_ADDRESS/);
    await shot('console-09-pending-not-configured');
  });

  test('the sanctions history shows each import with its diff', async () => {
    await page.getByRole('link', { name: 'Sanctions imports' }).click();
    await page.locator('#import-list').waitFor();
    const cards = page.locator('#import-list article');
    await expect(cards.count()).resolves.toBe(2);
    const newest = (await cards.first().textContent())!;
    expect(newest).toContain('ofac-sdn-next.xml');
    expect(newest).toMatch(/Wallets added|Wallets removed|Entries changed|Entries added|Entries removed/);
    expect(await settledText(cards.last(), /Entries added/, false)).toMatch(/Entries added/);
    await shot('console-10-sanctions');
  });

  test('a key that stops working mid-session sends the officer back to sign in, in plain words', async () => {
    await page.evaluate(() => sessionStorage.setItem('zkkyc-monitor-officer-key', 'a-revoked-officer-key-000'));
    await page.getByRole('link', { name: 'Cases', exact: true }).click();
    const error = page.locator('#sign-in-status [data-tone="error"]');
    await error.waitFor();
    expect(await settledText(error, /officer key was not accepted/, false)).toMatch(/officer key was not accepted/);
    await expect(page.locator('#sign-in').isVisible()).resolves.toBe(true);
    await shot('console-11-key-refused');
  });

  test('with the rule and an agent key, the officer rejects one transfer with a reason and approves another', async () => {
    const t = (id: string): PendingTransferView => ({ id, from: W1, to: W2, amount: (HUNDRED_K * 2n).toString(), expiresAt: 1_900_000_000 });
    const desk = new MemoryDesk(true, [t('2'), t('1')]);
    const withDesk = await createMonitorServer({
      store,
      officers: [{ name: 'olga', apiKey: OFFICER_KEY }],
      contracts: { token: TOKEN, gate: GATE, registry: GATE },
      pendingTransfers: desk,
      consoleDir,
    });
    try {
      await page.goto((await withDesk.listen({ host: '127.0.0.1', port: 0 })) + '/console/#transfers');
      await page.getByLabel('Officer key').fill(OFFICER_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#transfer-list').waitFor();
      await expect(page.locator('#transfer-list tbody tr').count()).resolves.toBe(2);
      await shot('console-12-pending-transfers');
      await page.getByRole('button', { name: 'Reject' }).first().click();
      const error = page.locator('#transfer-status-line [data-tone="error"]');
      await error.waitFor();
      expect(await settledText(error, /Field: reason\./, false)).toMatch(/Field: reason\./);
      await page.getByLabel('Reason for transfer 2').fill('counterparty unknown');
      await page.getByRole('button', { name: 'Reject' }).first().click();
      await page.locator('#transfer-status-line [data-tone="ok"]').waitFor();
      expect(await settledText(page.locator('#transfer-status-line'), /Transfer 2 rejected/, false)).toMatch(/Transfer 2 rejected/);
      await page.getByRole('button', { name: 'Approve' }).click();
      expect(await settledText(page.locator('#transfer-status-line'), /Transfer 1 approved/, false)).toMatch(/Transfer 1 approved/);
      expect(await settledText(page.locator('#view'), 'No transfers are waiting', false)).toContain('No transfers are waiting');
      expect(desk.decided).toEqual(['2 reject counterparty unknown', '1 approve']);
      await shot('console-13-transfers-decided');
    } finally {
      await withDesk.close();
    }
  });
});

/** A desk with transfers in memory, as the rule would hold them: what the routes do around it. */
class MemoryDesk implements PendingTransferDesk {
  decided: string[] = [];
  constructor(
    readonly canDecide: boolean,
    private transfers: PendingTransferView[],
  ) {}
  async list() {
    return this.transfers;
  }
  async approve(id: string) {
    return this.decide(id, 'approve');
  }
  async reject(id: string, reason: string) {
    return this.decide(id, `reject ${reason}`);
  }
  private decide(id: string, what: string) {
    if (!this.transfers.some((t) => t.id === id)) throw Object.assign(new Error('reverted'), { shortMessage: `execution reverted: TransferNotPending(${id}, 0)` });
    this.transfers = this.transfers.filter((t) => t.id !== id);
    this.decided.push(`${id} ${what}`);
    return Promise.resolve({ txHash: '0x' + 'ab'.repeat(32) });
  }
}

describe('console routes over HTTP', () => {
  let dir: string;
  let store: MonitorStore;
  let caseId: string;
  const key = { 'x-api-key': OFFICER_KEY };
  const server = async (extra: Partial<Parameters<typeof createMonitorServer>[0]> = {}) =>
    createMonitorServer({ store, officers: [{ name: 'olga', apiKey: OFFICER_KEY }], contracts: { token: TOKEN, gate: GATE, registry: '0x' + '5'.repeat(40) }, ...extra });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monitor-console-routes-'));
    store = await openMonitorStore({ databasePath: join(dir, 'monitor.sqlite') });
    caseId = await fillStore(store);
  });
  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('without stores or a desk, the routes answer 503 not_configured; without a key, 401', async () => {
    const app = await server();
    for (const url of ['/sar', '/sanctions/imports', '/pending-transfers']) {
      const res = await app.inject({ url, headers: key });
      expect([url, res.statusCode, res.json().error.code]).toEqual([url, 503, 'not_configured']);
    }
    expect((await app.inject({ url: '/frozen' })).json().error).toMatchObject({ code: 'missing_key', field: 'x-api-key', rule: 'officer-key' });
    expect((await app.inject({ url: '/console/' })).statusCode).toBe(404);
    await app.close();
  });

  test('evidence: each hit with its events in full', async () => {
    const app = await server();
    const body = (await app.inject({ url: `/cases/${caseId}/evidence`, headers: key })).json();
    expect(body.hits).toHaveLength(1);
    expect(body.hits[0].events.map((e: { name: string; blockNumber: number }) => `${e.name}@${e.blockNumber}`)).toEqual(['Transfer@2', 'Transfer@3', 'Transfer@4']);
    expect(body.hits[0].missing).toEqual([]);
    expect((await app.inject({ url: '/cases/case_nope/evidence', headers: key })).json().error).toMatchObject({ code: 'not_found', field: 'id', rule: 'exists' });
    await app.close();
  });

  test('SAR drafts: refusals name the field and rule; downloads are attachments; filing is final', async () => {
    const sar = new SqlSarStore(store, { reportingEntity: { rentityId: '4711', name: 'Example', countryCode: 'DE', reportingPerson: { firstName: 'O', lastName: 'Officer' } } });
    const app = await server({ sar: { store: sar, token: { chainId: 31337, address: TOKEN, name: 'Example Bond', symbol: 'XBND', decimals: 18 } } });
    const created = await app.inject({ method: 'POST', url: `/cases/${caseId}/sar`, headers: key });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(id).toMatch(/^sar-\d{6}$/);
    expect((await app.inject({ method: 'PATCH', url: `/sar/${id}`, headers: key, payload: { narrative: 'x', subject: {} } })).json().error).toMatchObject({
      field: 'subject',
      rule: 'additionalProperties',
    });
    expect((await app.inject({ method: 'PATCH', url: `/sar/${id}`, headers: key, payload: { narrative: 'y'.repeat(4001) } })).json().error).toMatchObject({ field: 'narrative', rule: 'maxLength' });
    expect((await app.inject({ method: 'PATCH', url: '/sar/sar-999999', headers: key, payload: { narrative: 'z' } })).statusCode).toBe(404);
    const xml = await app.inject({ url: `/sar/${id}.xml`, headers: key });
    expect(xml.headers['content-disposition']).toBe(`attachment; filename="${id}.goaml.xml"`);
    expect(xml.headers['content-type']).toMatch(/^application\/xml/);
    const html = await app.inject({ url: `/sar/${id}.html`, headers: key });
    expect(html.headers['content-disposition']).toBe(`attachment; filename="${id}.html"`);
    expect((await app.inject({ method: 'POST', url: `/sar/${id}/file`, headers: key, payload: {} })).json().status).toBe('filed');
    const again = await app.inject({ method: 'POST', url: `/sar/${id}/file`, headers: key, payload: {} });
    expect([again.statusCode, again.json().error.rule]).toEqual([409, 'filed-is-final']);
    expect((await app.inject({ method: 'PATCH', url: `/sar/${id}`, headers: key, payload: { narrative: 'late' } })).statusCode).toBe(409);
    expect((await app.inject({ url: '/sar', headers: key })).json().drafts.map((d: { id: string; status: string }) => `${d.id} ${d.status}`)).toEqual([`${id} filed`]);
    // The store survives a restart of the service: a second SqlSarStore on the same database reads it.
    expect((await new SqlSarStore(store, { reportingEntity: { rentityId: '1', name: 'x', countryCode: 'DE', reportingPerson: { firstName: 'a', lastName: 'b' } } }).get(id))?.status).toBe('filed');
    const audit = (await app.inject({ url: `/audit?subjectType=sar&subjectId=${id}`, headers: key })).json().entries.map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`);
    expect(audit).toEqual(['olga sar-created', 'olga sar-filed']);
    await app.close();
  });

  test("pending transfers: listed; approve and reject with the agent key, audited; 403 without it; a refused id is 502 with the chain's reason", async () => {
    const t = (id: string): PendingTransferView => ({ id, from: W1, to: W2, amount: '250000', expiresAt: 1_900_000_000 });
    const readOnly = await server({ pendingTransfers: new MemoryDesk(false, [t('1')]) });
    expect((await readOnly.inject({ url: '/pending-transfers', headers: key })).json()).toEqual({ canDecide: false, transfers: [t('1')] });
    const refused = await readOnly.inject({ method: 'POST', url: '/pending-transfers/1/approve', headers: key, payload: {} });
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'no_agent_key']);
    await readOnly.close();

    const desk = new MemoryDesk(true, [t('1'), t('2')]);
    const app = await server({ pendingTransfers: desk });
    expect((await app.inject({ method: 'POST', url: '/pending-transfers/2/reject', headers: key, payload: {} })).json().error).toMatchObject({ field: 'reason', rule: 'required' });
    expect((await app.inject({ method: 'POST', url: '/pending-transfers/2/reject', headers: key, payload: { reason: 'counterparty unknown' } })).json()).toMatchObject({
      id: '2',
      decision: 'rejected',
    });
    expect((await app.inject({ method: 'POST', url: '/pending-transfers/1/approve', headers: key })).json()).toMatchObject({ id: '1', decision: 'approved' });
    const gone = await app.inject({ method: 'POST', url: '/pending-transfers/1/approve', headers: key });
    expect([gone.statusCode, gone.json().error.message]).toEqual([502, expect.stringContaining('TransferNotPending(1, 0)')]);
    expect((await app.inject({ method: 'POST', url: '/pending-transfers/0/approve', headers: key })).json().error).toMatchObject({ field: 'id', rule: 'pattern' });
    expect(desk.decided).toEqual(['2 reject counterparty unknown', '1 approve']);
    const audit = (await app.inject({ url: '/audit?subjectType=pending-transfer', headers: key })).json().entries.map((e: { action: string; subjectId: string }) => `${e.action} ${e.subjectId}`);
    expect(audit).toEqual(['transfer-rejected 2', 'transfer-approved 1']);
    await app.close();
  });

  test('the console is served from its directory only', async () => {
    const consoleDir = join(dir, 'site');
    await mkdir(join(consoleDir, 'assets'), { recursive: true });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(consoleDir, 'index.html'), '<!doctype html><title>c</title>');
    await writeFile(join(consoleDir, 'assets', 'app.js'), 'export {};');
    await writeFile(join(dir, 'secret.txt'), 'no');
    const app = await server({ consoleDir });
    const index = await app.inject({ url: '/console/' });
    expect([index.statusCode, index.headers['content-type'], index.headers['content-security-policy']]).toEqual([200, 'text/html; charset=utf-8', expect.stringContaining("script-src 'self'")]);
    expect((await app.inject({ url: '/console/assets/app.js' })).headers['content-type']).toBe('text/javascript; charset=utf-8');
    for (const url of ['/console/assets/..%2F..%2Fsecret.txt', '/console/assets/.hidden', '/console/assets/nope.js', '/console/../secret.txt']) {
      const res = await app.inject({ url });
      expect([url, res.statusCode >= 400, res.body.includes('no') && res.body.length === 2]).toEqual([url, true, false]);
    }
    await app.close();
  });
});

// The desk against the real rule on a Hardhat node: reading an empty rule, and the rule's refusals
// decoded (a pending transfer needs two wallets registered with real proofs: pipeline.test.ts).
describe('pending transfers against the TransferApproval rule on a node', () => {
  let node: HardhatNode;
  let rule: string;
  beforeAll(async () => {
    node = await startHardhatNode();
    const agent = await node.provider.getSigner(0);
    const deployment = await deployZkKyc(agent, {
      verifier20: false,
      issuers: [{ issuerId: 1, did: 'did:example:one', publisher: await agent.getAddress() }],
      policies: [{ policyId: 1, jurisdictionMask: 5n, minAge: 18, investorClassMask: 0, minKycLevel: 1, acceptedIssuers: [1], ttl: 3600, maxWalletsPerInvestor: 0 }],
      tokens: [{ name: 'Note', symbol: 'NOTE', decimals: 0, policyId: 1, rules: { transferApproval: { threshold: 1000n, expirySeconds: 86400 } } }],
    });
    rule = deployment.tokens[0].rules.transferApproval!;
  }, 60_000);
  afterAll(() => node?.stop());

  test('lists nothing on a fresh rule; a decision the rule refuses comes back as its error', async () => {
    const agentDesk = new ChainPendingTransfers(rule, await node.provider.getSigner(0), true);
    await expect(agentDesk.list()).resolves.toEqual([]);
    // Id 1 was never requested: its status is None (0), not Pending.
    await expect(agentDesk.reject('1', 'no such transfer')).rejects.toMatchObject({ revert: { name: 'TransferNotPending', args: [1n, 0n] } });
    const stranger = new ChainPendingTransfers(rule, await node.provider.getSigner(5), true);
    await expect(stranger.approve('1')).rejects.toMatchObject({ revert: { name: 'NotComplianceAgent' } });
    // Through the route: a 502 naming the rule's error.
    const dir = await mkdtemp(join(tmpdir(), 'monitor-console-chain-'));
    const store = await openMonitorStore({ databasePath: join(dir, 'monitor.sqlite') });
    const app = await createMonitorServer({ store, officers: [{ name: 'olga', apiKey: OFFICER_KEY }], contracts: { token: TOKEN, gate: GATE, registry: GATE }, pendingTransfers: agentDesk });
    const res = await app.inject({ method: 'POST', url: '/pending-transfers/1/approve', headers: { 'x-api-key': OFFICER_KEY } });
    expect([res.statusCode, res.json().error.message]).toEqual([502, 'approve transfer 1: reverted: TransferNotPending(1, 0)']);
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});

/**
 * The locator's text once it shows `expected` (or, with `absent`, once it no longer does), or
 * whatever it shows after 10 s: the page updates after each request answers, so reading the text
 * once right after a click races the page under load.
 */
async function settledText(locator: { textContent(): Promise<string | null> }, expected: RegExp | string, absent: boolean): Promise<string> {
  const shows = (text: string) => (typeof expected === 'string' ? text.includes(expected) : expected.test(text));
  const deadline = Date.now() + 10_000;
  let text = '';
  for (;;) {
    text = (await locator.textContent()) ?? '';
    if (shows(text) !== absent || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
