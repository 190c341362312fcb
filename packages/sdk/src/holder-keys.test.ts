/**
 * The holder's key derivation: the key behind the DID an issuer sees and every wallet key are
 * distinct, and the DID's public key maps to no wallet address — which was exactly what the DID
 * gave away when it was the wallet key's did:key (the one-key holder below still shows it).
 */
import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '@zkkyc/credentials';
import { Wallet, computeAddress, getBytes, hexlify } from 'ethers';
import { base58btc } from 'multiformats/bases/base58';
import { holderDidFromPrivateKey } from './holder-did.js';
import { HOLDER_DID_INFO, HOLDER_KEYS_SALT, WALLET_KEY_INFO, deriveHolderDidKey, deriveWalletKey, holderDidForIssuer, newRootKey } from './holder-keys.js';
import { Holder } from './holder.js';

const ISSUER = 'did:key:zDnaeUKTWUXc1HDpGfKbEK31nKLN19yX5aunFd7VK1CUMeyJu';
const OTHER_ISSUER = 'did:web:kyc.example.com';
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The Ethereum address of a secp256k1 did:key's public key (what an issuer could compute). */
function addressOfDidKey(did: string): string {
  const bytes = base58btc.decode(did.slice('did:key:'.length));
  expect([bytes[0], bytes[1]]).toEqual([0xe7, 0x01]); // secp256k1-pub multicodec
  return computeAddress(hexlify(bytes.slice(2)));
}

/** The same derivation through Node's own HKDF (OpenSSL), written from the spec in holder-keys.ts. */
function referenceKey(root: string, label: string, context: Uint8Array): string {
  const info = Buffer.concat([Buffer.from(label, 'utf8'), Buffer.from([0]), Buffer.from(context)]);
  const okm = Buffer.from(hkdfSync('sha256', getBytes(root), Buffer.from(HOLDER_KEYS_SALT, 'utf8'), info, 48));
  const scalar = (BigInt(`0x${okm.toString('hex')}`) % (N - 1n)) + 1n;
  return `0x${scalar.toString(16).padStart(64, '0')}`;
}

describe('holder keys (HKDF-SHA-256 from one root secret)', () => {
  it('derives a DID key and wallet keys that are all distinct, and no wallet address from the DID', async () => {
    const root = newRootKey();
    const didKey = await deriveHolderDidKey(root, ISSUER);
    const did = holderDidFromPrivateKey(didKey);
    const walletKeys = await Promise.all([0, 1, 2, 3, 4].map((i) => deriveWalletKey(root, i)));
    const wallets = walletKeys.map((k) => new Wallet(k).address);

    const allKeys = [root, didKey, ...walletKeys];
    expect(new Set(allKeys).size).toBe(allKeys.length);
    expect(new Set(wallets).size).toBe(wallets.length);

    const didAddress = addressOfDidKey(did);
    expect(wallets).not.toContain(didAddress);
    expect(didAddress).not.toBe(new Wallet(root).address);
    // …and through the Holder the wallet uses: its DID for the issuer names none of its wallets.
    const holder = await Holder.fromRootKey(root);
    const second = await holder.withWallet(1);
    expect(await holder.didFor(ISSUER)).toBe(did);
    expect([holder.address, second.address]).toEqual(wallets.slice(0, 2));
    expect(addressOfDidKey(await holder.didFor(ISSUER))).not.toBe(holder.address);
    expect(addressOfDidKey(await second.didFor(ISSUER))).not.toBe(second.address);
    // One identity across wallets: the same zk identity (so the same nullifier at a gate).
    expect(second.identityCommitment).toBe(holder.identityCommitment);
  });

  it('a one-key holder (from before) keeps its wallet did:key, which does map to its wallet', async () => {
    const key = newRootKey();
    const legacy = await Holder.fromWallet(new Wallet(key));
    const did = await legacy.didFor(ISSUER);
    expect(did).toBe(holderDidFromPrivateKey(key));
    expect(addressOfDidKey(did)).toBe(legacy.address);
    // The same backup key as a root gives the same zk identity, so its credentials stay provable.
    expect((await Holder.fromRootKey(key)).identityCommitment).toBe(legacy.identityCommitment);
    await expect(legacy.withWallet(1)).rejects.toMatchObject({ field: 'walletIndex', rule: 'derived-keys' });
  });

  it('is pairwise per issuer and deterministic', async () => {
    const root = newRootKey();
    const a = await holderDidForIssuer(root, ISSUER);
    const b = await holderDidForIssuer(root, OTHER_ISSUER);
    expect(a.did).not.toBe(b.did);
    expect(await holderDidForIssuer(root, ISSUER)).toEqual(a);
    expect(await deriveWalletKey(root, 7)).toBe(await deriveWalletKey(root, 7));
    expect((await holderDidForIssuer(newRootKey(), ISSUER)).did).not.toBe(a.did);
  });

  it('matches an independent HKDF (node:crypto) for the documented salt and info', async () => {
    const root = `0x${'11'.repeat(32)}`;
    expect(await deriveHolderDidKey(root, ISSUER)).toBe(referenceKey(root, HOLDER_DID_INFO, Buffer.from(ISSUER, 'utf8')));
    expect(await deriveWalletKey(root, 0)).toBe(referenceKey(root, WALLET_KEY_INFO, Uint8Array.of(0, 0, 0, 0)));
    expect(await deriveWalletKey(root, 258)).toBe(referenceKey(root, WALLET_KEY_INFO, Uint8Array.of(0, 0, 1, 2)));
  });

  it('refuses bad input, naming the field and the rule', async () => {
    const root = newRootKey();
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => {
          throw new Error('expected a refusal');
        },
        (e: unknown) => {
          expect(e).toBeInstanceOf(ValidationError);
          const { field, rule } = e as ValidationError;
          return { field, rule };
        },
      );
    expect(await refusal(deriveWalletKey('0x1234', 0))).toEqual({ field: 'rootKey', rule: 'hex32' });
    expect(await refusal(deriveWalletKey(`0x${'00'.repeat(32)}`, 0))).toEqual({ field: 'rootKey', rule: 'secp256k1-range' });
    expect(await refusal(deriveWalletKey(`0x${N.toString(16)}`, 0))).toEqual({ field: 'rootKey', rule: 'secp256k1-range' });
    expect(await refusal(deriveWalletKey(root, -1))).toEqual({ field: 'walletIndex', rule: 'uint32' });
    expect(await refusal(deriveWalletKey(root, 1.5))).toEqual({ field: 'walletIndex', rule: 'uint32' });
    expect(await refusal(deriveWalletKey(root, 2 ** 32))).toEqual({ field: 'walletIndex', rule: 'uint32' });
    expect(await refusal(deriveHolderDidKey(root, 'issuer-1'))).toEqual({ field: 'issuerDid', rule: 'did' });
    expect(await refusal(deriveHolderDidKey(root, 'did:key: z6Mk'))).toEqual({ field: 'issuerDid', rule: 'did' });
    expect(await refusal(Holder.fromRootKey('not a key'))).toEqual({ field: 'rootKey', rule: 'hex32' });
  });
});
