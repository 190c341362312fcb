/**
 * The relayer's one use case: register a wallet at the gate with the wallet's EIP-712 consent,
 * paying the gas. Checks go from cheapest to dearest, and nothing is signed until all passed:
 *
 * 1. the policy is one this relayer serves;
 * 2. the same consent already in the journal answers with its transaction (no second payment, even
 *    once its deadline has passed);
 * 3. the consent's deadline leaves at least `minDeadlineSeconds` (after the later of the last
 *    block's time and the clock);
 * 4. the consent was signed by the wallet the proof's context names, over the wallet's current gate
 *    nonce (a consent over the previous nonce is a replay: refused as used); a contract wallet's
 *    signature is left to the gate (ERC-1271) in step 6;
 * 5. per-wallet and global daily limits, the fee cap;
 * 6. a simulation (`eth_call`) from the relayer's account: a refusal comes back with the gate's
 *    custom error, and no gas is spent;
 * 7. the gas estimate against its cap, the daily budget against the worst-case cost;
 * 8. sign, write to the journal, broadcast, wait for the receipt.
 *
 * From the fee cap to the broadcast, requests run one at a time (the relayer's account nonce);
 * waiting for receipts does not.
 */
import { getAddress, Transaction, type JsonRpcProvider, type TypedDataDomain, type Wallet } from 'ethers';
import type { ComplianceGate } from '@zkkyc/contracts/typechain';
import { consentDigest, consentSigner, decodeRevert, type ConsentMessage } from '@zkkyc/sdk';
import { ApiError, invalidField } from '../api-error.js';
import type { RelayerLimits } from '../config.js';
import { JournalConflict, type Journal, type JournalEntry } from '../store/journal.js';
import type { RegistrationRequest } from './registration-request.js';

export interface RelayedRegistration {
  txHash: string;
  blockNumber: number;
  wallet: string;
}

export interface RegistrationServiceOptions {
  /** The gate, connected to the relayer's signer. */
  gate: ComplianceGate;
  /** The relayer's key, connected to `provider`. */
  signer: Wallet;
  provider: JsonRpcProvider;
  journal: Journal;
  limits: RelayerLimits;
  /** The gate's EIP-712 domain (read once at start: it is fixed per deployment). */
  domain: TypedDataDomain;
  chainId: bigint;
  /** Policies served; undefined = all. */
  policyIds?: bigint[];
  receiptTimeoutMs: number;
  /** Unix milliseconds (default: the system clock); the daily windows are measured with it. */
  now?: () => number;
  log?: (line: string) => void;
}

const DAY_MS = 86_400_000;
type Four = [bigint, bigint, bigint, bigint];
type Six = [bigint, bigint, bigint, bigint, bigint, bigint];
const WALLET_MASK = (1n << 160n) - 1n;

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

/** One at a time: each holder runs after the previous one settled. */
class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const shortReason = (err: unknown) => ((err as { shortMessage?: string }).shortMessage ?? (err as Error).message ?? String(err)).slice(0, 300);

