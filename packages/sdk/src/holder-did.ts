import { ES256KSigner, createJWT } from 'did-jwt';
import { SigningKey, getBytes } from 'ethers';
import { base58btc } from 'multiformats/bases/base58';

// did:key multicodec prefix for a compressed secp256k1 public key (varint 0xe7).
const SECP256K1_PUB = [0xe7, 0x01];

/**
 * The did:key of a secp256k1 key. A holder's DID is this of a key derived for one issuer from the
 * holder's root secret (holder-keys.ts `holderDidForIssuer`), never of a wallet key; holders from
 * before that scheme used their wallet key here, and such DIDs keep working (`Holder.fromWallet`).
 */
export function holderDidFromPrivateKey(privateKey: string): string {
  const compressed = getBytes(SigningKey.computePublicKey(privateKey, true));
  return `did:key:${base58btc.encode(new Uint8Array([...SECP256K1_PUB, ...compressed]))}`;
}

/**
 * Proves control of the holder DID to an issuer: a JWT signed with the DID
 * key whose payload carries the issuer's single-use challenge.
 */
export async function signDidChallenge(privateKey: string, nonce: string, audience?: string): Promise<string> {
  const did = holderDidFromPrivateKey(privateKey);
  const signer = ES256KSigner(getBytes(privateKey));
  return createJWT({ nonce, ...(audience ? { aud: audience } : {}) }, { issuer: did, signer }, { alg: 'ES256K' });
}
