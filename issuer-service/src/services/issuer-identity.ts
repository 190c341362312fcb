import { randomBytes } from 'node:crypto';
import { createIssuerAgent, getOrCreateIssuerDid, issueKycCredential, type IssuerAgent } from '@zkkyc/credentials';
import { ConfigError } from '../config.js';
import type { IssuerStore } from '../store/issuer-store.js';
import { SecretBox } from '../store/secret-box.js';
import type { SqlRunner } from '../store/sql-runner.js';
import { SqlDIDStore, SqlKeyStore, SqlPrivateKeyStore } from '../store/veramo-stores.js';
import type { CredentialSigner } from './credential-signer.js';
import { didWebDocument, didWebFor, ensureDidWebIdentifier } from './did-web.js';

const SALT_SETTING = 'key_encryption_salt';
const CHECK_SETTING = 'key_encryption_check';
const CHECK_PLAINTEXT = 'zkkyc issuer key check v1';

/**
 * Derives the at-rest key box for this database and proves the secret is the one the database was
 * created with: a wrong ISSUER_KEY_SECRET must stop the service at start, not surface later as an
 * undecryptable key in the middle of an approval.
 */
export async function openKeyBox(store: IssuerStore, secret: string): Promise<SecretBox> {
  const salt = await store.initSetting(SALT_SETTING, randomBytes(16).toString('hex'));
  const box = SecretBox.fromSecret(secret, Buffer.from(salt, 'hex'));
  const check = await store.initSetting(CHECK_SETTING, box.seal(CHECK_PLAINTEXT, CHECK_SETTING));
  try {
    if (box.open(check, CHECK_SETTING) !== CHECK_PLAINTEXT) throw new Error('check mismatch');
  } catch {
    throw new ConfigError('ISSUER_KEY_SECRET', 'does not match the secret this database was created with');
  }
  return box;
}

export interface IssuerIdentity {
  agent: IssuerAgent;
  /** The DID VCs are issued under: did:web when a host is configured, else the did:key. */
  did: string;
  signer: CredentialSigner;
  /** The document to serve at /.well-known/did.json (did:web only). */
  didDocument: Record<string, unknown> | null;
}

/**
 * The issuer's Veramo agent over the service database (keys sealed with `box`) and its did:key,
 * created on first start and read back on every later one. With `didWebHost`, the same key also
 * controls `did:web:<host>`, and that is the DID credentials are issued under.
 */
export async function openIssuerIdentity(db: SqlRunner, box: SecretBox, alias: string, didWebHost?: string): Promise<IssuerIdentity> {
  const didStore = new SqlDIDStore(db);
  const agent = createIssuerAgent({
    keyStore: new SqlKeyStore(db),
    privateKeyStore: new SqlPrivateKeyStore(db, box),
    didStore,
  });
  const didKey = await getOrCreateIssuerDid(agent, alias);
  let did = didKey;
  let didDocument: Record<string, unknown> | null = null;
  if (didWebHost) {
    const [key] = (await agent.didManagerGet({ did: didKey })).keys;
    did = didWebFor(didWebHost);
    await ensureDidWebIdentifier(didStore, did, key);
    didDocument = didWebDocument(did, key);
  }
  const signer: CredentialSigner = {
    did,
    async sign({ holderDid, attributes, identityCommitment, leafIndex, treeId }) {
      const { jwt } = await issueKycCredential(agent, { issuerDid: did, holderDid, attributes, identityCommitment, leafIndex, treeId });
      return jwt;
    },
  };
  return { agent, did, signer, didDocument };
}
