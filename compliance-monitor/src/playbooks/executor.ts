/**
 * Carries out planned actions (./plan.ts) on chain, each key at most once.
 *
 * - `freeze-partial`: `PermissionedToken.freezePartialTokens`, spread over the action's wallets in
 *   order, never more than a wallet's unfrozen balance (balance − frozen): what cannot be frozen is
 *   reported (`clamped`), not forced.
 * - `freeze-wallet`: `setAddressFrozen(wallet, true)`; a wallet already frozen needs no transaction.
 * - `revoke-registration`: the gate's `revokeWallet(policyId, wallet, reason)`; a wallet with no
 *   registration left needs none.
 * - `hold-transfers`: {@link TransferHoldControl.flag}, implemented by the token's held-transfer
 *   rule (an `extendsHold` action, for a wallet a held investor registered later, only while
 *   {@link TransferHoldControl.isHeld} says the hold is still on); until one is configured, {@link UnconfiguredHoldControl} records the wallet and answers
 *   "not configured".
 * - `open-case`: {@link CaseOpener.open} (the store's cases); "not configured" without one.
 *
 * Crash safety: a replay finds the key `done` and skips it; otherwise every action checks the chain
 * before sending anything.
 * - `freeze-partial` writes its *target* into the {@link ActionLog} before each transaction: the
 *   wallet's frozen amount after it (frozen before + amount), and the signer's nonce. A replay reads
 *   the wallet's frozen amount: at or above the target, that part is done (whether or not the hash
 *   was recorded); below it, only the difference is sent, on the recorded nonce while that nonce is
 *   unused (so it replaces, never adds to, a transaction still waiting in the node). A crash or a
 *   store error between sending and recording the hash therefore never freezes twice.
 * - `freeze-wallet`, `revoke-registration` and `hold-transfers` are idempotent on chain: they read
 *   the state first (frozen, registered, flagged) and send only what is missing; a transaction
 *   recorded as sent and still in the node's pool is waited for, not repeated.
 * - A sent transaction the node no longer knows stops the action (`failed`, with a note to check by
 *   hand).
 *
 * Timeouts: a transaction not mined within `confirmationTimeoutMs` (default 120 s) leaves the action
 * `pending-confirmation` (its hash and target are in the log); the caller keeps it queued and the
 * next run re-checks it by them, so a stuck transaction never blocks the indexer.
 *
 * The signer needs the token's AGENT_ROLE and, to revoke, the gate's AGENT_ROLE or the policy-agent
 * right for `policyId`.
 */
import { AgentSendLock } from './agent-send-lock.js';
import { Contract, type ContractRunner, type Provider } from 'ethers';
import { decodeRevert } from '@zkkyc/sdk';
import type { ActionKind } from '../model.js';
import type { PlannedAction } from './plan.js';

/** Puts a wallet's transfers on hold for review (the held-transfer rule of issue 11, item 3). */
export interface TransferHoldControl {
  /** `pending`: the flag's transaction was sent but not mined in time (asking again is harmless). */
  flag(wallet: string): Promise<{ configured: boolean; txHash?: string; note?: string; pending?: boolean }>;
  /** Whether the investor behind `wallet` is still held (another of its wallets is flagged); unknown when absent. */
  isHeld?(wallet: string): Promise<boolean>;
}

/** The hold control until a held-transfer rule is configured: records the wallets, does nothing on chain. */
export class UnconfiguredHoldControl implements TransferHoldControl {
  readonly requested: string[] = [];

  async flag(wallet: string): Promise<{ configured: boolean; note: string }> {
    this.requested.push(wallet);
    return { configured: false, note: 'not configured: no held-transfer rule is attached to this monitor' };
  }
}

/** Opens (or joins) a compliance case for an action; returns the case id. */
export interface CaseOpener {
  open(action: PlannedAction): Promise<string>;
}

/** `pending-confirmation`: a transaction was sent and not mined within the timeout; re-checked by the next run. */
export type ActionStatus = 'done' | 'not-configured' | 'failed' | 'pending-confirmation';

