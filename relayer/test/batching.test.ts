/**
 * Batched registration against a real Hardhat node with real proofs (issue 15): requests are checked
 * one by one and queued; a batch goes out when BATCH_MAX_SIZE are queued or the oldest waited
 * BATCH_MAX_WAIT_MS; an entry the gate refuses when the batch is simulated is taken out with its own
 * error and the rest registered in one transaction; the same consent posted again is the same request;
 * a consent whose deadline comes while it waits expires. kill -9 at each step: restart.test.ts.
 */
import '../../compliance-monitor/test/support/inject-cookie-stub.js';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { parseEther, parseUnits, Wallet, type HDNodeWallet } from 'ethers';
import { releaseProverThreads, type KycProof } from '@zkkyc/prover/node';
import { signRegistrationConsent } from '@zkkyc/sdk';
import type { RequestView } from '../src/services/registrations.js';
import { createRelayer, type Relayer, type RelayerOptions } from '../src/server.js';
import { DEFAULT_LIMITS, type RelayerConfig } from '../src/config.js';
import { POLICY_ID, startRelayerWorld, type RelayerWorld } from './support/world.js';

let world: RelayerWorld;
const opened: Relayer[] = [];
const lines: string[] = [];

beforeAll(async () => {
  world = await startRelayerWorld();
}, 120_000);

afterAll(async () => {
  for (const r of opened) await r.close().catch(() => undefined);
  world?.stop();
  await releaseProverThreads();
});

async function open(batch: { maxSize: number; maxWaitMs: number }, options: RelayerOptions = {}, overrides: Partial<RelayerConfig> = {}): Promise<Relayer> {
  const r = await createRelayer(world.config({ batch, ...overrides }), { log: (l) => lines.push(l), ...options });
  opened.push(r);
  return r;
}

const chainTime = async () => (await world.provider.getBlock('latest'))!.timestamp;

async function payloadFor(holder: { wallet: HDNodeWallet; proof: KycProof }, deadline?: number) {
  const d = deadline ?? (await chainTime()) + 3600;
  const consent = await signRegistrationConsent(holder.wallet.connect(world.provider), world.contracts.complianceGate, { policyId: POLICY_ID, proof: holder.proof, deadline: d });
  const s = (v: bigint | string) => BigInt(v).toString();
  const { pA, pB, pC, pubSignals } = holder.proof.solidityCalldata;
  return {
    policyId: POLICY_ID.toString(),
    proof: { pA: pA.map(s), pB: pB.map((x) => x.map(s)), pC: pC.map(s), pubSignals: pubSignals.map(s) },
    consent: { deadline: String(d), signature: consent.signature },
  };
}

async function submit(r: Relayer, payload: object): Promise<{ status: number; view: RequestView }> {
  const res = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload, headers: { prefer: 'respond-async' } });
  return { status: res.statusCode, view: res.json() as RequestView };
}

async function statusOf(r: Relayer, id: string): Promise<RequestView> {
  return (await r.app.inject({ method: 'GET', url: `/v1/registrations/${id}` })).json() as RequestView;
}

async function until(r: Relayer, id: string, done: (v: RequestView) => boolean): Promise<RequestView> {
  for (let i = 0; i < 300; i++) {
    const v = await statusOf(r, id);
    if (done(v)) return v;
    await new Promise((x) => setTimeout(x, 50));
  }
  throw new Error(`request ${id} never reached the state`);
}

const settled = (v: RequestView) => !['queued', 'submitted'].includes(v.status);
const relayerNonce = (r: Relayer) => world.provider.getTransactionCount(r.address, 'latest');

let holders: { wallet: HDNodeWallet; proof: KycProof }[];

beforeAll(async () => {
  // Four proofs for the whole file: a request that expired or was refused registered nothing, so
  // its holder's proof is used again with a new consent.
  holders = [];
  for (let i = 0; i < 4; i++) holders.push(await world.proveForNewWallet());
}, 120_000);

test('a consent whose deadline comes while it waits is dropped as expired; nothing is sent', async () => {
  let skew = 0;
  const r = await open({ maxSize: 16, maxWaitMs: 600_000 }, { now: () => Date.now() + skew });
  const before = await relayerNonce(r);
  const queued = await submit(r, await payloadFor(holders[3], (await chainTime()) + 120));
  expect(queued.view.status).toBe('queued');
  skew = 3_600_000;
  await r.service.batcher.flush();
  const v = await statusOf(r, queued.view.id);
  expect(v).toMatchObject({ status: 'expired', error: { code: 'consent_expired', field: 'consent.deadline', rule: 'deadline' } });
  expect(v.txHash).toBeUndefined();
  expect(await relayerNonce(r)).toBe(before);
  expect(await world.contracts.complianceGate.isVerified(POLICY_ID, holders[3].wallet.address)).toBe(false);
});

