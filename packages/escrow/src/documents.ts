import type { EqualLogProof } from './chaum-pedersen.js';
import type { DisclosureLogEntry } from './disclosure-log.js';
import type { Announcement, Complaint, Dealing, KeyShare, ParticipantSecrets, ThresholdPublicKey } from './dkg.js';
import { MAX_PARTICIPANTS } from './dkg.js';
import { EscrowError } from './errors.js';
import { decodeFieldElement, decodeIndex, decodeInteger, decodePoint, decodeScalar, encodeInteger, encodePoint } from './encoding.js';
import { SUBGROUP_ORDER, type Point } from './group.js';
import type { Ciphertext } from './leaf-index-encryption.js';
import type { PartialDecryption } from './partial-decryption.js';
import type { SealedShare } from './share-transport.js';

/**
 * The JSON documents the escrow parties exchange and keep — one codec per document. Every document
 * has `kind` (what it is) and `version` (1); numbers are canonical decimal strings and points
 * `["x", "y"]` (encoding.ts). Decoding checks everything again — points in the subgroup, scalars in
 * range, indices in the committee — so a file from someone else can never smuggle in a bad value.
 *
 * Secret-bearing documents (a single secret key, DKG state, key share) are written with mode 0600
 * by the CLI (json-files.ts).
 */

export const DOCUMENT_VERSION = 1;

type Json = Record<string, unknown>;

function expectDocument(value: unknown, kind: string, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EscrowError(field, 'document', 'must be a JSON object');
  const doc = value as Json;
  if (doc.kind !== kind) throw new EscrowError(field, 'kind', `must be a "${kind}" document, got ${JSON.stringify(doc.kind)}`);
  if (doc.version !== DOCUMENT_VERSION) throw new EscrowError(field, 'version', `must have version ${DOCUMENT_VERSION}`);
  return doc;
}

function decodeDkgId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) throw new EscrowError(field, 'dkg-id', 'must be 64 lowercase hex characters');
  return value;
}

function decodeCount(value: unknown, field: string): number {
  return decodeIndex(value, field, MAX_PARTICIPANTS);
}

function decodeProof(value: unknown, field: string): EqualLogProof {
  const p = (value ?? {}) as Json;
  const challenge = decodeInteger(p.challenge, `${field}.challenge`);
  const response = decodeInteger(p.response, `${field}.response`);
  if (challenge >= SUBGROUP_ORDER || response >= SUBGROUP_ORDER) throw new EscrowError(field, 'proof', 'has a scalar not below l');
  return { challenge, response };
}

const encodeProof = (p: EqualLogProof) => ({ challenge: encodeInteger(p.challenge), response: encodeInteger(p.response) });

// ── ciphertext ─────────────────────────────────────────────────────────────────────────────────

export function encodeCiphertext(ct: Ciphertext): Json {
  return { kind: 'zkkyc-escrow-ciphertext', version: DOCUMENT_VERSION, R: encodePoint(ct.R), c: encodeInteger(ct.c) };
}

export function decodeCiphertext(value: unknown, field = 'ciphertext'): Ciphertext {
  const doc = expectDocument(value, 'zkkyc-escrow-ciphertext', field);
  return { R: decodePoint(doc.R, 'R'), c: decodeFieldElement(doc.c, 'c') };
}

// ── keys ───────────────────────────────────────────────────────────────────────────────────────

/** A public key document: a single holder's `E`, or a DKG's public outcome. */
export type EscrowPublicKey = { mode: 'single'; publicKey: Point } | ({ mode: 'threshold' } & ThresholdPublicKey);

export function encodePublicKey(key: EscrowPublicKey): Json {
  const head = { kind: 'zkkyc-escrow-public-key', version: DOCUMENT_VERSION, mode: key.mode };
  if (key.mode === 'single') return { ...head, publicKey: encodePoint(key.publicKey) };
  const verificationKeys: Record<string, [string, string]> = {};
  for (const j of key.qualified) verificationKeys[String(j)] = encodePoint(key.verificationKeys.get(j)!);
  return { ...head, dkgId: key.dkgId, n: key.n, k: key.k, publicKey: encodePoint(key.publicKey), qualified: key.qualified, verificationKeys };
}

