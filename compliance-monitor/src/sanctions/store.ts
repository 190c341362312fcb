import Database from 'better-sqlite3';
import type { ListSource, ListedWallet, SanctionsEntry } from './entries.js';

/**
 * What the sanctions part of the monitor keeps: the history of imports (one row per accepted file,
 * with its hash, publication date, counts and diff) and, per source, the entries of the last
 * accepted import — the list as it currently stands, which the next import is diffed against, the
 * chain push reads its addresses from and screening compares people with. A refused import leaves
 * no trace. The monitor's main store is expected to take these tables over
 * (`SANCTIONS_MIGRATIONS`); until then `openSqliteSanctionsStore` keeps them in a file of its own.
 */

/** One entry that the diff names: its uid and primary name (and, when changed, which parts changed). */
export interface DiffEntry {
  uid: string;
  name: string;
  changed?: Array<'type' | 'names' | 'birthDates' | 'nationalities' | 'wallets' | 'programs'>;
}

/** A wallet the diff names, with the entry that lists it. */
export interface DiffWallet extends ListedWallet {
  entryUid: string;
}

/** What changed since the last accepted import of the same source (everything is "added" for the first). */
export interface ListDiff {
  walletsAdded: DiffWallet[];
  walletsRemoved: DiffWallet[];
  entriesAdded: DiffEntry[];
  entriesRemoved: DiffEntry[];
  entriesChanged: DiffEntry[];
}

export interface ImportRecord {
  id: number;
  source: ListSource;
  /** The file as given to the import (a path or a name), for the officer. */
  fileName: string;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  /** The publication date the file states, ISO 8601; null when it states none. */
  publishedAt: string | null;
  entryCount: number;
  /** Distinct wallet addresses (every currency). */
  walletCount: number;
  /** Unix seconds. */
  importedAt: number;
  /** The removal count an officer confirmed to pass the removal limit; null when none was needed. */
  confirmedRemovals: number | null;
  diff: ListDiff;
}

export type NewImportRecord = Omit<ImportRecord, 'id'>;

/** The capability imports, the chain push, screening and the CLI depend on. */
export interface SanctionsStore {
  /** The last accepted import of `source`, or null. */
  lastImport(source: ListSource): Promise<ImportRecord | null>;
  /** The entries of the last accepted import of `source` ([] before the first). */
  currentEntries(source: ListSource): Promise<SanctionsEntry[]>;
  /** Atomically appends the import to the history and makes `entries` the current list of its source. */
  saveImport(record: NewImportRecord, entries: SanctionsEntry[]): Promise<ImportRecord>;
  /** The history, newest first (one source, or all). */
  listImports(source?: ListSource): Promise<ImportRecord[]>;
  close(): Promise<void>;
}

/** Numbered, never edited once shipped; SQL that SQLite and Postgres both accept, except where noted. */
export const SANCTIONS_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string; postgres?: string }> = [
  {
    version: 1,
    name: 'sanctions imports and current entries',
    sql: `
      CREATE TABLE sanctions_imports (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        source             TEXT NOT NULL CHECK (source IN ('ofac', 'eu')),
        file_name          TEXT NOT NULL,
        sha256             TEXT NOT NULL,
        published_at       TEXT,
        entry_count        INTEGER NOT NULL,
        wallet_count       INTEGER NOT NULL,
        imported_at        INTEGER NOT NULL,
        confirmed_removals INTEGER,
        diff_json          TEXT NOT NULL
      );
      CREATE INDEX sanctions_imports_source ON sanctions_imports (source, id);
      -- The current list per source: replaced as a whole by each accepted import.
      CREATE TABLE sanctions_entries (
        source     TEXT NOT NULL,
        uid        TEXT NOT NULL,
        import_id  INTEGER NOT NULL REFERENCES sanctions_imports (id),
        entry_json TEXT NOT NULL,
        PRIMARY KEY (source, uid)
      );`,
    postgres: `
      CREATE TABLE sanctions_imports (
        id                 BIGSERIAL PRIMARY KEY,
        source             TEXT NOT NULL CHECK (source IN ('ofac', 'eu')),
        file_name          TEXT NOT NULL,
        sha256             TEXT NOT NULL,
        published_at       TEXT,
        entry_count        INTEGER NOT NULL,
        wallet_count       INTEGER NOT NULL,
        imported_at        BIGINT NOT NULL,
        confirmed_removals INTEGER,
        diff_json          TEXT NOT NULL
      );
      CREATE INDEX sanctions_imports_source ON sanctions_imports (source, id);
      CREATE TABLE sanctions_entries (
        source     TEXT NOT NULL,
        uid        TEXT NOT NULL,
        import_id  BIGINT NOT NULL REFERENCES sanctions_imports (id),
        entry_json TEXT NOT NULL,
        PRIMARY KEY (source, uid)
      );`,
  },
];

