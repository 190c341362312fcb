import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { DisclosedRecord } from '@zkkyc/escrow';
import type { CaseSummary, ChainEvent, RuleHit } from '../src/model.js';
import {
  createSarDraft,
  editSarDraft,
  fileSarDraft,
  GOAML_ORDER,
  goamlGaps,
  goamlXml,
  localValue,
  MemorySarStore,
  SarError,
  sarHtml,
  TRANSACTION_NUMBER_MAX,
  transactionNumber,
  writeSarFiles,
  type ReportingEntity,
  type SarCaseInput,
  type SarDraft,
} from '../src/sar/index.js';

// ── a case: a structuring pattern of three transfers just under a threshold, then one out ─────

const TOKEN = { chainId: 31337, address: '0x5fbdb2315678afecb367f032d93f642f64180aa3', name: 'Harbour Bond 2030', symbol: 'HB30', decimals: 18 };
const W1 = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const W2 = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
const OTHER = '0x90f79bf6eb2c4f870365e785982e1f101e93b906';
const ZERO = '0x0000000000000000000000000000000000000000';
const TAG = '0x00000000000000000000000000000000000000000000abcd';
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z

const hash = (n: number) => '0x' + n.toString(16).padStart(64, 'a');
const units = (whole: string) => (BigInt(whole.split('.')[0]) * 10n ** 18n + BigInt((whole.split('.')[1] ?? '').padEnd(18, '0'))).toString();

function transfer(n: number, from: string, to: string, amount: string, logIndex = 0): ChainEvent {
  return {
    chainId: TOKEN.chainId,
    txHash: hash(n),
    logIndex,
    blockNumber: 100 + n,
    blockHash: hash(1000 + n),
    blockTime: T0 + n * 600,
    address: TOKEN.address,
    source: 'token',
    name: 'Transfer',
    args: { from, to, value: units(amount) },
  };
}

const EVENTS: ChainEvent[] = [
  transfer(1, ZERO, W1, '30000'),
  transfer(2, W1, OTHER, '9999.5'),
  transfer(3, W1, OTHER, '9999.25', 2),
  transfer(4, W2, OTHER, '9998.125'),
  transfer(5, OTHER, W2, '0.000000000000000001'),
  transfer(6, W1, W2, '12.5'),
  {
    chainId: TOKEN.chainId,
    txHash: hash(7),
    logIndex: 0,
    blockNumber: 107,
    blockHash: hash(1007),
    blockTime: T0 + 7 * 600,
    address: TOKEN.address,
    source: 'token',
    name: 'TokensFrozen',
    args: { account: W1, amount: units('5000') },
  },
];

const ref = (e: ChainEvent) => ({ txHash: e.txHash, logIndex: e.logIndex, blockNumber: e.blockNumber });

const HITS: RuleHit[] = [
  {
    ruleId: 'structuring',
    rulesVersion: '3',
    token: TOKEN.address,
    subject: { investorTag: TAG, wallets: [W1, W2] },
    severity: 'high',
    score: 40,
    summary: '3 transfers just under 10000 HB30 within 1 hour',
    evidence: {
      events: [ref(EVENTS[1]), ref(EVENTS[2]), ref(EVENTS[3])],
      amounts: [EVENTS[1].args.value, EVENTS[2].args.value, EVENTS[3].args.value],
      times: [EVENTS[1].blockTime, EVENTS[2].blockTime, EVENTS[3].blockTime],
      details: { threshold: units('10000'), windowSeconds: 3600, count: 3 },
    },
    at: EVENTS[3].blockTime,
  },
];

const CASE: CaseSummary = { id: 'case-17', token: TOKEN.address, subject: { investorTag: TAG, wallets: [W1, W2] }, status: 'open', openedAt: EVENTS[3].blockTime, rules: ['structuring'], score: 40 };

const DISCLOSURE: DisclosedRecord = {
  person: { documentType: 'passport', issuingCountry: 'de', documentNumber: 'C01X00T47', familyName: 'Mustermann', givenNames: 'Erika', birthDate: '1984-08-12' },
  attributes: { jurisdiction: 'DE', birthDate: '1984-08-12', kycLevel: 2 },
  credential: { id: 'cred-42', status: 'active' },
};

