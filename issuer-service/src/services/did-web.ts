import type { IIdentifier, IKey } from '@veramo/core-types';
import type { AbstractDIDStore } from '@veramo/did-manager';
import { SigningKey } from 'ethers';

/**
 * The issuer as `did:web:<host>`. The key stays the one Veramo already manages for the issuer's
 * did:key (sealed in the database); did:web only changes how verifiers find it: they fetch
 * `https://<host>/.well-known/did.json`, which the service serves. Credentials issued earlier under
 * the did:key still verify, since that DID resolves from the key alone.
 */

/** `did:web:<host>`; the host is validated by the config (`ISSUER_DID_WEB_HOST`). */
export function didWebFor(host: string): string {
  return `did:web:${host}`;
}

/** The key's id inside the document; verifiers match VC signatures against its public key. */
export const DID_WEB_KEY_FRAGMENT = 'issuer-key';

/**
 * The DID document for `did` with the issuer's secp256k1 key as a JWK — for both `assertionMethod`
 * (signing VCs) and `authentication`.
 */
export function didWebDocument(did: string, key: Pick<IKey, 'publicKeyHex' | 'type'>): Record<string, unknown> {
  if (key.type !== 'Secp256k1') throw new Error(`did:web document: unsupported key type ${key.type}`);
  const uncompressed = SigningKey.computePublicKey('0x' + key.publicKeyHex, false); // 0x04 || x || y
  const bytes = Buffer.from(uncompressed.slice(2), 'hex');
  const vmId = `${did}#${DID_WEB_KEY_FRAGMENT}`;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
    id: did,
    verificationMethod: [
      {
        id: vmId,
        type: 'JsonWebKey2020',
        controller: did,
        publicKeyJwk: { kty: 'EC', crv: 'secp256k1', x: bytes.subarray(1, 33).toString('base64url'), y: bytes.subarray(33).toString('base64url') },
      },
    ],
    authentication: [vmId],
    assertionMethod: [vmId],
  };
}

/**
 * Records `did:web:<host>` in the DID store, controlled by `key` (the did:key's key), so Veramo
 * signs VCs for it with that key. Written straight to the store: Veramo's import would try to
 * re-import the private key, which the local KMS already holds (sealed) under its own alias.
 */
export async function ensureDidWebIdentifier(didStore: AbstractDIDStore, did: string, key: IKey): Promise<void> {
  const { privateKeyHex: _never, ...publicKey } = key;
  const identifier: IIdentifier = { did, provider: 'did:web', controllerKeyId: key.kid, keys: [publicKey], services: [] };
  await didStore.importDID(identifier);
}
