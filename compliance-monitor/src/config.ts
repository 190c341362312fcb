/**
 * The monitor's configuration, read from the environment once at start-up (docs/compliance-monitor.md,
 * "Configuration"). Every refusal is a ConfigError whose message starts with the variable's name and
 * says which rule the value breaks, so an operator fixes it without reading code.
 */

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
}

/** Raised when the environment cannot produce a configuration; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

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

/**
 * Parses `OFFICERS`: `name:key,name:key`. Names are unique (notes record them); keys are at least
 * 16 characters and distinct. The message names an entry by position and name, never its key.
 */
export function parseOfficers(raw: string): Officer[] {
  const V = 'OFFICERS';
  const officers: Officer[] = [];
  const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
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
 * HOST [127.0.0.1], OFFICERS (`name:key,…`, at least one), RULES_FILE.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  const rpcUrl = env.RPC_URL ?? '';
  if (rpcUrl === '') throw new ConfigError('RPC_URL', 'required (rule required): the JSON-RPC URL of a node of the token\'s chain');
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
  };
}
