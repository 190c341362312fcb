import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * Who may write roots to the chains, and how many instances may share a database.
 *
 * - Postgres: any number of instances share one schema and all serve the API (the tree lives in the
 *   store, so every instance reads the same one). Exactly one of them publishes roots: the one
 *   holding a session advisory lock (`pg_try_advisory_lock`) keyed by the schema, on a connection of
 *   its own (`PostgresPublisherElection`). The others try again every election interval and take
 *   over when the holder's session ends — a killed process's connection drops and Postgres releases
 *   the lock with it.
 * - SQLite: one instance per database file. An exclusive lock on a small SQLite file next to the
 *   database (`<path>.instance-lock`, `locking_mode = EXCLUSIVE`), i.e. an OS file lock that the
 *   operating system drops with the process; a second instance refuses to start. That instance is
 *   always the publisher. The database file itself stays readable by other processes (the online
 *   backup in docs/issuer-service.md keeps working).
 */
export interface InstanceLock {
  release(): Promise<void>;
}

/** Whether this instance is the one that publishes roots (see the module comment). */
export interface PublisherElection extends InstanceLock {
  /** True while this instance holds the publisher lock, as last seen. */
  readonly elected: boolean;
  /**
   * Asks the database, on the lock's own connection, whether the lock is still held now: called
   * right before every anchor write, so a holder whose session is gone (another instance may hold
   * the lock already) sends nothing.
   */
  confirm(): Promise<boolean>;
  /** Called with `true` when this instance becomes the publisher and `false` when it stops being one. */
  onChange(listener: (elected: boolean) => void): void;
}

/** SQLite: one instance per file, so it always publishes. */
export function soleInstanceElection(lock: InstanceLock): PublisherElection {
  return { elected: true, confirm: async () => true, onChange: () => undefined, release: () => lock.release() };
}

/** The start-up refusal (SQLite only); `main.ts` prints its message without a stack. */
export class InstanceLockError extends Error {
  constructor(where: string) {
    super(
      `another issuer-service instance is using this database (${where}); stop it first — on SQLite the service runs one instance per database file ` +
        '(use Postgres for several instances; see docs/issuer-service.md, "Operations")',
    );
    this.name = 'InstanceLockError';
  }
}

/** The lock's two keys: a constant for the service, and the schema (test schemas and deployments are separate databases). */
const LOCK_KEYS = "hashtext('zkkyc-issuer-service'), hashtext($1)";

/**
 * Default `PUBLISHER_ELECTION_INTERVAL_MS`: how often a non-publisher tries to take the lock and the
 * publisher checks its connection. A killed publisher is replaced within about this long.
 */
export const DEFAULT_PUBLISHER_ELECTION_INTERVAL_MS = 3_000;

export interface PostgresElectionOptions {
  /** Retry / check period (default DEFAULT_PUBLISHER_ELECTION_INTERVAL_MS). */
  intervalMs?: number;
  /** Told about connection failures (the election keeps retrying). */
  log?: (message: string, err?: unknown) => void;
}

/**
 * The Postgres publisher election. Session advisory locks need a real session: behind PgBouncer in
 * transaction (or statement) pooling mode they do not hold, so DATABASE_URL must point at Postgres
 * directly (or at a pooler in session mode).
 *
 * A lost lock connection (error, end, a failed check) sets `elected` to false at once and tells the
 * listeners before anything else runs, so this instance stops publishing before another can be
 * elected; it then competes again on the next round like any other instance.
 */
export class PostgresPublisherElection implements PublisherElection {
  private client: pg.Client | null = null;
  private holding = false;
  private released = false;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: Array<(elected: boolean) => void> = [];

  private constructor(
    private readonly url: string,
    private readonly schema: string,
    private readonly options: PostgresElectionOptions,
  ) {}