/** A partial freeze's intended result on one wallet, written before its transaction is sent. */
export interface FreezeTarget {
  wallet: string;
  /** The wallet's frozen amount before, and what it must be after (before + amount), base units. */
  before: string;
  target: string;
  /** The signer's nonce the transaction was to use (when the signer tells it). */
  nonce?: number;
  /** Its hash, once sent and recorded. */
  hash?: string;
}

/** Thrown when a transaction is not mined within the timeout. */
export class PendingConfirmationError extends Error {
  constructor(
    readonly hash: string,
    timeoutMs: number,
  ) {
    super(`transaction ${hash} not confirmed within ${timeoutMs / 1000} s: still pending, re-checked on the next run`);
    this.name = 'PendingConfirmationError';
  }
}

/** The default of {@link ExecutorOptions.confirmationTimeoutMs}. */
export const DEFAULT_CONFIRMATION_TIMEOUT_MS = 120_000;

/** What the log remembers per action key. */
export interface ActionRecord {
  key: string;
  kind: ActionKind;
  /** `sent`: transactions went out, the outcome is not recorded yet. */
  status: ActionStatus | 'sent';
  /** Every transaction sent for the action, with what it did. */
  txs: Array<{ hash: string; wallet: string; amount?: string }>;
  /** freeze-partial: the target of every transaction, written before it is sent. */
  targets?: FreezeTarget[];
  note?: string;
  caseId?: string;
}

/** Where the executor writes down what it did, keyed by action key (the store's table later). */
export interface ActionLog {
  get(key: string): Promise<ActionRecord | undefined>;
  put(record: ActionRecord): Promise<void>;
}

export class MemoryActionLog implements ActionLog {
  readonly records = new Map<string, ActionRecord>();

  async get(key: string): Promise<ActionRecord | undefined> {
    const r = this.records.get(key);
    return r && structuredClone(r);
  }

  async put(record: ActionRecord): Promise<void> {
    this.records.set(record.key, structuredClone(record));
  }
}

export interface ActionResult {
  key: string;
  kind: ActionKind;
  status: ActionStatus;
  /** True when the log already had the key as done: nothing was sent this time. */
  skipped: boolean;
  txHashes: string[];
  note?: string;
  /** freeze-partial: what was asked and what could be frozen. */
  frozen?: { asked: string; frozen: string; clamped: boolean };
  caseId?: string;
}

export interface ExecutorOptions {
  /** PermissionedToken address. */
  token: string;
  /** ComplianceGate address and the token's policy id. */
  gate: string;
  /** Or a function: the policy as the pipeline knows it now (the token's policy can change, `PolicyIdChanged`). */
  policyId: bigint | (() => bigint);
  /** The agent's signer (a ContractRunner with a provider). */
  runner: ContractRunner;
  hold?: TransferHoldControl;
  cases?: CaseOpener;
  log?: ActionLog;
  /** How long to wait for a transaction to be mined before leaving the action pending (default 120 000). */
  confirmationTimeoutMs?: number;
  /** The queue every sender with the same agent key shares (agent-send-lock.ts); default: the executor's own. */
  sendLock?: AgentSendLock;
}

const TOKEN_ABI = [
  'function balanceOf(address) view returns (uint256)',
  'function getFrozenTokens(address) view returns (uint256)',
  'function isFrozen(address) view returns (bool)',
  'function freezePartialTokens(address account, uint256 amount)',
  'function setAddressFrozen(address account, bool frozen)',
];
const GATE_ABI = ['function verifiedUntil(uint256 policyId, address wallet) view returns (uint64)', 'function revokeWallet(uint256 policyId, address wallet, string reason)'];

export class ActionExecutor {
  readonly hold: TransferHoldControl;
  readonly log: ActionLog;
  private readonly token: Contract;
  private readonly gate: Contract;
  private readonly provider: Provider;
  private readonly timeoutMs: number;
  private readonly lock: AgentSendLock;

