/**
 * Playbooks: what to do when rules hit. `plan(hits, playbooks, scores)` turns a batch's hits into
 * the actions the rule file's playbooks ask for, without doing any of them (an executor does:
 * ./executor.ts). It is pure: the same hits, playbooks and score book give the same actions with
 * the same keys, so after a crash the replayed batch plans exactly what was planned before, and the
 * executor skips the keys it has already carried out.
 *
 * Triggers:
 * - `{ "rule": id }`: every hit of that rule.
 * - `{ "severity": s }`: every hit of severity s or higher (low < medium < high).
 * - `{ "scoreAtLeast": n }`: the hit that brings its subject's decayed score from below n to n or
 *   more (once per crossing; if the score decays below n and climbs back, it fires again).
 *   `scores` is the book as it was *before* these hits: plan adds the hits to a copy, in order.
 *
 * Targets: `freeze-wallet`, `revoke-registration` and `hold-transfers` give one action per wallet
 * of the hit's subject; `open-case` and `freeze-partial` one per subject (a partial freeze is spread
 * over the subject's wallets by the executor). For a hit about an investor, `freeze-wallet` and
 * `revoke-registration` also target every other wallet `options.walletsOf` knows for that investor
 * (the store's registrations under the token's policy), as hold-transfers does through its hold
 * control: an investor frozen for risk must not keep a second wallet free. The hit's own wallets
 * come first, then the others in the order given; `subject` stays the hit's. `freeze-partial` with `"evidence"` freezes the
 * amount the hit is about (`evidence.details.total`: the transfer, the structured sum, the volume…).
 *
 * The freeze guard: on a hit of an exposure rule, `freeze-partial`, `freeze-wallet` and
 * `revoke-registration` are planned only by a playbook with `allowAutomaticFreeze: true` (the parser
 * refuses a playbook naming an exposure rule with such actions without it; a severity or score
 * trigger fired by an exposure hit plans its other actions and drops these). Exposure is about
 * someone else's wallet, so it alone must not take a wallet's tokens away.
 *
 * Keys: `<kind>|<target>|<hit key>`, the hit key naming the token, rule, subject and the event
 * that completed the pattern. Two playbooks asking for the same action on the same hit plan it once.
 */
import type { ActionKind, RuleHit, Severity } from '../model.js';
import { FREEZING_ACTIONS, type Playbook, type PlaybookAction } from '../rules/rule-file.js';
import { hitSubject, type RiskScores } from '../rules/scoring.js';

