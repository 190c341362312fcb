import { generateKeyPairSync } from 'node:crypto';
import { bytesToMultibase, createJWT, EdDSASigner, ES256KSigner } from 'did-jwt';
import { getBytes, SigningKey, Wallet } from 'ethers';
import { identityCommitment, randomIdentitySecret } from '@zkkyc/credentials';

/** A test holder: an Ed25519 did:key it can sign challenges with, and a zk identity. */
export interface TestHolder {
  did: string;
  secret: bigint;
  idc: bigint;
  /** A JWT over `{ nonce, ...extra }`, issued by this DID. */
  sign(nonce: string, extra?: Record<string, unknown>): Promise<string>;
}

export function makeHolder(): TestHolder {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  const did = `did:key:${bytesToMultibase(new Uint8Array(pub), 'base58btc', 'ed25519-pub')}`;
  const signer = EdDSASigner(new Uint8Array(seed));
  const secret = randomIdentitySecret();
  return {
    did,
    secret,
    idc: identityCommitment(secret),
    sign: (nonce, extra = {}) => createJWT({ nonce, ...extra }, { issuer: did, signer }, { alg: 'EdDSA' }),
  };
}

/** A holder whose did:key is a secp256k1 key (the wallet key), signing with ES256K. */
export function makeSecp256k1Holder(): TestHolder {
  const wallet = Wallet.createRandom();
  const compressed = getBytes(SigningKey.computePublicKey(wallet.privateKey, true));
  const did = `did:key:${bytesToMultibase(compressed, 'base58btc', 'secp256k1-pub')}`;
  const signer = ES256KSigner(getBytes(wallet.privateKey));
  const secret = randomIdentitySecret();
  return {
    did,
    secret,
    idc: identityCommitment(secret),
    sign: (nonce, extra = {}) => createJWT({ nonce, ...extra }, { issuer: did, signer }, { alg: 'ES256K' }),
  };
}
