import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EscrowError } from './errors.js';
import { disclosureRequestBody, HttpIssuerDisclosures } from './issuer-disclosure.js';
import type { RegisterOfHolders } from './register-of-holders.js';
import { csvField, csvOf, escapeHtml, formatAmount, formatTime, registerCsv, registerHtml } from './register-writers.js';

/**
 * The register's writers, on a hand-made register: RFC 4180 quoting, formula neutralisation, HTML
 * escaping, amounts in token units; and the HTTP client of the issuer's disclosure endpoint against
 * a small local server.
 */
const hostile = {
  givenNames: '<img src=x onerror=alert(1)>',
  familyName: '=cmd|"/c calc"!A1',
  birthDate: '1970-01-01',
  documentType: 'passport',
  documentCountry: 'GB',
  documentNumber: '+44, "quoted"\r\nnext line',
  address: { street: '@SUM(1+1)', city: "O'Hara & Sons" },
  zodiac: '-1+1',
};

const register: RegisterOfHolders = {
  chainId: 31337n,
  gate: '0x00000000000000000000000000000000000000a1',
  log: '0x00000000000000000000000000000000000000b2',
  policyId: 9n,
  token: { address: '0x00000000000000000000000000000000000000c3', name: 'Fund <A> & "B"', symbol: 'F&B', decimals: 6, totalSupply: 10_000_000n },
  asOf: { block: 1234, timestamp: 1_764_547_200 },
  case: { reference: 'register of holders 2025-12-01', salt: '0x' + '00'.repeat(32), hash: '0x' + '11'.repeat(32) },
  holders: [
    {
      key: 'document:GB/passport/+44',
      person: hostile,
      attributes: { jurisdiction: 'GB', kycLevel: 2, birthDate: '1970-01-01' },
      credentials: [{ id: 'cred-1', status: 'active', validUntil: '2027-01-01' }],
      investorTags: [0xabcn],
      balance: 1_500_000n,
      wallets: [
        {
          address: '0x00000000000000000000000000000000000000d4',
          balance: 1_500_000n,
          status: 'current',
          verifiedUntil: 1_800_000_000,
          registration: {
            transaction: '0x' + 'ee'.repeat(32),
            blockNumber: 5,
            logIndex: 1,
            investorTag: 0xabcn,
            issuerId: 1n,
            registeredUntil: 1_800_000_000,
            leafIndex: 7,
            request: { id: 3n, reference: 'disclosure-log:31337:0x00000000000000000000000000000000000000b2:3', created: true },
          },
        },
      ],
    },
    {
      key: 'wallet:0x00000000000000000000000000000000000000e5',
      credentials: [],
      investorTags: [],
      balance: 1n,
      wallets: [{ address: '0x00000000000000000000000000000000000000e5', balance: 1n, status: 'unregistered', verifiedUntil: 0, problem: 'never registered under the policy' }],
    },
  ],
  totals: { holders: 2, identified: 1, wallets: 2, balance: 1_500_001n, unidentifiedBalance: 1n },
  problems: ['0x00000000000000000000000000000000000000e5: never registered under the policy'],
};

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF rows) — enough to read our own output back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    expect(text[i]).toBe('"');
    let field = '';
    i++;
    for (;;) {
      if (text[i] === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (text[i] === '"') {
        i++;
        break;
      } else field += text[i++];
    }
    row.push(field);
    if (text[i] === ',') i++;
    else {
      expect(text.slice(i, i + 2)).toBe('\r\n');
      i += 2;
      rows.push(row);
      row = [];
    }
  }
  return rows;
}

describe('values', () => {
  it('formats amounts with the token decimals, exactly', () => {
    expect(formatAmount(1_500_000n, 6)).toBe('1.5');
    expect(formatAmount(1n, 6)).toBe('0.000001');
    expect(formatAmount(0n, 18)).toBe('0');
    expect(formatAmount(123n, 0)).toBe('123');
    expect(formatAmount(10n ** 30n + 1n, 18)).toBe('1000000000000.000000000000000001');
    expect(formatTime(0)).toBe('');
    expect(formatTime(1_764_547_200)).toBe('2025-12-01 00:00:00 UTC');
  });
});

