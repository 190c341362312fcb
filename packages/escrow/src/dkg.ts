import { createHash } from 'node:crypto';
import { proveEqualLogs, verifyEqualLogs, type EqualLogProof, type EqualLogStatement } from './chaum-pedersen.js';
import { EscrowError } from './errors.js';
import { domainTag, pointBytes, uint32 } from './encoding.js';
import { commitToPolynomial, committedSharePoint, shareMatchesCommitments } from './feldman.js';
import { addPoints, assertScalar, assertSubgroupPoint, BASE8, IDENTITY, modOrder, multiplyBase, pointsEqual, randomScalar, type Point } from './group.js';
import { evaluatePolynomial, randomPolynomial } from './shamir.js';
import { openShareWithSharedPoint, sealShare, sharedPointFor, type SealedShare, type ShareContext } from './share-transport.js';

/**
 * Distributed key generation for a k-of-n escrow key: Pedersen's joint-Feldman protocol.
 *
 * n auditors (indices 1..n) make a key `E` together so that any k of them can decrypt and no k − 1
 * can; the secret `e` with `E = e·Base8` is never assembled anywhere — not during the DKG, not when
 * decrypting. Each participant is a dealer of a random secret of its own; `e` is the sum of the
 * qualified dealers' secrets, and each participant's share of `e` is the sum of what it was dealt.
 *
 *   0. init     — participant i draws a transport key `t_i` and announces `T_i = t_i·Base8` with
 *                 (i, n, k). Everyone derives the same `dkgId` from the n announcements.
 *   1. deal     — dealer i draws `f_i` of degree k − 1, publishes Feldman commitments
 *                 `C_{i,m} = a_{i,m}·Base8` and, for every j in 1..n (itself included), `f_i(j)`
 *                 sealed to `T_j` (share-transport.ts). The polynomial is then forgotten.
 *   2. receive  — participant j opens its box from each dealer and checks it against the dealer's
 *                 commitments. For a box that does not open or a share that fails the check it
 *                 publishes a complaint carrying the evidence (the ECDH point and a Chaum–Pedersen
 *                 proof that it is the right one), so anyone can confirm or dismiss it.
 *   3. finalize — everyone computes the same qualified set QUAL: dealers whose dealing is well-formed
 *                 and against whom no complaint is upheld. Then
 *                     E   = Σ_{i∈QUAL} C_{i,0}
 *                     s_j = Σ_{i∈QUAL} f_i(j)                     (only j can compute this)
 *                     P_j = Σ_{i∈QUAL} Σ_m j^m·C_{i,m} = s_j·Base8 (anyone can compute this)
 *                 Members — the participants allowed to decrypt — are QUAL: a participant whose own
 *                 dealing was faulty is not trusted with disclosures either. QUAL needs ≥ k members.
 *
 * Known limit of joint-Feldman (Gennaro, Jarecki, Krawczyk, Rabin 1999): a dealer who acts last can
 * get itself disqualified or not after seeing the others' commitments, which biases `E` by a few
 * bits. That does not help anyone decrypt; the GJKR variant (Pedersen commitments first) removes it
 * at the cost of another round, and is not done here.
 */

/** At most this many participants: the DKG exchanges n² boxes, and a committee is a handful. */
export const MAX_PARTICIPANTS = 255;

/** What participant `index` publishes first: the committee size, the threshold and its transport key. */
export interface Announcement {
  index: number;
  n: number;
  k: number;
  transportKey: Point;
}

/** What participant `index` keeps secret through the rounds: the transport secret `t`. */
export interface ParticipantSecrets {
  index: number;
  n: number;
  k: number;
  transportSecret: bigint;
}

/** The n announcements, checked and ordered by index, and the id derived from them. */
export interface Roster {
  dkgId: string;
  n: number;
  k: number;
  /** `transportKeys[j − 1]` is `T_j`. */
  transportKeys: Point[];
}

/** What dealer `dealer` publishes: its commitments and one sealed share per participant 1..n. */
export interface Dealing {
  dkgId: string;
  dealer: number;
  commitments: Point[];
  shares: SealedShare[];
}

/**
 * A complaint by `complainer` against `dealer`: the box did not open, or its share failed the Feldman
 * check. `sharedPoint` is the ECDH point `S = t_complainer·Y` that opens the box, and `proof` shows
 * `log_Base8(T_complainer) = log_Y(S)`, so anyone can open the box and see for themselves.
 */
