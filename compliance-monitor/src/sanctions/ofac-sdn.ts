import { getAddress } from 'ethers';
import { countryCode } from './countries.js';
import { SanctionsListError, type EntryName, type EntryType, type ListedDate, type ListedWallet, type ParsedList, type SanctionsEntry } from './entries.js';
import { childText, children, parseXmlDocument, type XmlElement } from './xml-document.js';

/**
 * OFAC's SDN list in its XML format (the `SDN.XML` / `sdn.xml` file OFAC publishes at
 * https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.XML, root
 * `<sdnList>`). Read from each `<sdnEntry>`: `uid` and `sdnType` (required), `firstName` /
 * `lastName` (an entity's whole name is its `lastName`), `akaList/aka` (aliases, `category`
 * strong/weak), `dateOfBirthList/dateOfBirthItem/dateOfBirth`, `nationalityList/nationality/country`
 * and `citizenshipList/citizenship/country`, `programList/program`, and from `idList/id` the
 * digital-currency features: `idType` "Digital Currency Address - ETH" (or XBT, USDT…) with the
 * address in `idNumber`. `publshInformation/Publish_Date` (MM/DD/YYYY; OFAC's spelling) is the
 * publication date and `Record_Count` is checked against the entries read, so a truncated download
 * is refused. The "advanced" file (SDN_ADVANCED.XML, root `<Sanctions>`) is a different schema and
 * is refused with a pointer to SDN.XML.
 */
export function parseOfacSdn(file: string, text: string): ParsedList {
  const { rootName, root } = parseXmlDocument(file, text);
  if (rootName === 'Sanctions') {
    throw new SanctionsListError(file, 'Sanctions', 'format', "this is OFAC's advanced format (SDN_ADVANCED.XML); import SDN.XML (root <sdnList>) instead");
  }
  if (rootName !== 'sdnList') {
    throw new SanctionsListError(
      file,
      rootName,
      'format',
      `expected the OFAC SDN list (root element <sdnList>), found <${rootName}>${rootName === 'export' ? ' (an EU consolidated list? use --source eu)' : ''}`,
    );
  }
  const info = children(root, 'publshInformation')[0];
  const publishDate = info ? childText(info, 'Publish_Date') : undefined;
  let publishedAt: string | null = null;
  if (publishDate !== undefined) {
    const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(publishDate);
    if (!m) throw new SanctionsListError(file, 'sdnList/publshInformation/Publish_Date', 'date', `"${publishDate}" is not MM/DD/YYYY`);
    publishedAt = `${m[3]}-${m[1]}-${m[2]}`;
  }
  const countText = info ? childText(info, 'Record_Count') : undefined;
  const statedCount = countText !== undefined && /^\d+$/.test(countText) ? Number(countText) : null;

  const seen = new Set<string>();
  const entries = children(root, 'sdnEntry').map((el, i) => {
    const entry = readEntry(file, `sdnList/sdnEntry[${i + 1}]`, el);
    if (seen.has(entry.uid)) throw new SanctionsListError(file, `sdnList/sdnEntry[${i + 1}]/uid`, 'unique', `uid ${entry.uid} appears twice`);
    seen.add(entry.uid);
    return entry;
  });
  if (statedCount !== null && statedCount !== entries.length) {
    throw new SanctionsListError(file, 'sdnList/publshInformation/Record_Count', 'record-count', `the file states ${statedCount} entries but holds ${entries.length} (truncated download?)`);
  }
  return { source: 'ofac', publishedAt, statedCount, entries };
}

function required(file: string, path: string, el: XmlElement, name: string): string {
  const v = childText(el, name);
  if (v === undefined) throw new SanctionsListError(file, `${path}/${name}`, 'required', `<${name}> is missing or empty`);
  return v;
}

