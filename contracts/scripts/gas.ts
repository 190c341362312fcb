/**
 * Gas of the operations the design budgets (DESIGN §7), measured on the in-process Hardhat chain
 * with real proofs: a proof registration (≤ 260k) and a compliant transfer (≤ 1.5× a plain
 * OpenZeppelin ERC-20 transfer), plus the figures around them. Run: `npx tsx contracts/scripts/gas.ts`.
 */
import hre from 'hardhat';
import type { ContractTransactionResponse } from 'ethers';
import { computeLeaf, encodePolicy, identityCommitment, jurisdictionIndex, randomIdentitySecret, randomSalt } from '@zkkyc/credentials';
import { multiplyBase, randomScalar } from '@zkkyc/escrow';
import { nodeEscrowProver, nodeProver, releaseProverThreads } from '@zkkyc/prover/node';
import { IssuerTree } from '@zkkyc/tree';
import { PlainERC20__factory } from '@zkkyc/contracts/typechain';
import { deployZkKyc } from '../../packages/sdk/src/deploy.js';
import { connectZkKyc } from '../../packages/sdk/src/contracts.js';

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
}

async function used(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  return Number(receipt!.gasUsed);
}

/**
 * Deploys a fresh system on Hardhat's in-process chain, registers wallets with real proofs and
 * measures each operation once. Takes ~15 s (four proofs).
 */
export async function measureGas(): Promise<GasFigures> {
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
  const escrowVerifierOnly = Number(
    await contracts.kycPolicyEscrowVerifier32!.connect(b).verifyProof.estimateGas(escrow.pA, escrow.pB, escrow.pC, escrow.pubSignals),
  );

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
  };
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  measureGas()
    .then((figures) => {
      console.table(figures);
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
