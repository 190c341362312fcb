/**
 * What a sanctions list says, in one shape for every source: the entries (a person, an entity or
 * something else — a vessel, an aircraft), their names and aliases, birth dates, nationalities and
 * the wallet addresses the list attaches to them. Parsers (ofac-sdn.ts, eu-consolidated.ts) turn a
 * published file into a `ParsedList`; imports.ts records it and diffs it against the last import;
 * chain-push.ts puts its Ethereum addresses on chain; screening.ts compares people with its entries.
 */

/** The lists the monitor knows how to read. */
export const LIST_SOURCES = ['ofac', 'eu'] as const;
export type ListSource = (typeof LIST_SOURCES)[number];

export type EntryType = 'individual' | 'entity' | 'other';

/** One name of an entry as the list spells it. The first name of an entry is its primary name. */
export interface EntryName {
  /** The whole name as one string ("MUELLER, Hans" is written "Hans MUELLER"). */
  wholeName: string;
  firstName?: string;
  lastName?: string;
  kind: 'primary' | 'alias';
  /** OFAC's alias category and the EU's `strong` attribute: a weak alias is a loose nickname. */
  strength?: 'strong' | 'weak';
}

/**
 * A birth date as precise as the list states it: a full date, a month, a year, or a range of years
 * ("1975 to 1977", EU `yearRangeFrom`/`yearRangeTo`); `circa` when the list says approximately.
 */
export interface ListedDate {
  /** The text as published, for the reviewer. */
  text: string;
  year: number;
  month?: number;
  day?: number;
  /** Last year of a range (inclusive); absent for a single year. */
  yearTo?: number;
  circa?: boolean;
}

/** A digital-currency address attached to an entry: the currency symbol as published and the address. */
export interface ListedWallet {
  /** "ETH", "XBT", "USDT"… as in OFAC's "Digital Currency Address - ETH". */
  currency: string;
  /** Lower-case 0x form for EVM addresses, as published otherwise. */
  address: string;
}

export interface SanctionsEntry {
  /** OFAC `uid`, EU `logicalId`: stable across publications of the same list. */
  uid: string;
  type: EntryType;
  names: EntryName[];
  birthDates: ListedDate[];
  /** ISO 3166-1 alpha-2 codes when the country could be resolved, the published text otherwise. */
  nationalities: string[];
  wallets: ListedWallet[];
  /** Sanctions programmes (OFAC `program`, EU regulation `programme`). */
  programs: string[];
}

/** A parsed file: what the list says about itself, and its entries. */
export interface ParsedList {
  source: ListSource;
  /** The publication date the file states (OFAC `Publish_Date`, EU `generationDate`), ISO 8601; null when absent. */
  publishedAt: string | null;
  /** OFAC `Record_Count` when stated: checked against the entries read. */
  statedCount: number | null;
  entries: SanctionsEntry[];
}

/**
 * A list file or an import refused: `file` (as given), `path` (the element, e.g.
 * `sdnList/sdnEntry[3]/uid`, or the option), `rule` (what was broken, e.g. `required`,
 * `well-formed-xml`, `removal-limit`). Nothing is imported when this is thrown.
 */
export class SanctionsListError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly rule: string,
    detail: string,
  ) {
    super(`${file}: ${path}: ${rule}: ${detail}`);
    this.name = 'SanctionsListError';
  }
}

/** Currencies whose 0x addresses are Ethereum accounts (ETH itself and ERC-20 stablecoins on Ethereum). */
export const DEFAULT_PUSH_CURRENCIES: readonly string[] = ['ETH', 'USDT', 'USDC'];

/**
 * The Ethereum addresses of `entries` that belong on the on-chain SanctionsList: wallets in one of
 * `currencies` whose address is an EVM address (0x + 40 hex). A USDT address on Tron (`T…`), a
 * Bitcoin or a Monero address is not an Ethereum account and is left out. Lower-case, sorted, unique.
 */
export function ethereumAddresses(entries: Iterable<SanctionsEntry>, currencies: readonly string[] = DEFAULT_PUSH_CURRENCIES): string[] {
  const out = new Set<string>();
  for (const entry of entries) {
    for (const w of entry.wallets) {
      if (currencies.includes(w.currency) && /^0x[0-9a-f]{40}$/.test(w.address)) out.add(w.address);
    }
  }
  return [...out].sort();
}
