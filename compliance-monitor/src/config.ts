/**
 * The monitor's configuration, read from the environment once at start-up (docs/compliance-monitor.md,
 * "Configuration"). Every refusal is a ConfigError whose message starts with the variable's name and
 * says which rule the value breaks, so an operator fixes it without reading code.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReportingEntity } from './sar/draft.js';
import { ConfigError } from '@zkkyc/service-kit';

/** A compliance officer: `name` is what case notes and the audit trail record, never the key. */
export interface Officer {
  name: string;
  apiKey: string;
}

/** The contracts the indexer follows (lower-case 0x addresses). */
export interface MonitoredContracts {
  token: string;
  gate: string;
  registry: string;
  sanctions?: string;
}

export interface MonitorConfig {
  rpcUrl: string;
  contracts: MonitoredContracts;
  /** Blocks an event must be deep before it is indexed; its own block counts as one (default 2). */
  confirmations: number;
  /** First block to read when the store has no cursor yet (`START_BLOCK`, default 0). */
  startBlock: number;
  /** Blocks per indexed batch: one transaction each (`BATCH_BLOCKS`, default 500). */
  batchBlocks: number;
  /** Blocks per eth_getLogs request inside a batch (`LOGS_CHUNK_BLOCKS`, default 100; nodes cap ranges). */
  logsChunkBlocks: number;
  /** Pause between polls once the indexer has caught up (`POLL_INTERVAL_MS`, default 2000). */
  pollIntervalMs: number;
  /** Half-life of an investor's risk score, in days (`RISK_HALF_LIFE_DAYS`, default 30). */
  riskHalfLifeDays: number;
  /** SQLite file (`DATABASE_PATH`, default .data/compliance-monitor.sqlite); unused with `databaseUrl`. */
  databasePath: string;
  /** PostgreSQL URL (`DATABASE_URL`); replaces SQLite when set. */
  databaseUrl?: string;
  /** Postgres schema (`DATABASE_SCHEMA`, default public). */
  databaseSchema?: string;
  port: number;
  host: string;
  officers: Officer[];
  /**
   * Days events, unheld rule hits and closed cases are kept (`RETENTION_DAYS`, default 1826 = five
   * years, the usual AML record-keeping period); 0 keeps everything.
   */
  retentionDays: number;
  /** The rule file (`RULES_FILE`), read by the rule engine; unset = no rules (index only). */
  rulesFile?: string;
  /** The token's TransferApproval rule (`TRANSFER_APPROVAL_ADDRESS`): holds and `/pending-transfers`; unset = neither. */
  transferApproval?: string;
  /** Who files SAR drafts (`SAR_REPORTING_…`); unset = the monitor keeps no drafts (`/sar…` answer 503). */
  sar?: { reportingEntity: ReportingEntity };
  /** The sanctions store the sanctions CLI writes (`SANCTIONS_DB`), for `GET /sanctions/imports`; unset = 503. */
  sanctionsDb?: string;
  /** The built officer console, served at `/console/` (`CONSOLE_DIR`, absolute); unset = not served. */
  consoleDir?: string;
}

export { ConfigError };

export const DEFAULT_CONFIRMATIONS = 2;
export const DEFAULT_RETENTION_DAYS = 1826;
export const OFFICER_KEY_MIN_LENGTH = 16;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function addressFrom(env: NodeJS.ProcessEnv, name: string, what: string, required: true): string;
function addressFrom(env: NodeJS.ProcessEnv, name: string, what: string, required: false): string | undefined;
function addressFrom(env: NodeJS.ProcessEnv, name: string, what: string, required: boolean): string | undefined {
  const raw = env[name] ?? '';
  if (raw === '') {
    if (required) throw new ConfigError(name, `required (rule required): the ${what} address the monitor follows`);
    return undefined;
  }
  if (!ADDRESS.test(raw)) throw new ConfigError(name, `must be a 0x-prefixed 20-byte address (rule address), the ${what}; got "${raw.slice(0, 50)}"`);
  return raw.toLowerCase();
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number (rule integer), got "${raw.slice(0, 30)}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (rule range), got ${value}`);
  return value;
}

