import { createAgent, type ICredentialPlugin, type IDIDManager, type IKeyManager, type IResolver, type TAgent } from '@veramo/core';
import { CredentialProviderJWT } from '@veramo/credential-jwt';
import { CredentialPlugin } from '@veramo/credential-w3c';
import { AbstractDIDStore, DIDManager, MemoryDIDStore } from '@veramo/did-manager';
import { getDidKeyResolver, KeyDIDProvider } from '@veramo/did-provider-key';
import { DIDResolverPlugin } from '@veramo/did-resolver';
import { AbstractKeyManagementSystem, AbstractKeyStore, AbstractPrivateKeyStore, KeyManager, MemoryKeyStore, MemoryPrivateKeyStore } from '@veramo/key-manager';
import { KeyManagementSystem } from '@veramo/kms-local';
import type { DIDResolver } from 'did-resolver';
import { SigningKey } from 'ethers';
import { ValidationError } from './errors.js';

/** The capabilities an issuer needs: keys, its DID, DID resolution and signing VCs. */
export type IssuerAgent = TAgent<IKeyManager & IDIDManager & IResolver & ICredentialPlugin>;

/**
 * Collaborators of the issuer agent. By default everything is in memory (tests, demos); the issuer
 * service passes persistent stores so the issuer keeps its DID across restarts.
 */
export interface IssuerAgentOptions {
  /** Where key metadata lives (default: memory). */
  keyStore?: AbstractKeyStore;
  /** Where private keys live, used by the default local KMS (default: memory). */
  privateKeyStore?: AbstractPrivateKeyStore;
  /** A whole key management system to use instead of the local one (e.g. an HSM-backed one). */
  kms?: AbstractKeyManagementSystem;
  /** Where DIDs and their aliases live (default: memory). */
  didStore?: AbstractDIDStore;
  /**
   * A secp256k1 private key (64 hex chars, optional 0x) the issuer DID is created from, so the same
   * key always gives the same did:key. Without it a fresh key is generated.
   */
  privateKeyHex?: string;
  /** Extra DID method resolvers (did:key is always included). */
  resolvers?: Record<string, DIDResolver>;
}

const KMS_NAME = 'local';
const DID_PROVIDER = 'did:key';
/** secp256k1 (ES256K): Veramo's JWT provider signs with it and every did-jwt verifier checks it. */
const ISSUER_KEY_TYPE = 'Secp256k1';

const issuerKeys = new WeakMap<object, string>();

function normalizePrivateKeyHex(hex: string): string {
  const bare = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{64}$/.test(bare)) throw new ValidationError('privateKeyHex', 'hex32', 'must be 32 bytes of hex (64 characters, optional 0x)');
  return bare.toLowerCase();
}

/**
 * Builds a Veramo 7 agent that can hold an issuer's did:key and sign W3C VCs as JWTs:
 * KeyManager (local KMS), DIDManager (did:key), DIDResolverPlugin (did:key + `resolvers`) and
 * CredentialPlugin with the JWT provider.
 */
export function createIssuerAgent(options: IssuerAgentOptions = {}): IssuerAgent {
  const privateKeyHex = options.privateKeyHex === undefined ? undefined : normalizePrivateKeyHex(options.privateKeyHex);
  const agent = createAgent<IKeyManager & IDIDManager & IResolver & ICredentialPlugin>({
    plugins: [
      new KeyManager({
        store: options.keyStore ?? new MemoryKeyStore(),
        kms: { [KMS_NAME]: options.kms ?? new KeyManagementSystem(options.privateKeyStore ?? new MemoryPrivateKeyStore()) },
      }),
      new DIDManager({
        store: options.didStore ?? new MemoryDIDStore(),
        defaultProvider: DID_PROVIDER,
        providers: { [DID_PROVIDER]: new KeyDIDProvider({ defaultKms: KMS_NAME }) },
      }),
      new DIDResolverPlugin({ ...options.resolvers, ...getDidKeyResolver() }),
      new CredentialPlugin([new CredentialProviderJWT()]),
    ],
  });
  if (privateKeyHex) issuerKeys.set(agent, privateKeyHex);
  return agent;
}

/**
 * The issuer's did:key under `alias`, created on first use (from the agent's `privateKeyHex` when one
 * was given, so it is deterministic) and read back from the DID store afterwards. Throws if the
 * store already holds the alias under a key other than `privateKeyHex`.
 */
export async function getOrCreateIssuerDid(agent: IssuerAgent, alias = 'issuer'): Promise<string> {
  const privateKeyHex = issuerKeys.get(agent);
  const identifier = await agent.didManagerGetOrCreate({
    alias,
    provider: DID_PROVIDER,
    kms: KMS_NAME,
    options: { key: { type: ISSUER_KEY_TYPE, ...(privateKeyHex ? { privateKeyHex } : {}) } },
  });
  // An injected store may already hold this alias under another key: signing with it would issue
  // credentials under a DID the operator did not configure, so refuse instead.
  if (privateKeyHex) {
    const expected = SigningKey.computePublicKey('0x' + privateKeyHex, true);
    const held = identifier.keys.map((k) => SigningKey.computePublicKey('0x' + k.publicKeyHex, true));
    if (!held.includes(expected)) {
      throw new ValidationError('privateKeyHex', 'matches-stored-did', `the DID stored under alias "${alias}" (${identifier.did}) uses a different key`);
    }
  }
  return identifier.did;
}
