import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SanctionsListError, createMemorySanctionsStore, ethereumAddresses, importList, parseEuConsolidated, parseOfacSdn } from '../src/sanctions/index.js';

/**
 * The two list formats as published, read from the fixture files (invented entries in the real
 * schemas): what each parser keeps, which wallet addresses go to the chain, and how a malformed
 * file, a file of the other format or an entry without its id is refused — naming the file, the
 * element and the rule, with nothing imported.
 */
const fixtures = resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/sanctions');
const OFAC = 'ofac-sdn.xml';
const EU = 'eu-consolidated.xml';
const ofacText = readFileSync(resolve(fixtures, OFAC), 'utf8');
const euText = readFileSync(resolve(fixtures, EU), 'utf8');

function refusal(fn: () => unknown): SanctionsListError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SanctionsListError);
    return e as SanctionsListError;
  }
  throw new Error('expected a refusal');
}

describe('OFAC SDN XML', () => {
  const list = parseOfacSdn(OFAC, ofacText);

  it('reads the publication date, the entries, their names, aliases, birth dates, nationalities and programmes', () => {
    expect(list).toMatchObject({ source: 'ofac', publishedAt: '2026-11-24', statedCount: 12 });
    expect(list.entries).toHaveLength(12);
    expect(list.entries.find((e) => e.uid === '91001')).toEqual({
      uid: '91001',
      type: 'individual',
      names: [
        { wholeName: 'Hans MUELLER', firstName: 'Hans', lastName: 'MUELLER', kind: 'primary' },
        { wholeName: 'Hans-Peter MÜLLER', firstName: 'Hans-Peter', lastName: 'MÜLLER', kind: 'alias', strength: 'strong' },
      ],
      birthDates: [{ text: '12 Mar 1970', year: 1970, month: 3, day: 12 }],
      nationalities: ['DE'],
      wallets: [
        { currency: 'ETH', address: '0xac6551ca81c578a6f992acf3959a921293a7a355' },
        { currency: 'XBT', address: 'bc1qzk9fixture0invented0address0hm7x2q4' },
      ],
      programs: ['CYBER2'],
    });
    const byUid = (uid: string) => list.entries.find((e) => e.uid === uid)!;
    expect(byUid('91003').type).toBe('entity');
    expect(byUid('91007').type).toBe('other');
    expect(byUid('91004').birthDates).toEqual([{ text: '1965 to 1967', year: 1965, yearTo: 1967 }]);
    expect(byUid('91009').birthDates).toEqual([{ text: 'circa 1990', year: 1990, circa: true }]);
    expect(byUid('91012').birthDates).toEqual([{ text: 'May 1983', year: 1983, month: 5 }]);
    expect(byUid('91008').nationalities).toEqual(['KP']);
    expect(byUid('91005').nationalities).toEqual(['CO']);
  });

  it('sends ETH (and ERC-20 stablecoin) 0x addresses to the chain and leaves Bitcoin, Monero, Litecoin and Tron addresses out', () => {
    const pushed = ethereumAddresses(list.entries);
    expect(pushed).toHaveLength(11);
    expect(pushed).toContain('0xa096be0848ed6cbdb8156db65ffb346347af1770'); // USDC on Ethereum
    const others = list.entries.flatMap((e) => e.wallets).filter((w) => !pushed.includes(w.address));
    expect(others.map((w) => w.currency).sort()).toEqual(['LTC', 'USDT', 'XBT', 'XBT', 'XMR']);
  });
});

describe('EU consolidated list XML', () => {
  const list = parseEuConsolidated(EU, euText);

  it('reads logicalId, subject type, name aliases in their scripts, birth dates, citizenships and wallet identifications', () => {
    expect(list).toMatchObject({ source: 'eu', publishedAt: '2026-11-27T16:05:12.000+01:00', statedCount: null });
    expect(list.entries).toHaveLength(12);
    const volkov = list.entries.find((e) => e.uid === '7001')!;
    expect(volkov.names.map((n) => n.wholeName)).toEqual(['Aleksandr Igorevich Volkov', 'Александр Игоревич Волков']);
    expect(volkov).toMatchObject({ type: 'individual', nationalities: ['RU'], programs: ['CYB'], birthDates: [{ year: 1981, month: 6, day: 2 }] });
    const byUid = (uid: string) => list.entries.find((e) => e.uid === uid)!;
    expect(byUid('7004').type).toBe('entity');
    expect(byUid('7005').birthDates).toEqual([{ text: '1970 to 1972', year: 1970, yearTo: 1972, circa: true }]);
    expect(byUid('7008').birthDates).toEqual([]); // a place of birth only
    expect(byUid('7003').birthDates).toEqual([{ text: '1966', year: 1966 }]);
    expect(byUid('7006').wallets).toEqual([]); // a passport is not a wallet
    expect(ethereumAddresses(list.entries)).toHaveLength(5);
    expect(byUid('7011').wallets.map((w) => w.currency)).toEqual(['ETH', 'TRX']);
  });
});

