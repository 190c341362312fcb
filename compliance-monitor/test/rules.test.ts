/**
 * The monitoring rules on event stories: each rule fires on its pattern and not on the near miss,
 * hits carry their evidence, an investor's wallets count together, and the engine is deterministic
 * (one batch or many, with the state persisted as JSON in between, give the same hits).
 */
import { evaluate, evaluateBatch, investorTagOf } from '../src/rules/engine.js';
import { MemoryMonitorState } from '../src/rules/state.js';
import type { RuleHit } from '../src/model.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuleFile } from '../src/rules/rule-file.js';
import { RiskScores } from '../src/rules/scoring.js';
import { plan } from '../src/playbooks/plan.js';
import { Chain, DAY, T0, TOKEN, ruleFile, tag, wallet } from './rules-support.js';

const A1 = wallet(0xa1);
const A2 = wallet(0xa2);
const B = wallet(0xb);
const C = wallet(0xc);
const D = wallet(0xd);
const E = wallet(0xe);
const S = wallet(0x5);
const ALICE = tag(0xa11ce);

function run(rules: unknown[], build: (chain: Chain) => void, investors: Record<string, string | null> = {}): RuleHit[] {
  const chain = new Chain();
  build(chain);
  return evaluate(ruleFile(rules), new MemoryMonitorState(), chain.events, { investors });
}

const ids = (hits: RuleHit[]) => hits.map((h) => h.ruleId);

describe('large-transfer', () => {
  const rules = [{ id: 'big', kind: 'large-transfer', threshold: '1000', severity: 'high', score: 40 }];

  it('fires at the threshold with the transfer as evidence, and not one unit below', () => {
    let event!: ReturnType<Chain['transfer']>;
    const hits = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 999, T0 + 10);
      event = c.transfer(A1, B, 1000, T0 + 20);
    });
    expect(hits).toHaveLength(1);
    const [hit] = hits;
    expect(hit).toMatchObject({
      ruleId: 'big',
      rulesVersion: 't1',
      token: TOKEN,
      subject: { investorTag: null, wallets: [A1] },
      severity: 'high',
      score: 40,
      at: T0 + 20,
    });
    expect(hit.evidence.events).toEqual([{ txHash: event.txHash, logIndex: 0, blockNumber: event.blockNumber }]);
    expect(hit.evidence.amounts).toEqual(['1000']);
    expect(hit.evidence.times).toEqual([T0 + 20]);
    expect(hit.evidence.details).toMatchObject({ kind: 'large-transfer', threshold: '1000', to: B });
    expect(hit.summary).toContain('1000');
  });

  it('ignores a move between two wallets of one investor', () => {
    const hits = run(
      rules,
      (c) => {
        c.mint(A1, 5000, T0);
        c.transfer(A1, A2, 3000, T0 + 10);
      },
      { [A1]: ALICE, [A2]: ALICE },
    );
    expect(hits).toEqual([]);
  });
});