  constructor(private readonly options: ExecutorOptions) {
    if (!options.runner.provider) throw new Error('ActionExecutor: options.runner must have a provider');
    this.provider = options.runner.provider;
    this.token = new Contract(options.token, TOKEN_ABI, options.runner);
    this.gate = new Contract(options.gate, GATE_ABI, options.runner);
    this.hold = options.hold ?? new UnconfiguredHoldControl();
    this.log = options.log ?? new MemoryActionLog();
    this.timeoutMs = options.confirmationTimeoutMs ?? DEFAULT_CONFIRMATION_TIMEOUT_MS;
    this.lock = options.sendLock ?? new AgentSendLock();
  }

  /** Executes the actions in order, one at a time; a failure is reported and the next action runs. */
  async execute(actions: readonly PlannedAction[]): Promise<ActionResult[]> {
    const results: ActionResult[] = [];
    for (const action of actions) results.push(await this.one(action));
    return results;
  }

  private async one(action: PlannedAction): Promise<ActionResult> {
    const previous = await this.log.get(action.key);
    if (previous && (previous.status === 'done' || previous.status === 'not-configured')) {
      return {
        key: action.key,
        kind: action.kind,
        status: previous.status,
        skipped: true,
        txHashes: previous.txs.map((t) => t.hash),
        ...(previous.note ? { note: previous.note } : {}),
        ...(previous.caseId ? { caseId: previous.caseId } : {}),
      };
    }
    const record: ActionRecord = {
      key: action.key,
      kind: action.kind,
      status: 'sent',
      txs: previous?.txs ?? [],
      ...(previous?.targets ? { targets: previous.targets } : {}),
    };
    let result: Omit<ActionResult, 'key' | 'kind' | 'skipped' | 'txHashes'>;
    try {
      result = await this.perform(action, record);
    } catch (error) {
      if (error instanceof PendingConfirmationError) {
        result = { status: 'pending-confirmation', note: error.message };
      } else {
        const decoded = decodeRevert(error);
        result = { status: 'failed', note: decoded ? `reverted: ${decoded.message}` : String((error as Error)?.message ?? error) };
      }
    }
    record.status = result.status;
    if (result.note) record.note = result.note;
    if (result.caseId) record.caseId = result.caseId;
    await this.log.put(record);
    return { key: action.key, kind: action.kind, skipped: false, txHashes: record.txs.map((t) => t.hash), ...result };
  }

  private async perform(action: PlannedAction, record: ActionRecord): Promise<Omit<ActionResult, 'key' | 'kind' | 'skipped' | 'txHashes'>> {
    switch (action.kind) {
      case 'open-case': {
        if (!this.options.cases) return { status: 'not-configured', note: 'not configured: no case store attached' };
        const caseId = await this.options.cases.open(action);
        return { status: 'done', caseId };
      }
      case 'hold-transfers': {
        const notes: string[] = [];
        let configured = true;
        let pending = false;
        for (const wallet of action.wallets) {
          if (action.extendsHold && this.hold.isHeld && !(await this.hold.isHeld(wallet))) {
            notes.push('the investor’s hold was released: not extended to this wallet');
            continue;
          }
          const answer = await this.hold.flag(wallet);
          configured &&= answer.configured;
          pending ||= answer.pending === true;
          if (answer.txHash) await this.sent(record, { hash: answer.txHash, wallet });
          if (answer.note) notes.push(answer.note);
        }
        if (pending) return { status: 'pending-confirmation', note: [...new Set(notes)].join('; ') };
        return { status: configured ? 'done' : 'not-configured', ...(notes.length ? { note: [...new Set(notes)].join('; ') } : {}) };
      }
      case 'freeze-wallet': {
        const notes: string[] = [];
        for (const wallet of action.wallets) {
          if (await this.confirmedFor(record, wallet)) continue;
          if (await this.token.isFrozen(wallet)) {
            notes.push(`${wallet} already frozen`);
            continue;
          }
          await this.send(record, wallet, undefined, () => this.token.setAddressFrozen(wallet, true));
        }
        return { status: 'done', ...(notes.length ? { note: notes.join('; ') } : {}) };
      }
      case 'revoke-registration': {
        const notes: string[] = [];
        for (const wallet of action.wallets) {
          if (await this.confirmedFor(record, wallet)) continue;
          const policyId = typeof this.options.policyId === 'function' ? this.options.policyId() : this.options.policyId;
          if ((await this.gate.verifiedUntil(policyId, wallet)) === 0n) {
            notes.push(`${wallet} has no registration under policy ${policyId}`);
            continue;
          }
          await this.send(record, wallet, undefined, () => this.gate.revokeWallet(policyId, wallet, action.reason ?? 'compliance monitor'));
        }
        return { status: 'done', ...(notes.length ? { note: notes.join('; ') } : {}) };
      }
      case 'freeze-partial':
        return this.freezePartial(action, record);
    }
  }

