/**
 * Playbook planning: which hits trigger which playbooks, what each action targets, and that
 * planning is pure and idempotent (a replay plans the same keys; a repeated action is planned once).
 */
import { evaluate } from '../src/rules/engine.js';
import { MemoryMonitorState } from '../src/rules/state.js';
import { RiskScores } from '../src/rules/scoring.js';
import { plan, hitKey, evidenceAmount } from '../src/playbooks/plan.js';
import type { RuleHit } from '../src/model.js';
import { Chain, DAY, T0, ruleFile, tag, wallet } from './rules-support.js';

const A1 = wallet(0xa1);
const A2 = wallet(0xa2);
const B = wallet(0xb);
const ALICE = tag(0xa11ce);

const rules = [
  { id: 'big', kind: 'large-transfer', threshold: '1000', severity: 'medium', score: 40 },
  { id: 'smurf', kind: 'structuring', threshold: '1000', margin: 0.1, count: 3, windowSeconds: DAY, severity: 'high', score: 50 },
];
const playbooks = [
  { when: { rule: 'smurf' }, actions: [{ kind: 'open-case' }, { kind: 'freeze-partial', amount: 'evidence' }, { kind: 'hold-transfers' }] },
  { when: { severity: 'high' }, actions: [{ kind: 'open-case' }] },
  { when: { scoreAtLeast: 70 }, actions: [{ kind: 'freeze-wallet' }, { kind: 'revoke-registration', reason: 'risk score 70' }] },
  { when: { rule: 'big' }, actions: [{ kind: 'freeze-partial', amount: '25' }] },
];

function story(): { hits: RuleHit[]; file: ReturnType<typeof ruleFile> } {
  const file = ruleFile(rules, playbooks);
  const chain = new Chain();
  chain.mint(A1, 5000, T0);
  chain.mint(A2, 5000, T0);
  chain.transfer(A1, B, 950, T0 + 10);
  chain.transfer(A2, B, 960, T0 + 20);
  chain.transfer(A1, B, 970, T0 + 30); // smurf: 50
  chain.transfer(A2, B, 1500, T0 + 40 * DAY); // big: 50 decayed to ~19.7, + 40 < 70
  chain.transfer(A2, B, 1500, T0 + 40 * DAY + 60); // big again: ~99.7 ≥ 70
  const hits = evaluate(file, new MemoryMonitorState(), chain.events, { investors: { [A1]: ALICE, [A2]: ALICE } });
  return { hits, file };
}

describe('playbook planning', () => {
  it('plans each playbook’s actions for its trigger, targeting the subject’s wallets', () => {
    const { hits, file } = story();
    expect(hits.map((h) => h.ruleId)).toEqual(['smurf', 'big', 'big']);
    const actions = plan(hits, file.playbooks, new RiskScores(file.scoring.halfLifeDays));
    expect(actions.map((a) => [a.hit.ruleId, a.kind, a.wallets, a.amount ?? null, a.playbook])).toEqual([
      ['smurf', 'open-case', [A1, A2], null, 0],
      ['smurf', 'freeze-partial', [A1, A2], '2880', 0],
      ['smurf', 'hold-transfers', [A1], null, 0],
      ['smurf', 'hold-transfers', [A2], null, 0],
      // playbook 1's open-case for the same hit is the same key: planned once.
      ['big', 'freeze-partial', [A2], '25', 3],
      ['big', 'freeze-wallet', [A2], null, 2],
      ['big', 'revoke-registration', [A2], null, 2],
      ['big', 'freeze-partial', [A2], '25', 3],
    ]);
    expect(actions[6].reason).toBe('risk score 70');
    expect(actions[5].trigger).toMatch(/^score 9\d\.\d+ reached 70$/);
    expect(evidenceAmount(hits[0])).toBe(2880n);
    expect(new Set(actions.map((a) => a.key)).size).toBe(actions.length);
    expect(actions[0].key).toBe(`open-case|investor:${ALICE}|${hitKey(hits[0])}`);
  });

  it('is pure and idempotent: replaying the batch plans the same keys and leaves the score book alone', () => {
    const { hits, file } = story();
    const scores = new RiskScores(file.scoring.halfLifeDays);
    const first = plan(hits, file.playbooks, scores);
    expect(scores.toJSON()).toEqual({});
    const again = plan(story().hits, file.playbooks, scores);
    expect(again).toEqual(first);
    // Planning the hits one by one (with the book updated in between) gives the same actions.
    const book = new RiskScores(file.scoring.halfLifeDays);
    const oneByOne = hits.flatMap((h) => {
      const planned = plan([h], file.playbooks, book);
      book.add(h);
      return planned;
    });
    expect(oneByOne).toEqual(first);
  });

  it('fires scoreAtLeast once per crossing: again only after the score decayed below', () => {
    const { hits, file } = story();
    const scoreOnly = file.playbooks.filter((p) => 'scoreAtLeast' in p.when);
    const high = new RiskScores(file.scoring.halfLifeDays, { [`investor:${ALICE}`]: { score: 80, at: T0 } });
    // Already above 70 at the smurf hit (130): no crossing then. Decayed to ~52 by day 40: the
    // first big brings it back to ~92 (a crossing), the second finds it above already.
    expect(plan(hits, scoreOnly, high).map((a) => [a.hit.at, a.kind])).toEqual([
      [T0 + 40 * DAY, 'freeze-wallet'],
      [T0 + 40 * DAY, 'revoke-registration'],
    ]);
    // Never decayed below: nothing fires.
    const stuck = new RiskScores(file.scoring.halfLifeDays, { [`investor:${ALICE}`]: { score: 500, at: T0 } });
    expect(plan(hits, scoreOnly, stuck)).toEqual([]);
  });
});