/** Where `npm run build:console -w @zkkyc/compliance-monitor` writes the console: the default of `CONSOLE_DIR` once it is built. */
export const DEFAULT_CONSOLE_DIR = resolve(fileURLToPath(new URL('../console/dist', import.meta.url)));

const BUILD_CONSOLE = 'npm run build:console -w @zkkyc/compliance-monitor';

/**
 * `CONSOLE_DIR`: a directory holding the built console's index.html. Unset, the package's
 * console/dist when it has been built, else none (the console is not served; the API is).
 */
function consoleDirFrom(env: NodeJS.ProcessEnv, fallback: string): string | undefined {
  const raw = env.CONSOLE_DIR ?? '';
  if (raw === '') return existsSync(resolve(fallback, 'index.html')) ? resolve(fallback) : undefined;
  const dir = resolve(raw);
  if (!existsSync(resolve(dir, 'index.html'))) {
    throw new ConfigError('CONSOLE_DIR', `has no index.html in "${dir.slice(0, 200)}" (rule built): build the console into it (\`${BUILD_CONSOLE}\` writes ${fallback}), or leave CONSOLE_DIR unset`);
  }
  return dir;
}

/**
 * `SANCTIONS_DB`: the SQLite file the sanctions CLI writes (`sanctions import --db FILE`, which
 * reads the same variable). It must exist: a mistyped path would otherwise open an empty store and
 * show the officer a history with no imports.
 */
function sanctionsDbFrom(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.SANCTIONS_DB ?? '';
  if (raw === '') return undefined;
  const path = resolve(raw);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new ConfigError(
      'SANCTIONS_DB',
      `no file at "${path.slice(0, 200)}" (rule exists): import a list into it first (\`npx tsx compliance-monitor/src/sanctions/cli.ts import --db ${raw.slice(0, 100)} --source ofac --file SDN.XML\`), or leave SANCTIONS_DB unset`,
    );
  }
  if (!isFile) throw new ConfigError('SANCTIONS_DB', `"${path.slice(0, 200)}" is not a file (rule file): name the sanctions store's SQLite file`);
  return path;
}

interface SarVariableSpec {
  required: boolean;
  /** Longest value (goAML's field length). */
  max: number;
  pattern?: RegExp;
  rule: string;
  /** What the value is, in the operator's words (the message says it). */
  what: string;
}

/** The `SAR_…` variables, each with its rule; the ones marked required must all be set once any is. */
const SAR_VARIABLES = {
  SAR_REPORTING_ENTITY_ID: { required: true, max: 18, pattern: /^[1-9][0-9]*$/, rule: 'goaml-id', what: "the reporting entity's goAML id (rentity_id) as the FIU registered it, digits" },
  SAR_REPORTING_ENTITY_NAME: { required: true, max: 255, rule: 'text', what: "the reporting entity's name" },
  SAR_REPORTING_ENTITY_COUNTRY: { required: true, max: 2, pattern: /^[A-Z]{2}$/, rule: 'country', what: "the reporting entity's country, ISO 3166-1 alpha-2 (e.g. DE)" },
  SAR_REPORTING_PERSON_FIRST_NAME: { required: true, max: 255, rule: 'text', what: "the reporting person's first name (the officer who signs the reports)" },
  SAR_REPORTING_PERSON_LAST_NAME: { required: true, max: 255, rule: 'text', what: "the reporting person's last name" },
  SAR_REPORTING_ENTITY_BRANCH: { required: false, max: 255, rule: 'text', what: "the reporting entity's goAML branch" },
  SAR_REPORTING_PERSON_TITLE: { required: false, max: 50, rule: 'text', what: "the reporting person's title" },
  SAR_REPORTING_PERSON_EMAIL: { required: false, max: 255, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, rule: 'email', what: "the reporting person's e-mail address" },
} as const satisfies Record<string, SarVariableSpec>;

type SarVariable = keyof typeof SAR_VARIABLES;

