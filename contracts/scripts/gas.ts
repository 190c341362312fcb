/**
 * Gas of the operations the design budgets (DESIGN §7), measured on the in-process Hardhat chain
 * with real proofs: a proof registration (≤ 260k) and a compliant transfer (≤ 1.5× a plain
 * OpenZeppelin ERC-20 transfer), plus the figures around them, and registration through a relayer:
 * `verifyFor` and `verifyBatch` at N = 1, 4, 8, 16, 32 (issue 15). Run: `npx tsx contracts/scripts/gas.ts`,
 * which prints them and writes them into bench/results.json under `gas` (other keys kept).
 */
import hre from 'hardhat';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { AbiCoder, Wallet, ZeroAddress, getBytes, keccak256, toUtf8Bytes, type ContractTransactionResponse, type Signer } from 'ethers';
import { computeLeaf, encodePolicy, identityCommitment, identitySecretFromSeed, jurisdictionIndex, randomIdentitySecret, randomSalt } from '@zkkyc/credentials';
import { multiplyBase, randomScalar } from '@zkkyc/escrow';
import { artifactsDir, nodeEscrowProver, nodeProver, releaseProverThreads, type KycProof } from '@zkkyc/prover/node';
import { IssuerTree } from '@zkkyc/tree';
import { KycPolicyBatchVerifier32__factory, PlainERC20__factory, type ComplianceGate, type IssuerRegistry } from '@zkkyc/contracts/typechain';
import { deployZkKyc } from '../../packages/sdk/src/deploy.js';
import { connectZkKyc } from '../../packages/sdk/src/contracts.js';
import { ProofCache } from '../test/support/proof-cache.js';

/** Gas used per operation (whole transaction, including the 21k base and calldata). */
export interface GasFigures {
  /** First registration of a wallet (its record slot goes from zero to non-zero), no wallet limit. */
  registration: number;
  /** First registration under a policy with maxWalletsPerInvestor (one more counter slot written). */
  registrationWithWalletLimit: number;
  /** Re-proving an already registered wallet (refresh). */
  registrationRefresh: number;
  /** A transaction calling only the generated Groth16 verifier with the same proof: the floor. */
  verifierOnly: number;
  /** Compliant transfer to a wallet that already holds tokens, token without rules. */
  transferNoRules: number;
  /** Same, token with all five rules. */
  transferAllRules: number;
  /** Compliant transfer to a wallet holding none yet, token without rules. */
  transferToNewHolderNoRules: number;
  /** Same, token with all five rules. */
  transferToNewHolderAllRules: number;
  /** Plain OpenZeppelin ERC-20 transfer to an existing holder (the baseline). */
  plainErc20Transfer: number;
  /** Plain OpenZeppelin ERC-20 transfer to a new holder. */
  plainErc20TransferNewHolder: number;
  /** Agent mint to a verified wallet that holds none yet, token without rules. */
  mint: number;
  /** Agent forced transfer to an existing holder, token without rules. */
  forcedTransfer: number;
  /**
   * Compliant transfer to an existing holder, all five rules with a one-day LockUp in force (the
   * figures above use a lock period of 0, which skips the lots); the sender's tokens have unlocked.
   */
  transferAllRulesLockUpActive: number;
  /** Agent recovery of a wallet to another wallet of the same investor (token without rules),
   * including the gate's revokeWallet and barWallet of the lost wallet. */
  recovery: number;
  /** The token's admin moving the paused token to another gate policy. */
  setPolicyId: number;
  /**
   * First registration of a wallet under a policy with an escrow key (kycPolicyEscrow32 proof, six
   * public signals, EscrowCiphertext logged), no wallet limit: compare with `registration`.
   */
  registrationEscrow: number;
  /** The escrow verifier alone in a transaction with the same proof (its floor). */
  escrowVerifierOnly: number;
  /** Creating a policy without escrow key (`setPolicy`, one accepted issuer). */
  setPolicy: number;
  /** Creating the same policy with an escrow key (`setEscrowPolicy`): the on-chain subgroup check and PoseidonT4. */
  setEscrowPolicy: number;
  /**
   * TransferApproval (threshold 100) as a token's only rule: a transfer of 10, below the threshold,
   * to an existing holder, from a wallet with nothing pending; compare with `transferNoRules`.
   */
  transferApprovalBelowThreshold: number;
  /** `requestTransfer` of 500 by a holder with nothing else pending (not the rule's first request). */
  transferApprovalRequest: number;
  /** A compliance agent's `approve`: releases the reservation and carries out the checked `transferFrom` to an existing holder. */
  transferApprovalApprove: number;
  /** A compliance agent's `reject` with a 23-byte reason. */
  transferApprovalReject: number;
  /** The sender's `cancel`. */
  transferApprovalCancel: number;
  /** Registrations through relayers: `verifyFor` and `verifyBatch` (issue 15). */
  batch: BatchGasFigures;
}

