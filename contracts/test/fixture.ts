/**
 * The world the contract tests run in: the in-process Hardhat chain with a full zkkyc deployment,
 * one issuer with a real depth-32 tree, and holders who register wallets with real Groth16 proofs.
 */
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { appendFileSync } from 'node:fs';
import { getBytes, keccak256, toUtf8Bytes } from 'ethers';
import { artifactsDir, nodeEscrowProver, nodeProver, releaseProverThreads, type KycEscrowProof, type KycProof } from '@zkkyc/prover/node';
import {
  computeLeaf,
  encodePolicy,
  identityCommitment,
  identitySecretFromSeed,
  jurisdictionIndex,
  randomIdentitySecret,
  randomSalt,
  type EncodedAttributes,
  type EncodedPolicy,
} from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { deployZkKyc, type DeployOptions, type PolicySpec, type ZkKycDeployment } from '../../packages/sdk/src/deploy.js';
import { connectZkKyc, decodeRevert, type DecodedRevert, type ZkKycContracts } from '../../packages/sdk/src/contracts.js';
import { ProofCache } from './support/proof-cache.js';

/** Proofs by their statement, shared with the run's other test files through the disk (World.prove). */
const PROOFS = new ProofCache<KycProof>();

/** Set to a file path to have each test file append its proof cache counts to it (closeProver). */
const STATS_ENV = 'ZKKYC_PROOF_CACHE_STATS';

const HOLDER_LABEL = 'zkkyc/contract-test-holder/v1';

/**
 * The secret and salt of the `n`-th holder a World issues: fixed, so that two test files building
 * the same world prove the same statements and share the proofs. Salts are 31 bytes, as randomSalt's.
 */
function testHolderKeys(n: number): { secret: bigint; salt: bigint } {
  return {
    secret: identitySecretFromSeed(getBytes(keccak256(toUtf8Bytes(`${HOLDER_LABEL}/secret/${n}`)))),
    salt: BigInt(keccak256(toUtf8Bytes(`${HOLDER_LABEL}/salt/${n}`))) >> 8n,
  };
}

export const ISSUER_ID = 1n;
export const POLICY_ID = 1n;
export const DAY = 86400;

/** Germany, France or Switzerland; 18+; any investor class; KYC level 2+. */
export const BASE_POLICY: EncodedPolicy = encodePolicy({
  jurisdictions: ['DE', 'FR', 'CH'],
  minAge: 18,
  investorClasses: [],
  minKycLevel: 2,
});

export function policySpec(overrides: Partial<PolicySpec> = {}): PolicySpec {
  return {
    policyId: POLICY_ID,
    ...BASE_POLICY,
    acceptedIssuers: [ISSUER_ID],
    ttl: 30 * DAY,
    maxWalletsPerInvestor: 0,
    ...overrides,
  };
}

/** Where the test chain's clock starts (World.create): 2030-01-01T00:00:00Z. */
export const CHAIN_EPOCH = Date.UTC(2030, 0, 1) / 1000;

