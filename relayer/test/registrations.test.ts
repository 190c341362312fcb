/**
 * The relayer against a real Hardhat node with real proofs: a wallet holding 0 ETH registers through
 * it (the relayer pays, the wallet's balance stays 0); a repeat of the same consent answers with the
 * same transaction; a replayed consent, a consent by another key, an expired deadline, a malformed
 * field, a proof the gate would refuse and the limits are each refused with code, field and rule,
 * and no transaction is sent (the relayer's account nonce does not move).
 */
import '../../compliance-monitor/test/support/inject-cookie-stub.js';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Wallet, type HDNodeWallet } from 'ethers';
import { releaseProverThreads, type KycProof } from '@zkkyc/prover/node';
import { consentDomain, CONSENT_TYPES, decodeRevert, registrationSubject, RelayerApiError, RelayerClient, signRegistrationConsent } from '@zkkyc/sdk';
import { createRelayer, type Relayer } from '../src/server.js';
import { POLICY_ID, startRelayerWorld, type RelayerWorld } from './support/world.js';

let world: RelayerWorld;
let relayer: Relayer;
let holder: { wallet: HDNodeWallet; proof: KycProof };
const opened: Relayer[] = [];

beforeAll(async () => {
  world = await startRelayerWorld();
  holder = await world.proveForNewWallet();
  relayer = await open({ limits: { ...world.config().limits, walletDailyLimit: 1 } });
}, 120_000);

afterAll(async () => {
  for (const r of opened) await r.close().catch(() => undefined);
  world?.stop();
  await releaseProverThreads();
});

async function open(overrides: Parameters<RelayerWorld['config']>[0] = {}): Promise<Relayer> {
  const r = await createRelayer(world.config(overrides));
  opened.push(r);
  return r;
}

async function chainTime(): Promise<number> {
  return (await world.provider.getBlock('latest'))!.timestamp;
}

/** The JSON body a client sends, from a proof and a consent signed by `signer`. */
async function body(proof: KycProof, signer: Wallet | HDNodeWallet, options: { deadline?: number; policyId?: bigint } = {}) {
  const deadline = options.deadline ?? (await chainTime()) + 3600;
  const policyId = options.policyId ?? POLICY_ID;
  const gate = world.contracts.complianceGate;
  let signature: string;
  if (signer.address === holder.wallet.address) {
    signature = (await signRegistrationConsent(signer.connect(world.provider), gate, { policyId, proof, deadline })).signature;
  } else {
    // Another key signs the very message the wallet would have signed.
    const { nullifier, context, wallet } = registrationSubject(proof);
    signature = await signer.signTypedData(await consentDomain(gate), CONSENT_TYPES, { policyId, nullifier, context, nonce: await gate.nonces(wallet), deadline });
  }
  const s = (v: bigint | string) => BigInt(v).toString();
  const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
  return {
    policyId: policyId.toString(),
    proof: { pA: pA.map(s), pB: pB.map((r) => r.map(s)), pC: pC.map(s), pubSignals: pubSignals.map(s) },
    consent: { deadline: String(deadline), signature },
  };
}

async function post(r: Relayer, payload: unknown) {
  const res = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload: payload as object });
  return { status: res.statusCode, json: res.json() as { error?: { code: string; field?: string; rule?: string; message: string }; txHash?: string; blockNumber?: number; wallet?: string } };
}

const relayerNonce = () => world.provider.getTransactionCount(relayer.address, 'latest');