/** Batch sizes measured by default (issue 15). */
export const BATCH_SIZES = [1, 4, 8, 16, 32] as const;

/**
 * Gas of registering new wallets (no wallet limit, first consent of each wallet) through a relayer:
 * one `verifyFor` per wallet, or `verifyBatch` of N. Every size starts from the same chain state.
 */
export interface BatchGasFigures {
  /** `verify` by the wallet itself, for the same kind of wallet as the batches'. */
  verify: number;
  /** `verifyFor` by a relayer with the wallet's EIP-712 consent. */
  verifyFor: number;
  /** By batch size N: the whole `verifyBatch` transaction. */
  total: Record<string, number>;
  /** By batch size N: total / N. */
  perWallet: Record<string, number>;
  /** By batch size N: the batch verifier alone in a transaction with the same N proofs (its floor). */
  verifierOnly: Record<string, number>;
  /** By batch size N: the calldata part of the `verifyBatch` transaction (4 gas per zero byte, 16 per other byte). */
  calldata: Record<string, number>;
  /** Where the gas of one batch goes, per wallet, from an opcode trace (when `breakdownSize` is given). */
  breakdown?: BatchGasBreakdown;
}

/**
 * Gas of one `verifyBatch` of `size` entries by what it pays for, divided by `size`, from the
 * transaction's opcode trace: precompiles priced by their inputs (EIP-1108, EIP-2565 prices),
 * storage, logs and hashing as the trace charges them; `other` is the rest (the gate's and the
 * verifier's own instructions, calls, memory).
 */
export interface BatchGasBreakdown {
  size: number;
  perWallet: number;
  transactionBase: number;
  calldata: number;
  pairing: number;
  ecMul: number;
  ecAdd: number;
  ecrecover: number;
  /** Every SSTORE: the consent nonce and the wallet record of each entry (22.1k each for a new wallet). */
  sstore: number;
  sload: number;
  /** TLOAD and TSTORE: the batch's duplicate marks. */
  transient: number;
  log: number;
  keccak: number;
  /** Cold account reads and calls (CALL, STATICCALL, EXTCODESIZE…), precompiles' own prices excluded. */
  accountsAndCalls: number;
  other: number;
  /** `other`, by the contract whose instructions it is: the gate, the registry (rootStatus), the batch verifier. */
  otherIn: { gate: number; registry: number; batchVerifier: number; elsewhere: number };
}

/** Options of {@link measureGas}. */
export interface MeasureGasOptions {
  /** The verifyBatch sizes to measure (default BATCH_SIZES); each needs as many proofs as its size. */
  batchSizes?: readonly number[];
  /** Trace the batch of this size and break its gas down ({@link BatchGasBreakdown}); none by default. */
  breakdownSize?: number;
}

async function used(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  return Number(receipt!.gasUsed);
}

/**
 * Deploys a fresh system on Hardhat's in-process chain, registers wallets with real proofs and
 * measures each operation once. Takes ~15 s (four proofs).
 */
