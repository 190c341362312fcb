import { createECDH, ECDH, randomBytes } from 'node:crypto';
import type { IKey } from '@veramo/core';
import { encodeBase58 } from 'ethers';
import type { JWK } from 'jose';
import { ValidationError } from './errors.js';
import type { IssuerAgent } from './issuer-agent.js';
import { VC2_ALG, type JwsSigner } from './vc2-jose.js';

/**
 * The issuer's key for VC 2.0 (VC-JOSE-COSE), SD-JWT VC and the status list: P-256 (ES256), kept in
 * the issuer agent's key manager like the secp256k1 key of the 1.1 VC-JWT. A second key because
 * JOSE verifiers (jose, node-jose, Web Crypto) do not support secp256k1; ES256 they all verify.
 *
 * Without did:web it is published as its own `did:key` (multicodec p256-pub, compressed point), the
 * DID that 2.0 credentials name as issuer; with did:web the service lists it as a second
 * verification method of the same document (issuer-service's issuer-identity.ts).
 */

const KMS_NAME = 'local';
/** Multicodec `p256-pub` (0x1200) as an unsigned varint. */
const P256_PUB_CODEC = [0x80, 0x24];

export interface IssuerJoseKey {
  /** The P-256 key's did:key. */
  did: string;
  /** The key's reference in the key manager. */
  keyRef: string;
  /** The compressed public key, hex. */
  publicKeyHex: string;
  publicJwk: JWK;
}

/** A P-256 point, given compressed or uncompressed as hex, in the other form (node:crypto checks it is on the curve). */
function p256Point(publicKeyHex: string, form: 'compressed' | 'uncompressed'): Buffer {
  return ECDH.convertKey(publicKeyHex, 'prime256v1', 'hex', undefined, form) as Buffer;
}

/** The public JWK of a P-256 key given as compressed (or uncompressed) hex. */
export function p256PublicJwk(publicKeyHex: string): JWK {
  const point = p256Point(publicKeyHex, 'uncompressed'); // 0x04 || x || y
  return { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') };
}

/** `did:key` of a P-256 public key (multicodec p256-pub, compressed point, base58btc). */
export function p256DidKey(publicKeyHex: string): string {
  return `did:key:z${encodeBase58(Buffer.concat([Buffer.from(P256_PUB_CODEC), p256Point(publicKeyHex, 'compressed')]))}`;
}

/**
 * A new P-256 key pair whose public x and y both start with a non-zero byte. Some did:key resolvers
 * (Veramo's among them, seen with 8 of 1,500 keys) write a coordinate with leading zero bytes
 * dropped, a 31-byte JWK coordinate that strict JOSE libraries (node-jose) refuse: every credential
 * of such an issuer would fail there. Drawing again costs about 1 in 128 keys and a negligible part
 * of the key space. `random` is for tests.
 */
export function interoperableP256Key(random: (size: number) => Buffer = randomBytes): { privateKey: Buffer; publicKeyHex: string } {
  for (;;) {
    const ecdh = createECDH('prime256v1');
    const privateKey = random(32);
    ecdh.setPrivateKey(privateKey); // throws for the (negligible) scalars outside 1..n-1
    const point = ecdh.getPublicKey(null, 'uncompressed'); // 0x04 || x || y
    if (point[1] !== 0 && point[33] !== 0) return { privateKey, publicKeyHex: ecdh.getPublicKey('hex', 'compressed') };
  }
}

/**
 * The issuer's P-256 key under `alias` (a DID-store alias), created in the agent's KMS on first use
 * and read back afterwards. The private key is generated here and handed to the KMS at once (as the
 * local KMS does for its own keys); from then on only the KMS signs with it.
 */
export async function getOrCreateIssuerJoseKey(agent: IssuerAgent, alias: string): Promise<IssuerJoseKey> {
  if (typeof alias !== 'string' || alias.length === 0) throw new ValidationError('alias', 'non-empty-string', 'must be a non-empty string');
  const [found] = await agent.didManagerFind({ alias });
  let key: IKey | undefined = found?.keys[0];
  if (!found) {
    const { privateKey, publicKeyHex } = interoperableP256Key();
    const did = p256DidKey(publicKeyHex);
    const kid = publicKeyHex;
    const imported = await agent.didManagerImport({
      did,
      alias,
      provider: 'did:key',
      controllerKeyId: kid,
      keys: [{ kid, kms: KMS_NAME, type: 'Secp256r1', privateKeyHex: privateKey.toString('hex'), publicKeyHex }],
      services: [],
    });
    key = imported.keys[0];
  }
  if (!key || key.type !== 'Secp256r1') throw new ValidationError('alias', 'p256-key', `the DID stored under alias "${alias}" does not hold a P-256 key`);
  return { did: p256DidKey(key.publicKeyHex), keyRef: key.kid, publicKeyHex: key.publicKeyHex, publicJwk: p256PublicJwk(key.publicKeyHex) };
}

/** A JwsSigner over the agent's KMS: the signing input goes in, the ES256 signature (base64url) comes out. */
export function kmsJwsSigner(agent: IssuerAgent, key: Pick<IssuerJoseKey, 'keyRef'>, kid: string): JwsSigner {
  return {
    alg: VC2_ALG,
    kid,
    sign: (signingInput: string) => agent.keyManagerSign({ keyRef: key.keyRef, data: signingInput, algorithm: VC2_ALG, encoding: 'utf-8' }),
  };
}

/** The verification method id of a did:key (`did:key:z…#z…`). */
export function didKeyVerificationMethod(did: string): string {
  return `${did}#${did.slice('did:key:'.length)}`;
}