describe('CSV', () => {
  it('quotes every field (RFC 4180) and neutralises cells a spreadsheet would run as formulas', () => {
    expect(csvField('plain')).toBe('"plain"');
    expect(csvField('say "hi", then\r\nleave')).toBe('"say ""hi"", then\r\nleave"');
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(csvField(`${lead}1+1`)).toBe(`"'${lead}1+1"`);
    expect(csvField('a=b')).toBe('"a=b"');
    expect(
      csvOf([
        ['a', 'b'],
        ['c', ''],
      ]),
    ).toBe('"a","b"\r\n"c",""\r\n');
  });

  it('writes one row per wallet, person fields as columns, and reads back to the same values', () => {
    const rows = parseCsv(registerCsv(register));
    const header = rows[0];
    expect(header.slice(0, 8)).toEqual(['holder', 'familyName', 'givenNames', 'birthDate', 'documentType', 'documentCountry', 'documentNumber', 'address']);
    expect(header).toContain('zodiac');
    expect(header).toContain('balance (F&B)');
    // The person's birth date and the credential's are two columns with two names.
    expect(header.filter((h) => h === 'birthDate')).toHaveLength(1);
    expect(header).toContain('credential.birthDate');
    expect(header).toContain('credential.jurisdiction');
    expect(rows).toHaveLength(3);
    const cell = (row: string[], name: string) => row[header.indexOf(name)];
    const [first, second] = rows.slice(1);
    expect(cell(first, 'familyName')).toBe(`'=cmd|"/c calc"!A1`);
    expect(cell(first, 'documentNumber')).toBe(`'+44, "quoted"\r\nnext line`);
    expect(cell(first, 'address')).toBe(`{"street":"@SUM(1+1)","city":"O'Hara & Sons"}`);
    expect(cell(first, 'zodiac')).toBe(`'-1+1`);
    expect(cell(first, 'holder')).toBe('document:GB/passport/+44');
    expect(cell(first, 'balance (F&B)')).toBe('1.5');
    expect(cell(first, 'status')).toBe('registered');
    expect(cell(first, 'verifiedUntil')).toBe('2027-01-15 08:00:00 UTC');
    expect(cell(first, 'investorTag')).toBe('0x' + 'abc'.padStart(48, '0'));
    expect(cell(first, 'disclosureRequest')).toBe('disclosure-log:31337:0x00000000000000000000000000000000000000b2:3');
    expect(cell(second, 'familyName')).toBe('');
    expect(cell(second, 'balance (F&B)')).toBe('0.000001');
    expect(cell(second, 'problem')).toBe('never registered under the policy');
    for (const row of rows) for (const value of row) expect(value).not.toMatch(/^[=+\-@\t\r]/);
  });
});