/** Keeps everything in memory: for tests and one-shot runs. */
export function createMemorySanctionsStore(): SanctionsStore {
  const imports: ImportRecord[] = [];
  const current = new Map<ListSource, SanctionsEntry[]>();
  const copy = <T>(v: T): T => structuredClone(v);
  return {
    async lastImport(source) {
      const last = imports.filter((i) => i.source === source).at(-1);
      return last ? copy(last) : null;
    },
    async currentEntries(source) {
      return copy(current.get(source) ?? []);
    },
    async saveImport(record, entries) {
      const saved = { ...copy(record), id: imports.length + 1 };
      imports.push(saved);
      current.set(record.source, copy(entries));
      return copy(saved);
    },
    async listImports(source) {
      return copy(imports.filter((i) => source === undefined || i.source === source).reverse());
    },
    async close() {},
  };
}

interface ImportRow {
  id: number;
  source: ListSource;
  file_name: string;
  sha256: string;
  published_at: string | null;
  entry_count: number;
  wallet_count: number;
  imported_at: number;
  confirmed_removals: number | null;
  diff_json: string;
}

function fromRow(r: ImportRow): ImportRecord {
  return {
    id: r.id,
    source: r.source,
    fileName: r.file_name,
    sha256: r.sha256,
    publishedAt: r.published_at,
    entryCount: r.entry_count,
    walletCount: r.wallet_count,
    importedAt: r.imported_at,
    confirmedRemovals: r.confirmed_removals,
    diff: JSON.parse(r.diff_json) as ListDiff,
  };
}

/**
 * A SQLite file (better-sqlite3) holding the sanctions tables, migrated on open with its own
 * `sanctions_schema` version table. An import is one transaction: a process killed during it
 * leaves the previous list and history as they were.
 */
export function openSqliteSanctionsStore(path: string): SanctionsStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS sanctions_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM sanctions_schema').all() as Array<{ version: number }>).map((r) => r.version));
  for (const m of SANCTIONS_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO sanctions_schema (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Math.floor(Date.now() / 1000));
    })();
  }
  const lastStmt = db.prepare('SELECT * FROM sanctions_imports WHERE source = ? ORDER BY id DESC LIMIT 1');
  const entriesStmt = db.prepare('SELECT entry_json FROM sanctions_entries WHERE source = ? ORDER BY rowid');
  const insertImport = db.prepare(`INSERT INTO sanctions_imports
    (source, file_name, sha256, published_at, entry_count, wallet_count, imported_at, confirmed_removals, diff_json)
    VALUES (@source, @fileName, @sha256, @publishedAt, @entryCount, @walletCount, @importedAt, @confirmedRemovals, @diffJson)`);
  const deleteEntries = db.prepare('DELETE FROM sanctions_entries WHERE source = ?');
  const insertEntry = db.prepare('INSERT INTO sanctions_entries (source, uid, import_id, entry_json) VALUES (?, ?, ?, ?)');
  const save = db.transaction((record: NewImportRecord, entries: SanctionsEntry[]): number => {
    const id = Number(insertImport.run({ ...record, diffJson: JSON.stringify(record.diff) }).lastInsertRowid);
    deleteEntries.run(record.source);
    for (const e of entries) insertEntry.run(record.source, e.uid, id, JSON.stringify(e));
    return id;
  });
  return {
    async lastImport(source) {
      const row = lastStmt.get(source) as ImportRow | undefined;
      return row ? fromRow(row) : null;
    },
    async currentEntries(source) {
      return (entriesStmt.all(source) as Array<{ entry_json: string }>).map((r) => JSON.parse(r.entry_json) as SanctionsEntry);
    },
    async saveImport(record, entries) {
      return { ...record, id: save(record, entries) };
    },
    async listImports(source) {
      const rows = (
        source === undefined ? db.prepare('SELECT * FROM sanctions_imports ORDER BY id DESC').all() : db.prepare('SELECT * FROM sanctions_imports WHERE source = ? ORDER BY id DESC').all(source)
      ) as ImportRow[];
      return rows.map(fromRow);
    },
    async close() {
      db.close();
    },
  };
}
