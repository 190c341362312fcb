/**
 * The relayer's configuration, read from the environment once at start-up (relayer/README.md,
 * "Configuration"). Every refusal is a ConfigError whose message starts with the variable's name and
 * says which rule the value breaks, so an operator fixes it without reading code.
 */
import { parseEther, parseUnits } from 'ethers';
import { ConfigError } from '@zkkyc/service-kit';

export interface RelayerLimits {
  /** Registrations accepted per wallet in any 24 hours (`WALLET_DAILY_LIMIT`, default 3). */
  walletDailyLimit: number;
  /**
   * Registrations accepted per investor tag in any 24 hours (`INVESTOR_DAILY_LIMIT`, default 3): the
   * tag is the nullifier's low 192 bits, as the gate keys investors, so one credential cannot make the
   * relayer pay for many wallets (or contract-wallet clones).
   */
  investorDailyLimit: number;
  /** Registrations accepted in all in any 24 hours (`DAILY_LIMIT`, default 1000). */
  dailyLimit: number;
  /** Wei the relayer may spend in any 24 hours, counting sent ones at their worst case (`DAILY_BUDGET_ETH`, default 1). */
  dailyBudgetWei: bigint;
  /** Highest fee per gas it pays, in wei (`MAX_GAS_PRICE_GWEI`, default 200): above it, it refuses instead of overpaying. */
  maxFeePerGasWei: bigint;
  /** Most gas one registration may take (`MAX_GAS_PER_REGISTRATION`, default 450000; a single one takes ~290k). */
  maxGasPerRegistration: bigint;
  /** Seconds a consent must still have left when it arrives (`MIN_DEADLINE_SECONDS`, default 30). */
  minDeadlineSeconds: number;
  /** Requests per minute per client IP on every route (`REQUESTS_PER_MINUTE`, default 60). */
  requestsPerMinute: number;
  /** Seconds a sent transaction may stay unmined before it is replaced at a higher fee (`REPLACE_AFTER_SECONDS`, default 60). */
  replaceAfterSeconds: number;
}

/** When queued registrations go out together in one `verifyBatch` transaction: whichever comes first. */
export interface BatchSettings {
  /** Entries per batch; a batch is sent as soon as this many are queued (`BATCH_MAX_SIZE`, default 16, at most the gate's MAX_BATCH of 32). */
  maxSize: number;
  /** Milliseconds the oldest queued request may wait before its batch is sent anyway (`BATCH_MAX_WAIT_MS`, default 2000). */
  maxWaitMs: number;
}

export const DEFAULT_BATCH: BatchSettings = { maxSize: 16, maxWaitMs: 2000 };

export interface RelayerConfig {
  rpcUrl: string;
  /** The one ComplianceGate it registers at (checksummed as given, compared case-insensitively). */
  gateAddress: string;
  /** The relayer's private key (`RELAYER_KEY`, 0x + 64 hex): it pays the gas. */
  relayerKey: string;
  /** The chain id the node must report (`CHAIN_ID`); unset = whatever the node reports. */
  chainId?: number;
  /** Policies it registers for (`POLICY_IDS`, comma-separated); unset = any policy of the gate. */
  policyIds?: bigint[];
  /** The journal's SQLite file (`DATABASE_PATH`, default .data/relayer.sqlite). */
  databasePath: string;
  host: string;
  port: number;
  /** Origins allowed to call it from a browser (`CORS_ORIGINS`, comma-separated; `*` = any). */
  corsOrigins: string[];
  limits: RelayerLimits;
  /**
   * Code hashes (keccak256 of the runtime code) of the contract wallets it registers
   * (`RELAYER_CONTRACT_WALLET_CODEHASHES`, comma-separated, lower case). Empty (the default): a wallet
   * with code is refused, because its ERC-1271 answer can differ between the check and the real
   * transaction and burn the relayer's gas.
   */
  contractWalletCodeHashes?: string[];
  /** Seconds it waits for a sent registration to be mined before answering 504 (`RECEIPT_TIMEOUT_SECONDS`, default 120). */
  receiptTimeoutSeconds: number;
  /** Batching of plain (4-signal) registrations; escrow ones are sent one by one. Default DEFAULT_BATCH. */
  batch?: BatchSettings;
}

export { ConfigError };

export const DEFAULT_LIMITS: RelayerLimits = {
  walletDailyLimit: 3,
  investorDailyLimit: 3,
  dailyLimit: 1000,
  dailyBudgetWei: parseEther('1'),
  maxFeePerGasWei: parseUnits('200', 'gwei'),
  maxGasPerRegistration: 450_000n,
  minDeadlineSeconds: 30,
  requestsPerMinute: 60,
  replaceAfterSeconds: 60,
};

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;
const CODE_HASH = /^0x[0-9a-fA-F]{64}$/;
/** keccak256 of empty code: an account without code, never a contract wallet. */
const EMPTY_CODE_HASH = '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470';

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const raw = (env[name] ?? '').trim();
  if (raw === '') throw new ConfigError(name, `required (rule required): ${what}`);
  return raw;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number (rule integer), got "${raw.slice(0, 30)}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (rule range), got ${value}`);
  return value;
}

function decimalFrom(env: NodeJS.ProcessEnv, name: string, fallback: bigint, unit: 'ether' | 'gwei'): bigint {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(name, `must be a positive decimal number of ${unit === 'ether' ? 'ETH' : 'gwei'} (rule decimal), got "${raw.slice(0, 30)}"`);
  try {
    const value = parseUnits(raw, unit);
    if (value <= 0n) throw new Error('zero');
    return value;
  } catch {
    throw new ConfigError(name, `must be above 0 with at most ${unit === 'ether' ? 18 : 9} decimals (rule decimal), got "${raw.slice(0, 30)}"`);
  }
}

