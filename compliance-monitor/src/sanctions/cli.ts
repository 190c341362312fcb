import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, Wallet } from 'ethers';
import { ChainPushError, pushToChain } from './chain-push.js';
import { LIST_SOURCES, SanctionsListError, type ListSource } from './entries.js';
import { currentLists, importList, listedEthereumAddresses } from './imports.js';
import { ScreeningInputError, screenPersons } from './screening.js';
import { openSqliteSanctionsStore } from './store.js';

/**
 * The sanctions CLI a compliance officer runs (docs/compliance-monitor.md, "Sanctions lists"):
 *
 *   import  --source ofac|eu --file F [--confirm-removals N] [--max-removal-fraction 0.1]
 *   push    --rpc URL --list 0x… --key-env VAR [--batch 50] [--from-block N] [--confirm-removals N]
 *   screen  --persons persons.json [--min-score 0.8]
 *   screen  --issuer URL --key-env VAR [--min-score 0.8]   (ongoing screening against issuer-service)
 *   history [--source ofac|eu]
 *
 * Every command takes `--db FILE` (default $SANCTIONS_DB, else ./compliance-monitor-sanctions.db).
 * Results are JSON on stdout; errors one line on stderr naming the field and the rule. Exit codes:
 * 0 done, 1 refused (bad list, removal limit, chain or RPC error, bad person), 2 usage.
 */

const USAGE = `usage:
  sanctions import  --source ofac|eu --file F [--confirm-removals N] [--max-removal-fraction 0.1] [--db FILE]
  sanctions push    --rpc URL --list 0x... --key-env VAR [--batch 50] [--from-block N] [--confirm-removals N] [--db FILE]
  sanctions screen  --persons persons.json [--min-score 0.8] [--db FILE]
  sanctions screen  --issuer URL --key-env VAR [--min-score 0.8] [--db FILE]
  sanctions history [--source ofac|eu] [--db FILE]`;

class UsageError extends Error {}

const OPTIONS: Record<string, string[]> = {
  import: ['source', 'file', 'confirm-removals', 'max-removal-fraction', 'db'],
  push: ['rpc', 'list', 'key-env', 'batch', 'from-block', 'confirm-removals', 'db'],
  screen: ['persons', 'issuer', 'key-env', 'min-score', 'db'],
  history: ['source', 'db'],
};

function parseArgs(argv: string[]): { command: string; opts: Map<string, string> } {
  const [command, ...rest] = argv;
  if (!command || !(command in OPTIONS)) throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  const opts = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i];
    const name = flag.startsWith('--') ? flag.slice(2) : '';
    if (!OPTIONS[command].includes(name)) throw new UsageError(`${flag}: unknown option for ${command}`);
    if (opts.has(name)) throw new UsageError(`${flag}: given twice`);
    const value = rest[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag}: needs a value`);
    opts.set(name, value);
  }
  return { command, opts };
}

function required(opts: Map<string, string>, name: string): string {
  const v = opts.get(name);
  if (v === undefined) throw new UsageError(`--${name}: required`);
  return v;
}

function integer(opts: Map<string, string>, name: string): number | undefined {
  const v = opts.get(name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name}: must be a non-negative whole number, got "${v}"`);
  return Number(v);
}

function fraction(opts: Map<string, string>, name: string): number | undefined {
  const v = opts.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new UsageError(`--${name}: must be a number from 0 to 1, got "${v}"`);
  return n;
}

function source(opts: Map<string, string>, isRequired: boolean): ListSource | undefined {
  const v = isRequired ? required(opts, 'source') : opts.get('source');
  if (v !== undefined && !(LIST_SOURCES as readonly string[]).includes(v)) throw new UsageError(`--source: must be one of ${LIST_SOURCES.join(', ')}, got "${v}"`);
  return v as ListSource | undefined;
}

/**
 * The issuer-service base URL for `screen --issuer`: https, or http only to a loopback host (the
 * key and the persons must not cross a network in the clear).
 */
function issuerUrl(v: string): URL {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new UsageError(`--issuer: "${v.slice(0, 80)}" is not a URL`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError(`--issuer: must be https (plain http only to a loopback host), got ${url.protocol}//${url.host}`);
  }
  if (url.username || url.password) throw new UsageError('--issuer: must not carry credentials; the key comes from --key-env');
  return url;
}

/** Pages and batch size for `screen --issuer`: issuer-service's limits (GET ≤ 1000 a page, POST ≤ 500 matches). */
const PERSONS_PAGE = 1000;
const MATCH_BATCH = 500;

/**
 * Ongoing screening against issuer-service (docs/issuer-service.md, "Ongoing screening"): reads
 * the active credentials' persons (`GET /screening/persons`, the key's `screening` role), screens
 * them, and posts the matches (`POST /screening/matches`); the issuer skips repeats of open ones.
 * The persons are held in memory only for the run.
 */