export function decodePublicKey(value: unknown, field = 'publicKey'): EscrowPublicKey {
  const doc = expectDocument(value, 'zkkyc-escrow-public-key', field);
  const publicKey = decodePoint(doc.publicKey, 'E');
  if (doc.mode === 'single') return { mode: 'single', publicKey };
  if (doc.mode !== 'threshold') throw new EscrowError(`${field}.mode`, 'mode', 'must be "single" or "threshold"');
  const n = decodeCount(doc.n, 'n');
  const k = decodeIndex(doc.k, 'k', n);
  if (!Array.isArray(doc.qualified)) throw new EscrowError('qualified', 'list', 'must be a list of member indices');
  const qualified = doc.qualified.map((j, i) => decodeIndex(j, `qualified[${i}]`, n));
  if (new Set(qualified).size !== qualified.length || qualified.some((j, i) => i > 0 && j <= qualified[i - 1])) {
    throw new EscrowError('qualified', 'ascending', 'must be distinct indices in ascending order');
  }
  if (qualified.length < k) throw new EscrowError('qualified', 'at-least-k', `has ${qualified.length} members, need k = ${k}`);
  const vks = (doc.verificationKeys ?? {}) as Json;
  const verificationKeys = new Map<number, Point>();
  for (const j of qualified) verificationKeys.set(j, decodePoint(vks[String(j)], `P_${j}`));
  return { mode: 'threshold', dkgId: decodeDkgId(doc.dkgId, 'dkgId'), n, k, publicKey, qualified, verificationKeys };
}

/** A single holder's secret key `e` with its `E`. Secret. */
export function encodeSecretKey(secretKey: bigint, publicKey: Point): Json {
  return { kind: 'zkkyc-escrow-secret-key', version: DOCUMENT_VERSION, secretKey: encodeInteger(secretKey), publicKey: encodePoint(publicKey) };
}

export function decodeSecretKey(value: unknown, field = 'secretKey'): { secretKey: bigint; publicKey: Point } {
  const doc = expectDocument(value, 'zkkyc-escrow-secret-key', field);
  return { secretKey: decodeScalar(doc.secretKey, 'e'), publicKey: decodePoint(doc.publicKey, 'E') };
}

export function encodeKeyShare(share: KeyShare): Json {
  return {
    kind: 'zkkyc-escrow-key-share',
    version: DOCUMENT_VERSION,
    dkgId: share.dkgId,
    index: share.index,
    n: share.n,
    k: share.k,
    secretShare: encodeInteger(share.secretShare),
    publicKey: encodePoint(share.publicKey),
  };
}

export function decodeKeyShare(value: unknown, field = 'share'): KeyShare {
  const doc = expectDocument(value, 'zkkyc-escrow-key-share', field);
  const n = decodeCount(doc.n, 'n');
  return {
    dkgId: decodeDkgId(doc.dkgId, 'dkgId'),
    index: decodeIndex(doc.index, 'index', n),
    n,
    k: decodeIndex(doc.k, 'k', n),
    secretShare: decodeScalar(doc.secretShare, 'secretShare'),
    publicKey: decodePoint(doc.publicKey, 'E'),
  };
}

// ── DKG messages ───────────────────────────────────────────────────────────────────────────────

export function encodeDkgState(secrets: ParticipantSecrets): Json {
  return { kind: 'zkkyc-escrow-dkg-state', version: DOCUMENT_VERSION, index: secrets.index, n: secrets.n, k: secrets.k, transportSecret: encodeInteger(secrets.transportSecret) };
}

export function decodeDkgState(value: unknown, field = 'state'): ParticipantSecrets {
  const doc = expectDocument(value, 'zkkyc-escrow-dkg-state', field);
  const n = decodeCount(doc.n, 'n');
  return { index: decodeIndex(doc.index, 'index', n), n, k: decodeIndex(doc.k, 'k', n), transportSecret: decodeScalar(doc.transportSecret, 'transportSecret') };
}

export function encodeAnnouncement(a: Announcement): Json {
  return { kind: 'zkkyc-escrow-dkg-announcement', version: DOCUMENT_VERSION, index: a.index, n: a.n, k: a.k, transportKey: encodePoint(a.transportKey) };
}

export function decodeAnnouncement(value: unknown, field = 'announcement'): Announcement {
  const doc = expectDocument(value, 'zkkyc-escrow-dkg-announcement', field);
  const n = decodeCount(doc.n, `${field}.n`);
  return {
    index: decodeIndex(doc.index, `${field}.index`, n),
    n,
    k: decodeIndex(doc.k, `${field}.k`, n),
    transportKey: decodePoint(doc.transportKey, `${field}.transportKey`),
  };
}

const encodeSealed = (s: SealedShare) => ({ recipient: s.recipient, ephemeralKey: encodePoint(s.ephemeralKey), box: s.box });

export function encodeDealing(d: Dealing): Json {
  return { kind: 'zkkyc-escrow-dkg-dealing', version: DOCUMENT_VERSION, dkgId: d.dkgId, dealer: d.dealer, commitments: d.commitments.map(encodePoint), shares: d.shares.map(encodeSealed) };
}