/**
 * The reporting entity of SAR drafts (goAML's `rentity_id`, name, country and reporting person).
 * None of the `SAR_…` variables set: no SAR drafts. Any set: the required ones must all be, so a
 * half-configured entity never reaches a report. Values are trimmed; a country is upper-cased.
 */
function sarFrom(env: NodeJS.ProcessEnv): { reportingEntity: ReportingEntity } | undefined {
  const names = Object.keys(SAR_VARIABLES) as SarVariable[];
  const given = names.filter((n) => (env[n] ?? '').trim() !== '');
  if (given.length === 0) return undefined;
  const values: Partial<Record<SarVariable, string>> = {};
  for (const name of names) {
    const spec: SarVariableSpec = SAR_VARIABLES[name];
    let value = (env[name] ?? '').trim();
    if (name === 'SAR_REPORTING_ENTITY_COUNTRY') value = value.toUpperCase();
    if (value === '') {
      if (spec.required) throw new ConfigError(name, `required once SAR drafts are configured (rule sar-complete; ${given[0]} is set): ${spec.what}`);
      continue;
    }
    if (spec.pattern && !spec.pattern.test(value)) throw new ConfigError(name, `must be ${spec.what} (rule ${spec.rule}), got "${value.slice(0, 40)}"`);
    if (value.length > spec.max) throw new ConfigError(name, `must be at most ${spec.max} characters (rule ${spec.rule}): ${spec.what}`);
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new ConfigError(name, `must not contain control characters (rule ${spec.rule}): ${spec.what}`);
    values[name] = value;
  }
  return {
    reportingEntity: {
      rentityId: values.SAR_REPORTING_ENTITY_ID!,
      ...(values.SAR_REPORTING_ENTITY_BRANCH ? { rentityBranch: values.SAR_REPORTING_ENTITY_BRANCH } : {}),
      name: values.SAR_REPORTING_ENTITY_NAME!,
      countryCode: values.SAR_REPORTING_ENTITY_COUNTRY!,
      reportingPerson: {
        firstName: values.SAR_REPORTING_PERSON_FIRST_NAME!,
        lastName: values.SAR_REPORTING_PERSON_LAST_NAME!,
        ...(values.SAR_REPORTING_PERSON_TITLE ? { title: values.SAR_REPORTING_PERSON_TITLE } : {}),
        ...(values.SAR_REPORTING_PERSON_EMAIL ? { email: values.SAR_REPORTING_PERSON_EMAIL } : {}),
      },
    },
  };
}

/**
 * Parses `OFFICERS`: `name:key,name:key`. Names are unique (notes record them); keys are at least
 * 16 characters and distinct. The message names an entry by position and name, never its key.
 */
export function parseOfficers(raw: string): Officer[] {
  const V = 'OFFICERS';
  const officers: Officer[] = [];
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const name = colon < 0 ? '' : entry.slice(0, colon).trim();
    const apiKey = colon < 0 ? '' : entry.slice(colon + 1).trim();
    if (!name || !apiKey) throw new ConfigError(V, `entry ${i + 1} is not name:key (rule entry-shape)`);
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new ConfigError(V, `entry ${i + 1}: bad officer name "${name.slice(0, 64)}" (rule name: letters, digits, . _ @ -)`);
    if (apiKey.length < OFFICER_KEY_MIN_LENGTH) {
      throw new ConfigError(V, `the key for "${name}" must be at least ${OFFICER_KEY_MIN_LENGTH} characters (rule min-length); generate one with \`openssl rand -base64 32\``);
    }
    if (officers.some((o) => o.name === name)) throw new ConfigError(V, `two entries share the name "${name}" (rule unique-name)`);
    if (officers.some((o) => o.apiKey === apiKey)) throw new ConfigError(V, `two officers share a key (rule unique-key)`);
    officers.push({ name, apiKey });
  }
  return officers;
}

