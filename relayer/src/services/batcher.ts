/**
 * Sends queued registrations together in one `verifyBatch` transaction (issue 15): as soon as
 * `maxSize` are queued, or when the oldest has waited `maxWaitMs`, whichever comes first.
 *
 * Every request passed the per-request checks before it was queued (off-chain proof, consent,
 * limits, a simulation of its own entry). Before a batch goes out it is simulated as a whole, with
 * the fees and gas limit it will be sent with; the chain may have moved since a request was checked:
 *
 * - a consent whose deadline comes within `replaceAfterSeconds` + DEADLINE_MARGIN_SECONDS is taken out
 *   as `expired`: a batch not mined by then has its fee raised, and one entry expiring on the way
 *   would revert every other (requests that close to their deadline at intake are sent alone);
 * - a request that was in a batch before (it reverted, or was dropped at a restart) is first looked
 *   up on chain: if its consent was used and the wallet is verified for the investor it names, it
 *   is `registered` (someone sent a copy); used otherwise, it is refused as `consent_used`, charged
 *   against its wallet's and investor's daily limits (its own wallet spent or cancelled the consent);
 * - an entry the gate answers `BatchEntryRefused(i, reason)` is taken out as `refused`, with its own
 *   custom error, and the rest is simulated again;
 * - `InvalidBatchProof` cannot happen after the off-chain checks; if it does, each entry is simulated
 *   alone and those whose proof fails there are refused (logged: it means the relayer's proof check
 *   and the gate disagree).
 *
 * The batch transaction is written to the journal with its requests marked `submitted`, in one
 * write, before it is broadcast; from there the service's transaction follow-up (receipt, fee
 * replacement, restart) settles it and its requests with it. A batch that reverted is blamed
 * (`blame`): only the requests that caused the revert are charged for it.
 */
import { Transaction, type JsonRpcProvider, type Wallet } from 'ethers';
import { revertData } from '@zkkyc/sdk';
import type { BatchSettings, RelayerLimits } from '../config.js';
import type { Journal, JournalEntry, RegistrationRequestEntry, RequestRefusal, RequestVerdict } from '../store/journal.js';
import { decodeBatchRefusal, encodeVerifyBatch, type BatchRefusal } from './batch-gate.js';
import type { SerialLock } from './serial-lock.js';

/** A batch must be mined before its entries' deadlines: on top of `replaceAfterSeconds`, a consent with less than this left is not batched (seconds). */
export const DEADLINE_MARGIN_SECONDS = 10;

/** Seconds a consent must have left to go in a batch: the wait before a stuck batch's fee is raised, and a margin. */
export const batchDeadlineMargin = (limits: Pick<RelayerLimits, 'replaceAfterSeconds'>): number => limits.replaceAfterSeconds + DEADLINE_MARGIN_SECONDS;

/** The consent's nonce was used on chain by a transaction other than the relayer's (its wallet's own, or a copy registering another investor), or cancelled. */
const CONSENT_USED: RequestRefusal = {
  httpStatus: 409,
  code: 'consent_used',
  message: "consent.signature: the wallet's gate nonce moved past this consent (used or cancelled by the wallet); sign a new one",
  field: 'consent.signature',
  rule: 'nonce',
};
/** A gate refusal the requester's wallet causes after its request was accepted (a spent or withdrawn consent): charged to it. */
const REQUESTER_CAUSED = new Set(['InvalidConsentSignature']);
/** A batch held back (fee above the cap, budget spent, node down) is tried again after at least this long, not in a loop. */
const HELD_RETRY_MS = 2_000;
const DAY_MS = 86_400_000;

/** What the batcher needs from the registration service (which owns the account nonce and the follow-up of sent transactions). */
export interface BatchHost {
  readonly lock: SerialLock;
  /** Follows a sent journal row until it is mined (replacing it at a higher fee if it is not), and settles it. */
  follow(entry: JournalEntry): Promise<JournalEntry>;
  /** The later of the last block's time and the clock, in seconds. */
  chainTimeNow(): Promise<bigint>;
  /** Whether this request's consent was used on chain, and if so whether it registered the wallet for the investor the request names. */
  consentOnChain(request: RegistrationRequestEntry): Promise<{ state: 'unused' | 'used-elsewhere' } | { state: 'registered'; until: bigint }>;
  /** A gate refusal of one entry as the API answers it (code, field, rule). */
  entryRefusal(name: string, message: string): RequestRefusal;
}

