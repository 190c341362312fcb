/**
 * A registration through the relayer that was under review when the wallet locked: the holder's
 * confirm (or an auto-lock just after it) must not lead to a consent signature nor a request to
 * the relayer. The session, signer and relayer are small stand-ins that record what they were asked.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DeployedToken, RegistrationProof } from '@zkkyc/sdk';
import { WalletLockedError, type WalletSession } from '../wallet-session.js';
import { registerThroughRelayer } from './relayer-registration.js';

const GATE = '0x00000000000000000000000000000000000000aa';
const WALLET = '0x00000000000000000000000000000000000000bb';

function standIns() {
  const asked: string[] = [];
  let locked = false;
  const signer = {
    getAddress: async () => (asked.push('signer.getAddress'), WALLET),
    signTypedData: async () => (asked.push('signer.signTypedData'), '0x'),
  };
  const gate = { getAddress: async () => GATE, runner: signer, nonces: async () => 0n };
  const session = {
    loaded: { config: { relayerUrl: 'http://relayer.test' }, deployment: { chainId: '31337' } },
    identity: { address: WALLET },
    chain: async () => {
      if (locked) throw new WalletLockedError();
      return { provider: { getBlock: async () => ({ timestamp: 1 }) }, contracts: { complianceGate: gate } };
    },
    assertUnlocked: () => {
      if (locked) throw new WalletLockedError();
    },
    lock: () => void (locked = true),
  };
  return { asked, session };
}

describe('registration through the relayer, locked during its review', () => {
  const realFetch = globalThis.fetch;
  const requests: string[] = [];
  beforeEach(() => {
    requests.length = 0;
    globalThis.fetch = (async (url: string | URL, init?: RequestInit) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(url)).pathname}`);
      return new Response(JSON.stringify({ status: 'ok', relayer: '0x00000000000000000000000000000000000000cc', balance: '1', gate: GATE, chainId: 31337 }), { status: 200 });
    }) as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('signs no consent and sends nothing when the lock comes while the review is open', async () => {
    const { asked, session } = standIns();
    const token = { symbol: 'AREF', name: 'Demo fund' } as DeployedToken;
    const registering = registerThroughRelayer(session as unknown as WalletSession, { token, policyId: 1n, proof: {} as RegistrationProof, validUntil: '2027-01-01' }, async () => {
      session.lock(); // auto-lock while the dialog is up …
      return true; // … and a confirm that still gets through
    });
    await expect(registering).rejects.toBeInstanceOf(WalletLockedError);
    expect(asked).toEqual([]);
    expect(requests).toEqual(['GET /v1/health']);
  });
});