describe('structuring', () => {
  // ≥ 3 transfers in [900, 1000) within a day.
  const rules = [{ id: 'smurf', kind: 'structuring', threshold: '1000', margin: 0.1, count: 3, windowSeconds: DAY, severity: 'high', score: 50 }];

  it('fires on three transfers just under the threshold within the window, with all three as evidence', () => {
    const sends: ReturnType<Chain['transfer']>[] = [];
    const hits = run(rules, (c) => {
      c.mint(A1, 10_000, T0);
      sends.push(c.transfer(A1, B, 950, T0 + 100));
      sends.push(c.transfer(A1, C, 900, T0 + 200));
      sends.push(c.transfer(A1, D, 999, T0 + 100 + DAY));
    });
    expect(ids(hits)).toEqual(['smurf']);
    expect(hits[0].evidence.events).toEqual(sends.map((e) => ({ txHash: e.txHash, logIndex: 0, blockNumber: e.blockNumber })));
    expect(hits[0].evidence.amounts).toEqual(['950', '900', '999']);
    expect(hits[0].evidence.times).toEqual([T0 + 100, T0 + 200, T0 + 100 + DAY]);
    expect(hits[0].evidence.details).toMatchObject({ threshold: '1000', floor: '900', count: 3, total: '2849' });
    expect(hits[0].at).toBe(T0 + 100 + DAY);
  });

  it('does not fire when one transfer is at the threshold, one is below the band, or one is outside the window', () => {
    const atThreshold = run(rules, (c) => {
      c.mint(A1, 10_000, T0);
      c.transfer(A1, B, 950, T0 + 1);
      c.transfer(A1, B, 950, T0 + 2);
      c.transfer(A1, B, 1000, T0 + 3);
    });
    const belowBand = run(rules, (c) => {
      c.mint(A1, 10_000, T0);
      c.transfer(A1, B, 950, T0 + 1);
      c.transfer(A1, B, 950, T0 + 2);
      c.transfer(A1, B, 899, T0 + 3);
    });
    const outsideWindow = run(rules, (c) => {
      c.mint(A1, 10_000, T0);
      c.transfer(A1, B, 950, T0 + 100);
      c.transfer(A1, B, 950, T0 + 200);
      c.transfer(A1, B, 950, T0 + 101 + DAY);
    });
    expect([atThreshold, belowBand, outsideWindow]).toEqual([[], [], []]);
  });

  it('counts two wallets of one investor together: neither trips it alone', () => {
    const story = (c: Chain) => {
      c.mint(A1, 5000, T0);
      c.mint(A2, 5000, T0);
      c.transfer(A1, B, 950, T0 + 10);
      c.transfer(A2, C, 950, T0 + 20);
      c.transfer(A1, D, 950, T0 + 30);
    };
    expect(run(rules, story)).toEqual([]);
    const hits = run(rules, story, { [A1]: ALICE, [A2]: ALICE });
    expect(ids(hits)).toEqual(['smurf']);
    expect(hits[0].subject).toEqual({ investorTag: ALICE, wallets: [A1, A2] });
  });

  it('needs new transfers for the next hit (a hit uses its transfers up)', () => {
    const hits = run(rules, (c) => {
      c.mint(A1, 10_000, T0);
      for (let i = 0; i < 5; i++) c.transfer(A1, B, 950, T0 + i);
      c.transfer(A1, B, 950, T0 + 10);
    });
    expect(hits.map((h) => h.evidence.events.length)).toEqual([3, 3]);
  });
});

describe('velocity', () => {
  it('fires when the volume within the window exceeds the limit, not when it equals it or spreads wider', () => {
    const rules = [{ id: 'vol', kind: 'velocity', windowSeconds: DAY, maxVolume: '1000', severity: 'medium', score: 20 }];
    const equal = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 600, T0 + 10);
      c.transfer(A1, C, 400, T0 + 20);
    });
    const over = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 600, T0 + 10);
      c.transfer(A1, C, 401, T0 + 20);
    });
    const wider = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 600, T0 + 10);
      c.transfer(A1, C, 401, T0 + 11 + DAY);
    });
    expect(equal).toEqual([]);
    expect(wider).toEqual([]);
    expect(ids(over)).toEqual(['vol']);
    expect(over[0].evidence.amounts).toEqual(['600', '401']);
    expect(over[0].evidence.details).toMatchObject({ volume: '1001', count: 2, exceeded: ['volume'] });
  });

  it('counts transfers, and received ones with direction "in" (mints included)', () => {
    const count = run([{ id: 'n', kind: 'velocity', windowSeconds: 3600, maxCount: 2, severity: 'low', score: 5 }], (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 1, T0 + 1);
      c.transfer(A1, B, 1, T0 + 2);
      c.transfer(A1, B, 1, T0 + 3);
    });
    expect(count.map((h) => h.evidence.details.count)).toEqual([3]);
    const inbound = run([{ id: 'in', kind: 'velocity', windowSeconds: 3600, maxVolume: '100', direction: 'in', severity: 'low', score: 5 }], (c) => {
      c.mint(B, 60, T0);
      c.mint(A1, 1000, T0);
      c.transfer(A1, B, 41, T0 + 5);
    });
    expect(inbound.map((h) => h.subject.wallets)).toEqual([[A1], [B]]);
  });
});

