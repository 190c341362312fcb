/**
 * ComplianceGate with real proofs: a registration records the wallet, and each refusal of
 * DESIGN §8 that the gate owns names its check and leaves every record as it was.
 */
import hre from 'hardhat';
import { computePolicyHash, computeScope, computeNullifier, jurisdictionIndex } from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { ContractWallet__factory } from '@zkkyc/contracts/typechain';
import {
  BASE_POLICY,
  DAY,
  ISSUER_ID,
  POLICY_ID,
  World,
  closeProver,
  expectRevert,
  increaseTime,
  latestTime,
  policySpec,
  revertTo,
  snapshot,
  utcDate,
  type Holder,
} from './fixture.js';

const TAG_MASK = (1n << 192n) - 1n;

let world: World;
let alice: Holder;
let bob: Holder;
let base: string;

beforeAll(async () => {
  world = await World.create();
  alice = world.issue();
  bob = world.issue({ jurisdiction: jurisdictionIndex('FR') });
  await world.publish();
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

afterAll(closeProver);

/** Everything the gate stores about these wallets, to compare before and after a refusal. */
async function records(wallets: string[]) {
  return Promise.all(
    wallets.map(async (w) => ({
      until: await world.gate.verifiedUntil(POLICY_ID, w),
      investor: await world.gate.investorOf(POLICY_ID, w),
    })),
  );
}

describe('policies', () => {
  test('scope and policyHash are computed on-chain exactly as @zkkyc/credentials computes them', async () => {
    const stored = await world.gate.policy(POLICY_ID);
    const scope = computeScope(world.chainId, await world.gate.getAddress(), POLICY_ID);
    expect(stored.scope).toBe(scope);
    expect(stored.policyHash).toBe(computePolicyHash(scope, BASE_POLICY));
  });

  test('bad parameters are refused with the field named, and nothing changes', async () => {
    const before = await world.gate.policy(POLICY_ID);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), jurisdictionMask: 1n << 249n }), 'PolicyParamInvalid', [
      'jurisdictionMask',
      1n << 249n,
    ]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), jurisdictionMask: 0n }), 'PolicyParamInvalid', ['jurisdictionMask', 0n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), ttl: 0 }), 'PolicyParamInvalid', ['ttl', 0n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), acceptedIssuers: [] }), 'PolicyParamInvalid', ['acceptedIssuers', 0n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), acceptedIssuers: [9] }), 'PolicyParamInvalid', ['acceptedIssuers', 9n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), maxWalletsPerInvestor: 2 }), 'WalletLimitCannotBeEnabled', [POLICY_ID]);
    expect(await world.gate.policy(POLICY_ID)).toEqual(before);
  });

  test('only POLICY_ADMIN_ROLE sets policies; only AGENT_ROLE revokes wallets', async () => {
    const outsider = world.users[9];
    const policyAdmin = await world.gate.POLICY_ADMIN_ROLE();
    const agent = await world.gate.AGENT_ROLE();
    await expectRevert(world.gate.connect(outsider).setPolicy(2, policySpec({ policyId: 2 })), 'AccessControlUnauthorizedAccount', [
      outsider.address,
      policyAdmin,
    ]);
    await expectRevert(world.gate.connect(outsider).revokeWallet(POLICY_ID, outsider.address, 'x'), 'AccessControlUnauthorizedAccount', [
      outsider.address,
      agent,
    ]);
    expect((await world.gate.policy(2)).config.exists).toBe(false);
  });
});

