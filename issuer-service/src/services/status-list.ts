import { createHash, randomInt } from 'node:crypto';
import { bitstringStatusEntry, buildStatusListCredential, signCredentialJose, STATUS_LIST_BITS, type BitstringStatusListEntry, type JwsSigner } from '@zkkyc/credentials';
import type { IssuerServiceConfig } from '../config.js';
import type { IssuerStore } from '../store/issuer-store.js';
import type { Clock } from './clock.js';
import { SerialLock } from './serial-lock.js';

/**
 * The issuer's W3C Bitstring Status List (revocation): every VC 2.0 credential names one bit of a
 * list, and the list credential — signed by the issuer (VC-JOSE-COSE, ES256) — is served at
 * `GET /status/revocation/<list>`.
 *
 * - Allocation: a credential's bit is drawn uniformly at random among the free bits of the current
 *   list (the lowest-numbered list with a free bit; 131,072 bits each), under the issuance lock, and
 *   stored with the credential. It is never derived from the leaf index, so neither the list nor a
 *   credential's index says when it was issued or which leaf is its.
 * - Revocation: the store sets the bit in the transaction that zeroes the leaf (and bumps the
 *   list's version), so the list and the tree change together or not at all.
 * - Serving: the signed list is cached in the store with the version it shows and re-signed lazily,
 *   on the first read after a change (or when the cached one is half-way to its `validUntil`): a
 *   burst of revocations costs one signature, and a read of an unchanged list costs none.
 */

/** Where status list URLs and the schema URL point: STATUS_BASE_URL, else ISSUER_PUBLIC_URL, else the did:web host, else HOST:PORT. */
export function publicBaseUrl(config: IssuerServiceConfig): string {
  if (config.statusBaseUrl) return config.statusBaseUrl;
  if (config.oid4vci?.publicUrl) return config.oid4vci.publicUrl;
  if (config.didWebHost) return `https://${decodeURIComponent(config.didWebHost)}`;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

/** The JSON Schema URL VC 2.0 credentials name in `credentialSchema`. */
export function kycSchemaUrl(baseUrl: string): string {
  return `${baseUrl}/schemas/kyc-credential-v2.json`;
}

/** How long a signed list credential is valid; it is re-signed once half of that has passed. */
export const STATUS_LIST_VALIDITY_MS = 24 * 60 * 60 * 1000;

/** A served list: the signed credential and what the HTTP caching headers are made of. */
export interface SignedStatusList {
  jwt: string;
  /** Strong ETag of exactly these bytes. */
  etag: string;
  /** When the bits last changed. */
  lastModified: Date;
}

export class StatusListService {
  private readonly signing = new SerialLock();

  constructor(
    private readonly deps: {
      store: IssuerStore;
      clock: Clock;
      /** Signs the list credential (the issuer's ES256 key) under `issuerDid`. */
      issuerDid: string;
      signer: JwsSigner;
      baseUrl: string;
      /** Draws the random bit (default: the CSPRNG). */
      randomIndex?: (size: number) => number;
    },
  ) {}

  /** The list credential's URL, `<base>/status/revocation/<list>`. */
  listUrl(list: number): string {
    return `${this.deps.baseUrl}/status/revocation/${list}`;
  }

  /**
   * A free bit for a new credential, drawn at random in the current list. Call under the issuance
   * lock; the store's unique index refuses a bit taken anyway (another instance, a hand edit).
   */
  async allocate(): Promise<{ list: number; index: number; entry: BitstringStatusListEntry }> {
    const { store } = this.deps;
    const usage = await store.statusListUsage();
    const open = usage.find((u) => u.allocated < STATUS_LIST_BITS);
    const list = open?.id ?? (usage.length === 0 ? 1 : Math.max(...usage.map((u) => u.id)) + 1);
    const draw = this.deps.randomIndex ?? ((size: number) => randomInt(size));
    // Random probes find a free bit quickly while the list is not nearly full; past 64 misses
    // (a list over ~90 % full), walk on from a random start to the next free bit.
    let index = -1;
    for (let attempt = 0; attempt < 64 && index < 0; attempt++) {
      const candidate = draw(STATUS_LIST_BITS);
      if (!(await store.isStatusBitTaken(list, candidate))) index = candidate;
    }
    if (index < 0) {
      const start = draw(STATUS_LIST_BITS);
      for (let step = 0; step < STATUS_LIST_BITS && index < 0; step++) {
        const candidate = (start + step) % STATUS_LIST_BITS;
        if (!(await store.isStatusBitTaken(list, candidate))) index = candidate;
      }
      if (index < 0) throw new Error(`status list ${list} has no free bit although it counts fewer than ${STATUS_LIST_BITS}`);
    }
    return { list, index, entry: bitstringStatusEntry(this.listUrl(list), index) };
  }

  /**
   * The signed list credential, or null when the list does not exist. Signed lazily: the cached
   * credential is served while it shows the current bits and is less than half-way to expiry.
   */
  async signedList(list: number): Promise<SignedStatusList | null> {
    return this.signing.run(async () => {
      const { store, clock } = this.deps;
      const record = await store.getStatusList(list);
      if (!record) return null;
      const now = clock.now();
      let jwt = record.signedJwt;
      const fresh = jwt !== null && record.signedVersion === record.version && record.signedAt !== null && now - record.signedAt < STATUS_LIST_VALIDITY_MS / 2;
      if (!fresh) {
        const credential = buildStatusListCredential({
          issuerDid: this.deps.issuerDid,
          listUrl: this.listUrl(list),
          bits: record.bits,
          validFrom: new Date(now),
          validUntil: new Date(now + STATUS_LIST_VALIDITY_MS),
        });
        jwt = await signCredentialJose(credential, this.deps.signer);
        // A revocation that committed meanwhile bumped the version: the cache is not written, and
        // the next read signs the newer bits.
        await store.cacheSignedStatusList(list, record.version, jwt, now);
      }
      const etag = `"${createHash('sha256')
        .update(jwt as string)
        .digest('base64url')
        .slice(0, 27)}"`;
      return { jwt: jwt as string, etag, lastModified: new Date(record.updatedAt) };
    });
  }
}
