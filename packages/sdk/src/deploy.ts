/**
 * Deploying zkkyc: the Poseidon libraries, the issuer registry, the Groth16 verifiers, the compliance
 * gate, the disclosure log, and permissioned tokens with their compliance rules, wired together with roles. The result
 * is a plain JSON-able record (`ZkKycDeployment`) that other tools read back with `readDeployment`
 * and connect to with `connectZkKyc` (contracts.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { getAddress, isAddress, type BigNumberish, type Provider, type Signer } from 'ethers';
import {
  ComplianceGate__factory,
  DisclosureLog__factory,
  IssuerRegistry__factory,
  KycPolicyBatchVerifier32__factory,
  KycPolicyEscrowVerifier32__factory,
  KycPolicyVerifier20__factory,
  KycPolicyVerifier32__factory,
  LockUp__factory,
  MaxBalancePerInvestor__factory,
  MaxInvestors__factory,
  PermissionedToken__factory,
  PoseidonT4__factory,
  PoseidonT6__factory,
  SanctionsList__factory,
  TransferApproval__factory,
  TransferVolumePerPeriod__factory,
} from '@zkkyc/contracts/typechain';

/** The fully qualified name the gate's bytecode links PoseidonT6 under (the rules' hash). */
export const POSEIDON_T6_LINK = 'poseidon-solidity/PoseidonT6.sol:PoseidonT6';
/** The fully qualified name the gate's bytecode links PoseidonT4 under (the escrow policy hash). */
export const POSEIDON_T4_LINK = 'poseidon-solidity/PoseidonT4.sol:PoseidonT4';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** A trusted issuer to register at deployment. */
export interface IssuerSpec {
  issuerId: bigint | number;
  did: string;
  /** The key that will publish this issuer's roots. */
  publisher: string;
  /** 32 (default) or 20. */
  treeDepth?: 20 | 32;
  /**
   * Seconds the issuer's current root stays acceptable after it was published or confirmed
   * (IssuerRegistry.setMaxCurrentRootAge). Omitted or 0: no limit.
   */
  maxCurrentRootAge?: number;
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
  /**
   * The policy's escrow public key `E = (x, y)`, a point of Baby Jubjub's prime-order subgroup
   * (docs/escrow.md): registrations then need escrow proofs, which encrypt the holder's leaf index to
   * it (`ComplianceGate.setEscrowPolicy`). Omitted: no escrow. Once a policy has a key it keeps one
   * (the gate refuses to drop it); setting another key rotates it.
   */
  escrowKey?: readonly [bigint, bigint];
}

/** Which compliance rules a token gets, with their settings. Omitted = not deployed. */
export interface RuleSpec {
  maxBalancePerInvestor?: bigint;
  lockUpSeconds?: number;
  maxInvestors?: number;
  transferVolume?: { periodSeconds: number; maxVolume: bigint };
  /** Attach the deployment's shared SanctionsList (deployed if any token asks for it). */
  sanctions?: boolean;
  /**
   * Hold transfers for review (TransferApproval, consulted last): a transfer of more than
   * `threshold` base units to another investor, or from or to a flagged wallet, waits as a pending
   * transfer until a compliance agent approves or rejects it; it expires after `expirySeconds`
   * (1 s to 365 days). Request limits against a wallet flooding the review queue:
   * `minRequestAmount`, the smallest amount a holder may ask for, in base units (default 0n: any
   * positive amount, because only a flagged wallet can request below the threshold and a minimum
   * would leave it no way to send less; the per-wallet cap below is what bounds the queue), and
   * `maxPendingPerWallet`, how many transfers one wallet may have pending at once (default 5, the
   * rule's `DEFAULT_MAX_PENDING_PER_WALLET`; at least 1).
   */
  transferApproval?: { threshold: bigint; expirySeconds: number; minRequestAmount?: bigint; maxPendingPerWallet?: number };
}

export interface TokenSpec {
  name: string;
  symbol: string;
  decimals?: number;
  policyId: bigint | number;
  rules?: RuleSpec;
  /**
   * Seconds a scheduled handover of the token's DEFAULT_ADMIN_ROLE waits before the new admin can
   * accept it (OpenZeppelin AccessControlDefaultAdminRules). Default 0: the handover still takes
   * two steps (begin, then accept by the new admin).
   */
  adminDelaySeconds?: number;
}

