/**
 * ComplianceGate.verifyBatch with real proofs: a batch registers every entry as verifyFor would, with
 * one batched pairing check; a batch holding any invalid proof (forged, two errors that cancel under
 * fixed coefficients, signals swapped or aliased) or an entry failing one of verifyFor's own checks
 * is refused whole, naming the batch or the entry, and changes nothing.
 */
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { AbiCoder, concat, keccak256, toBeHex, toUtf8Bytes } from 'ethers';
import { bn254 } from '@noble/curves/bn254';
import { jurisdictionIndex } from '@zkkyc/credentials';
import type { KycProof } from '@zkkyc/prover/node';
import {
  BatchCaller__factory,
  ContractWallet__factory,
  ConstantCoefficientBatchVerifier__factory,
  KycPolicyBatchVerifier32__factory,
  type ConstantCoefficientBatchVerifier,
  type KycPolicyBatchVerifier32,
} from '@zkkyc/contracts/typechain';
import type { IComplianceGate } from '@zkkyc/contracts/typechain';
import { DAY, POLICY_ID, World, args, type Holder, closeProver, eventsOf, expectRevert, latestTime, policySpec, revertTo, snapshot } from './fixture.js';

type BatchEntry = IComplianceGate.BatchEntryStruct;

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const abi = AbiCoder.defaultAbiCoder();

let world: World;
let relayer: HardhatEthersSigner;
let wallets: HardhatEthersSigner[];
/** The credential behind each wallet: Alice's for wallets 0 and 1, Bob's, Carol's. */
let holders: Holder[];
/** One valid proof per wallet, proved once (the disk cache shares them with later runs). */
let proofs: KycProof[];
let batchVerifier: KycPolicyBatchVerifier32;
let naiveVerifier: ConstantCoefficientBatchVerifier;
let deadline: number;
let base: string;

beforeAll(async () => {
  // A limit of two wallets per investor: Alice's two wallets fit, a third does not.
  // Without the batch verifier deployZkKyc would set: the tests below set it themselves.
  world = await World.create({ batchVerifier: false, policies: [policySpec({ maxWalletsPerInvestor: 2 })] });
  wallets = world.users.slice(0, 4);
  relayer = world.users[10];
  // Alice proves for two wallets; Bob, Carol one each.
  const alice = world.issue();
  const bob = world.issue({ jurisdiction: jurisdictionIndex('FR') });
  const carol = world.issue({ jurisdiction: jurisdictionIndex('CH') });
  await world.publish();
  holders = [alice, alice, bob, carol];
  proofs = [];
  for (let i = 0; i < 4; i++) proofs.push(await world.prove(holders[i], wallets[i].address));
  batchVerifier = await (await new KycPolicyBatchVerifier32__factory(world.admin).deploy()).waitForDeployment();
  naiveVerifier = await (await new ConstantCoefficientBatchVerifier__factory(world.admin).deploy()).waitForDeployment();
  deadline = (await latestTime()) + DAY;
});

afterAll(closeProver);

/** The EIP-712 consent `signer` gives for registering `pubSignals`' wallet under its `nonce`. */
async function consent(signer: HardhatEthersSigner, pubSignals: readonly bigint[], nonce: bigint, policyId = POLICY_ID): Promise<string> {
  return signer.signTypedData(
    { name: 'zkkyc ComplianceGate', version: '1', chainId: world.chainId, verifyingContract: await world.gate.getAddress() },
    { Consent: ['policyId', 'nullifier', 'context', 'nonce', 'deadline'].map((name) => ({ name, type: 'uint256' })) },
    { policyId, nullifier: pubSignals[0], context: pubSignals[3], nonce, deadline },
  );
}

interface EntryOptions {
  /** Public signals to submit instead of the proof's own (the consent is signed over them). */
  pubSignals?: bigint[];
  /** Proof points instead of the proof's own. */
  points?: Pick<BatchEntry, 'pA' | 'pB' | 'pC'>;
  signer?: HardhatEthersSigner;
  nonce?: bigint;
  policyId?: bigint;
}

