import { AbiCoder, Contract, Interface, keccak256, toBeHex, zeroPadValue, type Provider } from 'ethers';
import { ApiError } from '../api-error.js';

/**
 * What the issuer reads on chain before its disclosure officer sees an identity record: the
 * disclosure request in the DisclosureLog (contracts/src/DisclosureLog.sol, docs/disclosure-log.md
 * §3, steps 2 and 4) and the registration it names, whose gate events carry the escrow ciphertext.
 *
 * The service depends on the capability, `DisclosureChain`; `JsonRpcDisclosureChain` implements it
 * over any ethers Provider. Every refusal is an ApiError naming the request field and the rule.
 */

/** A log entry as the officer names it (POST /disclosures `request`). */
export interface DisclosureRequestRef {
  chainId: number;
  /** The DisclosureLog, lower-case 0x address (already compared with the configured one). */
  log: string;
  id: bigint;
}

/** What an open, confirmed, consistent log entry and its registration say. */
export interface ResolvedDisclosureRequest {
  requestId: bigint;
  chainId: bigint;
  log: string;
  /**
   * The contract that emitted the registration's two events, lower-case: the log's `gate()` as read
   * for this request. The reader does not judge it; the service compares it with the configured
   * gate (a log someone else deployed can name a "gate" that emits any registration).
   */
  gate: string;
  policyId: bigint;
  requester: string;
  /** 0x + 64 hex. */
  caseRefHash: string;
  /** 0x + 64 hex. */
  registrationTx: string;
  /** The `EscrowCiphertext` event's log index in its block. */
  registrationLogIndex: number;
  /** `R.x` and `c` of the ciphertext (docs/escrow.md §3). */
  escrowX: bigint;
  escrowC: bigint;
  /** From the registration's `WalletVerified` event. */
  issuerId: bigint;
  root: bigint;
  wallet: string;
  nullifier: bigint;
}

export interface DisclosureChain {
  /** The gate the log names now (`gate()`), lower-case 0x address; the service checks it at start. */
  gate(): Promise<string>;
  /**
   * Checks, in order: the node is on `request.chainId`; `entry(id)` is Open and at least the
   * confirmation depth deep; its `DisclosureRequested` event hashes to the entry's `entryHash`; the
   * registration transaction succeeded and its log at `registrationLogIndex` is the gate's
   * `EscrowCiphertext` for the policy, right after the same registration's `WalletVerified` — "the
   * gate" being what the log's `gate()` answers now, returned as `gate`.
   * Returns what they say; throws an ApiError for the first check that fails (502 when the node
   * cannot be asked).
   */
  resolve(request: DisclosureRequestRef): Promise<ResolvedDisclosureRequest>;
}

const LOG_ABI = new Interface([
  'function entry(uint256 id) view returns (tuple(bytes32 entryHash, address requester, uint40 requestedAt, uint40 blockNumber, uint8 status))',
  'function gate() view returns (address)',
  'event DisclosureRequested(uint256 indexed id, uint256 indexed policyId, address indexed requester, bytes32 registrationTx, uint32 registrationLogIndex, bytes32 caseRefHash, uint64 time)',
]);

const GATE_EVENTS = new Interface([
  'event WalletVerified(uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint64 verifiedUntil, uint64 issuerId, uint256 root)',
  'event EscrowCiphertext(uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint256 escrowX, uint256 escrowC)',
]);

export const DISCLOSURE_REQUESTED_TOPIC = LOG_ABI.getEvent('DisclosureRequested')!.topicHash;
export const WALLET_VERIFIED_TOPIC = GATE_EVENTS.getEvent('WalletVerified')!.topicHash;
export const ESCROW_CIPHERTEXT_TOPIC = GATE_EVENTS.getEvent('EscrowCiphertext')!.topicHash;

/** IDisclosureLog.Status. */
const STATUS = { None: 0n, Open: 1n, Cancelled: 2n } as const;

/** `keccak256(abi.encode(uint256 policyId, bytes32 registrationTx, uint32 registrationLogIndex, bytes32 caseRefHash))`, as the log stores it. */
export function disclosureEntryHash(e: { policyId: bigint; registrationTx: string; registrationLogIndex: number; caseRefHash: string }): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['uint256', 'bytes32', 'uint32', 'bytes32'], [e.policyId, e.registrationTx, e.registrationLogIndex, e.caseRefHash]));
}

const word = (v: bigint): string => zeroPadValue(toBeHex(v), 32).toLowerCase();
const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** A check that failed: 4xx naming `request.id` (the entry) unless told otherwise. */
function refuse(status: number, code: string, rule: string, message: string, field = 'request.id'): ApiError {
  return new ApiError(status, code, message, field, rule);
}

/** The disclosure log and the registrations it names, read over JSON-RPC (docs/issuer-service.md, "Disclosure"). */
export class JsonRpcDisclosureChain implements DisclosureChain {
  private readonly log: Contract;

  constructor(
    private readonly provider: Provider,
    private readonly logAddress: string,
    private readonly confirmations = 1,
  ) {
    if (!Number.isInteger(confirmations) || confirmations < 1) throw new Error('confirmations must be an integer ≥ 1');
    this.log = new Contract(logAddress, LOG_ABI, provider);
  }

  async gate(): Promise<string> {
    return this.ask(async () => ((await this.log.gate()) as string).toLowerCase());
  }