export interface DeployOptions {
  /** Receives every admin and agent role; defaults to the deploying signer. */
  admin?: string;
  /** Seconds a superseded root stays acceptable (default 3600). */
  maxRootAge?: number;
  /** Deploy the depth-20 verifier too (default true). Applies to the bundled verifiers, not to `verifiers`. */
  verifier20?: boolean;
  /**
   * Deploy the bundled batch verifier and set it on the gate (default true), so relayers can submit
   * `verifyBatch`. Applies to the bundled verifiers; with `verifiers`, the gate gets
   * `verifiers.kycPolicyBatchVerifier32` if given. The gate takes it once and never replaces it.
   */
  batchVerifier?: boolean;
  /**
   * Verifiers the caller deployed, generated from a production (ceremony) zkey, for the gate to use.
   * Given, deployZkKyc deploys no verifier, on any chain. Omitted, it deploys the verifiers compiled
   * into @zkkyc/contracts, which come from the INSECURE dev setup: only on DEV_CHAIN_IDS unless
   * `allowInsecureDevVerifiers`.
   */
  verifiers?: VerifierAddresses;
  /**
   * Deploy the INSECURE dev verifiers on a chain outside DEV_CHAIN_IDS anyway. Anyone can forge
   * proofs they accept: for a throwaway test network only, never where the tokens have value.
   */
  allowInsecureDevVerifiers?: boolean;
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
  /** The escrow key `[x, y]` as decimal strings; absent for a policy without escrow. */
  escrowKey?: [string, string];
  /** With an escrow key: the rules' hash, the inner hash of `policyHash` (docs/protocol.md, "Escrow"). */
  rulesHash?: string;
}

export type RuleName = 'maxBalancePerInvestor' | 'lockUp' | 'maxInvestors' | 'transferVolumePerPeriod' | 'sanctionsList' | 'transferApproval';

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
    poseidonT4: string;
    issuerRegistry: string;
    kycPolicyVerifier32: string;
    kycPolicyVerifier20?: string;
    /** Absent when the gate takes no escrow policies (caller verifiers without an escrow one). */
    kycPolicyEscrowVerifier32?: string;
    /** Absent when the gate takes no `verifyBatch` (batchVerifier: false, or caller verifiers without one). */
    kycPolicyBatchVerifier32?: string;
    complianceGate: string;
    /** Where escrow disclosure requests are recorded (docs/disclosure-log.md), for this gate's policies. */
    disclosureLog: string;
    sanctionsList?: string;
  };
  policies: DeployedPolicy[];
  tokens: DeployedToken[];
}

/**
 * The chains on which deployZkKyc deploys the verifiers compiled into @zkkyc/contracts unasked:
 * 31337 (Hardhat, in-process or `hardhat node`) and 1337 (geth --dev, Ganache). Those verifiers come
 * from the committed dev setup, whose randomness is public, so anyone can forge a proof they accept
 * (docs/circuits.md): on a chain where tokens have value they would let anyone register any wallet.
 */
export const DEV_CHAIN_IDS: readonly number[] = [31337, 1337];

/** Verifier contracts the caller deployed, e.g. generated from a ceremony zkey (docs/circuits.md). */
export interface VerifierAddresses {
  kycPolicyVerifier32: string;
  /** Omitted: the gate accepts no depth-20 issuer tree. */
  kycPolicyVerifier20?: string;
  /** The kycPolicyEscrow32 verifier. Omitted: the gate refuses escrow policies. */
  kycPolicyEscrowVerifier32?: string;
  /** The batched kycPolicy32 verifier (same verification key as kycPolicyVerifier32). Omitted: the gate refuses `verifyBatch`. */
  kycPolicyBatchVerifier32?: string;
}

/**
 * The rule deployZkKyc applies before it sends anything: the bundled INSECURE dev verifiers only on
 * a dev chain (DEV_CHAIN_IDS), unless the caller brings its own (`verifiers`) or opts in by name
 * (`allowInsecureDevVerifiers: true`). Throws an error naming the chain and the rule.
 */
