import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LIST_SOURCES, SanctionsListError, ethereumAddresses, type ListSource, type ParsedList, type SanctionsEntry } from './entries.js';
import { parseEuConsolidated } from './eu-consolidated.js';
import { parseOfacSdn } from './ofac-sdn.js';
import type { DiffEntry, DiffWallet, ImportRecord, ListDiff, SanctionsStore } from './store.js';

/**
 * Importing a published list file: parse it (nothing is kept from a file that does not parse),
 * diff it against the last accepted import of the same source, apply the removal limit, and record
 * it — the history row and the new current list in one transaction.
 *
 * The removal limit: a file that would remove more than `maxRemovalFraction` (default 0.10) of
 * the source's wallet addresses, or that empties a list that had entries, is refused with a
 * `RemovalLimitError` — a truncated download or the wrong file must not unsanction everyone. An
 * officer who has checked that the list really shrank passes `confirmRemovals` equal to the number
 * of removals the error names (wallet addresses; for an emptied list without wallets, entries): a
 * number that does not match is refused too, so a confirmation cannot be reused for another file.
 */

export interface ImportOptions {
  source: ListSource;
  /** The file's path (read here) — also what errors and the history name. */
  file: string;
  /** The file's content, when the caller already has it; `file` is then only its name. */
  content?: Buffer;
  /** See above; default 0.10. */
  maxRemovalFraction?: number;
  confirmRemovals?: number;
  /** Unix seconds; default now. */
  now?: number;
}

export interface ImportResult {
  /** `unchanged`: the file is byte-for-byte the last accepted import of its source; nothing recorded. */
  status: 'imported' | 'unchanged';
  record: ImportRecord;
}

/** The import was refused by the removal limit: `removals` is the number `confirmRemovals` must name. */
export class RemovalLimitError extends SanctionsListError {
  constructor(
    file: string,
    readonly removals: number,
    detail: string,
  ) {
    super(file, '--confirm-removals', 'removal-limit', detail);
    this.name = 'RemovalLimitError';
  }
}

export const DEFAULT_MAX_REMOVAL_FRACTION = 0.1;

/** Parses `content` as a list of `source`. */
export function parseList(source: ListSource, file: string, content: Buffer | string): ParsedList {
  const text = (typeof content === 'string' ? content : content.toString('utf8')).replace(/^\uFEFF/, '');
  return source === 'ofac' ? parseOfacSdn(file, text) : parseEuConsolidated(file, text);
}

const walletKey = (w: { currency: string; address: string }) => `${w.currency}:${w.address}`;

function walletsOf(entries: SanctionsEntry[]): Map<string, DiffWallet> {
  const out = new Map<string, DiffWallet>();
  for (const e of entries) for (const w of e.wallets) if (!out.has(walletKey(w))) out.set(walletKey(w), { ...w, entryUid: e.uid });
  return out;
}

/** Order-insensitive comparison of one part of an entry. */
function same(a: unknown[], b: unknown[]): boolean {
  const key = (xs: unknown[]) =>
    xs
      .map((x) => JSON.stringify(x))
      .sort()
      .join('\n');
  return key(a) === key(b);
}

/** What changed from `before` to `after` (entries by uid, wallets by currency and address). */
export function diffLists(before: SanctionsEntry[], after: SanctionsEntry[]): ListDiff {
  const prev = new Map(before.map((e) => [e.uid, e]));
  const next = new Map(after.map((e) => [e.uid, e]));
  const ref = (e: SanctionsEntry): DiffEntry => ({ uid: e.uid, name: e.names[0]?.wholeName ?? '' });
  const entriesChanged: DiffEntry[] = [];
  for (const [uid, e] of next) {
    const p = prev.get(uid);
    if (!p) continue;
    const changed: NonNullable<DiffEntry['changed']> = p.type !== e.type ? ['type'] : [];
    for (const k of ['names', 'birthDates', 'nationalities', 'wallets', 'programs'] as const) if (!same(p[k], e[k])) changed.push(k);
    if (changed.length > 0) entriesChanged.push({ ...ref(e), changed });
  }
  const wPrev = walletsOf(before);
  const wNext = walletsOf(after);
  return {
    walletsAdded: [...wNext].filter(([k]) => !wPrev.has(k)).map(([, w]) => w),
    walletsRemoved: [...wPrev].filter(([k]) => !wNext.has(k)).map(([, w]) => w),
    entriesAdded: after.filter((e) => !prev.has(e.uid)).map(ref),
    entriesRemoved: before.filter((e) => !next.has(e.uid)).map(ref),
    entriesChanged,
  };
}