describe('per-investor targets', () => {
  it('freezes and revokes every wallet of the investor the store knows, not only the wallets in the hit', () => {
    const { hits, file } = story();
    const A3 = wallet(0xa3);
    const walletsOf = (investorTag: string): string[] => (investorTag === ALICE ? [A1, A2, A3] : []);
    const big = plan(hits, file.playbooks, new RiskScores(file.scoring.halfLifeDays), { walletsOf }).filter((a) => a.hit.ruleId === 'big' && a.kind !== 'freeze-partial');
    expect(big.map((a) => [a.kind, a.wallets])).toEqual([
      ['freeze-wallet', [A2]],
      ['freeze-wallet', [A1]],
      ['freeze-wallet', [A3]],
      ['revoke-registration', [A2]],
      ['revoke-registration', [A1]],
      ['revoke-registration', [A3]],
    ]);
    // The hit's subject stays as it was; only the targets grow.
    expect(big[1].subject.wallets).toEqual([A2]);
    // Without a map (or for a hit without an investor), the hit's wallets only.
    expect(
      plan(hits, file.playbooks, new RiskScores(file.scoring.halfLifeDays))
        .filter((a) => a.kind === 'freeze-wallet')
        .map((a) => a.wallets),
    ).toEqual([[A2]]);
  });
});

describe('the exposure freeze guard in the planner', () => {
  it('drops freeze and revoke actions a severity or score trigger would take on an exposure hit, unless allowAutomaticFreeze', () => {
    const S = wallet(0x5);
    const exposureRules = [{ id: 'taint', kind: 'exposure', hops: 1, severity: 'high', score: 120 }];
    const guarded = [
      { when: { severity: 'high' }, actions: [{ kind: 'open-case' }, { kind: 'freeze-wallet' }] },
      { when: { scoreAtLeast: 100 }, actions: [{ kind: 'revoke-registration', reason: 'score 100' }, { kind: 'hold-transfers' }] },
    ];
    const chain = new Chain();
    chain.mint(S, 5000, T0);
    chain.transfer(S, B, 1000, T0 + 1);
    chain.sanction(S, T0 + 2);
    const file = ruleFile(exposureRules, guarded);
    const hits = evaluate(file, new MemoryMonitorState(), chain.events);
    expect(hits.map((h) => h.subject.wallets)).toEqual([[B]]);
    expect(plan(hits, file.playbooks, new RiskScores(30)).map((a) => a.kind)).toEqual(['open-case', 'hold-transfers']);
    const allowing = ruleFile(
      exposureRules,
      guarded.map((p) => ({ ...p, allowAutomaticFreeze: true })),
    );
    expect(plan(hits, allowing.playbooks, new RiskScores(30)).map((a) => a.kind)).toEqual(['open-case', 'freeze-wallet', 'revoke-registration', 'hold-transfers']);
  });
});