  private async freezePartial(action: PlannedAction, record: ActionRecord): Promise<Omit<ActionResult, 'key' | 'kind' | 'skipped' | 'txHashes'>> {
    const asked = BigInt(action.amount ?? '0');
    const targets = (record.targets ??= []);
    const detail: string[] = [];
    // What earlier runs set out to freeze counts first: reached targets are done, the others topped up.
    let frozen = 0n;
    for (const t of targets) {
      const target = BigInt(t.target);
      const share = target - BigInt(t.before);
      const now: bigint = await this.token.getFrozenTokens(t.wallet);
      if (now >= target) {
        frozen += share;
        continue;
      }
      if (t.hash) {
        const receipt = await this.provider.getTransactionReceipt(t.hash);
        if (!receipt && (await this.provider.getTransaction(t.hash))) throw new PendingConfirmationError(t.hash, this.timeoutMs);
        if (receipt?.status === 1) {
          // It was mined and froze its amount; someone has unfrozen since. Not ours to redo.
          frozen += share;
          continue;
        }
      }
      const balance: bigint = await this.token.balanceOf(t.wallet);
      const unfrozen = balance > now ? balance - now : 0n;
      const missing = target - now;
      const take = missing < unfrozen ? missing : unfrozen;
      detail.push(`${t.wallet}: ${missing} short of its target, unfrozen ${unfrozen}, freezing ${take}`);
      if (take > 0n) {
        // On the recorded nonce while it is unused: replaces a transaction still waiting, never adds to it.
        await this.sendFreeze(record, t, take, async () => (t.nonce !== undefined && (await this.confirmedNonce()) <= t.nonce ? t.nonce : this.nextNonce()));
      }
      frozen += share - (missing - take);
    }
    const started = new Set(targets.map((t) => t.wallet));
    for (const wallet of action.wallets) {
      const remaining = asked - frozen;
      if (remaining <= 0n) break;
      if (started.has(wallet)) continue;
      const balance: bigint = await this.token.balanceOf(wallet);
      const already: bigint = await this.token.getFrozenTokens(wallet);
      const unfrozen = balance > already ? balance - already : 0n;
      const take = remaining < unfrozen ? remaining : unfrozen;
      detail.push(`${wallet}: unfrozen ${unfrozen}, freezing ${take}`);
      if (take === 0n) continue;
      const t: FreezeTarget = { wallet, before: already.toString(), target: (already + take).toString() };
      await this.sendFreeze(record, t, take, async () => {
        const nonce = await this.nextNonce();
        if (nonce !== undefined) t.nonce = nonce;
        targets.push(t);
        record.status = 'sent';
        await this.log.put(record); // the target is written before anything is sent
        return nonce;
      });
      frozen += take;
    }
    const clamped = frozen < asked;
    return {
      status: 'done',
      frozen: { asked: asked.toString(), frozen: frozen.toString(), clamped },
      ...(clamped ? { note: `clamped: asked to freeze ${asked}, only ${frozen} was unfrozen (${detail.join('; ')})` } : {}),
    };
  }