export interface Complaint {
  dkgId: string;
  dealer: number;
  complainer: number;
  reason: 'undecryptable' | 'share-mismatch';
  sharedPoint: Point;
  proof: EqualLogProof;
}

/** The public outcome of a DKG: what a policy, an encryptor and a combiner need. */
export interface ThresholdPublicKey {
  dkgId: string;
  n: number;
  k: number;
  /** `E`, the escrow public key. */
  publicKey: Point;
  /** QUAL, ascending: the dealers that count and the only auditors whose partials are accepted. */
  qualified: number[];
  /** `P_j = s_j·Base8` for every member j. */
  verificationKeys: Map<number, Point>;
}

/** Participant j's result: its share `s_j` of the escrow secret (secret) and what it belongs to. */
export interface KeyShare {
  dkgId: string;
  index: number;
  n: number;
  k: number;
  /** `s_j`. Secret. */
  secretShare: bigint;
  /** `E`. */
  publicKey: Point;
}

/** Why a dealer is not in QUAL. */
export interface Disqualification {
  dealer: number;
  reason: string;
}

const DKG_ID_TAG = 'zkkyc/escrow/dkg-id/v1';
const COMPLAINT_TAG = 'zkkyc/escrow/dkg-complaint/v1';

/** Throws an EscrowError unless `1 ≤ index ≤ n`, `2 ≤ k ≤ n ≤ MAX_PARTICIPANTS`. */
export function assertDkgParameters(index: number, n: number, k: number): void {
  if (!Number.isInteger(n) || n < 2 || n > MAX_PARTICIPANTS) {
    throw new EscrowError('n', 'committee-size', `must be an integer in [2, ${MAX_PARTICIPANTS}] (one holder: use a single key)`);
  }
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new EscrowError('k', 'threshold', `must be an integer in [2, n = ${n}] (k = 1 would let any one auditor decrypt alone)`);
  }
  if (!Number.isInteger(index) || index < 1 || index > n) throw new EscrowError('index', 'index', `must be an integer in [1, n = ${n}]`);
}

/** Round 0: a fresh transport key for participant `index` of an n-member, threshold-k DKG. */
export function startDkg(index: number, n: number, k: number): { secrets: ParticipantSecrets; announcement: Announcement } {
  assertDkgParameters(index, n, k);
  const transportSecret = randomScalar();
  return {
    secrets: { index, n, k, transportSecret },
    announcement: { index, n, k, transportKey: multiplyBase(transportSecret) },
  };
}

/**
 * Checks the announcements — exactly one for each index 1..n, all agreeing on (n, k), transport keys
 * valid and distinct — and derives the DKG id:
 * `SHA-256("zkkyc/escrow/dkg-id/v1" ‖ 0x00 ‖ n ‖ k ‖ T_1 ‖ … ‖ T_n)` as hex (n, k 4-byte big-endian).
 */
export function rosterOf(announcements: readonly Announcement[]): Roster {
  if (announcements.length === 0) throw new EscrowError('announcements', 'complete', 'are empty');
  const { n, k } = announcements[0];
  assertDkgParameters(1, n, k);
  if (announcements.length !== n) throw new EscrowError('announcements', 'complete', `number ${announcements.length}, need one from each of the n = ${n} participants`);
  const byIndex = new Map<number, Announcement>();
  for (const a of announcements) {
    if (a.n !== n || a.k !== k) throw new EscrowError(`announcement ${a.index}`, 'same-parameters', `says ${a.k}-of-${a.n}, others ${k}-of-${n}`);
    assertDkgParameters(a.index, n, k);
    if (byIndex.has(a.index)) throw new EscrowError(`announcement ${a.index}`, 'unique-index', 'appears twice');
    assertSubgroupPoint(a.transportKey, `announcement ${a.index} transportKey`);
    byIndex.set(a.index, a);
  }
  const transportKeys = Array.from({ length: n }, (_, i) => byIndex.get(i + 1)!.transportKey);
  const seen = new Set(transportKeys.map((T) => `${T[0]},${T[1]}`));
  if (seen.size !== n) throw new EscrowError('announcements', 'distinct-transport-keys', 'reuse a transport key');
  const hash = createHash('sha256').update(domainTag(DKG_ID_TAG)).update(uint32(n)).update(uint32(k));
  for (const T of transportKeys) hash.update(pointBytes(T));
  return { dkgId: hash.digest('hex'), n, k, transportKeys };
}