describe('rapid-in-out', () => {
  const rules = [{ id: 'passthrough', kind: 'rapid-in-out', windowSeconds: 3600, minFraction: 0.9, severity: 'medium', score: 25 }];

  it('fires when 90% of what came in goes out within the hour, with both sides as evidence', () => {
    const hits = run(rules, (c) => {
      c.mint(B, 5000, T0);
      c.transfer(B, A1, 1000, T0 + 10);
      c.transfer(A1, C, 500, T0 + 20);
      c.transfer(A1, D, 400, T0 + 3610);
    });
    expect(ids(hits)).toEqual(['passthrough']);
    expect(hits[0].subject.wallets).toEqual([A1]);
    expect(hits[0].evidence.amounts).toEqual(['1000', '500', '400']);
    expect(hits[0].evidence.details).toMatchObject({ received: '1000', sent: '900', directions: ['in', 'out', 'out'] });
  });

  it('does not fire below the fraction or after the window', () => {
    const below = run(rules, (c) => {
      c.mint(B, 5000, T0);
      c.transfer(B, A1, 1000, T0 + 10);
      c.transfer(A1, C, 899, T0 + 20);
    });
    const late = run(rules, (c) => {
      c.mint(B, 5000, T0);
      c.transfer(B, A1, 1000, T0 + 10);
      c.transfer(A1, C, 950, T0 + 3611);
    });
    expect([below, late]).toEqual([[], []]);
  });
});

describe('dormant-reactivated', () => {
  const rules = [{ id: 'sleeper', kind: 'dormant-reactivated', dormantDays: 30, minAmount: '100', severity: 'low', score: 10 }];

  it('fires on a transfer of at least the amount after 30 quiet days', () => {
    const hits = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 1, T0 + 10);
      c.transfer(A1, B, 100, T0 + 10 + 30 * DAY);
    });
    expect(ids(hits)).toEqual(['sleeper']);
    expect(hits[0].evidence.details).toMatchObject({ idleSeconds: 30 * DAY, lastActivity: T0 + 10 });
  });

  it('does not fire a second early, under the amount, or on a first transfer ever', () => {
    const early = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 1, T0 + 10);
      c.transfer(A1, B, 100, T0 + 9 + 30 * DAY);
    });
    const small = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 1, T0 + 10);
      c.transfer(A1, B, 99, T0 + 10 + 30 * DAY);
    });
    const first = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.transfer(A1, B, 100, T0 + 90 * DAY);
    });
    expect([early, small, first]).toEqual([[], [], []]);
  });

  it('treats receiving as activity: a wallet that received recently is not dormant', () => {
    const hits = run(rules, (c) => {
      c.mint(A1, 5000, T0);
      c.mint(B, 5000, T0);
      c.transfer(A1, B, 1, T0 + 10);
      c.transfer(B, A1, 1, T0 + 20 * DAY);
      c.transfer(A1, B, 100, T0 + 40 * DAY);
    });
    expect(hits).toEqual([]);
  });
});

describe('exposure', () => {
  const rules = [{ id: 'taint', kind: 'exposure', hops: 2, severity: 'high', score: 60 }];

  it('reports wallets within two hops when a wallet is sanctioned, with the path as evidence; three hops is too far', () => {
    const path: ReturnType<Chain['transfer']>[] = [];
    let sanction!: ReturnType<Chain['sanction']>;
    const hits = run(rules, (c) => {
      c.mint(S, 5000, T0);
      path.push(c.transfer(S, B, 100, T0 + 1));
      path.push(c.transfer(B, C, 50, T0 + 2));
      c.transfer(C, D, 10, T0 + 3);
      sanction = c.sanction(S, T0 + 10);
    });
    expect(hits.map((h) => [h.subject.wallets[0], h.evidence.details.hops])).toEqual([
      [B, 1],
      [C, 2],
    ]);
    const ref = (e: typeof sanction) => ({ txHash: e.txHash, logIndex: 0, blockNumber: e.blockNumber });
    expect(hits[1].evidence.events).toEqual([ref(path[0]), ref(path[1]), ref(sanction)]);
    expect(hits[1].evidence.details).toMatchObject({ source: S, flag: 'sanctioned', maxHops: 2 });
  });

  it('reports a new counterparty of an exposed wallet on its transfer, once, and not one hop further', () => {
    const hits = run(rules, (c) => {
      c.mint(B, 5000, T0);
      c.transfer(B, C, 100, T0 + 1);
      c.freeze(B, T0 + 2); // C: one hop from frozen B
      c.transfer(C, D, 10, T0 + 3); // D: two hops
      c.transfer(C, D, 10, T0 + 4); // again: already reported
      c.transfer(D, E, 5, T0 + 5); // E: three hops
    });
    expect(hits.map((h) => [h.subject.wallets[0], h.evidence.details.hops, h.evidence.details.flag])).toEqual([
      [C, 1, 'frozen'],
      [D, 2, 'frozen'],
    ]);
    expect(hits[1].evidence.amounts).toEqual(['10']);
  });
});