const ENTITY: ReportingEntity = {
  rentityId: '4711',
  name: 'Harbour Transfer Agent GmbH',
  countryCode: 'DE',
  reportingPerson: { firstName: 'Jonas', lastName: 'Weber', title: 'MLRO', email: 'mlro@example.org' },
  location: { addressType: 'B', address: 'Hafenstrasse 1', city: 'Hamburg', countryCode: 'DE', zip: '20457' },
};

function input(overrides: Partial<SarCaseInput> = {}): SarCaseInput {
  return { case: CASE, hits: HITS, events: EVENTS, token: TOKEN, disclosure: DISCLOSURE, actionsTaken: ['Wallet 0x7099… partially frozen (5000 HB30).'], ...overrides };
}

function draftOf(overrides: Partial<SarCaseInput> = {}, codes = {}): SarDraft {
  return createSarDraft(input(overrides), {
    id: 'sar-1',
    reportingEntity: ENTITY,
    codes: { identifierTypes: { passport: 'P' }, indicators: { structuring: ['STRUCT'] }, ...codes },
    createdBy: 'officer.anna',
    at: T0 + 9000,
  });
}

const HOSTILE = `</reason><script>alert("x")</script>&amp; ' ]]> <!-- \u0000\u0007 \uD800`;

// ── the draft ──────────────────────────────────────────────────────────────────────────────────