/** Entry `i`: wallet i's proof with wallet i's consent over its current nonce, unless told otherwise. */
async function entry(i: number, options: EntryOptions = {}): Promise<BatchEntry> {
  const { pA, pB, pC, pubSignals } = proofs[i].solidityCalldata;
  const signals = options.pubSignals ?? [...pubSignals];
  const signer = options.signer ?? wallets[i];
  const policyId = options.policyId ?? POLICY_ID;
  const nonce = options.nonce ?? (await world.gate.nonces(wallets[i].address));
  return {
    policyId,
    ...(options.points ?? { pA, pB, pC }),
    pubSignals: signals as BatchEntry['pubSignals'],
    deadline,
    signature: await consent(signer, signals, nonce, policyId),
  };
}

/** Everything a batch could change for these wallets: records, nonces, wallet counts. */
async function state(policyId = POLICY_ID) {
  return Promise.all(
    wallets.map(async (w, i) => ({
      until: await world.gate.verifiedUntil(policyId, w.address),
      investor: await world.gate.investorOf(policyId, w.address),
      nonce: await world.gate.nonces(w.address),
      count: await world.gate.walletCount(policyId, proofs[i].nullifier),
    })),
  );
}

/** Submits `entries` from the relayer, expects `error` (with `errorArgs`), and that nothing changed. */
async function expectRefused(entries: BatchEntry[], error: string, errorArgs?: unknown[]) {
  const before = await state();
  const decoded = await expectRevert(world.gate.connect(relayer).verifyBatch(entries), error, errorArgs);
  expect(await state()).toEqual(before);
  return decoded;
}

/** Expects `BatchEntryRefused(index, reason)` with `reason` the gate's error `inner` (and `innerArgs`). */
async function expectEntryRefused(entries: BatchEntry[], index: number, inner: string, innerArgs?: unknown[]) {
  const decoded = await expectRefused(entries, 'BatchEntryRefused');
  expect(decoded.args[0]).toBe(BigInt(index));
  const reason = world.gate.interface.parseError(decoded.args[1] as string);
  expect(reason?.name).toBe(inner);
  if (innerArgs) expect(args(...reason!.args)).toEqual(args(...innerArgs));
}

/** The words the batch verifier takes for `e`: A, B, C, then the public signals. */
function proofWords(e: BatchEntry): bigint[] {
  return [...e.pA, ...e.pB[0], ...e.pB[1], ...e.pC, ...e.pubSignals].map((v) => BigInt(v));
}

/** The digest docs/protocol.md ("Batches") defines, as the gate's verifier must compute it. */
async function batchDigest(entries: BatchEntry[]): Promise<string> {
  const context = keccak256(abi.encode(['uint256', 'address'], [world.chainId, await world.gate.getAddress()]));
  const domain = keccak256(toUtf8Bytes('zkkyc/groth16-batch/v1'));
  return keccak256(concat([domain, context, ...entries.flatMap(proofWords).map((word) => toBeHex(word, 32))]));
}

/** `point` + `k`·G on BN254's G1 (k may be negative). */
function shifted([x, y]: readonly [bigint, bigint] | readonly bigint[], k: bigint): [bigint, bigint] {
  const G = bn254.G1.ProjectivePoint.BASE;
  const p = bn254.G1.ProjectivePoint.fromAffine({ x: BigInt(x), y: BigInt(y) })
    .add(k >= 0n ? G.multiply(k) : G.multiply(-k).negate())
    .toAffine();
  return [p.x, p.y];
}

describe('the batch verifier setting', () => {
  let fresh: string;
  beforeAll(async () => {
    fresh = await snapshot();
  });
  afterAll(async () => {
    await revertTo(fresh);
  });

  test('until the administrator sets it, batches are refused; it is set once, by the administrator only', async () => {
    const gate = world.gate;
    const address = await batchVerifier.getAddress();
    await expectRevert(gate.connect(relayer).verifyBatch([await entry(0)]), 'BatchVerifierNotSet');
    await expectRevert(gate.connect(relayer).setBatchVerifier32(address), 'AccessControlUnauthorizedAccount', [relayer.address, hre.ethers.ZeroHash]);
    await expectRevert(gate.setBatchVerifier32(hre.ethers.ZeroAddress), 'ZeroAddress', ['verifier']);
    expect(await eventsOf(gate.setBatchVerifier32(address), gate, 'BatchVerifierSet')).toEqual([args(address, world.admin.address)]);
    // Not even the administrator can swap it afterwards (e.g. for one that accepts anything).
    await expectRevert(gate.setBatchVerifier32(await naiveVerifier.getAddress()), 'BatchVerifierAlreadySet', [address]);
    expect(await gate.batchVerifier32()).toBe(address);
  });
});

