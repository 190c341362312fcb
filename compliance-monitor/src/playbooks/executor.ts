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
 *   rule; until one is configured, {@link UnconfiguredHoldControl} records the wallet and answers
 *   "not configured".
 * - `open-case`: {@link CaseOpener.open} (the store's cases); "not configured" without one.
 *
 * Crash safety: every transaction hash goes into the {@link ActionLog} as soon as it is sent, before
 * it is mined. A replay finds the key `done` and skips it, or finds transactions sent and checks
 * their receipts before sending anything more, so a partial freeze is never applied twice. A sent
 * transaction the node no longer knows stops the action (`failed`, with a note to check by hand).
 *
 * The signer needs the token's AGENT_ROLE and, to revoke, the gate's AGENT_ROLE or the policy-agent
 * right for `policyId`.
 */
import { Contract, type ContractRunner, type Provider } from 'ethers';
import { decodeRevert } from '@zkkyc/sdk';
import type { ActionKind } from '../model.js';
import type { PlannedAction } from './plan.js';

/** Puts a wallet's transfers on hold for review (the held-transfer rule of issue 11, item 3). */
export interface TransferHoldControl {
  flag(wallet: string): Promise<{ configured: boolean; txHash?: string; note?: string }>;
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

export type ActionStatus = 'done' | 'not-configured' | 'failed';

/** What the log remembers per action key. */
export interface ActionRecord {
  key: string;
  kind: ActionKind;
  /** `sent`: transactions went out, the outcome is not recorded yet. */
  status: ActionStatus | 'sent';
  /** Every transaction sent for the action, with what it did. */
  txs: Array<{ hash: string; wallet: string; amount?: string }>;
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
  policyId: bigint;
  /** The agent's signer (a ContractRunner with a provider). */
  runner: ContractRunner;
  hold?: TransferHoldControl;
  cases?: CaseOpener;
  log?: ActionLog;
}

const TOKEN_ABI = [
  'function balanceOf(address) view returns (uint256)',
  'function getFrozenTokens(address) view returns (uint256)',
  'function isFrozen(address) view returns (bool)',
  'function freezePartialTokens(address account, uint256 amount)',
  'function setAddressFrozen(address account, bool frozen)',
];
const GATE_ABI = [
  'function verifiedUntil(uint256 policyId, address wallet) view returns (uint64)',
  'function revokeWallet(uint256 policyId, address wallet, string reason)',
];

export class ActionExecutor {
  readonly hold: TransferHoldControl;
  readonly log: ActionLog;
  private readonly token: Contract;
  private readonly gate: Contract;
  private readonly provider: Provider;

  constructor(private readonly options: ExecutorOptions) {
    if (!options.runner.provider) throw new Error('ActionExecutor: options.runner must have a provider');
    this.provider = options.runner.provider;
    this.token = new Contract(options.token, TOKEN_ABI, options.runner);
    this.gate = new Contract(options.gate, GATE_ABI, options.runner);
    this.hold = options.hold ?? new UnconfiguredHoldControl();
    this.log = options.log ?? new MemoryActionLog();
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
    const record: ActionRecord = { key: action.key, kind: action.kind, status: 'sent', txs: previous?.txs ?? [] };
    let result: Omit<ActionResult, 'key' | 'kind' | 'skipped' | 'txHashes'>;
    try {
      result = await this.perform(action, record);
    } catch (error) {
      const decoded = decodeRevert(error);
      result = { status: 'failed', note: decoded ? `reverted: ${decoded.message}` : String((error as Error)?.message ?? error) };
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
        for (const wallet of action.wallets) {
          const answer = await this.hold.flag(wallet);
          configured &&= answer.configured;
          if (answer.txHash) await this.sent(record, { hash: answer.txHash, wallet });
          if (answer.note) notes.push(answer.note);
        }
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
          if ((await this.gate.verifiedUntil(this.options.policyId, wallet)) === 0n) {
            notes.push(`${wallet} has no registration under policy ${this.options.policyId}`);
            continue;
          }
          await this.send(record, wallet, undefined, () => this.gate.revokeWallet(this.options.policyId, wallet, action.reason ?? 'compliance monitor'));
        }
        return { status: 'done', ...(notes.length ? { note: notes.join('; ') } : {}) };
      }
      case 'freeze-partial':
        return this.freezePartial(action, record);
    }
  }

  private async freezePartial(action: PlannedAction, record: ActionRecord): Promise<Omit<ActionResult, 'key' | 'kind' | 'skipped' | 'txHashes'>> {
    const asked = BigInt(action.amount ?? '0');
    // What earlier runs already froze (their transactions confirmed) counts first.
    let frozen = 0n;
    for (const tx of record.txs) {
      if (await this.outcome(tx.hash)) frozen += BigInt(tx.amount ?? '0');
    }
    const detail: string[] = [];
    for (const wallet of action.wallets) {
      const remaining = asked - frozen;
      if (remaining <= 0n) break;
      const balance: bigint = await this.token.balanceOf(wallet);
      const already: bigint = await this.token.getFrozenTokens(wallet);
      const unfrozen = balance > already ? balance - already : 0n;
      const take = remaining < unfrozen ? remaining : unfrozen;
      detail.push(`${wallet}: unfrozen ${unfrozen}, freezing ${take}`);
      if (take === 0n) continue;
      await this.send(record, wallet, take, () => this.token.freezePartialTokens(wallet, take));
      frozen += take;
    }
    const clamped = frozen < asked;
    return {
      status: 'done',
      frozen: { asked: asked.toString(), frozen: frozen.toString(), clamped },
      ...(clamped ? { note: `clamped: asked to freeze ${asked}, only ${frozen} was unfrozen (${detail.join('; ')})` } : {}),
    };
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
    if (!receipt) throw new Error(`transaction ${hash} sent by an earlier run is unknown to the node: check it by hand before retrying`);
    return receipt.status === 1;
  }

  /** Sends, logs the hash before waiting, waits for the receipt. */
  private async send(record: ActionRecord, wallet: string, amount: bigint | undefined, submit: () => Promise<{ hash: string; wait(): Promise<unknown> }>): Promise<void> {
    const tx = await submit();
    await this.sent(record, { hash: tx.hash, wallet, ...(amount !== undefined ? { amount: amount.toString() } : {}) });
    await tx.wait();
  }

  private async sent(record: ActionRecord, tx: ActionRecord['txs'][number]): Promise<void> {
    record.txs.push(tx);
    record.status = 'sent';
    await this.log.put(record);
  }
}
