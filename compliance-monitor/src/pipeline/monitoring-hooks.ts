/**
 * The pipeline: rules, playbooks and actions wired into the indexer (docs/compliance-monitor.md,
 * "Pipeline"). `monitoringHooks(options)` returns the indexer's hooks for one token:
 *
 * - `onBatch` (inside the batch's transaction): loads the engine's snapshot (`rules:<token>`) and
 *   the score book (`scores:<token>`), evaluates the batch, stores the hits, adds their points to
 *   the subjects' risk scores, plans the playbooks' actions, opens or joins a case for every planned
 *   action (its subject's open case, else a new one with the hit), logs the plan in the case, and
 *   queues the actions (`actions:<token>`). All of it commits with the batch's events, or none of it.
 * - `afterCommit`: carries out the queued actions, one at a time, with the ActionExecutor; each key
 *   goes once (StoreActionLog), and each result is written to its case's log. Without a signer
 *   (`runner: null`) nothing is sent: open-case is recorded as done (the case exists), every other
 *   action as `not-configured`, and the case log and the log line say that no agent key was given.
 * - `onRewind` (inside the rewind's transaction): rebuilds the snapshot and the score book from the
 *   checkpoint at or below the fork (onBatch keeps one per batch: `saveCheckpoint(rules:<token>, …)`),
 *   replaying only the stored events after it — the retention purge deletes old events, so a replay
 *   from block 0 would build a different state (the store already withdrew the hits of removed
 *   events) — and drops queued actions of hits above the fork. An action already carried out on
 *   the chain for a withdrawn hit (freeze, revocation, hold: status done, sent or pending) is not
 *   undone: its case gets the line `basis withdrawn by reorg; review the action: … (tx …)` and is
 *   escalated, so that an officer decides (the same transaction may well be mined again).
 *
 * Later wallets of a held investor: once a hold-transfers action is done, the investor's tag is
 * remembered (`holds:<token>`, tag → case). A `WalletVerified` of the policy for a remembered tag
 * queues a hold of the new wallet in that case (`extendsHold`: the executor first asks the hold
 * control whether the hold is still on, and extends nothing once an officer released it).
 *
 * A transaction not mined within `confirmationTimeoutMs` leaves its action first in the queue as
 * `pending-confirmation`: afterCommit returns (the indexer goes on) and the next drain re-checks it
 * by the hash and target in the action log, sending nothing twice.
 *
 * A crash between the commit and the end of the actions leaves them queued: the next `afterCommit`
 * (or `drain()`) carries out what is left, and the action log makes a repeat send nothing.
 */
import { AgentSendLock } from '../playbooks/agent-send-lock.js';
import type { ContractRunner } from 'ethers';
import type { ChainEvent, RuleHit } from '../model.js';
import type { BatchInfo, IndexerHooks } from '../indexer/indexer.js';
import type { Cursor, MonitorStore, RewindResult, StoreSession } from '../store/monitor-store.js';
import { evaluateBatch, investorTagOf } from '../rules/engine.js';
import type { RuleFile } from '../rules/rule-file.js';
import { RiskScores, type ScoreEntry } from '../rules/scoring.js';
import type { MonitorSnapshot } from '../rules/state.js';
import { hitKey, plan, type PlannedAction } from '../playbooks/plan.js';
import { ActionExecutor, type ActionRecord, type ActionResult, type TransferHoldControl } from '../playbooks/executor.js';
import { ACTION_STATE_PREFIX, StoreActionLog, StoreCaseOpener } from './store-records.js';
import { TransferApprovalHoldControl } from './transfer-approval-hold.js';

export interface MonitoringOptions {
  store: MonitorStore;
  /** The token's rule file (parseRuleFile); its `token` must be `token`. */
  rules: RuleFile;
  /** The PermissionedToken (any case). */
  token: string;
  /** The ComplianceGate (for revocations). */
  gate: string;
  /** The gate policy the token checks transfers against (`token.policyId()`). */
  policyId: bigint | number | string;
  /** The agent's signer, with a provider; null: plan and record, send nothing. */
  runner: ContractRunner | null;
  /** The send queue of the agent key, shared with anything else in the process that signs with it (the console's desk). */
  sendLock?: AgentSendLock;
  /**
   * The token's TransferApproval rule (`deployment.tokens[i].rules.transferApproval`): `hold-transfers`
   * then flags every wallet of the investor there (TransferApprovalHoldControl, wallets from the
   * store's wallet map). Without it (and without `hold`), hold-transfers is recorded as not configured.
   */
  transferApproval?: string;
  /**
   * The monitor's own agent addresses, whose freezes are never exposure sources (the runner's
   * address is added when it has one): otherwise each freeze the monitor makes would expose the
   * wallets its target paid, and their freezes the next ones.
   */
  ownAgents?: readonly string[];
  /** Replaces the hold control built from `transferApproval`. */
  hold?: TransferHoldControl;
  /**
   * How long an action waits for its transaction to be mined (default 120 000 ms). Past it the action
   * stays queued as `pending-confirmation`, the indexer goes on, and the next drain re-checks it by
   * its recorded hash and target.
   */
  confirmationTimeoutMs?: number;
  /** Log lines (default console, prefixed `[monitor] pipeline:`). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Called with each action's result and its case (the demo's figures, the bench's latency). */
  onAction?: (result: ActionResult, caseId: string) => void;
}

