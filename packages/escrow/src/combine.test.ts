import { combine, interpolateSharedPoint } from './combine.js';
import { runHonestDkg, subsets, type HonestDkg } from './dkg.fixture.js';
import { finalizeDkg } from './dkg.js';
import { EscrowError } from './errors.js';
import { multiply, multiplyBase, pointsEqual } from './group.js';
import { encryptLeafIndex, leafIndexFromSharedPoint, type Ciphertext } from './leaf-index-encryption.js';
import { createPartialDecryption, verifyPartialDecryption, type PartialDecryption } from './partial-decryption.js';
import { generateSingleKey } from './single-key.js';

const REQUEST = 'disclosure-request/2026-0001';

function partialsFor(dkg: HonestDkg, ciphertext: Ciphertext, request = REQUEST): PartialDecryption[] {
  return dkg.shares.map((share) => createPartialDecryption(share, ciphertext, request));
}

describe('threshold decryption, 2-of-3', () => {
  let dkg: HonestDkg;
  let ciphertext: Ciphertext;
  let partials: PartialDecryption[];
  beforeAll(() => {
    dkg = runHonestDkg(3, 2);
    ciphertext = encryptLeafIndex(dkg.publicKey.publicKey, 314159).ciphertext;
    partials = partialsFor(dkg, ciphertext);
  });

  it('round-trips with any 2 of the 3 auditors, all giving the same K = r·E', () => {
    const results = subsets(partials, 2).map((set) => combine(set, 2, dkg.publicKey, ciphertext, REQUEST));
    for (const result of results) {
      expect(result.leafIndex).toBe(314159);
      expect(result.sharedPoint).toEqual(results[0].sharedPoint);
      expect(result.rejected).toEqual([]);
    }
    expect(results.map((r) => r.used)).toEqual([
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
    expect(results.map((r) => r.missing)).toEqual([[3], [2], [1]]);
    const all = combine(partials, 2, dkg.publicKey, ciphertext, REQUEST);
    expect(all).toMatchObject({ leafIndex: 314159, used: [1, 2], missing: [] });
  });

  it('cannot decrypt with k − 1 partials: combine refuses, and interpolating one gives an unusable point', () => {
    const K = interpolateSharedPoint(partials.slice(0, 2));
    for (const one of partials) {
      expect(() => combine([one], 2, dkg.publicKey, ciphertext, REQUEST)).toThrow(expect.objectContaining({ field: 'partials', rule: 'at-least-k' }));
      const wrongK = interpolateSharedPoint([one]);
      expect(pointsEqual(wrongK, K)).toBe(false);
      expect(() => leafIndexFromSharedPoint(wrongK, ciphertext)).toThrow('ciphertext is not for this key (or corrupted)');
    }
    expect(() => combine([partials[0]], 1, dkg.publicKey, ciphertext, REQUEST)).toThrow(expect.objectContaining({ field: 'k', rule: 'threshold' }));
  });

  it('names each partial whose proof fails, and still decrypts with k good ones', () => {
    const wrongD = { ...partials[1], d: multiply(partials[1].d, 2n) };
    const wrongProof = { ...partials[2], proof: { ...partials[2].proof, response: (partials[2].proof.response + 1n) % 2n ** 250n } };
    expect(verifyPartialDecryption(wrongD, dkg.publicKey.publicKey, dkg.publicKey.verificationKeys.get(2)!, ciphertext, REQUEST)).toBe(false);
    expect(() => combine([partials[0], wrongD, wrongProof], 2, dkg.publicKey, ciphertext, REQUEST)).toThrow(
      "partials give 1 valid, need 2: auditor 2's partial decryption proof fails; auditor 3's partial decryption proof fails",
    );
    const result = combine([wrongD, partials[0], partials[2]], 2, dkg.publicKey, ciphertext, REQUEST);
    expect(result).toMatchObject({ leafIndex: 314159, used: [1, 3], missing: [] });
    expect(result.rejected).toEqual([{ index: 2, rule: 'proof', reason: "auditor 2's partial decryption proof fails" }]);
  });

  it('refuses partials from non-members and duplicates, naming the auditor', () => {
    const outsider = { ...partials[0], index: 9 };
    const result = combine([outsider, partials[0], partials[0], partials[1], partials[2]], 2, dkg.publicKey, ciphertext, REQUEST);
    expect(result.used).toEqual([2, 3]);
    expect(result.rejected).toEqual([
      { index: 9, rule: 'not-a-member', reason: 'auditor 9 is not a member of this key: it is outside 1..3' },
      { index: 1, rule: 'duplicate', reason: 'auditor 1 handed in 2 partials' },
    ]);
    expect(() => combine([outsider, partials[1]], 2, dkg.publicKey, ciphertext, REQUEST)).toThrow(/auditor 9 is not a member.*no partial from auditors 1, 3/);
  });

  it('refuses a partial made for request A when combining for request B', () => {
    const forB = 'disclosure-request/2026-0002';
    expect(() => combine(partials, 2, dkg.publicKey, ciphertext, forB)).toThrow(expect.objectContaining({ rule: 'at-least-k' }));
    // Relabelling the partial does not help: the proof is bound to the request.
    const relabelled = partials.map((p) => ({ ...p, request: forB }));
    expect(verifyPartialDecryption(relabelled[0], dkg.publicKey.publicKey, dkg.publicKey.verificationKeys.get(1)!, ciphertext, forB)).toBe(false);
    let caught: unknown;
    try {
      combine(relabelled, 2, dkg.publicKey, ciphertext, forB);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EscrowError);
    expect((caught as Error).message).toContain("auditor 1's partial decryption proof fails");
    // And partials for B combine fine for B.
    expect(combine(partialsFor(dkg, ciphertext, forB).slice(0, 2), 2, dkg.publicKey, ciphertext, forB).leafIndex).toBe(314159);
  });

  it('refuses a partial made for another ciphertext', () => {
    const other = encryptLeafIndex(dkg.publicKey.publicKey, 1).ciphertext;
    const forOther = partialsFor(dkg, other);
    expect(() => combine(forOther, 2, dkg.publicKey, ciphertext, REQUEST)).toThrow(expect.objectContaining({ rule: 'at-least-k' }));
  });

  it('fails cleanly for a ciphertext made for another key', () => {
    const stranger = generateSingleKey();
    const foreign = encryptLeafIndex(stranger.publicKey, 314159).ciphertext;
    expect(() => combine(partialsFor(dkg, foreign), 2, dkg.publicKey, foreign, REQUEST)).toThrow('ciphertext is not for this key (or corrupted) (rule: decrypts-to-leaf-index)');
  });

  it('requires a request reference', () => {
    expect(() => createPartialDecryption(dkg.shares[0], ciphertext, '')).toThrow(expect.objectContaining({ field: 'request', rule: 'required' }));
    expect(() => createPartialDecryption(dkg.shares[0], ciphertext, 'a\nb')).toThrow(expect.objectContaining({ rule: 'printable' }));
    expect(() => combine(partials, 2, dkg.publicKey, ciphertext, 'x'.repeat(257))).toThrow(expect.objectContaining({ rule: 'length' }));
  });
});

describe('threshold decryption, 3-of-5', () => {
  let dkg: HonestDkg;
  beforeAll(() => {
    dkg = runHonestDkg(5, 3);
  });

  it('round-trips with every 3 of the 5 auditors, to the same shared point', () => {
    const { ciphertext } = encryptLeafIndex(dkg.publicKey.publicKey, 2 ** 32 - 1);
    const partials = partialsFor(dkg, ciphertext);
    // combine checks every proof once; then every 3-subset interpolates to the same K.
    const all = combine(partials, 3, dkg.publicKey, ciphertext, REQUEST);
    expect(all).toMatchObject({ leafIndex: 2 ** 32 - 1, used: [1, 2, 3], rejected: [] });
    const points = subsets(partials, 3).map((set) => interpolateSharedPoint(set));
    expect(points).toHaveLength(10);
    for (const K of points) expect(K).toEqual(all.sharedPoint);
    expect(combine(partials.slice(2), 3, dkg.publicKey, ciphertext, REQUEST)).toMatchObject({ leafIndex: 2 ** 32 - 1, used: [3, 4, 5], missing: [1, 2] });
    // Four partials interpolated together give the same point too (k may exceed the threshold).
    expect(interpolateSharedPoint(partials.slice(1))).toEqual(all.sharedPoint);
    // Two (k − 1) never reach it, and combine refuses them.
    for (const pair of subsets(partials, 2)) expect(pointsEqual(interpolateSharedPoint(pair), all.sharedPoint)).toBe(false);
    expect(() => combine(partials.slice(0, 2), 3, dkg.publicKey, ciphertext, REQUEST)).toThrow('partials give 2 valid, need 3: no partial from auditors 3, 4, 5 (rule: at-least-k)');
  });

  it('refuses a partial from a participant disqualified in the DKG', () => {
    // Dealer 4 published no dealing: the key is made by 1, 2, 3, 5, and 4 is not a member.
    const dealings = dkg.dealings.filter((d) => d.dealer !== 4);
    const finals = [1, 2, 3, 5].map((j) => finalizeDkg(dkg.secrets[j - 1], dkg.roster, dealings, []));
    const publicKey = finals[0].publicKey;
    expect(publicKey.qualified).toEqual([1, 2, 3, 5]);
    const { ciphertext } = encryptLeafIndex(publicKey.publicKey, 77);
    const partials = finals.map((f) => createPartialDecryption(f.keyShare, ciphertext, REQUEST));
    // Participant 4 still holds its transport key and can compute a "share" from the boxes it got;
    // whatever it sends, it is not a member.
    const fromFour = { ...partials[0], index: 4 };
    const result = combine([fromFour, partials[0], partials[1], partials[3]], 3, publicKey, ciphertext, REQUEST);
    expect(result).toMatchObject({ leafIndex: 77, used: [1, 2, 5], missing: [3] });
    expect(result.rejected).toEqual([{ index: 4, rule: 'not-a-member', reason: 'auditor 4 is not a member of this key: it was disqualified in the DKG' }]);
    expect(multiplyBase(finals[3].keyShare.secretShare)).toEqual(publicKey.verificationKeys.get(5));
  });
});
