/**
 * The relayer client and the consent it sends, without a chain: what goes on the wire (every
 * number a decimal string), how refusals come back (RelayerApiError with field and rule), and the
 * consent's typed data (the gate's Consent type, signed by the wallet the proof names only).
 * relayer/test/registrations.test.ts runs both against a real relayer and gate.
 */
import { describe, expect, test } from '@jest/globals';
import { Wallet } from 'ethers';
import type { ComplianceGate } from '@zkkyc/contracts/typechain';
import { ConsentError, consentSigner, registrationSubject, signRegistrationConsent } from './registration-consent.js';
import { RelayerApiError, RelayerClient, RelayerUnreachableError } from './relayer-client.js';
import type { RegistrationProof } from './gate-policy.js';

const wallet = new Wallet('0x' + '11'.repeat(32));
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
const domain = { name: 'zkkyc ComplianceGate', version: '1', chainId: 31337n, verifyingContract: '0x' + 'ab'.repeat(20) };
/** The two gate reads signing needs: its EIP-712 domain and the wallet's nonce. */
const gate = {
  target: domain.verifyingContract,
  eip712Domain: async () => ({
    fields: '0x0f',
    name: domain.name,
    version: domain.version,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
    salt: '0x' + '00'.repeat(32),
    extensions: [],
  }),
  nonces: async () => 4n,
} as unknown as ComplianceGate;

function fakeFetch(status: number, body: unknown, seen: { url?: string; init?: RequestInit }[] = []): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    seen.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
}

describe('signRegistrationConsent', () => {
  test('signs the gate’s Consent over the wallet’s current nonce; the signature recovers to the wallet', async () => {
    const consent = await signRegistrationConsent(wallet, gate, { policyId: 3, proof, deadline: 1_900_000_000, chainId: 31337 });
    expect(consent).toMatchObject({ wallet: wallet.address, nonce: 4n, deadline: 1_900_000_000n });
    const message = { policyId: 3n, nullifier: 99n, context, nonce: 4n, deadline: 1_900_000_000n };
    expect(consentSigner(domain, message, consent.signature)).toBe(wallet.address);
    // Over another nonce, the same signature names someone else.
    expect(consentSigner(domain, { ...message, nonce: 5n }, consent.signature)).not.toBe(wallet.address);
  });

  test('refuses a signer other than the wallet the proof names, and a malformed proof', async () => {
    const other = Wallet.createRandom();
    await expect(signRegistrationConsent(other, gate, { policyId: 3, proof, deadline: 1_900_000_000 })).rejects.toMatchObject({ field: 'signer', rule: 'wallet' });
    const short = { solidityCalldata: { ...proof.solidityCalldata, pubSignals: [1n, 2n, 3n] } } as unknown as RegistrationProof;
    expect(() => registrationSubject(short)).toThrow(ConsentError);
    expect(registrationSubject(proof)).toEqual({ nullifier: 99n, context, wallet: wallet.address });
  });
});

describe('RelayerClient', () => {
  test('posts the proof and consent with every number as a decimal string and returns the mined registration', async () => {
    const seen: { url?: string; init?: RequestInit }[] = [];
    const answer = { txHash: '0x' + 'cd'.repeat(32), blockNumber: 12, wallet: wallet.address };
    const client = new RelayerClient('http://127.0.0.1:3200/', fakeFetch(200, answer, seen));
    await expect(client.register({ policyId: 3n, proof, consent: { deadline: 1_900_000_000n, signature: '0x12' } })).resolves.toEqual(answer);
    expect(seen[0].url).toBe('http://127.0.0.1:3200/v1/registrations');
    expect(JSON.parse(String(seen[0].init!.body))).toEqual({
      policyId: '3',
      proof: {
        pA: ['1', '2'],
        pB: [
          ['3', '4'],
          ['5', '6'],
        ],
        pC: ['7', '8'],
        pubSignals: ['99', '10', '11', context.toString()],
      },
      consent: { deadline: '1900000000', signature: '0x12' },
    });
  });

  test('a refusal becomes RelayerApiError with the code, field and rule; no answer at all, RelayerUnreachableError', async () => {
    const refusal = { error: { code: 'registration_refused', message: 'the gate would refuse this registration: InvalidProof()', field: 'proof', rule: 'InvalidProof' } };
    const error = await new RelayerClient('http://relayer', fakeFetch(422, refusal)).health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayerApiError);
    expect(error).toMatchObject({ status: 422, code: 'registration_refused', field: 'proof', rule: 'InvalidProof' });
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    await expect(new RelayerClient('http://relayer', down).health()).rejects.toBeInstanceOf(RelayerUnreachableError);
  });

  test('register hands a batched request over (Prefer: respond-async) and polls its status until registered', async () => {
    const seen: { url?: string; init?: RequestInit }[] = [];
    const base = { id: 'r-1', wallet: wallet.address, policyId: '3' };
    const answers: [number, unknown][] = [
      [202, { ...base, status: 'queued' }],
      [200, { ...base, status: 'submitted', txHash: '0x' + 'ab'.repeat(32) }],
      [200, { ...base, status: 'registered', txHash: '0x' + 'ab'.repeat(32), blockNumber: 9, until: '1900000000' }],
    ];
    const sequence = (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      const [status, body] = answers.shift()!;
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;
    const statuses: string[] = [];
    const done = await new RelayerClient('http://relayer', sequence).register(
      { policyId: 3n, proof, consent: { deadline: 1_900_000_000n, signature: '0x12' } },
      { intervalMs: 1, onStatus: (s) => statuses.push(s.status) },
    );
    expect(done).toEqual({ id: 'r-1', txHash: '0x' + 'ab'.repeat(32), blockNumber: 9, wallet: wallet.address, until: '1900000000' });
    expect(statuses).toEqual(['queued', 'submitted', 'registered']);
    expect((seen[0].init!.headers as Record<string, string>).prefer).toBe('respond-async');
    expect(seen.slice(1).map((s) => s.url)).toEqual(['http://relayer/v1/registrations/r-1', 'http://relayer/v1/registrations/r-1']);
  });

  test('a request refused or expired while it waited throws RelayerApiError with the gate’s error; a wait that runs out throws wait_timeout', async () => {
    const refused = {
      id: 'r-2',
      wallet: wallet.address,
      policyId: '3',
      status: 'refused',
      error: { code: 'registration_refused', message: 'WalletBarred(…)', field: 'proof.pubSignals', rule: 'WalletBarred' },
    };
    const client = new RelayerClient('http://relayer', fakeFetch(200, refused));
    await expect(client.waitUntilRegistered('r-2', { intervalMs: 1 })).rejects.toMatchObject({ status: 422, code: 'registration_refused', rule: 'WalletBarred' });
    const expired = { ...refused, status: 'expired', error: { code: 'consent_expired', message: 'deadline', field: 'consent.deadline', rule: 'deadline' } };
    await expect(new RelayerClient('http://relayer', fakeFetch(200, expired)).waitUntilRegistered('r-2')).rejects.toMatchObject({ status: 400, code: 'consent_expired' });
    const queued = { ...refused, status: 'queued', error: undefined };
    await expect(new RelayerClient('http://relayer', fakeFetch(200, queued)).waitUntilRegistered('r-2', { intervalMs: 1, timeoutMs: 20 })).rejects.toMatchObject({ code: 'wait_timeout' });
  });
});
