import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import { DEFAULT_AUTO_APPROVE_KYC_LEVEL } from './services/kyc-levels.js';
import { ConfigError } from '@zkkyc/service-kit';

/**
 * Service configuration, read from the environment once at start-up.
 *
 * The service holds the issuer's signing key, so it refuses to start without a strong secret to
 * encrypt that key at rest — unless dev mode is asked for explicitly (`ZKKYC_DEV=1`, or `--dev` on
 * main.ts), where a fixed, labelled-insecure secret is used so the demo can walk the story without
 * setup. Nothing falls back to dev mode on its own.
 */

/**
 * What a reviewer key may do. Roles do not imply each other; a key holds the ones it is given.
 * - `reviewer`: list and read applications, propose the verified values (person, attributes), reject
 * - `approver`: approve (issue); when the attributes were changed, only a proposal by another key
 * - `revoker`: revoke credentials
 * - `publisher`: publish the tree root on demand
 * - `admin`: read the audit trail, list disclosures (without personal data)
 * - `disclosure-officer`: the only role that reads a verified identity record, through a disclosure
 *   request checked on chain (`POST /disclosures`), which is recorded
 * - `screening`: the compliance monitor's key for ongoing screening — reads the active credentials'
 *   verified persons (`GET /screening/persons`, audited) and posts candidate matches
 *   (`POST /screening/matches`); it decides nothing (routes/screening-routes.ts)
 */
export const REVIEWER_ROLES = ['reviewer', 'approver', 'revoker', 'publisher', 'admin', 'disclosure-officer', 'screening'] as const;
export type ReviewerRole = (typeof REVIEWER_ROLES)[number];

/** A reviewer allowed to decide on applications; `name` is what decisions record, never the key. */
export interface ReviewerCredential {
  name: string;
  apiKey: string;
  roles: ReviewerRole[];
}

/** The IssuerRegistry the service anchors roots in, over JSON-RPC. */
export interface RegistryAnchorConfig {
  rpcUrl: string;
  registryAddress: string;
  /** The issuer's publisher key (0x + 64 hex): the only account the registry accepts roots from. */
  publisherKey: string;
}

/**
 * One chain of `ANCHOR_CHAINS`: an IssuerRegistry on some chain, the issuer's id in it, and the key
 * that publishes there. `name` keys the chain's records (`root_anchorings`): keep it when the URL
 * changes, or the chain is treated as new (its current root is read back, nothing is sent twice).
 */
export interface AnchorChainConfig extends RegistryAnchorConfig {
  name: string;
  /** The issuer's id in this chain's registry (default ISSUER_TREE_ID). */
  issuerId: string;
}

/** A chain name: what `root_anchorings.chain` and the status route show. */
export const CHAIN_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * Where disclosure requests are checked (`DISCLOSURE_RPC_URL`, `DISCLOSURE_LOG_ADDRESS`,
 * `DISCLOSURE_GATE_ADDRESS`, `DISCLOSURE_CONFIRMATIONS`): the DisclosureLog whose open entries a
 * disclosure officer may serve, and the ComplianceGate whose registrations they may name. Both
 * addresses come from the deployment record: a log names its gate (`gate()`), but a log someone
 * else deployed may name a "gate" that emits any registration, so the service trusts only this one.
 */
