/**
 * Deploying zkkyc: the Poseidon library, the issuer registry, the Groth16 verifiers, the compliance
 * gate, and permissioned tokens with their compliance rules, wired together with roles. The result
 * is a plain JSON-able record (`ZkKycDeployment`) that other tools read back with `readDeployment`
 * and connect to with `connectZkKyc` (contracts.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { BigNumberish, Signer } from 'ethers';
import {
  ComplianceGate__factory,
  IssuerRegistry__factory,
  KycPolicyVerifier20__factory,
  KycPolicyVerifier32__factory,
  LockUp__factory,
  MaxBalancePerInvestor__factory,
  MaxInvestors__factory,
  PermissionedToken__factory,
  PoseidonT6__factory,
  SanctionsList__factory,
  TransferVolumePerPeriod__factory,
} from '@zkkyc/contracts/typechain';

/** The fully qualified name the gate's bytecode links PoseidonT6 under. */
export const POSEIDON_T6_LINK = 'poseidon-solidity/PoseidonT6.sol:PoseidonT6';

/** A trusted issuer to register at deployment. */
export interface IssuerSpec {
  issuerId: bigint | number;
  did: string;
  /** The key that will publish this issuer's roots. */
  publisher: string;
  /** 32 (default) or 20. */
  treeDepth?: 20 | 32;
}

/**
 * A gate policy: the encoded attribute rules (the `EncodedPolicy` of `@zkkyc/credentials`) plus
 * what the gate enforces on its own.
 */
export interface PolicySpec {
  policyId: bigint | number;
  jurisdictionMask: bigint;
  minAge: number;
  investorClassMask: number;
  minKycLevel: number;
  acceptedIssuers: (bigint | number)[];
  /** Seconds a registration lasts at most. */
  ttl: number;
  /** 0 = unlimited. */
  maxWalletsPerInvestor: number;
}

/** Which compliance rules a token gets, with their settings. Omitted = not deployed. */
export interface RuleSpec {
  maxBalancePerInvestor?: bigint;
  lockUpSeconds?: number;
  maxInvestors?: number;
  transferVolume?: { periodSeconds: number; maxVolume: bigint };
  /** Attach the deployment's shared SanctionsList (deployed if any token asks for it). */
  sanctions?: boolean;
}

export interface TokenSpec {
  name: string;
  symbol: string;
  decimals?: number;
  policyId: bigint | number;
  rules?: RuleSpec;
}

export interface DeployOptions {
  /** Receives every admin and agent role; defaults to the deploying signer. */
  admin?: string;
  /** Seconds a superseded root stays acceptable (default 3600). */
  maxRootAge?: number;
  /** Deploy the depth-20 verifier too (default true). */
  verifier20?: boolean;
  /** Holder of the SanctionsList ORACLE_ROLE (default: admin). */
  sanctionsOracle?: string;
  issuers?: IssuerSpec[];
  policies?: PolicySpec[];
  tokens?: TokenSpec[];
}

/** A policy as recorded in the deployment file (numbers as decimal strings, JSON-safe). */
export interface DeployedPolicy {
  policyId: string;
  scope: string;
  policyHash: string;
  jurisdictionMask: string;
  minAge: number;
  investorClassMask: number;
  minKycLevel: number;
  acceptedIssuers: string[];
  ttl: number;
  maxWalletsPerInvestor: number;
}

export type RuleName = 'maxBalancePerInvestor' | 'lockUp' | 'maxInvestors' | 'transferVolumePerPeriod' | 'sanctionsList';

export interface DeployedToken {
  name: string;
  symbol: string;
  decimals: number;
  address: string;
  policyId: string;
  /** Rule contract addresses, in the order the token consults them. */
  rules: Partial<Record<RuleName, string>>;
}

/** The deployment file: `{ chainId, contracts: {name: address}, policies, tokens }`. */
export interface ZkKycDeployment {
  chainId: number;
  contracts: {
    poseidonT6: string;
    issuerRegistry: string;
    kycPolicyVerifier32: string;
    kycPolicyVerifier20?: string;
    complianceGate: string;
    sanctionsList?: string;
  };
  policies: DeployedPolicy[];
  tokens: DeployedToken[];
}

/**
 * Deploys and wires a zkkyc system with `signer`: PoseidonT6 (linked into the gate),
 * IssuerRegistry, KycPolicyVerifier32 (and 20), ComplianceGate, then the options' issuers,
 * policies and tokens with their rules. Every role goes to `options.admin` (default: the signer).
 * Transactions are sent one after another and each is awaited, so it works on any JSON-RPC node.
 */
