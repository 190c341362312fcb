import { randomBytes } from 'node:crypto';
import {
  createIssuerAgent,
  didKeyVerificationMethod,
  getOrCreateIssuerDid,
  getOrCreateIssuerJoseKey,
  issueKycCredential,
  issueKycCredentialV2,
  issueKycSdJwtVc,
  kmsJwsSigner,
  type IssuerAgent,
} from '@zkkyc/credentials';
import type { JWK } from 'jose';
import { ConfigError } from '../config.js';
import type { IssuerStore } from '../store/issuer-store.js';
import { SecretBox } from '../store/secret-box.js';
import type { SqlRunner } from '../store/sql-runner.js';
import { SqlDIDStore, SqlKeyStore, SqlPrivateKeyStore } from '../store/veramo-stores.js';
import type { CredentialSigner, IssuedCredentialFormat } from './credential-signer.js';
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
  /**
   * The DID credentials are issued under: did:web when a host is configured (both keys in its
   * document); else the P-256 did:key for VC 2.0 (the default) or the secp256k1 did:key for 1.1.
   */
  did: string;
  signer: CredentialSigner;
  /** The document to serve at /.well-known/did.json (did:web only). */
  didDocument: Record<string, unknown> | null;
}

/** The verification method of the P-256 key in the did:web document. */
export const DID_WEB_JOSE_KEY_FRAGMENT = 'jose-key';

/**
 * The issuer's Veramo agent over the service database (keys sealed with `box`) and its keys,
 * created on first start and read back on every later one:
 * - the secp256k1 did:key (alias `alias`) that signs the 1.1 VC-JWT, ES256K — created only for 1.1
 *   issuance or did:web, or kept when the database already holds it;
 * - the P-256 key (alias `<alias>-jose`, its own did:key) that signs VC 2.0 (VC-JOSE-COSE), SD-JWT
 *   VCs and the status list, ES256 — JOSE verifiers do not support secp256k1.
 * With `didWebHost`, both keys are verification methods of `did:web:<host>` (`#issuer-key`,
 * `#jose-key`), and that is the DID every format is issued under. Without it, VC 2.0 credentials
 * name the P-256 did:key and 1.1 ones the secp256k1 did:key; `format` picks which one the service
 * announces (`did`). `schemaUrl` is the URL of the JSON Schema VC 2.0 credentials name.
 */
export async function openIssuerIdentity(
  db: SqlRunner,
  box: SecretBox,
  alias: string,
  didWebHost?: string,
  options: { format?: IssuedCredentialFormat; schemaUrl?: string } = {},
): Promise<IssuerIdentity> {
  const format = options.format ?? 'vc2';
  const didStore = new SqlDIDStore(db);
  const agent = createIssuerAgent({
    keyStore: new SqlKeyStore(db),
    privateKeyStore: new SqlPrivateKeyStore(db, box),
    didStore,
  });
  // The secp256k1 key exists where 1.1 needs it: 1.1 issuance, a did:web document (which lists it
  // as #issuer-key), or a database that already has it (its 1.1 credentials keep their issuer). A
  // fresh did:key issuer of VC 2.0 has the P-256 key alone.
  const [existing] = await agent.didManagerFind({ alias });
  const didKey = format === 'vc1.1' || didWebHost !== undefined || existing !== undefined ? await getOrCreateIssuerDid(agent, alias) : null;
  const joseKey = await getOrCreateIssuerJoseKey(agent, `${alias}-jose`);
  let v1Did = didKey;
  let jose = { did: joseKey.did, signer: kmsJwsSigner(agent, joseKey, didKeyVerificationMethod(joseKey.did)) };
  let didDocument: Record<string, unknown> | null = null;
  if (didWebHost && didKey) {
    const [key] = (await agent.didManagerGet({ did: didKey })).keys;
    v1Did = didWebFor(didWebHost);
    await ensureDidWebIdentifier(didStore, v1Did, key);
    didDocument = withJoseKey(didWebDocument(v1Did, key), `${v1Did}#${DID_WEB_JOSE_KEY_FRAGMENT}`, joseKey.publicJwk);
    jose = { did: v1Did, signer: kmsJwsSigner(agent, joseKey, `${v1Did}#${DID_WEB_JOSE_KEY_FRAGMENT}`) };
  }
  const schemaUrl = options.schemaUrl;
  const signer: CredentialSigner = {
    did: format === 'vc2' || v1Did === null ? jose.did : v1Did,
    format,
    jose,
    async sign({ holderDid, attributes, identityCommitment, leafIndex, treeId, status, issuedAt }) {
      if (format === 'vc1.1' && v1Did !== null) {
        const { jwt } = await issueKycCredential(agent, { issuerDid: v1Did, holderDid, attributes, identityCommitment, leafIndex, treeId });
        return jwt;
      }
      if (!status) throw new Error('a VC 2.0 credential needs its status list entry');
      if (!schemaUrl) throw new Error('a VC 2.0 credential needs the URL of its JSON Schema');
      const { jwt } = await issueKycCredentialV2({ issuerDid: jose.did, holderDid, attributes, identityCommitment, leafIndex, treeId, schemaUrl, status, validFrom: issuedAt }, jose.signer);
      return jwt;
    },
    signSdJwtVc: ({ holderDid, attributes, identityCommitment, leafIndex, treeId, issuedAt }) =>
      issueKycSdJwtVc({ issuerDid: jose.did, holderDid, attributes, identityCommitment, leafIndex, treeId, issuedAt }, jose.signer),
  };
  return { agent, did: signer.did, signer, didDocument };
}

/** The did:web document with the P-256 key added as a second verification method (assertion only). */
function withJoseKey(doc: Record<string, unknown>, vmId: string, publicJwk: JWK): Record<string, unknown> {
  const did = doc.id as string;
  return {
    ...doc,
    verificationMethod: [...(doc.verificationMethod as unknown[]), { id: vmId, type: 'JsonWebKey2020', controller: did, publicKeyJwk: publicJwk }],
    assertionMethod: [...(doc.assertionMethod as string[]), vmId],
  };
}