describe('concentration', () => {
  const rules = [{ id: 'whale', kind: 'concentration', maxSharePercent: 40, severity: 'medium', score: 15 }];
  const T = wallet(0x7);

  it('fires when an investor crosses 40% of supply, not at 40%, and again only after falling back', () => {
    const hits = run(rules, (c) => {
      c.mint(T, 1000, T0); // the treasury itself: 100%
      c.transfer(T, A1, 400, T0 + 1); // exactly 40%: T drops to 60%
      c.transfer(T, A1, 1, T0 + 2); // 40.1%
      c.transfer(T, A1, 1, T0 + 3); // still above: no new hit
      c.transfer(A1, B, 100, T0 + 4); // 30.2%
      c.transfer(B, A1, 100, T0 + 5); // above again
    });
    expect(hits.filter((h) => h.subject.wallets[0] === A1).map((h) => [h.at, h.evidence.details.balance])).toEqual([
      [T0 + 2, '401'],
      [T0 + 5, '402'],
    ]);
  });

  it('adds up an investor’s wallets (30% + 20% is above 40%), and a burn raises everyone’s share', () => {
    const story = (c: Chain) => {
      c.mint(T, 1000, T0);
      c.transfer(T, A1, 300, T0 + 1);
      c.transfer(T, A2, 200, T0 + 2);
      c.transfer(T, B, 350, T0 + 3);
      c.burn(T, 150, T0 + 4); // supply 850: B holds 41.2%
    };
    const alone = run(rules, story).filter((h) => h.subject.wallets[0] !== T);
    expect(alone.map((h) => [h.subject.wallets, h.at])).toEqual([[[B], T0 + 4]]);
    const together = run(rules, story, { [A1]: ALICE, [A2]: ALICE }).filter((h) => h.subject.wallets[0] !== T);
    expect(together.map((h) => [h.subject, h.at])).toEqual([
      [{ investorTag: ALICE, wallets: [A1, A2] }, T0 + 2],
      [{ investorTag: null, wallets: [B] }, T0 + 4],
    ]);
  });
});