/** A planned action waiting for `afterCommit`, with its case and the block of the batch that planned it. */
export interface QueuedAction {
  action: PlannedAction;
  caseId: string;
  blockNumber: number;
  /** Failed attempts that were not reverts (the node dropped…): retried by the next drain, up to MAX_ATTEMPTS. */
  attempts?: number;
}

/** Tries of an action that fails without a revert (a node that drops) before it leaves the queue as failed. */
export const MAX_ATTEMPTS = 5;

export interface MonitoringHooks extends IndexerHooks {
  /** Carries out what is queued (afterCommit does); returns the results of this call. */
  drain(): Promise<ActionResult[]>;
  /** The state keys this token's pipeline uses. */
  readonly keys: { snapshot: string; scores: string; queue: string; holds: string };
}

const ACTOR = 'monitor';

/** The engine's state at the end of a batch: what a rewind rebuilds from. */
interface Checkpoint {
  snapshot: MonitorSnapshot;
  scores: Record<string, ScoreEntry>;
}

export function monitoringHooks(options: MonitoringOptions): MonitoringHooks {
  const token = options.token.toLowerCase();
  if (options.rules.token !== token) throw new Error(`monitoringHooks: the rule file is for token ${options.rules.token}, not ${token}`);
  // The token's policy as of the last batch: `token.policyId()` at start, then its newest indexed
  // `PolicyIdChanged` (an admin can move the token to another gate policy while the monitor runs).
  let policy = BigInt(options.policyId).toString();
  const { store, rules } = options;
  const log = options.log ?? ((level, message) => console[level](`[monitor] pipeline: ${message}`));
  const keys = { snapshot: `rules:${token}`, scores: `scores:${token}`, queue: `actions:${token}`, holds: `holds:${token}` };
  let lastBlock = 0;
  const cases = new StoreCaseOpener(store);
  const sendLock = options.sendLock ?? new AgentSendLock();
  const hold =
    options.hold ??
    (options.transferApproval && options.runner
      ? new TransferApprovalHoldControl({
          rule: options.transferApproval,
          runner: options.runner,
          walletsOf: (wallet) => investorWallets(store, wallet, policy),
          confirmationTimeoutMs: options.confirmationTimeoutMs,
          sendLock,
        })
      : undefined);
  const actionLog = new StoreActionLog(store, () => lastBlock);
  const executor = options.runner
    ? new ActionExecutor({
        token,
        gate: options.gate,
        policyId: () => BigInt(policy),
        runner: options.runner,
        hold,
        cases,
        log: actionLog,
        confirmationTimeoutMs: options.confirmationTimeoutMs,
        sendLock,
      })
    : null;
  if (!executor) log('warn', 'no agent key configured: actions are planned and recorded in their cases, never sent');

  let agents: string[] | null = null;
  /** The addresses whose freezes are the monitor's own (not exposure sources). */
  async function ownAgents(): Promise<string[]> {
    if (agents) return agents;
    const runner = options.runner as (ContractRunner & { getAddress?: () => Promise<string> }) | null;
    const own = runner?.getAddress ? [await runner.getAddress()] : [];
    agents = [...new Set([...(options.ownAgents ?? []), ...own].map((a) => a.toLowerCase()))];
    return agents;
  }

  /** The store's wallet → investor tag map for the wallets the events name. */
  async function investorsOf(tx: StoreSession, events: readonly ChainEvent[]): Promise<Map<string, string>> {
    const wallets = new Set<string>();
    for (const e of events) if (e.source === 'token' && e.name === 'Transfer') wallets.add(e.args.from).add(e.args.to);
    const map = new Map<string, string>();
    for (const w of wallets) {
      const { investorTag } = await tx.investorOf(w, policy);
      if (investorTag) map.set(w, investorTag);
    }
    return map;
  }

  /**
   * The store's wallets of each investor the hits name, under the token's policy, for the planner
   * (freeze-wallet and revoke-registration act on all of them). Read inside the batch's transaction,
   * so registrations of this batch count.
   */
  async function walletMap(tx: StoreSession, hits: readonly RuleHit[]): Promise<(investorTag: string) => string[]> {
    const map = new Map<string, string[]>();
    for (const hit of hits) {
      const tag = hit.subject.investorTag;
      if (tag && !map.has(tag))
        map.set(
          tag,
          (await tx.walletsOf(tag, policy)).map((r) => r.wallet),
        );
    }
    return (tag) => map.get(tag) ?? [];
  }

  async function queueOf(tx: StoreSession): Promise<QueuedAction[]> {
    return (await tx.loadState<QueuedAction[]>(keys.queue))?.value ?? [];
  }

  /** Follows the token's `PolicyIdChanged` events as the store holds them (this batch's included). */
  async function followPolicy(tx: StoreSession): Promise<void> {
    const current = await tx.tokenPolicyId(token);
    if (current === null || current === policy) return;
    log('warn', `the token now checks transfers against gate policy ${current} (was ${policy}): investors, holds and revocations follow it from here`);
    policy = current;
  }

  async function onBatch(tx: StoreSession, events: ChainEvent[], batch: BatchInfo): Promise<void> {
    await followPolicy(tx);
    const saved = await tx.loadState<MonitorSnapshot>(keys.snapshot);
    const { hits, snapshot } = evaluateBatch(rules, saved?.value ?? null, events, { investors: await investorsOf(tx, events), policyId: policy, ownAgents: await ownAgents() });
    const book = new RiskScores(rules.scoring.halfLifeDays, (await tx.loadState<Record<string, ScoreEntry>>(keys.scores))?.value ?? {});
    const actions = plan(hits, rules.playbooks, book, { walletsOf: await walletMap(tx, hits) });
    book.addAll(hits);

    const hitIds = new Map<string, string>();
    for (const hit of hits) {
      hitIds.set(hitKey(hit), await tx.insertRuleHit(hit, batch.chainId, completedAt(hit, batch)));
      await tx.addRiskScore(hit.subject.investorTag ?? hit.subject.wallets[0], hit.score, hit.at);
    }
    const queue = await queueOf(tx);
    for (const action of actions) {
      const hitId = hitIds.get(action.hit.key)!;
      let caseId = await tx.openCaseFor(action.subject);
      if (caseId) await tx.addHitToCase(caseId, hitId, ACTOR);
      else caseId = await tx.openCase({ token, subject: action.subject, at: action.hit.at, actor: ACTOR, hitIds: [hitId], reason: `opened by the monitor (${action.trigger}): ${action.hit.summary}` });
      await tx.appendCaseLog(caseId, 'action', ACTOR, `planned: ${describeAction(action)} (playbook ${action.playbook + 1}, ${action.trigger})`, { key: action.key, status: 'planned' });
      queue.push({ action, caseId, blockNumber: batch.toBlock });
    }
    await holdLaterWallets(tx, events, queue, batch);
    await tx.saveState(keys.snapshot, snapshot, batch.toBlock);
    await tx.saveState(keys.scores, book.toJSON(), batch.toBlock);
    await tx.saveCheckpoint(keys.snapshot, batch.toBlock, { snapshot, scores: book.toJSON() } satisfies Checkpoint);
    await tx.saveState(keys.queue, queue, batch.toBlock);
    if (hits.length > 0) log('info', `blocks ${batch.fromBlock}–${batch.toBlock}: ${hits.length} rule hit(s) (${hits.map((h) => h.ruleId).join(', ')}), ${actions.length} action(s) planned`);
  }

  /**
   * A held investor registers another wallet (`WalletVerified` of the policy, tag among the holds
   * the monitor placed): queue a hold of that wallet, in the investor's case. The executor checks the
   * hold is still on (TransferHoldControl.isHeld) before flagging.
   */
  async function holdLaterWallets(tx: StoreSession, events: readonly ChainEvent[], queue: QueuedAction[], batch: BatchInfo): Promise<void> {
    const registrations = events.filter((e) => e.source === 'gate' && e.name === 'WalletVerified' && e.args.policyId === policy);
    if (registrations.length === 0) return;
    const holds = (await tx.loadState<Record<string, string>>(keys.holds))?.value ?? {};
    for (const e of registrations) {
      const investorTag = investorTagOf(e.args.nullifier);
      const heldCase = holds[investorTag];
      if (!heldCase) continue;
      const wallet = e.args.wallet.toLowerCase();
      const subject = { investorTag, wallets: [wallet] };
      const summary = `investor ${investorTag}, whose transfers are held, registered wallet ${wallet}`;
      const action: PlannedAction = {
        key: `hold-transfers|${wallet}|registered|${e.txHash}:${e.logIndex}`,
        kind: 'hold-transfers',
        token,
        subject,
        wallets: [wallet],
        hit: { key: `${token}|registration|investor:${investorTag}|${e.txHash}:${e.logIndex}`, ruleId: 'held-investor-registration', severity: 'high', at: e.blockTime, summary },
        playbook: -1,
        trigger: 'a held investor registered a wallet',
        extendsHold: true,
      };
      const caseId = (await tx.openCaseFor(subject)) ?? heldCase;
      await tx.appendCaseLog(caseId, 'action', ACTOR, `planned: ${describeAction(action)} (${summary})`, { key: action.key, status: 'planned' });
      queue.push({ action, caseId, blockNumber: batch.toBlock });
    }
  }

  /** Remembers that the investor behind a done hold is held (its case), for the wallets it registers later. */
  async function rememberHold(q: QueuedAction): Promise<void> {
    const investorTag = q.action.subject.investorTag ?? (await store.investorOf(q.action.wallets[0], policy)).investorTag;
    if (!investorTag) return;
    const holds = (await store.loadState<Record<string, string>>(keys.holds))?.value ?? {};
    if (holds[investorTag] === q.caseId) return;
    await store.saveState(keys.holds, { ...holds, [investorTag]: q.caseId }, q.blockNumber);
  }

  async function onRewind(tx: StoreSession, fork: Cursor, withdrawn: RewindResult['withdrawn']): Promise<void> {
    await followPolicy(tx);
    // From the newest checkpoint at or below the fork, replaying the stored events after it.
    const checkpoint = await tx.loadCheckpoint<Checkpoint>(keys.snapshot, fork.blockNumber);
    const from = checkpoint ? checkpoint.blockNumber + 1 : 0;
    if (!checkpoint) {
      const oldest = await tx.oldestEventBlock(fork.chainId);
      if (oldest !== null && oldest > 0)
        log('warn', `rewind to block ${fork.blockNumber}: no state checkpoint at or below it; replaying the stored events from block ${oldest} (events purged before it are not counted)`);
    }
    const events = await eventsBetween(tx, fork.chainId, from, fork.blockNumber);
    const { hits, snapshot } = evaluateBatch(rules, checkpoint?.value.snapshot ?? null, events, { investors: await investorsOf(tx, events), policyId: policy, ownAgents: await ownAgents() });
    const book = new RiskScores(rules.scoring.halfLifeDays, checkpoint?.value.scores ?? {});
    book.addAll(hits);
    await tx.saveState(keys.snapshot, snapshot, fork.blockNumber);
    await tx.saveState(keys.scores, book.toJSON(), fork.blockNumber);
    const queue = await queueOf(tx);
    const kept = queue.filter((q) => q.blockNumber <= fork.blockNumber);
    for (const q of queue.filter((q) => q.blockNumber > fork.blockNumber)) {
      await tx.appendCaseLog(q.caseId, 'action', ACTOR, `not carried out: ${describeAction(q.action)} — its hit was reorganised away before it ran`, { key: q.action.key, status: 'withdrawn' });
    }
    await tx.saveState(keys.queue, kept, fork.blockNumber);
    await flagWithdrawnBasis(tx, fork, withdrawn);
  }

  /**
   * Actions already carried out whose hit the reorg withdrew: logged in the hit's case and the case
   * escalated for an officer's review, never undone here. Action records are written with the block
   * of the batch that planned them, at or above their hit's block: only those above the fork can
   * belong to a withdrawn hit.
   */
  async function flagWithdrawnBasis(tx: StoreSession, fork: Cursor, withdrawn: RewindResult['withdrawn']): Promise<void> {
    const ours = withdrawn.filter((w) => w.hit.token.toLowerCase() === token);
    if (ours.length === 0) return;
    const records = await tx.statesAbove<ActionRecord>(ACTION_STATE_PREFIX, fork.blockNumber);
    const escalated = new Set<string>();
    for (const { hit, caseId } of ours) {
      const suffix = `|${hitKey(hit)}`;
      for (const { value: record } of records) {
        if (!record.key.endsWith(suffix) || !carriedOut(record)) continue;
        const target = record.key.slice(record.kind.length + 1, record.key.length - suffix.length);
        const where = caseId ?? record.caseId ?? null;
        const txs = record.txs.length ? `tx ${record.txs.map((t) => t.hash).join(', ')}` : 'no transaction was needed';
        const text = `basis withdrawn by reorg; review the action: ${describeRecord(record, target)} (${txs}) — hit ${hit.id} (${hit.ruleId}) was reorganised away; nothing was undone`;
        log('warn', `${text}${where ? ` [case ${where}]` : ''}`);
        if (!where) continue;
        await tx.appendCaseLog(where, 'action', ACTOR, text, { key: record.key, status: 'basis-withdrawn', txHashes: record.txs.map((t) => t.hash) });
        if (escalated.has(where)) continue;
        escalated.add(where);
        const current = await tx.getCase(where);
        if (current && current.status !== 'escalated') {
          await tx.setCaseStatus(where, 'escalated', ACTOR, `escalated for review: an action already carried out lost its basis in a reorg (fork at block ${fork.blockNumber})`);
        }
      }
    }
  }

  async function recordUnsent(q: QueuedAction): Promise<ActionResult> {
    const previous = await actionLog.get(q.action.key);
    if (previous && previous.status !== 'sent') return { key: q.action.key, kind: q.action.kind, status: previous.status, skipped: true, txHashes: previous.txs.map((t) => t.hash) };
    const record: ActionRecord =
      q.action.kind === 'open-case'
        ? { key: q.action.key, kind: q.action.kind, status: 'done', txs: [], caseId: q.caseId }
        : { key: q.action.key, kind: q.action.kind, status: 'not-configured', txs: previous?.txs ?? [], note: 'not executed: no agent key configured (MONITOR_AGENT_KEY_ENV)' };
    await actionLog.put(record);
    return {
      key: record.key,
      kind: record.kind,
      status: record.status as ActionResult['status'],
      skipped: false,
      txHashes: [],
      ...(record.note ? { note: record.note } : {}),
      ...(record.caseId ? { caseId: record.caseId } : {}),
    };
  }

  let draining: Promise<ActionResult[]> | null = null;
  async function drainOnce(): Promise<ActionResult[]> {
    const results: ActionResult[] = [];
    for (;;) {
      const queue = (await store.loadState<QueuedAction[]>(keys.queue))?.value ?? [];
      const q = queue[0];
      if (!q) return results;
      lastBlock = q.blockNumber;
      cases.assigned.set(q.action.key, q.caseId);
      const result = executor ? (await executor.execute([q.action]))[0] : await recordUnsent(q);
      cases.assigned.delete(q.action.key);
      if (result.status === 'pending-confirmation') {
        // Sent, not mined in time: it stays first in the queue (no attempt counted) and the indexer goes on.
        log('warn', `${describeAction(q.action)}: pending confirmation — ${result.note ?? 'not mined in time'}; re-checked after the next batch [case ${q.caseId}]`);
        results.push(result);
        return results;
      }
      const attempts = (q.attempts ?? 0) + 1;
      if (result.status === 'failed' && !result.note?.startsWith('reverted:') && attempts < MAX_ATTEMPTS) {
        // Not the chain's answer but a failure to reach it: keep the action (and those after it) for the next drain.
        await store.saveState(keys.queue, [{ ...q, attempts }, ...queue.slice(1)], q.blockNumber);
        log('warn', `${describeAction(q.action)}: attempt ${attempts} of ${MAX_ATTEMPTS} failed (${result.note ?? 'unknown error'}); retried after the next batch [case ${q.caseId}]`);
        results.push(result);
        return results;
      }
      if (!result.skipped) {
        await store.appendCaseLog(q.caseId, 'action', ACTOR, describeResult(q.action, result), {
          key: result.key,
          status: result.status,
          txHashes: result.txHashes,
          ...(result.frozen ? { frozen: result.frozen } : {}),
          ...(result.note ? { note: result.note } : {}),
        });
        log(result.status === 'failed' ? 'error' : 'info', `${describeResult(q.action, result)} [case ${q.caseId}]`);
      }
      if (result.kind === 'hold-transfers' && result.status === 'done' && !q.action.extendsHold) await rememberHold(q);
      options.onAction?.(result, q.caseId);
      results.push(result);
      // Done, not configured, reverted or out of attempts: it leaves the queue (a failure is the officer's to look at, in the case log).
      await store.saveState(keys.queue, queue.slice(1), q.blockNumber);
    }
  }

  return {
    keys,
    onBatch,
    onRewind: (tx, fork, removed) => onRewind(tx, fork, removed.withdrawn ?? []),
    afterCommit: async () => {
      await drain();
    },
    drain,
  };

  function drain(): Promise<ActionResult[]> {
    draining ??= drainOnce().finally(() => {
      draining = null;
    });
    return draining;
  }
}

