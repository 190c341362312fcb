import { countryCode } from './countries.js';
import { SanctionsListError, type EntryName, type EntryType, type ListedDate, type ListedWallet, type ParsedList, type SanctionsEntry } from './entries.js';
import { currencyAddress } from './ofac-sdn.js';
import { attr, children, parseXmlDocument, type XmlElement } from './xml-document.js';

/**
 * The EU consolidated financial sanctions list in its XML format (the "xmlFullSanctionsList_1_1"
 * file of the Financial Sanctions Files, root `<export>` with a `generationDate` attribute). The
 * schema puts almost everything in attributes. Read from each `<sanctionEntity>`: `logicalId`
 * (required), `subjectType/@code` (person → individual, enterprise → entity), `nameAlias`
 * (`wholeName`, `firstName`, `lastName`, `strong`; at least one required), `birthdate` (`birthdate`
 * YYYY-MM-DD, or `year`/`monthOfYear`/`dayOfMonth`, or `yearRangeFrom`/`yearRangeTo`, with
 * `circa`; a birthdate element carrying only a place of birth is skipped), `citizenship/@countryIso2Code`,
 * `regulation/@programme`, and `identification` elements whose `identificationTypeDescription` is
 * "Digital Currency Address - ETH" (or another currency): the EU schema has no type of its own for
 * wallets, so the monitor reads them in OFAC's wording, with the address in `number`.
 */
export function parseEuConsolidated(file: string, text: string): ParsedList {
  const { rootName, root } = parseXmlDocument(file, text);
  if (rootName !== 'export') {
    throw new SanctionsListError(
      file,
      rootName,
      'format',
      `expected the EU consolidated list (root element <export>), found <${rootName}>${rootName === 'sdnList' ? ' (an OFAC SDN list? use --source ofac)' : ''}`,
    );
  }
  if (children(root, 'sanctionEntity').length === 0 && Object.keys(root).some((k) => !k.startsWith('@') && k !== '#text')) {
    throw new SanctionsListError(file, 'export', 'format', 'an <export> without <sanctionEntity> elements is not the EU consolidated list');
  }
  const seen = new Set<string>();
  const entries = children(root, 'sanctionEntity').map((el, i) => {
    const entry = readEntity(file, `export/sanctionEntity[${i + 1}]`, el);
    if (seen.has(entry.uid)) throw new SanctionsListError(file, `export/sanctionEntity[${i + 1}]/@logicalId`, 'unique', `logicalId ${entry.uid} appears twice`);
    seen.add(entry.uid);
    return entry;
  });
  return { source: 'eu', publishedAt: attr(root, 'generationDate') ?? null, statedCount: null, entries };
}

function readEntity(file: string, path: string, el: XmlElement): SanctionsEntry {
  const uid = attr(el, 'logicalId');
  if (uid === undefined) throw new SanctionsListError(file, `${path}/@logicalId`, 'required', 'the logicalId attribute is missing or empty');
  const subject = children(el, 'subjectType')[0];
  const code = subject ? attr(subject, 'code') : undefined;
  if (code === undefined) throw new SanctionsListError(file, `${path}/subjectType/@code`, 'required', 'the subject type (person or enterprise) is missing');
  const type: EntryType = code === 'person' ? 'individual' : code === 'enterprise' ? 'entity' : 'other';

  const aliases = children(el, 'nameAlias');
  if (aliases.length === 0) throw new SanctionsListError(file, `${path}/nameAlias`, 'required', 'an entity needs at least one <nameAlias>');
  const names: EntryName[] = aliases.map((a, i) => {
    const firstName = attr(a, 'firstName');
    const lastName = attr(a, 'lastName');
    const wholeName = attr(a, 'wholeName') ?? [firstName, attr(a, 'middleName'), lastName].filter(Boolean).join(' ');
    if (wholeName === '') throw new SanctionsListError(file, `${path}/nameAlias[${i + 1}]`, 'required', 'a nameAlias needs wholeName, firstName or lastName');
    const strong = attr(a, 'strong');
    return {
      wholeName,
      ...(firstName !== undefined ? { firstName } : {}),
      ...(lastName !== undefined ? { lastName } : {}),
      kind: i === 0 ? 'primary' : 'alias',
      ...(strong === 'true' ? { strength: 'strong' as const } : strong === 'false' ? { strength: 'weak' as const } : {}),
    };
  });

  const birthDates: ListedDate[] = [];
  children(el, 'birthdate').forEach((b, i) => {
    const d = euDate(file, `${path}/birthdate[${i + 1}]`, b);
    if (d) birthDates.push(d);
  });
  const nationalities = children(el, 'citizenship')
    .map((c) => attr(c, 'countryIso2Code') ?? attr(c, 'countryDescription'))
    .filter((c): c is string => c !== undefined && c !== '00')
    .map(countryCode);
  const wallets: ListedWallet[] = [];
  children(el, 'identification').forEach((id, i) => {
    const m = /^Digital Currency Address\s*-\s*(\S+)$/i.exec(attr(id, 'identificationTypeDescription') ?? '');
    if (!m) return;
    const number = attr(id, 'number');
    if (number === undefined) throw new SanctionsListError(file, `${path}/identification[${i + 1}]/@number`, 'required', 'a digital currency address needs its number');
    wallets.push(currencyAddress(file, `${path}/identification[${i + 1}]/@number`, m[1].toUpperCase(), number));
  });
  const programs = [
    ...new Set(
      children(el, 'regulation')
        .map((r) => attr(r, 'programme'))
        .filter((p): p is string => p !== undefined),
    ),
  ];
  return { uid, type, names, birthDates, nationalities: [...new Set(nationalities)], wallets, programs };
}

function euDate(file: string, path: string, b: XmlElement): ListedDate | null {
  const circa = attr(b, 'circa') === 'true';
  const full = attr(b, 'birthdate');
  const extra = circa ? { circa } : {};
  if (full !== undefined) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(full);
    if (!m) throw new SanctionsListError(file, `${path}/@birthdate`, 'date', `"${full}" is not YYYY-MM-DD`);
    return { text: full, year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), ...extra };
  }
  const year = attr(b, 'year');
  if (year !== undefined) {
    if (!/^\d{4}$/.test(year)) throw new SanctionsListError(file, `${path}/@year`, 'date', `"${year}" is not a year`);
    const month = attr(b, 'monthOfYear');
    const day = attr(b, 'dayOfMonth');
    return {
      text: [year, month, day].filter(Boolean).join('-'),
      year: Number(year),
      ...(month && /^\d{1,2}$/.test(month) ? { month: Number(month) } : {}),
      ...(month && day && /^\d{1,2}$/.test(day) ? { day: Number(day) } : {}),
      ...extra,
    };
  }
  const from = attr(b, 'yearRangeFrom');
  const to = attr(b, 'yearRangeTo');
  if (from !== undefined || to !== undefined) {
    for (const [n, v] of [
      ['yearRangeFrom', from],
      ['yearRangeTo', to],
    ] as const) {
      if (v !== undefined && !/^\d{4}$/.test(v)) throw new SanctionsListError(file, `${path}/@${n}`, 'date', `"${v}" is not a year`);
    }
    const first = Number(from ?? to);
    return { text: `${from ?? ''} to ${to ?? ''}`.trim(), year: first, yearTo: Number(to ?? from), ...extra };
  }
  return null;
}