function listFrom(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Reads and checks the configuration; throws ConfigError naming the first variable at fault. */
export function loadRelayerConfig(env: NodeJS.ProcessEnv = process.env): RelayerConfig {
  const rpcUrl = required(env, 'RPC_URL', 'the JSON-RPC URL of the chain the gate is on');
  if (!/^https?:\/\//.test(rpcUrl)) throw new ConfigError('RPC_URL', `must be an http(s) URL (rule url), got "${rpcUrl.slice(0, 60)}"`);
  const gateAddress = required(env, 'GATE_ADDRESS', 'the ComplianceGate the relayer registers at');
  if (!ADDRESS.test(gateAddress)) throw new ConfigError('GATE_ADDRESS', `must be a 0x-prefixed 20-byte address (rule address), got "${gateAddress.slice(0, 50)}"`);
  const relayerKey = required(env, 'RELAYER_KEY', "the relayer account's private key, which pays the gas");
  if (!PRIVATE_KEY.test(relayerKey)) throw new ConfigError('RELAYER_KEY', 'must be 0x followed by 64 hex digits (rule private-key)');
  const chainIdRaw = (env.CHAIN_ID ?? '').trim();
  const chainId = chainIdRaw === '' ? undefined : intFrom(env, 'CHAIN_ID', 0, 1, Number.MAX_SAFE_INTEGER);
  const policies = listFrom(env, 'POLICY_IDS');
  for (const p of policies) if (!/^\d{1,77}$/.test(p)) throw new ConfigError('POLICY_IDS', `each entry must be a whole number (rule integer), got "${p.slice(0, 30)}"`);
  const corsOrigins = listFrom(env, 'CORS_ORIGINS');
  for (const o of corsOrigins) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) throw new ConfigError('CORS_ORIGINS', `each entry must be an origin like http://127.0.0.1:5173 or * (rule origin), got "${o.slice(0, 60)}"`);
  }
  const contractWalletCodeHashes = listFrom(env, 'RELAYER_CONTRACT_WALLET_CODEHASHES').map((h) => h.toLowerCase());
  for (const h of contractWalletCodeHashes) {
    if (!CODE_HASH.test(h))
      throw new ConfigError('RELAYER_CONTRACT_WALLET_CODEHASHES', `each entry must be a keccak256 code hash, 0x followed by 64 hex digits (rule code-hash), got "${h.slice(0, 70)}"`);
    if (h === EMPTY_CODE_HASH) throw new ConfigError('RELAYER_CONTRACT_WALLET_CODEHASHES', `${h} is the hash of empty code, not of a contract wallet (rule code-hash)`);
  }
  return {
    rpcUrl,
    gateAddress,
    relayerKey,
    ...(chainId === undefined ? {} : { chainId }),
    ...(policies.length ? { policyIds: policies.map(BigInt) } : {}),
    databasePath: (env.DATABASE_PATH ?? '').trim() || '.data/relayer.sqlite',
    host: (env.HOST ?? '').trim() || '127.0.0.1',
    port: intFrom(env, 'PORT', 3200, 0, 65535),
    corsOrigins,
    contractWalletCodeHashes,
    limits: {
      walletDailyLimit: intFrom(env, 'WALLET_DAILY_LIMIT', DEFAULT_LIMITS.walletDailyLimit, 1, 1_000_000),
      investorDailyLimit: intFrom(env, 'INVESTOR_DAILY_LIMIT', DEFAULT_LIMITS.investorDailyLimit, 1, 1_000_000),
      dailyLimit: intFrom(env, 'DAILY_LIMIT', DEFAULT_LIMITS.dailyLimit, 1, 100_000_000),
      dailyBudgetWei: decimalFrom(env, 'DAILY_BUDGET_ETH', DEFAULT_LIMITS.dailyBudgetWei, 'ether'),
      maxFeePerGasWei: decimalFrom(env, 'MAX_GAS_PRICE_GWEI', DEFAULT_LIMITS.maxFeePerGasWei, 'gwei'),
      maxGasPerRegistration: BigInt(intFrom(env, 'MAX_GAS_PER_REGISTRATION', Number(DEFAULT_LIMITS.maxGasPerRegistration), 100_000, 30_000_000)),
      minDeadlineSeconds: intFrom(env, 'MIN_DEADLINE_SECONDS', DEFAULT_LIMITS.minDeadlineSeconds, 0, 86_400),
      requestsPerMinute: intFrom(env, 'REQUESTS_PER_MINUTE', DEFAULT_LIMITS.requestsPerMinute, 1, 1_000_000),
      replaceAfterSeconds: intFrom(env, 'REPLACE_AFTER_SECONDS', DEFAULT_LIMITS.replaceAfterSeconds, 5, 86_400),
    },
    receiptTimeoutSeconds: intFrom(env, 'RECEIPT_TIMEOUT_SECONDS', 120, 1, 3600),
    batch: {
      maxSize: intFrom(env, 'BATCH_MAX_SIZE', DEFAULT_BATCH.maxSize, 1, 32),
      maxWaitMs: intFrom(env, 'BATCH_MAX_WAIT_MS', DEFAULT_BATCH.maxWaitMs, 0, 600_000),
    },
  };
}
