/**
 * The same zkkyc contracts at the same addresses on every chain, so that a policy, a wallet or an
 * issuer's configuration names one IssuerRegistry and one ComplianceGate whichever chain it is on.
 *
 * How: CREATE2. A contract's CREATE2 address depends only on the deploying contract's address, a
 * salt and the hash of the creation code (bytecode plus constructor arguments) — not on any
 * account's nonce, so it does not matter what else was sent on a chain before, or in which order
 * the chains are set up. The deploying contract is a tiny factory (`CREATE2_FACTORY_INIT_CODE`,
 * 42 bytes of EVM code written for this file: it CREATE2s its calldata's creation code with the
 * calldata's first word as salt, and reverts with the inner error when that fails). The factory
 * itself must sit at the same address everywhere: it is the first transaction (nonce 0) of a key
 * kept for nothing else, so its address is that key's nonce-0 CREATE address on every chain. That
 * key's nonce is the only nonce this depends on, and `ensureCreate2Factory` refuses a key that
 * sent anything else first.
 *
 * Constructor arguments are part of the creation code: the deployer account (which every core
 * contract takes as its first admin, handed over to `admin` afterwards, as deployZkKyc does), the
 * maximum root age and caller-supplied verifiers must be the same on every chain, or the addresses
 * differ. Tokens are not deployed here (deployToken is per chain and per issuer of shares).
 */
import { concat, getAddress, getCreate2Address, getCreateAddress, isAddress, keccak256, zeroPadValue, type BytesLike, type Signer } from 'ethers';
import {
  ComplianceGate__factory,
  DisclosureLog__factory,
  IssuerRegistry__factory,
  KycPolicyBatchVerifier32__factory,
  KycPolicyEscrowVerifier32__factory,
  KycPolicyVerifier20__factory,
  KycPolicyVerifier32__factory,
  PoseidonT4__factory,
  PoseidonT6__factory,
} from '@zkkyc/contracts/typechain';
import { checkVerifierChoice, handOver, POSEIDON_T4_LINK, POSEIDON_T6_LINK, setGatePolicy, type DeployOptions, type VerifierAddresses, type ZkKycDeployment } from './deploy.js';

/**
 * The factory's runtime code, by instruction: copy calldata[32:] to memory 0; CREATE2 it with the
 * call's value and salt = calldata[0:32]; on a zero address copy the inner revert data and revert
 * with it; else return the address as one word.
 */
const FACTORY_RUNTIME = [
  '602036038060206000' + '37', // size = calldatasize - 32; calldatacopy(0, 32, size)
  '600035906000' + '34f5', // create2(callvalue, 0, size, calldataload(0))
  '8015601f' + '57', // if the address is zero, jump to the revert at 0x1f
  '6000526020' + '6000f3', // mstore(0, address); return(0, 32)
  '5b3d60006000' + '3e3d6000fd', // 0x1f: returndatacopy(0, 0, size); revert(0, size)
].join('');

/** Creation code of the factory: copy the 42-byte runtime (at offset 11) to memory and return it. */
export const CREATE2_FACTORY_INIT_CODE = '0x602a80600b6000396000f3' + FACTORY_RUNTIME;

/** Where `factoryDeployer`'s first transaction puts the factory, on any chain. */
export function create2FactoryAddress(factoryDeployer: string): string {
  return getCreateAddress({ from: factoryDeployer, nonce: 0 });
}

/**
 * Makes sure the factory is at `create2FactoryAddress(factoryDeployer)` on the signer's chain:
 * nothing to do when it is there; deploys it when the key has sent nothing yet (nonce 0); refuses
 * when the key has sent something else first (the factory could then never be at that address on
 * this chain — use the address where it is, or a fresh key everywhere).
 */
export async function ensureCreate2Factory(factoryDeployer: Signer): Promise<string> {
  const provider = factoryDeployer.provider;
  if (!provider) throw new Error('ensureCreate2Factory: factoryDeployer must be connected to a provider');
  const from = await factoryDeployer.getAddress();
  const address = create2FactoryAddress(from);
  const code = await provider.getCode(address);
  if (code !== '0x') {
    if (code.toLowerCase() !== '0x' + FACTORY_RUNTIME) throw new Error(`ensureCreate2Factory: ${address} holds other code than the CREATE2 factory`);
    return address;
  }
  const nonce = await provider.getTransactionCount(from);
  if (nonce !== 0) {
    throw new Error(
      `ensureCreate2Factory: the factory deployer ${from} has sent ${nonce} transaction(s) on this chain, so the factory can no longer be at ${address} (rule factory-key-nonce-0: keep that key for the factory alone)`,
    );
  }
  const tx = await factoryDeployer.sendTransaction({ data: CREATE2_FACTORY_INIT_CODE, nonce: 0 });
  const receipt = await tx.wait();
  if (!receipt || receipt.contractAddress?.toLowerCase() !== address.toLowerCase()) throw new Error(`ensureCreate2Factory: deployment landed at ${receipt?.contractAddress}, not ${address}`);
  return address;
}

