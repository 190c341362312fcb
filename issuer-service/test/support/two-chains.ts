import { JsonRpcProvider, parseEther, Wallet } from 'ethers';
import { create2FactoryAddress, deployZkKycDeterministic, ensureCreate2Factory, predictZkKycAddresses, type ZkKycDeployment } from '@zkkyc/sdk';
import { IssuerRegistry__factory } from '@zkkyc/contracts/typechain';
import { spawnUntil } from './child-service.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/**
 * Two real Hardhat nodes, each behind a TCP proxy (so a test can take one down and bring it back
 * with its state), with zkkyc's core deployed deterministically (CREATE2, packages/sdk
 * deterministic-deploy.ts) and issuer `issuerId` registered with `publisherKey`'s address.
 *
 * The proxies' URLs and the registry address are known before any node runs (the addresses are
 * predicted offline), so services can be started with their configuration while the chains boot.
 */
export interface HardhatNode {
  url: string;
  provider: JsonRpcProvider;
  stop(): void;
}

/** A `hardhat node` child process on a random port of 127.0.0.1 (killAll() in afterAll also ends it). */
async function startHardhatNode(): Promise<HardhatNode> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const { child, match } = await spawnUntil(
    ['node_modules/hardhat/internal/cli/cli.js', 'node', '--hostname', '127.0.0.1', '--port', String(port)],
    {},
    /JSON-RPC server at (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const provider = new JsonRpcProvider(match[1], undefined, { staticNetwork: true, cacheTimeout: -1 });
  return {
    url: match[1],
    provider,
    stop() {
      provider.destroy();
      child.kill('SIGTERM');
    },
  };
}

export interface TestChain {
  name: string;
  node: HardhatNode;
  proxy: TcpProxy;
  deployment: ZkKycDeployment;
  /** The issuer's current root in this chain's registry (read from the node directly, not through the proxy). */
  currentRoot(): Promise<bigint>;
}

export interface PreparedChains {
  /** Where each chain will be reached, in order. */
  urls: string[];
  /** The IssuerRegistry's address, the same on both. */
  registryAddress: string;
  names: string[];
  factoryKey: Wallet;
  /** The account that deployed the core on both chains (its first admin). */
  deployer: Wallet;
  /** Starts the nodes and deploys; resolves when both chains are ready. */
  ready: Promise<TestChain[]>;
  stop(): Promise<void>;
}

export async function prepareTwoChains(issuerId: number, publisherKey: string, names: [string, string] = ['chain-a', 'chain-b']): Promise<PreparedChains> {
  const publisher = new Wallet(publisherKey).address;
  // The factory's key and the deployer: the same on both chains.
  const factoryKey = Wallet.createRandom() as unknown as Wallet;
  const deployer = Wallet.createRandom() as unknown as Wallet;
  const options = { factory: create2FactoryAddress(factoryKey.address), verifier20: false, issuers: [{ issuerId, did: `did:example:issuer-${issuerId}`, publisher }] };
  const predicted = await predictZkKycAddresses(deployer.address, options);
  const proxies = await Promise.all(names.map(() => startTcpProxy()));
  const nodes: HardhatNode[] = [];
  const ready = (async () => {
    nodes.push(...(await Promise.all(names.map(() => startHardhatNode()))));
    const chains: TestChain[] = [];
    for (const [i, node] of nodes.entries()) {
      const deployment = await deployOn(node.provider, factoryKey, deployer, publisher, options);
      proxies[i].setTarget(node.url);
      const registry = IssuerRegistry__factory.connect(deployment.contracts.issuerRegistry, node.provider);
      chains.push({ name: names[i], node, proxy: proxies[i], deployment, currentRoot: async () => (await registry.issuer(issuerId)).currentRoot });
    }
    return chains;
  })();
  ready.catch(() => undefined);
  return {
    urls: proxies.map((p) => p.url),
    registryAddress: predicted.issuerRegistry,
    names,
    factoryKey,
    deployer,
    ready,
    async stop() {
      for (const p of proxies) await p.close();
      for (const n of nodes) n.stop();
    },
  };
}

export async function startTwoChains(
  issuerId: number,
  publisherKey: string,
  names?: [string, string],
): Promise<{ chains: TestChain[]; factoryKey: Wallet; deployer: Wallet; registryAddress: string; stop(): Promise<void> }> {
  const prepared = await prepareTwoChains(issuerId, publisherKey, names);
  try {
    return { chains: await prepared.ready, factoryKey: prepared.factoryKey, deployer: prepared.deployer, registryAddress: prepared.registryAddress, stop: prepared.stop };
  } catch (err) {
    await prepared.stop();
    throw err;
  }
}

async function deployOn(provider: JsonRpcProvider, factoryKey: Wallet, deployer: Wallet, publisher: string, options: Parameters<typeof deployZkKycDeterministic>[1]): Promise<ZkKycDeployment> {
  const funder = await provider.getSigner(0);
  for (const to of [factoryKey.address, deployer.address, publisher]) await (await funder.sendTransaction({ to, value: parseEther('10') })).wait();
  await ensureCreate2Factory(factoryKey.connect(provider));
  return deployZkKycDeterministic(deployer.connect(provider), options);
}
