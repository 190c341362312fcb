import { runHonestDkg, subsets, type HonestDkg } from './dkg.fixture.js';
import { deal, finalizeDkg, judgeComplaint, qualifiedDealers, receiveDealings, rosterOf, startDkg, thresholdPublicKey, type Complaint, type Dealing } from './dkg.js';
import { proveEqualLogs } from './chaum-pedersen.js';
import { uint32 } from './encoding.js';
import { addPoints, BASE8, IDENTITY, multiply, multiplyBase, pointsEqual, type Point } from './group.js';
import { lagrangeCoefficientsAtZero } from './shamir.js';
import { sealShare } from './share-transport.js';

/** Dealer `dealer`'s dealing with the box for `recipient` replaced by `value` sealed properly (a lying dealer). */
function withBadShare(dkg: HonestDkg, dealer: number, recipient: number, value: bigint): Dealing {
  const honest = dkg.dealings[dealer - 1];
  const context = { dkgId: dkg.roster.dkgId, dealer, recipient, commitments: honest.commitments };
  const shares = honest.shares.map((s) => (s.recipient === recipient ? sealShare(value, dkg.roster.transportKeys[recipient - 1], context) : s));
  return { ...honest, shares };
}

describe('joint-Feldman DKG', () => {
  let dkg: HonestDkg;
  beforeAll(() => {
    dkg = runHonestDkg(3, 2);
  });

  it('gives every participant the same public outcome, with E = Σ C_i0 and P_j = s_j·Base8', () => {
    const { publicKey, shares, dealings, roster } = dkg;
    expect(publicKey.qualified).toEqual([1, 2, 3]);
    expect(publicKey.publicKey).toEqual(dealings.reduce<Point>((acc, d) => addPoints(acc, d.commitments[0]), IDENTITY));
    for (const share of shares) {
      expect(share.publicKey).toEqual(publicKey.publicKey);
      expect(share.dkgId).toBe(roster.dkgId);
      expect(multiplyBase(share.secretShare)).toEqual(publicKey.verificationKeys.get(share.index));
    }
    // Anyone recomputes the outcome from public data alone.
    const again = thresholdPublicKey(roster, dealings, []);
    expect(again.publicKey).toEqual(publicKey.publicKey);
    expect([...again.verificationKeys]).toEqual([...publicKey.verificationKeys]);
  });

  it('lets any k verification keys interpolate to E in the exponent, while no share is the key', () => {
    const { publicKey, shares } = dkg;
    for (const set of subsets([1, 2, 3], 2)) {
      const lambdas = lagrangeCoefficientsAtZero(set);
      const E = set.reduce<Point>((acc, j, i) => addPoints(acc, multiply(publicKey.verificationKeys.get(j)!, lambdas[i])), IDENTITY);
      expect(E).toEqual(publicKey.publicKey);
    }
    for (const share of shares) expect(pointsEqual(multiplyBase(share.secretShare), publicKey.publicKey)).toBe(false);
    expect(new Set(shares.map((s) => s.secretShare)).size).toBe(3);
  });

  it('names a dealer whose share fails its commitments in a complaint that anyone upholds, and leaves it out', () => {
    const bad = withBadShare(dkg, 2, 3, 12345n);
    const dealings = [dkg.dealings[0], bad, dkg.dealings[2]];
    const received = receiveDealings(dkg.secrets[2], dkg.roster, dealings);
    expect(received.complaints).toHaveLength(1);
    const [complaint] = received.complaints;
    expect(complaint).toMatchObject({ dealer: 2, complainer: 3, reason: 'share-mismatch' });
    expect([...received.shares.keys()].sort()).toEqual([1, 3]);
    // Participants 1 and 2 see nothing wrong with their own boxes.
    expect(receiveDealings(dkg.secrets[0], dkg.roster, dealings).complaints).toEqual([]);

    expect(judgeComplaint(complaint, dkg.roster, bad)).toEqual({ upheld: true, reason: 'share for participant 3 fails the Feldman check' });
    const { qualified, disqualified } = qualifiedDealers(dkg.roster, dealings, [complaint]);
    expect(qualified).toEqual([1, 3]);
    expect(disqualified).toEqual([{ dealer: 2, reason: expect.stringContaining('complaint by 3 upheld') }]);

    const one = finalizeDkg(dkg.secrets[0], dkg.roster, dealings, [complaint]);
    const three = finalizeDkg(dkg.secrets[2], dkg.roster, dealings, [complaint]);
    expect(one.publicKey.publicKey).toEqual(three.publicKey.publicKey);
    expect(one.publicKey.publicKey).toEqual(addPoints(dkg.dealings[0].commitments[0], dkg.dealings[2].commitments[0]));
    expect([...one.publicKey.verificationKeys.keys()]).toEqual([1, 3]);
    expect(() => finalizeDkg(dkg.secrets[1], dkg.roster, dealings, [complaint])).toThrow(expect.objectContaining({ field: 'participant 2', rule: 'qualified' }));
    // Without the complaint, participant 3 cannot finalize: it is told to publish it.
    expect(() => finalizeDkg(dkg.secrets[2], dkg.roster, dealings, [])).toThrow(expect.objectContaining({ field: 'dealing 2', rule: 'share-valid' }));
  });

  it('upholds a complaint about a box that does not open', () => {
    const honest = dkg.dealings[0];
    const box = honest.shares[1].box;
    const tampered: Dealing = {
      ...honest,
      shares: honest.shares.map((s) => (s.recipient === 2 ? { ...s, box: (box[0] === '0' ? '1' : '0') + box.slice(1) } : s)),
    };
    const { complaints } = receiveDealings(dkg.secrets[1], dkg.roster, [tampered, dkg.dealings[1], dkg.dealings[2]]);
    expect(complaints).toEqual([expect.objectContaining({ dealer: 1, complainer: 2, reason: 'undecryptable' })]);
    expect(judgeComplaint(complaints[0], dkg.roster, tampered).upheld).toBe(true);
  });

  it('dismisses a false complaint with genuine evidence, and complaints with evidence that does not hold', () => {
    // Participant 1 complains about dealer 3, whose share for 1 is fine, revealing the true ECDH point
    // with a valid proof (the transcript laid out by hand, as docs/escrow.md gives it).
    const honest = dkg.dealings[2];
    const box = honest.shares.find((s) => s.recipient === 1)!;
    const t1 = dkg.secrets[0].transportSecret;
    const sharedPoint = multiply(box.ephemeralKey, t1);
    const statement = {
      tag: 'zkkyc/escrow/dkg-complaint/v1',
      context: Buffer.concat([Buffer.from(dkg.roster.dkgId, 'hex'), uint32(3), uint32(1)]),
      G1: BASE8,
      H1: dkg.roster.transportKeys[0],
      G2: box.ephemeralKey,
      H2: sharedPoint,
    };
    const falseComplaint: Complaint = { dkgId: dkg.roster.dkgId, dealer: 3, complainer: 1, reason: 'share-mismatch', sharedPoint, proof: proveEqualLogs(statement, t1) };
    expect(judgeComplaint(falseComplaint, dkg.roster, honest)).toEqual({ upheld: false, reason: 'the share is correct' });

    // A genuine complaint about another box (a lying version of dealing 3) says nothing about this one.
    const liar = withBadShare(dkg, 3, 1, 1n);
    const [aboutLiar] = receiveDealings(dkg.secrets[0], dkg.roster, [liar]).complaints;
    expect(judgeComplaint(aboutLiar, dkg.roster, liar).upheld).toBe(true);
    expect(judgeComplaint(aboutLiar, dkg.roster, honest)).toEqual({ upheld: false, reason: 'has evidence whose proof fails' });
    // Forged evidence: a made-up shared point.
    const forged: Complaint = { ...aboutLiar, sharedPoint: multiplyBase(99n) };
    expect(judgeComplaint(forged, dkg.roster, liar)).toEqual({ upheld: false, reason: 'has evidence whose proof fails' });
    expect(qualifiedDealers(dkg.roster, dkg.dealings, [falseComplaint, aboutLiar, forged]).qualified).toEqual([1, 2, 3]);
  });

  it('disqualifies a missing or malformed dealing without a complaint, and needs at least k qualified', () => {
    const short: Dealing = { ...dkg.dealings[1], commitments: dkg.dealings[1].commitments.slice(0, 1) };
    const { qualified, disqualified } = qualifiedDealers(dkg.roster, [dkg.dealings[0], short], []);
    expect(qualified).toEqual([1]);
    expect(disqualified).toEqual([
      { dealer: 2, reason: expect.stringContaining('has 1 commitments, need k = 2') },
      { dealer: 3, reason: 'published no dealing' },
    ]);
    expect(() => thresholdPublicKey(dkg.roster, [dkg.dealings[0], short], [])).toThrow(expect.objectContaining({ field: 'qualified', rule: 'at-least-k' }));
    const twice = qualifiedDealers(dkg.roster, [...dkg.dealings, deal(dkg.secrets[0], dkg.roster)], []);
    expect(twice.disqualified).toEqual([{ dealer: 1, reason: 'published more than one dealing' }]);
  });

  it('checks the roster and the participant state', () => {
    const a = [1, 2, 3].map((i) => startDkg(i, 3, 2));
    const ann = a.map((x) => x.announcement);
    expect(() => rosterOf(ann.slice(0, 2))).toThrow(expect.objectContaining({ field: 'announcements', rule: 'complete' }));
    expect(() => rosterOf([ann[0], ann[1], ann[1]])).toThrow(expect.objectContaining({ rule: 'unique-index' }));
    expect(() => rosterOf([ann[0], ann[1], { ...ann[2], k: 3 }])).toThrow(expect.objectContaining({ rule: 'same-parameters' }));
    expect(() => rosterOf([ann[0], ann[1], { ...ann[2], transportKey: ann[0].transportKey }])).toThrow(expect.objectContaining({ rule: 'distinct-transport-keys' }));
    expect(rosterOf([ann[2], ann[0], ann[1]]).dkgId).toBe(rosterOf(ann).dkgId);
    expect(() => startDkg(1, 3, 1)).toThrow(expect.objectContaining({ field: 'k', rule: 'threshold' }));
    expect(() => startDkg(4, 3, 2)).toThrow(expect.objectContaining({ field: 'index' }));
    expect(() => startDkg(1, 1, 1)).toThrow(expect.objectContaining({ field: 'n' }));
    // Someone else's state against this roster.
    expect(() => deal(dkg.secrets[0], rosterOf(ann))).toThrow(expect.objectContaining({ field: 'state', rule: 'own-announcement' }));
  });
});