function assertOwnSecrets(secrets: ParticipantSecrets, roster: Roster): void {
  if (secrets.n !== roster.n || secrets.k !== roster.k) throw new EscrowError('state', 'same-parameters', `is for ${secrets.k}-of-${secrets.n}, the roster is ${roster.k}-of-${roster.n}`);
  assertScalar(secrets.transportSecret, 'transportSecret');
  if (!pointsEqual(multiplyBase(secrets.transportSecret), roster.transportKeys[secrets.index - 1])) {
    throw new EscrowError('state', 'own-announcement', `does not match announcement ${secrets.index}'s transport key`);
  }
}

function shareContext(roster: Roster, dealer: number, recipient: number, commitments: readonly Point[]): ShareContext {
  return { dkgId: roster.dkgId, dealer, recipient, commitments };
}

/**
 * Round 1: participant `secrets.index` deals. Draws a random polynomial of degree k − 1, commits to it
 * and seals `f(j)` to each participant j (itself included). The polynomial goes out of scope here:
 * nothing of it is kept but what the dealing publishes.
 */
export function deal(secrets: ParticipantSecrets, roster: Roster): Dealing {
  assertOwnSecrets(secrets, roster);
  const coefficients = randomPolynomial(roster.k - 1);
  const commitments = commitToPolynomial(coefficients);
  const shares = roster.transportKeys.map((T, i) => sealShare(evaluatePolynomial(coefficients, BigInt(i + 1)), T, shareContext(roster, secrets.index, i + 1, commitments)));
  return { dkgId: roster.dkgId, dealer: secrets.index, commitments, shares };
}

/**
 * A dealing's faults that anyone can see without a complaint, or `undefined` if it has none: another
 * DKG's id, a dealer index outside 1..n, not exactly k commitments, invalid points, not exactly one
 * box for each participant 1..n.
 */
export function publicFaultOf(dealing: Dealing, roster: Roster): string | undefined {
  if (dealing.dkgId !== roster.dkgId) return 'is for another DKG (dkgId differs)';
  if (!Number.isInteger(dealing.dealer) || dealing.dealer < 1 || dealing.dealer > roster.n) return `has dealer index ${dealing.dealer} outside [1, ${roster.n}]`;
  if (!Array.isArray(dealing.commitments) || dealing.commitments.length !== roster.k) return `has ${dealing.commitments?.length} commitments, need k = ${roster.k}`;
  try {
    dealing.commitments.forEach((C, m) => assertSubgroupPoint(C, `C_${m}`));
    dealing.shares.forEach((s) => assertSubgroupPoint(s.ephemeralKey, `box ${s.recipient} ephemeralKey`));
  } catch (error) {
    return `has an invalid point: ${(error as Error).message}`;
  }
  const recipients = dealing.shares.map((s) => s.recipient);
  const expected = Array.from({ length: roster.n }, (_, i) => i + 1);
  if (recipients.length !== roster.n || !expected.every((j) => recipients.filter((r) => r === j).length === 1)) {
    return `does not have exactly one box for each participant 1..${roster.n}`;
  }
  return undefined;
}

function boxFor(dealing: Dealing, recipient: number): SealedShare {
  return dealing.shares.find((s) => s.recipient === recipient)!;
}

function complaintStatement(roster: Roster, dealer: number, complainer: number, ephemeralKey: Point, sharedPoint: Point): EqualLogStatement {
  return {
    tag: COMPLAINT_TAG,
    context: Buffer.concat([Buffer.from(roster.dkgId, 'hex'), uint32(dealer), uint32(complainer)]),
    G1: BASE8,
    H1: roster.transportKeys[complainer - 1],
    G2: ephemeralKey,
    H2: sharedPoint,
  };
}

/** What participant j learns from a dealing in round 2: its share, or a complaint against the dealer. */
export type ReceivedShare = { dealer: number; share: bigint } | { dealer: number; complaint: Complaint };