describe('SAR draft', () => {
  test('takes the subject from the escrow disclosure', () => {
    const d = draftOf();
    expect(d.subject).toMatchObject({ identified: true, investorTag: TAG, firstName: 'Erika', lastName: 'Mustermann', birthDate: '1984-08-12', residence: 'DE' });
    expect(d.subject.identification).toEqual({ type: 'passport', number: 'C01X00T47', issueCountry: 'DE', expiryDate: undefined });
    expect(d.subject.source).toContain('cred-42');
    expect(d.wallets).toEqual([W1, W2]);
    expect(d.status).toBe('draft');
    expect(d.indicators).toEqual(['STRUCT']);
  });

  test('a case without disclosure has an unidentified subject with the investor tag', () => {
    const d = draftOf({ disclosure: null });
    expect(d.subject).toMatchObject({ identified: false, investorTag: TAG, firstName: 'Unidentified', lastName: 'investor' });
    expect(d.subject.source).toContain(TAG);
    expect(d.narrative).toContain('unidentified investor');
    expect(d.narrative).toContain(TAG);
    expect(goamlGaps(d).some((g) => g.includes('not identified'))).toBe(true);
  });

  test('a disclosure without a person (dev auto-approval) is unidentified too', () => {
    expect(draftOf({ disclosure: { person: {}, attributes: {}, credential: {} } }).subject.identified).toBe(false);
  });

  test('transactions: every token transfer, amounts with the token decimals, direction, totals', () => {
    const d = draftOf();
    expect(d.transactions.map((t) => t.amount)).toEqual(['30000', '9999.5', '9999.25', '9998.125', '0.000000000000000001', '12.5']);
    expect(d.transactions.map((t) => t.direction)).toEqual(['in', 'out', 'out', 'out', 'in', 'own']);
    expect(d.transactions[0].kind).toBe('mint');
    expect(d.totals).toMatchObject({ transfers: 6, sent: '29996.875', received: '30000.000000000000000001', first: T0 + 600, last: T0 + 3600 });
    // The freeze is in the timeline, not among the transactions; the hit follows the event it completes.
    expect(d.timeline.some((t) => t.what.startsWith('TokensFrozen'))).toBe(true);
    const hitAt = d.timeline.findIndex((t) => t.kind === 'hit');
    expect(d.timeline[hitAt - 1].ref?.txHash).toBe(hash(4));
  });

  test('the narrative template is filled with the facts', () => {
    const d = draftOf();
    expect(d.narrative).toContain('Erika Mustermann, born 1984-08-12');
    expect(d.narrative).toContain('the subject sent 29996.875 HB30 and received 30000.000000000000000001 HB30');
    expect(d.narrative).toContain('structuring (high');
    expect(d.narrative).toContain('partially frozen');
    expect(d.narrative).not.toMatch(/\{\{/);
  });

  test('an unknown placeholder in the template is refused', () => {
    expect(() => createSarDraft(input(), { id: 'x', reportingEntity: ENTITY, createdBy: 'a', at: 1, narrativeTemplate: 'Hello {{subjet}}' })).toThrow(/subjet/);
  });

  test('bad input is refused with the field named', () => {
    expect(() => createSarDraft(input({ token: { ...TOKEN, decimals: -1 } }), { id: 'x', reportingEntity: ENTITY, createdBy: 'a', at: 1 })).toThrow(/token\.decimals/);
    expect(() => createSarDraft(input(), { id: 'x', reportingEntity: { ...ENTITY, rentityId: '' }, createdBy: 'a', at: 1 })).toThrow(/rentityId/);
    expect(() => createSarDraft(input(), { id: 'x', reportingEntity: ENTITY, createdBy: 'a', at: 1, codes: { unitPriceLocal: '1e3' } })).toThrow(/unitPriceLocal/);
  });

  test('edit: draft → edited, recorded; file: recorded; a filed draft refuses edits and refiling', () => {
    const d = draftOf();
    const edited = editSarDraft(d, { narrative: 'Rewritten by the officer.', subject: { nationality: 'DE' } }, 'officer.anna', T0 + 9100);
    expect(edited).toMatchObject({ status: 'edited', narrative: 'Rewritten by the officer.', updatedAt: T0 + 9100 });
    expect(edited.subject.nationality).toBe('DE');
    expect(edited.edits).toEqual([{ by: 'officer.anna', at: T0 + 9100, fields: ['narrative', 'subject'] }]);
    expect(d.status).toBe('draft'); // the input is not changed

    const filed = fileSarDraft(edited, 'officer.ben', T0 + 9200, 'FIU-2026-0042');
    expect(filed.status).toBe('filed');
    expect(filed.filed).toEqual({ by: 'officer.ben', at: T0 + 9200, fiuReference: 'FIU-2026-0042' });

    let error: unknown;
    try {
      editSarDraft(filed, { narrative: 'too late' }, 'officer.anna', T0 + 9300);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SarError);
    expect((error as SarError).rule).toBe('filed-is-final');
    expect((error as SarError).message).toMatch(/filed by officer\.ben .* cannot be edited/);
    expect(() => fileSarDraft(filed, 'officer.ben', T0 + 9400)).toThrow(/cannot be filed again/);
  });

  test('edit refuses fields that are facts, over-long text and an empty officer name', () => {
    const d = draftOf();
    expect(() => editSarDraft(d, { transactions: [] } as never, 'a', 1)).toThrow(/not an editable field/);
    expect(() => editSarDraft(d, { narrative: 'x'.repeat(4001) }, 'a', 1)).toThrow(/at most 4000/);
    expect(() => editSarDraft(d, { narrative: 'ok' }, ' ', 1)).toThrow(/name the officer/);
    expect(() => editSarDraft(d, {}, 'a', 1)).toThrow(/nothing to change/);
    expect(() => editSarDraft(d, { subject: { nationality: 'Germany' } }, 'a', 1)).toThrow(/subject\.nationality.*alpha-2/);
    expect(() => editSarDraft(d, { subject: { identified: true } as never }, 'a', 1)).toThrow(/subject\.identified: not an editable subject field/);
    expect(() => editSarDraft(d, { subject: { identification: { type: 'passport', number: 'X1', issueCountry: 'de' } } }, 'a', 1)).toThrow(/issueCountry/);
  });
});

// ── goAML XML ──────────────────────────────────────────────────────────────────────────────────

const parser = new XMLParser({ parseTagValue: false, trimValues: false, isArray: (name) => ['transaction', 'indicator', 'signatory'].includes(name) });

describe('goAML XML', () => {
  test('is well-formed and holds the header, the subject, every transaction and the narrative', () => {
    const d = editSarDraft(draftOf(), { narrative: 'Officer narrative: the investor split 30000 HB30 into three transfers.' }, 'officer.anna', T0 + 9100);
    const xml = goamlXml(d);
    expect(XMLValidator.validate(xml)).toBe(true);
    const { report } = parser.parse(xml);
    expect(report).toMatchObject({ rentity_id: '4711', submission_code: 'E', report_code: 'STR', entity_reference: 'sar-1', currency_code_local: 'EUR', submission_date: '2026-01-01T02:31:40' });
    expect(report.reporting_person).toMatchObject({ first_name: 'Jonas', last_name: 'Weber' });
    expect(report.location).toMatchObject({ city: 'Hamburg', country_code: 'DE' });
    expect(report.reason).toContain('Officer narrative: the investor split 30000 HB30');
    expect(report.reason).toContain('structuring: 3 transfers just under 10000');
    expect(report.action).toContain('partially frozen');
    expect(report.report_indicators.indicator).toEqual(['STRUCT']);

    expect(report.transaction).toHaveLength(d.transactions.length);
    d.transactions.forEach((t, i) => {
      const x = report.transaction[i];
      expect(x.transactionnumber).toBe(transactionNumber(t));
      expect(x.transactionnumber.length).toBeLessThanOrEqual(TRANSACTION_NUMBER_MAX);
      expect(x.comments).toContain(t.txHash);
      expect(x.amount_local).toBe(t.amount);
      expect(x.transaction_description).toContain(`${t.amount} HB30`);
      expect(x.date_transaction).toBe(new Date(t.time * 1000).toISOString().slice(0, 19));
      expect(x.transmode_code).toBe('O');
      expect(x.t_from.from_account.account).toBe(t.from);
      expect(x.t_to.to_account.account).toBe(t.to);
    });
    // The subject is the signatory of their own wallets, not of the counterparty's.
    const out = report.transaction[1];
    expect(out.t_from.from_account.signatory[0].t_person).toMatchObject({ first_name: 'Erika', last_name: 'Mustermann', birthdate: '1984-08-12T00:00:00', residence: 'DE' });
    expect(out.t_from.from_account.signatory[0].t_person.identification).toMatchObject({ type: 'P', number: 'C01X00T47', issue_country: 'DE' });
    expect(out.t_to.to_account.signatory).toBeUndefined();
  });

  test('elements come in goAML order', () => {
    const xml = goamlXml(draftOf());
    const ordered = new XMLParser({ preserveOrder: true }).parse(xml) as Array<Record<string, unknown>>;
    const names = (nodes: unknown) => (nodes as Array<Record<string, unknown>>).map((n) => Object.keys(n).find((k) => k !== ':@')!).filter((k) => k !== '#text');
    const children = (nodes: unknown, name: string) => (nodes as Array<Record<string, unknown>>).find((n) => name in n)![name];
    const inOrder = (got: string[], order: readonly string[]) => {
      const positions = got.map((g) => order.indexOf(g));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    };
    const report = children(ordered, 'report');
    inOrder(names(report), GOAML_ORDER.report);
    const transaction = children(report, 'transaction');
    inOrder(names(transaction), GOAML_ORDER.transaction);
    inOrder(names(children(transaction, 't_from')), GOAML_ORDER.t_from);
    inOrder(names(children(transaction, 't_to')), GOAML_ORDER.t_to);
    inOrder(names(children(children(transaction, 't_to'), 'to_account')), GOAML_ORDER.t_account);
    inOrder(names(children(report, 'reporting_person')), GOAML_ORDER.t_person);
    inOrder(names(children(report, 'location')), GOAML_ORDER.t_address);
  });

  test('escapes hostile text and drops characters XML cannot hold', () => {
    const d = editSarDraft(draftOf(), { narrative: HOSTILE, reason: HOSTILE, action: HOSTILE, subject: { firstName: HOSTILE, lastName: '<b>&' } }, 'officer.anna', T0 + 9100);
    const xml = goamlXml(d);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('\u0000');
    const { report } = parser.parse(xml);
    expect(report.action).toBe(HOSTILE.replace(/[\u0000\u0007\uD800]/g, '\uFFFD'));
    expect(report.transaction[1].t_from.from_account.signatory[0].t_person.last_name).toBe('<b>&');
    // Still a single report with all its transactions: nothing broke out of its element.
    expect(report.transaction).toHaveLength(d.transactions.length);
  });

  test('is deterministic for the same draft', () => {
    const d = draftOf();
    expect(goamlXml(d)).toBe(goamlXml(structuredClone(d)));
    expect(goamlXml(d)).toBe(goamlXml(draftOf()));
  });

  test('amount_local at a configured unit price, rounded half up to cents', () => {
    expect(localValue(units('9999.5'), 18, '1.5')).toBe('14999.25');
    expect(localValue('1', 18, '0.01')).toBe('0.00');
    expect(localValue(units('0.005'), 18, '1')).toBe('0.01');
    const d = draftOf({}, { unitPriceLocal: '100.25' });
    const { report } = parser.parse(goamlXml(d));
    expect(report.transaction[1].amount_local).toBe('1002449.88'); // 9999.5 × 100.25 = 1002449.875
    expect(goamlGaps(d).some((g) => g.includes('No unit price'))).toBe(false);
  });

  test('a transaction number keeps the log index within 50 characters', () => {
    const n = transactionNumber({ txHash: hash(3), logIndex: 12345 });
    expect(n.length).toBe(50);
    expect(n.endsWith('-12345')).toBe(true);
  });
});

// ── against the schema subset in fixtures/goaml ──────────────────────────────────────────────

/**
 * A small checker for the subset XSD (sequences of elements and choices, minOccurs/maxOccurs,
 * maxLength and pattern restrictions): enough to test order, required elements and lengths without
 * an XSD engine.
 */
type XNode = Record<string, unknown> & { ':@'?: Record<string, string> };
interface Particle {
  names: string[];
  types: Record<string, string>;
  min: number;
  max: number;
}
const tagOf = (n: XNode) => Object.keys(n).find((k) => k !== ':@')!;
const kids = (n: XNode) => (n[tagOf(n)] as XNode[]).filter((c) => tagOf(c) !== '#text');

function loadSubset() {
  const xsd = readFileSync(new URL('../fixtures/goaml/report-subset.xsd', import.meta.url), 'utf8');
  const doc = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '' }).parse(xsd) as XNode[];
  const schema = doc.find((n) => tagOf(n) === 'xs:schema')!;
  const complex: Record<string, Particle[]> = {};
  const simple: Record<string, { maxLength?: number; pattern?: RegExp }> = {};
  const occurs = (a: Record<string, string> | undefined, key: string) => (a?.[key] === undefined ? 1 : a[key] === 'unbounded' ? Infinity : Number(a[key]));
  for (const n of kids(schema)) {
    const name = n[':@']?.name;
    if (tagOf(n) === 'xs:simpleType') {
      const restriction = kids(n)[0];
      const facets = kids(restriction);
      const max = facets.find((f) => tagOf(f) === 'xs:maxLength');
      const pattern = facets.find((f) => tagOf(f) === 'xs:pattern');
      simple[name!] = { maxLength: max ? Number(max[':@']!.value) : undefined, pattern: pattern ? new RegExp(`^(?:${pattern[':@']!.value})$`) : undefined };
    }
    if (tagOf(n) === 'xs:complexType') {
      complex[name!] = kids(kids(n)[0]).map((p): Particle => {
        const elements = tagOf(p) === 'xs:choice' ? kids(p) : [p];
        return {
          names: elements.map((e) => e[':@']!.name),
          types: Object.fromEntries(elements.map((e) => [e[':@']!.name, e[':@']!.type])),
          min: occurs(p[':@'], 'minOccurs'),
          max: occurs(p[':@'], 'maxOccurs'),
        };
      });
    }
  }
  return { complex, simple };
}