test('time trigger: a lone request goes out after BATCH_MAX_WAIT_MS; a POST without Prefer waits for it', async () => {
  const r = await open({ maxSize: 16, maxWaitMs: 400 });
  const started = Date.now();
  const res = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload: await payloadFor(holders[3]) });
  expect(res.statusCode).toBe(200);
  expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  const answer = res.json() as { id: string; txHash: string; status: string; wallet: string; until: string };
  expect(answer).toMatchObject({ status: 'registered', wallet: holders[3].wallet.address });
  expect(await statusOf(r, answer.id)).toMatchObject({ status: 'registered', txHash: answer.txHash, until: answer.until });
  expect(BigInt(answer.until)).toBe(await world.contracts.complianceGate.verifiedUntil(POLICY_ID, holders[3].wallet.address));
  const receipt = (await world.provider.getTransactionReceipt(answer.txHash))!;
  console.log(`batch of 1: ${receipt.gasUsed} gas`);
  const unknown = await r.app.inject({ method: 'GET', url: '/v1/registrations/00000000-0000-4000-8000-000000000000' });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().error).toMatchObject({ code: 'request_not_found', field: 'id' });
});

test('size trigger: the batch goes out as soon as the third is queued; an entry the gate now refuses is taken out with its own error, the others register in one transaction; duplicate POSTs are the same request', async () => {
  // A long wait: only the size can send this batch.
  const r = await open({ maxSize: 3, maxWaitMs: 600_000 });
  const gate = world.contracts.complianceGate;
  const before = await relayerNonce(r);
  const payloads = await Promise.all(holders.slice(0, 3).map((h) => payloadFor(h)));

  const first = await submit(r, payloads[0]);
  expect(first).toMatchObject({ status: 202, view: { status: 'queued', wallet: holders[0].wallet.address } });
  // Posted again (the client lost the answer), twice at once: the same request, nothing new queued.
  const repeats = await Promise.all([submit(r, payloads[0]), submit(r, payloads[0])]);
  for (const again of repeats) expect(again).toMatchObject({ status: 202, view: { id: first.view.id, status: 'queued' } });
  expect(r.journal.queued()).toHaveLength(1);
  const second = await submit(r, payloads[1]);
  expect(second.view.status).toBe('queued');
  // Accepted and queued, then the wallet is barred on chain: its entry now fails in the batch.
  await (await gate.barWallet(POLICY_ID, holders[1].wallet.address, (await chainTime()) + 86_400, 'test: barred while queued')).wait();
  await new Promise((x) => setTimeout(x, 300));
  expect((await statusOf(r, first.view.id)).status).toBe('queued');
  expect(await relayerNonce(r)).toBe(before);

  const third = await submit(r, payloads[2]);
  const [va, vb, vc] = await Promise.all([first, second, third].map((x) => until(r, x.view.id, settled)));
  expect(vb).toMatchObject({ status: 'refused', error: { code: 'registration_refused', rule: 'WalletBarred', field: 'proof.pubSignals' } });
  expect(vb.error!.message).toContain('WalletBarred');
  expect(vb.txHash).toBeUndefined();
  expect(await gate.isVerified(POLICY_ID, holders[1].wallet.address)).toBe(false);
  for (const [v, h] of [
    [va, holders[0]],
    [vc, holders[2]],
  ] as const) {
    expect(v).toMatchObject({ status: 'registered', wallet: h.wallet.address, txHash: va.txHash, blockNumber: va.blockNumber });
    expect(BigInt(v.until!)).toBe(await gate.verifiedUntil(POLICY_ID, h.wallet.address));
    expect(await gate.isVerified(POLICY_ID, h.wallet.address)).toBe(true);
    expect(await world.provider.getBalance(h.wallet.address)).toBe(0n);
  }
  // One transaction for the two: a verifyBatch to the gate.
  expect(await relayerNonce(r)).toBe(before + 1);
  const receipt = (await world.provider.getTransactionReceipt(va.txHash!))!;
  const sent = (await world.provider.getTransaction(va.txHash!))!;
  expect(sent.to).toBe(world.deployment.contracts.complianceGate);
  expect(sent.data.slice(0, 10)).toBe(world.contracts.complianceGate.interface.getFunction('verifyBatch')!.selector);
  console.log(`batch of 2: ${receipt.gasUsed} gas, ${receipt.gasUsed / 2n} per wallet`);

  // Repeats after the end answer the end, without a new transaction; a waiting POST of the refused one answers its error.
  expect(await submit(r, payloads[0])).toMatchObject({ status: 200, view: { id: first.view.id, status: 'registered', txHash: va.txHash } });
  const waiting = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload: payloads[2] });
  expect(waiting.json()).toMatchObject({ id: third.view.id, status: 'registered', txHash: va.txHash });
  const refused = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload: payloads[1] });
  expect(refused.statusCode).toBe(422);
  expect(refused.json().error).toMatchObject({ code: 'registration_refused', rule: 'WalletBarred' });
  expect(await relayerNonce(r)).toBe(before + 1);
  expect(r.journal.pending()).toEqual([]);
});