  /**
   * Sends `freezePartialTokens(t.wallet, amount)` on the nonce `pickNonce` returns (the signer's own
   * when undefined), records its hash on the target, waits for it. Picking the nonce and the
   * broadcast run in the agent's send queue, so no other sender of the key takes that nonce between.
   */
  private async sendFreeze(record: ActionRecord, t: FreezeTarget, amount: bigint, pickNonce: () => Promise<number | undefined>): Promise<void> {
    const tx = await this.lock.run(async () => {
      const nonce = await pickNonce();
      return this.token.freezePartialTokens(t.wallet, amount, ...(nonce !== undefined ? [{ nonce }] : []));
    });
    t.hash = tx.hash;
    await this.sent(record, { hash: tx.hash, wallet: t.wallet, amount: amount.toString() });
    await this.confirm(tx);
  }

  /** The signer's next nonce counting its pending transactions, when the runner can tell. */
  private async nextNonce(): Promise<number | undefined> {
    const runner = this.options.runner as ContractRunner & { getNonce?: (blockTag?: string) => Promise<number> };
    return runner.getNonce ? runner.getNonce('pending') : undefined;
  }

  /** The signer's nonce counting mined transactions only (a recorded nonce below it is used up). */
  private async confirmedNonce(): Promise<number> {
    const runner = this.options.runner as ContractRunner & { getNonce?: (blockTag?: string) => Promise<number> };
    return runner.getNonce ? runner.getNonce('latest') : Number.MAX_SAFE_INTEGER;
  }

  /** Waits for a sent transaction, at most the timeout; a timeout throws {@link PendingConfirmationError}. */
  private async confirm(tx: { hash: string; wait(confirms?: number, timeout?: number): Promise<unknown> }): Promise<void> {
    await waitWithTimeout(tx, this.timeoutMs);
  }

  /** Whether an earlier run already sent a transaction for `wallet` that the chain executed. */
  private async confirmedFor(record: ActionRecord, wallet: string): Promise<boolean> {
    for (const tx of record.txs) if (tx.wallet === wallet && (await this.outcome(tx.hash))) return true;
    return false;
  }

  /**
   * An earlier run's transaction: true when mined successfully, false when it reverted (it changed
   * nothing, the action may try again); throws when the node does not know it (it may still land).
   */
  private async outcome(hash: string): Promise<boolean> {
    const receipt = await this.provider.getTransactionReceipt(hash);
    if (!receipt && (await this.provider.getTransaction(hash))) throw new PendingConfirmationError(hash, this.timeoutMs);
    if (!receipt) throw new Error(`transaction ${hash} sent by an earlier run is unknown to the node: check it by hand before retrying`);
    return receipt.status === 1;
  }

  /** Sends, logs the hash before waiting, waits for the receipt. */
  private async send(
    record: ActionRecord,
    wallet: string,
    amount: bigint | undefined,
    submit: () => Promise<{ hash: string; wait(confirms?: number, timeout?: number): Promise<unknown> }>,
  ): Promise<void> {
    const tx = await this.lock.run(submit);
    await this.sent(record, { hash: tx.hash, wallet, ...(amount !== undefined ? { amount: amount.toString() } : {}) });
    await this.confirm(tx);
  }

  private async sent(record: ActionRecord, tx: ActionRecord['txs'][number]): Promise<void> {
    record.txs.push(tx);
    record.status = 'sent';
    await this.log.put(record);
  }
}

/**
 * `tx.wait()` for at most `timeoutMs`: resolves with the receipt, throws {@link PendingConfirmationError}
 * on the timeout (the transaction may still be mined later), and rethrows a revert as it is.
 */
export async function waitWithTimeout<T>(tx: { hash: string; wait(confirms?: number, timeout?: number): Promise<T> }, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // ethers stops its own polling at the timeout (code TIMEOUT); the timer is a backstop for runners that do not.
  const mined = tx.wait(1, timeoutMs).catch((error: unknown) => {
    if ((error as { code?: string })?.code === 'TIMEOUT') throw new PendingConfirmationError(tx.hash, timeoutMs);
    throw error;
  });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PendingConfirmationError(tx.hash, timeoutMs)), timeoutMs + 1000);
  });
  try {
    return await Promise.race([mined, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
