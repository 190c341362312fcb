/**
 * The relayer against the attacks of the review (H2, M1, M3, L6, L7), on a real Hardhat node with
 * real proofs: a junk proof is refused with no call to the node; a wallet with code is refused
 * unless its code hash is allowed, and an allowed one that answers ERC-1271 only at gas price 0 is
 * caught by the dry run before any gas is paid; one credential registers a limited number of wallets
 * a day; requests per IP are limited and health does not read the node each time; the node's error
 * text stays in the log; a transaction whose consent a front-runner used is answered as the
 * registration it is; a stuck transaction is replaced at a higher fee with the same nonce; and a
 * restart drops a lost transaction whose consent expired.
 */
import '../../compliance-monitor/test/support/inject-cookie-stub.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ContractFactory, keccak256, parseEther, parseUnits, Transaction, Wallet, type HDNodeWallet } from 'ethers';
import { ContractWallet__factory } from '@zkkyc/contracts/typechain';
import { releaseProverThreads, type KycProof } from '@zkkyc/prover/node';
import { consentDigest, consentDomain, registrationSubject, signRegistrationConsent, type ConsentMessage } from '@zkkyc/sdk';
import { createRelayer, type Relayer, type RelayerOptions } from '../src/server.js';
import { POLICY_ID, startRelayerWorld, type RelayerWorld } from './support/world.js';

let world: RelayerWorld;
let dir: string;
const opened: Relayer[] = [];

beforeAll(async () => {
  world = await startRelayerWorld();
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-relayer-hardening-'));
}, 120_000);