/** Every wallet registered to the investor behind `wallet` under `policy` (just `wallet` when it has no registration). */
export async function investorWallets(store: StoreSession, wallet: string, policy: string): Promise<string[]> {
  const { investorTag } = await store.investorOf(wallet, policy);
  if (!investorTag) return [wallet.toLowerCase()];
  return [...new Set([wallet.toLowerCase(), ...(await store.walletsOf(investorTag, policy)).map((r) => r.wallet)])];
}

/** The block of the event that completed a hit (a reorg below it withdraws the hit). */
function completedAt(hit: RuleHit, batch: BatchInfo): number {
  const blocks = hit.evidence.events.map((e) => e.blockNumber);
  return blocks.length ? Math.max(...blocks) : batch.toBlock;
}

/** Every stored event of the chain from `fromBlock` to `toBlock`, in chain order (paged by block, never splitting one). */
async function eventsBetween(tx: StoreSession, chainId: number, fromBlock: number, toBlock: number): Promise<ChainEvent[]> {
  const PAGE = 10_000;
  const out: ChainEvent[] = [];
  let from = fromBlock;
  for (;;) {
    const page = await tx.events({ chainId, fromBlock: from, toBlock, limit: PAGE });
    if (page.length < PAGE) return out.concat(page);
    const last = page[page.length - 1].blockNumber;
    const whole = page.filter((e) => e.blockNumber < last);
    if (whole.length === 0) throw new Error(`block ${last} holds more than ${PAGE} events: cannot replay it in pages`);
    out.push(...whole);
    from = last;
  }
}

