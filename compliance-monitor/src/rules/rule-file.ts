/**
 * The rule file: what a token's compliance team asks the monitor to watch for, and what to do when
 * it finds it. One JSON file per token, versioned (the version is copied into every hit, so a hit
 * can always be traced to the rules that produced it):
 *
 *   { "version": "2026-12-01", "token": "0x…", "decimals": 18,
 *     "rules": [ { "id": "big-out", "kind": "large-transfer", "threshold": "1000", "severity": "high", "score": 40 }, … ],
 *     "scoring": { "halfLifeDays": 30 },
 *     "playbooks": [ { "when": { "rule": "big-out" }, "actions": [ { "kind": "open-case" } ] } ] }
 *
 * Amounts are decimal strings of base units (as the chain counts them, no decimals applied);
 * windows are seconds; fractions and shares are plain numbers. {@link parseRuleFile} checks all of
 * it and refuses unknown keys, with an error that names the JSON path and, inside a rule, the rule's
 * id: `rules[2].threshold: must be a decimal string of base units > 0 (rule: big-out)`.
 */
import type { ActionKind, Severity } from '../model.js';

interface RuleBase {
  /** Unique within the file; what hits and playbooks name. */
  id: string;
  severity: Severity;
  /** What one hit adds to the subject's risk score. */
  score: number;
}

/** One transfer of at least `threshold`. */
export interface LargeTransferRule extends RuleBase {
  kind: 'large-transfer';
  threshold: bigint;
}

/** At least `count` transfers out, each in [threshold·(1−margin), threshold), within `windowSeconds`. */
export interface StructuringRule extends RuleBase {
  kind: 'structuring';
  threshold: bigint;
  /** Fraction below the threshold that counts as "just under", 0 < margin < 1 (at most 4 decimals). */
  margin: number;
  count: number;
  windowSeconds: number;
}

/** More than `maxVolume` (sum) or more than `maxCount` transfers within `windowSeconds`. */
export interface VelocityRule extends RuleBase {
  kind: 'velocity';
  windowSeconds: number;
  maxVolume?: bigint;
  maxCount?: number;
  /** Which transfers count: sent (default), received or both. */
  direction: 'out' | 'in' | 'both';
}

/** Tokens received and sent on within `windowSeconds`: sent ≥ minFraction × received. */
export interface RapidInOutRule extends RuleBase {
  kind: 'rapid-in-out';
  windowSeconds: number;
  /** 0 < minFraction ≤ 1, at most 4 decimals. */
  minFraction: number;
  /** Received amounts below this are not worth a hit (default 1 base unit). */
  minAmount: bigint;
}

/** No transfer in or out for `dormantDays`, then a transfer out of at least `minAmount`. */
export interface DormantReactivatedRule extends RuleBase {
  kind: 'dormant-reactivated';
  dormantDays: number;
  minAmount: bigint;
}

/**
 * A wallet that received funds, within `hops` transfers, from a *source*: a sanctioned wallet, or
 * (with `frozen` in `flags`) a wallet frozen by someone other than the monitor's own agent and not
 * by a recovery. Only funds flowing downstream of the source count (a wallet that sent to it is not
 * exposed), only transfers of at least `minAmount` link two wallets (dust does not), and a link
 * older than `windowSeconds` is forgotten. One source event reports at most `maxActionsPerSource`
 * wallets, nearest first.
 */
export interface ExposureRule extends RuleBase {
  kind: 'exposure';
  hops: number;
  /** Which sources count (default both): `sanctioned` (SanctionSet), `frozen` (a freeze by another agent). */
  flags: Array<'frozen' | 'sanctioned'>;
  /** Transfers below this (base units) link nothing (default 1). */
  minAmount: bigint;
  /** A link older than this when the exposure is checked is forgotten (default 90 days). */
  windowSeconds: number;
  /** At most this many wallets reported per source event (default 10). */
  maxActionsPerSource: number;
}