/** The UTC date (YYYYMMDD) of a unix timestamp. */
export function utcDate(timestamp: number): number {
  const d = new Date(timestamp * 1000);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

export async function latestTime(): Promise<number> {
  const block = await hre.ethers.provider.getBlock('latest');
  return block!.timestamp;
}

/** Moves the chain clock forward and mines a block. */
export async function increaseTime(seconds: number): Promise<void> {
  await hre.network.provider.send('evm_increaseTime', [seconds]);
  await hre.network.provider.send('evm_mine', []);
}

export async function snapshot(): Promise<string> {
  return (await hre.network.provider.send('evm_snapshot', [])) as string;
}

export async function revertTo(id: string): Promise<void> {
  await hre.network.provider.send('evm_revert', [id]);
}

/** A person holding a credential leaf in the issuer's tree. */
export interface Holder {
  secret: bigint;
  attributes: EncodedAttributes;
  salt: bigint;
  index: number;
}

export interface ProveOptions {
  today?: number;
  validUntil?: number;
  policy?: EncodedPolicy;
  policyId?: bigint;
  /** Prove against this tree instead of the world's own (e.g. another issuer's). */
  tree?: IssuerTree;
  /** Prove anew even when a proof of the same statement is stored (e.g. to compare two proofs). */
  fresh?: boolean;
}

export interface IssueOptions {
  /** A random identity secret and salt instead of the world's fixed n-th ones. */
  randomIdentity?: boolean;
}

export interface EscrowProveOptions extends ProveOptions {
  /** Encrypt to this key instead of the policy's (the gate's `escrowKeyOf`). */
  escrowKey?: readonly [bigint, bigint];
  /** The encryption randomness; fresh by default. */
  escrowRandomness?: bigint;
}

/** A deployed system with one issuer; `issue`, `publish`, `prove` and `register` drive it. */
export class World {
  readonly tree = new IssuerTree(32);
  /** How many holders `issue` has made: the next one's number. */
  private issued = 0;

  private constructor(
    readonly admin: HardhatEthersSigner,
    readonly publisher: HardhatEthersSigner,
    /** Signers free for use as holder wallets, relayers and outsiders. */
    readonly users: HardhatEthersSigner[],
    readonly deployment: ZkKycDeployment,
    readonly contracts: ZkKycContracts,
    readonly chainId: bigint,
  ) {}

  /** Deploys everything, registers issuer 1 (depth 32) and policy 1 unless told otherwise. */
  static async create(options: DeployOptions = {}): Promise<World> {
    // The chain's clock starts at CHAIN_EPOCH, not at today's date: proofs are dated by the chain,
    // so the statements a run proves are the same on any day and the stored ones stay usable.
    if ((await latestTime()) < CHAIN_EPOCH) {
      await hre.network.provider.send('evm_setNextBlockTimestamp', [CHAIN_EPOCH]);
      await hre.network.provider.send('evm_mine', []);
    }
    const [admin, publisher, ...users] = await hre.ethers.getSigners();
    const deployment = await deployZkKyc(admin, {
      issuers: [{ issuerId: ISSUER_ID, did: 'did:example:issuer-1', publisher: publisher.address, treeDepth: 32 }],
      policies: [policySpec()],
      ...options,
    });
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    return new World(admin, publisher, users, deployment, connectZkKyc(deployment, admin), chainId);
  }

  get gate() {
    return this.contracts.complianceGate;
  }

  get registry() {
    return this.contracts.issuerRegistry;
  }

  /**
   * Issues a credential (default: a German adult with KYC level 3) and returns its holder. The n-th
   * holder of every World has the same secret and salt (see testHolderKeys) unless
   * `randomIdentity` is set; holders of one World always differ.
   */
  issue(attributes: Partial<EncodedAttributes> = {}, options: IssueOptions = {}): Holder {
    const n = this.issued++;
    const { secret, salt } = options.randomIdentity ? { secret: randomIdentitySecret(), salt: randomSalt() } : testHolderKeys(n);
    const full: EncodedAttributes = {
      jurisdiction: jurisdictionIndex('DE'),
      birthDate: 19800101,
      investorClass: 0b10,
      kycLevel: 3,
      expiryDate: 20351231,
      ...attributes,
    };
    const index = this.tree.append(computeLeaf(identityCommitment(secret), full, salt));
    return { secret, attributes: full, salt, index };
  }

  /** Anchors the tree's current root as the issuer's. */
  async publish(tree: IssuerTree = this.tree, issuerId = ISSUER_ID, publisher = this.publisher): Promise<void> {
    await (await this.registry.connect(publisher).publishRoot(issuerId, tree.root, tree.size)).wait();
  }

  /** Proves that `holder` meets the policy for `wallet`, dated by the chain's clock. */
  async prove(holder: Holder, wallet: string, options: ProveOptions = {}): Promise<KycProof> {
    const tree = options.tree ?? this.tree;
    const circuit = tree.depth === 20 ? 'kycPolicy20' : 'kycPolicy32';
    const policyId = options.policyId ?? POLICY_ID;
    const stored = await this.gate.policy(policyId);
    const policy = options.policy ?? {
      jurisdictionMask: stored.jurisdictionMask,
      minAge: Number(stored.config.minAge),
      investorClassMask: Number(stored.config.investorClassMask),
      minKycLevel: Number(stored.config.minKycLevel),
    };
    const today = options.today ?? utcDate(await latestTime());
    const input = {
      identitySecret: holder.secret,
      attributes: holder.attributes,
      salt: holder.salt,
      merkleProof: tree.proof(holder.index),
      policy: { ...policy, scope: stored.scope },
      wallet,
      today,
      validUntil: options.validUntil ?? holder.attributes.expiryDate,
    };
    const prove = async () => (await nodeProver(circuit)).prove(input);
    if (options.fresh) return prove();
    // A stored proof is used only if it verifies and proves against this tree's root.
    const check = async (stored: KycProof) => BigInt(stored.root) === tree.root && (await (await nodeProver(circuit)).verify(stored));
    // Tests revert to a snapshot and register the same holder for the same wallet again, and test
    // files build the same worlds: a proof of the same statement (same circuit, same inputs, same
    // root) is as good as a fresh one, and costs nothing.
    const key = JSON.stringify({ depth: tree.depth, root: tree.root, input }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    const files = [`${artifactsDir(circuit)}${circuit}.zkey`, `${artifactsDir(circuit)}${circuit}.wasm`];
    return PROOFS.getOrProve({ name: circuit, files }, key, prove, check);
  }

  /**
   * Proves with the escrow circuit (kycPolicyEscrow32) that `holder` meets the policy for `wallet`,
   * encrypting the holder's leaf index to the policy's escrow key (or `options.escrowKey`).
   */
  async proveEscrow(holder: Holder, wallet: string, options: EscrowProveOptions = {}): Promise<KycEscrowProof> {
    const tree = options.tree ?? this.tree;
    const prover = await nodeEscrowProver();
    const policyId = options.policyId ?? POLICY_ID;
    const stored = await this.gate.policy(policyId);
    const policy = options.policy ?? {
      jurisdictionMask: stored.jurisdictionMask,
      minAge: Number(stored.config.minAge),
      investorClassMask: Number(stored.config.investorClassMask),
      minKycLevel: Number(stored.config.minKycLevel),
    };
    const key = options.escrowKey ?? (await this.gate.escrowKeyOf(policyId));
    // Not cached: the encryption randomness is fresh per proof unless a test fixes it.
    return prover.prove({
      identitySecret: holder.secret,
      attributes: holder.attributes,
      salt: holder.salt,
      merkleProof: tree.proof(holder.index),
      policy: { ...policy, scope: stored.scope },
      escrowKey: [key[0], key[1]],
      ...(options.escrowRandomness === undefined ? {} : { escrowRandomness: options.escrowRandomness }),
      wallet,
      today: options.today ?? utcDate(await latestTime()),
      validUntil: options.validUntil ?? holder.attributes.expiryDate,
    });
  }

  /** Submits escrow proof `proof` from `wallet` itself (`verifyEscrow`). */
  async submitEscrow(proof: KycEscrowProof, wallet: HardhatEthersSigner, policyId = POLICY_ID) {
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    return this.gate.connect(wallet).verifyEscrow(policyId, pA, pB, pC, pubSignals);
  }

  /** Submits `proof` from `wallet` itself. */
  async submit(proof: KycProof, wallet: HardhatEthersSigner, policyId = POLICY_ID) {
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    return this.gate.connect(wallet).verify(policyId, pA, pB, pC, pubSignals);
  }

  /**
   * The investors most token tests start from: alice (DE) with two wallets, bob (FR) and carol
   * (CH) with one each, all issued, published and registered. Returns those four wallets and
   * the next unused signer, which stays unverified.
   */
  async registerInvestors(): Promise<{
    a1: HardhatEthersSigner;
    a2: HardhatEthersSigner;
    b: HardhatEthersSigner;
    c: HardhatEthersSigner;
    unverified: HardhatEthersSigner;
    /** The credentials behind the wallets, to re-prove them (e.g. under a new policy). */
    holders: { alice: Holder; bob: Holder; carol: Holder };
  }> {
    const [a1, a2, b, c, unverified] = this.users;
    const alice = this.issue();
    const bob = this.issue({ jurisdiction: jurisdictionIndex('FR') });
    const carol = this.issue({ jurisdiction: jurisdictionIndex('CH') });
    await this.publish();
    await this.register(alice, a1);
    await this.register(alice, a2);
    await this.register(bob, b);
    await this.register(carol, c);
    return { a1, a2, b, c, unverified, holders: { alice, bob, carol } };
  }

  /** Proves and registers `wallet` for `holder`; returns the proof. */
  async register(holder: Holder, wallet: HardhatEthersSigner, options: ProveOptions = {}): Promise<KycProof> {
    const proof = await this.prove(holder, wallet.address, options);
    await (await this.submit(proof, wallet, options.policyId ?? POLICY_ID)).wait();
    return proof;
  }
}

/**
 * Awaits a call or transaction expected to revert, and checks it reverted with custom error
 * `name` (and `args`, when given) as decoded with every zkkyc contract's errors.
 */
export async function expectRevert(action: Promise<unknown>, name: string, args?: unknown[]): Promise<DecodedRevert> {
  let error: unknown;
  try {
    const result = await action;
    if (result && typeof (result as { wait?: unknown }).wait === 'function') await (result as { wait(): Promise<unknown> }).wait();
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`expected a revert with ${name}, but the call succeeded`);
  const decoded = decodeRevert(error);
  if (!decoded) throw new Error(`expected ${name}, got an undecodable error: ${String((error as Error).message ?? error)}`);
  expect(decoded.name).toBe(name);
  if (args) expect(decoded.args.map(normalise)).toEqual(args.map(normalise));
  return decoded;
}

function normalise(value: unknown): unknown {
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase();
  return value;
}

/** Frees snarkjs's worker threads so jest can exit. */
export async function closeProver(): Promise<void> {
  const statsFile = process.env[STATS_ENV];
  if (statsFile) {
    const { memoryHits, diskHits, proved } = PROOFS.stats;
    appendFileSync(statsFile, `${expect.getState().testPath}\tproved ${proved}\tdisk hits ${diskHits}\tmemory hits ${memoryHits}\n`);
  }
  await releaseProverThreads();
}

/**
 * The events named `name` that `contract` emitted in the transaction `tx`, as argument arrays
 * (addresses lower-cased, numbers as bigint), so a test can assert exactly what was logged.
 */
export async function eventsOf(
  tx: Promise<{ wait(): Promise<unknown> }> | { wait(): Promise<unknown> },
  contract: { interface: import('ethers').Interface; getAddress(): Promise<string> },
  name: string,
): Promise<unknown[][]> {
  const receipt = (await (await tx).wait()) as { logs: { address: string; topics: string[]; data: string }[] };
  const address = (await contract.getAddress()).toLowerCase();
  const out: unknown[][] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) out.push([...parsed.args].map(normalise));
  }
  return out;
}

/** Normalises expected event arguments the same way {eventsOf} does. */
export function args(...values: unknown[]): unknown[] {
  return values.map(normalise);
}