describe('registration', () => {
  test('records the wallet until min(end of validUntil, now + ttl), bound to the nullifier', async () => {
    const wallet = world.users[0];
    const proof = await world.register(alice, wallet);
    const now = await latestTime();
    const scope = (await world.gate.policy(POLICY_ID)).scope;
    expect(proof.nullifier).toBe(computeNullifier(alice.secret, scope));
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
    expect(await world.gate.verifiedUntil(POLICY_ID, wallet.address)).toBe(BigInt(now + 30 * DAY));
    expect(await world.gate.investorOf(POLICY_ID, wallet.address)).toBe(proof.nullifier & TAG_MASK);

    // A validUntil sooner than the ttl caps the record at the end of that UTC day.
    const soon = utcDate(now + 2 * DAY);
    const second = world.users[1];
    await world.register(alice, second, { validUntil: soon });
    const endOfSoon = Date.UTC(Math.floor(soon / 10000), (Math.floor(soon / 100) % 100) - 1, soon % 100) / 1000 + DAY;
    expect(await world.gate.verifiedUntil(POLICY_ID, second.address)).toBe(BigInt(endOfSoon));

    // The registration lapses at verifiedUntil.
    await increaseTime(3 * DAY);
    expect(await world.gate.isVerified(POLICY_ID, second.address)).toBe(false);
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
  });

  test('tampered public signals fail the proof check', async () => {
    const wallet = world.users[0];
    const proof = await world.prove(alice, wallet.address);
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const before = await records([wallet.address]);
    const tamperedNullifier = [pubSignals[0] + 1n, pubSignals[1], pubSignals[2], pubSignals[3]] as typeof pubSignals;
    await expectRevert(world.gate.connect(wallet).verify(POLICY_ID, pA, pB, pC, tamperedNullifier), 'InvalidProof', []);
    // A validUntil changed inside context (the wallet stays the same) is caught by the proof too.
    const tamperedContext = [pubSignals[0], pubSignals[1], pubSignals[2], pubSignals[3] - (1n << 192n)] as typeof pubSignals;
    await expectRevert(world.gate.connect(wallet).verify(POLICY_ID, pA, pB, pC, tamperedContext), 'InvalidProof', []);
    const tamperedA = [pA[0], pA[1] + 1n] as typeof pA;
    await expect(world.gate.connect(wallet).verify(POLICY_ID, tamperedA, pB, pC, pubSignals)).rejects.toThrow();
    const withHighBits = [pubSignals[0], pubSignals[1], pubSignals[2], pubSignals[3] | (1n << 230n)] as typeof pubSignals;
    await expectRevert(world.gate.connect(wallet).verify(POLICY_ID, pA, pB, pC, withHighBits), 'ContextOutOfRange', [withHighBits[3]]);
    expect(await records([wallet.address])).toEqual(before);
  });

  test('a proof replayed for another wallet or submitted without the wallet is refused', async () => {
    const [wallet, thief] = world.users;
    const proof = await world.prove(alice, wallet.address);
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const before = await records([wallet.address, thief.address]);
    // The thief submits the wallet's proof: no consent.
    await expectRevert(world.gate.connect(thief).verify(POLICY_ID, pA, pB, pC, pubSignals), 'NotWalletOwner', [wallet.address, thief.address]);
    // The thief rewrites the wallet inside context to its own: the proof no longer verifies.
    const rebound = [pubSignals[0], pubSignals[1], pubSignals[2], (pubSignals[3] >> 160n << 160n) | BigInt(thief.address)] as typeof pubSignals;
    await expectRevert(world.gate.connect(thief).verify(POLICY_ID, pA, pB, pC, rebound), 'InvalidProof', []);
    expect(await records([wallet.address, thief.address])).toEqual(before);
  });

  test('a proof replayed for another policy is refused by its policy hash', async () => {
    await (await world.gate.setPolicy(2, policySpec({ policyId: 2 }))).wait();
    const wallet = world.users[0];
    const proof = await world.prove(alice, wallet.address);
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const other = await world.gate.policy(2);
    await expectRevert(world.gate.connect(wallet).verify(2, pA, pB, pC, pubSignals), 'PolicyHashMismatch', [other.policyHash, pubSignals[2]]);
    await expectRevert(world.gate.connect(wallet).verify(77, pA, pB, pC, pubSignals), 'PolicyNotFound', [77n]);
    expect(await world.gate.verifiedUntil(2, wallet.address)).toBe(0n);
  });

  test('a relayer registers with the wallet EIP-712 consent; a wrong or replayed consent is refused', async () => {
    const [wallet, relayer, stranger] = world.users;
    const proof = await world.prove(alice, wallet.address);
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const deadline = (await latestTime()) + 3600;
    const sign = async (signer: typeof wallet, nonce: bigint) =>
      signer.signTypedData(
        { name: 'zkkyc ComplianceGate', version: '1', chainId: world.chainId, verifyingContract: await world.gate.getAddress() },
        { Consent: ['policyId', 'nullifier', 'context', 'nonce', 'deadline'].map((name) => ({ name, type: 'uint256' })) },
        { policyId: POLICY_ID, nullifier: pubSignals[0], context: pubSignals[3], nonce, deadline },
      );
    const before = await records([wallet.address]);
    await expectRevert(
      world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, await sign(stranger, 0n)),
      'InvalidConsentSignature',
      [wallet.address],
    );
    await expectRevert(
      world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline - 7200, await sign(wallet, 0n)),
      'ConsentExpired',
    );
    expect(await records([wallet.address])).toEqual(before);
    expect(await world.gate.nonces(wallet.address)).toBe(0n);

    const consent = await sign(wallet, 0n);
    await (await world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, consent)).wait();
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
    // The nonce moved on, so the same consent cannot be replayed.
    await expectRevert(world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, consent), 'InvalidConsentSignature');
  });

  test('a smart-contract wallet consents through ERC-1271', async () => {
    const [owner, relayer] = world.users;
    const contractWallet = await (await new ContractWallet__factory(owner).deploy(owner.address)).waitForDeployment();
    const walletAddress = await contractWallet.getAddress();
    const proof = await world.prove(alice, walletAddress);
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const deadline = (await latestTime()) + 3600;
    const consent = await owner.signTypedData(
      { name: 'zkkyc ComplianceGate', version: '1', chainId: world.chainId, verifyingContract: await world.gate.getAddress() },
      { Consent: ['policyId', 'nullifier', 'context', 'nonce', 'deadline'].map((name) => ({ name, type: 'uint256' })) },
      { policyId: POLICY_ID, nullifier: pubSignals[0], context: pubSignals[3], nonce: 0n, deadline },
    );
    await (await world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, consent)).wait();
    expect(await world.gate.isVerified(POLICY_ID, walletAddress)).toBe(true);
  });

  test('a today in the future or more than a day in the past is refused; yesterday is accepted', async () => {
    const wallet = world.users[0];
    const now = await latestTime();
    const blockDate = utcDate(now);
    const before = await records([wallet.address]);
    const future = await world.prove(alice, wallet.address, { today: utcDate(now + DAY) });
    await expectRevert(world.submit(future, wallet), 'DateOutOfWindow', [utcDate(now + DAY), blockDate]);
    const old = await world.prove(alice, wallet.address, { today: utcDate(now - 2 * DAY) });
    await expectRevert(world.submit(old, wallet), 'DateOutOfWindow', [utcDate(now - 2 * DAY), blockDate]);
    expect(await records([wallet.address])).toEqual(before);
    const yesterday = await world.prove(alice, wallet.address, { today: utcDate(now - DAY) });
    await (await world.submit(yesterday, wallet)).wait();
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
  });

  test('an expired credential is refused: a validUntil whose day has ended', async () => {
    const wallet = world.users[0];
    const now = await latestTime();
    // Proven yesterday, valid until yesterday: the circuit accepts it, the gate sees the day is over.
    const proof = await world.prove(alice, wallet.address, { today: utcDate(now - DAY), validUntil: utcDate(now - DAY) });
    await expectRevert(world.submit(proof, wallet), 'CredentialExpired', [utcDate(now - DAY), utcDate(now)]);
    expect(await world.gate.verifiedUntil(POLICY_ID, wallet.address)).toBe(0n);
  });

  test('a revoked leaf stops working once its last root is older than maxRootAge', async () => {
    const wallet = world.users[0];
    const proof = await world.prove(alice, wallet.address);
    const revoked = new IssuerTree(32, world.tree.leaves()); // a copy: the chain rewinds, the JS tree would not
    revoked.revoke(alice.index);
    await world.publish(revoked);
    // Inside maxRootAge the in-flight proof still lands…
    const inFlight = await snapshot();
    await (await world.submit(proof, wallet)).wait();
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
    await revertTo(inFlight);
    // …after it, the superseded root is refused.
    await increaseTime(3601);
    const fresh = await world.prove(bob, world.users[1].address, { tree: revoked }); // the new root still works
    await (await world.submit(fresh, world.users[1])).wait();
    await expectRevert(world.submit(proof, wallet), 'RootNotAcceptable', [ISSUER_ID, proof.root]);
    expect(await world.gate.verifiedUntil(POLICY_ID, wallet.address)).toBe(0n);
  });

  test('a root from an issuer the policy does not accept, or of a suspended issuer, is refused', async () => {
    const [wallet, otherPublisher] = world.users;
    await (await world.registry.addIssuer(2, 'did:example:issuer-2', otherPublisher.address, 32)).wait();
    const otherTree = new IssuerTree(32);
    otherTree.append(world.tree.leaf(alice.index)); // issuer 2 holds alice's leaf at index 0
    await world.publish(otherTree, 2n, otherPublisher);
    const proof = await world.prove({ ...alice, index: 0 }, wallet.address, { tree: otherTree });
    await expectRevert(world.submit(proof, wallet), 'IssuerNotAccepted', [POLICY_ID, 2n]);

    await (await world.registry.suspendIssuer(2, 'key compromise')).wait();
    await expectRevert(world.submit(proof, wallet), 'RootNotAcceptable', [2n, otherTree.root]);
    // An unpublished root is unknown (issuer 0).
    const unknownTree = new IssuerTree(32, [world.tree.leaf(alice.index), 5n]);
    const unknown = await world.prove({ ...alice, index: 0 }, wallet.address, { tree: unknownTree });
    await expectRevert(world.submit(unknown, wallet), 'RootNotAcceptable', [0n, unknownTree.root]);
    expect(await world.gate.verifiedUntil(POLICY_ID, wallet.address)).toBe(0n);
  });
});

