/** Risk scores: hits add their score, scores halve every half-life, per investor (all wallets) or lone wallet. */
import { RiskScores, hitSubject } from '../src/rules/scoring.js';
import type { RuleHit } from '../src/model.js';
import { DAY, T0, TOKEN, tag, wallet } from './rules-support.js';

function hit(score: number, at: number, investorTag: string | null, wallets: string[]): RuleHit {
  return {
    ruleId: 'r',
    rulesVersion: 'v',
    token: TOKEN,
    subject: { investorTag, wallets },
    severity: 'medium',
    score,
    summary: '',
    evidence: { events: [], amounts: [], times: [], details: {} },
    at,
  };
}

describe('risk scores', () => {
  it('decays by half every half-life and adds hits on top of the decayed score', () => {
    const scores = new RiskScores(30);
    const alice = tag(1);
    expect(scores.add(hit(40, T0, alice, [wallet(1)]))).toBe(40);
    const subject = `investor:${alice}`;
    expect(scores.scoreAt(subject, T0)).toBe(40);
    expect(scores.scoreAt(subject, T0 + 30 * DAY)).toBeCloseTo(20, 10);
    expect(scores.scoreAt(subject, T0 + 60 * DAY)).toBeCloseTo(10, 10);
    expect(scores.scoreAt(subject, T0 + 15 * DAY)).toBeCloseTo(40 / Math.SQRT2, 10);
    // A hit 30 days later adds to the halved score, from any of the investor's wallets.
    expect(scores.add(hit(30, T0 + 30 * DAY, alice, [wallet(2)]))).toBeCloseTo(50, 10);
    expect(scores.scoreAt(subject, T0 + 60 * DAY)).toBeCloseTo(25, 10);
    // Asking before the last hit gives that hit's score: no growth backwards.
    expect(scores.scoreAt(subject, T0)).toBeCloseTo(50, 10);
  });

  it('keeps investors and lone wallets apart, ranks them, and survives JSON', () => {
    const scores = new RiskScores(10);
    scores.addAll([hit(10, T0, null, [wallet(7)]), hit(30, T0, tag(2), [wallet(8)]), hit(5, T0, null, [wallet(9)])]);
    expect(scores.ranking(T0 + 10 * DAY)).toEqual([
      { subject: `investor:${tag(2)}`, score: 15 },
      { subject: `wallet:${wallet(7)}`, score: 5 },
      { subject: `wallet:${wallet(9)}`, score: 2.5 },
    ]);
    const copy = new RiskScores(10, JSON.parse(JSON.stringify(scores)));
    expect(copy.ranking(T0 + 3 * DAY)).toEqual(scores.ranking(T0 + 3 * DAY));
    expect(hitSubject(hit(1, T0, null, [wallet(7)]))).toBe(`wallet:${wallet(7)}`);
    expect(() => new RiskScores(0)).toThrow('halfLifeDays must be a number > 0');
  });
});
