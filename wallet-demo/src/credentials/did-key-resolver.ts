import { decodeBase58, hexlify, toBeArray } from 'ethers';
import type { DIDResolutionResult, Resolvable } from 'did-resolver';

/**
 * Resolves did:key identifiers for secp256k1, Ed25519 and P-256 keys, offline. A did:key document
 * is a pure function of the identifier, so the wallet can check an issuer's signature without a
 * network resolver (and without pulling Veramo into the bundle). P-256 (the issuer's VC 2.0 key)
 * comes out as a publicKeyJwk, which jose verifies with: Web Crypto decompresses the point.
 */
const KEY_TYPES: Record<string, { prefix: number; type: string; length: number }> = {
  secp256k1: { prefix: 0xe7, type: 'EcdsaSecp256k1VerificationKey2019', length: 33 },
  ed25519: { prefix: 0xed, type: 'Ed25519VerificationKey2018', length: 32 },
};

/** Multicodec p256-pub (0x1200) as a varint, then the 33-byte compressed point. */
async function p256Document(did: string, id: string, point: Uint8Array): Promise<DIDResolutionResult['didDocument']> {
  let publicKeyJwk: JsonWebKey;
  try {
    const key = await globalThis.crypto.subtle.importKey('raw', Uint8Array.from(point), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    publicKeyJwk = await globalThis.crypto.subtle.exportKey('jwk', key);
  } catch {
    return null; // not a point on the curve
  }
  const { crv, x, y } = publicKeyJwk;
  return {
    id: did,
    verificationMethod: [{ id, type: 'JsonWebKey2020', controller: did, publicKeyJwk: { kty: 'EC', crv, x, y } }],
    authentication: [id],
    assertionMethod: [id],
  };
}

async function documentFor(did: string): Promise<DIDResolutionResult['didDocument']> {
  const match = /^did:key:z([1-9A-HJ-NP-Za-km-z]+)$/.exec(did);
  if (!match) return null;
  const bytes = toBeArray(decodeBase58(match[1]));
  if (bytes[0] === 0x80 && bytes[1] === 0x24 && bytes.length === 35) return p256Document(did, `${did}#z${match[1]}`, bytes.slice(2));
  const kind = Object.values(KEY_TYPES).find((k) => bytes[0] === k.prefix && bytes[1] === 0x01 && bytes.length === k.length + 2);
  if (!kind) return null;
  const id = `${did}#z${match[1]}`;
  return {
    id: did,
    verificationMethod: [{ id, type: kind.type, controller: did, publicKeyHex: hexlify(bytes.slice(2)).slice(2) }],
    authentication: [id],
    assertionMethod: [id],
  };
}

export const didKeyResolver: Resolvable = {
  async resolve(did: string): Promise<DIDResolutionResult> {
    const didDocument = await documentFor(did);
    return {
      didResolutionMetadata: didDocument ? { contentType: 'application/did+ld+json' } : { error: 'notFound', message: `${did} is not a supported did:key` },
      didDocument,
      didDocumentMetadata: {},
    };
  },
};
