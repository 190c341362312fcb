/**
 * Service configuration, read from the environment once at start-up.
 *
 * The service holds the issuer's signing key, so it refuses to start without a secret to encrypt that
 * key at rest — unless it runs in dev mode (`ZKKYC_DEV=1`), where a fixed, labelled-insecure secret is
 * used so the demo can walk the story without setup.
 */

/** A reviewer allowed to decide on applications; `name` is what decisions record, never the key. */
export interface ReviewerCredential {
  name: string;
  apiKey: string;
}

/** The IssuerRegistry the service anchors roots in, over JSON-RPC. */
export interface RegistryAnchorConfig {
  rpcUrl: string;
  registryAddress: string;
  /** The issuer's publisher key (0x + 64 hex): the only account the registry accepts roots from. */
  publisherKey: string;
}

/** The chain holder did:ethr DIDs resolve against: an ERC-1056 EthereumDIDRegistry over JSON-RPC. */
export interface EthrDidConfig {
  rpcUrl: string;
  registryAddress: string;
}

export interface IssuerServiceConfig {
  port: number;
  host: string;
  /** SQLite file; `:memory:` is accepted for throwaway instances. Unused when `databaseUrl` is set. */
  databasePath: string;
  /** Postgres connection URL (`DATABASE_URL`); when set, the service stores everything there instead of SQLite. */
  databaseUrl?: string;
  /** Postgres schema for the service's tables (`DATABASE_SCHEMA`, default `public`). */
  databaseSchema?: string;
  /** Secret that the at-rest encryption key for the issuer's private keys is derived from. */
  keySecret: string;
  reviewers: ReviewerCredential[];
  dev: boolean;
  /** Dev only: approve every application as soon as it arrives, so a wallet can walk the story alone. */
  autoApprove: boolean;
  /** Alias under which the issuer DID is kept in the DID store. */
  issuerAlias: string;
  /** Issuer tree id written into every VC (the registry's issuer id). */
  treeId: string;
  treeDepth: number;
  /** How long a holder challenge stays usable. */
  challengeTtlSeconds: number;
  /** Requests per minute per client IP on the holder routes. */
  holderRateLimitPerMinute: number;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Root publication period; 0 disables the timer (publish on demand only). */
  publishIntervalSeconds: number;
  /** Default credential lifetime used by dev auto-approval. */
  autoApproveValidityDays: number;
  /** Where main.ts anchors roots (`ANCHOR_RPC_URL`, `ANCHOR_REGISTRY_ADDRESS`, `ANCHOR_PUBLISHER_KEY`); none = no publishing. */
  anchor?: RegistryAnchorConfig;
  /**
   * Run the issuer as `did:web:<host>` (`ISSUER_DID_WEB_HOST`, e.g. `issuer.example.com` or
   * `localhost%3A3100`): VCs name that DID and the service serves its document at `/.well-known/did.json`.
   */
  didWebHost?: string;
  /** Accept did:ethr holders (`ETHR_RPC_URL`, `ETHR_REGISTRY_ADDRESS`); none = did:key and did:web only. */
  ethr?: EthrDidConfig;
}

function anchorFrom(env: NodeJS.ProcessEnv): RegistryAnchorConfig | undefined {
  const rpcUrl = env.ANCHOR_RPC_URL || '';
  const registryAddress = env.ANCHOR_REGISTRY_ADDRESS || '';
  const publisherKey = env.ANCHOR_PUBLISHER_KEY || '';
  if (!rpcUrl && !registryAddress && !publisherKey) return undefined;
  if (!/^https?:\/\/\S+$/.test(rpcUrl)) throw new ConfigError('ANCHOR_RPC_URL', 'must be an http(s) JSON-RPC URL when anchoring is configured');
  if (!/^0x[0-9a-fA-F]{40}$/.test(registryAddress)) throw new ConfigError('ANCHOR_REGISTRY_ADDRESS', 'must be a 0x-prefixed 20-byte address');
  if (!/^0x[0-9a-fA-F]{64}$/.test(publisherKey)) throw new ConfigError('ANCHOR_PUBLISHER_KEY', 'must be a 0x-prefixed 32-byte hex private key');
  return { rpcUrl, registryAddress, publisherKey };
}

function ethrFrom(env: NodeJS.ProcessEnv): EthrDidConfig | undefined {
  const rpcUrl = env.ETHR_RPC_URL || '';
  const registryAddress = env.ETHR_REGISTRY_ADDRESS || '';
  if (!rpcUrl && !registryAddress) return undefined;
  if (!/^https?:\/\/\S+$/.test(rpcUrl)) throw new ConfigError('ETHR_RPC_URL', 'must be an http(s) JSON-RPC URL when did:ethr is configured');
  if (!/^0x[0-9a-fA-F]{40}$/.test(registryAddress)) throw new ConfigError('ETHR_REGISTRY_ADDRESS', 'must be a 0x-prefixed 20-byte address (an ERC-1056 EthereumDIDRegistry)');
  return { rpcUrl, registryAddress };
}

/** A did:web host part: a domain name, optionally with a %3A-encoded port, optionally with :path segments. */
const DID_WEB_HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(%3A\d{1,5})?$/i;

/** Raised when the environment cannot produce a safe configuration; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Publicly known, so only ever used when ZKKYC_DEV=1. */
export const DEV_KEY_SECRET = 'zkkyc-dev-insecure-key-secret';
const DEV_REVIEWER: ReviewerCredential = { name: 'dev-reviewer', apiKey: 'dev-reviewer-key' };

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return value;
}