export function checkVerifierChoice(chainId: number, options: Pick<DeployOptions, 'verifiers' | 'allowInsecureDevVerifiers'>): void {
  if (options.verifiers || options.allowInsecureDevVerifiers === true || DEV_CHAIN_IDS.includes(chainId)) return;
  throw new Error(
    `deployZkKyc: refusing to deploy the INSECURE dev verifiers on chain ${chainId}: they come from the committed dev setup, ` +
      'whose randomness is public, so anyone can forge proofs they accept; they are deployed only on the dev chains ' +
      '(31337 Hardhat, 1337 geth --dev / Ganache). Pass options.verifiers with the addresses of verifiers generated from a ' +
      'ceremony zkey (docs/circuits.md, "Production setup"), or allowInsecureDevVerifiers: true for a throwaway test network.',
  );
}

/** The caller's verifiers, checked: addresses with code on this chain. */
async function callerVerifiers(provider: Provider, chainId: number, verifiers: VerifierAddresses): Promise<VerifierAddresses> {
  const checked = async (key: keyof VerifierAddresses, address: string) => {
    if (!isAddress(address)) throw new Error(`deployZkKyc: options.verifiers.${key} must be an address, got ${address}`);
    if ((await provider.getCode(address)) === '0x') throw new Error(`deployZkKyc: options.verifiers.${key}: no contract at ${address} on chain ${chainId}`);
    return getAddress(address);
  };
  return {
    kycPolicyVerifier32: await checked('kycPolicyVerifier32', verifiers.kycPolicyVerifier32),
    ...(verifiers.kycPolicyVerifier20 === undefined ? {} : { kycPolicyVerifier20: await checked('kycPolicyVerifier20', verifiers.kycPolicyVerifier20) }),
    ...(verifiers.kycPolicyEscrowVerifier32 === undefined ? {} : { kycPolicyEscrowVerifier32: await checked('kycPolicyEscrowVerifier32', verifiers.kycPolicyEscrowVerifier32) }),
    ...(verifiers.kycPolicyBatchVerifier32 === undefined ? {} : { kycPolicyBatchVerifier32: await checked('kycPolicyBatchVerifier32', verifiers.kycPolicyBatchVerifier32) }),
  };
}

/** Deploys the verifiers compiled into @zkkyc/contracts: the INSECURE dev ones (checkVerifierChoice first). */
async function deployBundledVerifiers(signer: Signer, options: DeployOptions): Promise<VerifierAddresses> {
  const verifier32 = await (await new KycPolicyVerifier32__factory(signer).deploy()).waitForDeployment();
  const verifier20 = options.verifier20 === false ? undefined : await (await new KycPolicyVerifier20__factory(signer).deploy()).waitForDeployment();
  const escrowVerifier32 = await (await new KycPolicyEscrowVerifier32__factory(signer).deploy()).waitForDeployment();
  const batchVerifier32 = options.batchVerifier === false ? undefined : await (await new KycPolicyBatchVerifier32__factory(signer).deploy()).waitForDeployment();
  return {
    kycPolicyVerifier32: await verifier32.getAddress(),
    ...(verifier20 ? { kycPolicyVerifier20: await verifier20.getAddress() } : {}),
    kycPolicyEscrowVerifier32: await escrowVerifier32.getAddress(),
    ...(batchVerifier32 ? { kycPolicyBatchVerifier32: await batchVerifier32.getAddress() } : {}),
  };
}

/**
 * Deploys and wires a zkkyc system with `signer`: PoseidonT6 and PoseidonT4 (linked into the gate),
 * IssuerRegistry, KycPolicyVerifier32 (and 20) and KycPolicyEscrowVerifier32 unless
 * `options.verifiers` brings them, ComplianceGate, the DisclosureLog of the gate's escrow
 * disclosures, then the options' issuers, policies (with an escrow key: `setEscrowPolicy`) and tokens
 * with their rules. Every role goes to `options.admin` (default: the signer);
 * DEFAULT_ADMIN_ROLE of the registry, the gate and the disclosure log only once that admin accepts it
 * ({@link acceptCoreAdmin}: hand-overs take two steps). Transactions are sent one after another and each is awaited, so it works on any JSON-RPC node.
 *
 * Refuses, before sending anything, to deploy the bundled INSECURE dev verifiers on a chain outside
 * DEV_CHAIN_IDS (see checkVerifierChoice), and a `verifiers` address without code.
 */