describe('the engine', () => {
  const rules = [
    { id: 'big', kind: 'large-transfer', threshold: '1000', severity: 'high', score: 40 },
    { id: 'smurf', kind: 'structuring', threshold: '1000', margin: 0.1, count: 3, windowSeconds: DAY, severity: 'high', score: 50 },
    { id: 'vol', kind: 'velocity', windowSeconds: DAY, maxVolume: '2500', severity: 'medium', score: 20 },
    { id: 'taint', kind: 'exposure', hops: 2, severity: 'high', score: 60 },
    { id: 'whale', kind: 'concentration', maxSharePercent: 60, severity: 'medium', score: 15 },
  ];
  const story = (c: Chain) => {
    c.mint(A1, 5000, T0);
    c.mint(B, 5000, T0);
    c.transfer(A1, C, 950, T0 + 10);
    c.transfer(A2, C, 0, T0 + 11);
    c.transfer(A1, D, 960, T0 + 20);
    c.transfer(B, A2, 2000, T0 + 30);
    c.transfer(A2, E, 970, T0 + 40);
    c.transfer(E, C, 500, T0 + 45);
    c.sanction(E, T0 + 50);
    c.transfer(C, B, 1200, T0 + 60);
  };

  it('gives the same hits in one batch or in many, with the state stored as JSON in between', () => {
    const chain = new Chain();
    story(chain);
    const file = ruleFile(rules);
    const investors = { [A1]: ALICE, [A2]: ALICE };
    const once = evaluate(file, new MemoryMonitorState(), chain.events, { investors });
    expect(ids(once)).toEqual(['whale', 'big', 'smurf', 'vol', 'taint', 'big', 'taint']);
    // Downstream of E only: C received from E, then B from C (E's sender A2 is not exposed).
    expect(once.filter((h) => h.ruleId === 'taint').map((h) => h.subject.wallets[0])).toEqual([C, B]);

    let snapshot = JSON.parse(JSON.stringify(new MemoryMonitorState().toSnapshot()));
    const pieces: RuleHit[] = [];
    for (let i = 0; i < chain.events.length; i += 2) {
      const state = MemoryMonitorState.fromSnapshot(snapshot);
      pieces.push(...evaluate(file, state, chain.events.slice(i, i + 2), { investors }));
      snapshot = JSON.parse(JSON.stringify(state.toSnapshot()));
    }
    expect(pieces).toEqual(once);
    // The same through evaluateBatch, the store's entry point.
    let stored: Parameters<typeof evaluateBatch>[1] = null;
    const batched: RuleHit[] = [];
    for (let i = 0; i < chain.events.length; i += 3) {
      const out = evaluateBatch(file, stored, chain.events.slice(i, i + 3), { investors });
      batched.push(...out.hits);
      stored = JSON.parse(JSON.stringify(out.snapshot));
    }
    expect(batched).toEqual(once);
    // Events handed over out of order are put in chain order first.
    expect(evaluate(file, new MemoryMonitorState(), [...chain.events].reverse(), { investors })).toEqual(once);
  });

  it('keeps the state the size of its windows: a subject that went quiet loses what no window reaches', () => {
    const file = ruleFile(rules);
    const chain = new Chain();
    chain.mint(A1, 5000, T0);
    chain.transfer(A1, C, 100, T0 + 10);
    // Two days later only D and B move: A1 and C are quiet.
    chain.mint(D, 5000, T0 + 2 * DAY);
    chain.transfer(D, B, 100, T0 + 2 * DAY + 10);
    let stored: Parameters<typeof evaluateBatch>[1] = null;
    for (const e of chain.events) stored = evaluateBatch(file, stored, [e]).snapshot;
    const snapshot = stored!;
    // The structuring and velocity windows are a day: A1's and C's movements are gone, D's and B's kept.
    expect(Object.keys(snapshot.movements).sort()).toEqual([`wallet:${B}`, `wallet:${D}`].sort());
    // The exposure links' window is 90 days (the default): all four wallets' links are kept...
    expect(Object.keys(snapshot.links).sort()).toEqual([A1, B, C, D].sort());
    // ...until 91 days after A1's transfer, when A1's and C's link is out of reach; D–B (89 days) stays.
    const later = new Chain();
    for (let i = 0; i < 200; i++) later.mint(E, 0, T0); // keep the block numbers after the story's
    later.transfer(D, E, 100, T0 + 91 * DAY);
    stored = evaluateBatch(file, snapshot, later.events.slice(-1)).snapshot;
    expect(Object.keys(stored.links).sort()).toEqual([B, D, E].sort());
    expect(Object.keys(stored.movements).sort()).toEqual([`wallet:${D}`, `wallet:${E}`].sort());
    expect(stored.movements[`wallet:${D}`]).toHaveLength(1);
    // Balances and last activity are state, not history: kept.
    expect(snapshot.balances[A1]).toBe('4900');
    expect(snapshot.lastActivity[`wallet:${C}`]).toBe(T0 + 10);
  });

  it('learns investor tags from the gate’s WalletVerified events of its policy', () => {
    const chain = new Chain();
    const nullifier = (1n << 200n) + 0xa11cen;
    for (const w of [A1, A2]) {
      chain.events.push({
        ...chain.mint(w, 0, T0),
        source: 'gate',
        address: wallet(0x9a7e),
        name: 'WalletVerified',
        args: { policyId: '1', wallet: w, nullifier: nullifier.toString(), verifiedUntil: '0', issuerId: '1', root: '0' },
      });
      chain.events.splice(chain.events.length - 2, 1);
    }
    chain.mint(A1, 5000, T0 + 1);
    chain.mint(A2, 5000, T0 + 1);
    chain.transfer(A1, B, 950, T0 + 2);
    chain.transfer(A2, B, 950, T0 + 3);
    chain.transfer(A1, B, 950, T0 + 4);
    const state = new MemoryMonitorState();
    const hits = evaluate(ruleFile(rules.slice(1, 2)), state, chain.events, { policyId: '1' });
    expect(investorTagOf(nullifier)).toBe(ALICE);
    expect(hits.map((h) => h.subject)).toEqual([{ investorTag: ALICE, wallets: [A1, A2] }]);
    expect(evaluate(ruleFile(rules.slice(1, 2)), new MemoryMonitorState(), chain.events, { policyId: '2' })).toEqual([]);
  });
});