export interface DisclosureConfig {
  rpcUrl: string;
  /** The DisclosureLog, lower-case 0x address; `request.log` must equal it. */
  logAddress: string;
  /**
   * The ComplianceGate, 0x address (any case): the log's `gate()` must be it, at start and on every
   * request, and the registration's events must come from it.
   */
  gateAddress: string;
  /** How deep the log entry must be (its own block counts as one); default 1. */
  confirmations: number;
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
  /** Tree depth in bits: 20 or 32, the depths a `kycPolicy` circuit is built for (`ISSUER_TREE_DEPTH`). */
  treeDepth: number;
  /**
   * `ISSUER_TREE_REBUILD_DEPTH`, equal to `treeDepth` when set: this start may rebuild a stored tree
   * of another depth for it (else such a start is refused, rule tree-depth-fixed).
   */
  treeRebuildDepth?: number;
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
  /**
   * KYC level dev auto-approval gives every application (`AUTO_APPROVE_KYC_LEVEL`, default 1,
   * "Basic" in services/kyc-levels.ts): the level an applicant asks for is never issued.
   */
  autoApproveKycLevel?: number;
  /**
   * Longest credential an approval may issue, in days from today (`MAX_CREDENTIAL_LIFETIME_DAYS`,
   * default 1826 = five years). Unset in a hand-built config means the default.
   */
  maxCredentialLifetimeDays?: number;
  /** Requests per minute per reviewer key on the reviewer routes (`REVIEWER_RATE_LIMIT`, default 120). */
  reviewerRateLimitPerMinute?: number;
  /**
   * Wrong reviewer keys a client address may send per minute before it gets 429 for any key until
   * the minute is over (`REVIEWER_AUTH_FAILURE_LIMIT`, default 10).
   */
  reviewerAuthFailureLimitPerMinute?: number;
  /** Where main.ts anchors roots (`ANCHOR_RPC_URL`, `ANCHOR_REGISTRY_ADDRESS`, `ANCHOR_PUBLISHER_KEY`); none = no publishing. */
  anchor?: RegistryAnchorConfig;
  /**
   * More chains to anchor every root on (`ANCHOR_CHAINS`, a JSON list of
   * `{ name, rpcUrl, registryAddress, issuerId?, publisherKey }`); with `anchor`, that one joins them
   * as chain `default`. Each chain is written to on its own (publisher.ts).
   */
  anchorChains?: AnchorChainConfig[];
  /**
   * Postgres: how often an instance that is not the root publisher tries to become it, and the
   * publisher checks its lock (`PUBLISHER_ELECTION_INTERVAL_MS`, default 3000; store/instance-lock.ts).
   */
  publisherElectionIntervalMs?: number;
  /**
   * Postgres: how long a starting instance (or a bulk import) waits for another one's first-start
   * initialization before it gives up (`FIRST_START_LOCK_TIMEOUT_SECONDS`, default 120;
   * store/first-start-lock.ts).
   */
  firstStartLockTimeoutSeconds?: number;
  /**
   * Run the issuer as `did:web:<host>` (`ISSUER_DID_WEB_HOST`, e.g. `issuer.example.com` or
   * `localhost%3A3100`): VCs name that DID and the service serves its document at `/.well-known/did.json`.
   */
  didWebHost?: string;
  /** Accept did:ethr holders (`ETHR_RPC_URL`, `ETHR_REGISTRY_ADDRESS`); none = did:key and did:web only. */
  ethr?: EthrDidConfig;
  /**
   * Dev only (`DID_WEB_ALLOW_PRIVATE_NETWORKS=1` with `ZKKYC_DEV=1`): let holder did:web documents be
   * fetched from loopback and private addresses. Off: only public addresses (SSRF guard).
   */
  didWebAllowPrivateNetworks?: boolean;
  /**
   * Retention (`RETENTION_USED_CHALLENGE_DAYS` [30], `RETENTION_REJECTED_APPLICATION_DAYS` [1826],
   * `RETENTION_PURGE_INTERVAL_SECONDS` [3600]); unset in a hand-built config means those defaults.
   */
  retention?: { usedChallengeDays: number; rejectedApplicationDays: number; intervalSeconds: number };
  /**
   * Days a credential's verified identity record is kept after the credential ended (revoked, or
   * past its expiry date) — `IDENTITY_RECORD_RETENTION_DAYS`, default 1826 (five years, the usual
   * AML record-keeping period), at least 365 (`MIN_IDENTITY_RECORD_RETENTION_DAYS`). Unset in a
   * hand-built config means the default.
   */
  identityRecordRetentionDays?: number;
  /** Disclosure requests are checked against this log (`DISCLOSURE_*`); none = `POST /disclosures` answers 503. */
  disclosure?: DisclosureConfig;
  /**
   * OpenID4VCI (`ISSUER_PUBLIC_URL`, `OID4VCI_*`; services/oid4vci.ts): the URL wallets reach this
   * service at — the Credential Issuer Identifier, which proofs must name as `aud` — and the
   * lifetimes of what the flow hands out. Without it the OpenID4VCI routes are not mounted.
   */
  oid4vci?: Oid4vciConfig;
  /**
   * What an approval issues (`CREDENTIAL_FORMAT`): `vc2` (default) — a W3C VC Data Model 2.0
   * credential secured with VC-JOSE-COSE (ES256, the issuer's P-256 key) with a Bitstring Status
   * List entry — or `vc1.1`, the VC-JWT (ES256K) issued before. Unset in a hand-built config = `vc2`.
   */
  credentialFormat?: CredentialFormatSetting;
  /**
   * Base URL written into credentials for the status list and the JSON Schema (`STATUS_BASE_URL`;
   * default ISSUER_PUBLIC_URL, else `https://<did:web host>`, else `http://<HOST>:<PORT>`).
   */
  statusBaseUrl?: string;
}

/** The credential formats an approval can issue (`CREDENTIAL_FORMAT`). */
export const CREDENTIAL_FORMATS = ['vc2', 'vc1.1'] as const;
export type CredentialFormatSetting = (typeof CREDENTIAL_FORMATS)[number];

