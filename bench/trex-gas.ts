/**
 * Gas of an unmodified T-REX v4 token (`@tokenysolutions/t-rex`, deployed from the package's
 * artifacts) under two identity registries, measured in one run on Hardhat's in-process chain:
 * - `zkkycAdapter`: our ZkKycIdentityRegistry, backed by the ComplianceGate (wallets registered
 *   with real Groth16 proofs);
 * - `onchainId`: T-REX's own IdentityRegistry over IdentityRegistryStorage, TrustedIssuersRegistry
 *   and ClaimTopicsRegistry, one ONCHAINID Identity per investor holding a KYC claim signed for an
 *   ONCHAINID ClaimIssuer;
 * and, for reference, our PermissionedToken (no rules) and a plain OpenZeppelin ERC-20. Every
 * token sees the same operations between the same wallets. Figures are whole-transaction gas
 * (21k base and calldata included). Benchmarks assert nothing.
 * Run: `npm run bench -- trex`, or `npx tsx bench/trex-gas.ts`.
 */
import hre from 'hardhat';
import type { ContractRunner, ContractTransactionResponse } from 'ethers';
import { PlainERC20__factory, ZkKycIdentityRegistry__factory } from '@zkkyc/contracts/typechain';
import { jurisdictionIndex } from '@zkkyc/credentials';
import { POLICY_ID, World } from '../contracts/test/fixture.js';
import { trexVersion, type TrexContract } from '../contracts/test/support/trex-artifacts.js';
import { deployOnchainIdRegistry, deployTrexToken, onboardOnchainIdInvestor, type OnboardingGas } from '../contracts/test/support/trex-suite.js';

/** The operations measured on each token (gas used). */
export interface TokenGas {
  /** Holder transfer of 10 to a wallet that already holds the token. */
  transfer: number;
  /** Holder transfer of 10 to a verified wallet holding none yet. */
  transferToNewHolder: number;
  /** Agent mint to a verified wallet holding none yet (supply already non-zero). */
  mint: number;
}

export interface TrexGasFigures {
  /** The `@tokenysolutions/t-rex` version whose artifacts were deployed. */
  trexVersion: string;
  /** T-REX Token with ZkKycIdentityRegistry as its identity registry. */
  zkkycAdapter: TokenGas & {
    /** `recoveryAddress` to the investor's other verified wallet (revokes and bars the lost one in the gate). */
    recovery: number;
  };
  /** T-REX Token with T-REX's IdentityRegistry and ONCHAINID identities (one KYC claim topic, one trusted issuer). */
  onchainId: TokenGas & {
    /** `recoveryAddress` after the investor added the new wallet as a management key of their identity. */
    recovery: number;
  };
  /** Our PermissionedToken without rules, reading the same gate policy. */
  permissionedToken: TokenGas;
  /** Plain OpenZeppelin ERC-20 (no checks): the floor. */
  plainErc20: Omit<TokenGas, 'mint'>;
  /** Getting one investor's wallet accepted. */
  onboarding: {
    /** ONCHAINID: the investor deploys an Identity and adds the issuer's claim; the registry's agent registers the wallet. */
    onchainId: OnboardingGas & { total: number };
    /** zkkyc: the wallet submits its proof to the gate (`verify`, first registration); usable by every token on the policy. */
    zkkycRegistration: number;
    /** Adding a second wallet of the same investor to the ONCHAINID identity (`addKey`), before its recovery. */
    onchainIdAddKey: number;
  };
}

/** What {measureTrexGas} calls on every token, typed or from the package's ABI. */
interface MeasuredToken {
  connect(runner: ContractRunner): {
    mint(to: string, amount: bigint): Promise<ContractTransactionResponse>;
    transfer(to: string, amount: bigint): Promise<ContractTransactionResponse>;
  };
}

async function used(tx: Promise<ContractTransactionResponse> | Promise<unknown>): Promise<number> {
  const receipt = await (await (tx as Promise<ContractTransactionResponse>)).wait();
  return Number(receipt!.gasUsed);
}

/**
 * Deploys the zkkyc system, the two T-REX tokens and the reference tokens on a fresh in-process
 * chain, onboards the same wallets in both worlds and measures each operation once. Takes ~40 s
 * (five proofs).
 */
