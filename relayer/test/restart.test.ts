/**
 * kill -9 at each point of a batched registration: the relayer runs as `node --import tsx
 * relayer/src/main.ts` (its real entry point) and is killed with SIGKILL
 *
 * - while the request waits in the queue (nothing signed): the next start sends it;
 * - after the batch transaction is signed and journaled, with the node losing it (as if the process
 *   died before the broadcast reached it): the next start broadcasts the journaled bytes again;
 * - after the broadcast, with the transaction mined while the relayer was down: the next start
 *   reads the receipt.
 *
 * Each time the wallet is registered once, by one transaction (the relayer's account nonce moves by
 * one), a repeat of the request answers with that transaction, and the wallet still holds 0 ETH.
 */
import '../../compliance-monitor/test/support/inject-cookie-stub.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import { Wallet, type HDNodeWallet } from 'ethers';
import { releaseProverThreads, type KycProof } from '@zkkyc/prover/node';
import { signRegistrationConsent } from '@zkkyc/sdk';
import { repoRoot } from '../../compliance-monitor/test/support/chain.js';
import { createRelayer, type Relayer } from '../src/server.js';
import type { JournalEntry } from '../src/store/journal.js';
import { SqliteJournal } from '../src/store/sqlite-journal.js';
import { POLICY_ID, startRelayerWorld, type RelayerWorld } from './support/world.js';

let world: RelayerWorld;
let dir: string;
let child: ChildProcess | undefined;
let restarted: Relayer | undefined;
let run = 0;

beforeAll(async () => {
  world = await startRelayerWorld();
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-relayer-restart-'));
}, 120_000);

afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await restarted?.close().catch(() => undefined);
  restarted = undefined;
  await world.provider.send('evm_setAutomine', [true]);
});

afterAll(async () => {
  world?.stop();
  await releaseProverThreads();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts main.ts with `env`; resolves with its URL once it listens. */
function startMain(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'relayer/src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /\[relayer\] (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) resolve({ child: proc, url: m[1] });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`relayer exited (${code}):\n${output}`)));
  });
}

async function payloadFor(holder: { wallet: HDNodeWallet; proof: KycProof }) {
  const deadline = (await world.provider.getBlock('latest'))!.timestamp + 3600;
  const consent = await signRegistrationConsent(holder.wallet.connect(world.provider), world.contracts.complianceGate, { policyId: POLICY_ID, proof: holder.proof, deadline });
  const s = (v: bigint | string) => BigInt(v).toString();
  const { pA, pB, pC, pubSignals } = holder.proof.solidityCalldata;
  return {
    policyId: POLICY_ID.toString(),
    proof: { pA: pA.map(s), pB: pB.map((r) => r.map(s)), pC: pC.map(s), pubSignals: pubSignals.map(s) },
    consent: { deadline: String(deadline), signature: consent.signature },
  };
}

/** A relayer process on its own journal file, and what a test needs around it. */
async function startKillable(batchMaxWaitMs: number) {
  const config = world.config();
  const databasePath = join(dir, `relayer-${++run}.sqlite`);
  const started = await startMain({
    RPC_URL: config.rpcUrl,
    GATE_ADDRESS: config.gateAddress,
    RELAYER_KEY: config.relayerKey,
    DATABASE_PATH: databasePath,
    PORT: '0',
    BATCH_MAX_WAIT_MS: String(batchMaxWaitMs),
  });
  child = started.child;
  const relayerAddress = new Wallet(config.relayerKey).address;
  return { config, databasePath, url: started.url, relayerAddress, nonceBefore: await world.provider.getTransactionCount(relayerAddress, 'latest') };
}