/** A 32-byte salt from a label (the same label gives the same addresses). */
export function deploymentSalt(label: string): string {
  return keccak256(new TextEncoder().encode(`zkkyc:${label}`));
}

/** Where `initCode` lands through `factory` with `salt`. */
export function create2Address(factory: string, salt: BytesLike, initCode: BytesLike): string {
  return getCreate2Address(factory, salt, keccak256(initCode));
}

/** Deploys `initCode` through the factory unless its address already has code; returns the address. */
export async function deployCreate2(signer: Signer, factory: string, salt: BytesLike, initCode: BytesLike): Promise<string> {
  const address = create2Address(factory, salt, initCode);
  if ((await signer.provider!.getCode(address)) !== '0x') return address;
  const tx = await signer.sendTransaction({ to: factory, data: concat([zeroPadValue(salt, 32), initCode]) });
  await tx.wait();
  if ((await signer.provider!.getCode(address)) === '0x') throw new Error(`deployCreate2: nothing deployed at ${address}`);
  return address;
}

export interface DeterministicDeployOptions extends Pick<DeployOptions, 'admin' | 'maxRootAge' | 'verifier20' | 'batchVerifier' | 'verifiers' | 'allowInsecureDevVerifiers' | 'issuers' | 'policies'> {
  /** The CREATE2 factory's address (ensureCreate2Factory). */
  factory: string;
  /** Names this deployment: another label gives another set of addresses (default "core-v1"). */
  label?: string;
}

type CoreContracts = ZkKycDeployment['contracts'];
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/**
 * The core contracts' creation codes, in deployment order, with the addresses they land at: all
 * computed offline from the factory, the deployer's address and the options, since each address
 * depends only on those (the gate's code names the registry's and the libraries' addresses).
 */
async function corePlan(deployer: string, options: DeterministicDeployOptions): Promise<{ steps: Array<{ name: string; initCode: string; address: string }>; contracts: CoreContracts }> {
  const label = options.label ?? 'core-v1';
  const steps: Array<{ name: string; initCode: string; address: string }> = [];
  const add = (name: string, initCode: string) => {
    const address = create2Address(options.factory, deploymentSalt(`${label}:${name}`), initCode);
    steps.push({ name, initCode, address });
    return address;
  };
  const poseidonT6 = add('PoseidonT6', (await new PoseidonT6__factory().getDeployTransaction()).data);
  const poseidonT4 = add('PoseidonT4', (await new PoseidonT4__factory().getDeployTransaction()).data);
  const issuerRegistry = add('IssuerRegistry', (await new IssuerRegistry__factory().getDeployTransaction(deployer, options.maxRootAge ?? 3600)).data);
  const verifiers: VerifierAddresses = options.verifiers
    ? { ...options.verifiers }
    : {
        kycPolicyVerifier32: add('KycPolicyVerifier32', (await new KycPolicyVerifier32__factory().getDeployTransaction()).data),
        ...(options.verifier20 === false ? {} : { kycPolicyVerifier20: add('KycPolicyVerifier20', (await new KycPolicyVerifier20__factory().getDeployTransaction()).data) }),
        kycPolicyEscrowVerifier32: add('KycPolicyEscrowVerifier32', (await new KycPolicyEscrowVerifier32__factory().getDeployTransaction()).data),
        ...(options.batchVerifier === false ? {} : { kycPolicyBatchVerifier32: add('KycPolicyBatchVerifier32', (await new KycPolicyBatchVerifier32__factory().getDeployTransaction()).data) }),
      };
  const links = { [POSEIDON_T6_LINK]: poseidonT6, [POSEIDON_T4_LINK]: poseidonT4 };
  const complianceGate = add(
    'ComplianceGate',
    (
      await new ComplianceGate__factory(links).getDeployTransaction(
        deployer,
        issuerRegistry,
        verifiers.kycPolicyVerifier32,
        verifiers.kycPolicyVerifier20 ?? ZERO_ADDRESS,
        verifiers.kycPolicyEscrowVerifier32 ?? ZERO_ADDRESS,
      )
    ).data,
  );
  const disclosureLog = add('DisclosureLog', (await new DisclosureLog__factory().getDeployTransaction(deployer, complianceGate)).data);
  return { steps, contracts: { poseidonT6, poseidonT4, issuerRegistry, ...verifiers, complianceGate, disclosureLog } };
}

