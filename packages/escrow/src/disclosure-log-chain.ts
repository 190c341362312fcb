import { AbiCoder, Contract, getAddress, keccak256, type Provider } from 'ethers';
import type { DisclosureLogCheck, DisclosureQuery } from './disclosure-log.js';
import { EscrowError } from './errors.js';
import { assertRegistrationEscrowKey } from './escrow-key-history.js';
import { readRegistration, readRegistrationCiphertext } from './gate-events.js';
import type { Ciphertext } from './leaf-index-encryption.js';

/**
 * The auditor's check against the on-chain disclosure log (contracts/src/DisclosureLog.sol,
 * docs/disclosure-log.md): a partial decryption is made only for a request that the log holds,
 * open (not cancelled), with enough confirmations, and recorded with exactly the policy,
 * registration and case hash the auditor was asked about.
 *
 * The partial's request reference names the log entry and nothing else:
 *
 *   disclosure-log:<chainId>:<log address, lowercase 0x-hex>:<request id>      (decimal numbers)
 *
 * It goes into the Chaum–Pedersen transcript (escrow.md §6), so a partial made for one entry of one
 * log on one chain cannot be passed off as made for another, and combine refuses to mix partials
 * made for different entries.
 */

/** What a request is about, as the requester recorded it and the auditor was told. */
export interface DisclosureSubject {
  /** The gate's policy id. */
  policyId: bigint;
  /** Hash of the transaction holding the gate's `EscrowCiphertext` event (0x + 64 hex digits). */
  registrationTx: string;
  /** That event's `logIndex` as JSON-RPC reports it (its position in the block). */
  registrationLogIndex: number;
  /** Hash of the case reference (0x + 64 hex digits, not zero); never the reference itself. */
  caseRefHash: string;
}

/** Where a request sits: one entry of one log on one chain. */
export interface DisclosureLogLocation {
  chainId: bigint;
  log: string;
  requestId: bigint;
}

/** The minimal ABI the check reads (a subset of IDisclosureLog). */
export const DISCLOSURE_LOG_ABI = [
  'function entry(uint256 id) view returns (tuple(bytes32 entryHash, address requester, uint40 requestedAt, uint40 blockNumber, uint8 status))',
  'function requestCount() view returns (uint256)',
  'function gate() view returns (address)',
  'function isRequester(uint256 policyId, address account) view returns (bool)',
  'function request(uint256 policyId, bytes32 registrationTx, uint32 registrationLogIndex, bytes32 caseRefHash) returns (uint256 id)',
  'event DisclosureRequested(uint256 indexed id, uint256 indexed policyId, address indexed requester, bytes32 registrationTx, uint32 registrationLogIndex, bytes32 caseRefHash, uint64 time)',
] as const;

const PREFIX = 'disclosure-log';
const BYTES32 = /^0x[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;

/** The request reference of an entry: `disclosure-log:<chainId>:<log>:<id>`, address lowercase. */
export function disclosureRequestReference({ chainId, log, requestId }: DisclosureLogLocation): string {
  return `${PREFIX}:${chainId}:${getAddress(log).toLowerCase()}:${requestId}`;
}

/** Parses a reference made by {@link disclosureRequestReference}; undefined for anything else. */
export function parseDisclosureRequestReference(reference: string): DisclosureLogLocation | undefined {
  const parts = reference.split(':');
  if (parts.length !== 4 || parts[0] !== PREFIX) return undefined;
  const [, chainId, log, id] = parts;
  if (!DECIMAL.test(chainId) || !ADDRESS.test(log) || !DECIMAL.test(id) || id === '0') return undefined;
  return { chainId: BigInt(chainId), log, requestId: BigInt(id) };
}

/** `keccak256(abi.encode(uint256 policyId, bytes32 registrationTx, uint32 logIndex, bytes32 caseRefHash))`, as the contract stores it. */
export function disclosureEntryHash(subject: DisclosureSubject): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['uint256', 'bytes32', 'uint32', 'bytes32'], [subject.policyId, subject.registrationTx, subject.registrationLogIndex, subject.caseRefHash]));
}

