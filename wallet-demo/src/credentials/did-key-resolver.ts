import { decodeBase58, hexlify, toBeArray } from 'ethers';
import type { DIDResolutionResult, Resolvable } from 'did-resolver';

/**
 * Resolves did:key identifiers for secp256k1 and Ed25519 keys, offline. A did:key document is a
 * pure function of the identifier, so the wallet can check an issuer's JWT signature without a
 * network resolver (and without pulling Veramo into the bundle).
 */
const KEY_TYPES: Record<string, { prefix: number; type: string; length: number }> = {
  secp256k1: { prefix: 0xe7, type: 'EcdsaSecp256k1VerificationKey2019', length: 33 },
  ed25519: { prefix: 0xed, type: 'Ed25519VerificationKey2018', length: 32 },
};

function documentFor(did: string): DIDResolutionResult['didDocument'] {
  const match = /^did:key:z([1-9A-HJ-NP-Za-km-z]+)$/.exec(did);
  if (!match) return null;
  const bytes = toBeArray(decodeBase58(match[1]));
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
    const didDocument = documentFor(did);
    return {
      didResolutionMetadata: didDocument ? { contentType: 'application/did+ld+json' } : { error: 'notFound', message: `${did} is not a supported did:key` },
      didDocument,
      didDocumentMetadata: {},
    };
  },
};