describe('refusals before any gas', () => {
  test('malformed fields are refused naming the field and the rule', async () => {
    const good = await body(holder.proof, holder.wallet);
    const before = await relayerNonce();
    const cases: [unknown, string, string][] = [
      [{ ...good, extra: 1 }, 'extra', 'unknown'],
      [{ proof: good.proof, consent: good.consent }, 'policyId', 'required'],
      [{ ...good, policyId: '-1' }, 'policyId', 'uint'],
      [{ ...good, proof: { ...good.proof, pA: [good.proof.pA[0]] } }, 'proof.pA', 'length'],
      [{ ...good, proof: { ...good.proof, pB: [good.proof.pB[0], ['1', 'x']] } }, 'proof.pB.1.1', 'uint'],
      [{ ...good, proof: { ...good.proof, pubSignals: good.proof.pubSignals.slice(0, 3) } }, 'proof.pubSignals', 'length'],
      [{ ...good, proof: { ...good.proof, pubSignals: [...good.proof.pubSignals.slice(0, 3), (1n << 230n).toString()] } }, 'proof.pubSignals.3', 'context'],
      [{ ...good, proof: { ...good.proof, pubSignals: [(2n ** 255n).toString(), ...good.proof.pubSignals.slice(1)] } }, 'proof.pubSignals.0', 'field'],
      [{ ...good, consent: { ...good.consent, deadline: (1n << 64n).toString() } }, 'consent.deadline', 'uint64'],
      [{ ...good, consent: { ...good.consent, signature: 'not-hex' } }, 'consent.signature', 'hex'],
      [{ ...good, consent: { deadline: good.consent.deadline } }, 'consent.signature', 'required'],
    ];
    for (const [payload, field, rule] of cases) {
      const { status, json } = await post(relayer, payload);
      expect({ status, code: json.error?.code, field: json.error?.field, rule: json.error?.rule }).toEqual({ status: 400, code: 'invalid_field', field, rule });
    }
    const raw = await relayer.app.inject({ method: 'POST', url: '/v1/registrations', headers: { 'content-type': 'application/json' }, payload: '{not json' });
    expect(raw.statusCode).toBe(400);
    expect(raw.json().error).toMatchObject({ code: 'invalid_body', field: 'body' });
    expect(await relayerNonce()).toBe(before);
  });

  test('a consent signed by another key is refused as consent_invalid', async () => {
    const before = await relayerNonce();
    const { status, json } = await post(relayer, await body(holder.proof, Wallet.createRandom()));
    expect(status).toBe(403);
    expect(json.error).toMatchObject({ code: 'consent_invalid', field: 'consent.signature', rule: 'signer' });
    expect(json.error!.message).toContain(holder.wallet.address);
    expect(await relayerNonce()).toBe(before);
  });

  test('an expired deadline (or one too close) is refused as consent_expired', async () => {
    const before = await relayerNonce();
    for (const deadline of [(await chainTime()) - 60, (await chainTime()) + 5]) {
      const { status, json } = await post(relayer, await body(holder.proof, holder.wallet, { deadline }));
      expect(status).toBe(400);
      expect(json.error).toMatchObject({ code: 'consent_expired', field: 'consent.deadline', rule: 'deadline' });
    }
    expect(await relayerNonce()).toBe(before);
  });

  test('a proof that does not verify is refused off chain; one the gate would refuse comes back with the gate’s error, from a simulation', async () => {
    const before = await relayerNonce();
    // The consent is good, the proof is not: pA and pC swapped are still curve points, but no proof.
    const tampered = structuredClone(holder.proof);
    const { pA, pC } = tampered.solidityCalldata;
    tampered.solidityCalldata.pA = pC;
    tampered.solidityCalldata.pC = pA;
    let refused = await post(relayer, await body(tampered, holder.wallet));
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatchObject({ code: 'invalid_proof', field: 'proof', rule: 'invalid-proof' });
    // A policy the gate does not have, with the wallet's consent for it.
    refused = await post(relayer, await body(holder.proof, holder.wallet, { policyId: 77n }));
    expect(refused.json.error).toMatchObject({ code: 'registration_refused', field: 'policyId', rule: 'PolicyNotFound' });
    expect(refused.json.error!.message).toContain('PolicyNotFound(77)');
    expect(await relayerNonce()).toBe(before);
  });

  test('a fee above the cap is refused as gas_price_too_high', async () => {
    const capped = await open({ limits: { ...world.config().limits, maxFeePerGasWei: 1n } });
    const before = await relayerNonce();
    const { status, json } = await post(capped, await body(holder.proof, holder.wallet));
    expect(status).toBe(503);
    expect(json.error).toMatchObject({ code: 'gas_price_too_high', rule: 'max-gas-price' });
    expect(await relayerNonce()).toBe(before);
  });

  test('a registration that would pass the daily budget is refused as budget_exhausted, after its simulation', async () => {
    const broke = await open({ limits: { ...world.config().limits, dailyBudgetWei: 1n } });
    const before = await relayerNonce();
    const { status, json } = await post(broke, await body(holder.proof, holder.wallet));
    expect(status).toBe(429);
    expect(json.error).toMatchObject({ code: 'budget_exhausted', rule: 'daily-budget' });
    expect(broke.journal.countSince(0)).toBe(0);
    expect(await relayerNonce()).toBe(before);
  });
});