async function screenAtIssuer(base: URL, key: string, screen: (persons: unknown) => unknown[]): Promise<{ persons: number; matches: number; stored: number; duplicates: number }> {
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const url = new URL(path, base.href.endsWith('/') ? base : new URL(`${base.href}/`));
    const res = await fetch(url, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'error',
    });
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const e = JSON.parse(text).error;
        if (e) detail = `${e.code}${e.field ? ` (${e.field}${e.rule ? `: ${e.rule}` : ''})` : ''}: ${e.message}`;
      } catch {
        /* not JSON: keep the text */
      }
      throw new Error(`issuer ${method} ${url.pathname}: HTTP ${res.status}: ${detail}`);
    }
    return JSON.parse(text);
  };
  const persons: unknown[] = [];
  // Follow nextAfter (a leaf index cursor): a page counts credentials, and may hold fewer persons
  // than its limit; a credential revoked meanwhile does not shift the pages.
  for (let after: number | null = -1; after !== null;) {
    const page = (await call('GET', `screening/persons?${after >= 0 ? `after=${after}&` : ''}limit=${PERSONS_PAGE}`)) as { persons?: unknown; nextAfter?: unknown };
    if (!Array.isArray(page.persons)) throw new Error('issuer GET /screening/persons: the answer has no persons array');
    persons.push(...page.persons);
    const next: unknown = page.nextAfter ?? null;
    if (next !== null && !(typeof next === 'number' && Number.isInteger(next) && next > after)) throw new Error('issuer GET /screening/persons: nextAfter does not move forward');
    after = next as number | null;
  }
  const matches = screen(persons);
  let stored = 0;
  let duplicates = 0;
  for (let i = 0; i < matches.length; i += MATCH_BATCH) {
    const r = ((await call('POST', 'screening/matches', { matches: matches.slice(i, i + MATCH_BATCH) })) ?? {}) as { stored?: unknown; duplicates?: unknown };
    if (!Array.isArray(r.stored) || typeof r.duplicates !== 'number') throw new Error('issuer POST /screening/matches: the answer has no stored array and duplicates count');
    stored += r.stored.length;
    duplicates += r.duplicates;
  }
  return { persons: persons.length, matches: matches.length, stored, duplicates };
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Runs one command; returns the exit code. */
export async function runSanctionsCli(argv: string[], io: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`), env: process.env }): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    io.err(`sanctions: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { command, opts } = parsed;
  const store = { current: undefined as ReturnType<typeof openSqliteSanctionsStore> | undefined };
  const openStore = () => (store.current ??= openSqliteSanctionsStore(opts.get('db') ?? io.env.SANCTIONS_DB ?? 'compliance-monitor-sanctions.db'));
  let provider: JsonRpcProvider | undefined;
  try {
    if (command === 'import') {
      const src = source(opts, true)!;
      const file = required(opts, 'file');
      const confirmRemovals = integer(opts, 'confirm-removals');
      const maxRemovalFraction = fraction(opts, 'max-removal-fraction');
      const { status, record } = await importList(openStore(), { source: src, file, confirmRemovals, maxRemovalFraction });
      io.out(JSON.stringify({ status, ...record }, null, 2));
    } else if (command === 'push') {
      const rpc = required(opts, 'rpc');
      const list = required(opts, 'list');
      const keyEnv = required(opts, 'key-env');
      const batchSize = integer(opts, 'batch');
      const fromBlock = integer(opts, 'from-block');
      const confirmRemovals = integer(opts, 'confirm-removals');
      const key = io.env[keyEnv];
      if (!key) throw new UsageError(`--key-env: the environment variable ${keyEnv} is not set`);
      let signer: Wallet;
      try {
        signer = new Wallet(key);
      } catch {
        throw new UsageError(`--key-env: ${keyEnv} does not hold a private key (0x + 64 hex)`);
      }
      provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
      const target = await listedEthereumAddresses(openStore());
      const result = await pushToChain({ signer: signer.connect(provider), list, target, batchSize, fromBlock, confirmRemovals });
      io.out(JSON.stringify(result, null, 2));
      if (!result.inSync) {
        io.err('sanctions: push: in-sync: the list on chain differs from the target after the push (another oracle wrote meanwhile?); rerun');
        return 1;
      }
    } else if (command === 'screen' && opts.has('issuer')) {
      if (opts.has('persons')) throw new UsageError('--persons: give either --persons or --issuer, not both');
      const issuer = issuerUrl(required(opts, 'issuer'));
      const keyEnv = required(opts, 'key-env');
      const minScore = fraction(opts, 'min-score');
      const key = io.env[keyEnv];
      if (!key) throw new UsageError(`--key-env: the environment variable ${keyEnv} is not set`);
      const lists = await currentLists(openStore());
      if (lists.length === 0) throw new ScreeningInputError('--db', 'imported-list', 'no list has been imported yet; run import first');
      io.out(JSON.stringify(await screenAtIssuer(issuer, key, (persons) => screenPersons(persons, lists, { minScore })), null, 2));
    } else if (command === 'screen') {
      const path = required(opts, 'persons');
      const minScore = fraction(opts, 'min-score');
      let persons: unknown;
      try {
        persons = JSON.parse(await readFile(path, 'utf8'));
      } catch (e) {
        throw new ScreeningInputError('--persons', 'json-file', `${path}: ${(e as Error).message}`);
      }
      const lists = await currentLists(openStore());
      if (lists.length === 0) throw new ScreeningInputError('--db', 'imported-list', 'no list has been imported yet; run import first');
      io.out(JSON.stringify(screenPersons(persons, lists, { minScore }), null, 2));
    } else {
      io.out(JSON.stringify(await openStore().listImports(source(opts, false)), null, 2));
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`sanctions: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof SanctionsListError || e instanceof ChainPushError || e instanceof ScreeningInputError) {
      io.err(`sanctions: ${command}: ${e.message}`);
      return 1;
    }
    // RPC failures and anything else: refused, with the cause's own words.
    io.err(`sanctions: ${command}: ${(e as Error).message ?? String(e)}`);
    return 1;
  } finally {
    provider?.destroy();
    await store.current?.close();
  }
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  runSanctionsCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