describe('tree depths', () => {
  test('a depth-20 issuer’s proofs go to the depth-20 verifier', async () => {
    const [wallet, smallPublisher] = world.users;
    await (await world.registry.addIssuer(3, 'did:example:small', smallPublisher.address, 20)).wait();
    await (await world.gate.setPolicy(POLICY_ID, policySpec({ acceptedIssuers: [ISSUER_ID, 3n] }))).wait();
    const small = new IssuerTree(20, [world.tree.leaf(alice.index)]);
    await world.publish(small, 3n, smallPublisher);
    await world.register({ ...alice, index: 0 }, wallet, { tree: small });
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
  });
});

describe('nullifier and wallet bindings', () => {
  test('maxWalletsPerInvestor counts one person’s wallets; revokeWallet frees a slot', async () => {
    const LIMITED = 3n;
    await (await world.gate.setPolicy(LIMITED, policySpec({ policyId: LIMITED, maxWalletsPerInvestor: 2 }))).wait();
    const [w1, w2, w3] = world.users;
    const p1 = await world.register(alice, w1, { policyId: LIMITED });
    await world.register(alice, w2, { policyId: LIMITED });
    const investor = p1.nullifier & TAG_MASK;
    expect(await world.gate.walletCount(LIMITED, investor)).toBe(2n);
    const third = await world.prove(alice, w3.address, { policyId: LIMITED });
    await expectRevert(world.submit(third, w3, LIMITED), 'TooManyWallets', [investor, 2n, 2n]);
    expect(await world.gate.verifiedUntil(LIMITED, w3.address)).toBe(0n);
    expect(await world.gate.walletCount(LIMITED, investor)).toBe(2n);
    // Re-proving an already bound wallet is a refresh, not a new wallet.
    await (await world.submit(await world.prove(alice, w1.address, { policyId: LIMITED }), w1, LIMITED)).wait();
    expect(await world.gate.walletCount(LIMITED, investor)).toBe(2n);

    await (await world.gate.revokeWallet(LIMITED, w2.address, 'lost device')).wait();
    expect(await world.gate.isVerified(LIMITED, w2.address)).toBe(false);
    expect(await world.gate.walletCount(LIMITED, investor)).toBe(1n);
    await (await world.submit(third, w3, LIMITED)).wait();
    expect(await world.gate.isVerified(LIMITED, w3.address)).toBe(true);
    await expectRevert(world.gate.revokeWallet(LIMITED, w2.address, 'again'), 'WalletNotRegistered', [LIMITED, w2.address]);
  });

  test('a wallet bound to one investor cannot be re-registered by another', async () => {
    const wallet = world.users[0];
    const first = await world.register(alice, wallet);
    const bobs = await world.prove(bob, wallet.address);
    await expectRevert(world.submit(bobs, wallet), 'WalletBoundToOtherInvestor', [
      wallet.address,
      first.nullifier & TAG_MASK,
      bobs.nullifier & TAG_MASK,
    ]);
    expect(await world.gate.investorOf(POLICY_ID, wallet.address)).toBe(first.nullifier & TAG_MASK);
  });

  test('policy changes apply to new proofs; revokeWallets ends registrations at once', async () => {
    const [w1, w2] = world.users;
    await world.register(alice, w1);
    const old = await world.prove(bob, w2.address);
    await (await world.gate.setPolicy(POLICY_ID, policySpec({ ttl: 10 * DAY, minKycLevel: 3 }))).wait();
    // The existing registration stands; a proof made under the old parameters no longer matches.
    expect(await world.gate.isVerified(POLICY_ID, w1.address)).toBe(true);
    const stored = await world.gate.policy(POLICY_ID);
    await expectRevert(world.submit(old, w2), 'PolicyHashMismatch', [stored.policyHash, old.policyHash]);
    await world.register(bob, w2);
    expect(await world.gate.verifiedUntil(POLICY_ID, w2.address)).toBe(BigInt((await latestTime()) + 10 * DAY));

    await (await world.gate.revokeWallets(POLICY_ID, [w1.address, w2.address], 'policy change')).wait();
    expect(await world.gate.isVerified(POLICY_ID, w1.address)).toBe(false);
    expect(await world.gate.investorOf(POLICY_ID, w2.address)).toBe(0n);
    await expectRevert(world.gate.connect(w1).revokeWallets(POLICY_ID, [w2.address], 'x'), 'AccessControlUnauthorizedAccount');
    expect(hre.network.name).toBe('hardhat');
  });
});
