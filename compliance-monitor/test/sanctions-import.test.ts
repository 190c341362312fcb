import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemovalLimitError, createMemorySanctionsStore, importList, listedEthereumAddresses, openSqliteSanctionsStore, runSanctionsCli, type SanctionsStore } from '../src/sanctions/index.js';

/**
 * Imports: each accepted file is recorded with its source, SHA-256, publication date, entry count
 * and its diff against the last import of the same source; the same file again changes nothing; a
 * file that removes more than the configured share of wallet addresses, or empties the list, is
 * refused until an officer confirms the exact number. Run against the in-memory store and a SQLite
 * file (which must also survive reopening), and through the CLI.
 */
const fixtures = resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/sanctions');
const OFAC = resolve(fixtures, 'ofac-sdn.xml');
const OFAC_NEXT = resolve(fixtures, 'ofac-sdn-next.xml');
const EU = resolve(fixtures, 'eu-consolidated.xml');
const ofacText = readFileSync(OFAC, 'utf8');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-sanctions-import-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fixture with the `idList` of the named entries removed (their wallets delisted, the entries kept). */
function withoutWallets(uids: string[]): Buffer {
  let text = ofacText;
  for (const uid of uids) text = text.replace(new RegExp(`(<uid>${uid}</uid>[\\s\\S]*?)<idList>[\\s\\S]*?</idList>`), '$1');
  return Buffer.from(text);
}

const EMPTY = Buffer.from('<?xml version="1.0"?><sdnList><publshInformation><Publish_Date>12/02/2026</Publish_Date><Record_Count>0</Record_Count></publshInformation></sdnList>');

describe.each([
  ['in memory', () => createMemorySanctionsStore()],
  ['SQLite', () => openSqliteSanctionsStore(join(dir, `store-${Math.random().toString(36).slice(2)}.db`))],
])('imports (%s)', (_name, open: () => SanctionsStore) => {
  let store: SanctionsStore;
  beforeEach(() => {
    store = open();
  });
  afterEach(() => store.close());

  it('records source, hash, publication date and counts, and diffs the next publication against it', async () => {
    const first = await importList(store, { source: 'ofac', file: OFAC, now: 1_800_000_000 });
    expect(first.status).toBe('imported');
    expect(first.record).toMatchObject({
      id: 1,
      source: 'ofac',
      fileName: OFAC,
      sha256: createHash('sha256').update(readFileSync(OFAC)).digest('hex'),
      publishedAt: '2026-11-24',
      entryCount: 12,
      walletCount: 16,
      importedAt: 1_800_000_000,
      confirmedRemovals: null,
    });
    expect(first.record.diff.entriesAdded).toHaveLength(12);
    expect(first.record.diff.walletsAdded).toHaveLength(16);

    const next = await importList(store, { source: 'ofac', file: OFAC_NEXT });
    expect(next.record).toMatchObject({ id: 2, publishedAt: '2026-12-01', entryCount: 12 });
    expect(next.record.diff).toEqual({
      walletsAdded: [{ currency: 'ETH', address: '0xa4454cb6617f0ea82e1232fb1a6b0110753eb550', entryUid: '91013' }],
      walletsRemoved: [{ currency: 'ETH', address: '0x7851727be6958c3cafc392c84d7db8d62561f010', entryUid: '91011' }],
      entriesAdded: [{ uid: '91013', name: 'Tomasz WISNIEWSKI' }],
      entriesRemoved: [{ uid: '91011', name: 'Jean-Luc DUBOIS' }],
      entriesChanged: [{ uid: '91005', name: 'Maria Fernanda GONZALEZ RUIZ', changed: ['birthDates'] }],
    });

    const again = await importList(store, { source: 'ofac', file: OFAC_NEXT });
    expect(again).toMatchObject({ status: 'unchanged', record: { id: 2 } });
    expect((await store.listImports()).map((i) => i.id)).toEqual([2, 1]);
  });

  it("takes the union of both lists' Ethereum addresses for the chain", async () => {
    await importList(store, { source: 'ofac', file: OFAC });
    await importList(store, { source: 'eu', file: EU });
    const addresses = await listedEthereumAddresses(store);
    // 11 from OFAC, 5 from the EU, one of them (Volkov's) on both.
    expect(addresses).toHaveLength(15);
    expect(addresses).toContain('0xb8609eebc7a1bdac90ae5d07905d0bad3def95ab');
  });

  it('refuses a file that removes more than the limit of wallet addresses until the exact number is confirmed', async () => {
    await importList(store, { source: 'ofac', file: OFAC });
    const content = withoutWallets(['91002', '91003']); // 2 ETH + 2 ETH + USDT + XMR = 6 of 16
    const refused = importList(store, { source: 'ofac', file: 'cut.xml', content });
    await expect(refused).rejects.toThrow(RemovalLimitError);
    await expect(importList(store, { source: 'ofac', file: 'cut.xml', content })).rejects.toThrow(
      'cut.xml: --confirm-removals: removal-limit: this ofac import removes 6 of 16 wallet addresses (37.5%) and is above the limit of 10%; nothing was imported. If the published list really drops them, rerun with --confirm-removals 6',
    );
    await expect(importList(store, { source: 'ofac', file: 'cut.xml', content, confirmRemovals: 5 })).rejects.toThrow('(--confirm-removals 5 does not match)');
    expect(await store.listImports()).toHaveLength(1);
    expect(await listedEthereumAddresses(store)).toHaveLength(11);

    // A higher limit lets it through without confirmation; so does the exact confirmation.
    const relaxed = createMemorySanctionsStore();
    await importList(relaxed, { source: 'ofac', file: OFAC });
    await expect(importList(relaxed, { source: 'ofac', file: 'cut.xml', content, maxRemovalFraction: 0.5 })).resolves.toMatchObject({ status: 'imported' });
    const confirmed = await importList(store, { source: 'ofac', file: 'cut.xml', content, confirmRemovals: 6 });
    expect(confirmed.record).toMatchObject({ confirmedRemovals: 6 });
    expect(confirmed.record.diff.walletsRemoved).toHaveLength(6);
    expect(await listedEthereumAddresses(store)).toHaveLength(7);
  });

  it('refuses a file that empties the list', async () => {
    await importList(store, { source: 'ofac', file: OFAC });
    await expect(importList(store, { source: 'ofac', file: 'empty.xml', content: EMPTY })).rejects.toMatchObject({
      rule: 'removal-limit',
      removals: 16,
      message: expect.stringContaining('removes 16 of 16 wallet addresses (100.0%) and empties the list'),
    });
    await expect(importList(store, { source: 'ofac', file: 'empty.xml', content: EMPTY, confirmRemovals: 16 })).resolves.toMatchObject({ record: { entryCount: 0 } });
  });
});