/** Opens and Feldman-checks participant j's box in one well-formed dealing. */
export function receiveShare(secrets: ParticipantSecrets, roster: Roster, dealing: Dealing): ReceivedShare {
  assertOwnSecrets(secrets, roster);
  const fault = publicFaultOf(dealing, roster);
  if (fault) throw new EscrowError(`dealing ${dealing.dealer}`, 'well-formed', fault);
  const j = secrets.index;
  const sealed = boxFor(dealing, j);
  const context = shareContext(roster, dealing.dealer, j, dealing.commitments);
  const sharedPoint = sharedPointFor(secrets.transportSecret, sealed);
  let reason: Complaint['reason'];
  try {
    const share = openShareWithSharedPoint(sharedPoint, sealed, context);
    if (shareMatchesCommitments(share, j, dealing.commitments)) return { dealer: dealing.dealer, share };
    reason = 'share-mismatch';
  } catch (error) {
    if (!(error instanceof EscrowError)) throw error;
    reason = 'undecryptable';
  }
  const statement = complaintStatement(roster, dealing.dealer, j, sealed.ephemeralKey, sharedPoint);
  const proof = proveEqualLogs(statement, secrets.transportSecret);
  return { dealer: dealing.dealer, complaint: { dkgId: roster.dkgId, dealer: dealing.dealer, complainer: j, reason, sharedPoint, proof } };
}

/**
 * Round 2 for participant j: its share from every well-formed dealing, and a complaint for each
 * dealing whose box does not open or whose share fails the Feldman check. Dealings with a public
 * fault need no complaint (everyone disqualifies them); they are listed in `faulty`.
 */
export function receiveDealings(secrets: ParticipantSecrets, roster: Roster, dealings: readonly Dealing[]): { shares: Map<number, bigint>; complaints: Complaint[]; faulty: Disqualification[] } {
  const shares = new Map<number, bigint>();
  const complaints: Complaint[] = [];
  const faulty: Disqualification[] = [];
  for (const dealing of dealings) {
    const fault = publicFaultOf(dealing, roster);
    if (fault) {
      faulty.push({ dealer: dealing.dealer, reason: fault });
      continue;
    }
    const received = receiveShare(secrets, roster, dealing);
    if ('share' in received) shares.set(received.dealer, received.share);
    else complaints.push(received.complaint);
  }
  return { shares, complaints, faulty };
}

/**
 * Judges a complaint against `dealing` from public data only. Upheld when the evidence is genuine
 * (the Chaum–Pedersen proof holds) and the box really does not open, or opens to a share that fails
 * the Feldman check. Dismissed — the dealer stays — when the evidence is wrong or the share is good.
 */
export function judgeComplaint(complaint: Complaint, roster: Roster, dealing: Dealing): { upheld: boolean; reason: string } {
  const { dealer, complainer } = complaint;
  if (complaint.dkgId !== roster.dkgId) return { upheld: false, reason: 'is for another DKG' };
  if (!Number.isInteger(complainer) || complainer < 1 || complainer > roster.n) return { upheld: false, reason: `comes from ${complainer}, not a participant` };
  if (dealing.dealer !== dealer) return { upheld: false, reason: 'names another dealing' };
  const fault = publicFaultOf(dealing, roster);
  if (fault) return { upheld: true, reason: `the dealing ${fault}` };
  try {
    assertSubgroupPoint(complaint.sharedPoint, 'sharedPoint');
  } catch {
    return { upheld: false, reason: 'has an invalid shared point' };
  }
  const sealed = boxFor(dealing, complainer);
  if (!verifyEqualLogs(complaintStatement(roster, dealer, complainer, sealed.ephemeralKey, complaint.sharedPoint), complaint.proof)) {
    return { upheld: false, reason: 'has evidence whose proof fails' };
  }
  let share: bigint;
  try {
    share = openShareWithSharedPoint(complaint.sharedPoint, sealed, shareContext(roster, dealer, complainer, dealing.commitments));
  } catch {
    return { upheld: true, reason: `box for participant ${complainer} does not open` };
  }
  if (!shareMatchesCommitments(share, complainer, dealing.commitments)) {
    return { upheld: true, reason: `share for participant ${complainer} fails the Feldman check` };
  }
  return { upheld: false, reason: 'the share is correct' };
}

/**
 * QUAL: the dealers with exactly one well-formed dealing and no upheld complaint, ascending; and why
 * each other participant is out. Depends on public data only, so every participant computes the same.
 */