/** OpenID4VCI settings (defaults in brackets in `loadConfig`). */
export interface Oid4vciConfig {
  /** https URL (http only on a loopback host), no trailing slash, no query or fragment. */
  publicUrl: string;
  /** How long an offer's pre-authorized code can be redeemed [600 s]. */
  codeTtlSeconds: number;
  /** Wrong transaction codes a pre-authorized code survives; the last voids it [5]. */
  txCodeAttempts: number;
  /** Lifetime of the access token a code buys [300 s]. */
  accessTokenTtlSeconds: number;
  /** Lifetime of a c_nonce [300 s]; a proof's `iat` must also be within this of now. */
  nonceTtlSeconds: number;
}

export const DEFAULT_OID4VCI = { codeTtlSeconds: 600, txCodeAttempts: 5, accessTokenTtlSeconds: 300, nonceTtlSeconds: 300 } as const;

/**
 * Checks an OpenID4VCI public URL (rule `credential-issuer-url`): https, or http on a loopback host
 * (a wallet on the same machine, tests); no trailing slash, query or fragment — the identifier is
 * compared as a string, by us and by wallets.
 */
export function checkOid4vciPublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('ISSUER_PUBLIC_URL', `must be a URL, got "${raw.slice(0, 80)}"`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('ISSUER_PUBLIC_URL', 'must be https (http only on 127.0.0.1, localhost or [::1]) (rule credential-issuer-url)');
  }
  if (url.search || url.hash || raw.endsWith('/') || url.username || url.password) {
    throw new ConfigError('ISSUER_PUBLIC_URL', 'must have no trailing slash, query, fragment or credentials (rule credential-issuer-url: wallets compare it as a string)');
  }
  return raw;
}

/** Tree depths a `kycPolicy` circuit exists for (circuits/main): a tree of any other depth could not be proven against. */
export const SUPPORTED_TREE_DEPTHS = [20, 32] as const;

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