function schemaErrors(xml: string): string[] {
  const { complex, simple } = loadSubset();
  const errors: string[] = [];
  const check = (node: XNode, type: string, path: string) => {
    const particles = complex[type];
    if (!particles) {
      const text = ((node[tagOf(node)] as XNode[]).find((c) => tagOf(c) === '#text')?.['#text'] as string | undefined) ?? '';
      const facets = simple[type] ?? {};
      if (facets.maxLength !== undefined && [...text].length > facets.maxLength) errors.push(`${path}: ${[...text].length} characters, at most ${facets.maxLength}`);
      if (facets.pattern && !facets.pattern.test(text)) errors.push(`${path}: "${text.slice(0, 40)}" does not match ${facets.pattern}`);
      return;
    }
    const children = kids(node);
    let at = 0;
    for (const p of particles) {
      let count = 0;
      while (at < children.length && p.names.includes(tagOf(children[at])) && count < p.max) {
        const child = children[at];
        check(child, p.types[tagOf(child)], `${path}/${tagOf(child)}`);
        at += 1;
        count += 1;
      }
      if (count < p.min) errors.push(`${path}: missing ${p.names.join(' or ')}`);
    }
    if (at < children.length) errors.push(`${path}: unexpected ${tagOf(children[at])}`);
  };
  const doc = new XMLParser({ preserveOrder: true, parseTagValue: false, trimValues: false }).parse(xml) as XNode[];
  check(
    doc.find((n) => tagOf(n) === 'report')!,
    'report',
    '/report',
  );
  return errors;
}