  /** Runs the first round before returning (so a lone instance starts as the publisher), then one round per interval. */
  static async start(url: string, schema: string, options: PostgresElectionOptions = {}): Promise<PostgresPublisherElection> {
    const election = new PostgresPublisherElection(url, schema, options);
    await election.round();
    election.timer = setInterval(() => void election.round(), options.intervalMs ?? DEFAULT_PUBLISHER_ELECTION_INTERVAL_MS);
    // The timer alone must not keep a finished process alive.
    election.timer.unref();
    return election;
  }

  get elected(): boolean {
    return this.holding;
  }

  onChange(listener: (elected: boolean) => void): void {
    this.listeners.push(listener);
  }

  async confirm(): Promise<boolean> {
    const client = this.client;
    if (!this.holding || !client) return false;
    try {
      await client.query('SELECT 1');
      return this.holding && this.client === client;
    } catch (err) {
      this.drop(client, err as Error);
      return false;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    const client = this.client;
    this.client = null;
    this.setHolding(false);
    if (!client) return;
    await client.query(`SELECT pg_advisory_unlock(${LOCK_KEYS})`, [this.schema]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  /** Holder: check the connection. Others: (re)connect if needed and try the lock. */
  private async round(): Promise<void> {
    if (this.busy || this.released) return;
    this.busy = true;
    try {
      if (this.holding) {
        await this.confirm();
        return;
      }
      const client = this.client ?? (await this.connect());
      if (!client) return;
      const { rows } = await client.query(`SELECT pg_try_advisory_lock(${LOCK_KEYS}) AS locked`, [this.schema]);
      if (rows[0].locked === true && this.client === client && !this.released) this.setHolding(true);
    } catch (err) {
      if (this.client) this.drop(this.client, err as Error);
    } finally {
      this.busy = false;
    }
  }

  private async connect(): Promise<pg.Client | null> {
    // query_timeout: a check on a silently dead connection fails after 5 s instead of waiting for TCP.
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, keepAliveInitialDelayMillis: 10_000, query_timeout: 5_000 });
    client.on('error', (err) => this.drop(client, err));
    client.on('end', () => this.drop(client, new Error('the lock connection ended')));
    try {
      await client.connect();
    } catch (err) {
      this.options.log?.('publisher election: cannot connect to Postgres; trying again next round', err);
      await client.end().catch(() => undefined);
      return null;
    }
    if (this.released) {
      await client.end().catch(() => undefined);
      return null;
    }
    this.client = client;
    return client;
  }

  /** The connection is gone, and the lock with it (Postgres drops session locks with the session). */
  private drop(client: pg.Client, err: Error): void {
    if (this.client !== client) return;
    this.client = null;
    const was = this.holding;
    this.setHolding(false);
    client.end().catch(() => undefined);
    if (was && !this.released) this.options.log?.(`publisher election: lost the lock connection (${err.message}); no longer the publisher`, err);
  }

  private setHolding(value: boolean): void {
    if (this.holding === value) return;
    this.holding = value;
    for (const listener of this.listeners) listener(value);
  }
}

/** No lock for `:memory:` (nothing else can open it). */
export function acquireSqliteInstanceLock(databasePath: string): InstanceLock {
  if (databasePath === ':memory:') return { release: async () => undefined };
  const path = `${databasePath}.instance-lock`;
  mkdirSync(dirname(path), { recursive: true });
  // timeout 0: a held lock answers SQLITE_BUSY at once instead of waiting.
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = DELETE');
    // The first write takes the exclusive lock, which EXCLUSIVE mode keeps until the connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at INTEGER NOT NULL)');
    db.transaction(() => {
      db.exec('DELETE FROM holder');
      db.prepare('INSERT INTO holder (pid, started_at) VALUES (?, ?)').run(process.pid, Date.now());
    })();
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new InstanceLockError(`SQLite ${databasePath}, locked through ${path}`);
    throw err;
  }
  return {
    async release() {
      if (db.open) db.close();
    },
  };
}