/** ANCHOR_CHAINS: a JSON list of chains (rule `anchor-chains`); every field checked and named. */
export function anchorChainsFrom(env: NodeJS.ProcessEnv, defaultIssuerId: string, single: RegistryAnchorConfig | undefined): AnchorChainConfig[] | undefined {
  const raw = env.ANCHOR_CHAINS || '';
  if (!raw) return undefined;
  const V = 'ANCHOR_CHAINS';
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new ConfigError(V, 'must be a JSON list of { "name", "rpcUrl", "registryAddress", "issuerId"?, "publisherKey" } (rule anchor-chains)');
  }
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(V, 'must be a non-empty JSON list of chains (rule anchor-chains)');
  const chains: AnchorChainConfig[] = [];
  const names = new Set<string>(single ? ['default'] : []);
  const places = new Set<string>(single ? [`${single.rpcUrl} ${single.registryAddress.toLowerCase()} ${defaultIssuerId}`] : []);
  list.forEach((entry: unknown, i: number) => {
    const at = `${V}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(V, `${at} must be an object`);
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).find((k) => !['name', 'rpcUrl', 'registryAddress', 'issuerId', 'publisherKey'].includes(k));
    if (unknown) throw new ConfigError(V, `${at} has an unknown field "${unknown.slice(0, 30)}"`);
    const text = (field: string) => (typeof e[field] === 'string' ? (e[field] as string) : '');
    const name = text('name');
    if (!CHAIN_NAME.test(name)) throw new ConfigError(V, `${at}.name must be 1-32 of a-z, 0-9, - (starting with a letter or digit)`);
    if (names.has(name)) throw new ConfigError(V, `${at}.name "${name}" is used twice${name === 'default' ? ' ("default" is the ANCHOR_RPC_URL chain)' : ''}`);
    names.add(name);
    const rpcUrl = text('rpcUrl');
    if (!/^https?:\/\/\S+$/.test(rpcUrl)) throw new ConfigError(V, `${at}.rpcUrl must be an http(s) JSON-RPC URL`);
    const registryAddress = text('registryAddress');
    if (!/^0x[0-9a-fA-F]{40}$/.test(registryAddress)) throw new ConfigError(V, `${at}.registryAddress must be a 0x-prefixed 20-byte address`);
    const issuerId = e.issuerId === undefined ? defaultIssuerId : typeof e.issuerId === 'number' ? String(e.issuerId) : text('issuerId');
    if (!/^\d{1,20}$/.test(issuerId)) throw new ConfigError(V, `${at}.issuerId must be a decimal integer`);
    const publisherKey = text('publisherKey');
    if (!/^0x[0-9a-fA-F]{64}$/.test(publisherKey)) throw new ConfigError(V, `${at}.publisherKey must be a 0x-prefixed 32-byte hex private key`);
    const place = `${rpcUrl} ${registryAddress.toLowerCase()} ${issuerId}`;
    if (places.has(place)) throw new ConfigError(V, `${at} names the same node, registry and issuer as another chain`);
    places.add(place);
    chains.push({ name, rpcUrl, registryAddress, issuerId, publisherKey });
  });
  return chains;
}

function ethrFrom(env: NodeJS.ProcessEnv): EthrDidConfig | undefined {
  const rpcUrl = env.ETHR_RPC_URL || '';
  const registryAddress = env.ETHR_REGISTRY_ADDRESS || '';
  if (!rpcUrl && !registryAddress) return undefined;
  if (!/^https?:\/\/\S+$/.test(rpcUrl)) throw new ConfigError('ETHR_RPC_URL', 'must be an http(s) JSON-RPC URL when did:ethr is configured');
  if (!/^0x[0-9a-fA-F]{40}$/.test(registryAddress)) throw new ConfigError('ETHR_REGISTRY_ADDRESS', 'must be a 0x-prefixed 20-byte address (an ERC-1056 EthereumDIDRegistry)');
  return { rpcUrl, registryAddress };
}

function disclosureFrom(env: NodeJS.ProcessEnv): DisclosureConfig | undefined {
  const rpcUrl = env.DISCLOSURE_RPC_URL || '';
  const logAddress = env.DISCLOSURE_LOG_ADDRESS || '';
  const gateAddress = env.DISCLOSURE_GATE_ADDRESS || '';
  const all = 'DISCLOSURE_RPC_URL, DISCLOSURE_LOG_ADDRESS and DISCLOSURE_GATE_ADDRESS';
  if (!rpcUrl && !logAddress && !gateAddress) {
    if (env.DISCLOSURE_CONFIRMATIONS) throw new ConfigError('DISCLOSURE_CONFIRMATIONS', `set only together with ${all}`);
    return undefined;
  }
  if (!/^https?:\/\/\S+$/.test(rpcUrl)) throw new ConfigError('DISCLOSURE_RPC_URL', `must be an http(s) JSON-RPC URL when disclosure is configured (all three of ${all})`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(logAddress))
    throw new ConfigError('DISCLOSURE_LOG_ADDRESS', `must be a 0x-prefixed 20-byte address (the DisclosureLog) when disclosure is configured (all three of ${all})`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(gateAddress)) {
    throw new ConfigError(
      'DISCLOSURE_GATE_ADDRESS',
      `must be a 0x-prefixed 20-byte address when disclosure is configured: the ComplianceGate, from the same deployment record as DISCLOSURE_LOG_ADDRESS (the service does not take the gate from the log)`,
    );
  }
  if (gateAddress.toLowerCase() === logAddress.toLowerCase()) {
    throw new ConfigError('DISCLOSURE_GATE_ADDRESS', 'is DISCLOSURE_LOG_ADDRESS; it must be the ComplianceGate the log serves, from the deployment record');
  }
  return { rpcUrl, logAddress: logAddress.toLowerCase(), gateAddress: gateAddress.toLowerCase(), confirmations: intFrom(env, 'DISCLOSURE_CONFIRMATIONS', 1, 1, 10_000) };
}

export const DEFAULT_IDENTITY_RECORD_RETENTION_DAYS = 1826;

/**
 * The shortest identity record retention accepted (`IDENTITY_RECORD_RETENTION_DAYS`, and
 * `identityRecordRetentionDays` in a hand-built config): one year. Retention counts from the end of
 * the credential, but the gate keeps a registration current up to its policy's ttl after that (a
 * revocation does not end a registration: the registration ends at
 * `min(end of validUntil, registration time + ttl)`), and a disclosure request may name any
 * registration. A record must outlive every registration made with its credential, so the floor
 * covers policy ttls up to a year; a policy with a longer ttl needs a retention at least that long
 * (the operator's to set: the issuer does not know the policies that accept it). AML
 * record-keeping asks five years anyway, the default.
 */
export const MIN_IDENTITY_RECORD_RETENTION_DAYS = 365;

/** Throws a ConfigError (rule `min-retention`) for a retention below the floor; returns it. */
export function checkIdentityRecordRetention(days: number): number {
  if (!Number.isInteger(days) || days < MIN_IDENTITY_RECORD_RETENTION_DAYS) {
    throw new ConfigError(
      'IDENTITY_RECORD_RETENTION_DAYS',
      `must be at least ${MIN_IDENTITY_RECORD_RETENTION_DAYS} days, got ${days} (rule min-retention: a registration stays current at the gate up to its policy's ttl after the credential ended, ` +
        `and the record must outlive it; AML record-keeping usually asks ${DEFAULT_IDENTITY_RECORD_RETENTION_DAYS} days, the default)`,
    );
  }
  return days;
}

/** A did:web host part: a domain name, optionally with a %3A-encoded port, optionally with :path segments. */
const DID_WEB_HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(%3A\d{1,5})?$/i;

export { ConfigError };

