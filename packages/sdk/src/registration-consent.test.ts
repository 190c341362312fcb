/**
 * The consent's domain check (review finding L2): the domain is read through the wallet's provider,
 * so a lying provider could make the wallet sign a consent for another contract or chain. Signing
 * refuses a domain whose verifyingContract is not the gate, or whose chainId is not the expected
 * chain (given, or the signer's provider's), naming the field and the rule; no signature is asked.
 */
import { describe, expect, test } from '@jest/globals';
import { JsonRpcProvider, Network, Wallet } from 'ethers';
import type { ComplianceGate } from '@zkkyc/contracts/typechain';
import { assertConsentDomain, ConsentError, consentSigner, signRegistrationConsent } from './registration-consent.js';
import type { RegistrationProof } from './gate-policy.js';

const GATE = '0x' + 'ab'.repeat(20);
const wallet = new Wallet('0x' + '22'.repeat(32));
const context = BigInt(wallet.address) + (20261201n << 160n) + (20271231n << 192n);
const proof: RegistrationProof = {
  solidityCalldata: {
    pA: [1n, 2n],
    pB: [
      [3n, 4n],
      [5n, 6n],
    ],
    pC: [7n, 8n],
    pubSignals: [99n, 10n, 11n, context],
  },
};

/** A gate at GATE whose eip712Domain answers what the (possibly lying) provider says. */
function gateReporting(domain: { chainId: bigint; verifyingContract: string }): ComplianceGate {
  return {
    target: GATE,
    eip712Domain: async () => ({ fields: '0x0f', name: 'zkkyc ComplianceGate', version: '1', ...domain, salt: '0x' + '00'.repeat(32), extensions: [] }),
    nonces: async () => 0n,
  } as unknown as ComplianceGate;
}

/** Counts signTypedData calls: a refused domain must never reach the wallet's key. */
function countingSigner(): { signer: Wallet; signed: () => number } {
  let n = 0;
  const signer = new Wallet(wallet.privateKey);
  const sign = signer.signTypedData.bind(signer);
  signer.signTypedData = async (...args) => {
    n++;
    return sign(...args);
  };
  return { signer, signed: () => n };
}

describe('signRegistrationConsent checks the domain before signing', () => {
  test('the gate’s own domain on the expected chain is signed', async () => {
    const { signer, signed } = countingSigner();
    const consent = await signRegistrationConsent(signer, gateReporting({ chainId: 31337n, verifyingContract: GATE }), { policyId: 1, proof, deadline: 1_900_000_000, chainId: 31337 });
    expect(signed()).toBe(1);
    const domain = { name: 'zkkyc ComplianceGate', version: '1', chainId: 31337n, verifyingContract: GATE };
    expect(consentSigner(domain, { policyId: 1n, nullifier: 99n, context, nonce: 0n, deadline: 1_900_000_000n }, consent.signature)).toBe(wallet.address);
  });

  test.each([
    ['domain.verifyingContract', 'gate', { chainId: 31337n, verifyingContract: '0x' + 'cd'.repeat(20) }],
    ['domain.chainId', 'chain', { chainId: 1n, verifyingContract: GATE }],
  ])('a domain naming another contract or chain is refused naming %s, rule %s, and nothing is signed', async (field, rule, reported) => {
    const { signer, signed } = countingSigner();
    const error = await signRegistrationConsent(signer, gateReporting(reported), { policyId: 1, proof, deadline: 1_900_000_000, chainId: 31337 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsentError);
    expect(error).toMatchObject({ field, rule });
    expect(signed()).toBe(0);
  });

  test('without a chain id, the signer’s provider’s chain is expected; with neither, it refuses', async () => {
    const provider = new JsonRpcProvider('http://127.0.0.1:1', Network.from(5n), { staticNetwork: true });
    const connected = new Wallet(wallet.privateKey, provider);
    await expect(signRegistrationConsent(connected, gateReporting({ chainId: 31337n, verifyingContract: GATE }), { policyId: 1, proof, deadline: 1_900_000_000 })).rejects.toMatchObject({
      field: 'domain.chainId',
      rule: 'chain',
    });
    provider.destroy();
    await expect(
      signRegistrationConsent(new Wallet(wallet.privateKey), gateReporting({ chainId: 31337n, verifyingContract: GATE }), { policyId: 1, proof, deadline: 1_900_000_000 }),
    ).rejects.toMatchObject({
      field: 'chainId',
      rule: 'required',
    });
  });

  test('assertConsentDomain compares addresses whatever their case', () => {
    expect(() => assertConsentDomain({ chainId: 7n, verifyingContract: GATE.toUpperCase().replace('0X', '0x') }, { gate: GATE, chainId: 7n })).not.toThrow();
  });
});