describe('HTML', () => {
  const html = registerHtml(register);

  it('escapes every text and has no script, no external resource, no link', () => {
    expect(escapeHtml(`<a href="x">O'Hara & co</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;O&#39;Hara &amp; co&lt;/a&gt;');
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9!]+)/gi)].map((m) => m[1].toLowerCase()));
    const allowed = [
      '!doctype',
      'html',
      'head',
      'meta',
      'title',
      'style',
      'body',
      'h1',
      'h2',
      'p',
      'dl',
      'dt',
      'dd',
      'div',
      'strong',
      'ul',
      'li',
      'section',
      'table',
      'thead',
      'tbody',
      'tr',
      'th',
      'td',
    ];
    expect([...tags].filter((t) => !allowed.includes(t))).toEqual([]);
    expect(html).not.toMatch(/url\(|@import/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Fund &lt;A&gt; &amp; &quot;B&quot; (F&amp;B)');
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('has a title with the token, the policy, the chain and the as-of block and time, totals, and print rules', () => {
    expect(html).toContain('<title>Register of holders — Fund &lt;A&gt; &amp; &quot;B&quot; (F&amp;B), policy 9</title>');
    expect(html).toContain('<dt>Chain</dt><dd>31337</dd>');
    expect(html).toContain('block 1234, 2025-12-01 00:00:00 UTC');
    expect(html).toContain('1.500001 F&amp;B of a supply of 10 F&amp;B');
    expect(html).toContain('2 (1 identified), 2 wallet(s)');
    expect(html).toContain('Incomplete: 1 wallet(s) could not be tied to a person.');
    expect(html).toContain('@media print');
    expect(html).toContain('<h2>1. &lt;img src=x onerror=alert(1)&gt; =cmd|&quot;/c calc&quot;!A1</h2>');
    expect(html).toContain('<h2>2. Not identified</h2>');
    expect(html).toContain('<dt>Date of birth</dt><dd>1970-01-01</dd>');
    expect(html).toContain('<dt>Zodiac</dt>'); // an unknown field gets a generic label
  });
});

describe('HttpIssuerDisclosures', () => {
  let server: Server;
  let url: string;
  const seen: { headers: IncomingMessage['headers']; body: unknown; path?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const body = JSON.parse(text);
        seen.push({ headers: req.headers, body, path: req.url });
        res.setHeader('content-type', 'application/json');
        if (req.headers['x-api-key'] !== 'officer-key') {
          res.statusCode = 401;
          res.end(JSON.stringify({ error: { code: 'unauthorized', field: 'x-api-key', rule: 'role', message: 'needs the disclosure-officer role' } }));
        } else if (body.leafIndex === '13') {
          res.statusCode = 422;
          res.end(JSON.stringify({ error: { code: 'invalid', field: 'leafIndex', rule: 'matches-registration', message: 'the leaf index is not the registration’s' } }));
        } else {
          res.end(JSON.stringify({ disclosure: { id: 'd-1' }, record: { person: { familyName: 'Adler' }, attributes: { kycLevel: 2 }, credential: { id: 'c-1' } } }));
        }
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const query = (leafIndex: number) => ({ request: { chainId: 31337n, log: '0x00000000000000000000000000000000000000b2', id: 3n }, sharedPoint: [5n, 6n] as [bigint, bigint], leafIndex });

  it('posts the request, the shared point and the leaf index with the officer key, and reads the record', async () => {
    const answer = await new HttpIssuerDisclosures(url, 'officer-key').disclose(query(7));
    expect(answer.record).toEqual({ person: { familyName: 'Adler' }, attributes: { kycLevel: 2 }, credential: { id: 'c-1' } });
    expect(seen[0].path).toBe('/disclosures');
    expect(seen[0].headers['x-api-key']).toBe('officer-key');
    expect(seen[0].body).toEqual({ request: { chainId: 31337, log: '0x00000000000000000000000000000000000000b2', id: '3' }, sharedPoint: ['5', '6'], leafIndex: '7' });
    expect(disclosureRequestBody(query(7))).toEqual(seen[0].body);
  });

  it('names the issuer refusal, and an issuer that does not answer', async () => {
    await expect(new HttpIssuerDisclosures(url, 'wrong').disclose(query(7))).rejects.toThrow(
      'issuer refused request 3 (HTTP 401: unauthorized, field x-api-key, rule role, needs the disclosure-officer role) (rule: issuer-disclosure)',
    );
    await expect(new HttpIssuerDisclosures(url, 'officer-key').disclose(query(13))).rejects.toThrow('HTTP 422: invalid, field leafIndex, rule matches-registration');
    const down = new HttpIssuerDisclosures('http://127.0.0.1:1', 'officer-key').disclose(query(7));
    await expect(down).rejects.toBeInstanceOf(EscrowError);
    await expect(down).rejects.toThrow('(rule: reachable)');
    expect(() => new HttpIssuerDisclosures('ftp://x', 'k')).toThrow('(rule: url)');
  });

  it('refuses plain http except to a loopback host (rule https): the officer key and the record travel in it', () => {
    for (const remote of ['http://issuer.example', 'http://10.0.0.5:8080/', 'http://127.0.0.1.example.com/', 'http://localhost.evil.com']) {
      expect(() => new HttpIssuerDisclosures(remote, 'k')).toThrow('(rule: https)');
    }
    for (const allowed of ['https://issuer.example', 'http://127.0.0.1:8080', 'http://[::1]:8080/', 'http://localhost:3000', 'HTTP://LOCALHOST']) {
      expect(() => new HttpIssuerDisclosures(allowed, 'k')).not.toThrow();
    }
  });
});