export async function measureGas(options: MeasureGasOptions = {}): Promise<GasFigures> {
  const [admin, publisher, a, b, c, d, e] = await hre.ethers.getSigners();
  const policy = encodePolicy({ jurisdictions: ['DE', 'FR'], minAge: 18, investorClasses: [], minKycLevel: 1 });
  const common = { ...policy, acceptedIssuers: [1], ttl: 30 * 86400 };
  const deployment = await deployZkKyc(admin, {
    issuers: [{ issuerId: 1, did: 'did:example:gas', publisher: publisher.address, treeDepth: 32 }],
    policies: [
      { policyId: 1, ...common, maxWalletsPerInvestor: 0 },
      { policyId: 2, ...common, maxWalletsPerInvestor: 3 },
    ],
    tokens: [
      { name: 'Bare', symbol: 'BARE', policyId: 1 },
      {
        name: 'Locked',
        symbol: 'LOCKED',
        policyId: 1,
        rules: {
          maxBalancePerInvestor: 10n ** 30n,
          lockUpSeconds: 86400,
          maxInvestors: 1000,
          transferVolume: { periodSeconds: 86400, maxVolume: 10n ** 30n },
          sanctions: true,
        },
      },
      {
        name: 'Ruled',
        symbol: 'RULED',
        policyId: 1,
        rules: {
          maxBalancePerInvestor: 10n ** 30n,
          lockUpSeconds: 0,
          maxInvestors: 1000,
          transferVolume: { periodSeconds: 86400, maxVolume: 10n ** 30n },
          sanctions: true,
        },
      },
      // Deployed last, so the tokens above keep their addresses (and their figures).
      { name: 'Held', symbol: 'HELD', policyId: 1, rules: { transferApproval: { threshold: 100n, expirySeconds: 86400 } } },
    ],
  });
  const contracts = connectZkKyc(deployment, admin);
  const gate = contracts.complianceGate;

  // Four holders with one credential each; the issuer anchors the root.
  const tree = new IssuerTree(32);
  const holders = [a, b, c, d].map(() => {
    const secret = randomIdentitySecret();
    const salt = randomSalt();
    const attributes = { jurisdiction: jurisdictionIndex('DE'), birthDate: 19800101, investorClass: 1, kycLevel: 2, expiryDate: 20351231 };
    const index = tree.append(computeLeaf(identityCommitment(secret), attributes, salt));
    return { secret, salt, attributes, index };
  });
  await (await contracts.issuerRegistry.connect(publisher).publishRoot(1, tree.root, tree.size)).wait();

  const prover = await nodeProver('kycPolicy32');
  // The chain's date at the time of each proof: the run moves the clock forward (lock-ups), and a
  // proof dated by an earlier block falls out of the gate's window late in the UTC day.
  const chainToday = async () => {
    const date = new Date((await hre.ethers.provider.getBlock('latest'))!.timestamp * 1000);
    return date.getUTCFullYear() * 10000 + (date.getUTCMonth() + 1) * 100 + date.getUTCDate();
  };
  const register = async (i: number, wallet: typeof a, policyId: number) => {
    const stored = await gate.policy(policyId);
    const h = holders[i];
    const proof = await prover.prove({
      identitySecret: h.secret,
      attributes: h.attributes,
      salt: h.salt,
      merkleProof: tree.proof(h.index),
      policy: { ...policy, scope: stored.scope },
      wallet: wallet.address,
      today: await chainToday(),
      validUntil: 20351231,
    });
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    lastCalldata = proof.solidityCalldata;
    return used(gate.connect(wallet).verify(policyId, pA, pB, pC, pubSignals));
  };
  let lastCalldata: Awaited<ReturnType<typeof prover.prove>>['solidityCalldata'] | undefined;

  const registration = await register(0, a, 1);
  const registrationRefresh = await register(0, a, 1);
  const { pA, pB, pC, pubSignals } = lastCalldata!;
  const verifierOnly = Number(await contracts.kycPolicyVerifier32.connect(a).verifyProof.estimateGas(pA, pB, pC, pubSignals));
  await register(1, b, 1);
  await register(2, c, 1);
  await register(3, d, 1);
  await register(0, e, 1); // a's holder's second wallet, for the recovery
  const registrationWithWalletLimit = await register(1, b, 2);

  const bare = contracts.tokens.BARE.token;
  const ruled = contracts.tokens.RULED.token;
  const locked = contracts.tokens.LOCKED.token;
  const plain = await (await new PlainERC20__factory(admin).deploy()).waitForDeployment();

  const mint = await used(bare.mint(a.address, 1000n));
  await (await bare.mint(b.address, 1000n)).wait();
  await (await ruled.mint(a.address, 1000n)).wait();
  await (await ruled.mint(b.address, 1000n)).wait();
  await (await plain.mint(a.address, 1000n)).wait();
  await (await plain.mint(b.address, 1000n)).wait();
  await (await locked.mint(a.address, 1000n)).wait();
  await (await locked.mint(b.address, 1000n)).wait();

  // Each measured transfer is the sender's second, so no figure includes a one-off first write
  // to a rule's per-investor slot that later transfers do not pay.
  await (await bare.connect(a).transfer(b.address, 1n)).wait();
  await (await ruled.connect(a).transfer(b.address, 1n)).wait();
  await (await plain.connect(a).transfer(b.address, 1n)).wait();

  const figures = {
    registration,
    registrationWithWalletLimit,
    registrationRefresh,
    verifierOnly,
    transferNoRules: await used(bare.connect(a).transfer(b.address, 10n)),
    transferAllRules: await used(ruled.connect(a).transfer(b.address, 10n)),
    transferToNewHolderNoRules: await used(bare.connect(a).transfer(c.address, 10n)),
    transferToNewHolderAllRules: await used(ruled.connect(a).transfer(c.address, 10n)),
    plainErc20Transfer: await used(plain.connect(a).transfer(b.address, 10n)),
    plainErc20TransferNewHolder: await used(plain.connect(a).transfer(c.address, 10n)),
    mint,
    forcedTransfer: await used(bare.forcedTransfer(b.address, a.address, 5n)),
  };
  // The LockUp token: wait out the lock, warm the rules' slots with a first transfer, measure the second.
  await hre.network.provider.send('evm_increaseTime', [86400 + 86400 / 15 + 1]);
  await (await locked.connect(a).transfer(b.address, 1n)).wait();
  const transferAllRulesLockUpActive = await used(locked.connect(a).transfer(b.address, 10n));
  const recovery = await used(bare.recoveryAddress(a.address, e.address, hre.ethers.ZeroAddress));
  // setPolicyId runs only while paused (the migration procedure pauses anyway).
  await (await bare.pause()).wait();
  const setPolicyId = await used(bare.setPolicyId(2));

  // Escrow: a new policy with and without a key, then a new wallet's registration under the one
  // with a key (holder b, whose wallet is new under policy 4).
  const policyParams = { ...common, maxWalletsPerInvestor: 0 };
  const setPolicy = await used(gate.setPolicy(3, policyParams));
  const escrowKey = multiplyBase(randomScalar());
  const setEscrowPolicy = await used(gate.setEscrowPolicy(4, policyParams, escrowKey));
  const escrowProver = await nodeEscrowProver();
  const h = holders[1];
  const escrowProof = await escrowProver.prove({
    identitySecret: h.secret,
    attributes: h.attributes,
    salt: h.salt,
    merkleProof: tree.proof(h.index),
    policy: { ...policy, scope: (await gate.policy(4)).scope },
    escrowKey,
    wallet: b.address,
    today: await chainToday(),
    validUntil: 20351231,
  });
  const escrow = escrowProof.solidityCalldata;
  const registrationEscrow = await used(gate.connect(b).verifyEscrow(4, escrow.pA, escrow.pB, escrow.pC, escrow.pubSignals));
  const escrowVerifierOnly = Number(await contracts.kycPolicyEscrowVerifier32!.connect(b).verifyProof.estimateGas(escrow.pA, escrow.pB, escrow.pC, escrow.pubSignals));

  // Transfers held for review, on HELD (TransferApproval only), between c and d: still verified
  // under policy 1 (the recovery above shut a). Each measured transfer is c's second.
  const held = contracts.tokens.HELD.token;
  const approval = contracts.tokens.HELD.rules.transferApproval!;
  const approvalAddress = await approval.getAddress();
  await (await held.batchMint([c.address, d.address], [10_000n, 10_000n])).wait();
  await (await held.connect(c).transfer(d.address, 1n)).wait();
  const transferApprovalBelowThreshold = await used(held.connect(c).transfer(d.address, 10n));
  await (await held.connect(c).approve(approvalAddress, 10n ** 30n)).wait();
  // The rule's first request writes its id counter from zero, once: measure the next one.
  await (await approval.connect(c).requestTransfer(d.address, 500n)).wait();
  await (await approval.connect(c).cancel(1n)).wait();
  const transferApprovalRequest = await used(approval.connect(c).requestTransfer(d.address, 500n));
  const transferApprovalApprove = await used(approval.approve(2n));
  await (await approval.connect(c).requestTransfer(d.address, 500n)).wait();
  await (await approval.connect(c).requestTransfer(d.address, 500n)).wait();
  const transferApprovalReject = await used(approval.reject(3n, 'source of funds unclear'));
  const transferApprovalCancel = await used(approval.connect(c).cancel(4n));
  const batch = await measureBatchGas(gate, contracts.issuerRegistry, admin, publisher, options.batchSizes ?? BATCH_SIZES, options.breakdownSize);
  return {
    ...figures,
    transferAllRulesLockUpActive,
    recovery,
    setPolicyId,
    registrationEscrow,
    escrowVerifierOnly,
    setPolicy,
    setEscrowPolicy,
    transferApprovalBelowThreshold,
    transferApprovalRequest,
    transferApprovalApprove,
    transferApprovalReject,
    transferApprovalCancel,
    batch,
  };
}