/** Imports one list file into `store`; see the module comment for the refusals. */
export async function importList(store: SanctionsStore, options: ImportOptions): Promise<ImportResult> {
  const { source, file } = options;
  if (!(LIST_SOURCES as readonly string[]).includes(source)) throw new SanctionsListError(file, 'source', 'enum', `source must be one of ${LIST_SOURCES.join(', ')}`);
  const maxFraction = options.maxRemovalFraction ?? DEFAULT_MAX_REMOVAL_FRACTION;
  if (!(maxFraction >= 0 && maxFraction <= 1)) throw new SanctionsListError(file, 'maxRemovalFraction', 'range', 'must be a number from 0 to 1');
  if (options.confirmRemovals !== undefined && !(Number.isSafeInteger(options.confirmRemovals) && options.confirmRemovals >= 0)) {
    throw new SanctionsListError(file, '--confirm-removals', 'non-negative-integer', 'the confirmed number of removals must be a whole number');
  }
  let content = options.content;
  if (!content) {
    try {
      content = await readFile(file);
    } catch (e) {
      throw new SanctionsListError(file, '--file', 'readable', (e as Error).message);
    }
  }
  const sha256 = createHash('sha256').update(content).digest('hex');
  const parsed = parseList(source, file, content);

  const last = await store.lastImport(source);
  if (last && last.sha256 === sha256) return { status: 'unchanged', record: last };
  const before = await store.currentEntries(source);
  const diff = diffLists(before, parsed.entries);

  const walletsBefore = walletsOf(before).size;
  const removed = diff.walletsRemoved.length;
  const overLimit = walletsBefore > 0 && removed / walletsBefore > maxFraction;
  const emptied = before.length > 0 && parsed.entries.length === 0;
  let confirmedRemovals: number | null = null;
  if (overLimit || emptied) {
    const removals = overLimit || removed > 0 ? removed : diff.entriesRemoved.length;
    const what = overLimit || removed > 0 ? `${removed} of ${walletsBefore} wallet addresses` : `all ${removals} entries`;
    const why = emptied ? 'empties the list' : `is above the limit of ${maxFraction * 100}%`;
    if (options.confirmRemovals !== removals) {
      const mismatch = options.confirmRemovals === undefined ? '' : ` (--confirm-removals ${options.confirmRemovals} does not match)`;
      throw new RemovalLimitError(
        file,
        removals,
        `this ${source} import removes ${what}${walletsBefore > 0 ? ` (${((removed / walletsBefore) * 100).toFixed(1)}%)` : ''} and ${why}; nothing was imported${mismatch}. If the published list really drops them, rerun with --confirm-removals ${removals}`,
      );
    }
    confirmedRemovals = removals;
  }
  const record = await store.saveImport(
    {
      source,
      fileName: file,
      sha256,
      publishedAt: parsed.publishedAt,
      entryCount: parsed.entries.length,
      walletCount: walletsOf(parsed.entries).size,
      importedAt: options.now ?? Math.floor(Date.now() / 1000),
      confirmedRemovals,
      diff,
    },
    parsed.entries,
  );
  return { status: 'imported', record };
}

/** The current entries of every source that has been imported. */
export async function currentLists(store: SanctionsStore): Promise<Array<{ source: ListSource; entries: SanctionsEntry[] }>> {
  const out: Array<{ source: ListSource; entries: SanctionsEntry[] }> = [];
  for (const source of LIST_SOURCES) {
    if (await store.lastImport(source)) out.push({ source, entries: await store.currentEntries(source) });
  }
  return out;
}

/** The union of the current lists' Ethereum addresses: what the on-chain SanctionsList should hold. */
export async function listedEthereumAddresses(store: SanctionsStore, currencies?: readonly string[]): Promise<string[]> {
  const lists = await currentLists(store);
  return ethereumAddresses(
    lists.flatMap((l) => l.entries),
    currencies,
  );
}