export async function measureTrexGas(): Promise<TrexGasFigures> {
  const world = await World.create({ tokens: [{ name: 'Reference', symbol: 'REF', decimals: 0, policyId: POLICY_ID }] });
  const agent = world.admin;
  // Dave's credential goes into the same published root as the others'; his wallet registers
  // last, measured.
  const dave = world.issue({ jurisdiction: jurisdictionIndex('DE') });
  const { a1, a2, b, c } = await world.registerInvestors();
  const daveWallet = world.users[5];
  const daveProof = await world.prove(dave, daveWallet.address);
  const zkkycRegistration = await used(world.submit(daveProof, daveWallet));

  // T-REX token with our adapter.
  const adapter = await (await new ZkKycIdentityRegistry__factory(agent).deploy(agent.address, await world.gate.getAddress(), POLICY_ID)).waitForDeployment();
  const adapterAddress = await adapter.getAddress();
  await (await world.gate.setPolicyAgent(POLICY_ID, adapterAddress, true)).wait();
  const zk = (await deployTrexToken(agent, agent, adapterAddress, { name: 'zkkyc T-REX', symbol: 'ZKT', decimals: 0 })).token;
  await (await adapter.grantRole(await adapter.TOKEN_ROLE(), await zk.getAddress())).wait();

  // T-REX token with T-REX's ONCHAINID registry; a1, b and c onboarded (DE = 276).
  const claimSigner = world.users[6];
  const onchain = await deployOnchainIdRegistry(agent, claimSigner);
  const identities = new Map<string, TrexContract>();
  let onboarding: OnboardingGas | undefined;
  for (const wallet of [a1, b, c]) {
    const result = await onboardOnchainIdInvestor(onchain, agent, wallet, 276);
    identities.set(wallet.address, result.identity);
    onboarding = result.gas;
  }
  const ir = onchain.identityRegistry;
  const oid = (await deployTrexToken(agent, agent, await ir.getAddress(), { name: 'ONCHAINID T-REX', symbol: 'OIT', decimals: 0 })).token;
  // T-REX's recovery registers the new wallet through the registry: the token is its agent.
  await (await ir.addAgent(await oid.getAddress())).wait();

  const reference = world.contracts.tokens.REF.token;
  const plain = await (await new PlainERC20__factory(agent).deploy()).waitForDeployment();

  // The same sequence on every token: a first mint (unmeasured), a mint to a new holder, a
  // transfer to that holder, a transfer to a new holder.
  const run = async (token: MeasuredToken) => {
    await (await token.connect(agent).mint(a1.address, 1000n)).wait();
    const mint = await used(token.connect(agent).mint(b.address, 1000n));
    const transfer = await used(token.connect(a1).transfer(b.address, 10n));
    const transferToNewHolder = await used(token.connect(a1).transfer(c.address, 10n));
    return { transfer, transferToNewHolder, mint };
  };
  // The package's contracts are untyped (their ABI functions are looked up by name).
  const zkFigures = await run(zk as unknown as MeasuredToken);
  const oidFigures = await run(oid as unknown as MeasuredToken);
  const referenceFigures = await run(reference);
  await (await plain.mint(a1.address, 1000n)).wait();
  await (await plain.mint(b.address, 1000n)).wait();
  const plainFigures = {
    transfer: await used(plain.connect(a1).transfer(b.address, 10n)),
    transferToNewHolder: await used(plain.connect(a1).transfer(c.address, 10n)),
  };

  // Recovery of a1 to a2. zkkyc: a2 already proved for alice. ONCHAINID: alice adds a2 as a
  // management key of her identity first (T-REX's recovery checks that key).
  const zkRecovery = await used(zk.connect(agent).recoveryAddress(a1.address, a2.address, adapterAddress));
  const aliceIdentity = identities.get(a1.address)!;
  const a2Key = hre.ethers.keccak256(hre.ethers.AbiCoder.defaultAbiCoder().encode(['address'], [a2.address]));
  const onchainIdAddKey = await used(aliceIdentity.connect(a1).addKey(a2Key, 1n, 1n));
  const oidRecovery = await used(oid.connect(agent).recoveryAddress(a1.address, a2.address, await aliceIdentity.getAddress()));

  const perInvestor = onboarding!;
  return {
    trexVersion: trexVersion(),
    zkkycAdapter: { ...zkFigures, recovery: zkRecovery },
    onchainId: { ...oidFigures, recovery: oidRecovery },
    permissionedToken: referenceFigures,
    plainErc20: plainFigures,
    onboarding: {
      onchainId: { ...perInvestor, total: perInvestor.deployIdentity + perInvestor.addClaim + perInvestor.registerIdentity },
      zkkycRegistration,
      onchainIdAddKey,
    },
  };
}

// `npx tsx bench/trex-gas.ts` prints the figures without touching bench/results.json.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { releaseProverThreads } = await import('@zkkyc/prover');
  try {
    console.log(JSON.stringify(await measureTrexGas(), null, 2));
  } finally {
    await releaseProverThreads();
  }
}