/** Blocks are mined only when the test says so (a transaction waits in the mempool, as on a busy chain). */
const automine = (on: boolean) => world.provider.send('evm_setAutomine', [on]);

test('a front-run batch is charged to the entry that spoiled it: the innocent request is queued again with no revert counted and registers; the spoiler is refused and counted against its investor', async () => {
  const victim = await world.proveForNewWallet();
  const attacker = await world.proveForNewWallet();
  // A second wallet of the same investor: a second try at the same trick.
  const second = Wallet.createRandom();
  const attackerB = { wallet: second, proof: await world.prove(attacker.credential, second.address) };
  for (const w of [attacker.wallet.address, second.address]) await (await world.admin.sendTransaction({ to: w, value: parseEther('1') })).wait();
  const r = await open({ maxSize: 3, maxWaitMs: 600_000 }, {}, { limits: { ...DEFAULT_LIMITS, requestsPerMinute: 100_000, investorDailyLimit: 2 } });
  const gate = world.contracts.complianceGate;
  // The spoiler's own cancelConsent, with a higher tip than the relayer's: mined first, in the batch's block.
  const frontRun = async (holder: { wallet: HDNodeWallet | Wallet }) => {
    await gate.connect(holder.wallet.connect(world.provider)).cancelConsent(0n, { maxPriorityFeePerGas: parseUnits('50', 'gwei'), maxFeePerGas: parseUnits('100', 'gwei'), gasLimit: 100_000 });
    await world.provider.send('evm_mine', []);
  };

  await automine(false);
  try {
    const v = await submit(r, await payloadFor(victim));
    const a = await submit(r, await payloadFor(attacker));
    const b = await submit(r, await payloadFor(attackerB));
    expect([v.status, a.status, b.status]).toEqual([202, 202, 202]);
    const first = await until(r, v.view.id, (x) => x.status === 'submitted');
    await frontRun(attacker);
    expect((await world.provider.getTransactionReceipt(first.txHash!))!.status).toBe(0);
    // Blamed: the attacker's entry; the victim's and B's pass alone and are queued again uncharged.
    expect(await until(r, a.view.id, settled)).toMatchObject({ status: 'refused', error: { code: 'consent_used', rule: 'nonce' } });
    await until(r, v.view.id, (x) => x.status === 'queued');
    expect(r.journal.findRequest(v.view.id)!.reverts).toBe(0);
    expect(r.journal.findRequest(b.view.id)).toMatchObject({ status: 'queued', reverts: 0 });

    await r.service.batcher.flush();
    const again = await until(r, v.view.id, (x) => x.status === 'submitted');
    expect(again.txHash).not.toBe(first.txHash);
    await frontRun(attackerB);
    expect((await world.provider.getTransactionReceipt(again.txHash!))!.status).toBe(0);
    expect(await until(r, b.view.id, settled)).toMatchObject({ status: 'refused', error: { code: 'consent_used' } });
    await until(r, v.view.id, (x) => x.status === 'queued');
    // Two reverted batches, neither of them the victim's doing: still no revert counted.
    expect(r.journal.findRequest(v.view.id)!.reverts).toBe(0);

    await automine(true);
    await r.service.batcher.flush();
    expect(await until(r, v.view.id, settled)).toMatchObject({ status: 'registered', wallet: victim.wallet.address });
    expect(await gate.isVerified(POLICY_ID, victim.wallet.address)).toBe(true);
    // The spoiled requests count against their wallets and investor: a third try is refused before anything is sent.
    expect(r.journal.findRequest(a.view.id)!.charged).toBe(true);
    expect(r.journal.findRequest(v.view.id)!.charged).toBeUndefined();
    const tag = '0x' + (BigInt(attacker.proof.solidityCalldata.pubSignals[0]) & ((1n << 192n) - 1n)).toString(16);
    expect(r.journal.countSince(0, undefined, tag)).toBe(2);
    expect(r.journal.countSince(0, attacker.wallet.address)).toBe(1);
    const third = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload: await payloadFor(attacker), headers: { prefer: 'respond-async' } });
    expect(third.statusCode).toBe(429);
    expect(third.json().error).toMatchObject({ code: 'rate_limited', rule: 'investor-daily-limit' });
  } finally {
    await automine(true);
  }
}, 180_000);

