import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { VC2_ALG, type JwsSigner } from '@zkkyc/credentials';
import type { JWK } from 'jose';

/**
 * The issuer's ES256 signer without the Veramo round trip: the same P-256 key the agent's KMS holds
 * (read once from the sealed private key store), signing with node:crypto (OpenSSL). The JWS it
 * produces is byte-for-byte what `kmsJwsSigner` would give up to ECDSA's random nonce: the same
 * header (`kid` of the same verification method), the same payload, a signature by the same key.
 * The bulk import uses it because the KMS path (key lookup, unsealing, a JS ECDSA) costs several
 * times more per credential — bench/results.json `import.signing` measures both (3–9× here).
 */
export function directJwsSigner(privateKeyHex: string, publicJwk: JWK, kid: string): JwsSigner {
  if (!/^[0-9a-f]{64}$/i.test(privateKeyHex)) throw new Error('the issuer P-256 private key must be 32 bytes of hex');
  const key: KeyObject = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y, d: Buffer.from(privateKeyHex, 'hex').toString('base64url') },
    format: 'jwk',
  });
  return {
    alg: VC2_ALG,
    kid,
    // ieee-p1363: r || s, the JWS encoding of an ES256 signature (not DER).
    sign: async (signingInput: string) => sign('sha256', Buffer.from(signingInput, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
  };
}