/**
 * Parses `REVIEWER_API_KEYS`: a comma-separated list of `name:key` pairs. Keys shorter than 16
 * characters are refused: they are the only thing standing between the internet and issuance.
 */
export function parseReviewerKeys(raw: string): ReviewerCredential[] {
  const reviewers: ReviewerCredential[] = [];
  for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new ConfigError('REVIEWER_API_KEYS', `entry "${entry.slice(0, 20)}" is not name:key`);
    const name = entry.slice(0, colon).trim();
    const apiKey = entry.slice(colon + 1).trim();
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new ConfigError('REVIEWER_API_KEYS', `bad reviewer name "${name}"`);
    if (apiKey.length < 16) throw new ConfigError('REVIEWER_API_KEYS', `key for "${name}" is shorter than 16 characters`);
    if (reviewers.some((r) => r.apiKey === apiKey)) throw new ConfigError('REVIEWER_API_KEYS', 'two reviewers share a key');
    reviewers.push({ name, apiKey });
  }
  return reviewers;
}

/**
 * Builds the configuration from environment variables (defaults in brackets):
 * PORT [3100], HOST [127.0.0.1], DATABASE_PATH [.data/issuer.sqlite], DATABASE_URL (Postgres; replaces
 * SQLite when set), DATABASE_SCHEMA [public], ISSUER_KEY_SECRET (required
 * unless ZKKYC_DEV=1), REVIEWER_API_KEYS (`name:key,…`; dev adds `dev-reviewer:dev-reviewer-key`),
 * ZKKYC_DEV, AUTO_APPROVE (dev only), ISSUER_TREE_ID [1], CHALLENGE_TTL_SECONDS [300],
 * HOLDER_RATE_LIMIT [60/min], BODY_LIMIT_BYTES [16384], PUBLISH_INTERVAL_SECONDS [60],
 * ANCHOR_RPC_URL + ANCHOR_REGISTRY_ADDRESS + ANCHOR_PUBLISHER_KEY (all or none), ISSUER_DID_WEB_HOST,
 * ETHR_RPC_URL + ETHR_REGISTRY_ADDRESS (both or none; enables did:ethr holders).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): IssuerServiceConfig {
  const dev = env.ZKKYC_DEV === '1';
  let keySecret = env.ISSUER_KEY_SECRET ?? '';
  if (keySecret === '') {
    if (!dev) throw new ConfigError('ISSUER_KEY_SECRET', 'required (set ZKKYC_DEV=1 to use the insecure dev secret)');
    keySecret = DEV_KEY_SECRET;
  } else if (keySecret.length < 16) {
    throw new ConfigError('ISSUER_KEY_SECRET', 'must be at least 16 characters');
  }
  const reviewers = parseReviewerKeys(env.REVIEWER_API_KEYS ?? '');
  if (dev && reviewers.length === 0) reviewers.push(DEV_REVIEWER);
  const autoApprove = env.AUTO_APPROVE === '1';
  if (autoApprove && !dev) throw new ConfigError('AUTO_APPROVE', 'only allowed together with ZKKYC_DEV=1');
  const treeId = env.ISSUER_TREE_ID ?? '1';
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  const databaseSchema = env.DATABASE_SCHEMA || undefined;
  if (databaseSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new ConfigError('DATABASE_SCHEMA', 'must be a lower-case SQL identifier (a-z, 0-9, _)');
  }
  if (!/^\d{1,20}$/.test(treeId)) throw new ConfigError('ISSUER_TREE_ID', 'must be a decimal integer');

  const didWebHost = env.ISSUER_DID_WEB_HOST || undefined;
  if (didWebHost !== undefined && !DID_WEB_HOST.test(didWebHost)) {
    throw new ConfigError('ISSUER_DID_WEB_HOST', 'must be a host name, optionally with a %3A-encoded port (e.g. issuer.example.com)');
  }
  const anchor = anchorFrom(env);
  const ethr = ethrFrom(env);

  return {
    ...(ethr ? { ethr } : {}),
    ...(anchor ? { anchor } : {}),
    ...(didWebHost ? { didWebHost } : {}),
    port: intFrom(env, 'PORT', 3100, 0, 65535),
    host: env.HOST || '127.0.0.1',
    databasePath: env.DATABASE_PATH || '.data/issuer.sqlite',
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(databaseSchema ? { databaseSchema } : {}),
    keySecret,
    reviewers,
    dev,
    autoApprove,
    issuerAlias: env.ISSUER_DID_ALIAS || 'issuer',
    treeId,
    treeDepth: intFrom(env, 'ISSUER_TREE_DEPTH', 32, 1, 32),
    challengeTtlSeconds: intFrom(env, 'CHALLENGE_TTL_SECONDS', 300, 10, 86400),
    holderRateLimitPerMinute: intFrom(env, 'HOLDER_RATE_LIMIT', 60, 1, 1_000_000),
    bodyLimitBytes: intFrom(env, 'BODY_LIMIT_BYTES', 16384, 1024, 10 * 1024 * 1024),
    publishIntervalSeconds: intFrom(env, 'PUBLISH_INTERVAL_SECONDS', 60, 0, 86400 * 7),
    autoApproveValidityDays: intFrom(env, 'AUTO_APPROVE_VALIDITY_DAYS', 365, 1, 3650),
  };
}