describe('exposure does not cascade (review: dusting, the monitor’s own freezes, direction, expiry)', () => {
  const MONITOR = wallet(0x40a6e);
  const V = [wallet(0x71), wallet(0x72), wallet(0x73)];
  const TOKENS = 10n ** 18n;
  /** The shipped example rules, on the test token. */
  const example = () => {
    const raw = JSON.parse(readFileSync(join(process.cwd(), 'compliance-monitor', 'rules', 'example-bond.json'), 'utf8'));
    return parseRuleFile({ ...raw, token: TOKEN });
  };
  const exposed = (hits: RuleHit[]) => hits.filter((h) => h.evidence.details.kind === 'exposure').map((h) => h.subject.wallets[0]);

  it('a sender who dusts three wallets and gets himself frozen by the monitor freezes none of them', () => {
    const file = example();
    const chain = new Chain();
    const M = wallet(0xbad);
    chain.mint(M, 1000n, T0);
    for (let i = 0; i < 360; i++) chain.transfer(M, V[i % 3], 1n, T0 + 60 + i * 60); // 360 one-wei transfers in 6 hours
    const state = new MemoryMonitorState();
    const book = new RiskScores(file.scoring.halfLifeDays);
    const first = evaluate(file, state, chain.events, { ownAgents: [MONITOR] });
    const actions = plan(first, file.playbooks, book);
    book.addAll(first);
    // The velocity hits bring M's score to 100: the example's playbook freezes M.
    expect(actions.filter((a) => a.kind === 'freeze-wallet').map((a) => a.wallets[0])).toEqual([M]);

    // The monitor's freeze of M (its agent), and, separately, the same freeze by another agent.
    for (const agent of [MONITOR, wallet(0xa9e)]) {
      const next = new Chain();
      const freeze = next.freeze(M, T0 + 7 * 3600, agent);
      const copy = MemoryMonitorState.fromSnapshot(JSON.parse(JSON.stringify(state.toSnapshot())));
      const hits = evaluate(file, copy, [{ ...freeze, blockNumber: 10_000 }], { ownAgents: [MONITOR] });
      expect(exposed(hits)).toEqual([]);
      expect(plan(hits, file.playbooks, book).filter((a) => a.wallets.some((w) => V.includes(w)))).toEqual([]);
    }
  });

  it('a sanctioned wallet that sent real value flags the receiver (case and hold, no freeze); a wallet that sent to it is not flagged', () => {
    const file = example();
    const S2 = wallet(0x5a);
    const W = wallet(0x77);
    const chain = new Chain();
    chain.mint(S2, 100_000n * TOKENS, T0);
    chain.mint(W, 100_000n * TOKENS, T0);
    chain.transfer(S2, V[0], 5000n * TOKENS, T0 + DAY); // V[0] received from S2
    chain.transfer(W, S2, 5000n * TOKENS, T0 + DAY + 60); // W sent to S2
    chain.sanction(S2, T0 + 2 * DAY);
    const hits = evaluate(file, new MemoryMonitorState(), chain.events, { ownAgents: [MONITOR] });
    expect(exposed(hits)).toEqual([V[0]]);
    const actions = plan(hits, file.playbooks, new RiskScores(file.scoring.halfLifeDays)).filter((a) => a.hit.ruleId === 'exposure');
    expect(actions.map((a) => [a.kind, a.wallets])).toEqual([
      ['open-case', [V[0]]],
      ['hold-transfers', [V[0]]],
    ]);
  });

  it('forgets links older than the rule’s window, ignores recovery freezes, and reports at most maxActionsPerSource wallets per source', () => {
    const rules = [{ id: 'taint', kind: 'exposure', hops: 1, minAmount: '100', windowSeconds: 30 * DAY, maxActionsPerSource: 2, severity: 'high', score: 60 }];
    const hits = run(rules, (c) => {
      c.mint(S, 100_000, T0);
      c.transfer(S, B, 1000, T0); // 40 days before the sanction: expired
      c.transfer(S, C, 99, T0 + 20 * DAY); // dust
      c.transfer(S, D, 1000, T0 + 20 * DAY);
      c.transfer(S, E, 1000, T0 + 21 * DAY);
      c.transfer(S, V[0], 1000, T0 + 22 * DAY); // a third wallet (by address): above the cap
      c.sanction(S, T0 + 40 * DAY);
    });
    expect(hits.map((h) => h.subject.wallets[0])).toEqual([D, E]);
    const recovered = run(rules, (c) => {
      c.mint(A1, 100_000, T0);
      c.transfer(A1, B, 1000, T0 + 1);
      c.recover(A1, A2, T0 + 2);
    });
    expect(recovered).toEqual([]);
  });
});