async function post(url: string, payload: object, async = true) {
  const res = await fetch(`${url}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/json', ...(async ? { prefer: 'respond-async' } : {}) }, body: JSON.stringify(payload) });
  return { status: res.status, json: (await res.json()) as { id: string; status: string; txHash?: string } };
}

/** Polls the journal file (as another reader) until `found` gives something. */
async function watch<T>(databasePath: string, found: (j: SqliteJournal) => T | undefined): Promise<T> {
  const watcher = new SqliteJournal(databasePath);
  try {
    // Up to a minute: the child signs only after its checks and the simulations, on a busy machine too.
    for (let i = 0; i < 1200; i++) {
      const value = found(watcher);
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the journal never showed it');
  } finally {
    watcher.close();
  }
}

async function kill(): Promise<void> {
  child!.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));
  child = undefined;
}

/** After the restart: registered once, by one transaction, which a repeat of the request answers with. */
async function expectRegisteredOnce(s: { relayerAddress: string; nonceBefore: number; databasePath: string }, holder: { wallet: HDNodeWallet }, payload: object, id: string, txHash?: string) {
  const again = await restarted!.app.inject({ method: 'POST', url: '/v1/registrations', payload });
  expect(again.statusCode).toBe(200);
  expect(again.json()).toMatchObject({ id, status: 'registered', wallet: holder.wallet.address, ...(txHash ? { txHash } : {}) });
  expect(await world.contracts.complianceGate.isVerified(POLICY_ID, holder.wallet.address)).toBe(true);
  expect(await world.provider.getTransactionCount(s.relayerAddress, 'latest')).toBe(s.nonceBefore + 1);
  expect(await world.provider.getBalance(holder.wallet.address)).toBe(0n);
  expect(restarted!.journal.pending()).toEqual([]);
  expect(restarted!.journal.queued()).toEqual([]);
  // The journal holds one transaction, mined, and the one request in it.
  const db = new Database(s.databasePath, { readonly: true });
  try {
    expect(db.prepare('SELECT kind, status FROM registrations').all()).toEqual([{ kind: 'batch', status: 'mined' }]);
    expect(db.prepare('SELECT id, status FROM requests').all()).toEqual([{ id, status: 'registered' }]);
  } finally {
    db.close();
  }
}

test('killed while the request is queued (nothing signed): the next start sends it', async () => {
  const holder = await world.proveForNewWallet();
  const s = await startKillable(600_000);
  const payload = await payloadFor(holder);
  const queued = await post(s.url, payload);
  expect(queued).toMatchObject({ status: 202, json: { status: 'queued' } });
  await kill();
  expect(await world.provider.getTransactionCount(s.relayerAddress, 'latest')).toBe(s.nonceBefore);

  restarted = await createRelayer({ ...s.config, databasePath: s.databasePath, batch: { maxSize: 16, maxWaitMs: 100 } });
  await expectRegisteredOnce(s, holder, payload, queued.json.id);
}, 120_000);

test('killed after signing, the node losing the transaction: the next start broadcasts the journaled bytes; the repeat pays nothing more', async () => {
  const holder = await world.proveForNewWallet();
  const s = await startKillable(100);
  const payload = await payloadFor(holder);
  await world.provider.send('evm_setAutomine', [false]);
  const queued = await post(s.url, payload);
  const entry = await watch<JournalEntry>(s.databasePath, (j) => j.pending()[0]);
  expect(entry.kind).toBe('batch');
  // The journal is written just before the broadcast: kill once the node has it too.
  for (let i = 0; !(await world.provider.getTransaction(entry.txHash)) && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
  await kill();
  // The node loses it (a restart, a mempool eviction, or the broadcast never reached it): only the journal has it.
  expect(await world.provider.send('hardhat_dropTransaction', [entry.txHash])).toBe(true);
  expect(await world.provider.getTransaction(entry.txHash)).toBeNull();
  await world.provider.send('evm_setAutomine', [true]);

  restarted = await createRelayer({ ...s.config, databasePath: s.databasePath });
  // It went back out at start: mine it.
  await world.provider.send('evm_mine', []);
  await expectRegisteredOnce(s, holder, payload, queued.json.id, entry.txHash);
  const requests = restarted.journal.requestsOfBatch(entry.id);
  expect(requests.map((r) => [r.id, r.status])).toEqual([[queued.json.id, 'registered']]);
}, 120_000);

test('killed after the broadcast, the batch mined while it was down: the next start reads the receipt', async () => {
  const holder = await world.proveForNewWallet();
  const s = await startKillable(100);
  const payload = await payloadFor(holder);
  await world.provider.send('evm_setAutomine', [false]);
  const queued = await post(s.url, payload);
  const entry = await watch<JournalEntry>(s.databasePath, (j) => j.pending()[0]);
  for (let i = 0; !(await world.provider.getTransaction(entry.txHash)) && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
  // Sent, not mined: the request says which transaction it is in.
  const inFlight = (await (await fetch(`${s.url}/v1/registrations/${queued.json.id}`)).json()) as { status: string; txHash?: string };
  expect(inFlight).toMatchObject({ status: 'submitted', txHash: entry.txHash });
  await kill();
  await world.provider.send('evm_mine', []);
  await world.provider.send('evm_setAutomine', [true]);
  expect((await world.provider.getTransactionReceipt(entry.txHash))?.status).toBe(1);

  restarted = await createRelayer({ ...s.config, databasePath: s.databasePath });
  const status = (await restarted.app.inject({ method: 'GET', url: `/v1/registrations/${queued.json.id}` })).json();
  expect(status).toMatchObject({ status: 'registered', txHash: entry.txHash });
  await expectRegisteredOnce(s, holder, payload, queued.json.id, entry.txHash);
}, 120_000);
