import { randomUUID } from 'node:crypto';
import type { IIdentifier, IKey, ManagedKeyInfo, TKeyType } from '@veramo/core-types';
import { AbstractKeyStore, AbstractPrivateKeyStore, type ImportablePrivateKey, type ManagedPrivateKey } from '@veramo/key-manager';
import { AbstractDIDStore } from '@veramo/did-manager';
import type { SqlRunner } from './sql-runner.js';
import type { SecretBox } from './secret-box.js';

/**
 * Veramo's three stores over the service database (SQLite or Postgres, through a `SqlRunner`), so the issuer DID and its key survive restarts.
 * Key metadata and DIDs are public; private keys are sealed with the `SecretBox` before they touch
 * the disk, and no store ever writes `privateKeyHex` anywhere else (Veramo hands it to the key
 * metadata store on import, so `SqlKeyStore` drops it).
 */

interface KeyRow {
  kid: string;
  kms: string;
  type: TKeyType;
  public_key_hex: string;
  meta_json: string | null;
}

function toKey(r: KeyRow): IKey {
  const key: IKey = { kid: r.kid, kms: r.kms, type: r.type, publicKeyHex: r.public_key_hex };
  if (r.meta_json) key.meta = JSON.parse(r.meta_json);
  return key;
}

/** Key metadata (kid → kms, type, public key) for Veramo's KeyManager. */
export class SqlKeyStore extends AbstractKeyStore {
  constructor(private readonly db: SqlRunner) {
    super();
  }

  async importKey(args: Partial<IKey>): Promise<boolean> {
    if (!args.kid || !args.kms || !args.type || !args.publicKeyHex) throw new Error('invalid_argument: key needs kid, kms, type and publicKeyHex');
    await this.db.run(
      `INSERT INTO veramo_keys (kid, kms, type, public_key_hex, meta_json) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (kid) DO UPDATE SET kms = excluded.kms, type = excluded.type,
         public_key_hex = excluded.public_key_hex, meta_json = excluded.meta_json`,
      [args.kid, args.kms, args.type, args.publicKeyHex, args.meta ? JSON.stringify(args.meta) : null],
    );
    return true;
  }

  async getKey({ kid }: { kid: string }): Promise<IKey> {
    const [r] = await this.db.all<KeyRow>('SELECT * FROM veramo_keys WHERE kid = ?', [kid]);
    if (!r) throw new Error(`not_found: Key not found for kid=${kid}`);
    return toKey(r);
  }

  async deleteKey({ kid }: { kid: string }): Promise<boolean> {
    return (await this.db.run('DELETE FROM veramo_keys WHERE kid = ?', [kid])) > 0;
  }

  async listKeys(): Promise<ManagedKeyInfo[]> {
    return (await this.db.all<KeyRow>('SELECT * FROM veramo_keys ORDER BY kid')).map((r) => toKey(r) as ManagedKeyInfo);
  }
}

/** Private key material for Veramo's local KMS, AES-256-GCM sealed at rest. */
export class SqlPrivateKeyStore extends AbstractPrivateKeyStore {
  constructor(
    private readonly db: SqlRunner,
    private readonly box: SecretBox,
  ) {
    super();
  }

  async importKey(args: ImportablePrivateKey): Promise<ManagedPrivateKey> {
    const alias = args.alias || randomUUID();
    const existing = await this.find(alias);
    if (existing) {
      if (existing.privateKeyHex !== args.privateKeyHex) {
        throw new Error('key_already_exists: key exists with different data, please use a different alias');
      }
      return existing;
    }
    await this.db.run('INSERT INTO veramo_private_keys (alias, type, sealed_key) VALUES (?, ?, ?)', [alias, args.type, this.box.seal(args.privateKeyHex, alias)]);
    return { alias, type: args.type, privateKeyHex: args.privateKeyHex };
  }

  private async find(alias: string): Promise<ManagedPrivateKey | null> {
    const [r] = await this.db.all<{ alias: string; type: TKeyType; sealed_key: string }>('SELECT * FROM veramo_private_keys WHERE alias = ?', [alias]);
    if (!r) return null;
    return { alias: r.alias, type: r.type, privateKeyHex: this.box.open(r.sealed_key, r.alias) };
  }

  async getKey({ alias }: { alias: string }): Promise<ManagedPrivateKey> {
    const key = await this.find(alias);
    if (!key) throw new Error(`not_found: PrivateKey not found for alias=${alias}`);
    return key;
  }

  async deleteKey({ alias }: { alias: string }): Promise<boolean> {
    return (await this.db.run('DELETE FROM veramo_private_keys WHERE alias = ?', [alias])) > 0;
  }

  async listKeys(): Promise<ManagedPrivateKey[]> {
    const rows = await this.db.all<{ alias: string }>('SELECT alias FROM veramo_private_keys ORDER BY alias');
    return Promise.all(rows.map((r) => this.getKey({ alias: r.alias })));
  }
}

/** DIDs (with their public keys and services) for Veramo's DIDManager. */
export class SqlDIDStore extends AbstractDIDStore {
  constructor(private readonly db: SqlRunner) {
    super();
  }

  async importDID(args: IIdentifier): Promise<boolean> {
    const identifier: IIdentifier = {
      ...args,
      keys: args.keys.map(({ privateKeyHex: _drop, ...key }) => key),
      services: args.services ?? [],
    };
    await this.db.run(
      `INSERT INTO veramo_dids (did, alias, provider, identifier_json) VALUES (?, ?, ?, ?)
       ON CONFLICT (did) DO UPDATE SET alias = excluded.alias, provider = excluded.provider,
         identifier_json = excluded.identifier_json`,
      [identifier.did, identifier.alias ?? null, identifier.provider, JSON.stringify(identifier)],
    );
    return true;
  }

  async getDID(args: { did: string } | { alias: string }): Promise<IIdentifier> {
    type Row = { identifier_json: string };
    const [r] =
      'did' in args && args.did
        ? await this.db.all<Row>('SELECT identifier_json FROM veramo_dids WHERE did = ?', [args.did])
        : 'alias' in args && args.alias
          ? await this.db.all<Row>('SELECT identifier_json FROM veramo_dids WHERE alias = ?', [args.alias])
          : [];
    if (!r) throw new Error(`not_found: IIdentifier not found for ${JSON.stringify(args)}`);
    return JSON.parse(r.identifier_json) as IIdentifier;
  }

  async deleteDID({ did }: { did: string }): Promise<boolean> {
    return (await this.db.run('DELETE FROM veramo_dids WHERE did = ?', [did])) > 0;
  }

  async listDIDs(args: { alias?: string; provider?: string }): Promise<IIdentifier[]> {
    const rows = await this.db.all<{ identifier_json: string }>('SELECT identifier_json FROM veramo_dids ORDER BY did');
    return rows
      .map((r) => JSON.parse(r.identifier_json) as IIdentifier)
      .filter((i) => (args.alias === undefined || i.alias === args.alias) && (args.provider === undefined || i.provider === args.provider));
  }
}
