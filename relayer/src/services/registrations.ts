/**
 * The relayer's one use case: register a wallet at the gate with the wallet's EIP-712 consent,
 * paying the gas. Checks go from cheapest to dearest, and nothing is signed until all passed:
 *
 * 1. the policy is one this relayer serves, and the Groth16 proof verifies off chain (no node call
 *    for a junk proof);
 * 2. the same consent already in the journal answers with its transaction (no second payment, even
 *    once its deadline has passed);
 * 3. the consent's deadline leaves at least `minDeadlineSeconds` (after the later of the last
 *    block's time and the clock);
 * 4. the consent was signed by the wallet the proof's context names, over the wallet's current gate
 *    nonce (a consent over the previous nonce is a replay: refused as used). A wallet with code is
 *    refused unless the operator allowed its code hash: the gate asks it through ERC-1271 with nearly
 *    all the gas, and its answer may differ between a check and the real transaction. An allowed one
 *    is asked `isValidSignature` first, with a small gas cap;
 * 5. per-wallet, per-investor and global daily limits, the fee cap;
 * 6. the gas estimate against its cap, the daily budget against the worst-case cost, then a
 *    simulation (`eth_call`) with the very gas limit and fees it will send: a refusal comes back
 *    with the gate's custom error, and no gas is spent;
 * 7. sign, write to the journal, broadcast, wait for the receipt. A revert whose consent was used by
 *    someone else's copy of the transaction is answered as the registration it is.
 *
 * A plain (4-signal) registration is not sent alone: after step 6 (its own entry simulated as a
 * one-entry `verifyBatch`) it is queued in the journal, and the Batcher (batcher.ts) sends it with
 * others in one `verifyBatch` transaction. An escrow one (6 signals) is sent alone with
 * `verifyEscrowFor`, steps 7–8 as below; so is a plain one whose consent has less than
 * `replaceAfterSeconds` + DEADLINE_MARGIN_SECONDS left (with `verifyFor`): expiring in a batch
 * that waits for a fee raise, it would revert every other entry.
 *
 * From the fee cap to the broadcast, requests run one at a time (the relayer's account nonce);
 * waiting for receipts does not. A transaction not mined within `replaceAfterSeconds` is replaced
 * (same nonce, fees up by an eighth or to the chain's, within the cap and the budget) while its
 * consent has time left, so one stuck transaction does not hold the account's later ones.
 */
import { randomUUID } from 'node:crypto';
import { getAddress, Interface, keccak256, Transaction, type JsonRpcProvider, type TypedDataDomain, type Wallet } from 'ethers';
import type { ComplianceGate } from '@zkkyc/contracts/typechain';
import { consentDigest, consentSigner, decodeRevert, revertData, type ConsentMessage } from '@zkkyc/sdk';
import { ApiError, invalidField } from '../api-error.js';
import type { BatchSettings, RelayerLimits } from '../config.js';
import { JournalConflict, RequestConflict, type Journal, type JournalEntry, type RegistrationRequestEntry, type RequestRefusal, type StoredBatchEntry } from '../store/journal.js';
import { decodeBatchRefusal, encodeVerifyBatch, untilByWallet } from './batch-gate.js';
import { Batcher, batchDeadlineMargin, type BatchHost } from './batcher.js';
import { SerialLock } from './serial-lock.js';
import type { ProofCheck } from './proof-check.js';
import type { RegistrationRequest } from './registration-request.js';

export interface RelayedRegistration {
  /** The request's id (batched registrations; `GET /v1/registrations/{id}`). */
  id?: string;
  status?: 'registered';
  /** The relayer's transaction. */
  txHash: string;
  blockNumber: number;
  wallet: string;
  /** verifiedUntil the gate recorded (unix seconds), when known. */
  until?: string;
  /** Present (true) when that transaction reverted because a copy of it, with the same consent, registered the wallet first. */
  registeredElsewhere?: true;
}

export interface RegistrationServiceOptions {
  /** The gate, connected to the relayer's signer. */
  gate: ComplianceGate;
  /** The relayer's key, connected to `provider`. */
  signer: Wallet;
  provider: JsonRpcProvider;
  journal: Journal;
  limits: RelayerLimits;
  /** The off-chain Groth16 check run before any chain call. */
  proofCheck: ProofCheck;
  /** Code hashes of the contract wallets it registers (lower case); none = wallets with code are refused. */
  contractWalletCodeHashes?: string[];
  /** The gate's EIP-712 domain (read once at start: it is fixed per deployment). */
  domain: TypedDataDomain;
  chainId: bigint;
  /** Policies served; undefined = all. */
  policyIds?: bigint[];
  receiptTimeoutMs: number;
  /** Unix milliseconds (default: the system clock); the daily windows are measured with it. */
  now?: () => number;
  log?: (line: string) => void;
  /** Batching of plain registrations (default DEFAULT_BATCH in config.ts). */
  batch: BatchSettings;
}

/** What `GET /v1/registrations/{id}` (and a POST answered before the end) says about a batched request. */
export interface RequestView {
  id: string;
  status: RegistrationRequestEntry['status'];
  wallet: string;
  policyId: string;
  /** The batch transaction it went in (the current one, once replaced at a higher fee); with `submitted` and `registered`. */
  txHash?: string;
  blockNumber?: number;
  /** verifiedUntil the gate recorded (unix seconds), once registered and read. */
  until?: string;
  /** Why it was refused or expired: the error the API would have answered. */
  error?: { code: string; message: string; field?: string; rule?: string };
  /** Registered by its consent in someone else's copy of its batch (the relayer's reverted); `txHash` is the relayer's. */
  registeredElsewhere?: true;
}