export async function deployZkKyc(signer: Signer, options: DeployOptions = {}): Promise<ZkKycDeployment> {
  const provider = signer.provider;
  if (!provider) throw new Error('deployZkKyc: signer must be connected to a provider');
  const self = await signer.getAddress();
  const admin = options.admin ?? self;
  const chainId = Number((await provider.getNetwork()).chainId);
  // Before any transaction: which verifiers the gate will trust (see DEV_CHAIN_IDS).
  checkVerifierChoice(chainId, options);
  const given = options.verifiers ? await callerVerifiers(provider, chainId, options.verifiers) : undefined;

  const poseidon = await (await new PoseidonT6__factory(signer).deploy()).waitForDeployment();
  const poseidonT4 = await (await new PoseidonT4__factory(signer).deploy()).waitForDeployment();
  const registry = await (await new IssuerRegistry__factory(signer).deploy(self, options.maxRootAge ?? 3600)).waitForDeployment();
  const verifiers = given ?? (await deployBundledVerifiers(signer, options));
  const links = { [POSEIDON_T6_LINK]: await poseidon.getAddress(), [POSEIDON_T4_LINK]: await poseidonT4.getAddress() };
  const gate = await (
    await new ComplianceGate__factory(links, signer).deploy(
      self,
      await registry.getAddress(),
      verifiers.kycPolicyVerifier32,
      verifiers.kycPolicyVerifier20 ?? ZERO_ADDRESS,
      verifiers.kycPolicyEscrowVerifier32 ?? ZERO_ADDRESS,
    )
  ).waitForDeployment();
  // Set once, while the deployer still holds the gate's admin role (the hand-over comes last).
  if (verifiers.kycPolicyBatchVerifier32) await (await gate.setBatchVerifier32(verifiers.kycPolicyBatchVerifier32)).wait();
  // Disclosure requests name this gate's policies and registrations; the deployer holds its roles
  // until the hand-over below, like the gate's.
  const disclosureLog = await (await new DisclosureLog__factory(signer).deploy(self, await gate.getAddress())).waitForDeployment();

  const deployment: ZkKycDeployment = {
    chainId,
    contracts: {
      poseidonT6: await poseidon.getAddress(),
      poseidonT4: await poseidonT4.getAddress(),
      issuerRegistry: await registry.getAddress(),
      ...verifiers,
      complianceGate: await gate.getAddress(),
      disclosureLog: await disclosureLog.getAddress(),
    },
    policies: [],
    tokens: [],
  };

  for (const issuer of options.issuers ?? []) {
    await (await registry.addIssuer(issuer.issuerId, issuer.did, issuer.publisher, issuer.treeDepth ?? 32)).wait();
    if (issuer.maxCurrentRootAge) await (await registry.setMaxCurrentRootAge(issuer.issuerId, issuer.maxCurrentRootAge)).wait();
  }
  for (const policy of options.policies ?? []) {
    deployment.policies.push(await setGatePolicy(signer, deployment, policy));
  }
  if ((options.tokens ?? []).some((t) => t.rules?.sanctions)) {
    const sanctions = await // The deployer is oracle until the hand-over, unless another oracle is named: a mistyped
    // `admin` then never receives (and loses) the role.
    (await new SanctionsList__factory(signer).deploy(self, options.sanctionsOracle ?? self)).waitForDeployment();
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
 * With `policy.escrowKey` it calls `setEscrowPolicy` (which refuses a key outside Baby Jubjub's
 * prime-order subgroup, `EscrowKeyInvalid`); without one, `setPolicy` (which refuses a policy that
 * has a key, `EscrowCannotBeRemoved`).
 */
export async function setGatePolicy(signer: Signer, deployment: ZkKycDeployment, policy: PolicySpec): Promise<DeployedPolicy> {
  const gate = ComplianceGate__factory.connect(deployment.contracts.complianceGate, signer);
  const params = {
    jurisdictionMask: policy.jurisdictionMask,
    minAge: policy.minAge,
    investorClassMask: policy.investorClassMask,
    minKycLevel: policy.minKycLevel,
    acceptedIssuers: policy.acceptedIssuers as BigNumberish[],
    ttl: policy.ttl,
    maxWalletsPerInvestor: policy.maxWalletsPerInvestor,
  };
  const tx = policy.escrowKey ? await gate.setEscrowPolicy(policy.policyId, params, [policy.escrowKey[0], policy.escrowKey[1]]) : await gate.setPolicy(policy.policyId, params);
  const receipt = await tx.wait();
  const stored = await gate.policy(policy.policyId);
  let escrow: Pick<DeployedPolicy, 'escrowKey' | 'rulesHash'> = {};
  if (policy.escrowKey) {
    const logged = receipt!.logs.map((log) => gate.interface.parseLog(log)).find((parsed) => parsed?.name === 'PolicyEscrowKeySet');
    escrow = {
      escrowKey: [policy.escrowKey[0].toString(), policy.escrowKey[1].toString()],
      rulesHash: (logged!.args.rulesHash as bigint).toString(),
    };
  }
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
    ...escrow,
  };
}

/**
 * Deploys a PermissionedToken bound to the deployment's gate and `spec.policyId`, then its rules
 * (in the order maxBalancePerInvestor, lockUp, maxInvestors, transferVolumePerPeriod,
 * sanctionsList, transferApproval) and attaches them, and makes the token the gate's policy agent of `spec.policyId`
 * (the signer needs the gate's POLICY_ADMIN_ROLE). The signer must end up holding the token's admin
 * role, so it deploys with itself as admin; pass `admin` to hand the token and its rules over
 * afterwards: AGENT_ROLE at once, DEFAULT_ADMIN_ROLE of the token and of each rule in two steps,
 * completed by `admin` with {@link acceptTokenAdmin}. (The shared SanctionsList is the
 * deployment's, handed over by deployZkKyc.)
 */
export async function deployToken(signer: Signer, deployment: ZkKycDeployment, spec: TokenSpec, options: { admin?: string } = {}): Promise<DeployedToken> {
  const self = await signer.getAddress();
  // A recovery revokes and bars the lost wallet in the gate, so the token must be a policy agent of
  // its policy there — of that policy only: a gate-wide AGENT_ROLE would let the token's agents
  // revoke and bar holders of every other token. Check that the signer can name it before deploying.
  const gate = ComplianceGate__factory.connect(deployment.contracts.complianceGate, signer);
  if (!(await gate.hasRole(await gate.POLICY_ADMIN_ROLE(), self))) {
    throw new Error(
      `deployToken: ${self} lacks the gate's POLICY_ADMIN_ROLE, needed to make token ${spec.symbol} the agent of policy ${spec.policyId} (for recoveryAddress); deploy with the gate's policy admin`,
    );
  }
  const token = await (
    await new PermissionedToken__factory(signer).deploy(spec.name, spec.symbol, spec.decimals ?? 18, self, deployment.contracts.complianceGate, spec.policyId, spec.adminDelaySeconds ?? 0)
  ).waitForDeployment();
  const tokenAddress = await token.getAddress();
  await (await gate.setPolicyAgent(spec.policyId, tokenAddress, true)).wait();
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
    const rule = await (await new TransferVolumePerPeriod__factory(signer).deploy(tokenAddress, self, r.transferVolume.periodSeconds, r.transferVolume.maxVolume)).waitForDeployment();
    rules.transferVolumePerPeriod = await rule.getAddress();
  }
  if (r.sanctions) {
    if (!deployment.contracts.sanctionsList) {
      throw new Error(`deployToken: token ${spec.symbol} asks for sanctions but the deployment has no sanctionsList`);
    }
    rules.sanctionsList = deployment.contracts.sanctionsList;
  }
  if (r.transferApproval !== undefined) {
    const { threshold, expirySeconds, minRequestAmount, maxPendingPerWallet } = r.transferApproval;
    if (minRequestAmount !== undefined && (minRequestAmount < 0n || minRequestAmount >= 2n ** 128n)) {
      throw new Error(`deployToken: token ${spec.symbol}: rules.transferApproval.minRequestAmount must be in [0, 2^128), got ${minRequestAmount}`);
    }
    if (maxPendingPerWallet !== undefined && !(Number.isInteger(maxPendingPerWallet) && maxPendingPerWallet >= 1 && maxPendingPerWallet < 2 ** 32)) {
      throw new Error(`deployToken: token ${spec.symbol}: rules.transferApproval.maxPendingPerWallet must be an integer in [1, 2^32), got ${maxPendingPerWallet}`);
    }
    const rule = await (await new TransferApproval__factory(signer).deploy(tokenAddress, self, threshold, expirySeconds)).waitForDeployment();
    // The rule starts with no minimum and DEFAULT_MAX_PENDING_PER_WALLET; only other values cost a transaction.
    if (minRequestAmount) await (await rule.setMinRequestAmount(minRequestAmount)).wait();
    if (maxPendingPerWallet !== undefined && BigInt(maxPendingPerWallet) !== (await rule.DEFAULT_MAX_PENDING_PER_WALLET())) {
      await (await rule.setMaxPendingPerWallet(maxPendingPerWallet)).wait();
    }
    rules.transferApproval = await rule.getAddress();
  }
  for (const address of Object.values(rules)) await (await token.addRule(address)).wait();

  const admin = options.admin ?? self;
  if (admin.toLowerCase() !== self.toLowerCase()) await handOverToken(token, rules, admin);
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
  // All granted before any is renounced: the signer may need one role to grant another.
  for (const role of roles) await (await c.renounceRole(role, self)).wait();
}