/** Defaults of the exposure rule's optional parameters. */
export const EXPOSURE_DEFAULTS = { minAmount: 1n, windowSeconds: 90 * 86400, maxActionsPerSource: 10 } as const;

/** An investor's balance (all its wallets) above `maxSharePercent` % of the supply. */
export interface ConcentrationRule extends RuleBase {
  kind: 'concentration';
  /** 0 < maxSharePercent < 100, at most 4 decimals. */
  maxSharePercent: number;
}

export type Rule = LargeTransferRule | StructuringRule | VelocityRule | RapidInOutRule | DormantReactivatedRule | ExposureRule | ConcentrationRule;

export type RuleKind = Rule['kind'];

export const RULE_KINDS: readonly RuleKind[] = ['large-transfer', 'structuring', 'velocity', 'rapid-in-out', 'dormant-reactivated', 'exposure', 'concentration'];

/** When a playbook runs: on a hit of one rule, when a hit brings the subject's score to N, or on a hit of a severity (or above). */
export type PlaybookTrigger = { rule: string } | { scoreAtLeast: number } | { severity: Severity };

export type PlaybookAction =
  { kind: 'open-case' } | { kind: 'freeze-partial'; amount: 'evidence' | bigint } | { kind: 'freeze-wallet' } | { kind: 'revoke-registration'; reason: string } | { kind: 'hold-transfers' };

export interface Playbook {
  when: PlaybookTrigger;
  actions: PlaybookAction[];
  /**
   * Lets this playbook's freeze and revoke actions run on an exposure hit. Without it the parser
   * refuses such a playbook when it names an exposure rule, and the planner drops those actions
   * when an exposure hit fires it through a severity or score trigger.
   */
  allowAutomaticFreeze?: boolean;
}

/** The actions that take a wallet's tokens or registration away (guarded on exposure hits). */
export const FREEZING_ACTIONS: readonly ActionKind[] = ['freeze-partial', 'freeze-wallet', 'revoke-registration'];

export interface RuleFile {
  version: string;
  /** Lower-case address. */
  token: string;
  decimals: number;
  rules: Rule[];
  scoring: { halfLifeDays: number };
  playbooks: Playbook[];
}

