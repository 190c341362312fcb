import { JsonRpcProvider, Wallet } from 'ethers';
import { IssuerRegistry__factory } from '@zkkyc/contracts/typechain';
import { RegistryRootAnchor } from '@zkkyc/sdk';
import type { RegistryAnchorConfig } from './config.js';
import type { RootAnchor } from './root-anchor.js';

/**
 * The production `RootAnchor`: the sdk's RegistryRootAnchor over a JSON-RPC node, signing with the
 * issuer's publisher key. `issuerId` is the registry's id for this issuer (the service's tree id).
 * `close()` stops the provider's polling so a finished process can exit.
 */
export function connectRegistryAnchor(config: RegistryAnchorConfig, issuerId: string): RootAnchor & { close(): void } {
  const provider = new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true });
  const publisher = new Wallet(config.publisherKey, provider);
  const anchor = new RegistryRootAnchor(IssuerRegistry__factory.connect(config.registryAddress, publisher), BigInt(issuerId));
  return {
    publishRoot: (root, leafCount) => anchor.publishRoot(root, leafCount),
    currentRoot: () => anchor.currentRoot(),
    confirmIfAging: (root) => anchor.confirmIfAging(root),
    close: () => provider.destroy(),
  };
}