/**
 * Hands a token and its token-bound rules to `admin`: the token's AGENT_ROLE is granted and the
 * signer's dropped at once; DEFAULT_ADMIN_ROLE of the token and of each rule moves in two steps
 * (AccessControlDefaultAdminRules), so this only schedules it — `admin` completes it with
 * {@link acceptTokenAdmin} once the delay has passed. Until then the signer stays their admin, so a
 * mistyped `admin` locks nothing: the signer can schedule another hand-over. `rules` skips the
 * shared SanctionsList (deployZkKyc hands that over with the core contracts).
 */
async function handOverToken(token: ReturnType<typeof PermissionedToken__factory.connect>, rules: DeployedToken['rules'], admin: string): Promise<void> {
  const self = await (token.runner as Signer).getAddress();
  const agentRole = await token.AGENT_ROLE();
  await (await token.grantRole(agentRole, admin)).wait();
  await (await token.renounceRole(agentRole, self)).wait();
  await (await token.beginDefaultAdminTransfer(admin)).wait();
  for (const [name, address] of Object.entries(rules)) {
    if (name === 'sanctionsList') continue;
    // Any TokenBoundRule: the same AccessControlDefaultAdminRules ABI.
    await (await MaxBalancePerInvestor__factory.connect(address, token.runner).beginDefaultAdminTransfer(admin)).wait();
  }
}