export interface BatcherOptions {
  host: BatchHost;
  journal: Journal;
  provider: JsonRpcProvider;
  signer: Wallet;
  gateAddress: string;
  chainId: bigint;
  limits: RelayerLimits;
  settings: BatchSettings;
  now: () => number;
  log: (line: string) => void;
}

const shortReason = (err: unknown) => ((err as { shortMessage?: string }).shortMessage ?? (err as Error).message ?? String(err)).slice(0, 300);

export class Batcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: BatcherOptions) {}

  /** Sends a batch now if one is full, else arms the timer for the oldest queued request; never sooner than `notBeforeMs`. */
  schedule(notBeforeMs = 0): void {
    if (this.stopped || this.running) return;
    const queued = this.o.journal.queued(this.o.settings.maxSize);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (queued.length === 0) return;
    const wait = queued.length >= this.o.settings.maxSize ? 0 : Math.max(0, queued[0].createdAt + this.o.settings.maxWaitMs - this.o.now());
    this.timer = setTimeout(() => void this.flush(), Math.max(wait, notBeforeMs));
  }

  /** Sends one batch of what is queued now (tests and shutdown call it directly); resolves once it is broadcast or nothing could be sent. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) {
      let progress = false;
      this.running = this.o.host.lock
        .run(async () => {
          progress = await this.sendBatch();
        })
        .catch((err) => this.o.log(`batch not sent: ${shortReason(err)}`))
        .finally(() => {
          this.running = undefined;
          this.schedule(progress ? 0 : HELD_RETRY_MS);
        });
    }
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refuse(request: RegistrationRequestEntry, refusal: RequestRefusal, charged = false): void {
    this.o.journal.closeRequest(request.id, { status: 'refused', refusal, charged });
    this.o.log(`request ${request.id} (${request.wallet}) refused: ${refusal.rule ?? refusal.code}${charged ? ' (charged to its wallet and investor)' : ''}`);
  }

  /** A one-entry refusal as the request's refusal, and whether the requester caused it. */
  private refusalOf(refusal: BatchRefusal): { refusal: RequestRefusal; charged: boolean } {
    if (refusal.kind === 'proof')
      return { refusal: { httpStatus: 422, code: 'invalid_proof', message: 'proof: the gate does not accept this proof', field: 'proof', rule: 'invalid-proof' }, charged: false };
    return { refusal: this.o.host.entryRefusal(refusal.name, refusal.message), charged: REQUESTER_CAUSED.has(refusal.name) };
  }

  private expiredRefusal(deadline: bigint, margin: number): RequestRefusal {
    return {
      httpStatus: 400,
      code: 'consent_expired',
      message: `consent.deadline: ${deadline} came (or is within ${margin} s) before its batch could be sent and mined; sign a new consent`,
      field: 'consent.deadline',
      rule: 'deadline',
    };
  }

  /**
   * After a batch reverted: which of its requests caused it. Each is looked up on chain — its consent
   * spent (registered by a copy; used or cancelled by its wallet: refused and charged), its deadline
   * passed — and otherwise simulated alone at the latest block (a refusal there: refused). One that
   * passes did not cause it and goes back to the queue with no revert charged. When no request
   * explains the revert the answer is empty, and the journal charges the revert to every request
   * (so a batch that keeps reverting for a reason not found still ends). Throws when the node fails.
   */
  async blame(requests: RegistrationRequestEntry[]): Promise<Map<string, RequestVerdict>> {
    const verdicts = new Map<string, RequestVerdict>();
    const chainNow = await this.o.host.chainTimeNow();
    let explained = false;
    for (const r of requests) {
      const onChain = await this.o.host.consentOnChain(r);
      let verdict: RequestVerdict;
      if (onChain.state === 'registered') verdict = { status: 'registered', elsewhere: true, until: onChain.until };
      else if (onChain.state === 'used-elsewhere') verdict = { status: 'refused', refusal: CONSENT_USED, charged: true };
      else if (r.deadline <= chainNow) verdict = { status: 'expired', refusal: this.expiredRefusal(r.deadline, 0) };
      else {
        const alone = (await this.simulate([r], {})).refusal;
        verdict = alone ? { status: 'refused', ...this.refusalOf(alone) } : { status: 'queued' };
      }
      if (verdict.status !== 'queued') {
        explained = true;
        this.o.log(`request ${r.id} (${r.wallet}) caused its batch's revert: ${verdict.status === 'registered' ? 'registered by a copy' : (verdict.refusal.rule ?? verdict.refusal.code)}`);
      }
      verdicts.set(r.id, verdict);
    }
    return explained ? verdicts : new Map();
  }

  /** Takes out what can no longer go in a batch: expired consents, and consents already used on chain. */
  private async weed(batch: RegistrationRequestEntry[]): Promise<RegistrationRequestEntry[]> {
    const chainNow = await this.o.host.chainTimeNow();
    const margin = batchDeadlineMargin(this.o.limits);
    const kept: RegistrationRequestEntry[] = [];
    for (const r of batch) {
      if (r.deadline < chainNow + BigInt(margin)) {
        this.o.journal.closeRequest(r.id, { status: 'expired', refusal: this.expiredRefusal(r.deadline, margin) });
        this.o.log(`request ${r.id} (${r.wallet}) expired while queued`);
        continue;
      }
      if (r.batchId !== undefined) {
        const onChain = await this.o.host.consentOnChain(r);
        if (onChain.state === 'registered') {
          this.o.journal.closeRequest(r.id, { status: 'registered', elsewhere: true, until: onChain.until });
          this.o.log(`request ${r.id} (${r.wallet}): its consent registered the wallet in another transaction`);
          continue;
        }
        if (onChain.state === 'used-elsewhere') {
          this.refuse(r, CONSENT_USED, true);
          continue;
        }
      }
      kept.push(r);
    }
    return kept;
  }

  /** Simulates `batch` with these fees and gas limit; the refusal if the gate would refuse it, undefined if it passes. Throws when the node fails. */
  private async simulate(batch: RegistrationRequestEntry[], fees: object, gasLimit?: bigint): Promise<{ refusal?: BatchRefusal; estimate?: bigint }> {
    const call = { to: this.o.gateAddress, from: this.o.signer.address, data: encodeVerifyBatch(batch.map((r) => r.entry)), ...fees };
    const cap = this.o.limits.maxGasPerRegistration * BigInt(batch.length);
    try {
      if (gasLimit === undefined) return { estimate: await this.o.provider.estimateGas({ ...call, gasLimit: cap }) };
      await this.o.provider.call({ ...call, gasLimit });
      return {};
    } catch (err) {
      const refusal = decodeBatchRefusal(revertData(err));
      if (refusal) return { refusal };
      if ((err as { code?: string }).code === 'CALL_EXCEPTION') return { refusal: { kind: 'other', name: 'reverted', message: shortReason(err) } };
      throw err;
    }
  }

  /** Handles one refusal of the whole batch; returns the batch left to try. */
  private async takeOut(batch: RegistrationRequestEntry[], refusal: BatchRefusal, fees: object): Promise<RegistrationRequestEntry[]> {
    if (refusal.kind === 'entry' && refusal.index < batch.length) {
      this.refuse(batch[refusal.index], this.o.host.entryRefusal(refusal.name, refusal.message), REQUESTER_CAUSED.has(refusal.name));
      return batch.filter((_, i) => i !== refusal.index);
    }
    // Not one entry named: InvalidBatchProof (the off-chain check and the gate disagree), or a refusal
    // of the batch as such. Each entry alone finds the culprit.
    this.o.log(`batch of ${batch.length} refused as a whole (${refusal.message}); simulating each entry alone`);
    const kept: RegistrationRequestEntry[] = [];
    for (const r of batch) {
      const alone = (await this.simulate([r], fees)).refusal;
      if (!alone) kept.push(r);
      else {
        const { refusal: why, charged } = this.refusalOf(alone);
        this.refuse(r, why, charged);
      }
    }
    // Every entry passes alone but not together (a batch too large for the gate): send half.
    return kept.length === batch.length ? kept.slice(0, Math.max(1, Math.floor(kept.length / 2))) : kept;
  }

  /** Sends one batch; whether anything moved (a batch sent, or requests taken out of the queue). */
  private async sendBatch(): Promise<boolean> {
    const { journal, provider, signer, limits } = this.o;
    const queued = journal.queued(this.o.settings.maxSize);
    let batch = await this.weed(queued);
    if (batch.length === 0) return true;
    const moved = () => batch.length < queued.length;

    const feeData = await provider.getFeeData();
    const maxFeePerGas = feeData.maxFeePerGas ?? feeData.gasPrice;
    if (maxFeePerGas === null || maxFeePerGas > limits.maxFeePerGasWei) {
      // They stay queued: the timer tries again after the wait.
      this.o.log(`batch of ${batch.length} held: the chain asks ${maxFeePerGas ?? 'no fee data'} wei per gas, above the cap of ${limits.maxFeePerGasWei}`);
      return moved();
    }
    const priority = feeData.maxPriorityFeePerGas ?? 0n;
    const fees = { type: 2, maxFeePerGas, maxPriorityFeePerGas: priority > maxFeePerGas ? maxFeePerGas : priority };

    let gasLimit: bigint | undefined;
    // Each round either sends or takes at least one entry out.
    for (let round = 0; batch.length > 0 && gasLimit === undefined; round++) {
      const { refusal, estimate } = await this.simulate(batch, fees);
      if (refusal) {
        batch = await this.takeOut(batch, refusal, fees);
        continue;
      }
      const cap = limits.maxGasPerRegistration * BigInt(batch.length);
      const limit = [estimate! + estimate! / 5n, cap].reduce((a, b) => (a < b ? a : b));
      // The dry run the transaction will be: same fees, same gas limit.
      const dry = await this.simulate(batch, fees, limit);
      if (dry.refusal) {
        batch = await this.takeOut(batch, dry.refusal, fees);
        continue;
      }
      gasLimit = limit;
    }
    if (batch.length === 0 || gasLimit === undefined) return true;

    const maxCostWei = gasLimit * maxFeePerGas;
    if (journal.spentSince(this.o.now() - DAY_MS) + maxCostWei > limits.dailyBudgetWei) {
      this.o.log(`batch of ${batch.length} held: the daily budget (${limits.dailyBudgetWei} wei) would be passed`);
      return moved();
    }
    const relayerNonce = await provider.getTransactionCount(signer.address, 'pending');
    const data = encodeVerifyBatch(batch.map((r) => r.entry));
    const rawTx = await signer.signTransaction({ chainId: this.o.chainId, to: this.o.gateAddress, data, nonce: relayerNonce, gasLimit, ...fees });
    const txHash = Transaction.from(rawTx).hash!;
    const earliest = batch.reduce((a, r) => (r.deadline < a ? r.deadline : a), batch[0].deadline);
    const entry = journal.recordBatch(
      { txHash, rawTx, relayerNonce, maxCostWei, createdAt: this.o.now(), deadline: earliest },
      batch.map((r) => r.id),
    );
    try {
      await provider.broadcastTransaction(rawTx);
    } catch (err) {
      const known = await provider.getTransaction(txHash).catch(() => null);
      if (!known) {
        // Not sent: its requests go back to the queue.
        journal.settleBatch(entry.id, { status: 'dropped' });
        this.o.log(`batch #${entry.id}: broadcast of ${txHash} refused: ${shortReason(err)}`);
        return moved();
      }
    }
    this.o.log(`sent batch #${entry.id} ${txHash}: ${batch.length} registrations (relayer nonce ${relayerNonce}, gas limit ${gasLimit})`);
    void this.o.host.follow(entry).catch((err) => this.o.log(`batch #${entry.id}: ${shortReason(err)}`));
    return true;
  }
}