describe('goAML XML against the schema subset (fixtures/goaml/report-subset.xsd)', () => {
  test('a complete draft passes: order, required elements, lengths and formats', () => {
    expect(schemaErrors(goamlXml(draftOf()))).toEqual([]);
    expect(schemaErrors(goamlXml(draftOf({}, { unitPriceLocal: '99.99' })))).toEqual([]);
  });

  test('the checker does catch what goamlGaps warns about', () => {
    const bare = createSarDraft(input({ disclosure: null }), { id: 'sar-2', reportingEntity: { ...ENTITY, location: undefined }, createdBy: 'a', at: T0 });
    expect(schemaErrors(goamlXml(bare))).toEqual(['/report: missing report_indicators']);
    expect(goamlGaps(bare).some((g) => g.includes('No report indicator'))).toBe(true);
    const xml = goamlXml(draftOf());
    const swapped = xml.replace('<submission_code>E</submission_code>\n  <report_code>STR</report_code>', '<report_code>STR</report_code>\n  <submission_code>E</submission_code>');
    expect(swapped).not.toBe(xml);
    expect(schemaErrors(swapped)).toContain('/report: missing submission_code');
    expect(schemaErrors(xml.replace(/<transactionnumber>[^<]*</, `<transactionnumber>${'x'.repeat(51)}<`))).toEqual(['/report/transaction/transactionnumber: 51 characters, at most 50']);
  });

  test('hostile and over-long text stays within goAML limits', () => {
    const d = editSarDraft(draftOf(), { narrative: 'n'.repeat(4000), reason: HOSTILE, action: 'a'.repeat(4000), subject: { firstName: HOSTILE } }, 'officer.anna', T0 + 9100);
    expect(schemaErrors(goamlXml(d))).toEqual([]);
    expect(goamlGaps(d).some((g) => g.includes('is cut'))).toBe(true);
  });
});