/**
 * Where deployZkKycDeterministic puts the core contracts for `deployer` (the signer's address),
 * before anything is sent on any chain: a configuration (the issuer's ANCHOR_CHAINS, a wallet's
 * registry address) can be written first.
 */
export async function predictZkKycAddresses(deployer: string, options: DeterministicDeployOptions): Promise<CoreContracts> {
  return (await corePlan(getAddress(deployer), options)).contracts;
}

/**
 * deployZkKyc's core — PoseidonT6, PoseidonT4, IssuerRegistry, the verifiers (the bundled dev ones
 * only on a dev chain, as there), ComplianceGate, DisclosureLog — through CREATE2, so the same
 * signer, options and label give the same addresses on every chain (predictZkKycAddresses); then
 * the issuers and policies, and the hand-over to `admin`, as deployZkKyc does. Run again on a chain,
 * it skips the contracts already there and the issuers already registered (adding a chain later is
 * running it there).
 */
export async function deployZkKycDeterministic(signer: Signer, options: DeterministicDeployOptions): Promise<ZkKycDeployment> {
  const provider = signer.provider;
  if (!provider) throw new Error('deployZkKycDeterministic: signer must be connected to a provider');
  const self = await signer.getAddress();
  const admin = options.admin ?? self;
  const chainId = Number((await provider.getNetwork()).chainId);
  checkVerifierChoice(chainId, options);
  // Only this factory's code makes the addresses what predictZkKycAddresses says: any other contract there could deploy something else.
  const factoryCode = (await provider.getCode(options.factory)).toLowerCase();
  if (factoryCode === '0x') throw new Error(`deployZkKycDeterministic: no CREATE2 factory at ${options.factory} on chain ${chainId} (ensureCreate2Factory)`);
  if (factoryCode !== '0x' + FACTORY_RUNTIME) {
    throw new Error(
      `deployZkKycDeterministic: options.factory ${options.factory} on chain ${chainId} holds other code than the CREATE2 factory (rule create2-factory-code: use the address ensureCreate2Factory returns)`,
    );
  }
  for (const [key, address] of Object.entries(options.verifiers ?? {})) {
    if (address !== undefined && (!isAddress(address) || (await provider.getCode(address)) === '0x')) {
      throw new Error(`deployZkKycDeterministic: options.verifiers.${key}: no contract at ${address} on chain ${chainId}`);
    }
  }
  const plan = await corePlan(self, options);
  for (const step of plan.steps) await deployCreate2(signer, options.factory, deploymentSalt(`${options.label ?? 'core-v1'}:${step.name}`), step.initCode);
  const deployment: ZkKycDeployment = { chainId, contracts: plan.contracts, policies: [], tokens: [] };
  const batchVerifier = plan.contracts.kycPolicyBatchVerifier32;
  if (batchVerifier) {
    const gate = ComplianceGate__factory.connect(plan.contracts.complianceGate, signer);
    // Set once; a rerun finds it set (the gate never replaces it).
    if ((await gate.batchVerifier32()) === ZERO_ADDRESS) await (await gate.setBatchVerifier32(batchVerifier)).wait();
  }
  const registry = IssuerRegistry__factory.connect(plan.contracts.issuerRegistry, signer);
  for (const issuer of options.issuers ?? []) {
    // Already registered on this chain (a rerun): leave it as it is.
    if ((await registry.issuer(issuer.issuerId)).treeDepth !== 0n) continue;
    await (await registry.addIssuer(issuer.issuerId, issuer.did, issuer.publisher, issuer.treeDepth ?? 32)).wait();
    if (issuer.maxCurrentRootAge) await (await registry.setMaxCurrentRootAge(issuer.issuerId, issuer.maxCurrentRootAge)).wait();
  }
  for (const policy of options.policies ?? []) deployment.policies.push(await setGatePolicy(signer, deployment, policy));
  if (getAddress(admin) !== getAddress(self)) await handOver(signer, deployment, admin);
  return deployment;
}