function readEntry(file: string, path: string, el: XmlElement): SanctionsEntry {
  const uid = required(file, path, el, 'uid');
  const sdnType = required(file, path, el, 'sdnType');
  const type: EntryType = sdnType === 'Individual' ? 'individual' : sdnType === 'Entity' ? 'entity' : 'other';
  const lastName = required(file, path, el, 'lastName');
  const firstName = childText(el, 'firstName');
  const names: EntryName[] = [name(firstName, lastName, 'primary')];
  children(el, 'akaList')
    .flatMap((l) => children(l, 'aka'))
    .forEach((aka, i) => {
      const akaLast = childText(aka, 'lastName');
      const akaFirst = childText(aka, 'firstName');
      if (akaLast === undefined && akaFirst === undefined) throw new SanctionsListError(file, `${path}/akaList/aka[${i + 1}]`, 'required', 'an alias needs <lastName> or <firstName>');
      const category = childText(aka, 'category');
      names.push({ ...name(akaFirst, akaLast, 'alias'), ...(category === 'strong' || category === 'weak' ? { strength: category } : {}) });
    });
  const birthDates = children(el, 'dateOfBirthList')
    .flatMap((l) => children(l, 'dateOfBirthItem'))
    .map((item, i) => ofacDate(file, `${path}/dateOfBirthList/dateOfBirthItem[${i + 1}]/dateOfBirth`, required(file, `${path}/dateOfBirthList/dateOfBirthItem[${i + 1}]`, item, 'dateOfBirth')));
  const nationalities = [...children(el, 'nationalityList').flatMap((l) => children(l, 'nationality')), ...children(el, 'citizenshipList').flatMap((l) => children(l, 'citizenship'))]
    .map((n) => childText(n, 'country'))
    .filter((c): c is string => c !== undefined)
    .map(countryCode);
  const wallets: ListedWallet[] = [];
  children(el, 'idList')
    .flatMap((l) => children(l, 'id'))
    .forEach((id, i) => {
      const idType = childText(id, 'idType') ?? '';
      const m = /^Digital Currency Address\s*-\s*(\S+)$/i.exec(idType);
      if (!m) return;
      const at = `${path}/idList/id[${i + 1}]/idNumber`;
      wallets.push(currencyAddress(file, at, m[1].toUpperCase(), required(file, `${path}/idList/id[${i + 1}]`, id, 'idNumber')));
    });
  const programs = children(el, 'programList')
    .flatMap((l) => children(l, 'program'))
    .map((p) => p['#text'] ?? '')
    .filter((p) => p !== '');
  return { uid, type, names, birthDates, nationalities: [...new Set(nationalities)], wallets, programs };
}

function name(firstName: string | undefined, lastName: string | undefined, kind: EntryName['kind']): EntryName {
  return {
    wholeName: [firstName, lastName].filter(Boolean).join(' '),
    ...(firstName !== undefined ? { firstName } : {}),
    ...(lastName !== undefined ? { lastName } : {}),
    kind,
  };
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** OFAC writes birth dates as "12 Jan 1980", "Jan 1980", "1980", "circa 1980" or "1975 to 1977". */
function ofacDate(file: string, path: string, text: string): ListedDate {
  const circa = /^circa\s+/i.test(text);
  const body = text.replace(/^circa\s+/i, '').trim();
  let m = /^(\d{4})\s+to\s+(\d{4})$/i.exec(body);
  if (m) return { text, year: Number(m[1]), yearTo: Number(m[2]), ...(circa ? { circa } : {}) };
  m = /^(?:(\d{1,2})\s+)?(?:([A-Za-z]{3})[a-z]*\s+)?(\d{4})$/.exec(body);
  const month = m?.[2] ? MONTHS.indexOf(m[2].toLowerCase()) + 1 : undefined;
  if (!m || month === 0 || (m[1] && !m[2])) throw new SanctionsListError(file, path, 'date', `"${text}" is not a date OFAC writes ("12 Jan 1980", "Jan 1980", "1980", "circa 1980", "1975 to 1977")`);
  return { text, year: Number(m[3]), ...(month ? { month } : {}), ...(m[1] ? { day: Number(m[1]) } : {}), ...(circa ? { circa } : {}) };
}

/**
 * A published digital-currency address: an 0x address (any currency) must be 20 bytes and, when
 * written in mixed case, carry a valid EIP-55 checksum (a typo in a listed address must not flag
 * someone else's wallet); it is kept lower-case. ETH addresses must be 0x addresses.
 */
export function currencyAddress(file: string, path: string, currency: string, address: string): ListedWallet {
  if (/^0x/i.test(address) || currency === 'ETH') {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new SanctionsListError(file, path, 'evm-address', `"${address}" is not a 20-byte 0x address`);
    if (address !== address.toLowerCase() && address.slice(2) !== address.slice(2).toUpperCase()) {
      try {
        getAddress(address);
      } catch {
        throw new SanctionsListError(file, path, 'evm-address-checksum', `"${address}" has an invalid EIP-55 checksum`);
      }
    }
    return { currency, address: address.toLowerCase() };
  }
  return { currency, address };
}