it('keeps imports in the SQLite file across reopening', async () => {
  const file = join(dir, 'reopen.db');
  const first = openSqliteSanctionsStore(file);
  await importList(first, { source: 'eu', file: EU });
  await first.close();
  const second = openSqliteSanctionsStore(file);
  expect(await second.lastImport('eu')).toMatchObject({ id: 1, entryCount: 12, publishedAt: '2026-11-27T16:05:12.000+01:00' });
  expect((await second.currentEntries('eu')).map((e) => e.uid)).toHaveLength(12);
  await second.close();
});

describe('CLI', () => {
  function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    return runSanctionsCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
  }

  it('imports, refuses with exit 1 naming the rule, and exits 2 on bad usage', async () => {
    const db = join(dir, 'cli.db');
    const ok = await run(['import', '--source', 'ofac', '--file', OFAC, '--db', db]);
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(ok.out)).toMatchObject({ status: 'imported', source: 'ofac', entryCount: 12 });

    const cut = join(dir, 'cut.xml');
    writeFileSync(cut, withoutWallets(['91002', '91003']));
    const refused = await run(['import', '--source', 'ofac', '--file', cut, '--db', db]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`sanctions: import: ${cut}: --confirm-removals: removal-limit: `);
    expect(refused.err).toContain('rerun with --confirm-removals 6');
    expect(await run(['import', '--source', 'ofac', '--file', cut, '--db', db, '--confirm-removals', '6'])).toMatchObject({ code: 0 });

    const wrongFormat = await run(['import', '--source', 'ofac', '--file', EU, '--db', db]);
    expect(wrongFormat).toMatchObject({ code: 1, err: expect.stringContaining('export: format: expected the OFAC SDN list') });

    expect(await run(['import', '--source', 'un', '--file', OFAC, '--db', db])).toMatchObject({ code: 2, err: expect.stringContaining('--source: must be one of ofac, eu') });
    expect(await run(['import', '--file', OFAC])).toMatchObject({ code: 2, err: expect.stringContaining('--source: required') });
    expect(await run(['import', '--source', 'ofac', '--file', OFAC, '--confirm-removals', 'all'])).toMatchObject({ code: 2 });
    expect(await run(['fetch'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "fetch"') });
    expect(await run(['push', '--rpc', 'http://127.0.0.1:1', '--list', '0x' + '11'.repeat(20), '--key-env', 'NOPE', '--db', db])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--key-env: the environment variable NOPE is not set'),
    });

    const history = await run(['history', '--source', 'ofac', '--db', db]);
    expect(JSON.parse(history.out).map((r: { id: number }) => r.id)).toEqual([2, 1]);
  });

  it('screens a persons file against the imported lists', async () => {
    const db = join(dir, 'screen.db');
    await run(['import', '--source', 'eu', '--file', EU, '--db', db]);
    const persons = join(dir, 'persons.json');
    writeFileSync(persons, JSON.stringify([{ credentialId: 'cred-7', familyName: 'Schröder', givenNames: 'Jürgen', birthDate: '1962-11-30', issuingCountry: 'DE' }]));
    const screened = await run(['screen', '--persons', persons, '--db', db]);
    expect(screened.code).toBe(0);
    expect(JSON.parse(screened.out)).toMatchObject([{ credentialId: 'cred-7', source: 'eu', entryUid: '7002', score: 1 }]);

    writeFileSync(persons, JSON.stringify([{ credentialId: 'cred-8', familyName: 'X', givenNames: '', birthDate: '1962-02-30' }]));
    expect(await run(['screen', '--persons', persons, '--db', db])).toMatchObject({
      code: 1,
      err: 'sanctions: screen: persons[0].birthDate: date: "1962-02-30" is not a YYYY-MM-DD calendar date',
    });
  });

  it('screens against issuer-service (--issuer): reads persons with the key, posts the matches; https unless loopback', async () => {
    const db = join(dir, 'issuer.db');
    await run(['import', '--source', 'eu', '--file', EU, '--db', db]);
    // A stand-in for issuer-service's two screening routes, on loopback.
    const seen: Array<{ method: string; url: string; key: unknown; body: any }> = [];
    const body = (req: IncomingMessage) =>
      new Promise<string>((ok) => {
        let b = '';
        req.on('data', (c) => (b += c));
        req.on('end', () => ok(b));
      });
    const server = createServer(async (req, res) => {
      const text = await body(req);
      seen.push({ method: req.method!, url: req.url!, key: req.headers['x-api-key'], body: text ? JSON.parse(text) : undefined });
      res.setHeader('content-type', 'application/json');
      if (req.headers['x-api-key'] !== 'monitor-key') {
        res.statusCode = 403;
        res.end(JSON.stringify({ error: { code: 'missing_role', field: 'x-api-key', rule: 'screening', message: 'this route needs the screening role' } }));
      } else if (req.method === 'GET') {
        const persons = [
          { credentialId: 'c0ffee00-0000-4000-8000-000000000007', familyName: 'Schröder', givenNames: 'Jürgen', birthDate: '1962-11-30', issuingCountry: 'DE' },
          { credentialId: 'c0ffee00-0000-4000-8000-000000000008', familyName: 'Nakamura', givenNames: 'Yuki', birthDate: '1990-01-01', issuingCountry: 'JP' },
        ];
        // Two pages, the first short (the issuer skips credentials without a person): follow nextAfter.
        const first = !req.url!.includes('after=');
        res.end(JSON.stringify(first ? { persons: persons.slice(0, 1), nextAfter: 1041 } : { persons: persons.slice(1), nextAfter: null }));
      } else {
        res.end(JSON.stringify({ stored: [{ id: 1 }], duplicates: 0 }));
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const runEnv = (args: string[], env: Record<string, string>) => {
      const out: string[] = [];
      const err: string[] = [];
      return runSanctionsCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
    };
    try {
      const ok = await runEnv(['screen', '--issuer', url, '--key-env', 'MONITOR_KEY', '--db', db], { MONITOR_KEY: 'monitor-key' });
      expect(ok).toMatchObject({ code: 0, err: '' });
      expect(JSON.parse(ok.out)).toEqual({ persons: 2, matches: 1, stored: 1, duplicates: 0 });
      expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /screening/persons?limit=1000', 'GET /screening/persons?after=1041&limit=1000', 'POST /screening/matches']);
      expect(seen.every((r) => r.key === 'monitor-key')).toBe(true);
      expect(seen[2].body.matches).toMatchObject([{ credentialId: 'c0ffee00-0000-4000-8000-000000000007', source: 'eu', entryUid: '7002', score: 1 }]);

      // A wrong key: the issuer's refusal, named.
      const refused = await runEnv(['screen', '--issuer', url, '--key-env', 'MONITOR_KEY', '--db', db], { MONITOR_KEY: 'wrong' });
      expect(refused).toMatchObject({ code: 1, err: expect.stringContaining('HTTP 403: missing_role (x-api-key: screening)') });
    } finally {
      await new Promise((ok) => server.close(ok));
    }
    // Plain http to another host, an unset key, both sources at once: usage errors; nothing sent.
    const before = seen.length;
    expect(await runEnv(['screen', '--issuer', 'http://issuer.example.com', '--key-env', 'K', '--db', db], { K: 'k' })).toMatchObject({
      code: 2,
      err: expect.stringContaining('--issuer: must be https'),
    });
    expect(await runEnv(['screen', '--issuer', url, '--key-env', 'K', '--db', db], {})).toMatchObject({ code: 2, err: expect.stringContaining('K is not set') });
    expect(await runEnv(['screen', '--issuer', url, '--persons', 'p.json', '--key-env', 'K', '--db', db], { K: 'k' })).toMatchObject({ code: 2, err: expect.stringContaining('not both') });
    expect(seen.length).toBe(before);
  });
});
