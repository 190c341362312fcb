/**
 * What the relayer tests run against: a real Hardhat node (a child process, over JSON-RPC, as the
 * relayer runs), a zkkyc deployment with one issuer and one policy, and holders whose wallets are
 * fresh keys holding 0 ETH, proven with real Groth16 proofs.
 */
import { JsonRpcProvider, parseEther, Wallet, type HDNodeWallet, type JsonRpcSigner } from 'ethers';
import { computeLeaf, encodePolicy, identityCommitment, jurisdictionIndex, randomIdentitySecret, randomSalt, type EncodedAttributes } from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { nodeProver, type KycProof } from '@zkkyc/prover/node';
import { connectZkKyc, deployZkKyc, type ZkKycContracts, type ZkKycDeployment } from '@zkkyc/sdk';
import { startHardhatNode, type HardhatNode } from '../../../compliance-monitor/test/support/chain.js';
import { DEFAULT_LIMITS, type RelayerConfig } from '../../src/config.js';

export const POLICY_ID = 1n;

/** What a holder keeps to prove again: their secret, their attributes and their leaf in the issuer's tree. */
export interface HolderCredential {
  secret: bigint;
  salt: bigint;
  attributes: EncodedAttributes;
  index: number;
}

export interface RelayerWorld {
  node: HardhatNode;
  provider: JsonRpcProvider;
  admin: JsonRpcSigner;
  deployment: ZkKycDeployment;
  contracts: ZkKycContracts;
  /** A funded key for the relayer to pay with. */
  relayerKey: string;
  /** A new holder's credential, published, proven for a new wallet key that holds 0 ETH. */
  proveForNewWallet(): Promise<{ wallet: HDNodeWallet; proof: KycProof; credential: HolderCredential }>;
  /** A proof of `credential` (the same investor, so the same nullifier) for `walletAddress` (any address: a contract wallet too). */
  prove(credential: HolderCredential, walletAddress: string): Promise<KycProof>;
  config(overrides?: Partial<RelayerConfig>): RelayerConfig;
  stop(): void;
}

function utcDate(timestamp: number): number {
  const d = new Date(timestamp * 1000);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

export async function startRelayerWorld(): Promise<RelayerWorld> {
  const node = await startHardhatNode();
  const provider = node.provider;
  const admin = await provider.getSigner(0);
  const policy = encodePolicy({ jurisdictions: ['DE', 'FR'], minAge: 18, investorClasses: [], minKycLevel: 2 });
  const deployment = await deployZkKyc(admin, {
    verifier20: false,
    issuers: [{ issuerId: 1, did: 'did:example:issuer', publisher: admin.address, treeDepth: 32 }],
    policies: [{ policyId: Number(POLICY_ID), ...policy, acceptedIssuers: [1], ttl: 30 * 86400, maxWalletsPerInvestor: 0 }],
  });
  const contracts = connectZkKyc(deployment, admin);
  const relayer = Wallet.createRandom();
  await (await admin.sendTransaction({ to: relayer.address, value: parseEther('10') })).wait();
  const tree = new IssuerTree(32);

  async function prove(credential: HolderCredential, walletAddress: string): Promise<KycProof> {
    const stored = await contracts.complianceGate.policy(POLICY_ID);
    const prover = await nodeProver('kycPolicy32');
    return prover.prove({
      identitySecret: credential.secret,
      attributes: credential.attributes,
      salt: credential.salt,
      merkleProof: tree.proof(credential.index),
      policy: {
        jurisdictionMask: stored.jurisdictionMask,
        minAge: Number(stored.config.minAge),
        investorClassMask: Number(stored.config.investorClassMask),
        minKycLevel: Number(stored.config.minKycLevel),
        scope: stored.scope,
      },
      wallet: walletAddress,
      today: utcDate((await provider.getBlock('latest'))!.timestamp),
      validUntil: credential.attributes.expiryDate,
    });
  }

  return {
    node,
    provider,
    admin,
    deployment,
    contracts,
    relayerKey: relayer.privateKey,
    async proveForNewWallet() {
      const secret = randomIdentitySecret();
      const salt = randomSalt();
      const attributes: EncodedAttributes = { jurisdiction: jurisdictionIndex('DE'), birthDate: 19800101, investorClass: 0b10, kycLevel: 3, expiryDate: 20351231 };
      const index = tree.append(computeLeaf(identityCommitment(secret), attributes, salt));
      await (await contracts.issuerRegistry.publishRoot(1, tree.root, tree.size)).wait();
      const credential = { secret, salt, attributes, index };
      const wallet = Wallet.createRandom();
      return { wallet, proof: await prove(credential, wallet.address), credential };
    },
    prove,
    config(overrides = {}) {
      return {
        rpcUrl: node.url,
        gateAddress: deployment.contracts.complianceGate,
        relayerKey: relayer.privateKey,
        databasePath: ':memory:',
        host: '127.0.0.1',
        port: 0,
        corsOrigins: [],
        // Every test request comes from 127.0.0.1: the per-IP limit is tested on its own.
        limits: { ...DEFAULT_LIMITS, requestsPerMinute: 100_000 },
        receiptTimeoutSeconds: 30,
        // Short, so a lone request does not wait long for company.
        batch: { maxSize: 16, maxWaitMs: 100 },
        ...overrides,
      };
    },
    stop() {
      node.stop();
    },
  };
}
