import { EscrowError } from './errors.js';
import type { ThresholdPublicKey } from './dkg.js';
import { addPoints, assertSubgroupPoint, IDENTITY, multiply, type Point } from './group.js';
import { assertCiphertext, leafIndexFromSharedPoint, type Ciphertext } from './leaf-index-encryption.js';
import { assertRequestReference, verifyPartialDecryption, type PartialDecryption } from './partial-decryption.js';
import { lagrangeCoefficientsAtZero } from './shamir.js';

/**
 * Combining k partial decryptions into the leaf index, without anyone holding the escrow secret.
 *
 * Each valid partial is `d_j = s_j·R` where `s_j = f(j)` for the (implicit) polynomial `f` with
 * `f(0) = e`. For any set S of k members, Lagrange interpolation in the exponent gives
 *
 *     K = Σ_{j∈S} λ_j·d_j = (Σ λ_j·s_j)·R = e·R = r·E
 *
 * and the leaf index is `c − Poseidon(K.x, K.y) mod p`. Any k valid partials give the same `K`;
 * k − 1 give an unrelated point, and the "leaf index" it yields is a random field element, refused
 * as not below 2^32. The combiner needs no secret: it checks every partial's proof against the
 * member's verification key `P_j` and uses only those that hold.
 */

/** Why a partial was not used, by auditor index. */
export interface RejectedPartial {
  index: number;
  /** `not-a-member`, `duplicate`, `request`, `proof`. */
  rule: string;
  reason: string;
}

export interface CombineResult {
  leafIndex: number;
  /** `K = r·E`. */
  sharedPoint: Point;
  /** The k auditors whose partials were interpolated, ascending. */
  used: number[];
  /** Partials handed in but refused, each naming its auditor. */
  rejected: RejectedPartial[];
  /** Members who handed in nothing. */
  missing: number[];
}

/**
 * Checks every partial and combines `k` valid ones (the lowest indices) into the leaf index.
 *
 * Refused, each named by auditor index in `rejected`: a partial from an index that is not a member
 * of the key (outside 1..n, or disqualified in the DKG), more than one partial from the same index
 * (all of them), a partial made for another request, a partial whose proof fails against `P_j`.
 * Throws an EscrowError (field `partials`, rule `at-least-k`) naming every rejected and missing
 * auditor when fewer than k valid partials remain; and `ciphertext is not for this key (or
 * corrupted)` when the combined point does not decrypt to a leaf index.
 *
 * `k` is how many partials to interpolate: at least the key's threshold (more changes nothing).
 */
export function combine(partials: readonly PartialDecryption[], k: number, publicInfo: ThresholdPublicKey, ciphertext: Ciphertext, request: string): CombineResult {
  assertCiphertext(ciphertext);
  assertRequestReference(request);
  assertSubgroupPoint(publicInfo.publicKey, 'E');
  if (!Number.isInteger(k) || k < publicInfo.k || k > publicInfo.qualified.length) {
    throw new EscrowError('k', 'threshold', `must be an integer from the key's threshold ${publicInfo.k} to its ${publicInfo.qualified.length} members`);
  }
  const members = new Set(publicInfo.qualified);
  const count = new Map<number, number>();
  for (const p of partials) count.set(p.index, (count.get(p.index) ?? 0) + 1);

  const rejected: RejectedPartial[] = [];
  const valid: PartialDecryption[] = [];
  const seenDuplicate = new Set<number>();
  for (const p of partials) {
    if (!members.has(p.index)) {
      const why = Number.isInteger(p.index) && p.index >= 1 && p.index <= publicInfo.n ? 'was disqualified in the DKG' : `is outside 1..${publicInfo.n}`;
      rejected.push({ index: p.index, rule: 'not-a-member', reason: `auditor ${p.index} is not a member of this key: it ${why}` });
    } else if (count.get(p.index)! > 1) {
      if (!seenDuplicate.has(p.index)) rejected.push({ index: p.index, rule: 'duplicate', reason: `auditor ${p.index} handed in ${count.get(p.index)} partials` });
      seenDuplicate.add(p.index);
    } else if (p.request !== request) {
      rejected.push({ index: p.index, rule: 'request', reason: `auditor ${p.index}'s partial was made for request "${p.request}", not "${request}"` });
    } else if (!verifyPartialDecryption(p, publicInfo.publicKey, publicInfo.verificationKeys.get(p.index)!, ciphertext, request)) {
      rejected.push({ index: p.index, rule: 'proof', reason: `auditor ${p.index}'s partial decryption proof fails` });
    } else {
      valid.push(p);
    }
  }
  const missing = publicInfo.qualified.filter((j) => !count.has(j));
  if (valid.length < k) {
    const parts = [...rejected.map((r) => r.reason), ...(missing.length ? [`no partial from auditor${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`] : [])];
    throw new EscrowError('partials', 'at-least-k', `give ${valid.length} valid, need ${k}${parts.length ? `: ${parts.join('; ')}` : ''}`);
  }

  const chosen = valid.sort((a, b) => a.index - b.index).slice(0, k);
  const sharedPoint = interpolateSharedPoint(chosen);
  return { leafIndex: leafIndexFromSharedPoint(sharedPoint, ciphertext), sharedPoint, used: chosen.map((p) => p.index), rejected, missing };
}

/** `Σ λ_j·d_j` over the given partials (no checks: {@link combine} verifies them first). */
export function interpolateSharedPoint(partials: readonly Pick<PartialDecryption, 'index' | 'd'>[]): Point {
  const lambdas = lagrangeCoefficientsAtZero(partials.map((p) => p.index));
  return partials.reduce<Point>((acc, p, i) => addPoints(acc, multiply(p.d, lambdas[i])), IDENTITY);
}
