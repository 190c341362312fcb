import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/**
 * AES-256-GCM encryption of the issuer's private keys at rest.
 *
 * The 256-bit key comes from the operator's secret through scrypt with a per-database salt, so the
 * same secret gives different keys in different databases and the slow derivation runs once at start,
 * not per signature. Each ciphertext is bound to its row (`aad` = the key alias): a ciphertext moved
 * to another row fails authentication instead of decrypting as the wrong key.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Derives the box key; scrypt N=2^15 costs ~100 ms once. */
  static fromSecret(secret: string, salt: Buffer): SecretBox {
    return new SecretBox(scryptSync(secret, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }));
  }

  /**
   * A box over a 32-byte data key held elsewhere (sealed by the secret-derived box): how the
   * identity-record box is made (services/identity-records.ts).
   */
  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('a SecretBox key is 32 bytes');
    return new SecretBox(Buffer.from(key));
  }

  /** Returns `v1.<iv>.<tag>.<ciphertext>` in base64url. */
  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /** Throws if the secret is wrong, the ciphertext was altered, or it belongs to another row. */
  open(sealed: string, aad: string): string {
    const [version, iv, tag, ct] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('sealed value has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}