export function describeAction(action: PlannedAction): string {
  const who = action.wallets.join(', ');
  switch (action.kind) {
    case 'open-case':
      return `open a case about ${action.subject.investorTag ? `investor ${action.subject.investorTag}` : who}`;
    case 'freeze-partial':
      return `freeze ${action.amount} base units across ${who}`;
    case 'freeze-wallet':
      return `freeze wallet ${who}`;
    case 'revoke-registration':
      return `revoke the registration of ${who}`;
    case 'hold-transfers':
      return `hold the transfers of ${who} for review`;
  }
}

/** An action changed the chain (or may have: sent, pending): open-case and unsent actions did not. */
function carriedOut(record: ActionRecord): boolean {
  if (record.kind === 'open-case') return false;
  return record.status === 'done' || record.status === 'sent' || record.status === 'pending-confirmation';
}

/** An action from its record and its key's target (a wallet, or the subject for freeze-partial). */
function describeRecord(record: ActionRecord, target: string): string {
  switch (record.kind) {
    case 'freeze-partial': {
      const total = record.txs.reduce((acc, t) => acc + BigInt(t.amount ?? '0'), 0n);
      return `freeze ${total} base units across ${[...new Set(record.txs.map((t) => t.wallet))].join(', ') || target}`;
    }
    case 'freeze-wallet':
      return `freeze wallet ${target}`;
    case 'revoke-registration':
      return `revoke the registration of ${target}`;
    case 'hold-transfers':
      return `hold the transfers of ${target} for review`;
    case 'open-case':
      return `open a case about ${target}`;
  }
}

function describeResult(action: PlannedAction, r: ActionResult): string {
  const what = describeAction(action);
  const txs = r.txHashes.length ? ` (tx ${r.txHashes.join(', ')})` : '';
  if (r.status === 'done') {
    const frozen = r.frozen ? `: froze ${r.frozen.frozen} of ${r.frozen.asked}${r.frozen.clamped ? ' (clamped to the unfrozen balance)' : ''}` : '';
    return `done: ${what}${frozen}${txs}${r.note ? ` — ${r.note}` : ''}`;
  }
  if (r.status === 'not-configured') return `not carried out: ${what} — ${r.note ?? 'not configured'}`;
  return `failed: ${what}${txs} — ${r.note ?? 'unknown error'}`;
}