/** A POST's outcome: a batched request (answered by id and status), or an escrow registration sent alone (answered once mined). */
export type Submission = { kind: 'batched'; request: RegistrationRequestEntry } | { kind: 'single'; registration: RelayedRegistration };

const DAY_MS = 86_400_000;
type Receipt = { status: number | null; blockNumber: number; gasUsed: bigint; gasPrice: bigint; logs?: readonly { topics: readonly string[]; data: string; address: string }[] };
type Four = [bigint, bigint, bigint, bigint];
type Six = [bigint, bigint, bigint, bigint, bigint, bigint];
const WALLET_MASK = (1n << 160n) - 1n;
/** The gate keys investors by the nullifier's low 192 bits (ComplianceGate TAG_MASK). */
const TAG_MASK = (1n << 192n) - 1n;
/** Gas an allowed contract wallet gets to answer `isValidSignature` in the pre-check: an ECDSA recover and a few reads. */
const SIGNATURE_CHECK_GAS = 60_000n;
const ERC1271 = new Interface(['function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)']);
const ERC1271_MAGIC = '0x1626ba7e';
/** What a client reads when the node fails; the node's own words (addresses, ports) go to the log only. */
const CHAIN_UNAVAILABLE = 'the chain could not be asked; try again later';

/** Which request field a gate refusal points at. */
const FIELD_OF: Record<string, string> = {
  InvalidProof: 'proof',
  InvalidConsentSignature: 'consent.signature',
  ConsentExpired: 'consent.deadline',
  PolicyNotFound: 'policyId',
  PolicyHashMismatch: 'policyId',
  EscrowProofRequired: 'policyId',
  EscrowNotEnabled: 'policyId',
  RootNotAcceptable: 'proof.pubSignals',
  DateOutOfWindow: 'proof.pubSignals',
  CredentialExpired: 'proof.pubSignals',
  ContextOutOfRange: 'proof.pubSignals',
  UnsupportedTreeDepth: 'proof.pubSignals',
  WalletBarred: 'proof.pubSignals',
  InvestorBarred: 'proof.pubSignals',
  WalletBoundToOtherInvestor: 'proof.pubSignals',
  TooManyWallets: 'proof.pubSignals',
};

const shortReason = (err: unknown) => ((err as { shortMessage?: string }).shortMessage ?? (err as Error).message ?? String(err)).slice(0, 300);

/** A stored request as the API shows it. */
export function requestView(r: RegistrationRequestEntry): RequestView {
  return {
    id: r.id,
    status: r.status,
    wallet: getAddress(r.wallet),
    policyId: r.policyId.toString(),
    ...(r.txHash && (r.status === 'submitted' || r.status === 'registered') ? { txHash: r.txHash } : {}),
    ...(r.blockNumber !== undefined && r.status === 'registered' ? { blockNumber: r.blockNumber } : {}),
    ...(r.until === undefined ? {} : { until: r.until.toString() }),
    ...(r.registeredElsewhere ? { registeredElsewhere: true as const } : {}),
    ...(r.refusal ? { error: { code: r.refusal.code, message: r.refusal.message, ...(r.refusal.field ? { field: r.refusal.field } : {}), ...(r.refusal.rule ? { rule: r.refusal.rule } : {}) } } : {}),
  };
}

const toStored = (req: RegistrationRequest): StoredBatchEntry => {
  const s = (v: bigint) => v.toString();
  const { pA, pB, pC, pubSignals } = req.proof;
  return {
    policyId: s(req.policyId),
    pA: [s(pA[0]), s(pA[1])],
    pB: [
      [s(pB[0][0]), s(pB[0][1])],
      [s(pB[1][0]), s(pB[1][1])],
    ],
    pC: [s(pC[0]), s(pC[1])],
    pubSignals: [s(pubSignals[0]), s(pubSignals[1]), s(pubSignals[2]), s(pubSignals[3])],
    deadline: s(req.consent.deadline),
    signature: req.consent.signature,
  };
};

export class RegistrationService implements BatchHost {
  readonly lock = new SerialLock();
  readonly batcher: Batcher;
  /** Receipts being awaited, by journal entry, so repeats and the restart follow-up share one wait. */
  private readonly waits = new Map<number, Promise<JournalEntry>>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private stopped = false;

