/**
 * The compiled T-REX v4 and ONCHAINID contracts, loaded from the `@tokenysolutions/t-rex` npm
 * package's Hardhat artifacts (ABI + bytecode). A test-only dependency: its licence forbids shipping
 * its code, so nothing of it is copied into the repository or compiled with our sources; tests and
 * the bench deploy its bytecode as published.
 */
import { createRequire } from 'node:module';
import { ContractFactory, type BaseContract, type ContractRunner, type InterfaceAbi, type Signer } from 'ethers';

const require = createRequire(import.meta.url);

interface Artifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
}

/** Where each contract's artifact sits inside the package. */
const PATHS = {
  Token: 'contracts/token/Token.sol/Token.json',
  ModularCompliance: 'contracts/compliance/modular/ModularCompliance.sol/ModularCompliance.json',
  IdentityRegistry: 'contracts/registry/implementation/IdentityRegistry.sol/IdentityRegistry.json',
  IdentityRegistryStorage: 'contracts/registry/implementation/IdentityRegistryStorage.sol/IdentityRegistryStorage.json',
  TrustedIssuersRegistry: 'contracts/registry/implementation/TrustedIssuersRegistry.sol/TrustedIssuersRegistry.json',
  ClaimTopicsRegistry: 'contracts/registry/implementation/ClaimTopicsRegistry.sol/ClaimTopicsRegistry.json',
  IIdentityRegistry: 'contracts/registry/interface/IIdentityRegistry.sol/IIdentityRegistry.json',
  MaxBalanceModule: 'contracts/compliance/modular/modules/MaxBalanceModule.sol/MaxBalanceModule.json',
  ModuleProxy: 'contracts/compliance/modular/modules/ModuleProxy.sol/ModuleProxy.json',
  Identity: '@onchain-id/solidity/contracts/Identity.sol/Identity.json',
  ClaimIssuer: '@onchain-id/solidity/contracts/ClaimIssuer.sol/ClaimIssuer.json',
} as const;

export type TrexContractName = keyof typeof PATHS;

/** The package's artifact for `name`. */
export function trexArtifact(name: TrexContractName): Artifact {
  return require(`@tokenysolutions/t-rex/artifacts/${PATHS[name]}`) as Artifact;
}

/** The installed package's version, for reports. */
export function trexVersion(): string {
  return (require('@tokenysolutions/t-rex/package.json') as { version: string }).version;
}

/** A ContractFactory for `name` from the package's ABI and bytecode. */
export function trexFactory(name: TrexContractName, signer: Signer): ContractFactory {
  const artifact = trexArtifact(name);
  return new ContractFactory(artifact.abi, artifact.bytecode, signer);
}

/**
 * Deploys `name` with constructor `args` and waits for it. The result is untyped (the package
 * ships no typechain types): call its functions by their ABI names.
 */
export async function deployTrex(name: TrexContractName, signer: Signer, ...args: unknown[]): Promise<TrexContract> {
  const contract = await trexFactory(name, signer).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as TrexContract;
}

/** A deployed package contract, with its ABI functions callable by name (the package has no types). */
export interface TrexContract extends Omit<BaseContract, 'connect'> {
  connect(runner: ContractRunner | null): TrexContract;
  [method: string]: any;
}

/** Waits for a transaction and returns it mined. */
export async function mined(tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  await (await tx).wait();
}
