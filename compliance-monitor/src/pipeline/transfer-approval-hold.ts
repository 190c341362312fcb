import { Contract, type ContractRunner } from 'ethers';
import { AgentSendLock } from '../playbooks/agent-send-lock.js';
import { DEFAULT_CONFIRMATION_TIMEOUT_MS, PendingConfirmationError, waitWithTimeout, type TransferHoldControl } from '../playbooks/executor.js';

/**
 * The playbooks' `hold-transfers` action over the token's TransferApproval rule
 * (contracts/src/rules/TransferApproval.sol): it flags every wallet of the investor behind the
 * wallet asked about (`batchSetFlagged`), so each of their transfers, whatever its size, waits as a
 * pending transfer until a compliance agent approves or rejects it. Holding one wallet of a person
 * while their other wallet moves freely would hold nothing.
 *
 * Flagging is idempotent, so a wallet already flagged is skipped and a replay after a crash sends
 * nothing (or only the wallets still missing). `flag` returns after the transaction is mined, or
 * after `confirmationTimeoutMs` (default 120 s) with `pending: true`, so a stuck transaction does not
 * stop the indexer; a process killed between sending and mining, or a re-check of a pending flag,
 * may send the same flags again — harmless, since a flag is a flag. The runner needs the rule's COMPLIANCE_AGENT_ROLE or the token's AGENT_ROLE.
 */
export interface TransferApprovalHoldOptions {
  /** The TransferApproval rule's address (the deployment's `tokens[i].rules.transferApproval`). */
  rule: string;
  /** The agent's signer. */
  runner: ContractRunner;
  /** The wallets of the investor `wallet` belongs to (including `wallet`); the store's wallet map in the pipeline. */
  walletsOf(wallet: string): Promise<string[]>;
  /** How long to wait for the flag's transaction (default 120 000 ms). */
  confirmationTimeoutMs?: number;
  /** The queue every sender with the same agent key shares (playbooks/agent-send-lock.ts). */
  sendLock?: AgentSendLock;
}

const RULE_ABI = ['function isFlagged(address wallet) view returns (bool)', 'function batchSetFlagged(address[] wallets, bool flagged)'];

export class TransferApprovalHoldControl implements TransferHoldControl {
  private readonly rule: Contract;

  constructor(private readonly options: TransferApprovalHoldOptions) {
    this.rule = new Contract(options.rule, RULE_ABI, options.runner);
  }

  /** Whether another wallet of the investor behind `wallet` is flagged (the hold is still on). */
  async isHeld(wallet: string): Promise<boolean> {
    const own = wallet.toLowerCase();
    for (const w of await this.options.walletsOf(wallet)) if (w.toLowerCase() !== own && (await this.rule.isFlagged(w))) return true;
    return false;
  }

  async flag(wallet: string): Promise<{ configured: boolean; txHash?: string; note?: string; pending?: boolean }> {
    const all = [...new Set([wallet, ...(await this.options.walletsOf(wallet))].map((w) => w.toLowerCase()))].sort();
    const missing: string[] = [];
    for (const w of all) if (!(await this.rule.isFlagged(w))) missing.push(w);
    if (missing.length === 0) return { configured: true, note: `${all.join(', ')} already held for review` };
    const tx = await (this.options.sendLock ?? new AgentSendLock()).run(() => this.rule.batchSetFlagged(missing, true));
    try {
      await waitWithTimeout(tx, this.options.confirmationTimeoutMs ?? DEFAULT_CONFIRMATION_TIMEOUT_MS);
    } catch (error) {
      if (!(error instanceof PendingConfirmationError)) throw error;
      return { configured: true, txHash: tx.hash as string, pending: true, note: `hold of ${missing.join(', ')}: ${error.message}` };
    }
    return { configured: true, txHash: tx.hash as string, note: `held for review: ${missing.join(', ')}` };
  }
}