/** Publicly known, so only ever used in dev mode, and refused as ISSUER_KEY_SECRET. */
export const DEV_KEY_SECRET = 'zkkyc-dev-insecure-key-secret';
/**
 * Dev mode's reviewer: one key with every role but `disclosure-officer` (four-eyes still needs a
 * second key for changed attributes). Its key is public, and reading a person's identity record is
 * never something a key gets by default: a disclosure officer is always configured by name.
 */
export const DEV_REVIEWER: ReviewerCredential = { name: 'dev-reviewer', apiKey: 'dev-reviewer-key', roles: REVIEWER_ROLES.filter((r) => r !== 'disclosure-officer' && r !== 'screening') };

export const DEFAULT_MAX_CREDENTIAL_LIFETIME_DAYS = 1826;
export const DEFAULT_REVIEWER_RATE_LIMIT = 120;
export const DEFAULT_REVIEWER_AUTH_FAILURE_LIMIT = 10;

/**
 * Secret floors: a minimum length, zxcvbn's strength score 4 of 4, and a floor on zxcvbn's guess
 * estimate (log10 of the guesses its model of dictionaries, common passwords, keyboard walks,
 * sequences and repeats needs). Score 4 alone only means ≥ 10^10 guesses: `test-secret-0123456789`,
 * `reviewer-key-1234567` and `CorrectHorseBattery1` reach it. The guess floor is what a random key
 * of the minimum length reaches (zxcvbn counts ~10 guesses per random character): 10^20 for the
 * service secret, which guards the issuer's signing key, 10^16 for reviewer keys. `openssl rand
 * -base64 32` (44 characters) is far above both.
 */
export const KEY_SECRET_MIN_LENGTH = 20;
export const REVIEWER_KEY_MIN_LENGTH = 16;
export const MIN_SECRET_SCORE = 4;
export const KEY_SECRET_MIN_GUESSES_LOG10 = 20;
export const REVIEWER_KEY_MIN_GUESSES_LOG10 = 16;

let estimator: ZxcvbnFactory | null = null;

/** zxcvbn's estimate for `secret`, with its common dictionaries (built once, on first use). */
function estimate(secret: string): { score: number; guessesLog10: number } {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...zxcvbnCommon.dictionary }, graphs: zxcvbnCommon.adjacencyGraphs });
  const { score, guessesLog10 } = estimator.check(secret);
  return { score, guessesLog10 };
}

/** zxcvbn's score (0..4) for `secret`. */
export function secretStrengthScore(secret: string): number {
  return estimate(secret).score;
}

/** zxcvbn's log10 of the guesses `secret` takes. */
export function secretGuessesLog10(secret: string): number {
  return estimate(secret).guessesLog10;
}

/**
 * Throws a ConfigError naming the rule a secret breaks: `public-dev-secret`, `min-length`, or
 * `strength` (zxcvbn score below 4, or fewer than 10^minGuessesLog10 guesses). Returns the secret.
 */
function checkSecretStrength(variable: string, what: string, secret: string, minLength: number, minGuessesLog10: number): string {
  const generate = 'generate one with `openssl rand -base64 32`';
  if (secret === DEV_KEY_SECRET || secret === DEV_REVIEWER.apiKey) {
    throw new ConfigError(variable, `${what} is the publicly known dev value (rule public-dev-secret); ${generate}`);
  }
  if ([...secret].length < minLength) {
    throw new ConfigError(variable, `${what} must be at least ${minLength} characters (rule min-length); ${generate}`);
  }
  const { score, guessesLog10 } = estimate(secret);
  if (score < MIN_SECRET_SCORE || guessesLog10 < minGuessesLog10) {
    throw new ConfigError(
      variable,
      `${what} is too guessable (rule strength: zxcvbn must estimate score ${MIN_SECRET_SCORE} of 4 and at least 10^${minGuessesLog10} guesses, ` +
        `got score ${score} and 10^${Math.floor(guessesLog10)} — dictionary words, sequences, repeats and keyboard patterns score low; use random bytes); ${generate}`,
    );
  }
  return secret;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return value;
}

/**
 * Parses `REVIEWER_API_KEYS`: a comma-separated list of `name:key:role+role…` entries, e.g.
 * `rita:<key>:reviewer,arno:<key>:approver+revoker`. Every entry names its roles (there is no
 * default: a key that could do everything by omission is what separation of duties forbids).
 * Names are unique, because four-eyes compares names; keys must pass the strength floor
 * (≥ 16 characters, zxcvbn score 4 and ≥ 10^16 guesses): they are the only thing between the internet and issuance.
 */