// ── printable HTML ─────────────────────────────────────────────────────────────────────────────

describe('SAR HTML', () => {
  test('is self-contained, printable and has every section', () => {
    const html = sarHtml(draftOf());
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'none'`);
    expect(html).toContain('@media print');
    expect(html).not.toMatch(/<script|<link|<img|src=|href=/i);
    for (const section of ['Subject', 'Wallets', 'Amounts', 'Timeline', 'Transfers', 'Rule hits and evidence', 'Narrative', 'Status and history']) expect(html).toContain(`<h2>${section}</h2>`);
    expect(html).toContain('Erika Mustermann');
    expect(html).toContain('9999.25');
    expect(html).toContain('29996.875 HB30');
    expect(html).toContain('Not filed: nothing has been sent to any authority.');
  });

  test('escapes hostile text everywhere', () => {
    const d = editSarDraft(draftOf(), { narrative: HOSTILE, reason: HOSTILE, subject: { firstName: '<img src=x onerror=alert(1)>', lastName: '"\'&' } }, 'officer.<i>', T0 + 9100);
    const html = sarHtml(d);
    expect(html).not.toMatch(/<script|<img|<i>|<\/reason>/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('officer.&lt;i&gt;');
  });

  test('shows who filed it and when', () => {
    const html = sarHtml(fileSarDraft(draftOf(), 'officer.ben', T0 + 9200, 'FIU-2026-0042'));
    expect(html).toContain('Filed by officer.ben on 2026-01-01 02:33:20 UTC, FIU reference FIU-2026-0042. This report is final.');
  });
});

// ── the store and files ────────────────────────────────────────────────────────────────────────

describe('MemorySarStore', () => {
  test('create, edit, file, list; a filed draft refuses edits', async () => {
    let now = T0 + 10_000;
    const store = new MemorySarStore({ reportingEntity: ENTITY, codes: { indicators: { structuring: ['STRUCT'] } } }, () => now);
    const a = await store.create(input(), 'officer.anna');
    now += 10;
    const b = await store.create(input({ case: { ...CASE, id: 'case-18' }, disclosure: undefined }), 'officer.anna');
    expect(a.id).not.toBe(b.id);
    expect((await store.list()).map((s) => s.id)).toEqual([b.id, a.id]);
    expect((await store.list({ caseId: 'case-18' }))[0]).toMatchObject({ id: b.id, subject: `Unidentified investor ${TAG}`, status: 'draft', transfers: 6 });

    now += 10;
    const edited = await store.edit(a.id, { narrative: 'New text' }, 'officer.anna');
    expect(edited.status).toBe('edited');
    now += 10;
    await store.file(a.id, 'officer.ben');
    expect((await store.get(a.id))?.filed).toEqual({ by: 'officer.ben', at: now });
    await expect(store.edit(a.id, { narrative: 'x' }, 'officer.anna')).rejects.toThrow(/cannot be edited/);
    expect((await store.get(a.id))?.narrative).toBe('New text');
    expect((await store.list({ status: 'filed' })).map((s) => s.id)).toEqual([a.id]);
    await expect(store.edit('nope', { narrative: 'x' }, 'a')).rejects.toThrow(/no SAR draft/);

    // What a caller gets is a copy.
    const copy = (await store.get(b.id))!;
    copy.narrative = 'changed outside';
    expect((await store.get(b.id))!.narrative).not.toBe('changed outside');
  });

  test('writeSarFiles writes the XML and the page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkkyc-sar-'));
    try {
      const d = draftOf();
      const paths = await writeSarFiles(d, join(dir, 'out'));
      expect(readFileSync(paths.xml, 'utf8')).toBe(goamlXml(d));
      expect(readFileSync(paths.html, 'utf8')).toBe(sarHtml(d));
      await expect(writeSarFiles({ ...d, id: '../escape' }, dir)).rejects.toThrow(/file name/);
      // Personal data: owner-only files, whatever the umask.
      expect(statSync(paths.xml).mode & 0o777).toBe(0o600);
      expect(statSync(paths.html).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('writeSarFiles refuses to follow a symbolic link planted at a draft’s path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkkyc-sar-'));
    try {
      const d = draftOf();
      const elsewhere = join(dir, 'elsewhere.txt');
      writeFileSync(elsewhere, 'untouched');
      symlinkSync(elsewhere, join(dir, `${d.id}.goaml.xml`));
      await expect(writeSarFiles(d, dir)).rejects.toThrow(/symbolic link/);
      expect(readFileSync(elsewhere, 'utf8')).toBe('untouched');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nothing leaves the service by itself', () => {
  test('the SAR module has no network code', () => {
    const dir = new URL('../src/sar/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(4);
    for (const file of files) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const i of imports) expect(['node:fs/promises', 'node:path', '@zkkyc/escrow'].includes(i) || i.startsWith('./') || i.startsWith('../')).toBe(true);
      expect(source).not.toMatch(/\bfetch\s*\(|XMLHttpRequest|WebSocket|require\(/);
    }
  });
});