/** Proofs of the batch holders, shared between runs on the same day through the disk (they take seconds each). */
const BATCH_PROOFS = new ProofCache<KycProof>();
const BATCH_LABEL = 'zkkyc/gas-batch/v1';
const BATCH_ISSUER = 2;
const BATCH_POLICY = 5;

/**
 * {@link BatchGasFigures}: issuer 2 anchors a tree of fixed holders, each with its own fresh wallet
 * (a fixed key, no ETH: the relayer pays), and each size is measured from one snapshot.
 */
async function measureBatchGas(gate: ComplianceGate, registry: IssuerRegistry, admin: Signer, publisher: Signer, sizes: readonly number[], breakdownSize?: number): Promise<BatchGasFigures> {
  const count = Math.max(2, breakdownSize ?? 0, ...sizes);
  const policy = encodePolicy({ jurisdictions: ['DE', 'FR'], minAge: 18, investorClasses: [], minKycLevel: 1 });
  await (await registry.addIssuer(BATCH_ISSUER, 'did:example:gas-batch', await publisher.getAddress(), 32)).wait();
  await (await gate.setPolicy(BATCH_POLICY, { ...policy, acceptedIssuers: [BATCH_ISSUER], ttl: 30 * 86400, maxWalletsPerInvestor: 0 })).wait();
  // deployZkKyc deployed and set the bundled batch verifier.
  const batchVerifierAddress = await gate.batchVerifier32();
  if (batchVerifierAddress === ZeroAddress) throw new Error('gas: the gate has no batch verifier (deployZkKyc sets one unless batchVerifier: false)');
  const batchVerifier = KycPolicyBatchVerifier32__factory.connect(batchVerifierAddress, admin);

  const seed = (what: string, i: number) => getBytes(keccak256(toUtf8Bytes(`${BATCH_LABEL}/${what}/${i}`)));
  const tree = new IssuerTree(32);
  const attributes = { jurisdiction: jurisdictionIndex('FR'), birthDate: 19800101, investorClass: 1, kycLevel: 2, expiryDate: 20351231 };
  const holders = Array.from({ length: count }, (_, i) => {
    const secret = identitySecretFromSeed(seed('secret', i));
    const salt = BigInt(keccak256(seed('salt', i))) >> 8n;
    const index = tree.append(computeLeaf(identityCommitment(secret), attributes, salt));
    return { secret, salt, index, wallet: new Wallet(keccak256(seed('wallet', i)), hre.ethers.provider) };
  });
  await (await registry.connect(publisher).publishRoot(BATCH_ISSUER, tree.root, tree.size)).wait();

  const stored = await gate.policy(BATCH_POLICY);
  const block = await hre.ethers.provider.getBlock('latest');
  const date = new Date(block!.timestamp * 1000);
  const today = date.getUTCFullYear() * 10000 + (date.getUTCMonth() + 1) * 100 + date.getUTCDate();
  const prover = await nodeProver('kycPolicy32');
  const circuit = { name: 'kycPolicy32', files: [`${artifactsDir()}kycPolicy32.zkey`, `${artifactsDir()}kycPolicy32.wasm`] };
  const proofs: KycProof[] = [];
  for (const h of holders) {
    const input = {
      identitySecret: h.secret,
      attributes,
      salt: h.salt,
      merkleProof: tree.proof(h.index),
      policy: { ...policy, scope: stored.scope },
      wallet: h.wallet.address,
      today,
      validUntil: 20351231,
    };
    const key = JSON.stringify({ root: tree.root, input }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    proofs.push(await BATCH_PROOFS.getOrProve(circuit, key, () => prover.prove(input)));
  }

  const domain = { name: 'zkkyc ComplianceGate', version: '1', chainId: (await hre.ethers.provider.getNetwork()).chainId, verifyingContract: await gate.getAddress() };
  const types = { Consent: ['policyId', 'nullifier', 'context', 'nonce', 'deadline'].map((name) => ({ name, type: 'uint256' })) };
  const deadline = block!.timestamp + 86400;
  const entries = await Promise.all(
    holders.map(async (h, i) => {
      const { pA, pB, pC, pubSignals } = proofs[i].solidityCalldata;
      const message = { policyId: BATCH_POLICY, nullifier: pubSignals[0], context: pubSignals[3], nonce: 0n, deadline };
      return { policyId: BATCH_POLICY, pA, pB, pC, pubSignals, deadline, signature: await h.wallet.signTypedData(domain, types, message) };
    }),
  );
  const [relayer] = await hre.ethers.getSigners();
  const fromSnapshot = async <T>(measure: () => Promise<T>): Promise<T> => {
    const id = await hre.network.provider.send('evm_snapshot', []);
    try {
      return await measure();
    } finally {
      await hre.network.provider.send('evm_revert', [id]);
    }
  };
  const calldataGas = (data: string) => [...getBytes(data)].reduce((sum, byte) => sum + (byte === 0 ? 4 : 16), 0);
  const words = (e: (typeof entries)[number]) => [...e.pA, ...e.pB[0], ...e.pB[1], ...e.pC, ...e.pubSignals];
  const context = keccak256(AbiCoder.defaultAbiCoder().encode(['uint256', 'address'], [domain.chainId, domain.verifyingContract]));

  const figures: BatchGasFigures = {
    // The wallet has no ETH: fund it inside the snapshot to measure `verify` from it.
    verify: await fromSnapshot(async () => {
      await (await relayer.sendTransaction({ to: holders[0].wallet.address, value: 10n ** 18n })).wait();
      const { pA, pB, pC, pubSignals } = proofs[0].solidityCalldata;
      return used(gate.connect(holders[0].wallet).verify(BATCH_POLICY, pA, pB, pC, pubSignals));
    }),
    verifyFor: await fromSnapshot(() => {
      const e = entries[0];
      return used(gate.connect(relayer).verifyFor(BATCH_POLICY, e.pA, e.pB, e.pC, e.pubSignals, e.deadline, e.signature));
    }),
    total: {},
    perWallet: {},
    verifierOnly: {},
    calldata: {},
  };
  for (const n of sizes) {
    const batch = entries.slice(0, n);
    const total = await fromSnapshot(() => used(gate.connect(relayer).verifyBatch(batch)));
    figures.total[n] = total;
    figures.perWallet[n] = Math.round(total / n);
    figures.verifierOnly[n] = Number(await batchVerifier.verifyProofs.estimateGas(batch.map(words), context));
    figures.calldata[n] = calldataGas(gate.interface.encodeFunctionData('verifyBatch', [batch]));
  }
  if (breakdownSize !== undefined) {
    const batch = entries.slice(0, breakdownSize);
    figures.breakdown = await fromSnapshot(async () => {
      const tx = await gate.connect(relayer).verifyBatch(batch);
      const receipt = await tx.wait();
      const names = new Map([
        [BigInt(tx.to!), 'gate'],
        [BigInt(await registry.getAddress()), 'registry'],
        [BigInt(await batchVerifier.getAddress()), 'batchVerifier'],
      ] as const);
      return breakDown(tx.hash, names, Number(receipt!.gasUsed), calldataGas(tx.data), breakdownSize);
    });
  }
  return figures;
}

interface TraceStep {
  op: string;
  gasCost: number;
  depth: number;
  stack?: string[];
}

/** {@link BatchGasBreakdown} of transaction `hash` to `to` (gas used `total`, calldata gas `calldata`). */
async function breakDown(hash: string, names: ReadonlyMap<bigint, 'gate' | 'registry' | 'batchVerifier'>, total: number, calldata: number, size: number): Promise<BatchGasBreakdown> {
  const to = [...names.entries()].find(([, name]) => name === 'gate')![0];
  const trace = (await hre.network.provider.send('debug_traceTransaction', [hash, { disableMemory: true, disableStorage: true, disableStack: false }])) as { structLogs: TraceStep[] };
  // The transaction's own target is warm from the start (EIP-2929).
  const warm = new Set<bigint>([to]);
  const sums = { pairing: 0, ecMul: 0, ecAdd: 0, ecrecover: 0, sstore: 0, sload: 0, transient: 0, log: 0, keccak: 0, accountsAndCalls: 0 };
  const otherIn = { gate: 0, registry: 0, batchVerifier: 0, elsewhere: 0 };
  // The contract each step runs in: a call pushes its callee when the next step is one level deeper.
  const frames: bigint[] = [to];
  let callee = 0n;
  for (const step of trace.structLogs) {
    const { op, gasCost } = step;
    while (step.depth < frames.length) frames.pop();
    if (step.depth > frames.length) frames.push(callee);
    let counted = true;
    if (op === 'SSTORE') sums.sstore += gasCost;
    else if (op === 'SLOAD') sums.sload += gasCost;
    else if (op === 'TLOAD' || op === 'TSTORE') sums.transient += gasCost;
    else if (op.startsWith('LOG')) sums.log += gasCost;
    else if (op === 'KECCAK256' || op === 'SHA3') sums.keccak += gasCost;
    else if (op === 'EXTCODESIZE' || op === 'EXTCODEHASH') sums.accountsAndCalls += gasCost;
    else if (op === 'STATICCALL' || op === 'CALL' || op === 'DELEGATECALL') {
      // The struct log charges a call the gas it forwards; count what the call itself costs: its
      // account access (100 warm, 2,600 cold) and, for a precompile, its price from its input size.
      // Stack words come as hex without 0x; the top is last.
      const word = (fromTop: number) => BigInt(`0x${(step.stack ?? [])[(step.stack ?? []).length - fromTop] ?? '0'}`.replace(/^0x0x/, '0x'));
      const address = word(2);
      const inputSize = Number(word(op === 'CALL' ? 5 : 4));
      if (address === 8n) sums.pairing += 45_000 + 34_000 * (inputSize / 192);
      else if (address === 7n) sums.ecMul += 6_000;
      else if (address === 6n) sums.ecAdd += 150;
      else if (address === 1n) sums.ecrecover += 3_000;
      sums.accountsAndCalls += address <= 9n || warm.has(address) ? 100 : 2_600;
      warm.add(address);
      callee = address;
    } else counted = false;
    if (!counted) otherIn[names.get(frames[frames.length - 1]) ?? 'elsewhere'] += gasCost;
  }
  const counted = 21_000 + calldata + Object.values(sums).reduce((a, b) => a + b, 0);
  const per = (gas: number) => Math.round(gas / size);
  return {
    size,
    perWallet: per(total),
    transactionBase: per(21_000),
    calldata: per(calldata),
    pairing: per(sums.pairing),
    ecMul: per(sums.ecMul),
    ecAdd: per(sums.ecAdd),
    ecrecover: per(sums.ecrecover),
    sstore: per(sums.sstore),
    sload: per(sums.sload),
    transient: per(sums.transient),
    log: per(sums.log),
    keccak: per(sums.keccak),
    accountsAndCalls: per(sums.accountsAndCalls),
    other: per(total - counted),
    otherIn: { gate: per(otherIn.gate), registry: per(otherIn.registry), batchVerifier: per(otherIn.batchVerifier), elsewhere: per(otherIn.elsewhere) },
  };
}

const RESULTS = new URL('../../bench/results.json', import.meta.url);

/** Writes `figures` into bench/results.json under `gas`, keeping every other key there. */
function saveResults(figures: GasFigures): void {
  const results = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : {};
  results.gas = { ...(results.gas as Record<string, unknown> | undefined), ...figures };
  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  measureGas({ breakdownSize: 16 })
    .then((figures) => {
      const { batch, ...single } = figures;
      console.table(single);
      console.table(
        Object.keys(batch.total).map((n) => ({
          N: Number(n),
          total: batch.total[n],
          perWallet: batch.perWallet[n],
          verifierOnly: batch.verifierOnly[n],
          calldata: batch.calldata[n],
        })),
      );
      console.log(`verify ${batch.verify}, verifyFor ${batch.verifyFor} (new wallet, relayer batch figures per wallet above)`);
      if (batch.breakdown) {
        const { otherIn, ...parts } = batch.breakdown;
        console.table({ ...parts, ...Object.fromEntries(Object.entries(otherIn).map(([k, v]) => [`other in ${k}`, v])) });
      }
      saveResults(figures);
      console.log(
        `compliant transfer / plain ERC-20: ${(figures.transferNoRules / figures.plainErc20Transfer).toFixed(3)}x (existing holder), ` +
          `${(figures.transferToNewHolderNoRules / figures.plainErc20TransferNewHolder).toFixed(3)}x (new holder)`,
      );
    })
    .finally(() => releaseProverThreads())
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