export async function deployZkKyc(signer: Signer, options: DeployOptions = {}): Promise<ZkKycDeployment> {
  const provider = signer.provider;
  if (!provider) throw new Error('deployZkKyc: signer must be connected to a provider');
  const self = await signer.getAddress();
  const admin = options.admin ?? self;
  const chainId = Number((await provider.getNetwork()).chainId);

  const poseidon = await (await new PoseidonT6__factory(signer).deploy()).waitForDeployment();
  const registry = await (await new IssuerRegistry__factory(signer).deploy(self, options.maxRootAge ?? 3600)).waitForDeployment();
  const verifier32 = await (await new KycPolicyVerifier32__factory(signer).deploy()).waitForDeployment();
  const verifier20 =
    options.verifier20 === false ? undefined : await (await new KycPolicyVerifier20__factory(signer).deploy()).waitForDeployment();
  const gate = await (
    await new ComplianceGate__factory({ [POSEIDON_T6_LINK]: await poseidon.getAddress() }, signer).deploy(
      self,
      await registry.getAddress(),
      await verifier32.getAddress(),
      verifier20 ? await verifier20.getAddress() : '0x0000000000000000000000000000000000000000',
    )
  ).waitForDeployment();

  const deployment: ZkKycDeployment = {
    chainId,
    contracts: {
      poseidonT6: await poseidon.getAddress(),
      issuerRegistry: await registry.getAddress(),
      kycPolicyVerifier32: await verifier32.getAddress(),
      ...(verifier20 ? { kycPolicyVerifier20: await verifier20.getAddress() } : {}),
      complianceGate: await gate.getAddress(),
    },
    policies: [],
    tokens: [],
  };

  for (const issuer of options.issuers ?? []) {
    await (await registry.addIssuer(issuer.issuerId, issuer.did, issuer.publisher, issuer.treeDepth ?? 32)).wait();
  }
  for (const policy of options.policies ?? []) {
    deployment.policies.push(await setGatePolicy(signer, deployment, policy));
  }
  if ((options.tokens ?? []).some((t) => t.rules?.sanctions)) {
    const sanctions = await (
      await new SanctionsList__factory(signer).deploy(self, options.sanctionsOracle ?? admin)
    ).waitForDeployment();
    deployment.contracts.sanctionsList = await sanctions.getAddress();
  }
  for (const token of options.tokens ?? []) {
    deployment.tokens.push(await deployToken(signer, deployment, token, { admin: self }));
  }

  if (admin.toLowerCase() !== self.toLowerCase()) await handOver(signer, deployment, admin);
  return deployment;
}

/**
 * Sets (or replaces) a gate policy and returns its record, including the scope and policyHash
 * the gate computed. The signer needs POLICY_ADMIN_ROLE. New parameters apply to new proofs.
 */
export async function setGatePolicy(signer: Signer, deployment: ZkKycDeployment, policy: PolicySpec): Promise<DeployedPolicy> {
  const gate = ComplianceGate__factory.connect(deployment.contracts.complianceGate, signer);
  await (
    await gate.setPolicy(
      policy.policyId,
      {
        jurisdictionMask: policy.jurisdictionMask,
        minAge: policy.minAge,
        investorClassMask: policy.investorClassMask,
        minKycLevel: policy.minKycLevel,
        acceptedIssuers: policy.acceptedIssuers as BigNumberish[],
        ttl: policy.ttl,
        maxWalletsPerInvestor: policy.maxWalletsPerInvestor,
      },
    )
  ).wait();
  const stored = await gate.policy(policy.policyId);
  return {
    policyId: String(policy.policyId),
    scope: stored.scope.toString(),
    policyHash: stored.policyHash.toString(),
    jurisdictionMask: policy.jurisdictionMask.toString(),
    minAge: policy.minAge,
    investorClassMask: policy.investorClassMask,
    minKycLevel: policy.minKycLevel,
    acceptedIssuers: policy.acceptedIssuers.map(String),
    ttl: policy.ttl,
    maxWalletsPerInvestor: policy.maxWalletsPerInvestor,
  };
}

/**
 * Deploys a PermissionedToken bound to the deployment's gate and `spec.policyId`, then its rules
 * (in the order maxBalancePerInvestor, lockUp, maxInvestors, transferVolumePerPeriod,
 * sanctionsList) and attaches them. The signer must end up holding the token's admin role, so it
 * deploys with itself as admin; pass `admin` to hand the roles over afterwards.
 */