/**
 * Completes, for `newAdmin`, every two-step admin hand-over scheduled to it on `contracts`: accepts
 * DEFAULT_ADMIN_ROLE where `newAdmin` is the pending admin, skips the others (already accepted, or
 * scheduled to someone else). Fails while a contract's admin delay has not passed.
 */
async function acceptPending(newAdmin: Signer, contracts: string[]): Promise<void> {
  const self = (await newAdmin.getAddress()).toLowerCase();
  for (const address of contracts) {
    // Every zkkyc contract with an admin uses AccessControlDefaultAdminRules: one ABI serves all.
    const contract = MaxBalancePerInvestor__factory.connect(address, newAdmin);
    const pending = await contract.pendingDefaultAdmin();
    if (pending.newAdmin.toLowerCase() === self) await (await contract.acceptDefaultAdminTransfer()).wait();
  }
}

/**
 * The second step of a token admin handover: `newAdmin` (the signer scheduled by deployZkKyc's or
 * deployToken's `admin`) accepts DEFAULT_ADMIN_ROLE of the token at `tokenAddress` and of each of its
 * rules (the shared SanctionsList too, if its hand-over was scheduled to `newAdmin`). Skips what is
 * not pending for `newAdmin`; fails until the admin delay has passed since the handover was scheduled.
 */
