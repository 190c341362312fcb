import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { EscrowError } from './errors.js';
import { bytes32, domainTag, pointBytes, uint32 } from './encoding.js';
import { multiply, multiplyBase, randomScalar, SUBGROUP_ORDER, type Point } from './group.js';

/**
 * Private delivery of DKG shares over a public board.
 *
 * Every DKG participant first publishes a transport key `T = t·Base8` (a Baby Jubjub key used for
 * nothing else). A dealer sends the share `f(j)` to participant `j` as an ECIES-style box:
 *
 *     y random in [1, l),  Y = y·Base8,  S = y·T_j                    (ECDH on Baby Jubjub)
 *     key ‖ nonce = HKDF-SHA256(ikm = S.x ‖ S.y, salt = dkgId,
 *                               info = "zkkyc/escrow/dkg-share/v1" ‖ 0x00 ‖ dealer ‖ recipient ‖ Y,
 *                               length = 44)                            (32-byte key, 12-byte nonce)
 *     box = AES-256-GCM(key, nonce, plaintext = f(j) as 32 bytes, aad = C_0 ‖ … ‖ C_{k−1})
 *
 * (indices 4-byte big-endian, points `x ‖ y`, the box is the 32-byte ciphertext then the 16-byte tag).
 * The key is fresh for every box, so the derived nonce never repeats under a key. Binding the dealer's
 * commitments as associated data ties a box to one dealing: it cannot be replayed into another.
 *
 * The recipient computes `S = t_j·Y`. If a box does not open, or opens to a share that fails its
 * Feldman check, the recipient can prove it publicly by revealing `S` with a Chaum–Pedersen proof
 * that `log_Base8(T_j) = log_Y(S)` (dkg.ts): anyone can then open the box and see the fault. Revealing
 * `S` exposes only this one box, whose content was bad anyway.
 *
 * The box gives confidentiality, not authorship: that a dealing comes from its dealer is the job of
 * the channel the participants publish on (see docs/escrow.md, "Assumptions").
 */

/** A share sealed to one recipient: the ephemeral key `Y` and the AES-GCM box (hex, 48 bytes). */
export interface SealedShare {
  recipient: number;
  ephemeralKey: Point;
  box: string;
}

/** What a box is bound to. */
export interface ShareContext {
  /** The DKG id (64 hex characters, dkg.ts). */
  dkgId: string;
  dealer: number;
  recipient: number;
  /** The dealer's Feldman commitments `C_0 … C_{k−1}`. */
  commitments: readonly Point[];
}

const SHARE_TAG = 'zkkyc/escrow/dkg-share/v1';
const BOX_BYTES = 32 + 16;

function boxKey(shared: Point, ephemeralKey: Point, context: ShareContext): { key: Buffer; nonce: Buffer } {
  const info = Buffer.concat([domainTag(SHARE_TAG), uint32(context.dealer), uint32(context.recipient), pointBytes(ephemeralKey)]);
  const okm = Buffer.from(hkdfSync('sha256', pointBytes(shared), Buffer.from(context.dkgId, 'hex'), info, 44));
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

function associatedData(context: ShareContext): Buffer {
  return Buffer.concat(context.commitments.map(pointBytes));
}

/** Seals `share` to the recipient's transport key `T`. */
export function sealShare(share: bigint, recipientKey: Point, context: ShareContext): SealedShare {
  const y = randomScalar();
  const ephemeralKey = multiplyBase(y);
  const { key, nonce } = boxKey(multiply(recipientKey, y), ephemeralKey, context);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(context));
  const body = Buffer.concat([cipher.update(bytes32(share)), cipher.final()]);
  return { recipient: context.recipient, ephemeralKey, box: Buffer.concat([body, cipher.getAuthTag()]).toString('hex') };
}

/** The ECDH point `S = t·Y` a recipient with transport secret `t` uses to open `sealed`. */
export function sharedPointFor(transportSecret: bigint, sealed: SealedShare): Point {
  return multiply(sealed.ephemeralKey, transportSecret);
}

/**
 * Opens a box with the ECDH point `S`. Throws an EscrowError (field `share`, rule `decrypts`) if the
 * box is malformed, does not authenticate, or holds a number that is not below `l`.
 */
export function openShareWithSharedPoint(shared: Point, sealed: SealedShare, context: ShareContext): bigint {
  const box = /^[0-9a-f]*$/.test(sealed.box) ? Buffer.from(sealed.box, 'hex') : Buffer.alloc(0);
  if (box.length !== BOX_BYTES) throw new EscrowError('share', 'decrypts', `from dealer ${context.dealer} is not a ${BOX_BYTES}-byte box`);
  const { key, nonce } = boxKey(shared, sealed.ephemeralKey, context);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(associatedData(context));
  decipher.setAuthTag(box.subarray(32));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(box.subarray(0, 32)), decipher.final()]);
  } catch {
    throw new EscrowError('share', 'decrypts', `from dealer ${context.dealer} does not open with this key (wrong key or tampered)`);
  }
  const value = BigInt('0x' + plain.toString('hex'));
  if (value >= SUBGROUP_ORDER) throw new EscrowError('share', 'decrypts', `from dealer ${context.dealer} is not below l`);
  return value;
}

/** Opens a box with the recipient's transport secret `t`. */
export function openShare(transportSecret: bigint, sealed: SealedShare, context: ShareContext): bigint {
  return openShareWithSharedPoint(sharedPointFor(transportSecret, sealed), sealed, context);
}