export class RegistrationService {
  private readonly lock = new SerialLock();
  /** Receipts being awaited, by transaction hash, so repeats and the restart follow-up share one wait. */
  private readonly waits = new Map<string, Promise<JournalEntry>>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(private readonly o: RegistrationServiceOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => undefined);
  }

  get address(): string {
    return this.o.signer.address;
  }

  async register(req: RegistrationRequest): Promise<RelayedRegistration> {
    const { gate, limits } = this.o;
    if (this.o.policyIds && !this.o.policyIds.includes(req.policyId)) {
      throw invalidField('policyId', 'served', `this relayer registers for policies ${this.o.policyIds.join(', ')} only`);
    }
    const escrow = req.proof.pubSignals.length === 6;
    const nullifier = req.proof.pubSignals[0];
    const context = req.proof.pubSignals[escrow ? 5 : 3];
    const wallet = getAddress('0x' + (context & WALLET_MASK).toString(16).padStart(40, '0'));

    const [block, nonce] = await this.chainRead(() => Promise.all([this.o.provider.getBlock('latest'), gate.nonces(wallet)]));
    // The block that includes it is at least as late as both (an idle dev chain's last block can be old).
    const blockTime = BigInt(Math.max(block!.timestamp, Math.floor(this.now() / 1000)));
    const message = (n: bigint): ConsentMessage => ({ policyId: req.policyId, nullifier, context, nonce: n, deadline: req.consent.deadline });
    const digest = consentDigest(this.o.domain, message(nonce));

    // The same consent again (the client retried, or lost the answer): its transaction, not a new one.
    const previous = nonce > 0n ? consentDigest(this.o.domain, message(nonce - 1n)) : undefined;
    const known = this.o.journal.findByDigest(digest) ?? (previous ? this.o.journal.findByDigest(previous) : undefined);
    if (known && this.signedBy(message(known.consentNonce), req.consent.signature) === wallet) return this.outcome(await this.settled(known));

    if (req.consent.deadline < blockTime + BigInt(limits.minDeadlineSeconds)) {
      throw new ApiError(
        400,
        'consent_expired',
        `consent.deadline: ${req.consent.deadline} leaves less than ${limits.minDeadlineSeconds} s after the time now (${blockTime}); sign a new consent`,
        'consent.deadline',
        'deadline',
      );
    }
    const signer = this.signedBy(message(nonce), req.consent.signature);
    if (signer !== wallet) {
      if (nonce > 0n && this.signedBy(message(nonce - 1n), req.consent.signature) === wallet) {
        throw new ApiError(409, 'consent_used', `consent.signature: this consent was already used (the wallet's gate nonce is now ${nonce}); sign a new one`, 'consent.signature', 'nonce');
      }
      // A contract wallet answers for its signatures itself (ERC-1271): the simulation asks it.
      const code = await this.chainRead(() => this.o.provider.getCode(wallet));
      if (code === '0x') {
        throw new ApiError(
          403,
          'consent_invalid',
          `consent.signature: signed by ${signer ?? 'no valid key'}, but the proof registers ${wallet}; only that wallet can consent`,
          'consent.signature',
          'signer',
        );
      }
    }

    const since = this.now() - DAY_MS;
    if (this.o.journal.countSince(since, wallet) >= limits.walletDailyLimit) {
      throw new ApiError(429, 'rate_limited', `wallet ${wallet} has had ${limits.walletDailyLimit} registrations relayed in the last 24 hours`, 'wallet', 'wallet-daily-limit');
    }
    if (this.o.journal.countSince(since) >= limits.dailyLimit) {
      throw new ApiError(429, 'rate_limited', `the relayer has relayed its ${limits.dailyLimit} registrations for the last 24 hours`, undefined, 'daily-limit');
    }

    const entry = await this.lock.run(() => this.send(req, { wallet, nonce, digest, escrow }));
    return this.outcome(await this.settled(entry));
  }

  /**
   * Follows up what the journal says was sent but has no receipt (a restart after a crash):
   * settles what was mined, re-broadcasts what the node no longer knows, drops what can no longer
   * be mined (its account nonce went to another transaction). Resolves once each is decided or
   * being awaited.
   */
  async resumePending(): Promise<void> {
    for (const entry of this.o.journal.pending()) {
      const receipt = await this.o.provider.getTransactionReceipt(entry.txHash);
      if (receipt) {
        this.settle(entry, receipt);
        continue;
      }
      const known = await this.o.provider.getTransaction(entry.txHash);
      if (!known) {
        const accountNonce = await this.o.provider.getTransactionCount(this.address, 'latest');
        if (accountNonce > entry.relayerNonce) {
          this.log(`journal #${entry.id}: ${entry.txHash} can no longer be mined (account nonce ${accountNonce} > ${entry.relayerNonce}); dropped`);
          this.o.journal.settle(entry.id, { status: 'dropped' });
          continue;
        }
        this.log(`journal #${entry.id}: re-broadcasting ${entry.txHash}`);
        await this.o.provider.broadcastTransaction(entry.rawTx).catch((err) => this.log(`journal #${entry.id}: re-broadcast failed: ${shortReason(err)}`));
      }
      void this.settled(entry).catch((err) => this.log(`journal #${entry.id}: ${shortReason(err)}`));
    }
  }

  private signedBy(message: ConsentMessage, signature: string): string | undefined {
    try {
      return getAddress(consentSigner(this.o.domain, message, signature));
    } catch {
      return undefined; // not a well-formed ECDSA signature
    }
  }

  /** Steps 5 (fees) to 8 (broadcast), under the lock; returns the journal entry of the sent transaction. */
  private async send(req: RegistrationRequest, c: { wallet: string; nonce: bigint; digest: string; escrow: boolean }): Promise<JournalEntry> {
    const { gate, journal, limits, provider, signer } = this.o;
    const again = journal.findByDigest(c.digest);
    if (again) return again;
    const live = journal.findLive(c.wallet, c.nonce);
    if (live) {
      throw new ApiError(409, 'consent_pending', `wallet ${c.wallet} already has a registration in flight (${live.txHash}); wait for it`, 'consent.signature', 'one-at-a-time');
    }

    const fees = await this.chainRead(() => provider.getFeeData());
    const maxFeePerGas = fees.maxFeePerGas ?? fees.gasPrice;
    if (maxFeePerGas === null) throw new ApiError(502, 'chain_unavailable', 'the node reports no fee data');
    if (maxFeePerGas > limits.maxFeePerGasWei) {
      throw new ApiError(503, 'gas_price_too_high', `the chain asks ${maxFeePerGas} wei per gas, above this relayer's cap of ${limits.maxFeePerGasWei}; try later`, undefined, 'max-gas-price');
    }
    const priority = fees.maxPriorityFeePerGas ?? 0n;

    const { pA, pB, pC, pubSignals } = req.proof;
    const data = c.escrow
      ? gate.interface.encodeFunctionData('verifyEscrowFor', [req.policyId, pA, pB, pC, pubSignals as Six, req.consent.deadline, req.consent.signature])
      : gate.interface.encodeFunctionData('verifyFor', [req.policyId, pA, pB, pC, pubSignals as Four, req.consent.deadline, req.consent.signature]);
    const call = { to: await gate.getAddress(), from: signer.address, data };
    let estimate: bigint;
    try {
      await provider.call(call);
      estimate = await provider.estimateGas(call);
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

    const relayerNonce = await this.chainRead(() => provider.getTransactionCount(signer.address, 'pending'));
    const rawTx = await signer.signTransaction({
      type: 2,
      chainId: this.o.chainId,
      to: call.to,
      data: call.data,
      nonce: relayerNonce,
      gasLimit,
      maxFeePerGas,
      maxPriorityFeePerGas: priority > maxFeePerGas ? maxFeePerGas : priority,
    });
    const txHash = Transaction.from(rawTx).hash!;
    let entry: JournalEntry;
    try {
      entry = journal.record({ wallet: c.wallet.toLowerCase(), consentNonce: c.nonce, digest: c.digest, policyId: req.policyId, txHash, rawTx, relayerNonce, maxCostWei, createdAt: this.now() });
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
        throw new ApiError(502, 'broadcast_failed', `the node refused the relayer's transaction: ${shortReason(err)}`);
      }
    }
    this.log(`sent ${txHash} registering ${c.wallet} (relayer nonce ${relayerNonce}, gas limit ${gasLimit})`);
    return entry;
  }

  /** The entry once its transaction is mined (waiting for it, once per hash), as the journal then records it. */
  private settled(entry: JournalEntry): Promise<JournalEntry> {
    if (entry.status !== 'sent') return Promise.resolve(entry);
    let wait = this.waits.get(entry.txHash);
    if (!wait) {
      wait = this.o.provider
        .waitForTransaction(entry.txHash, 1, this.o.receiptTimeoutMs)
        .then((receipt) => {
          if (!receipt) throw new Error('no receipt');
          return this.settle(entry, receipt);
        })
        .catch((err) => {
          throw new ApiError(504, 'receipt_timeout', `${entry.txHash} was sent but not seen mined yet (${shortReason(err)}); repeat the request to follow it`);
        })
        .finally(() => this.waits.delete(entry.txHash));
      this.waits.set(entry.txHash, wait);
    }
    return wait;
  }

  private settle(entry: JournalEntry, receipt: { status: number | null; blockNumber: number; gasUsed: bigint; gasPrice: bigint }): JournalEntry {
    const outcome = { status: receipt.status === 1 ? ('mined' as const) : ('reverted' as const), blockNumber: receipt.blockNumber, costWei: receipt.gasUsed * receipt.gasPrice };
    this.o.journal.settle(entry.id, outcome);
    return { ...entry, ...outcome };
  }

  private outcome(entry: JournalEntry): RelayedRegistration {
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
    return new ApiError(502, 'chain_unavailable', `the chain could not be asked: ${shortReason(err)}`);
  }

  private async chainRead<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw new ApiError(502, 'chain_unavailable', `the chain could not be asked: ${shortReason(err)}`);
    }
  }
}
