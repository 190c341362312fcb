import type { ContractRunner } from 'ethers';
import { AgentSendLock } from '../playbooks/agent-send-lock.js';
import { TransferApproval__factory, type TransferApproval } from '@zkkyc/contracts/typechain';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './route-context.js';
import { ApiError } from './errors.js';
import { errorResponses, officerSecurity } from './schemas.js';

/** A transfer waiting in the token's TransferApproval rule for a compliance agent. */
export interface PendingTransferView {
  id: string;
  from: string;
  to: string;
  /** Base units, decimal string. */
  amount: string;
  /** Unix seconds after which the sender (or anyone) can expire it. */
  expiresAt: number;
}

/**
 * The pending transfers of the token's TransferApproval rule, and the agent's decisions on them.
 * `canDecide` is false when the monitor has no agent key: the list is readable, approve and reject
 * answer 403.
 */
export interface PendingTransferDesk {
  readonly canDecide: boolean;
  list(): Promise<PendingTransferView[]>;
  approve(id: string): Promise<{ txHash: string }>;
  reject(id: string, reason: string): Promise<{ txHash: string }>;
}

/** TransferApproval.Status.Pending (`None` is 0: an id never requested). */
const PENDING = 1n;

/**
 * The desk over the rule on chain (contracts/src/rules/TransferApproval.sol): reads
 * `pendingTransfer(id)` for the newest `scan` ids up to `lastId()` and keeps those still pending;
 * approves and rejects with `runner` when it can sign (it needs the rule's COMPLIANCE_AGENT_ROLE or
 * the token's AGENT_ROLE), waiting for the receipt.
 */
export class ChainPendingTransfers implements PendingTransferDesk {
  private readonly rule: TransferApproval;

  constructor(
    rule: string,
    runner: ContractRunner,
    readonly canDecide: boolean,
    private readonly scan = 500,
    /** The agent key's send queue, shared with the pipeline when both sign with it (playbooks/agent-send-lock.ts). */
    private readonly sendLock = new AgentSendLock(),
  ) {
    // The compiled contract's ABI (typechain), errors included, so a revert reads as the rule's error.
    this.rule = TransferApproval__factory.connect(rule, runner);
  }

  async list(): Promise<PendingTransferView[]> {
    const last = BigInt(await this.rule.lastId());
    const out: PendingTransferView[] = [];
    for (let id = last; id >= 1n && last - id < BigInt(this.scan); id--) {
      const p = await this.rule.pendingTransfer(id);
      if (BigInt(p.status) !== PENDING) continue;
      out.push({ id: id.toString(), from: String(p.from).toLowerCase(), to: String(p.to).toLowerCase(), amount: BigInt(p.amount).toString(), expiresAt: Number(p.expiresAt) });
    }
    return out;
  }

  // Each decision is simulated first (`staticCall`), so a refusal comes back as the rule's error
  // decoded with its values (`TransferNotPending(7, 2)`) and nothing is sent.
  async approve(id: string): Promise<{ txHash: string }> {
    await this.rule.approve.staticCall(BigInt(id));
    const tx = await this.sendLock.run(() => this.rule.approve(BigInt(id)));
    await tx.wait();
    return { txHash: tx.hash as string };
  }

  async reject(id: string, reason: string): Promise<{ txHash: string }> {
    await this.rule.reject.staticCall(BigInt(id), reason);
    const tx = await this.sendLock.run(() => this.rule.reject(BigInt(id), reason));
    await tx.wait();
    return { txHash: tx.hash as string };
  }
}

const idParams = { type: 'object', properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,30}$' } }, required: ['id'] } as const;
const decisionBody = { type: ['object', 'null'], properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } }, additionalProperties: false } as const;
const decisionAnswer = { type: 'object', properties: { id: { type: 'string' }, decision: { type: 'string', enum: ['approved', 'rejected'] }, txHash: { type: 'string' } } } as const;
const withErrors = { ...errorResponses, 403: { $ref: 'MonitorError#' }, 502: { $ref: 'MonitorError#' }, 503: { $ref: 'MonitorError#' } } as const;

/** Pending transfers: list them; approve or reject one with the monitor's agent key. */
export async function transferRoutes(app: FastifyInstance, ctx: RouteContext, desk: PendingTransferDesk | undefined): Promise<void> {
  const configured = (): PendingTransferDesk => {
    if (!desk)
      throw new ApiError(503, 'not_configured', "pending transfers are not configured: start the monitor with TRANSFER_APPROVAL_ADDRESS (the token's TransferApproval rule)", null, 'configured');
    return desk;
  };
  const deciding = (): PendingTransferDesk => {
    const d = configured();
    if (!d.canDecide)
      throw new ApiError(403, 'no_agent_key', 'this monitor has no agent key (MONITOR_AGENT_KEY_ENV), so it cannot approve or reject; decide with an agent wallet instead', null, 'agent-key');
    return d;
  };
  const onChain = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const e = err as { revert?: { name: string; args: unknown[] } | null; shortMessage?: string; message?: string };
      const reason = e.revert ? `reverted: ${e.revert.name}(${e.revert.args.map(String).join(', ')})` : (e.shortMessage ?? e.message ?? String(err));
      throw new ApiError(502, 'chain_refused', `${what}: ${reason.slice(0, 300)}`, 'id', 'chain');
    }
  };

  app.get(
    '/pending-transfers',
    {
      schema: {
        summary: 'Transfers waiting for a compliance agent, newest first',
        tags: ['pending-transfers'],
        security: officerSecurity,
        response: {
          200: {
            type: 'object',
            properties: {
              canDecide: { type: 'boolean' },
              transfers: {
                type: 'array',
                items: { type: 'object', properties: { id: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, amount: { type: 'string' }, expiresAt: { type: 'integer' } } },
              },
            },
          },
          ...withErrors,
        },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const d = configured();
      return { canDecide: d.canDecide, transfers: await onChain('reading the pending transfers', () => d.list()) };
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
      `/pending-transfers/:id/${decision}`,
      {
        schema: {
          summary: decision === 'approve' ? 'Approves a pending transfer (the tokens move)' : 'Rejects a pending transfer (the tokens stay with the sender), with the reason',
          tags: ['pending-transfers'],
          security: officerSecurity,
          params: idParams,
          body: decisionBody,
          response: { 200: decisionAnswer, ...withErrors },
        },
      },
      async (req) => {
        const officer = ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
        const reason = req.body?.reason;
        if (decision === 'reject' && !reason) throw new ApiError(400, 'invalid_field', 'say why the transfer is rejected', 'reason', 'required');
        const d = deciding();
        const { txHash } = await onChain(`${decision} transfer ${req.params.id}`, () => (decision === 'approve' ? d.approve(req.params.id) : d.reject(req.params.id, reason!)));
        await ctx.store.audit(officer, `transfer-${decision === 'approve' ? 'approved' : 'rejected'}`, 'pending-transfer', req.params.id, { txHash, reason: reason ?? null });
        return { id: req.params.id, decision: decision === 'approve' ? 'approved' : 'rejected', txHash };
      },
    );
  }
}