export async function deployToken(
  signer: Signer,
  deployment: ZkKycDeployment,
  spec: TokenSpec,
  options: { admin?: string } = {},
): Promise<DeployedToken> {
  const self = await signer.getAddress();
  const token = await (
    await new PermissionedToken__factory(signer).deploy(
      spec.name,
      spec.symbol,
      spec.decimals ?? 18,
      self,
      deployment.contracts.complianceGate,
      spec.policyId,
    )
  ).waitForDeployment();
  const tokenAddress = await token.getAddress();
  const rules: DeployedToken['rules'] = {};
  const r = spec.rules ?? {};
  if (r.maxBalancePerInvestor !== undefined) {
    const rule = await (await new MaxBalancePerInvestor__factory(signer).deploy(tokenAddress, self, r.maxBalancePerInvestor)).waitForDeployment();
    rules.maxBalancePerInvestor = await rule.getAddress();
  }
  if (r.lockUpSeconds !== undefined) {
    const rule = await (await new LockUp__factory(signer).deploy(tokenAddress, self, r.lockUpSeconds)).waitForDeployment();
    rules.lockUp = await rule.getAddress();
  }
  if (r.maxInvestors !== undefined) {
    const rule = await (await new MaxInvestors__factory(signer).deploy(tokenAddress, self, r.maxInvestors)).waitForDeployment();
    rules.maxInvestors = await rule.getAddress();
  }
  if (r.transferVolume !== undefined) {
    const rule = await (
      await new TransferVolumePerPeriod__factory(signer).deploy(tokenAddress, self, r.transferVolume.periodSeconds, r.transferVolume.maxVolume)
    ).waitForDeployment();
    rules.transferVolumePerPeriod = await rule.getAddress();
  }
  if (r.sanctions) {
    if (!deployment.contracts.sanctionsList) {
      throw new Error(`deployToken: token ${spec.symbol} asks for sanctions but the deployment has no sanctionsList`);
    }
    rules.sanctionsList = deployment.contracts.sanctionsList;
  }
  for (const address of Object.values(rules)) await (await token.addRule(address)).wait();

  const admin = options.admin ?? self;
  if (admin.toLowerCase() !== self.toLowerCase()) {
    await grantThenRenounce(token, admin, [await token.AGENT_ROLE(), await token.DEFAULT_ADMIN_ROLE()]);
  }
  return {
    name: spec.name,
    symbol: spec.symbol,
    decimals: spec.decimals ?? 18,
    address: tokenAddress,
    policyId: String(spec.policyId),
    rules,
  };
}

interface RoleHolder {
  grantRole(role: string, account: string): Promise<{ wait(): Promise<unknown> }>;
  renounceRole(role: string, account: string): Promise<{ wait(): Promise<unknown> }>;
  runner: { getAddress?: () => Promise<string> } | null;
}

async function grantThenRenounce(contract: unknown, to: string, roles: string[]): Promise<void> {
  const c = contract as RoleHolder;
  const self = await (c.runner as Signer).getAddress();
  for (const role of roles) await (await c.grantRole(role, to)).wait();
  // DEFAULT_ADMIN_ROLE is last in `roles`, so the signer can still grant the others before leaving.
  for (const role of roles) await (await c.renounceRole(role, self)).wait();
}

/** Gives every role of the core contracts and tokens to `admin` and drops the deployer's. */
async function handOver(signer: Signer, deployment: ZkKycDeployment, admin: string): Promise<void> {
  const registry = IssuerRegistry__factory.connect(deployment.contracts.issuerRegistry, signer);
  await grantThenRenounce(registry, admin, [await registry.ISSUER_MANAGER_ROLE(), await registry.DEFAULT_ADMIN_ROLE()]);
  const gate = ComplianceGate__factory.connect(deployment.contracts.complianceGate, signer);
  await grantThenRenounce(gate, admin, [await gate.POLICY_ADMIN_ROLE(), await gate.AGENT_ROLE(), await gate.DEFAULT_ADMIN_ROLE()]);
  for (const t of deployment.tokens) {
    const token = PermissionedToken__factory.connect(t.address, signer);
    await grantThenRenounce(token, admin, [await token.AGENT_ROLE(), await token.DEFAULT_ADMIN_ROLE()]);
    for (const [name, address] of Object.entries(t.rules)) {
      if (name === 'sanctionsList') continue;
      const rule = MaxBalancePerInvestor__factory.connect(address, signer); // any TokenBoundRule: same role ABI
      await grantThenRenounce(rule, admin, [await rule.DEFAULT_ADMIN_ROLE()]);
    }
  }
  if (deployment.contracts.sanctionsList) {
    const sanctions = SanctionsList__factory.connect(deployment.contracts.sanctionsList, signer);
    await grantThenRenounce(sanctions, admin, [await sanctions.DEFAULT_ADMIN_ROLE()]);
  }
}

/** Writes a deployment record as pretty JSON. */
export async function writeDeployment(path: string, deployment: ZkKycDeployment): Promise<void> {
  await writeFile(path, JSON.stringify(deployment, null, 2) + '\n');
}

/** Reads and checks a deployment record written by `writeDeployment`. */
export async function readDeployment(path: string): Promise<ZkKycDeployment> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<ZkKycDeployment>;
  const address = /^0x[0-9a-fA-F]{40}$/;
  if (typeof parsed.chainId !== 'number') throw new Error(`${path}: chainId must be a number`);
  const contracts = parsed.contracts ?? ({} as ZkKycDeployment['contracts']);
  for (const name of ['poseidonT6', 'issuerRegistry', 'kycPolicyVerifier32', 'complianceGate'] as const) {
    if (!address.test(contracts[name] ?? '')) throw new Error(`${path}: contracts.${name} must be an address`);
  }
  if (!Array.isArray(parsed.policies)) throw new Error(`${path}: policies must be an array`);
  if (!Array.isArray(parsed.tokens)) throw new Error(`${path}: tokens must be an array`);
  return parsed as ZkKycDeployment;
}