afterAll(async () => {
  await world?.provider.send('evm_setAutomine', [true]).catch(() => undefined);
  for (const r of opened) await r.close().catch(() => undefined);
  world?.stop();
  await releaseProverThreads();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(overrides: Parameters<RelayerWorld['config']>[0] = {}, log?: (line: string) => void, options: RelayerOptions = {}): Promise<Relayer> {
  const r = await createRelayer(world.config(overrides), { ...options, ...(log ? { log } : {}) });
  opened.push(r);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Posts `body` with automine off, so the relayer's transaction stays pending until the test mines,
 * and hands `run` the answer to come and the pending journal entries once there is one (none after
 * 30 s). Automine is back on afterwards.
 */
async function whilePending(
  relayer: Relayer,
  body: Parameters<typeof post>[1],
  run: (answer: ReturnType<typeof post>, pending: ReturnType<Relayer['journal']['pending']>) => Promise<void>,
): Promise<void> {
  await world.provider.send('evm_setAutomine', [false]);
  try {
    const answer = post(relayer, body);
    let pending = relayer.journal.pending();
    for (let i = 0; pending.length === 0 && i < 600; i++) {
      await sleep(50);
      pending = relayer.journal.pending();
    }
    await run(answer, pending);
  } finally {
    await world.provider.send('evm_setAutomine', [true]);
  }
}

const chainTime = async () => (await world.provider.getBlock('latest'))!.timestamp;
const s = (v: bigint | string) => BigInt(v).toString();

function payload(proof: KycProof, deadline: number, signature: string) {
  const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
  return {
    policyId: POLICY_ID.toString(),
    proof: { pA: pA.map(s), pB: pB.map((r) => r.map(s)), pC: pC.map(s), pubSignals: pubSignals.map(s) },
    consent: { deadline: String(deadline), signature },
  };
}

/** The request a wallet key sends for its own proof. */
async function signed(proof: KycProof, wallet: Wallet | HDNodeWallet, deadline?: number) {
  const d = deadline ?? (await chainTime()) + 3600;
  const consent = await signRegistrationConsent(wallet.connect(world.provider), world.contracts.complianceGate, { policyId: POLICY_ID, proof, deadline: d });
  return payload(proof, d, consent.signature);
}

/** The consent digest of a proof's wallet over its current gate nonce, as a contract wallet's owner signs it. */
async function digestFor(proof: KycProof, deadline: number): Promise<string> {
  const gate = world.contracts.complianceGate;
  const { nullifier, context, wallet } = registrationSubject(proof);
  const message: ConsentMessage = { policyId: POLICY_ID, nullifier, context, nonce: await gate.nonces(wallet), deadline: BigInt(deadline) };
  return consentDigest(await consentDomain(gate), message);
}

async function post(r: Relayer, body: unknown) {
  const res = await r.app.inject({ method: 'POST', url: '/v1/registrations', payload: body as object });
  return { status: res.statusCode, json: res.json() as { error?: { code: string; field?: string; rule?: string; message: string }; txHash?: string; wallet?: string; registeredElsewhere?: boolean } };
}

/** Counts the JSON-RPC payloads the relayer's provider sends while `run` runs. */
async function rpcCallsDuring(r: Relayer, run: () => Promise<unknown>): Promise<number> {
  let calls = 0;
  const listener = (info: { action?: string }) => {
    if (info.action === 'sendRpcPayload') calls++;
  };
  await r.provider.on('debug', listener);
  try {
    await run();
  } finally {
    await r.provider.off('debug', listener);
  }
  return calls;
}

describe('before any chain call', () => {
  test('a junk proof naming a contract is refused as invalid-proof with no RPC call', async () => {
    const relayer = await open();
    const { proof, wallet } = await world.proveForNewWallet();
    const good = await signed(proof, wallet);
    // Any contract address as the wallet, points that are no proof: what M1's attacker sends.
    const junk = structuredClone(good);
    junk.proof.pubSignals[3] = s(BigInt(world.deployment.contracts.complianceGate) + (20261201n << 160n));
    junk.proof.pA = [junk.proof.pC[0], junk.proof.pC[1]];
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    const calls = await rpcCallsDuring(relayer, async () => (answer = await post(relayer, junk)));
    expect(answer!.status).toBe(422);
    expect(answer!.json.error).toMatchObject({ code: 'invalid_proof', field: 'proof', rule: 'invalid-proof' });
    expect(calls).toBe(0);
  });

  test('requests per IP are limited; health reuses the balance it read for a few seconds', async () => {
    // A minute's cache, so a slow machine does not outlive it between the two reads.
    const relayer = await open({ limits: { ...world.config().limits, requestsPerMinute: 3 } }, undefined, { healthBalanceTtlMs: 60_000 });
    const first = (await relayer.app.inject({ method: 'GET', url: '/v1/health' })).json();
    await (await world.admin.sendTransaction({ to: relayer.address, value: parseEther('1') })).wait();
    const calls = await rpcCallsDuring(relayer, async () => {
      const second = (await relayer.app.inject({ method: 'GET', url: '/v1/health' })).json();
      expect(second.balance).toBe(first.balance);
    });
    expect(calls).toBe(0);
    await relayer.app.inject({ method: 'GET', url: '/v1/health' });
    const limited = await relayer.app.inject({ method: 'GET', url: '/v1/health' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'rate_limited', rule: 'requests-per-minute' });
  });
});

describe('contract wallets (H2)', () => {
  let owner: HDNodeWallet;
  let walletAddress: string;
  let codeHash: string;
  let proof: KycProof;

  beforeAll(async () => {
    owner = Wallet.createRandom();
    const contractWallet = await new ContractWallet__factory(world.admin).deploy(owner.address);
    await contractWallet.waitForDeployment();
    walletAddress = await contractWallet.getAddress();
    codeHash = keccak256(await world.provider.getCode(walletAddress));
    const { credential } = await world.proveForNewWallet();
    proof = await world.prove(credential, walletAddress);
  }, 120_000);

  async function ownerSigned(signer: HDNodeWallet) {
    const deadline = (await chainTime()) + 3600;
    const signature = signer.signingKey.sign(await digestFor(proof, deadline)).serialized;
    return payload(proof, deadline, signature);
  }

  test('refused by default, naming the wallet signal and the rule contract-wallet; nothing is sent', async () => {
    const relayer = await open();
    const before = await world.provider.getTransactionCount(relayer.address);
    const { status, json } = await post(relayer, await ownerSigned(owner));
    expect(status).toBe(422);
    expect(json.error).toMatchObject({ code: 'contract_wallet_refused', field: 'proof.pubSignals', rule: 'contract-wallet' });
    expect(json.error!.message).toContain(codeHash);
    expect(await world.provider.getTransactionCount(relayer.address)).toBe(before);
  });

  test('with its code hash allowed: ERC-1271 is asked first (a stranger’s signature is refused), the owner’s registers', async () => {
    const relayer = await open({ contractWalletCodeHashes: [codeHash] });
    const before = await world.provider.getTransactionCount(relayer.address);
    const stranger = await post(relayer, await ownerSigned(Wallet.createRandom()));
    expect(stranger.status).toBe(403);
    expect(stranger.json.error).toMatchObject({ code: 'consent_invalid', field: 'consent.signature', rule: 'signer' });
    expect(await world.provider.getTransactionCount(relayer.address)).toBe(before);

    const request = await ownerSigned(owner);
    const { status, json } = await post(relayer, request);
    expect(status).toBe(200);
    expect(json.wallet).toBe(walletAddress);
    expect(await world.contracts.complianceGate.isVerified(POLICY_ID, walletAddress)).toBe(true);
    // The same consent again: its transaction, nothing paid.
    const nonce = await world.provider.getTransactionCount(relayer.address);
    expect(await post(relayer, request)).toEqual({ status: 200, json });
    expect(await world.provider.getTransactionCount(relayer.address)).toBe(nonce);
  });

  test('a wallet that accepts only at gas price 0 (and burns all gas otherwise) is caught by the dry run with real fees', async () => {
    // Runtime: if GASPRICE == 0 return the ERC-1271 magic value, else loop until out of gas.
    const runtime = '3a600757600b565b6007565b631626ba7e60e01b60005260206000f3';
    const init = '0x601c600c600039601c6000f3' + runtime;
    const griefer = await new ContractFactory([], init, world.admin).deploy();
    await griefer.waitForDeployment();
    const address = await griefer.getAddress();
    const hash = keccak256(await world.provider.getCode(address));
    const { credential } = await world.proveForNewWallet();
    const grieferProof = await world.prove(credential, address);
    const relayer = await open({ contractWalletCodeHashes: [hash] });
    const before = await world.provider.getTransactionCount(relayer.address);
    const balance = await world.provider.getBalance(relayer.address);
    const deadline = (await chainTime()) + 3600;
    const { status, json } = await post(relayer, payload(grieferProof, deadline, '0x' + '11'.repeat(65)));
    expect(status).toBe(422);
    expect(json.error).toMatchObject({ code: 'registration_refused', rule: 'InvalidConsentSignature' });
    expect(await world.provider.getTransactionCount(relayer.address)).toBe(before);
    expect(await world.provider.getBalance(relayer.address)).toBe(balance);
  });
});

describe('limits per investor (H2)', () => {
  test('one credential registers at most INVESTOR_DAILY_LIMIT wallets a day through the relayer', async () => {
    const relayer = await open({ limits: { ...world.config().limits, investorDailyLimit: 1 } });
    const first = await world.proveForNewWallet();
    expect((await post(relayer, await signed(first.proof, first.wallet))).status).toBe(200);
    const second = Wallet.createRandom();
    const proof = await world.prove(first.credential, second.address);
    const before = await world.provider.getTransactionCount(relayer.address);
    const { status, json } = await post(relayer, await signed(proof, second));
    expect(status).toBe(429);
    expect(json.error).toMatchObject({ code: 'rate_limited', field: 'proof.pubSignals.0', rule: 'investor-daily-limit' });
    expect(await world.provider.getTransactionCount(relayer.address)).toBe(before);
  });

  test('requests sent together cannot all pass the count while the journal is still empty: the count is checked again under the lock', async () => {
    const relayer = await open({ limits: { ...world.config().limits, investorDailyLimit: 1 } });
    const first = await world.proveForNewWallet();
    const second = Wallet.createRandom();
    const secondProof = await world.prove(first.credential, second.address);
    const before = await world.provider.getTransactionCount(relayer.address);
    const answers = await Promise.all([post(relayer, await signed(first.proof, first.wallet)), post(relayer, await signed(secondProof, second))]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 429]);
    expect(answers.find((a) => a.status === 429)!.json.error).toMatchObject({ code: 'rate_limited', rule: 'investor-daily-limit' });
    expect(await world.provider.getTransactionCount(relayer.address)).toBe(before + 1);
  });
});

describe('the node and the chain misbehaving', () => {
  test('L6: a node that cannot be asked gives a generic 502; its error text goes to the log only', async () => {
    const lines: string[] = [];
    const relayer = await open({}, (line) => lines.push(line));
    const { proof, wallet } = await world.proveForNewWallet();
    const body = await signed(proof, wallet);
    relayer.provider.destroy();
    const { status, json } = await post(relayer, body);
    expect(status).toBe(502);
    expect(json.error).toEqual({ code: 'chain_unavailable', message: 'the chain could not be asked; try again later' });
    expect(lines.join('\n')).toMatch(/chain unavailable: .*destroyed/);
  });

  test('L7: a copy of the pending transaction mined first registers the wallet; the relayer answers success and counts nothing', async () => {
    const relayer = await open({ limits: { ...world.config().limits, walletDailyLimit: 1 } });
    const { proof, wallet } = await world.proveForNewWallet();
    const body = await signed(proof, wallet);
    await whilePending(relayer, body, async (answer, pending) => {
      expect(pending).toHaveLength(1);
      const sent = (await world.provider.getTransaction(pending[0].txHash))!;
      // The front-runner copies the calldata and pays a higher tip.
      await world.admin.sendTransaction({
        to: sent.to!,
        data: sent.data,
        gasLimit: 600_000n,
        maxFeePerGas: sent.maxFeePerGas! * 4n,
        maxPriorityFeePerGas: sent.maxFeePerGas! * 2n + parseUnits('1', 'gwei'),
      });
      await world.provider.send('evm_mine', []);
      const { status, json } = await answer;
      expect(status).toBe(200);
      expect(json).toMatchObject({ txHash: pending[0].txHash, wallet: wallet.address, registeredElsewhere: true });
      expect((await world.provider.getTransactionReceipt(pending[0].txHash))!.status).toBe(0);
      expect(await world.contracts.complianceGate.isVerified(POLICY_ID, wallet.address)).toBe(true);
      expect(relayer.journal.countSince(0, wallet.address)).toBe(0);
    });
  });

  test('M3: a transaction not mined within replaceAfterSeconds is replaced at a higher fee, same nonce; the answer is the one mined', async () => {
    const relayer = await open({ limits: { ...world.config().limits, replaceAfterSeconds: 1 } });
    const { proof, wallet } = await world.proveForNewWallet();
    const body = await signed(proof, wallet);
    await whilePending(relayer, body, async (answer, pending) => {
      const first = pending[0];
      let current = first;
      for (let i = 0; current.txHash === first.txHash && i < 200; i++) {
        await sleep(50);
        current = relayer.journal.pending()[0] ?? current;
      }
      expect(current.replacedTxHashes).toContain(first.txHash);
      const [before, after] = [Transaction.from(first.rawTx), Transaction.from(current.rawTx)];
      expect(after.nonce).toBe(before.nonce);
      expect(after.data).toBe(before.data);
      expect(after.maxFeePerGas! > before.maxFeePerGas!).toBe(true);
      await world.provider.send('evm_mine', []);
      const { status, json } = await answer;
      expect(status).toBe(200);
      expect(json.txHash).not.toBe(first.txHash);
      const settled = relayer.journal.findByDigest(first.digest)!;
      expect(settled).toMatchObject({ status: 'mined', txHash: json.txHash });
      expect((await world.provider.getTransaction(json.txHash!))!.nonce).toBe(before.nonce);
      expect(await world.contracts.complianceGate.isVerified(POLICY_ID, wallet.address)).toBe(true);
    });
  });

  test('M3: at start, a lost transaction whose consent has expired is dropped, not broadcast again', async () => {
    const databasePath = join(dir, 'expired.sqlite');
    const first = await open({ databasePath, receiptTimeoutSeconds: 1 });
    const { proof, wallet } = await world.proveForNewWallet();
    const body = await signed(proof, wallet, (await chainTime()) + 120);
    await whilePending(first, body, async (answer, pending) => {
      expect(pending).toHaveLength(1);
      expect(pending[0].deadline).toBe(BigInt(body.consent.deadline));
      expect((await answer).status).toBe(504);
      await first.close();
      expect(await world.provider.send('hardhat_dropTransaction', [pending[0].txHash])).toBe(true);
      await world.provider.send('evm_increaseTime', [600]);
      await world.provider.send('evm_mine', []);
      const nonce = await world.provider.getTransactionCount(first.address, 'latest');
      const restarted = await open({ databasePath });
      expect(restarted.journal.pending()).toEqual([]);
      expect(await world.provider.getTransaction(pending[0].txHash)).toBeNull();
      await world.provider.send('evm_mine', []);
      expect(await world.provider.getTransactionCount(first.address, 'latest')).toBe(nonce);
    });
  });
});
