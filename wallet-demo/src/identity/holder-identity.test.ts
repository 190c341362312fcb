/**
 * The wallet's two key schemes from one backup key: a wallet made now shows each issuer a DID of
 * its own and uses derived accounts; a wallet from before keeps its DID and first account (the
 * key's own), so the credentials issued to it still open. Both have the same zk identity, and the
 * accounts added later are the same derived ones.
 */
import { describe, expect, it } from '@jest/globals';
import { Wallet } from 'ethers';
import { deriveWalletKey, holderDidForIssuer, holderDidFromPrivateKey, newRootKey } from '@zkkyc/sdk';
import { accountAddresses, holderIdentityFromKey } from './holder-identity.js';

const ISSUER = 'did:web:kyc.example.com';

describe('holder identity in the wallet', () => {
  it('derived-v1: a per-issuer DID and derived accounts, none of them the backup key', async () => {
    const key = newRootKey();
    const identity = await holderIdentityFromKey(key);
    expect(identity.scheme).toBe('derived-v1');
    expect(identity.address).toBe(new Wallet(await deriveWalletKey(key, 0)).address);
    expect(identity.address).not.toBe(new Wallet(key).address);
    expect(await identity.didFor(ISSUER)).toEqual(await holderDidForIssuer(key, ISSUER));
    expect((await identity.didFor(ISSUER)).did).not.toBe(holderDidFromPrivateKey(key));
    const second = await holderIdentityFromKey(key, 'derived-v1', 1);
    expect(await accountAddresses(key, 'derived-v1', 2)).toEqual([identity.address, second.address]);
    expect(second.identityCommitment).toBe(identity.identityCommitment);
  });

  it('single-key (wallets from before): the key is the first account and its did:key the DID, at every issuer', async () => {
    const key = newRootKey();
    const legacy = await holderIdentityFromKey(key, 'single-key');
    expect(legacy.address).toBe(new Wallet(key).address);
    expect((await legacy.didFor(ISSUER)).did).toBe(holderDidFromPrivateKey(key));
    expect((await legacy.didFor('did:web:other.example')).did).toBe(holderDidFromPrivateKey(key));
    // Same identity as the derived scheme, and the same added accounts.
    expect(legacy.identityCommitment).toBe((await holderIdentityFromKey(key)).identityCommitment);
    expect((await accountAddresses(key, 'single-key', 3)).slice(1)).toEqual((await accountAddresses(key, 'derived-v1', 3)).slice(1));
  });

  it('refuses a backup key that is not one, naming it', async () => {
    await expect(holderIdentityFromKey('0x12')).rejects.toThrow(/^backup key: must be 0x followed by 64 hex digits/);
  });
});
