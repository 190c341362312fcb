import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, type JsonRpcSigner } from 'ethers';
import { deployZkKyc } from '@zkkyc/sdk';
import { IssuerRegistry__factory, PermissionedToken__factory, type IssuerRegistry, type PermissionedToken } from '@zkkyc/contracts/typechain';
import type { MonitoredContracts } from '../../src/config.js';

/**
 * A real Hardhat node as a child process (JSON-RPC on 127.0.0.1), and a small zkkyc deployment on
 * it: the indexer tests read the chain exactly as the service does.
 */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export interface HardhatNode {
  url: string;
  provider: JsonRpcProvider;
  child: ChildProcess;
  stop(): void;
}

export async function startHardhatNode(): Promise<HardhatNode> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['node_modules/hardhat/internal/cli/cli.js', 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((done, fail) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /JSON-RPC server at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) done(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => fail(new Error(`hardhat node exited (${code}):\n${output}`)));
  });
  // Keep the pipes drained (the node logs every request).
  child.stdout!.resume();
  child.stderr!.resume();
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  return {
    url,
    provider,
    child,
    stop() {
      provider.destroy();
      child.kill('SIGTERM');
    },
  };
}

export interface Deployed {
  contracts: MonitoredContracts;
  agent: JsonRpcSigner;
  token: PermissionedToken;
  registry: IssuerRegistry;
  /** The block the deployment ended in. */
  deployedAt: number;
}

/** Deploys a registry with one issuer, a gate with one policy and a token (all roles to account 0). */
export async function deploySmallZkKyc(provider: JsonRpcProvider): Promise<Deployed> {
  const agent = await provider.getSigner(0);
  const deployment = await deployZkKyc(agent, {
    verifier20: false,
    issuers: [{ issuerId: 1, did: 'did:example:one', publisher: await agent.getAddress() }],
    policies: [{ policyId: 1, jurisdictionMask: 5n, minAge: 18, investorClassMask: 0, minKycLevel: 1, acceptedIssuers: [1], ttl: 3600, maxWalletsPerInvestor: 0 }],
    tokens: [{ name: 'Note', symbol: 'NOTE', policyId: 1, rules: { sanctions: true } }],
  });
  return {
    contracts: {
      token: deployment.tokens[0].address.toLowerCase(),
      gate: deployment.contracts.complianceGate.toLowerCase(),
      registry: deployment.contracts.issuerRegistry.toLowerCase(),
      sanctions: deployment.contracts.sanctionsList!.toLowerCase(),
    },
    agent,
    token: PermissionedToken__factory.connect(deployment.tokens[0].address, agent),
    registry: IssuerRegistry__factory.connect(deployment.contracts.issuerRegistry, agent),
    deployedAt: await provider.getBlockNumber(),
  };
}

/** A fresh address for a freeze event (no key needed: the agent freezes any address). */
export function wallet(n: number): string {
  return '0x' + (0xabc000 + n).toString(16).padStart(40, '0');
}

/** Mines `n` empty blocks (hardhat_mine), so earlier events reach their confirmations. */
export async function mine(provider: JsonRpcProvider, n: number): Promise<void> {
  await provider.send('hardhat_mine', ['0x' + n.toString(16)]);
}

/** Every log of `addresses` on the node's chain, as `txHash:logIndex` (what the store must equal). */
export async function chainLogKeys(provider: JsonRpcProvider, addresses: string[], toBlock: number): Promise<string[]> {
  const logs = await provider.getLogs({ address: addresses, fromBlock: 0, toBlock });
  return logs.map((l) => `${l.transactionHash.toLowerCase()}:${l.index}`).sort();
}