export async function acceptTokenAdmin(newAdmin: Signer, tokenAddress: string): Promise<void> {
  const token = PermissionedToken__factory.connect(tokenAddress, newAdmin);
  await acceptPending(newAdmin, [tokenAddress, ...(await token.rules())]);
}

/**
 * Gives every role of the core contracts, the sanctions list, the tokens and their rules to `admin`
 * and drops the deployer's. Every DEFAULT_ADMIN_ROLE moves in two steps
 * (AccessControlDefaultAdminRules): this schedules them, and `admin` completes them with
 * {@link acceptCoreAdmin} (registry, gate, sanctions list) and {@link acceptTokenAdmin} (each token
 * and its rules); until then the deployer stays their default admin — so it can grant again what a
 * mistyped `admin` received — but holds none of their other roles.
 */
export async function handOver(signer: Signer, deployment: ZkKycDeployment, admin: string): Promise<void> {
  const registry = IssuerRegistry__factory.connect(deployment.contracts.issuerRegistry, signer);
  await grantThenRenounce(registry, admin, [await registry.ISSUER_MANAGER_ROLE()]);
  await (await registry.beginDefaultAdminTransfer(admin)).wait();
  const gate = ComplianceGate__factory.connect(deployment.contracts.complianceGate, signer);
  await grantThenRenounce(gate, admin, [await gate.POLICY_ADMIN_ROLE(), await gate.AGENT_ROLE()]);
  await (await gate.beginDefaultAdminTransfer(admin)).wait();
  const disclosureLog = DisclosureLog__factory.connect(deployment.contracts.disclosureLog, signer);
  await grantThenRenounce(disclosureLog, admin, [await disclosureLog.POLICY_ADMIN_ROLE()]);
  await (await disclosureLog.beginDefaultAdminTransfer(admin)).wait();
  for (const t of deployment.tokens) {
    await handOverToken(PermissionedToken__factory.connect(t.address, signer), t.rules, admin);
  }
  if (deployment.contracts.sanctionsList) {
    const sanctions = SanctionsList__factory.connect(deployment.contracts.sanctionsList, signer);
    // The oracle role was the deployer's (if no other oracle was named): pass it on with the rest.
    const oracleRole = await sanctions.ORACLE_ROLE();
    if (await sanctions.hasRole(oracleRole, await signer.getAddress())) await grantThenRenounce(sanctions, admin, [oracleRole]);
    await (await sanctions.beginDefaultAdminTransfer(admin)).wait();
  }
}

/**
 * The second step of the core contracts' admin hand-over: `newAdmin` (the `admin` deployZkKyc was
 * given) accepts DEFAULT_ADMIN_ROLE of the IssuerRegistry, the ComplianceGate, the DisclosureLog and
 * the SanctionsList (if deployed). Skips a contract whose pending admin is someone else (already accepted, or never
 * scheduled); fails while a contract's admin delay has not passed. Tokens and their rules:
 * {@link acceptTokenAdmin}.
 */
export async function acceptCoreAdmin(newAdmin: Signer, deployment: ZkKycDeployment): Promise<void> {
  await acceptPending(newAdmin, [
    deployment.contracts.issuerRegistry,
    deployment.contracts.complianceGate,
    deployment.contracts.disclosureLog,
    ...(deployment.contracts.sanctionsList ? [deployment.contracts.sanctionsList] : []),
  ]);
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
  for (const name of ['poseidonT6', 'poseidonT4', 'issuerRegistry', 'kycPolicyVerifier32', 'complianceGate', 'disclosureLog'] as const) {
    if (!address.test(contracts[name] ?? '')) throw new Error(`${path}: contracts.${name} must be an address`);
  }
  if (!Array.isArray(parsed.policies)) throw new Error(`${path}: policies must be an array`);
  if (!Array.isArray(parsed.tokens)) throw new Error(`${path}: tokens must be an array`);
  return parsed as ZkKycDeployment;
}