export function decodeDealing(value: unknown, field = 'dealing'): Dealing {
  const doc = expectDocument(value, 'zkkyc-escrow-dkg-dealing', field);
  const dealer = decodeCount(doc.dealer, `${field}.dealer`);
  if (!Array.isArray(doc.commitments) || !Array.isArray(doc.shares)) throw new EscrowError(field, 'dealing', 'must have commitments and shares lists');
  return {
    dkgId: decodeDkgId(doc.dkgId, `${field}.dkgId`),
    dealer,
    commitments: doc.commitments.map((C, m) => decodePoint(C, `${field}.C_${m}`)),
    shares: doc.shares.map((s: Json, i) => {
      if (typeof s?.box !== 'string' || !/^[0-9a-f]{96}$/.test(s.box)) throw new EscrowError(`${field}.shares[${i}].box`, 'hex', 'must be 96 lowercase hex characters');
      return { recipient: decodeCount(s.recipient, `${field}.shares[${i}].recipient`), ephemeralKey: decodePoint(s.ephemeralKey, `${field}.shares[${i}].ephemeralKey`), box: s.box };
    }),
  };
}

/** Participant j's complaints from round 2 (an empty list says "every share checked out"). */
export function encodeComplaints(dkgId: string, complainer: number, complaints: readonly Complaint[]): Json {
  return {
    kind: 'zkkyc-escrow-dkg-complaints',
    version: DOCUMENT_VERSION,
    dkgId,
    complainer,
    complaints: complaints.map((c) => ({ dealer: c.dealer, reason: c.reason, sharedPoint: encodePoint(c.sharedPoint), proof: encodeProof(c.proof) })),
  };
}

export function decodeComplaints(value: unknown, field = 'complaints'): Complaint[] {
  const doc = expectDocument(value, 'zkkyc-escrow-dkg-complaints', field);
  const dkgId = decodeDkgId(doc.dkgId, `${field}.dkgId`);
  const complainer = decodeCount(doc.complainer, `${field}.complainer`);
  if (!Array.isArray(doc.complaints)) throw new EscrowError(field, 'list', 'must have a complaints list');
  return doc.complaints.map((c: Json, i) => {
    const f = `${field}.complaints[${i}]`;
    if (c?.reason !== 'undecryptable' && c?.reason !== 'share-mismatch') throw new EscrowError(`${f}.reason`, 'reason', 'must be "undecryptable" or "share-mismatch"');
    return {
      dkgId,
      complainer,
      dealer: decodeCount(c.dealer, `${f}.dealer`),
      reason: c.reason,
      sharedPoint: decodePoint(c.sharedPoint, `${f}.sharedPoint`),
      proof: decodeProof(c.proof, `${f}.proof`),
    };
  });
}

// ── disclosure ─────────────────────────────────────────────────────────────────────────────────

export function encodePartial(p: PartialDecryption): Json {
  return { kind: 'zkkyc-escrow-partial', version: DOCUMENT_VERSION, index: p.index, request: p.request, d: encodePoint(p.d), proof: encodeProof(p.proof) };
}

/** Reads a partial. The index is only checked to be a positive integer: membership is combine's call. */
export function decodePartial(value: unknown, field = 'partial'): PartialDecryption {
  const doc = expectDocument(value, 'zkkyc-escrow-partial', field);
  if (typeof doc.request !== 'string') throw new EscrowError(`${field}.request`, 'required', 'must be a string');
  return { index: decodeIndex(doc.index, `${field}.index`, 2 ** 32 - 1), request: doc.request, d: decodePoint(doc.d, `${field}.d`), proof: decodeProof(doc.proof, `${field}.proof`) };
}

export function encodeLogEntry(entry: DisclosureLogEntry): Json {
  return { kind: 'zkkyc-disclosure-log-entry', version: DOCUMENT_VERSION, request: entry.request, publicKey: encodePoint(entry.publicKey), ciphertext: encodeCiphertext(entry.ciphertext) };
}

export function decodeLogEntry(value: unknown, field = 'logEntry'): DisclosureLogEntry {
  const doc = expectDocument(value, 'zkkyc-disclosure-log-entry', field);
  if (typeof doc.request !== 'string') throw new EscrowError(`${field}.request`, 'required', 'must be a string');
  return { request: doc.request, publicKey: decodePoint(doc.publicKey, `${field}.publicKey`), ciphertext: decodeCiphertext(doc.ciphertext, `${field}.ciphertext`) };
}