export interface PlannedAction {
  /** Idempotency key: the executor does each key once. */
  key: string;
  kind: ActionKind;
  token: string;
  subject: { investorTag: string | null; wallets: string[] };
  /** The wallets the action touches (one for per-wallet actions; the subject's for the others). */
  wallets: string[];
  /** freeze-partial: base units to freeze across `wallets`. */
  amount?: string;
  /** revoke-registration: the reason logged on chain. */
  reason?: string;
  /** The hit that triggered it. */
  hit: { key: string; ruleId: string; severity: Severity; at: number; summary: string };
  /** Index of the playbook (in the rule file) that planned it, and why it fired. */
  playbook: number;
  trigger: string;
  /**
   * hold-transfers only: extend an existing hold of the subject's investor to a wallet it registered
   * later (the pipeline plans these on `WalletVerified`); skipped when the hold was released.
   */
  extendsHold?: boolean;
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

/** The key of a hit: token, rule, subject and the event that completed the pattern. */
export function hitKey(hit: RuleHit): string {
  const last = hit.evidence.events[hit.evidence.events.length - 1];
  const where = last ? `${last.txHash}:${last.logIndex}` : `t${hit.at}`;
  return `${hit.token}|${hit.ruleId}|${hitSubject(hit)}|${where}`;
}

/** The amount a hit is about, base units: its `details.total`, else the sum of its amounts. */
export function evidenceAmount(hit: RuleHit): bigint {
  const total = hit.evidence.details.total;
  if (typeof total === 'string' && /^[0-9]+$/.test(total)) return BigInt(total);
  return hit.evidence.amounts.reduce((acc, a) => acc + BigInt(a), 0n);
}

export interface PlanOptions {
  /**
   * Every wallet registered to an investor (by tag) under the token's policy. The pipeline reads it
   * from the store before planning, so that plan itself stays pure. Without it, per-wallet actions
   * target the hit's wallets only.
   */
  walletsOf?: (investorTag: string) => readonly string[];
}

/** The actions `playbooks` ask for on `hits` (in hit order, then playbook order), each key once. */
export function plan(hits: readonly RuleHit[], playbooks: readonly Playbook[], scores: RiskScores, options: PlanOptions = {}): PlannedAction[] {
  const book = scores.clone();
  const out: PlannedAction[] = [];
  const keys = new Set<string>();
  for (const hit of hits) {
    const subject = hitSubject(hit);
    const before = book.scoreAt(subject, hit.at);
    const after = book.add(hit);
    const key = hitKey(hit);
    playbooks.forEach((playbook, index) => {
      const trigger = fires(playbook, hit, before, after);
      if (!trigger) return;
      for (const action of playbook.actions) {
        // The freeze guard: an exposure hit freezes or revokes only where the rule file says so.
        if (hit.evidence.details.kind === 'exposure' && FREEZING_ACTIONS.includes(action.kind) && !playbook.allowAutomaticFreeze) continue;
        for (const planned of expand(action, hit, key, index, trigger, options)) {
          if (keys.has(planned.key)) continue;
          keys.add(planned.key);
          out.push(planned);
        }
      }
    });
  }
  return out;
}

function fires(playbook: Playbook, hit: RuleHit, before: number, after: number): string | null {
  const when = playbook.when;
  if ('rule' in when) return hit.ruleId === when.rule ? `rule ${when.rule}` : null;
  if ('severity' in when) return RANK[hit.severity] >= RANK[when.severity] ? `severity ${hit.severity} ≥ ${when.severity}` : null;
  return before < when.scoreAtLeast && after >= when.scoreAtLeast ? `score ${round(after)} reached ${when.scoreAtLeast}` : null;
}

function expand(action: PlaybookAction, hit: RuleHit, key: string, playbook: number, trigger: string, options: PlanOptions): PlannedAction[] {
  const base = {
    kind: action.kind,
    token: hit.token,
    subject: { investorTag: hit.subject.investorTag, wallets: [...hit.subject.wallets] },
    hit: { key, ruleId: hit.ruleId, severity: hit.severity, at: hit.at, summary: hit.summary },
    playbook,
    trigger,
  };
  const subject = hitSubject(hit);
  switch (action.kind) {
    case 'open-case':
      return [{ ...base, key: `open-case|${subject}|${key}`, wallets: [...hit.subject.wallets] }];
    case 'freeze-partial': {
      const amount = action.amount === 'evidence' ? evidenceAmount(hit) : action.amount;
      if (amount <= 0n) return [];
      return [{ ...base, key: `freeze-partial|${subject}|${key}`, wallets: [...hit.subject.wallets], amount: amount.toString() }];
    }
    case 'revoke-registration':
      return investorWallets(hit, options).map((w) => ({ ...base, key: `revoke-registration|${w}|${key}`, wallets: [w], reason: action.reason }));
    case 'freeze-wallet':
      return investorWallets(hit, options).map((w) => ({ ...base, key: `freeze-wallet|${w}|${key}`, wallets: [w] }));
    case 'hold-transfers':
      // One action per wallet of the hit: the hold control flags the investor's other wallets itself.
      return hit.subject.wallets.map((w) => ({ ...base, key: `hold-transfers|${w}|${key}`, wallets: [w] }));
  }
}

/** The hit's wallets, then the other wallets of its investor (when it has one and `walletsOf` knows them). */
function investorWallets(hit: RuleHit, options: PlanOptions): string[] {
  const out = [...hit.subject.wallets];
  const tag = hit.subject.investorTag;
  if (!tag || !options.walletsOf) return out;
  const seen = new Set(out.map((w) => w.toLowerCase()));
  for (const w of options.walletsOf(tag)) {
    if (seen.has(w.toLowerCase())) continue;
    seen.add(w.toLowerCase());
    out.push(w.toLowerCase());
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