export function parseReviewerKeys(raw: string): ReviewerCredential[] {
  const V = 'REVIEWER_API_KEYS';
  const reviewers: ReviewerCredential[] = [];
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const parts = entry.split(':').map((p) => p.trim());
    if (parts.length !== 3 || !parts[0]) {
      // Name the entry by position and name only: its text holds a key, which must not reach the logs.
      throw new ConfigError(V, `entry ${i + 1} ("${parts[0].slice(0, 64)}") is not name:key:roles (roles joined by +, from ${REVIEWER_ROLES.join(', ')})`);
    }
    const [name, apiKey, roleList] = parts;
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new ConfigError(V, `bad reviewer name "${name.slice(0, 64)}"`);
    checkSecretStrength(V, `the key for "${name}"`, apiKey, REVIEWER_KEY_MIN_LENGTH, REVIEWER_KEY_MIN_GUESSES_LOG10);
    const roles: ReviewerRole[] = [];
    for (const role of roleList.split('+').map((r) => r.trim())) {
      if (!(REVIEWER_ROLES as readonly string[]).includes(role)) {
        throw new ConfigError(V, `reviewer "${name}" has unknown role "${role.slice(0, 20)}" (roles: ${REVIEWER_ROLES.join(', ')})`);
      }
      if (!roles.includes(role as ReviewerRole)) roles.push(role as ReviewerRole);
    }
    if (reviewers.some((r) => r.name === name)) throw new ConfigError(V, `two entries share the name "${name}" (four-eyes compares names)`);
    if (reviewers.some((r) => r.apiKey === apiKey)) throw new ConfigError(V, 'two reviewers share a key');
    reviewers.push({ name, apiKey, roles });
  }
  return reviewers;
}