  async resolve(request: DisclosureRequestRef): Promise<ResolvedDisclosureRequest> {
    return this.ask(async () => {
      const { chainId } = await this.provider.getNetwork();
      if (chainId !== BigInt(request.chainId)) {
        throw refuse(400, 'invalid_field', 'node-chain', `request.chainId is ${request.chainId}, but the disclosure log's node is on chain ${chainId}`, 'request.chainId');
      }
      const id = request.id;

      // a. The entry: open, deep enough, and its event hashing to the stored entry hash.
      const entry = (await this.log.entry(id)) as { entryHash: string; requester: string; blockNumber: bigint; status: bigint };
      if (entry.status === STATUS.None) throw refuse(404, 'request_not_logged', 'logged', `the disclosure log ${this.logAddress} holds no request ${id}`);
      if (entry.status === STATUS.Cancelled) throw refuse(409, 'request_not_open', 'open', `disclosure request ${id} was cancelled by its requester`);
      if (entry.status !== STATUS.Open) throw refuse(409, 'request_not_open', 'open', `disclosure request ${id} has status ${entry.status}, not Open (1)`);
      const head = BigInt(await this.provider.getBlockNumber());
      const depth = head - entry.blockNumber + 1n;
      if (depth < BigInt(this.confirmations)) {
        throw refuse(409, 'request_unconfirmed', 'confirmations', `disclosure request ${id} has ${depth} confirmation(s); ${this.confirmations} are needed`);
      }
      const block = Number(entry.blockNumber);
      const logs = await this.provider.getLogs({ address: this.logAddress, topics: [DISCLOSURE_REQUESTED_TOPIC, word(id)], fromBlock: block, toBlock: block });
      if (logs.length !== 1) throw refuse(422, 'request_unverifiable', 'requested-event', `found ${logs.length} DisclosureRequested events for request ${id} in block ${block}, expected one`);
      const event = LOG_ABI.parseLog(logs[0])!;
      const requested = {
        policyId: event.args.policyId as bigint,
        requester: event.args.requester as string,
        registrationTx: (event.args.registrationTx as string).toLowerCase(),
        registrationLogIndex: Number(event.args.registrationLogIndex),
        caseRefHash: (event.args.caseRefHash as string).toLowerCase(),
      };
      if (disclosureEntryHash(requested) !== entry.entryHash.toLowerCase()) {
        throw refuse(422, 'request_unverifiable', 'entry-hash', `the DisclosureRequested event of request ${id} does not hash to the entry's entryHash`);
      }

      // b. The registration: a successful transaction whose log at registrationLogIndex is the
      // gate's EscrowCiphertext for the policy, right after the same registration's WalletVerified.
      const gate = ((await this.log.gate()) as string).toLowerCase();
      const receipt = await this.provider.getTransactionReceipt(requested.registrationTx);
      if (!receipt) throw refuse(422, 'request_unverifiable', 'registration-receipt', `request ${id} names registration ${requested.registrationTx}, which has no receipt on this chain`);
      if (receipt.status !== 1) throw refuse(422, 'request_unverifiable', 'registration-receipt', `request ${id} names registration ${requested.registrationTx}, which reverted`);
      const at = (index: number) => receipt.logs.find((l) => l.index === index);
      const escrowLog = at(requested.registrationLogIndex);
      if (!escrowLog || !sameAddress(escrowLog.address, gate) || escrowLog.topics[0] !== ESCROW_CIPHERTEXT_TOPIC || escrowLog.topics[1]?.toLowerCase() !== word(requested.policyId)) {
        throw refuse(
          422,
          'request_unverifiable',
          'escrow-ciphertext',
          `log ${requested.registrationLogIndex} of ${requested.registrationTx} is not the gate's EscrowCiphertext for policy ${requested.policyId}`,
        );
      }
      const verifiedLog = at(requested.registrationLogIndex - 1);
      if (
        !verifiedLog ||
        !sameAddress(verifiedLog.address, gate) ||
        verifiedLog.topics[0] !== WALLET_VERIFIED_TOPIC ||
        verifiedLog.topics[1]?.toLowerCase() !== word(requested.policyId) ||
        verifiedLog.topics[2]?.toLowerCase() !== escrowLog.topics[2]?.toLowerCase() ||
        verifiedLog.topics[3]?.toLowerCase() !== escrowLog.topics[3]?.toLowerCase()
      ) {
        throw refuse(
          422,
          'request_unverifiable',
          'wallet-verified',
          `log ${requested.registrationLogIndex - 1} of ${requested.registrationTx} is not the same registration's WalletVerified (gate, policy ${requested.policyId}, wallet and nullifier of the ciphertext)`,
        );
      }
      const escrow = GATE_EVENTS.parseLog(escrowLog)!;
      const verified = GATE_EVENTS.parseLog(verifiedLog)!;
      return {
        requestId: id,
        chainId,
        log: this.logAddress.toLowerCase(),
        gate,
        ...requested,
        escrowX: escrow.args.escrowX as bigint,
        escrowC: escrow.args.escrowC as bigint,
        issuerId: verified.args.issuerId as bigint,
        root: verified.args.root as bigint,
        wallet: (verified.args.wallet as string).toLowerCase(),
        nullifier: verified.args.nullifier as bigint,
      };
    });
  }

  /** Our refusals pass through; anything else means the node (or the configured log) could not be asked. */
  private async ask<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(502, 'chain_unavailable', `cannot read the disclosure log ${this.logAddress} at DISCLOSURE_RPC_URL: ${(err as Error).message.slice(0, 200)}`);
    }
  }
}
