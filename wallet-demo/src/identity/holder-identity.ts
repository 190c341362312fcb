import { Wallet } from 'ethers';
import { IDENTITY_MESSAGE, identityCommitment, identitySecretFromSignature } from '@zkkyc/credentials';
import { holderDidFromPrivateKey } from '@zkkyc/sdk';

/**
 * Everything the wallet derives from the one key the holder backs up: the Ethereum account that
 * registers and transfers, its did:key for the issuer, and the zk identity secret — recovered from
 * a signature of IDENTITY_MESSAGE, so restoring the key restores the identity.
 */
export interface HolderIdentity {
  wallet: Wallet;
  address: string;
  did: string;
  identitySecret: bigint;
  identityCommitment: bigint;
}

/** Derives the holder identity from a 0x-hex private key. Throws naming `privateKey` if it is not one. */
export async function holderIdentityFromKey(privateKey: string): Promise<HolderIdentity> {
  let wallet: Wallet;
  try {
    wallet = new Wallet(privateKey.trim());
  } catch {
    throw new Error('backup key: must be 0x followed by 64 hex digits');
  }
  const signature = await wallet.signMessage(IDENTITY_MESSAGE);
  const identitySecret = identitySecretFromSignature(signature);
  return {
    wallet,
    address: wallet.address,
    did: holderDidFromPrivateKey(wallet.privateKey),
    identitySecret,
    identityCommitment: identityCommitment(identitySecret),
  };
}

/** A new random holder key. */
export function newHolderKey(): string {
  return Wallet.createRandom().privateKey;
}