/** Checks a subject's fields at the boundary, naming the CLI flag that carries each. */
export function assertDisclosureSubject(subject: DisclosureSubject): void {
  if (subject.policyId < 0n || subject.policyId >= 1n << 256n) throw new EscrowError('--policy-id', 'integer', 'must be a uint256');
  if (!BYTES32.test(subject.registrationTx) || /^0x0+$/.test(subject.registrationTx)) {
    throw new EscrowError('--registration-tx', 'bytes32', 'must be a non-zero transaction hash, 0x and 64 lowercase hex digits');
  }
  if (!Number.isInteger(subject.registrationLogIndex) || subject.registrationLogIndex < 0 || subject.registrationLogIndex > 0xffffffff) {
    throw new EscrowError('--registration-log-index', 'integer', 'must be an integer in [0, 2^32)');
  }
  if (!BYTES32.test(subject.caseRefHash) || /^0x0+$/.test(subject.caseRefHash)) {
    throw new EscrowError('--case-hash', 'bytes32', 'must be a non-zero hash, 0x and 64 lowercase hex digits');
  }
}

/** IDisclosureLog.Status. */
const Status = { None: 0n, Open: 1n, Cancelled: 2n } as const;

/** Where the auditor's check looks, and how strictly. */
export interface ChainDisclosureLogCheckOptions {
  /**
   * The ComplianceGate the auditor serves, from the deployment record (`contracts.complianceGate`),
   * never from the request: the log the request names must answer it as its `gate()` (rule
   * `official-log`), and the registration must be this gate's.
   */
  gate: string;
  /**
   * The official DisclosureLog, from the deployment record (`contracts.disclosureLog`): when given,
   * the request must name it (rule `official-log`). Without it the log named by the request is
   * trusted to be the official one — the gate check alone does not tell, since anyone can deploy a
   * DisclosureLog for any gate and make themselves its requester.
   */
  log?: string;
  /** Blocks the entry must be deep (its own block counts). Default 1. */
  confirmations?: number;
  /** First block searched for the policy's PolicyEscrowKeySet events (the gate's deployment). Default 0. */
  fromBlock?: number;
  /** Blocks per eth_getLogs call for that search. Default 10,000. */
  logChunk?: number;
}

/**
 * Accepts a query when its request reference names an open entry of the official DisclosureLog —
 * one whose `gate()` is the gate the auditor serves (and, when `options.log` is given, that log;
 * rule `official-log`) — on the provider's chain, recorded with exactly `subject`, at least
 * `confirmations` blocks deep (the entry's block counts as one), by an account that was a requester
 * of the policy on that log at the entry's block (`isRequester`; rule `requester`); when the
 * registration the entry names — the log at `registrationLogIndex` of `registrationTx`'s receipt —
 * is the gate's EscrowCiphertext event for the policy and carries exactly the query's ciphertext
 * (`R.x`, `c`; rule `registration-ciphertext`); and when the query's key is the key the policy had
 * when that registration was made (the latest PolicyEscrowKeySet before it, escrow-key-history.ts;
 * rule `policy-escrow-key`). docs/disclosure-log.md §3, steps 2 to 5.
 */
export class ChainDisclosureLogCheck implements DisclosureLogCheck {
  private readonly gate: string;
  private readonly log?: string;
  private readonly confirmations: number;

  constructor(
    private readonly provider: Provider,
    private readonly subject: DisclosureSubject,
    private readonly options: ChainDisclosureLogCheckOptions,
  ) {
    assertDisclosureSubject(subject);
    const address = (value: string | undefined, field: string) => {
      if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw new EscrowError(field, 'address', 'must be a contract address (0x and 40 hex digits)');
      return getAddress(value);
    };
    this.gate = address(options?.gate, '--gate');
    if (options.log !== undefined) this.log = address(options.log, '--log');
    this.confirmations = options.confirmations ?? 1;
    if (!Number.isInteger(this.confirmations) || this.confirmations < 1) throw new EscrowError('--confirmations', 'integer', 'must be an integer ≥ 1');
  }

