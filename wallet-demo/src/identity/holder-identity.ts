import { Wallet, hexlify } from 'ethers';
import { IDENTITY_MESSAGE, identityCommitment, identitySecretFromSignature } from '@zkkyc/credentials';
import { deriveWalletKey, holderDidForIssuer, holderDidFromPrivateKey, newRootKey, parseRootKey } from '@zkkyc/sdk';

/**
 * How the wallet's keys come from the one key the holder backs up (the root key):
 *
 * - `derived-v1` (every wallet made now): the issuer sees a DID derived for it alone, each Ethereum
 *   account is derived apart (HKDF, `@zkkyc/sdk` holder-keys.ts), so nothing the issuer holds names
 *   an account, and the holder can add accounts under the same identity without telling it;
 * - `single-key` (wallets made before): the root key is the first account and its did:key the DID
 *   for every issuer, as the credentials already issued to it say. Accounts added later are derived
 *   as above, so the issuer cannot link those.
 *
 * Either way the zk identity secret comes from the root key's signature of IDENTITY_MESSAGE, so
 * restoring the key restores the identity, and every account proves as the same investor.
 */
export type KeyScheme = 'derived-v1' | 'single-key';

export interface HolderIdentity {
  scheme: KeyScheme;
  /** Which of the holder's accounts this is (0 = the first). */
  walletIndex: number;
  wallet: Wallet;
  address: string;
  identitySecret: bigint;
  identityCommitment: bigint;
  /** The DID this wallet shows the issuer `issuerDid`, and the key that signs for it. */
  didFor(issuerDid: string): Promise<{ did: string; privateKey: string }>;
}

/**
 * The root key as ethers needs it. The wallet keeps its root key as bytes (zeroed on lock); the hex
 * string made here, and the key strings inside ethers' Wallet, are JavaScript strings that cannot
 * be wiped — they are only dropped for the garbage collector when the session ends.
 */
function rootWallet(rootKey: string | Uint8Array): Wallet {
  const hex = typeof rootKey === 'string' ? rootKey.trim() : hexlify(rootKey);
  try {
    parseRootKey(hex, 'backup key');
  } catch {
    throw new Error('backup key: must be 0x followed by 64 hex digits');
  }
  return new Wallet(hex);
}

/** The private key of account `index` under `scheme`. */
async function accountKey(root: Wallet, scheme: KeyScheme, index: number): Promise<string> {
  return scheme === 'single-key' && index === 0 ? root.privateKey : deriveWalletKey(root.privateKey, index);
}

/** Derives the holder identity, using account `walletIndex`, from the root key (bytes, or 0x-hex as typed). Throws naming `backup key` if it is not one. */
export async function holderIdentityFromKey(rootKey: string | Uint8Array, scheme: KeyScheme = 'derived-v1', walletIndex = 0): Promise<HolderIdentity> {
  const root = rootWallet(rootKey);
  const wallet = new Wallet(await accountKey(root, scheme, walletIndex));
  const identitySecret = identitySecretFromSignature(await root.signMessage(IDENTITY_MESSAGE));
  return {
    scheme,
    walletIndex,
    wallet,
    address: wallet.address,
    identitySecret,
    identityCommitment: identityCommitment(identitySecret),
    didFor: async (issuerDid) => (scheme === 'single-key' ? { did: holderDidFromPrivateKey(root.privateKey), privateKey: root.privateKey } : holderDidForIssuer(root.privateKey, issuerDid)),
  };
}

/** The addresses of the holder's first `count` accounts, to list them without unlocking each. */
export async function accountAddresses(rootKey: string | Uint8Array, scheme: KeyScheme, count: number): Promise<string[]> {
  const root = rootWallet(rootKey);
  return Promise.all(Array.from({ length: count }, async (_, i) => new Wallet(await accountKey(root, scheme, i)).address));
}

/** A new random root key. */
export function newHolderKey(): string {
  return newRootKey();
}