  constructor(private readonly o: RegistrationServiceOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => undefined);
    this.batcher = new Batcher({
      host: this,
      journal: o.journal,
      provider: o.provider,
      signer: o.signer,
      gateAddress: o.gate.target as string,
      chainId: o.chainId,
      limits: o.limits,
      settings: o.batch,
      now: this.now,
      log: this.log,
    });
  }

  /** Stops the batch timer (the journal keeps what is queued for the next start). */
  stop(): void {
    this.stopped = true;
    this.batcher.stop();
  }

  get address(): string {
    return this.o.signer.address;
  }

  /**
   * A POST that waits: an escrow registration once mined, a batched one once its batch is mined (or
   * it was refused or expired after it was queued: that refusal is thrown).
   */
  async register(req: RegistrationRequest): Promise<RelayedRegistration> {
    const submitted = await this.submit(req);
    if (submitted.kind === 'single') return submitted.registration;
    return this.awaitRequest(submitted.request.id);
  }

  /** The stored request, if this relayer has it. */
  request(id: string): RegistrationRequestEntry | undefined {
    return this.o.journal.findRequest(id);
  }

  /** Waits until the batched request `id` is registered (answer), refused or expired (thrown), or `receiptTimeoutMs` after its batch's wait (504). */
  async awaitRequest(id: string): Promise<RelayedRegistration> {
    const giveUpAt = Date.now() + this.o.batch.maxWaitMs + this.o.receiptTimeoutMs;
    for (;;) {
      const r = this.o.journal.findRequest(id);
      if (!r) throw new ApiError(404, 'request_not_found', `no registration request ${id}`, 'id', 'known');
      if (r.status === 'registered') {
        return {
          id: r.id,
          status: 'registered',
          txHash: r.txHash ?? '',
          blockNumber: r.blockNumber ?? 0,
          wallet: getAddress(r.wallet),
          ...(r.until === undefined ? {} : { until: r.until.toString() }),
          ...(r.registeredElsewhere ? { registeredElsewhere: true as const } : {}),
        };
      }
      if (r.status === 'refused' || r.status === 'expired') {
        const f = r.refusal!;
        throw new ApiError(f.httpStatus, f.code, f.message, f.field, f.rule);
      }
      if (Date.now() >= giveUpAt) {
        throw new ApiError(504, 'receipt_timeout', `request ${r.id} is ${r.status}${r.txHash ? ` in ${r.txHash}` : ''}; ask GET /v1/registrations/${r.id} or repeat the request to follow it`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Checks a registration request and either queues it for a batch (a plain one: answered at once
   * with its id and status) or sends it alone (an escrow one: answered once mined). The same consent
   * again answers with the request (or transaction) it already is.
   */
  async submit(req: RegistrationRequest): Promise<Submission> {
    const { gate, limits } = this.o;
    if (this.o.policyIds && !this.o.policyIds.includes(req.policyId)) {
      throw invalidField('policyId', 'served', `this relayer registers for policies ${this.o.policyIds.join(', ')} only`);
    }
    if (!(await this.o.proofCheck.verify(req.proof))) {
      throw new ApiError(422, 'invalid_proof', 'proof: does not verify against the circuits the gate takes (kycPolicy32/20, kycPolicyEscrow32 for 6 signals)', 'proof', 'invalid-proof');
    }
    const escrow = req.proof.pubSignals.length === 6;
    const nullifier = req.proof.pubSignals[0];
    const context = req.proof.pubSignals[escrow ? 5 : 3];
    const wallet = getAddress('0x' + (context & WALLET_MASK).toString(16).padStart(40, '0'));
    const investorTag = '0x' + (nullifier & TAG_MASK).toString(16);

    const [block, nonce, code] = await this.chainRead(() => Promise.all([this.o.provider.getBlock('latest'), gate.nonces(wallet), this.o.provider.getCode(wallet)]));
    // The block that includes it is at least as late as both (an idle dev chain's last block can be old).
    const blockTime = BigInt(Math.max(block!.timestamp, Math.floor(this.now() / 1000)));
    const message = (n: bigint): ConsentMessage => ({ policyId: req.policyId, nullifier, context, nonce: n, deadline: req.consent.deadline });
    const digest = consentDigest(this.o.domain, message(nonce));

    // The same consent again (the client retried, or lost the answer): its transaction, not a new one.
    const previous = nonce > 0n ? consentDigest(this.o.domain, message(nonce - 1n)) : undefined;
    const same = async (known: { consentNonce: bigint; digest: string }) =>
      code === '0x'
        ? this.signedBy(message(known.consentNonce), req.consent.signature) === wallet
        : this.codeAllowed(code) && (await this.erc1271Accepts(wallet, known.digest, req.consent.signature)) === ERC1271_MAGIC;
    const queued = this.o.journal.findRequestByDigest(digest) ?? (previous ? this.o.journal.findRequestByDigest(previous) : undefined);
    if (queued && (await same(queued))) return { kind: 'batched', request: queued };
    const known = this.o.journal.findByDigest(digest) ?? (previous ? this.o.journal.findByDigest(previous) : undefined);
    if (known && (await same(known))) return { kind: 'single', registration: this.outcome(await this.settled(known)) };

    if (req.consent.deadline < blockTime + BigInt(limits.minDeadlineSeconds)) {
      throw new ApiError(
        400,
        'consent_expired',
        `consent.deadline: ${req.consent.deadline} leaves less than ${limits.minDeadlineSeconds} s after the time now (${blockTime}); sign a new consent`,
        'consent.deadline',
        'deadline',
      );
    }
    if (code !== '0x') {
      await this.checkContractWallet(wallet, code, digest, req.consent.signature);
    } else {
      const signer = this.signedBy(message(nonce), req.consent.signature);
      if (signer !== wallet) {
        if (nonce > 0n && this.signedBy(message(nonce - 1n), req.consent.signature) === wallet) {
          throw new ApiError(409, 'consent_used', `consent.signature: this consent was already used (the wallet's gate nonce is now ${nonce}); sign a new one`, 'consent.signature', 'nonce');
        }
        throw new ApiError(
          403,
          'consent_invalid',
          `consent.signature: signed by ${signer ?? 'no valid key'}, but the proof registers ${wallet}; only that wallet can consent`,
          'consent.signature',
          'signer',
        );
      }
    }

    // Checked here so a refusal costs nothing, and again under the lock (send) so requests sent
    // together cannot all pass while the journal is still empty.
    this.checkCounts(wallet, investorTag);

    // Close to its deadline: alone, so its expiry can revert nobody else's registration.
    if (!escrow && req.consent.deadline >= blockTime + BigInt(batchDeadlineMargin(limits))) {
      const queued = await this.enqueue(req, { wallet, nonce, digest, investorTag });
      if (queued) return { kind: 'batched', request: queued };
    }
    const entry = await this.lock.run(() => this.send(req, { wallet, nonce, digest, escrow, investorTag }));
    return { kind: 'single', registration: this.outcome(await this.settled(entry)) };
  }

  /**
   * Steps 5–6 for a plain registration, then the queue: the fee cap, its own entry simulated as a
   * one-entry `verifyBatch` with the real fees (a refusal names the gate's error, and no gas is
   * spent), the budget against that entry's worst case; then queued, and the batcher told.
   */
  private async enqueue(req: RegistrationRequest, c: { wallet: string; nonce: bigint; digest: string; investorTag: string }): Promise<RegistrationRequestEntry | undefined> {
    const { journal, limits, provider, signer } = this.o;
    const fees = await this.chainRead(() => provider.getFeeData());
    const maxFeePerGas = fees.maxFeePerGas ?? fees.gasPrice;
    if (maxFeePerGas === null) throw new ApiError(502, 'chain_unavailable', 'the node reports no fee data');
    if (maxFeePerGas > limits.maxFeePerGasWei) {
      throw new ApiError(503, 'gas_price_too_high', `the chain asks ${maxFeePerGas} wei per gas, above this relayer's cap of ${limits.maxFeePerGasWei}; try later`, undefined, 'max-gas-price');
    }
    const priority = fees.maxPriorityFeePerGas ?? 0n;
    const entry = toStored(req);
    const call = {
      to: this.o.gate.target as string,
      from: signer.address,
      data: encodeVerifyBatch([entry]),
      type: 2,
      maxFeePerGas,
      maxPriorityFeePerGas: priority > maxFeePerGas ? maxFeePerGas : priority,
      gasLimit: limits.maxGasPerRegistration,
    };
    let estimate: bigint;
    try {
      estimate = await provider.estimateGas(call);
      // The dry run with the gas limit a batch gives each entry at most.
      await provider.call(call);
    } catch (err) {
      const refusal = decodeBatchRefusal(revertData(err));
      // What the gate batches only under its batch key (depth-32 roots) or not yet at all (no batch
      // verifier set): sent alone with verifyFor, which takes it.
      if ((refusal?.kind === 'entry' && refusal.name === 'UnsupportedTreeDepth') || (refusal?.kind === 'other' && refusal.name === 'BatchVerifierNotSet')) return undefined;
      throw this.batchRefusal(err);
    }
    const spent = journal.spentSince(this.now() - DAY_MS);
    if (spent + estimate * maxFeePerGas > limits.dailyBudgetWei) {
      throw new ApiError(429, 'budget_exhausted', `the relayer's budget for 24 hours (${limits.dailyBudgetWei} wei) is spent; try later`, undefined, 'daily-budget');
    }
    // No await from here to the write: two requests cannot both pass the counts on an empty journal.
    const again = journal.findRequestByDigest(c.digest);
    if (again) return again;
    const single = journal.findLive(c.wallet, c.nonce);
    if (single) {
      throw new ApiError(409, 'consent_pending', `wallet ${c.wallet} already has a registration in flight (${single.txHash}); wait for it`, 'consent.signature', 'one-at-a-time');
    }
    this.checkCounts(c.wallet, c.investorTag);
    let queued: RegistrationRequestEntry;
    try {
      queued = journal.enqueue({
        id: randomUUID(),
        digest: c.digest,
        wallet: c.wallet.toLowerCase(),
        consentNonce: c.nonce,
        policyId: req.policyId,
        investorTag: c.investorTag,
        deadline: req.consent.deadline,
        entry,
        createdAt: this.now(),
      });
    } catch (err) {
      if (err instanceof RequestConflict) {
        throw new ApiError(
          409,
          'consent_pending',
          `wallet ${c.wallet} already has a registration request in flight (${err.existing.id}, ${err.existing.status}); wait for it`,
          'consent.signature',
          'one-at-a-time',
        );
      }
      throw err;
    }
    this.log(`request ${queued.id} queued: registering ${c.wallet}`);
    this.batcher.schedule();
    return queued;
  }

  /** A failed one-entry `verifyBatch` simulation as the API's refusal. */
  private batchRefusal(err: unknown): ApiError {
    const refusal = decodeBatchRefusal(revertData(err));
    if (!refusal) return this.refusal(err);
    if (refusal.kind === 'proof') return new ApiError(422, 'invalid_proof', 'proof: the gate does not accept this proof', 'proof', 'invalid-proof');
    const f = this.entryRefusal(refusal.name, refusal.message);
    return new ApiError(f.httpStatus, f.code, f.message, f.field, f.rule);
  }

  /** The gate's refusal of one entry as the API answers it. */
  entryRefusal(name: string, message: string): RequestRefusal {
    return { httpStatus: 422, code: 'registration_refused', message: `the gate would refuse this registration: ${message}`, field: FIELD_OF[name] ?? 'proof', rule: name };
  }

  /** Whether the request's consent was used on chain: its wallet's gate nonce moved past it; `registered` when the wallet is verified for the request's investor. */
  async consentOnChain(r: RegistrationRequestEntry): Promise<{ state: 'unused' | 'used-elsewhere' } | { state: 'registered'; until: bigint }> {
    const { gate } = this.o;
    const nonce = await gate.nonces(r.wallet);
    if (nonce <= r.consentNonce) return { state: 'unused' };
    const [verified, investor, until] = await Promise.all([gate.isVerified(r.policyId, r.wallet), gate.investorOf(r.policyId, r.wallet), gate.verifiedUntil(r.policyId, r.wallet)]);
    return verified && investor === BigInt(r.investorTag) ? { state: 'registered', until } : { state: 'used-elsewhere' };
  }

  /** Follows a sent journal row (a batch's, from the batcher) until it is settled. */
  follow(entry: JournalEntry): Promise<JournalEntry> {
    return this.settled(entry);
  }

  /**
   * Follows up what the journal says was sent but has no receipt (a restart after a crash):
   * settles what was mined, re-broadcasts what the node no longer knows, drops what can no longer
   * be mined (its account nonce went to another transaction). Resolves once each is decided or
   * being awaited.
   */
  async resumePending(): Promise<void> {
    for (const entry of this.o.journal.pending()) {
      const mined = await this.minedOf(entry);
      if (mined) {
        await this.settle({ ...entry, txHash: mined.txHash }, mined.receipt);
        continue;
      }
      const known = await this.o.provider.getTransaction(entry.txHash);
      if (!known && entry.deadline !== undefined && (await this.chainTimeNow()) > entry.deadline) {
        // Past the consent's deadline the gate refuses it: sending it again would only pay for a revert.
        this.log(`journal #${entry.id}: ${entry.txHash} not known to the node and its consent expired at ${entry.deadline}; dropped`);
        this.drop(entry);
        continue;
      }
      if (!known) {
        const accountNonce = await this.o.provider.getTransactionCount(this.address, 'latest');
        if (accountNonce > entry.relayerNonce) {
          this.log(`journal #${entry.id}: ${entry.txHash} can no longer be mined (account nonce ${accountNonce} > ${entry.relayerNonce}); dropped`);
          this.drop(entry);
          continue;
        }
        this.log(`journal #${entry.id}: re-broadcasting ${entry.txHash}`);
        await this.o.provider.broadcastTransaction(entry.rawTx).catch((err) => this.log(`journal #${entry.id}: re-broadcast failed: ${shortReason(err)}`));
      }
      void this.settled(entry).catch((err) => this.log(`journal #${entry.id}: ${shortReason(err)}`));
    }
    // Requests queued before the stop (or put back by a dropped batch) go out in the next batch.
    this.batcher.schedule();
  }

  /** A row that will never be mined: a batch's requests go back to the queue (the batcher looks each up on chain first). */
  private drop(entry: JournalEntry): void {
    if (entry.kind === 'batch') {
      this.o.journal.settleBatch(entry.id, { status: 'dropped' });
      this.batcher.schedule();
    } else this.o.journal.settle(entry.id, { status: 'dropped' });
  }

  private signedBy(message: ConsentMessage, signature: string): string | undefined {
    try {
      return getAddress(consentSigner(this.o.domain, message, signature));
    } catch {
      return undefined; // not a well-formed ECDSA signature
    }
  }

  /**
   * A wallet with code: refused unless its code hash is one the operator allowed; an allowed one must
   * answer `isValidSignature(digest, signature)` with the ERC-1271 magic value within a small gas cap.
   */
  private async checkContractWallet(wallet: string, code: string, digest: string, signature: string): Promise<void> {
    const codeHash = keccak256(code);
    if (!this.codeAllowed(code)) {
      throw new ApiError(
        422,
        'contract_wallet_refused',
        `proof.pubSignals: the proof registers ${wallet}, a contract (code hash ${codeHash}) this relayer does not register; register it from the wallet itself`,
        'proof.pubSignals',
        'contract-wallet',
      );
    }
    const answer = await this.erc1271Accepts(wallet, digest, signature);
    if (answer !== ERC1271_MAGIC) {
      throw new ApiError(403, 'consent_invalid', `consent.signature: the contract wallet ${wallet} does not accept this signature (ERC-1271 answered ${answer})`, 'consent.signature', 'signer');
    }
  }

  private codeAllowed(code: string): boolean {
    return (this.o.contractWalletCodeHashes ?? []).includes(keccak256(code));
  }

  /** What the wallet's `isValidSignature(digest, signature)` answers within SIGNATURE_CHECK_GAS: the ERC-1271 magic value, another selector, or `reverted`. */
  private async erc1271Accepts(wallet: string, digest: string, signature: string): Promise<string> {
    try {
      const result = await this.o.provider.call({ to: wallet, data: ERC1271.encodeFunctionData('isValidSignature', [digest, signature]), gasLimit: SIGNATURE_CHECK_GAS });
      return result.slice(0, 10).toLowerCase();
    } catch (err) {
      if ((err as { code?: string }).code !== 'CALL_EXCEPTION') throw this.unavailable(err);
      return 'reverted';
    }
  }

  /** The later of the last block's time and the clock, in seconds. */
  async chainTimeNow(): Promise<bigint> {
    const block = await this.o.provider.getBlock('latest');
    return BigInt(Math.max(block?.timestamp ?? 0, Math.floor(this.now() / 1000)));
  }

  /** The per-wallet, per-investor and relayer-wide daily counts (429 naming the one reached). */
  private checkCounts(wallet: string, investorTag: string): void {
    const { limits } = this.o;
    const since = this.now() - DAY_MS;
    if (this.o.journal.countSince(since, wallet) >= limits.walletDailyLimit) {
      throw new ApiError(429, 'rate_limited', `wallet ${wallet} has had ${limits.walletDailyLimit} registrations relayed in the last 24 hours`, 'wallet', 'wallet-daily-limit');
    }
    if (this.o.journal.countSince(since, undefined, investorTag) >= limits.investorDailyLimit) {
      throw new ApiError(
        429,
        'rate_limited',
        `the investor behind this proof has had ${limits.investorDailyLimit} registrations relayed in the last 24 hours`,
        'proof.pubSignals.0',
        'investor-daily-limit',
      );
    }
    if (this.o.journal.countSince(since) >= limits.dailyLimit) {
      throw new ApiError(429, 'rate_limited', `the relayer has relayed its ${limits.dailyLimit} registrations for the last 24 hours`, undefined, 'daily-limit');
    }
  }

  /** Steps 5 (fees) to 8 (broadcast), under the lock; returns the journal entry of the sent transaction. */
  private async send(req: RegistrationRequest, c: { wallet: string; nonce: bigint; digest: string; escrow: boolean; investorTag: string }): Promise<JournalEntry> {
    const { gate, journal, limits, provider, signer } = this.o;
    const again = journal.findByDigest(c.digest);
    if (again) return again;
    const live = journal.findLive(c.wallet, c.nonce);
    if (live) {
      throw new ApiError(409, 'consent_pending', `wallet ${c.wallet} already has a registration in flight (${live.txHash}); wait for it`, 'consent.signature', 'one-at-a-time');
    }
    // A batched request over the same consent nonce (another consent, e.g. a later deadline): sent
    // alone as well, one of the two would revert, and a batch would take its neighbours with it.
    const request = journal.findLiveRequest(c.wallet, c.nonce);
    if (request) {
      throw new ApiError(
        409,
        'consent_pending',
        `wallet ${c.wallet} already has a registration request in flight (${request.id}, ${request.status}); wait for it`,
        'consent.signature',
        'one-at-a-time',
      );
    }
    this.checkCounts(c.wallet, c.investorTag);

    const fees = await this.chainRead(() => provider.getFeeData());
    const maxFeePerGas = fees.maxFeePerGas ?? fees.gasPrice;
    if (maxFeePerGas === null) throw new ApiError(502, 'chain_unavailable', 'the node reports no fee data');
    if (maxFeePerGas > limits.maxFeePerGasWei) {
      throw new ApiError(503, 'gas_price_too_high', `the chain asks ${maxFeePerGas} wei per gas, above this relayer's cap of ${limits.maxFeePerGasWei}; try later`, undefined, 'max-gas-price');
    }
    const priority = fees.maxPriorityFeePerGas ?? 0n;
    const feeFields = { type: 2, maxFeePerGas, maxPriorityFeePerGas: priority > maxFeePerGas ? maxFeePerGas : priority };

    const { pA, pB, pC, pubSignals } = req.proof;
    const data = c.escrow
      ? gate.interface.encodeFunctionData('verifyEscrowFor', [req.policyId, pA, pB, pC, pubSignals as Six, req.consent.deadline, req.consent.signature])
      : gate.interface.encodeFunctionData('verifyFor', [req.policyId, pA, pB, pC, pubSignals as Four, req.consent.deadline, req.consent.signature]);
    const call = { to: await gate.getAddress(), from: signer.address, data, ...feeFields };
    let estimate: bigint;
    try {
      // Capped: code that eats all the gas it is given (an ERC-1271 wallet that loops) fails within the
      // cap instead of making the node search up to the block's gas limit.
      estimate = await provider.estimateGas({ ...call, gasLimit: limits.maxGasPerRegistration });
    } catch (err) {
      throw this.refusal(err);
    }
    if (estimate > limits.maxGasPerRegistration) {
      throw new ApiError(422, 'gas_limit', `this registration needs ${estimate} gas, above this relayer's cap of ${limits.maxGasPerRegistration}`, 'proof', 'max-gas');
    }
    // A margin over the estimate (the gate's storage may be warmer or colder when it lands), within the cap.
    const gasLimit = [estimate + estimate / 5n, limits.maxGasPerRegistration].reduce((a, b) => (a < b ? a : b));
    const maxCostWei = gasLimit * maxFeePerGas;
    const spent = journal.spentSince(this.now() - DAY_MS);
    if (spent + maxCostWei > limits.dailyBudgetWei) {
      throw new ApiError(429, 'budget_exhausted', `the relayer's budget for 24 hours (${limits.dailyBudgetWei} wei) is spent; try later`, undefined, 'daily-budget');
    }
    // The dry run the transaction will be: same fees, same gas limit (code that answers differently
    // at gas price 0, or runs out of a smaller limit, shows here instead of on the relayer's bill).
    try {
      await provider.call({ ...call, gasLimit });
    } catch (err) {
      throw this.refusal(err);
    }

    const relayerNonce = await this.chainRead(() => provider.getTransactionCount(signer.address, 'pending'));
    const rawTx = await signer.signTransaction({
      chainId: this.o.chainId,
      to: call.to,
      data: call.data,
      nonce: relayerNonce,
      gasLimit,
      ...feeFields,
    });
    const txHash = Transaction.from(rawTx).hash!;
    let entry: JournalEntry;
    try {
      entry = journal.record({
        wallet: c.wallet.toLowerCase(),
        consentNonce: c.nonce,
        digest: c.digest,
        policyId: req.policyId,
        investorTag: c.investorTag,
        deadline: req.consent.deadline,
        txHash,
        rawTx,
        relayerNonce,
        maxCostWei,
        createdAt: this.now(),
      });
    } catch (err) {
      if (err instanceof JournalConflict) throw new ApiError(409, 'consent_pending', err.message, 'consent.signature', 'one-at-a-time');
      throw err;
    }
    try {
      await provider.broadcastTransaction(rawTx);
    } catch (err) {
      // An answer lost on the way back is not a refusal: if the node has it, it stays sent.
      const known = await provider.getTransaction(txHash).catch(() => null);
      if (!known) {
        // Not sent: nothing to wait for, and the consent may be tried again.
        journal.settle(entry.id, { status: 'dropped' });
        this.log(`journal #${entry.id}: broadcast of ${txHash} refused: ${shortReason(err)}`);
        throw new ApiError(502, 'broadcast_failed', "the node did not take the relayer's transaction; send the request again later");
      }
    }
    this.log(`sent ${txHash} registering ${c.wallet} (relayer nonce ${relayerNonce}, gas limit ${gasLimit})`);
    return entry;
  }

  /** The entry once its transaction is mined (waiting for it, once per entry), as the journal then records it. */
  private settled(entry: JournalEntry): Promise<JournalEntry> {
    if (entry.status !== 'sent') return Promise.resolve(entry);
    let wait = this.waits.get(entry.id);
    if (!wait) {
      wait = this.followReceipt(entry).finally(() => this.waits.delete(entry.id));
      this.waits.set(entry.id, wait);
    }
    return wait;
  }

  /** The receipt of whichever of the entry's transactions (the current one or one it replaced) was mined, if any. */
  private async minedOf(entry: JournalEntry): Promise<{ txHash: string; receipt: Receipt } | undefined> {
    const hashes = [entry.txHash, ...(entry.replacedTxHashes ?? [])];
    const receipts = await Promise.all(hashes.map((h) => this.o.provider.getTransactionReceipt(h)));
    const i = receipts.findIndex((r) => r !== null);
    return i < 0 ? undefined : { txHash: hashes[i], receipt: receipts[i]! };
  }

  /**
   * Polls until one of the entry's transactions is mined, replacing the current one at a higher fee
   * each `replaceAfterSeconds` it stays unmined; 504 after `receiptTimeoutMs` (the entry stays sent,
   * and a repeat of the request follows it again).
   */
  private async followReceipt(entry: JournalEntry): Promise<JournalEntry> {
    // A batch is followed until it is mined, or can no longer be (its nonce went to another
    // transaction): requests wait on it, not a client's open request.
    const giveUpAt = entry.kind === 'batch' ? Infinity : Date.now() + this.o.receiptTimeoutMs;
    const replaceAfterMs = this.o.limits.replaceAfterSeconds * 1000;
    let current = entry;
    let sentAt = Math.max(entry.createdAt, this.now() - replaceAfterMs);
    for (;;) {
      const mined = await this.minedOf(current).catch((err) => {
        this.log(`journal #${entry.id}: receipt read failed: ${shortReason(err)}`);
        return undefined;
      });
      if (mined) return this.settle({ ...current, txHash: mined.txHash }, mined.receipt);
      if (await this.nonceMovedPast(current)) {
        // The node evicted it and the account nonce went to another transaction: it can never be
        // mined. A batch's requests go back to the queue (looked up on chain before they are sent again).
        this.log(`journal #${entry.id}: ${current.txHash} can no longer be mined (the account's nonce moved past ${current.relayerNonce} without it); dropped`);
        this.drop(current);
        return { ...current, status: 'dropped' };
      }
      if (this.stopped) throw new Error(`stopped while following ${current.txHash}; the next start follows it up`);
      if (Date.now() >= giveUpAt) {
        throw new ApiError(504, 'receipt_timeout', `${current.txHash} was sent but not seen mined yet; repeat the request to follow it`);
      }
      if (this.now() - sentAt >= replaceAfterMs) {
        const replaced = await this.lock
          .run(() => this.replace(current))
          .catch((err) => {
            this.log(`journal #${entry.id}: replacement failed: ${shortReason(err)}`);
            return undefined;
          });
        if (replaced) current = replaced;
        sentAt = this.now();
      }
      await new Promise((r) => setTimeout(r, this.o.provider.pollingInterval));
    }
  }

  /**
   * Whether the account's mined nonce is past the entry's and none of its transactions has a receipt
   * (read again after the nonce, so one mined in between is not taken for lost). A node that fails
   * to answer says no: the next poll asks again.
   */
  private async nonceMovedPast(entry: JournalEntry): Promise<boolean> {
    try {
      const accountNonce = await this.o.provider.getTransactionCount(this.address, 'latest');
      if (accountNonce <= entry.relayerNonce) return false;
      return (await this.minedOf(entry)) === undefined;
    } catch (err) {
      this.log(`journal #${entry.id}: nonce read failed: ${shortReason(err)}`);
      return false;
    }
  }

  /**
   * The same transaction (nonce, gas limit, calldata) at a higher fee: an eighth more than before
   * (nodes take a replacement from a tenth more) or the chain's current fee, whichever is higher.
   * Not when its consent is about to expire (the gate would refuse it), nor above the fee cap or the
   * daily budget. Journaled before it is broadcast, like the first.
   */
  private async replace(entry: JournalEntry): Promise<JournalEntry | undefined> {
    const { provider, signer, limits, journal } = this.o;
    if (entry.deadline !== undefined && (await this.chainTimeNow()) + BigInt(limits.minDeadlineSeconds) > entry.deadline) return undefined;
    const sent = Transaction.from(entry.rawTx);
    const fees = await provider.getFeeData();
    const bump = (v: bigint) => v + v / 8n + 1n;
    const maxOf = (a: bigint, b: bigint | null) => (b !== null && b > a ? b : a);
    const maxFeePerGas = maxOf(bump(sent.maxFeePerGas ?? 0n), fees.maxFeePerGas);
    let maxPriorityFeePerGas = maxOf(bump(sent.maxPriorityFeePerGas ?? 0n), fees.maxPriorityFeePerGas);
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    if (maxFeePerGas > limits.maxFeePerGasWei) {
      this.log(`journal #${entry.id}: not replaced: ${maxFeePerGas} wei per gas is above the cap`);
      return undefined;
    }
    const maxCostWei = sent.gasLimit * maxFeePerGas;
    if (journal.spentSince(this.now() - DAY_MS) - entry.maxCostWei + maxCostWei > limits.dailyBudgetWei) {
      this.log(`journal #${entry.id}: not replaced: the daily budget is spent`);
      return undefined;
    }
    const rawTx = await signer.signTransaction({ type: 2, chainId: this.o.chainId, to: sent.to, data: sent.data, nonce: sent.nonce, gasLimit: sent.gasLimit, maxFeePerGas, maxPriorityFeePerGas });
    const txHash = Transaction.from(rawTx).hash!;
    const replaced = journal.replace(entry.id, { txHash, rawTx, maxCostWei });
    // Refused (e.g. the first one was just mined: nonce too low): the follow-up finds whichever was mined.
    await provider.broadcastTransaction(rawTx).catch((err) => this.log(`journal #${entry.id}: replacement ${txHash} refused: ${shortReason(err)}`));
    this.log(`journal #${entry.id}: ${entry.txHash} replaced by ${txHash} at ${maxFeePerGas} wei per gas`);
    return replaced;
  }

  private async settle(entry: JournalEntry, receipt: Receipt): Promise<JournalEntry> {
    const costWei = receipt.gasUsed * receipt.gasPrice;
    if (entry.kind === 'batch') {
      // A reverted batch registered nobody: what caused it is looked for, and only those requests
      // are charged (refused, or a revert counted); the others are queued again as they were.
      const outcome =
        receipt.status === 1
          ? { status: 'mined' as const, blockNumber: receipt.blockNumber, costWei, txHash: entry.txHash }
          : { status: 'reverted' as const, blockNumber: receipt.blockNumber, costWei, txHash: entry.txHash };
      const verdicts =
        outcome.status === 'reverted'
          ? await this.batcher.blame(this.o.journal.requestsOfBatch(entry.id).filter((r) => r.status === 'submitted')).catch((err) => {
              this.log(`batch #${entry.id}: the cause of its revert could not be read (${shortReason(err)}); every request is charged`);
              return undefined;
            })
          : undefined;
      this.o.journal.settleBatch(entry.id, outcome, untilByWallet(receipt.logs ?? [], this.o.gate.target as string), verdicts);
      this.log(`batch #${entry.id} ${entry.txHash} ${outcome.status} in block ${receipt.blockNumber}: ${receipt.gasUsed} gas`);
      if (outcome.status === 'reverted') this.batcher.schedule();
      return { ...entry, ...outcome };
    }
    if (receipt.status === 1) {
      const outcome = { status: 'mined' as const, blockNumber: receipt.blockNumber, costWei, txHash: entry.txHash };
      this.o.journal.settle(entry.id, outcome);
      return { ...entry, ...outcome };
    }
    const registeredElsewhere = await this.registeredByConsent(entry).catch((err) => {
      this.log(`journal #${entry.id}: could not read the gate after the revert of ${entry.txHash}: ${shortReason(err)}`);
      return false;
    });
    const outcome = { status: 'reverted' as const, blockNumber: receipt.blockNumber, costWei, registeredElsewhere, txHash: entry.txHash };
    this.o.journal.settle(entry.id, outcome);
    if (registeredElsewhere) this.log(`journal #${entry.id}: ${entry.txHash} reverted, but its consent registered ${entry.wallet} in another transaction`);
    return { ...entry, ...outcome };
  }

  /**
   * After a revert: did this consent register the wallet anyway (someone sent a copy of the calldata
   * first)? Yes if the wallet's gate nonce moved past the consent's, and the wallet is verified under
   * the consent's policy, bound to the investor the proof names.
   */
  private async registeredByConsent(entry: JournalEntry): Promise<boolean> {
    if (entry.investorTag === undefined) return false;
    const { gate } = this.o;
    const [nonce, verified, investor] = await Promise.all([gate.nonces(entry.wallet), gate.isVerified(entry.policyId, entry.wallet), gate.investorOf(entry.policyId, entry.wallet)]);
    return nonce > entry.consentNonce && verified && investor === BigInt(entry.investorTag);
  }

  private outcome(entry: JournalEntry): RelayedRegistration {
    if (entry.status === 'reverted' && entry.registeredElsewhere) {
      // The holder's registration happened: the wallet is verified by this very consent.
      return { txHash: entry.txHash, blockNumber: entry.blockNumber!, wallet: getAddress(entry.wallet), registeredElsewhere: true };
    }
    if (entry.status === 'reverted') {
      throw new ApiError(409, 'registration_reverted', `${entry.txHash} was mined but reverted (the gate's state changed since it was checked); prove and consent again`, undefined, 'reverted');
    }
    if (entry.status === 'dropped') throw new ApiError(502, 'broadcast_failed', `${entry.txHash} was never mined; send the request again`);
    return { txHash: entry.txHash, blockNumber: entry.blockNumber!, wallet: getAddress(entry.wallet) };
  }

  /** A failed simulation as the API's refusal: the gate's custom error by name, or the node being unreachable. */
  private refusal(err: unknown): ApiError {
    const decoded = decodeRevert(err);
    if (decoded) {
      return new ApiError(422, 'registration_refused', `the gate would refuse this registration: ${decoded.message}`, FIELD_OF[decoded.name] ?? 'proof', decoded.name);
    }
    if ((err as { code?: string }).code === 'CALL_EXCEPTION') return new ApiError(422, 'registration_refused', `the gate would refuse this registration: ${shortReason(err)}`, 'proof', 'reverted');
    return this.unavailable(err);
  }

  /** The node failed: a generic 502 for the client, the node's error (which may name internal hosts) in the log. */
  private unavailable(err: unknown): ApiError {
    this.log(`chain unavailable: ${shortReason(err)}`);
    return new ApiError(502, 'chain_unavailable', CHAIN_UNAVAILABLE);
  }

  private async chainRead<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw this.unavailable(err);
    }
  }
}