  async assertLogged(query: DisclosureQuery): Promise<void> {
    const refuse = (detail: string, rule = 'disclosure-logged'): never => {
      throw new EscrowError('request', rule, `"${query.request}" ${detail}`);
    };
    const location = parseDisclosureRequestReference(query.request);
    if (!location) return refuse('is not a disclosure log reference (disclosure-log:<chainId>:<log address>:<request id>)');

    const { chainId } = await this.provider.getNetwork();
    if (chainId !== location.chainId) refuse(`names chain ${location.chainId}, but the RPC node is on chain ${chainId}`);
    if (this.log && getAddress(location.log) !== this.log) refuse(`names the log ${getAddress(location.log)}, not the official log ${this.log}`, 'official-log');
    if ((await this.provider.getCode(location.log)) === '0x') refuse(`names ${location.log}, which holds no contract on chain ${chainId}`);

    const log = new Contract(location.log, DISCLOSURE_LOG_ABI, this.provider);
    let logGate: string;
    let entry: { entryHash: string; requester: string; blockNumber: bigint; status: bigint };
    try {
      logGate = getAddress(await log.gate());
      entry = await log.entry(location.requestId);
    } catch {
      return refuse(`names ${location.log}, which does not answer as a disclosure log`);
    }
    // The official log: one that serves the gate the auditor serves (and is the pinned log, above).
    if (logGate !== this.gate) {
      refuse(`names ${getAddress(location.log)}, which is the disclosure log of the gate ${logGate}, not of ${this.gate}: not the official log of the gate you serve`, 'official-log');
    }
    if (entry.status === Status.None) refuse(`is not in the log: ${location.log} has no request ${location.requestId}`);
    if (entry.status === Status.Cancelled) refuse(`was cancelled by its requester`);
    if (entry.status !== Status.Open) refuse(`has unknown status ${entry.status}`);
    if (entry.entryHash !== disclosureEntryHash(this.subject)) {
      refuse(
        `is logged for another policy, registration or case hash than the one given (policy ${this.subject.policyId}, registration ${this.subject.registrationTx}#${this.subject.registrationLogIndex}, case hash ${this.subject.caseRefHash})`,
      );
    }
    const depth = BigInt(await this.provider.getBlockNumber()) - entry.blockNumber + 1n;
    if (depth < BigInt(this.confirmations)) refuse(`has ${depth} confirmation(s); wait for ${this.confirmations}`);

    // Step 3: who asked was a requester of the policy on this log, as of the entry's block.
    let allowed: boolean;
    try {
      allowed = await log.isRequester(this.subject.policyId, entry.requester, { blockTag: Number(entry.blockNumber) });
    } catch {
      return refuse(`names ${location.log}, which does not answer isRequester at block ${entry.blockNumber}`, 'requester');
    }
    if (!allowed) {
      refuse(`was recorded by ${getAddress(entry.requester)}, who was not a requester of policy ${this.subject.policyId} on ${getAddress(location.log)} at block ${entry.blockNumber}`, 'requester');
    }

    // Step 4: the ciphertext is the one the named registration carries, emitted by the gate.
    const registration = await readRegistration(this.provider, this.gate, this.subject);
    const onChain = registration.ciphertext;
    if (onChain.R[0] !== query.ciphertext.R[0] || onChain.R[1] !== query.ciphertext.R[1] || onChain.c !== query.ciphertext.c) {
      throw new EscrowError(
        'ciphertext',
        'registration-ciphertext',
        `is not the ciphertext of registration ${this.subject.registrationTx}#${this.subject.registrationLogIndex} (its event carries escrowX ${onChain.R[0]}, escrowC ${onChain.c})`,
      );
    }
    // Step 5: the key (share) is for the key the policy had when the registration was made.
    await assertRegistrationEscrowKey(
      this.provider,
      this.gate,
      this.subject.policyId,
      { blockNumber: registration.blockNumber, logIndex: this.subject.registrationLogIndex, where: `${this.subject.registrationTx}#${this.subject.registrationLogIndex}` },
      query.publicKey,
      { fromBlock: this.options.fromBlock, chunk: this.options.logChunk },
    );
  }
}

/** The gate a DisclosureLog serves (its immutable `gate()`). */
export async function gateOfLog(provider: Provider, log: string): Promise<string> {
  try {
    return getAddress(await new Contract(log, DISCLOSURE_LOG_ABI, provider).gate());
  } catch {
    throw new EscrowError('request', 'disclosure-logged', `${log} does not answer gate(): not a disclosure log`);
  }
}

/**
 * The ciphertext of the registration a logged request names, read from the chain: the log's gate,
 * the receipt of `subject.registrationTx`, its EscrowCiphertext event at `registrationLogIndex`.
 */
export async function registrationCiphertextOfRequest(provider: Provider, log: string, subject: DisclosureSubject): Promise<Ciphertext> {
  return readRegistrationCiphertext(provider, await gateOfLog(provider, log), subject);
}