/** A rule file that does not parse: `path` is the JSON path, `ruleId` the rule it sits in (if any). */
export class RuleFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly ruleId?: string,
    readonly source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}${path}: ${problem}${ruleId ? ` (rule: ${ruleId})` : ''}`);
    this.name = 'RuleFileError';
  }
}

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high'];
const ACTION_KINDS: readonly ActionKind[] = ['open-case', 'freeze-partial', 'freeze-wallet', 'revoke-registration', 'hold-transfers'];

/** Reads a rule file from its JSON text (or already-parsed value); `source` (a file name) prefixes errors. */
export function parseRuleFile(input: string | unknown, source?: string): RuleFile {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new RuleFileError('$', `not JSON: ${(e as Error).message}`, undefined, source);
    }
  }
  return new Reader(source).file(value);
}

/** Walks the file, keeping the path and the current rule id for the error messages. */
class Reader {
  private ruleId: string | undefined;

  constructor(private readonly source?: string) {}

  private fail(path: string, problem: string): never {
    throw new RuleFileError(path, problem, this.ruleId, this.source);
  }

  private object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) this.fail(`${path}.${key}`, `unknown key; allowed here: ${allowed.join(', ')}`);
    }
    return record;
  }

  private array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'must be an array');
    return value;
  }

  private string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(path, 'must be a non-empty string');
    return value;
  }

  private integer(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be a whole number between ${min} and ${max}`);
    }
    return value;
  }

  private positive(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) this.fail(path, 'must be a number > 0');
    return value;
  }

  /** A number in (0, max] (or (0, max) when `inclusive` is false) with at most 4 decimals. */
  private fraction(value: unknown, path: string, max: number, inclusive: boolean, what: string): number {
    const ok = typeof value === 'number' && Number.isFinite(value) && value > 0 && (inclusive ? value <= max : value < max) && Math.abs(value * 10000 - Math.round(value * 10000)) < 1e-6;
    if (!ok) this.fail(path, `must be ${what} with at most 4 decimals`);
    return value;
  }

  private amount(value: unknown, path: string): bigint {
    if (typeof value !== 'string' || !/^[0-9]+$/.test(value) || BigInt(value) === 0n) {
      this.fail(path, 'must be a decimal string of base units > 0');
    }
    return BigInt(value);
  }

  file(value: unknown): RuleFile {
    const top = this.object(value, '$', ['version', 'token', 'decimals', 'rules', 'scoring', 'playbooks']);
    for (const key of ['version', 'token', 'decimals', 'rules', 'scoring']) {
      if (!(key in top)) this.fail(key, 'missing');
    }
    const version = this.string(top.version, 'version');
    const token = this.string(top.token, 'token');
    if (!/^0x[0-9a-fA-F]{40}$/.test(token)) this.fail('token', 'must be a 0x address of 40 hex digits');
    const decimals = this.integer(top.decimals, 'decimals', 0, 77);
    const rules = this.array(top.rules, 'rules').map((r, i) => this.rule(r, `rules[${i}]`));
    const ids = new Set<string>();
    rules.forEach((rule, i) => {
      if (ids.has(rule.id)) {
        this.ruleId = rule.id;
        this.fail(`rules[${i}].id`, 'is used by an earlier rule; ids must be unique');
      }
      ids.add(rule.id);
    });
    this.ruleId = undefined;
    const scoringRecord = this.object(top.scoring, 'scoring', ['halfLifeDays']);
    if (!('halfLifeDays' in scoringRecord)) this.fail('scoring.halfLifeDays', 'missing');
    const halfLifeDays = this.positive(scoringRecord.halfLifeDays, 'scoring.halfLifeDays');
    const exposureRules = new Set(rules.filter((r) => r.kind === 'exposure').map((r) => r.id));
    const playbooks = top.playbooks === undefined ? [] : this.array(top.playbooks, 'playbooks').map((p, i) => this.playbook(p, `playbooks[${i}]`, ids, exposureRules));
    return { version, token: token.toLowerCase(), decimals, rules, scoring: { halfLifeDays }, playbooks };
  }

  private rule(value: unknown, path: string): Rule {
    this.ruleId = undefined;
    if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string') {
      this.ruleId = (value as { id: string }).id;
    }
    const common = ['id', 'kind', 'severity', 'score', 'description'];
    const kind = (value as { kind?: unknown } | null)?.kind;
    const byKind: Record<RuleKind, string[]> = {
      'large-transfer': ['threshold'],
      structuring: ['threshold', 'margin', 'count', 'windowSeconds'],
      velocity: ['windowSeconds', 'maxVolume', 'maxCount', 'direction'],
      'rapid-in-out': ['windowSeconds', 'minFraction', 'minAmount'],
      'dormant-reactivated': ['dormantDays', 'minAmount'],
      exposure: ['hops', 'flags', 'minAmount', 'windowSeconds', 'maxActionsPerSource'],
      concentration: ['maxSharePercent'],
    };
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && !RULE_KINDS.includes(kind as RuleKind)) {
      this.fail(`${path}.kind`, `must be one of ${RULE_KINDS.join(', ')}`);
    }
    const r = this.object(value, path, [...common, ...(byKind[kind as RuleKind] ?? [])]);
    const required = (key: string) => {
      if (!(key in r)) this.fail(`${path}.${key}`, 'missing');
      return r[key];
    };
    const id = this.string(required('id'), `${path}.id`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) this.fail(`${path}.id`, 'must be letters, digits, ".", "_" or "-"');
    if (r.description !== undefined) this.string(r.description, `${path}.description`);
    const severity = required('severity');
    if (!SEVERITIES.includes(severity as Severity)) this.fail(`${path}.severity`, `must be one of ${SEVERITIES.join(', ')}`);
    const scoreValue = required('score');
    if (typeof scoreValue !== 'number' || !Number.isFinite(scoreValue) || scoreValue < 0) this.fail(`${path}.score`, 'must be a number ≥ 0');
    const base = { id, severity: severity as Severity, score: scoreValue };
    const at = (key: string) => `${path}.${key}`;
    switch (kind as RuleKind) {
      case 'large-transfer':
        return { ...base, kind: 'large-transfer', threshold: this.amount(required('threshold'), at('threshold')) };
      case 'structuring':
        return {
          ...base,
          kind: 'structuring',
          threshold: this.amount(required('threshold'), at('threshold')),
          margin: this.fraction(required('margin'), at('margin'), 1, false, 'a fraction between 0 and 1 (exclusive)'),
          count: this.integer(required('count'), at('count'), 2, 10_000),
          windowSeconds: this.integer(required('windowSeconds'), at('windowSeconds'), 1),
        };
      case 'velocity': {
        const rule: VelocityRule = {
          ...base,
          kind: 'velocity',
          windowSeconds: this.integer(required('windowSeconds'), at('windowSeconds'), 1),
          direction: 'out',
        };
        if (r.maxVolume !== undefined) rule.maxVolume = this.amount(r.maxVolume, at('maxVolume'));
        if (r.maxCount !== undefined) rule.maxCount = this.integer(r.maxCount, at('maxCount'), 1, 1_000_000);
        if (rule.maxVolume === undefined && rule.maxCount === undefined) this.fail(path, 'needs maxVolume, maxCount or both');
        if (r.direction !== undefined) {
          if (!['out', 'in', 'both'].includes(r.direction as string)) this.fail(at('direction'), 'must be one of out, in, both');
          rule.direction = r.direction as VelocityRule['direction'];
        }
        return rule;
      }
      case 'rapid-in-out':
        return {
          ...base,
          kind: 'rapid-in-out',
          windowSeconds: this.integer(required('windowSeconds'), at('windowSeconds'), 1),
          minFraction: this.fraction(required('minFraction'), at('minFraction'), 1, true, 'a fraction in (0, 1]'),
          minAmount: r.minAmount === undefined ? 1n : this.amount(r.minAmount, at('minAmount')),
        };
      case 'dormant-reactivated':
        return {
          ...base,
          kind: 'dormant-reactivated',
          dormantDays: this.positive(required('dormantDays'), at('dormantDays')),
          minAmount: this.amount(required('minAmount'), at('minAmount')),
        };
      case 'exposure': {
        let flags: ExposureRule['flags'] = ['frozen', 'sanctioned'];
        if (r.flags !== undefined) {
          const list = this.array(r.flags, at('flags'));
          if (list.length === 0) this.fail(at('flags'), 'must name at least one of frozen, sanctioned');
          list.forEach((f, i) => {
            if (f !== 'frozen' && f !== 'sanctioned') this.fail(`${at('flags')}[${i}]`, 'must be frozen or sanctioned');
          });
          flags = list as ExposureRule['flags'];
        }
        return {
          ...base,
          kind: 'exposure',
          hops: this.integer(required('hops'), at('hops'), 1, 6),
          flags,
          minAmount: r.minAmount === undefined ? EXPOSURE_DEFAULTS.minAmount : this.amount(r.minAmount, at('minAmount')),
          windowSeconds: r.windowSeconds === undefined ? EXPOSURE_DEFAULTS.windowSeconds : this.integer(r.windowSeconds, at('windowSeconds'), 1),
          maxActionsPerSource: r.maxActionsPerSource === undefined ? EXPOSURE_DEFAULTS.maxActionsPerSource : this.integer(r.maxActionsPerSource, at('maxActionsPerSource'), 1, 1000),
        };
      }
      case 'concentration':
        return {
          ...base,
          kind: 'concentration',
          maxSharePercent: this.fraction(required('maxSharePercent'), at('maxSharePercent'), 100, false, 'a percentage between 0 and 100 (exclusive)'),
        };
    }
    return this.fail(`${path}.kind`, `must be one of ${RULE_KINDS.join(', ')}`);
  }

  private playbook(value: unknown, path: string, ruleIds: Set<string>, exposureRules: Set<string>): Playbook {
    this.ruleId = undefined;
    const p = this.object(value, path, ['when', 'actions', 'description', 'allowAutomaticFreeze']);
    if (p.allowAutomaticFreeze !== undefined && typeof p.allowAutomaticFreeze !== 'boolean') this.fail(`${path}.allowAutomaticFreeze`, 'must be true or false');
    const allowAutomaticFreeze = p.allowAutomaticFreeze === true;
    if (!('when' in p)) this.fail(`${path}.when`, 'missing');
    if (!('actions' in p)) this.fail(`${path}.actions`, 'missing');
    if (p.description !== undefined) this.string(p.description, `${path}.description`);
    const w = this.object(p.when, `${path}.when`, ['rule', 'scoreAtLeast', 'severity']);
    const keys = Object.keys(w);
    if (keys.length !== 1) this.fail(`${path}.when`, 'must have exactly one of rule, scoreAtLeast, severity');
    let when: PlaybookTrigger;
    if ('rule' in w) {
      const rule = this.string(w.rule, `${path}.when.rule`);
      if (!ruleIds.has(rule)) this.fail(`${path}.when.rule`, `names no rule in this file ("${rule}")`);
      when = { rule };
    } else if ('scoreAtLeast' in w) {
      when = { scoreAtLeast: this.positive(w.scoreAtLeast, `${path}.when.scoreAtLeast`) };
    } else {
      if (!SEVERITIES.includes(w.severity as Severity)) this.fail(`${path}.when.severity`, `must be one of ${SEVERITIES.join(', ')}`);
      when = { severity: w.severity as Severity };
    }
    const list = this.array(p.actions, `${path}.actions`);
    if (list.length === 0) this.fail(`${path}.actions`, 'must list at least one action');
    const actions = list.map((a, i): PlaybookAction => {
      const at = `${path}.actions[${i}]`;
      const kind = (a as { kind?: unknown } | null)?.kind;
      if (!ACTION_KINDS.includes(kind as ActionKind)) {
        this.object(a, at, ['kind', 'amount', 'reason']);
        this.fail(`${at}.kind`, `must be one of ${ACTION_KINDS.join(', ')}`);
      }
      switch (kind as ActionKind) {
        case 'freeze-partial': {
          const o = this.object(a, at, ['kind', 'amount']);
          if (!('amount' in o)) this.fail(`${at}.amount`, 'missing');
          return { kind: 'freeze-partial', amount: o.amount === 'evidence' ? 'evidence' : this.amountOrEvidence(o.amount, `${at}.amount`) };
        }
        case 'revoke-registration': {
          const o = this.object(a, at, ['kind', 'reason']);
          if (!('reason' in o)) this.fail(`${at}.reason`, 'missing');
          return { kind: 'revoke-registration', reason: this.string(o.reason, `${at}.reason`) };
        }
        default:
          this.object(a, at, ['kind']);
          return { kind } as PlaybookAction;
      }
    });
    // An exposure hit is about someone else's wallet: freezing on it alone must be asked for explicitly.
    if ('rule' in when && exposureRules.has(when.rule) && !allowAutomaticFreeze) {
      const i = actions.findIndex((a) => FREEZING_ACTIONS.includes(a.kind));
      if (i >= 0) {
        this.fail(
          `${path}.actions[${i}].kind`,
          `${actions[i].kind} on the exposure rule "${when.rule}" needs "allowAutomaticFreeze": true on the playbook (exposure should open a case and hold transfers)`,
        );
      }
    }
    return { when, actions, ...(allowAutomaticFreeze ? { allowAutomaticFreeze } : {}) };
  }

  private amountOrEvidence(value: unknown, path: string): bigint {
    if (typeof value !== 'string' || !/^[0-9]+$/.test(value) || BigInt(value) === 0n) {
      this.fail(path, 'must be "evidence" or a decimal string of base units > 0');
    }
    return BigInt(value);
  }
}