describe('registration paid by the relayer', () => {
  let first: { txHash?: string; blockNumber?: number; wallet?: string };
  let payload: Awaited<ReturnType<typeof body>>;

  test('a wallet holding 0 ETH registers; the relayer pays and the gate logs WalletVerified', async () => {
    const gate = world.contracts.complianceGate;
    const wallet = holder.wallet.address;
    expect(await world.provider.getBalance(wallet)).toBe(0n);
    const relayerBalance = await world.provider.getBalance(relayer.address);
    const health = (await relayer.app.inject({ method: 'GET', url: '/v1/health' })).json();
    expect(health).toEqual({ status: 'ok', relayer: relayer.address, balance: relayerBalance.toString(), gate: world.deployment.contracts.complianceGate, chainId: world.deployment.chainId });
    const openapi = (await relayer.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).toEqual(['/v1/registrations', '/v1/registrations/{id}', '/v1/health']);

    payload = await body(holder.proof, holder.wallet);
    const { status, json } = await post(relayer, payload);
    expect(status).toBe(200);
    first = json;
    expect(json.wallet).toBe(wallet);
    expect(await gate.isVerified(POLICY_ID, wallet)).toBe(true);
    expect(await gate.nonces(wallet)).toBe(1n);
    expect(await world.provider.getBalance(wallet)).toBe(0n);
    const receipt = (await world.provider.getTransactionReceipt(json.txHash!))!;
    expect(receipt.blockNumber).toBe(json.blockNumber);
    expect(receipt.from).toBe(relayer.address);
    // A batch of one (it waited BATCH_MAX_WAIT_MS alone): a registration plus the consent's calldata,
    // signature check and the wallet's first nonce write; a batch of one pays 4 pairings like verifyFor.
    expect(receipt.gasUsed).toBeLessThan(400_000n);
    expect(receipt.to).toBe(world.deployment.contracts.complianceGate);
    expect(json).toMatchObject({ status: 'registered', id: expect.any(String) });
    const verified = receipt.logs.map((l) => gate.interface.parseLog(l)).filter((e) => e?.name === 'WalletVerified');
    expect(verified.map((e) => e!.args[1])).toEqual([wallet]);
    expect(await world.provider.getBalance(relayer.address)).toBe(relayerBalance - receipt.gasUsed * receipt.gasPrice);
    expect(relayer.journal.pending()).toEqual([]);
  });

  test('the same consent again answers with the same transaction and pays nothing', async () => {
    const before = await relayerNonce();
    const again = await post(relayer, payload);
    expect(again).toEqual({ status: 200, json: first });
    expect(await relayerNonce()).toBe(before);
  });

  test('a replayed consent is refused: by a relayer without it in its journal, and by the gate itself', async () => {
    const other = await open({ databasePath: ':memory:' });
    const before = await relayerNonce();
    const { status, json } = await post(other, payload);
    expect(status).toBe(409);
    expect(json.error).toMatchObject({ code: 'consent_used', field: 'consent.signature', rule: 'nonce' });
    // Sent straight to the gate, the on-chain nonce refuses it.
    const { pA, pB, pC, pubSignals } = holder.proof.solidityCalldata;
    const gate = world.contracts.complianceGate;
    const direct = await gate.verifyFor.staticCall(POLICY_ID, pA, pB, pC, pubSignals, BigInt(payload.consent.deadline), payload.consent.signature).catch((e: unknown) => e);
    expect(decodeRevert(direct)?.name).toBe('InvalidConsentSignature');
    expect(await relayerNonce()).toBe(before);
  });

  test('a wallet over its daily limit is refused as rate_limited', async () => {
    const fresh = await body(holder.proof, holder.wallet); // a new consent, over nonce 1
    const before = await relayerNonce();
    const { status, json } = await post(relayer, fresh);
    expect(status).toBe(429);
    expect(json.error).toMatchObject({ code: 'rate_limited', field: 'wallet', rule: 'wallet-daily-limit' });
    expect(await relayerNonce()).toBe(before);
  });

  test('RelayerClient reads health and reports a refusal as RelayerApiError with its field and rule', async () => {
    const address = await relayer.app.listen({ host: '127.0.0.1', port: 0 });
    const client = new RelayerClient(address);
    await expect(client.health()).resolves.toMatchObject({ relayer: relayer.address, chainId: world.deployment.chainId });
    const consent = { deadline: (await chainTime()) - 10, signature: '0x' + '11'.repeat(65) };
    const error = await client.register({ policyId: POLICY_ID, proof: holder.proof, consent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayerApiError);
    expect(error).toMatchObject({ status: 400, code: 'consent_expired', field: 'consent.deadline', rule: 'deadline' });
  });
});
