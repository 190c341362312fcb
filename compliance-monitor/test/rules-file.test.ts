/**
 * The rule file parser: the example files parse; every mistake is refused with the JSON path, the
 * problem and, inside a rule, the rule's id.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleFile, RuleFileError } from '../src/rules/rule-file.js';

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const dir = join(process.cwd(), 'compliance-monitor', 'rules');

function file(overrides: Record<string, unknown> = {}) {
  return {
    version: 'v1',
    token: TOKEN,
    decimals: 18,
    rules: [
      { id: 'big', kind: 'large-transfer', threshold: '1000', severity: 'high', score: 40 },
      { id: 'smurf', kind: 'structuring', threshold: '1000', margin: 0.1, count: 3, windowSeconds: 86400, severity: 'high', score: 50 },
      { id: 'positive-amount', kind: 'large-transfer', threshold: '5', severity: 'low', score: 1 },
    ],
    scoring: { halfLifeDays: 30 },
    playbooks: [{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-partial', amount: 'evidence' }] }],
    ...overrides,
  };
}

function errorOf(value: unknown, source?: string): string {
  try {
    parseRuleFile(value, source);
  } catch (e) {
    expect(e).toBeInstanceOf(RuleFileError);
    return (e as Error).message;
  }
  throw new Error('expected the rule file to be refused');
}

function withRule(index: number, rule: Record<string, unknown>) {
  const base = file();
  base.rules[index] = rule as (typeof base.rules)[number];
  return base;
}

describe('rule files', () => {
  it('parses the example files, lower-casing the token and reading amounts as base units', () => {
    const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const parsed = parseRuleFile(readFileSync(join(dir, name), 'utf8'), name);
      expect(parsed.token).toBe(parsed.token.toLowerCase());
      expect(parsed.rules.map((r) => r.kind).sort()).toEqual(['concentration', 'dormant-reactivated', 'exposure', 'large-transfer', 'rapid-in-out', 'structuring', 'velocity']);
    }
    const parsed = parseRuleFile(JSON.stringify(file()));
    expect(parsed.rules[0]).toEqual({ id: 'big', kind: 'large-transfer', threshold: 1000n, severity: 'high', score: 40 });
    expect(parsed.playbooks).toEqual([{ when: { rule: 'smurf' }, actions: [{ kind: 'freeze-partial', amount: 'evidence' }] }]);
  });

  it('names the path and the rule of a bad amount', () => {
    expect(errorOf(withRule(2, { id: 'positive-amount', kind: 'large-transfer', threshold: '0', severity: 'low', score: 1 }))).toBe(
      'rules[2].threshold: must be a decimal string of base units > 0 (rule: positive-amount)',
    );
    expect(errorOf(withRule(0, { id: 'big', kind: 'large-transfer', threshold: 1000, severity: 'high', score: 40 }), 'bond.json')).toBe(
      'bond.json: rules[0].threshold: must be a decimal string of base units > 0 (rule: big)',
    );
  });

  it('refuses unknown keys, unknown kinds, missing and out-of-range parameters', () => {
    expect(errorOf(file({ extra: 1 }))).toBe('$.extra: unknown key; allowed here: version, token, decimals, rules, scoring, playbooks');
    expect(errorOf(withRule(1, { id: 'smurf', kind: 'structuring', threshold: '1000', margin: 0.1, count: 3, windowSeconds: 60, severity: 'high', score: 5, windowDays: 1 }))).toMatch(
      /^rules\[1\]\.windowDays: unknown key; allowed here: .*windowSeconds.* \(rule: smurf\)$/,
    );
    expect(errorOf(withRule(1, { id: 'x', kind: 'smurfing', severity: 'high', score: 1 }))).toMatch(/^rules\[1\]\.kind: must be one of large-transfer, structuring, .* \(rule: x\)$/);
    expect(errorOf(withRule(1, { id: 'smurf', kind: 'structuring', threshold: '1000', count: 3, windowSeconds: 60, severity: 'high', score: 5 }))).toBe('rules[1].margin: missing (rule: smurf)');
    expect(errorOf(withRule(1, { id: 'smurf', kind: 'structuring', threshold: '1000', margin: 1.5, count: 3, windowSeconds: 60, severity: 'high', score: 5 }))).toBe(
      'rules[1].margin: must be a fraction between 0 and 1 (exclusive) with at most 4 decimals (rule: smurf)',
    );
    expect(errorOf(withRule(1, { id: 'v', kind: 'velocity', windowSeconds: 60, severity: 'high', score: 5 }))).toBe('rules[1]: needs maxVolume, maxCount or both (rule: v)');
    expect(errorOf(withRule(1, { id: 'e', kind: 'exposure', hops: 0, severity: 'high', score: 5 }))).toBe('rules[1].hops: must be a whole number between 1 and 6 (rule: e)');
    expect(errorOf(withRule(1, { id: 'c', kind: 'concentration', maxSharePercent: 100, severity: 'urgent', score: 5 }))).toBe('rules[1].severity: must be one of low, medium, high (rule: c)');
    expect(errorOf(withRule(1, { id: 'big', kind: 'large-transfer', threshold: '9', severity: 'low', score: 1 }))).toBe('rules[1].id: is used by an earlier rule; ids must be unique (rule: big)');
    expect(errorOf(file({ token: '0x1234' }))).toBe('token: must be a 0x address of 40 hex digits');
    expect(errorOf(file({ scoring: { halfLifeDays: 0 } }))).toBe('scoring.halfLifeDays: must be a number > 0');
    expect(errorOf('{"version": ')).toMatch(/^\$: not JSON: /);
  });

  it('checks playbooks: one trigger naming a rule of the file, known actions with their parameters', () => {
    expect(errorOf(file({ playbooks: [{ when: { rule: 'nope' }, actions: [{ kind: 'open-case' }] }] }))).toBe('playbooks[0].when.rule: names no rule in this file ("nope")');
    expect(errorOf(file({ playbooks: [{ when: { rule: 'big', severity: 'high' }, actions: [{ kind: 'open-case' }] }] }))).toBe(
      'playbooks[0].when: must have exactly one of rule, scoreAtLeast, severity',
    );
    expect(errorOf(file({ playbooks: [{ when: { scoreAtLeast: 70 }, actions: [{ kind: 'freeze-partial', amount: 'all' }] }] }))).toBe(
      'playbooks[0].actions[0].amount: must be "evidence" or a decimal string of base units > 0',
    );
    expect(errorOf(file({ playbooks: [{ when: { scoreAtLeast: 70 }, actions: [{ kind: 'revoke-registration' }] }] }))).toBe('playbooks[0].actions[0].reason: missing');
    expect(errorOf(file({ playbooks: [{ when: { scoreAtLeast: 70 }, actions: [{ kind: 'freeze-wallet', amount: '5' }] }] }))).toBe('playbooks[0].actions[0].amount: unknown key; allowed here: kind');
    expect(errorOf(file({ playbooks: [{ when: { severity: 'high' }, actions: [{ kind: 'burn' }] }] }))).toBe(
      'playbooks[0].actions[0].kind: must be one of open-case, freeze-partial, freeze-wallet, revoke-registration, hold-transfers',
    );
  });
});

describe('the exposure freeze guard', () => {
  const exposure = { id: 'taint', kind: 'exposure', hops: 1, severity: 'high', score: 60 };
  const withExposure = (playbook: Record<string, unknown>) => file({ rules: [...file().rules, exposure], playbooks: [playbook] });

  it('refuses a freeze or revoke on an exposure rule unless the playbook sets allowAutomaticFreeze', () => {
    expect(errorOf(withExposure({ when: { rule: 'taint' }, actions: [{ kind: 'open-case' }, { kind: 'freeze-wallet' }] }))).toBe(
      'playbooks[0].actions[1].kind: freeze-wallet on the exposure rule "taint" needs "allowAutomaticFreeze": true on the playbook (exposure should open a case and hold transfers)',
    );
    expect(errorOf(withExposure({ when: { rule: 'taint' }, actions: [{ kind: 'revoke-registration', reason: 'x' }] }))).toMatch(
      /^playbooks\[0\]\.actions\[0\]\.kind: revoke-registration on the exposure rule/,
    );
    expect(errorOf(withExposure({ when: { rule: 'taint' }, actions: [{ kind: 'freeze-wallet' }], allowAutomaticFreeze: 'yes' }))).toBe('playbooks[0].allowAutomaticFreeze: must be true or false');
    const allowed = parseRuleFile(withExposure({ when: { rule: 'taint' }, actions: [{ kind: 'freeze-wallet' }], allowAutomaticFreeze: true }));
    expect(allowed.playbooks[0]).toEqual({ when: { rule: 'taint' }, actions: [{ kind: 'freeze-wallet' }], allowAutomaticFreeze: true });
    expect(allowed.rules[3]).toMatchObject({ minAmount: 1n, windowSeconds: 90 * 86400, maxActionsPerSource: 10 });
    expect(parseRuleFile(withExposure({ when: { rule: 'taint' }, actions: [{ kind: 'open-case' }, { kind: 'hold-transfers' }] })).playbooks).toHaveLength(1);
  });
});