export function qualifiedDealers(roster: Roster, dealings: readonly Dealing[], complaints: readonly Complaint[]): { qualified: number[]; disqualified: Disqualification[] } {
  const disqualified: Disqualification[] = [];
  const qualified: number[] = [];
  for (let i = 1; i <= roster.n; i += 1) {
    const own = dealings.filter((d) => d.dealer === i);
    if (own.length === 0) {
      disqualified.push({ dealer: i, reason: 'published no dealing' });
      continue;
    }
    if (own.length > 1) {
      disqualified.push({ dealer: i, reason: 'published more than one dealing' });
      continue;
    }
    const fault = publicFaultOf(own[0], roster);
    if (fault) {
      disqualified.push({ dealer: i, reason: `dealing ${fault}` });
      continue;
    }
    const upheld = complaints
      .filter((c) => c.dealer === i)
      .map((c) => ({ c, verdict: judgeComplaint(c, roster, own[0]) }))
      .find((x) => x.verdict.upheld);
    if (upheld) {
      disqualified.push({ dealer: i, reason: `complaint by ${upheld.c.complainer} upheld: ${upheld.verdict.reason}` });
      continue;
    }
    qualified.push(i);
  }
  return { qualified, disqualified };
}

/**
 * The public outcome, computable by anyone from the announcements, dealings and complaints:
 * `E = Σ_{i∈QUAL} C_{i,0}` and `P_j` for each member. Throws an EscrowError if QUAL has fewer than k
 * members (the key could not be used, and fewer honest dealers than assumed took part).
 */
export function thresholdPublicKey(roster: Roster, dealings: readonly Dealing[], complaints: readonly Complaint[]): ThresholdPublicKey {
  const { qualified, disqualified } = qualifiedDealers(roster, dealings, complaints);
  if (qualified.length < roster.k) {
    const why = disqualified.map((d) => `${d.dealer}: ${d.reason}`).join('; ');
    throw new EscrowError('qualified', 'at-least-k', `has ${qualified.length} dealers, need k = ${roster.k} (${why})`);
  }
  const qualDealings = qualified.map((i) => dealings.find((d) => d.dealer === i)!);
  const publicKey = qualDealings.reduce<Point>((acc, d) => addPoints(acc, d.commitments[0]), IDENTITY);
  assertSubgroupPoint(publicKey, 'E');
  // Σ_i Σ_m j^m·C_{i,m} = Σ_m j^m·(Σ_i C_{i,m}): sum the commitments first, then evaluate once per member.
  const summed = Array.from({ length: roster.k }, (_, m) => qualDealings.reduce<Point>((acc, d) => addPoints(acc, d.commitments[m]), IDENTITY));
  const verificationKeys = new Map<number, Point>();
  for (const j of qualified) verificationKeys.set(j, committedSharePoint(summed, j));
  return { dkgId: roster.dkgId, n: roster.n, k: roster.k, publicKey, qualified, verificationKeys };
}

/**
 * Round 3 for participant j: `s_j = Σ_{i∈QUAL} f_i(j)` from its own boxes, checked against `P_j`,
 * and the public outcome. Throws an EscrowError if j is not in QUAL, or if a qualified dealer's box
 * for j does not open or check out (then j should have complained in round 2).
 */
export function finalizeDkg(secrets: ParticipantSecrets, roster: Roster, dealings: readonly Dealing[], complaints: readonly Complaint[]): { keyShare: KeyShare; publicKey: ThresholdPublicKey } {
  assertOwnSecrets(secrets, roster);
  const outcome = thresholdPublicKey(roster, dealings, complaints);
  const j = secrets.index;
  if (!outcome.qualified.includes(j)) {
    const { disqualified } = qualifiedDealers(roster, dealings, complaints);
    const why = disqualified.find((d) => d.dealer === j)?.reason ?? 'not qualified';
    throw new EscrowError(`participant ${j}`, 'qualified', `is not a member of the key: its dealing ${why}`);
  }
  let secretShare = 0n;
  for (const i of outcome.qualified) {
    const received = receiveShare(
      secrets,
      roster,
      dealings.find((d) => d.dealer === i)!,
    );
    if (!('share' in received)) {
      throw new EscrowError(`dealing ${i}`, 'share-valid', `gives participant ${j} a bad share but no complaint was upheld: publish the complaint and finalize again`);
    }
    secretShare = modOrder(secretShare + received.share);
  }
  if (!pointsEqual(multiplyBase(secretShare), outcome.verificationKeys.get(j)!)) {
    throw new EscrowError('secretShare', 'matches-verification-key', `of participant ${j} does not match P_${j}`);
  }
  return {
    keyShare: { dkgId: roster.dkgId, index: j, n: roster.n, k: roster.k, secretShare, publicKey: outcome.publicKey },
    publicKey: outcome,
  };
}