/**
 * Builds the configuration from the environment (defaults in brackets): RPC_URL, TOKEN_ADDRESS,
 * GATE_ADDRESS, REGISTRY_ADDRESS (all required), SANCTIONS_ADDRESS, CONFIRMATIONS [2], START_BLOCK [0],
 * BATCH_BLOCKS [500], LOGS_CHUNK_BLOCKS [100], POLL_INTERVAL_MS [2000], RISK_HALF_LIFE_DAYS [30], RETENTION_DAYS [1826],
 * DATABASE_PATH [.data/compliance-monitor.sqlite], DATABASE_URL, DATABASE_SCHEMA, PORT [3200],
 * HOST [127.0.0.1], OFFICERS (`name:key,…`, at least one), RULES_FILE, TRANSFER_APPROVAL_ADDRESS,
 * the SAR_REPORTING_… variables, SANCTIONS_DB, CONSOLE_DIR [console/dist of this package, once built].
 * `defaultConsoleDir` replaces that default (tests).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaultConsoleDir: string = DEFAULT_CONSOLE_DIR): MonitorConfig {
  const rpcUrl = env.RPC_URL ?? '';
  if (rpcUrl === '') throw new ConfigError('RPC_URL', "required (rule required): the JSON-RPC URL of a node of the token's chain");
  if (!/^https?:\/\/\S+$/.test(rpcUrl)) throw new ConfigError('RPC_URL', `must be an http(s) URL (rule url), got "${rpcUrl.slice(0, 60)}"`);
  const sanctions = addressFrom(env, 'SANCTIONS_ADDRESS', 'SanctionsList', false);
  const contracts: MonitoredContracts = {
    token: addressFrom(env, 'TOKEN_ADDRESS', 'PermissionedToken', true),
    gate: addressFrom(env, 'GATE_ADDRESS', 'ComplianceGate', true),
    registry: addressFrom(env, 'REGISTRY_ADDRESS', 'IssuerRegistry', true),
    ...(sanctions ? { sanctions } : {}),
  };
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL (rule postgres-url)');
  }
  const databaseSchema = env.DATABASE_SCHEMA || undefined;
  if (databaseSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new ConfigError('DATABASE_SCHEMA', 'must be a lower-case SQL identifier (rule identifier: a-z, 0-9, _)');
  }
  const officers = parseOfficers(env.OFFICERS ?? '');
  if (officers.length === 0) {
    throw new ConfigError('OFFICERS', 'required (rule required): at least one officer as name:key (key ≥ 16 characters) — every route but /health and /docs needs one');
  }
  const batchBlocks = intFrom(env, 'BATCH_BLOCKS', 500, 1, 100_000);
  const rulesFile = env.RULES_FILE || undefined;
  const transferApproval = addressFrom(env, 'TRANSFER_APPROVAL_ADDRESS', "token's TransferApproval rule", false);
  const sar = sarFrom(env);
  const sanctionsDb = sanctionsDbFrom(env);
  const consoleDir = consoleDirFrom(env, defaultConsoleDir);
  return {
    rpcUrl,
    contracts,
    confirmations: intFrom(env, 'CONFIRMATIONS', DEFAULT_CONFIRMATIONS, 1, 10_000),
    startBlock: intFrom(env, 'START_BLOCK', 0, 0, Number.MAX_SAFE_INTEGER),
    batchBlocks,
    logsChunkBlocks: Math.min(batchBlocks, intFrom(env, 'LOGS_CHUNK_BLOCKS', 100, 1, 100_000)),
    pollIntervalMs: intFrom(env, 'POLL_INTERVAL_MS', 2000, 10, 3_600_000),
    riskHalfLifeDays: intFrom(env, 'RISK_HALF_LIFE_DAYS', 30, 1, 36_500),
    retentionDays: intFrom(env, 'RETENTION_DAYS', DEFAULT_RETENTION_DAYS, 0, 36_500),
    databasePath: env.DATABASE_PATH || '.data/compliance-monitor.sqlite',
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(databaseSchema ? { databaseSchema } : {}),
    port: intFrom(env, 'PORT', 3200, 0, 65535),
    host: env.HOST || '127.0.0.1',
    officers,
    ...(rulesFile ? { rulesFile } : {}),
    ...(transferApproval ? { transferApproval } : {}),
    ...(sar ? { sar } : {}),
    ...(sanctionsDb ? { sanctionsDb } : {}),
    ...(consoleDir ? { consoleDir } : {}),
  };
}