describe('verifyBatch', () => {
  beforeAll(async () => {
    await (await world.gate.setBatchVerifier32(await batchVerifier.getAddress())).wait();
    base = await snapshot();
  });

  afterEach(async () => {
    await revertTo(base);
    base = await snapshot();
  });

  test('a batch of one registers its wallet, as verifyFor would, and names the batch', async () => {
    const entries = [await entry(0)];
    const receipt = await world.gate.connect(relayer).verifyBatch(entries);
    // min(end of validUntil day, now + ttl): here now + ttl.
    const until = [BigInt((await latestTime()) + 30 * DAY)];
    const p = proofs[0];
    expect(await eventsOf(receipt, world.gate, 'WalletVerified')).toEqual([args(POLICY_ID, wallets[0].address, p.nullifier, until[0], 1n, p.root)]);
    expect(await eventsOf(receipt, world.gate, 'BatchVerified')).toEqual([args(await batchDigest(entries), 1n)]);
    expect(await world.gate.isVerified(POLICY_ID, wallets[0].address)).toBe(true);
    expect(await world.gate.nonces(wallets[0].address)).toBe(1n);
  });

  test('a batch of four registers every wallet, in order, with one event each', async () => {
    const entries = await Promise.all([0, 1, 2, 3].map((i) => entry(i)));
    // What it returns, simulated a moment before it is mined (the clock may move a second or two).
    const returned = await world.gate.connect(relayer).verifyBatch.staticCall(entries);
    const receipt = await world.gate.connect(relayer).verifyBatch(entries);
    // min(end of validUntil day, now + ttl): here now + ttl.
    const expectedUntil = BigInt((await latestTime()) + 30 * DAY);
    const until = wallets.map(() => expectedUntil);
    expect(returned).toHaveLength(4);
    for (const value of returned) expect(expectedUntil - value).toBeGreaterThanOrEqual(0n);
    for (const value of returned) expect(expectedUntil - value).toBeLessThanOrEqual(2n);
    expect(await eventsOf(receipt, world.gate, 'WalletVerified')).toEqual(proofs.map((p, i) => args(POLICY_ID, wallets[i].address, p.nullifier, until[i], 1n, p.root)));
    expect(await eventsOf(receipt, world.gate, 'BatchVerified')).toEqual([args(await batchDigest(entries), 4n)]);
    for (const [i, w] of wallets.entries()) {
      expect(await world.gate.verifiedUntil(POLICY_ID, w.address)).toBe(until[i]);
      expect(await world.gate.investorOf(POLICY_ID, w.address)).toBe(proofs[i].nullifier & ((1n << 192n) - 1n));
      expect(await world.gate.nonces(w.address)).toBe(1n);
    }
    // Alice's two wallets are one investor.
    expect(await world.gate.investorOf(POLICY_ID, wallets[0].address)).toBe(await world.gate.investorOf(POLICY_ID, wallets[1].address));
  });

  test('a contract wallet in a batch consents through ERC-1271, and only its owner key can', async () => {
    const owner = world.users[5];
    const contractWallet = await (await new ContractWallet__factory(owner).deploy(owner.address)).waitForDeployment();
    const address = await contractWallet.getAddress();
    const proof = await world.prove(holders[2], address);
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const signed = async (signer: HardhatEthersSigner): Promise<BatchEntry> => ({
      policyId: POLICY_ID,
      pA,
      pB,
      pC,
      pubSignals,
      deadline,
      signature: await consent(signer, pubSignals, 0n),
    });
    // The owner's key signs for the contract, but is not the contract: a wallet-shaped ECDSA
    // signature by anyone else (here wallet 0, whose own entry is valid) does not pass.
    await expectEntryRefused([await entry(0), await signed(wallets[0])], 1, 'InvalidConsentSignature', [address]);
    await (await world.gate.connect(relayer).verifyBatch([await entry(0), await signed(owner)])).wait();
    expect(await world.gate.isVerified(POLICY_ID, address)).toBe(true);
    expect(await world.gate.isVerified(POLICY_ID, wallets[0].address)).toBe(true);
  });

  test('a batch with one forged proof is refused whole, naming the batch', async () => {
    const entries = await Promise.all([0, 1, 2, 3].map((i) => entry(i)));
    entries[2] = { ...entries[2], pC: shifted(entries[2].pC as bigint[], 1n) };
    await expectRefused(entries, 'InvalidBatchProof', [await batchDigest(entries)]);
  });

  test('two proofs whose errors cancel in the plain sum are refused: the coefficients come from the batch', async () => {
    // C is summed over the batch: moving P from one proof's C to another's leaves Σ C_i unchanged.
    const entries = await Promise.all([0, 1, 2].map((i) => entry(i)));
    entries[1] = { ...entries[1], pC: shifted(entries[1].pC as bigint[], 7n) };
    entries[2] = { ...entries[2], pC: shifted(entries[2].pC as bigint[], -7n) };
    const words = entries.map(proofWords);
    const context = hre.ethers.ZeroHash;
    // With every coefficient 1 the forgery passes, and the same verifier still refuses one bad proof:
    // so this test would fail if the coefficients were constants.
    expect((await naiveVerifier.verifyProofs(words, context)).valid).toBe(true);
    expect((await naiveVerifier.verifyProofs(words.slice(0, 2), context)).valid).toBe(false);
    expect((await batchVerifier.verifyProofs(words, context)).valid).toBe(false);
    await expectRefused(entries, 'InvalidBatchProof', [await batchDigest(entries)]);
  });

  test('a proof duplicated in the batch is refused at its second entry, even with a second consent', async () => {
    const first = await entry(0);
    await expectEntryRefused([first, first], 1, 'DuplicateBatchEntry', [POLICY_ID, wallets[0].address]);
    const second = await entry(0, { nonce: 1n });
    await expectEntryRefused([first, await entry(1), second], 2, 'DuplicateBatchEntry', [POLICY_ID, wallets[0].address]);
  });

  test("a proof moved to another wallet's slot is refused: its context names its own wallet", async () => {
    // Wallet 1 signs for wallet 0's proof: the gate checks the consent of the wallet in the context.
    const moved = await entry(0, { signer: wallets[1], nonce: 0n });
    await expectEntryRefused([await entry(2), moved], 1, 'InvalidConsentSignature', [wallets[0].address]);
    // Wallet 0's proof points under wallet 1's signals (and wallet 1's consent): the proof fails.
    const { pA, pB, pC } = proofs[0].solidityCalldata;
    const entries = [await entry(1, { points: { pA, pB, pC } }), await entry(2)];
    await expectRefused(entries, 'InvalidBatchProof', [await batchDigest(entries)]);
  });

  test('public signals swapped between entries are refused, consents and all', async () => {
    const [s0, s1] = [proofs[0], proofs[1]].map((p) => [...p.solidityCalldata.pubSignals]);
    // Each wallet consents to the signals in its slot, so only the proofs can tell.
    const entries = [await entry(0, { pubSignals: s1, signer: wallets[1], nonce: 0n }), await entry(1, { pubSignals: s0, signer: wallets[0], nonce: 0n })];
    await expectRefused(entries, 'InvalidBatchProof', [await batchDigest(entries)]);
  });

  test('a public signal or coordinate out of its field, or a point at infinity, is refused', async () => {
    // nullifier + r is the same number to the proof's equation: only the range check refuses it.
    const signals = [...proofs[0].solidityCalldata.pubSignals];
    signals[0] += R;
    const aliased = [await entry(0, { pubSignals: signals }), await entry(1)];
    await expectRefused(aliased, 'InvalidBatchProof', [await batchDigest(aliased)]);

    const words = [proofWords(await entry(0)), proofWords(await entry(1))];
    const context = hre.ethers.ZeroHash;
    expect((await batchVerifier.verifyProofs(words, context)).valid).toBe(true);
    const altered = (w: number, value: bigint) => [words[0].map((v, i) => (i === w ? value : v)), words[1]];
    expect((await batchVerifier.verifyProofs(altered(0, words[0][0] + Q), context)).valid).toBe(false);
    expect((await batchVerifier.verifyProofs(altered(11, words[0][11] + R), context)).valid).toBe(false);
    const atInfinity = (from: number, to: number) => [words[0].map((v, i) => (i >= from && i < to ? 0n : v)), words[1]];
    for (const [from, to] of [
      [0, 2],
      [2, 6],
      [6, 8],
    ]) {
      expect((await batchVerifier.verifyProofs(atInfinity(from, to), context)).valid).toBe(false);
    }
    expect((await batchVerifier.verifyProofs([], context)).valid).toBe(false);
  });

  test("an entry failing one of verifyFor's checks is refused with its index and that check's error", async () => {
    const gate = world.gate;
    // A barred wallet.
    await (await gate.barWallet(POLICY_ID, wallets[1].address, (await latestTime()) + DAY, 'test')).wait();
    const barredUntil = await gate.walletBarredUntil(POLICY_ID, wallets[1].address);
    await expectEntryRefused([await entry(0), await entry(1)], 1, 'WalletBarred', [POLICY_ID, wallets[1].address, barredUntil]);
    // A consent its wallet cancelled.
    const cancelled = await entry(2);
    await (await gate.connect(wallets[2]).cancelConsent(0n)).wait();
    await expectEntryRefused([await entry(0), cancelled], 1, 'InvalidConsentSignature', [wallets[2].address]);
    // A wrong policy hash (the consent does not cover it; the check does).
    const signals = [...proofs[3].solidityCalldata.pubSignals];
    signals[2] += 1n;
    await expectEntryRefused([await entry(3, { pubSignals: signals })], 0, 'PolicyHashMismatch', [signals[2] - 1n, signals[2]]);
  });

  test("the wallet limit counts the batch's own earlier entries", async () => {
    const third = world.users[4];
    const { pA, pB, pC, pubSignals } = (await world.prove(holders[0], third.address)).solidityCalldata;
    const extra: BatchEntry = { policyId: POLICY_ID, pA, pB, pC, pubSignals, deadline, signature: await consent(third, pubSignals, 0n) };
    const tag = proofs[0].nullifier & ((1n << 192n) - 1n);
    await expectEntryRefused([await entry(0), await entry(2), await entry(1), extra], 3, 'TooManyWallets', [tag, 2n, 2n]);
    await (await world.gate.connect(relayer).verifyBatch([await entry(0), await entry(1)])).wait();
    expect(await world.gate.walletCount(POLICY_ID, tag)).toBe(2n);
  });

  test('an entry under an escrow policy or an unknown policy is refused', async () => {
    await expectEntryRefused([await entry(0, { policyId: 99n })], 0, 'PolicyNotFound', [99n]);
    // Baby Jubjub's Base8 generates its prime-order subgroup: a valid escrow key.
    const key: [bigint, bigint] = [5299619240641551281634865583518297030282874472190772894086521144482721001553n, 16950150798460657717958625567821834550301663161624707787222815936182638968203n];
    const { jurisdictionMask, minAge, investorClassMask, minKycLevel, ttl, maxWalletsPerInvestor } = policySpec();
    const params = { jurisdictionMask, minAge, investorClassMask, minKycLevel, acceptedIssuers: [1n], ttl, maxWalletsPerInvestor };
    await (await world.gate.setEscrowPolicy(2n, params, key)).wait();
    await expectEntryRefused([await entry(0), await entry(1, { policyId: 2n })], 1, 'EscrowProofRequired', [2n]);
  });

  test('an empty or oversized batch, and a direct call of the per-entry step, are refused', async () => {
    await expectRefused([], 'EmptyBatch');
    const one = await entry(0);
    await expectRefused(
      Array.from({ length: 33 }, () => one),
      'BatchTooLarge',
      [33n, 32n],
    );
    // Alone, the per-entry step would register a wallet without its proof.
    await expectRevert(world.gate.connect(relayer).registerBatchEntry(one), 'OnlyGate', [relayer.address]);
    expect(await world.gate.isVerified(POLICY_ID, wallets[0].address)).toBe(false);
  });

  test('two batches in one transaction: the duplicate marks of the first do not refuse the second', async () => {
    const caller = await (await new BatchCaller__factory(relayer).deploy()).waitForDeployment();
    const first = [await entry(0)];
    const second = [await entry(0, { nonce: 1n }), await entry(1)];
    await (await caller.twice(await world.gate.getAddress(), first, second)).wait();
    expect(await world.gate.nonces(wallets[0].address)).toBe(2n);
    expect(await world.gate.isVerified(POLICY_ID, wallets[1].address)).toBe(true);
  });
});
