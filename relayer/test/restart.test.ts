/**
 * kill -9 between "sent" and "mined": the relayer runs as `node --import tsx relayer/src/main.ts`
 * (its real entry point) on a node that does not mine; once the journal holds the signed
 * transaction, the process is killed with SIGKILL and the node forgets the transaction. A relayer
 * started on the same journal finds it, broadcasts it again, and a repeat of the request answers
 * with that transaction: the wallet is registered once and the relayer paid once.
 */
import '../../compliance-monitor/test/support/inject-cookie-stub.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Wallet } from 'ethers';
import { releaseProverThreads } from '@zkkyc/prover/node';
import { signRegistrationConsent } from '@zkkyc/sdk';
import { repoRoot } from '../../compliance-monitor/test/support/chain.js';
import { createRelayer, type Relayer } from '../src/server.js';
import { SqliteJournal } from '../src/store/sqlite-journal.js';
import { POLICY_ID, startRelayerWorld, type RelayerWorld } from './support/world.js';

let world: RelayerWorld;
let dir: string;
let child: ChildProcess | undefined;
let restarted: Relayer | undefined;

beforeAll(async () => {
  world = await startRelayerWorld();
  dir = mkdtempSync(join(tmpdir(), 'zkkyc-relayer-restart-'));
}, 120_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await restarted?.close().catch(() => undefined);
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

test('a relayer killed with SIGKILL after signing finds its transaction again at start; the repeat pays nothing more', async () => {
  const { wallet, proof } = await world.proveForNewWallet();
  const gate = world.contracts.complianceGate;
  const config = world.config();
  const databasePath = join(dir, 'relayer.sqlite');
  const started = await startMain({
    RPC_URL: config.rpcUrl,
    GATE_ADDRESS: config.gateAddress,
    RELAYER_KEY: config.relayerKey,
    DATABASE_PATH: databasePath,
    PORT: '0',
  });
  child = started.child;
  const relayerAddress = new Wallet(config.relayerKey).address;
  const nonceBefore = await world.provider.getTransactionCount(relayerAddress, 'latest');

  const deadline = (await world.provider.getBlock('latest'))!.timestamp + 3600;
  const consent = await signRegistrationConsent(wallet.connect(world.provider), gate, { policyId: POLICY_ID, proof, deadline });
  const s = (v: bigint | string) => BigInt(v).toString();
  const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
  const payload = {
    policyId: POLICY_ID.toString(),
    proof: { pA: pA.map(s), pB: pB.map((r) => r.map(s)), pC: pC.map(s), pubSignals: pubSignals.map(s) },
    consent: { deadline: String(deadline), signature: consent.signature },
  };

  await world.provider.send('evm_setAutomine', [false]);
  try {
    // The answer never comes: the process dies while it waits for the receipt.
    void fetch(`${started.url}/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }).catch(() => undefined);
    const watcher = new SqliteJournal(databasePath);
    let pending = watcher.pending();
    // Up to a minute: the child signs only after its checks and the simulation, on a busy machine too.
    for (let i = 0; pending.length === 0 && i < 1200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      pending = watcher.pending();
    }
    watcher.close();
    expect(pending).toHaveLength(1);
    const [entry] = pending;
    expect(entry.wallet).toBe(wallet.address.toLowerCase());
    // The journal is written just before the broadcast: kill once the node has it too.
    for (let i = 0; !(await world.provider.getTransaction(entry.txHash)) && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
    // The node loses it too (a restart, a mempool eviction): only the journal still has it.
    expect(await world.provider.send('hardhat_dropTransaction', [entry.txHash])).toBe(true);
    expect(await world.provider.getTransaction(entry.txHash)).toBeNull();
    await world.provider.send('evm_setAutomine', [true]);

    restarted = await createRelayer({ ...config, databasePath });
    // It went back out at start: mine it.
    await world.provider.send('evm_mine', []);
    const again = await restarted.app.inject({ method: 'POST', url: '/v1/registrations', payload });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ txHash: entry.txHash, wallet: wallet.address });
    expect(await gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
    expect(await world.provider.getTransactionCount(relayerAddress, 'latest')).toBe(nonceBefore + 1);
    expect(await world.provider.getBalance(wallet.address)).toBe(0n);
    expect(restarted.journal.pending()).toEqual([]);
  } finally {
    await world.provider.send('evm_setAutomine', [true]);
  }
});