describe('refusals', () => {
  it('refuses malformed XML with the line and column', () => {
    const e = refusal(() => parseOfacSdn('cut.xml', ofacText.slice(0, 2000)));
    expect(e).toMatchObject({ file: 'cut.xml', rule: 'well-formed-xml' });
    expect(e.message).toMatch(/^cut\.xml: line \d+, column \d+: well-formed-xml: /);
  });

  it("refuses a file of the other format, and OFAC's advanced format, saying which to use", () => {
    expect(refusal(() => parseOfacSdn('eu.xml', euText)).message).toBe(
      'eu.xml: export: format: expected the OFAC SDN list (root element <sdnList>), found <export> (an EU consolidated list? use --source eu)',
    );
    expect(refusal(() => parseEuConsolidated('sdn.xml', ofacText)).rule).toBe('format');
    expect(refusal(() => parseOfacSdn('adv.xml', '<?xml version="1.0"?><Sanctions><DateOfIssue/></Sanctions>')).message).toContain('SDN_ADVANCED.XML');
  });

  it('refuses an entry without its id, naming the element', () => {
    const noUid = ofacText.replace('<uid>91005</uid>', '');
    expect(refusal(() => parseOfacSdn(OFAC, noUid)).message).toBe(`${OFAC}: sdnList/sdnEntry[5]/uid: required: <uid> is missing or empty`);
    const noLogicalId = euText.replace('logicalId="7003"', '');
    expect(refusal(() => parseEuConsolidated(EU, noLogicalId)).message).toBe(`${EU}: export/sanctionEntity[3]/@logicalId: required: the logicalId attribute is missing or empty`);
  });

  it('refuses a listed address with a broken checksum, a truncated list, duplicate ids, bad dates and DOCTYPEs', () => {
    const typo = ofacText.replace('0xAC6551ca81C578a6F992ACF3959a921293a7A355', '0xAC6551ca81C578a6F992ACF3959a921293a7A356');
    expect(refusal(() => parseOfacSdn(OFAC, typo))).toMatchObject({ path: 'sdnList/sdnEntry[1]/idList/id[1]/idNumber', rule: 'evm-address-checksum' });
    const shortEth = euText.replace('0x632c8B16033eaFe467D1727D86f69D1eB0d15eA4', '0x632c8B16');
    expect(refusal(() => parseEuConsolidated(EU, shortEth))).toMatchObject({ path: 'export/sanctionEntity[7]/identification[1]/@number', rule: 'evm-address' });
    const truncated = ofacText.replace(/ {2}<sdnEntry>\s*<uid>91012<\/uid>[\s\S]*?<\/sdnEntry>\n/, '');
    expect(refusal(() => parseOfacSdn(OFAC, truncated))).toMatchObject({ rule: 'record-count', path: 'sdnList/publshInformation/Record_Count' });
    const dup = euText.replace('logicalId="7002"', 'logicalId="7001"');
    expect(refusal(() => parseEuConsolidated(EU, dup))).toMatchObject({ rule: 'unique', path: 'export/sanctionEntity[2]/@logicalId' });
    const badDate = ofacText.replace('12 Mar 1970', '1970-03-12');
    expect(refusal(() => parseOfacSdn(OFAC, badDate))).toMatchObject({ rule: 'date', path: 'sdnList/sdnEntry[1]/dateOfBirthList/dateOfBirthItem[1]/dateOfBirth' });
    expect(refusal(() => parseOfacSdn('x.xml', '<!DOCTYPE sdnList [<!ENTITY a "aaaa">]><sdnList>&a;</sdnList>')).rule).toBe('no-doctype');
  });

  it('imports nothing from a refused file', async () => {
    const store = createMemorySanctionsStore();
    await expect(importList(store, { source: 'ofac', file: OFAC, content: Buffer.from(ofacText.replace('<uid>91005</uid>', '')) })).rejects.toThrow('sdnList/sdnEntry[5]/uid: required');
    await expect(importList(store, { source: 'eu', file: OFAC, content: Buffer.from(ofacText) })).rejects.toThrow('format');
    await expect(importList(store, { source: 'ofac', file: '/nonexistent/sdn.xml' })).rejects.toThrow('/nonexistent/sdn.xml: --file: readable:');
    expect(await store.listImports()).toEqual([]);
    expect(await store.currentEntries('ofac')).toEqual([]);
  });
});