test('a consent close to its deadline goes alone with verifyFor; a second consent over the nonce of a queued request is refused on that path too', async () => {
  const [alone, held] = [await world.proveForNewWallet(), await world.proveForNewWallet()];
  const r = await open({ maxSize: 16, maxWaitMs: 600_000 });
  const gate = world.contracts.complianceGate;
  const verifyFor = gate.interface.getFunction('verifyFor')!.selector;
  // Less than replaceAfterSeconds (60) + 10 s left, more than minDeadlineSeconds (30).
  const soon = async () => Math.max(await chainTime(), Math.floor(Date.now() / 1000)) + 50;

  const sentAlone = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload: await payloadFor(alone, await soon()), headers: { prefer: 'respond-async' } });
  expect(sentAlone.statusCode).toBe(200);
  const tx = (await world.provider.getTransaction(sentAlone.json().txHash))!;
  expect(tx.data.slice(0, 10)).toBe(verifyFor);
  expect(await gate.isVerified(POLICY_ID, alone.wallet.address)).toBe(true);
  expect(r.journal.queued()).toEqual([]);

  const queued = await submit(r, await payloadFor(held));
  expect(queued.view.status).toBe('queued');
  // The same wallet and consent nonce, another deadline: the lone path must not send it beside the queued one.
  const before = await relayerNonce(r);
  const twin = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload: await payloadFor(held, await soon()), headers: { prefer: 'respond-async' } });
  expect(twin.statusCode).toBe(409);
  expect(twin.json().error).toMatchObject({ code: 'consent_pending', rule: 'one-at-a-time' });
  expect(await relayerNonce(r)).toBe(before);
  expect(await gate.isVerified(POLICY_ID, held.wallet.address)).toBe(false);
  await r.service.batcher.flush();
  expect(await until(r, queued.view.id, settled)).toMatchObject({ status: 'registered' });
});

test('a batch the node evicted, its account nonce taken by another transaction, is dropped and its request sent again', async () => {
  const held = await world.proveForNewWallet();
  const r = await open({ maxSize: 16, maxWaitMs: 600_000 });
  const queued = await submit(r, await payloadFor(held));
  expect(queued.view.status).toBe('queued');
  // The batch waits in the mempool; the node evicts it and the relayer's nonce goes to another transaction.
  await automine(false);
  let evicted: string;
  try {
    await r.service.batcher.flush();
    evicted = (await until(r, queued.view.id, (x) => x.status === 'submitted')).txHash!;
    const { nonce } = (await world.provider.getTransaction(evicted))!;
    await world.provider.send('hardhat_dropTransaction', [evicted]);
    const key = new Wallet(world.relayerKey, world.provider);
    await key.sendTransaction({ to: key.address, value: 0n, nonce });
    await world.provider.send('evm_mine', []);
  } finally {
    await automine(true);
  }
  expect(await world.provider.getTransactionReceipt(evicted)).toBeNull();
  await until(r, queued.view.id, (x) => x.status === 'queued');
  expect(r.journal.pending()).toEqual([]);
  await r.service.batcher.flush();
  const done = await until(r, queued.view.id, settled);
  expect(done).toMatchObject({ status: 'registered', wallet: held.wallet.address });
  expect(done.txHash).not.toBe(evicted);
  expect(await world.contracts.complianceGate.isVerified(POLICY_ID, held.wallet.address)).toBe(true);
});
