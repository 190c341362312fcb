import { JsonRpcProvider, Wallet } from 'ethers';
import { IssuerRegistry__factory } from '@zkkyc/contracts/typechain';
import { RegistryRootAnchor } from '@zkkyc/sdk';
import { ConfigError } from '@zkkyc/service-kit';
import type { AnchorChainConfig, IssuerServiceConfig, RegistryAnchorConfig } from './config.js';
import { DEFAULT_CHAIN_NAME, describeChainError, type AnchorChain } from './publisher.js';
import type { RootAnchor } from './root-anchor.js';

/**
 * The production `RootAnchor`: the sdk's RegistryRootAnchor over a JSON-RPC node, signing with the
 * issuer's publisher key. `issuerId` is the registry's id for this issuer (the service's tree id).
 * `close()` stops the provider's polling so a finished process can exit.
 *
 * The provider is built with `staticNetwork`, so it asks nothing at construction: a node that is
 * down only fails the calls made while it is down (the publisher retries them on its next tick).
 */
export function connectRegistryAnchor(config: RegistryAnchorConfig, issuerId: string): RootAnchor & { close(): void } {
  // pollingInterval: a receipt is looked for every second (ethers' default is 4 s), so a root is
  // recorded soon after it is mined and the tick ends sooner. cacheTimeout -1: ethers would answer a
  // repeated call within 250 ms from its cache — two sends in a row would get the same nonce.
  const provider = new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 1000, cacheTimeout: -1 });
  const publisher = new Wallet(config.publisherKey, provider);
  const anchor = new RegistryRootAnchor(IssuerRegistry__factory.connect(config.registryAddress, publisher), BigInt(issuerId));
  return {
    publishRoot: (root, leafCount) => anchor.publishRoot(root, leafCount),
    currentRoot: () => anchor.currentRoot(),
    confirmIfAging: (root) => anchor.confirmIfAging(root),
    close: () => provider.destroy(),
  };
}

/**
 * Every chain of the configuration: `ANCHOR_RPC_URL` & co. as chain `default` (issuer ISSUER_TREE_ID),
 * then each of `ANCHOR_CHAINS`. Empty when neither is set. `close()` closes them all.
 */
export function connectAnchorChains(config: Pick<IssuerServiceConfig, 'anchor' | 'anchorChains' | 'treeId'>): { chains: AnchorChain[]; close(): void } {
  const wanted = configuredChains(config);
  const connected = wanted.map((chain) => ({ name: chain.name, anchor: connectRegistryAnchor(chain, chain.issuerId) }));
  return {
    chains: connected,
    close: () => connected.forEach((c) => c.anchor.close()),
  };
}

function configuredChains(config: Pick<IssuerServiceConfig, 'anchor' | 'anchorChains' | 'treeId'>): AnchorChainConfig[] {
  return [...(config.anchor ? [{ ...config.anchor, name: DEFAULT_CHAIN_NAME, issuerId: config.treeId }] : []), ...(config.anchorChains ?? [])];
}

/** Chain ids every local development node uses (Hardhat and Anvil 31337, Ganache 1337): not compared. */
const DEV_CHAIN_IDS = new Set([31337n, 1337n]);

/** How long start-up waits for a node's `eth_chainId`. */
export const CHAIN_ID_TIMEOUT_MS = 5_000;

/** A node's chain id (`eth_chainId`), bounded by `timeoutMs`. */
export async function readChainId(rpcUrl: string, timeoutMs = CHAIN_ID_TIMEOUT_MS): Promise<bigint> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      provider.send('eth_chainId', []),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return BigInt(answer as string);
  } finally {
    clearTimeout(timer);
    provider.destroy();
  }
}

/**
 * Refuses (rule distinct-anchor-chains) two chains — `ANCHOR_RPC_URL` & co. and `ANCHOR_CHAINS` —
 * that are the same registry and issuer on the same chain behind different URLs (two providers, a
 * host name and its address): the publisher would write to it twice per root, the two runs racing.
 * The configuration can only compare URLs; this asks each node its `eth_chainId` at start-up. A node
 * that does not answer is reported through `warn` and left out of the comparison (it is down: the
 * publisher retries it on every tick), so a duplicate behind it is found at the next start. The
 * local development ids (31337, 1337) are not compared: separate dev nodes all report them.
 */
export async function refuseDuplicateChains(
  config: Pick<IssuerServiceConfig, 'anchor' | 'anchorChains' | 'treeId'>,
  opts: { chainId?: (rpcUrl: string) => Promise<bigint>; warn?: (message: string) => void } = {},
): Promise<void> {
  const chains = configuredChains(config);
  if (chains.length < 2) return;
  const chainId = opts.chainId ?? ((url: string) => readChainId(url));
  const ids = await Promise.all(
    chains.map((chain) =>
      chainId(chain.rpcUrl).catch((err) => {
        opts.warn?.(`chain ${chain.name}: eth_chainId unanswered (${describeChainError(err)}); not compared with the other chains`);
        return null;
      }),
    ),
  );
  const seen = new Map<string, AnchorChainConfig>();
  chains.forEach((chain, i) => {
    const id = ids[i];
    if (id === null) return;
    // Every local dev node (Hardhat, Anvil, Ganache) reports one of these ids: two of them are told apart by nothing a node answers.
    if (DEV_CHAIN_IDS.has(id)) return;
    const place = `${id} ${chain.registryAddress.toLowerCase()} ${chain.issuerId}`;
    const other = seen.get(place);
    if (other) {
      throw new ConfigError(
        'ANCHOR_CHAINS',
        `chains "${other.name}" and "${chain.name}" are the same chain (eth_chainId ${id}), registry ${chain.registryAddress} and issuer ${chain.issuerId} behind different URLs; keep one (rule distinct-anchor-chains)`,
      );
    }
    seen.set(place, chain);
  });
}