/**
 * Builds the configuration from environment variables (defaults in brackets):
 * PORT [3100], HOST [127.0.0.1], DATABASE_PATH [.data/issuer.sqlite], DATABASE_URL (Postgres; replaces
 * SQLite when set), DATABASE_SCHEMA [public], ISSUER_KEY_SECRET (required unless ZKKYC_DEV=1;
 * ≥ 20 characters, zxcvbn score 4 and ≥ 10^20 guesses), REVIEWER_API_KEYS (`name:key:role+role,…`; dev without any
 * adds `dev-reviewer:dev-reviewer-key` with every role), ZKKYC_DEV, AUTO_APPROVE (dev only), AUTO_APPROVE_KYC_LEVEL [1],
 * MAX_CREDENTIAL_LIFETIME_DAYS [1826], REVIEWER_RATE_LIMIT [120/min per key], REVIEWER_AUTH_FAILURE_LIMIT
 * [10 wrong keys/min per client address], ISSUER_TREE_ID [1], CHALLENGE_TTL_SECONDS [300],
 * HOLDER_RATE_LIMIT [60/min], BODY_LIMIT_BYTES [16384], PUBLISH_INTERVAL_SECONDS [60],
 * ANCHOR_RPC_URL + ANCHOR_REGISTRY_ADDRESS + ANCHOR_PUBLISHER_KEY (all or none), ANCHOR_CHAINS (JSON list of
 * chains), PUBLISHER_ELECTION_INTERVAL_MS [3000], FIRST_START_LOCK_TIMEOUT_SECONDS [120], ISSUER_DID_WEB_HOST,
 * ETHR_RPC_URL + ETHR_REGISTRY_ADDRESS (both or none; enables did:ethr holders),
 * IDENTITY_RECORD_RETENTION_DAYS [1826; ≥ 365], DISCLOSURE_RPC_URL + DISCLOSURE_LOG_ADDRESS +
 * DISCLOSURE_GATE_ADDRESS (all three or none) with DISCLOSURE_CONFIRMATIONS [1], ISSUER_PUBLIC_URL (enables
 * OpenID4VCI; dev mode with a fixed PORT defaults it to http://HOST:PORT) with OID4VCI_CODE_TTL_SECONDS [600], OID4VCI_TX_CODE_ATTEMPTS [5],
 * OID4VCI_ACCESS_TOKEN_TTL_SECONDS [300], OID4VCI_NONCE_TTL_SECONDS [300], CREDENTIAL_FORMAT [vc2; or vc1.1],
 * STATUS_BASE_URL [ISSUER_PUBLIC_URL, else the did:web host, else http://HOST:PORT].
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): IssuerServiceConfig {
  const devFlag = env.ZKKYC_DEV ?? '';
  if (devFlag !== '' && devFlag !== '1' && devFlag !== '0') throw new ConfigError('ZKKYC_DEV', `must be 1 (dev mode) or unset, got "${devFlag.slice(0, 10)}"`);
  const dev = devFlag === '1';
  let keySecret = env.ISSUER_KEY_SECRET ?? '';
  if (keySecret === '') {
    if (!dev) {
      throw new ConfigError(
        'ISSUER_KEY_SECRET',
        `required: set a secret of at least ${KEY_SECRET_MIN_LENGTH} characters (e.g. \`openssl rand -base64 32\`) — or ask for the insecure dev mode explicitly with --dev (main.ts) or ZKKYC_DEV=1`,
      );
    }
    keySecret = DEV_KEY_SECRET;
  } else {
    checkSecretStrength('ISSUER_KEY_SECRET', 'the secret', keySecret, KEY_SECRET_MIN_LENGTH, KEY_SECRET_MIN_GUESSES_LOG10);
  }
  const reviewers = parseReviewerKeys(env.REVIEWER_API_KEYS ?? '');
  if (dev && reviewers.length === 0) reviewers.push({ ...DEV_REVIEWER, roles: [...DEV_REVIEWER.roles] });
  const autoApprove = env.AUTO_APPROVE === '1';
  if (autoApprove && !dev) throw new ConfigError('AUTO_APPROVE', 'only allowed together with ZKKYC_DEV=1');
  const maxCredentialLifetimeDays = intFrom(env, 'MAX_CREDENTIAL_LIFETIME_DAYS', DEFAULT_MAX_CREDENTIAL_LIFETIME_DAYS, 1, 36500);
  const autoApproveValidityDays = intFrom(env, 'AUTO_APPROVE_VALIDITY_DAYS', 365, 1, 3650);
  if (autoApprove && autoApproveValidityDays > maxCredentialLifetimeDays) {
    throw new ConfigError('AUTO_APPROVE_VALIDITY_DAYS', `must not exceed MAX_CREDENTIAL_LIFETIME_DAYS (${maxCredentialLifetimeDays})`);
  }
  const host = env.HOST || '127.0.0.1';
  // Dev mode approves anything and answers any origin: it must not be reachable from elsewhere.
  if (dev && !['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new ConfigError('HOST', `dev mode listens on loopback only (127.0.0.1, ::1, localhost), got "${host.slice(0, 40)}"`);
  }
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
  const anchorChains = anchorChainsFrom(env, treeId, anchor);
  const ethr = ethrFrom(env);
  const treeDepth = intFrom(env, 'ISSUER_TREE_DEPTH', 32, 0, 64);
  if (!(SUPPORTED_TREE_DEPTHS as readonly number[]).includes(treeDepth)) {
    throw new ConfigError('ISSUER_TREE_DEPTH', `must be ${SUPPORTED_TREE_DEPTHS.join(' or ')} (rule circuit-depth: the depths a kycPolicy circuit is built for), got ${treeDepth}`);
  }
  const treeRebuildDepth = env.ISSUER_TREE_REBUILD_DEPTH ? intFrom(env, 'ISSUER_TREE_REBUILD_DEPTH', treeDepth, 0, 64) : undefined;
  if (treeRebuildDepth !== undefined && treeRebuildDepth !== treeDepth) {
    throw new ConfigError('ISSUER_TREE_REBUILD_DEPTH', `must equal ISSUER_TREE_DEPTH (${treeDepth}) — it names the depth the tree is rebuilt for — got ${treeRebuildDepth}`);
  }
  const didWebAllowPrivateNetworks = env.DID_WEB_ALLOW_PRIVATE_NETWORKS === '1';
  if (didWebAllowPrivateNetworks && !dev) throw new ConfigError('DID_WEB_ALLOW_PRIVATE_NETWORKS', 'only allowed together with dev mode (ZKKYC_DEV=1)');
  const retention = {
    usedChallengeDays: intFrom(env, 'RETENTION_USED_CHALLENGE_DAYS', 30, 1, 36500),
    rejectedApplicationDays: intFrom(env, 'RETENTION_REJECTED_APPLICATION_DAYS', 1826, 1, 36500),
    intervalSeconds: intFrom(env, 'RETENTION_PURGE_INTERVAL_SECONDS', 3600, 0, 86400 * 7),
  };

  const disclosure = disclosureFrom(env);
  // Dev mode listens on loopback at a known port: that is its public URL unless one is given.
  const port = intFrom(env, 'PORT', 3100, 0, 65535);
  const publicUrl = env.ISSUER_PUBLIC_URL || (dev && port !== 0 ? `http://${host === '::1' ? '[::1]' : host}:${port}` : '');
  const oid4vci = publicUrl
    ? {
        publicUrl: checkOid4vciPublicUrl(publicUrl),
        codeTtlSeconds: intFrom(env, 'OID4VCI_CODE_TTL_SECONDS', DEFAULT_OID4VCI.codeTtlSeconds, 30, 86400),
        txCodeAttempts: intFrom(env, 'OID4VCI_TX_CODE_ATTEMPTS', DEFAULT_OID4VCI.txCodeAttempts, 1, 20),
        accessTokenTtlSeconds: intFrom(env, 'OID4VCI_ACCESS_TOKEN_TTL_SECONDS', DEFAULT_OID4VCI.accessTokenTtlSeconds, 30, 3600),
        nonceTtlSeconds: intFrom(env, 'OID4VCI_NONCE_TTL_SECONDS', DEFAULT_OID4VCI.nonceTtlSeconds, 10, 3600),
      }
    : undefined;
  const credentialFormat = (env.CREDENTIAL_FORMAT || 'vc2') as CredentialFormatSetting;
  if (!CREDENTIAL_FORMATS.includes(credentialFormat)) {
    throw new ConfigError('CREDENTIAL_FORMAT', `must be ${CREDENTIAL_FORMATS.join(' or ')}, got "${credentialFormat.slice(0, 20)}"`);
  }
  const statusBaseUrl = env.STATUS_BASE_URL || undefined;
  if (statusBaseUrl !== undefined && !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*[^\s?#/])?$/.test(statusBaseUrl)) {
    throw new ConfigError('STATUS_BASE_URL', 'must be an http(s) URL without a trailing slash, query or fragment');
  }
  const identityRecordRetentionDays = checkIdentityRecordRetention(intFrom(env, 'IDENTITY_RECORD_RETENTION_DAYS', DEFAULT_IDENTITY_RECORD_RETENTION_DAYS, 1, 36500));

  return {
    ...(ethr ? { ethr } : {}),
    ...(disclosure ? { disclosure } : {}),
    ...(oid4vci ? { oid4vci } : {}),
    credentialFormat,
    ...(statusBaseUrl ? { statusBaseUrl } : {}),
    identityRecordRetentionDays,
    ...(didWebAllowPrivateNetworks ? { didWebAllowPrivateNetworks } : {}),
    retention,
    ...(anchor ? { anchor } : {}),
    ...(anchorChains ? { anchorChains } : {}),
    publisherElectionIntervalMs: intFrom(env, 'PUBLISHER_ELECTION_INTERVAL_MS', 3000, 100, 600_000),
    firstStartLockTimeoutSeconds: intFrom(env, 'FIRST_START_LOCK_TIMEOUT_SECONDS', 120, 1, 3600),
    ...(didWebHost ? { didWebHost } : {}),
    port,
    host,
    databasePath: env.DATABASE_PATH || '.data/issuer.sqlite',
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(databaseSchema ? { databaseSchema } : {}),
    keySecret,
    reviewers,
    dev,
    autoApprove,
    issuerAlias: env.ISSUER_DID_ALIAS || 'issuer',
    treeId,
    treeDepth,
    ...(treeRebuildDepth !== undefined ? { treeRebuildDepth } : {}),
    challengeTtlSeconds: intFrom(env, 'CHALLENGE_TTL_SECONDS', 300, 10, 86400),
    holderRateLimitPerMinute: intFrom(env, 'HOLDER_RATE_LIMIT', 60, 1, 1_000_000),
    bodyLimitBytes: intFrom(env, 'BODY_LIMIT_BYTES', 16384, 1024, 10 * 1024 * 1024),
    publishIntervalSeconds: intFrom(env, 'PUBLISH_INTERVAL_SECONDS', 60, 0, 86400 * 7),
    autoApproveValidityDays,
    autoApproveKycLevel: intFrom(env, 'AUTO_APPROVE_KYC_LEVEL', DEFAULT_AUTO_APPROVE_KYC_LEVEL, 0, 255),
    maxCredentialLifetimeDays,
    reviewerRateLimitPerMinute: intFrom(env, 'REVIEWER_RATE_LIMIT', DEFAULT_REVIEWER_RATE_LIMIT, 1, 1_000_000),
    reviewerAuthFailureLimitPerMinute: intFrom(env, 'REVIEWER_AUTH_FAILURE_LIMIT', DEFAULT_REVIEWER_AUTH_FAILURE_LIMIT, 1, 1_000_000),
  };
}

/**
 * A VC 2.0 credential names its status list and schema by URL for as long as it lives, so a
 * service that issues them for real (not dev mode) must know a URL verifiers can reach: https, or
 * plain http on loopback. Without STATUS_BASE_URL, ISSUER_PUBLIC_URL or did:web it would write the
 * listening socket's http://HOST:PORT into every credential. Called at start-up (main.ts).
 */
export function checkStatusBaseUrl(config: IssuerServiceConfig): void {
  if (config.dev || config.credentialFormat !== 'vc2') return;
  const base = config.statusBaseUrl ?? config.oid4vci?.publicUrl ?? (config.didWebHost ? `https://${decodeURIComponent(config.didWebHost)}` : '');
  if (/^https:\/\//.test(base) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(base)) return;
  throw new ConfigError(
    'STATUS_BASE_URL',
    `VC 2.0 credentials name their status list and schema by URL: set STATUS_BASE_URL (or ISSUER_PUBLIC_URL, or run as did:web) to the service's public https URL${base ? `, not ${base.slice(0, 60)}` : ''}, or CREDENTIAL_FORMAT=vc1.1`,
  );
}
