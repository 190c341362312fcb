/**
 * ComplianceGate with real proofs: a registration records the wallet, and each refusal of
 * DESIGN §8 that the gate owns names its check and leaves every record as it was.
 */
import { computePolicyHash, computeScope, computeNullifier, jurisdictionIndex } from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { ContractWallet__factory } from '@zkkyc/contracts/typechain';
import { isPolicyAgent } from '../../packages/sdk/src/contracts.js';
import { BASE_POLICY, DAY, ISSUER_ID, POLICY_ID, World, args, closeProver, eventsOf, expectRevert, increaseTime, latestTime, policySpec, revertTo, snapshot, utcDate, type Holder } from './fixture.js';

const TAG_MASK = (1n << 192n) - 1n;
/** `type(uint64).max`: a bar that lasts until lifted. */
const UNTIL_LIFTED = (1n << 64n) - 1n;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
/** IIssuerRegistry.RootState, by name. */
const State = { Unknown: 0n, Current: 1n, Superseded: 2n, Expired: 3n, Stale: 4n, Rejected: 5n, IssuerSuspended: 6n } as const;

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
async function records(wallets: string[], policyId = POLICY_ID) {
  return Promise.all(
    wallets.map(async (w) => ({
      until: await world.gate.verifiedUntil(policyId, w),
      investor: await world.gate.investorOf(policyId, w),
      bar: await world.gate.walletBarredUntil(policyId, w),
      nonce: await world.gate.nonces(w),
    })),
  );
}

/** The EIP-712 consent `signer` gives for `proof`'s wallet and `nonce`. */
async function consent(signer: { signTypedData: typeof world.admin.signTypedData }, pubSignals: bigint[], nonce: bigint, deadline: number, policyId = POLICY_ID) {
  return signer.signTypedData(
    { name: 'zkkyc ComplianceGate', version: '1', chainId: world.chainId, verifyingContract: await world.gate.getAddress() },
    { Consent: ['policyId', 'nullifier', 'context', 'nonce', 'deadline'].map((name) => ({ name, type: 'uint256' })) },
    { policyId, nullifier: pubSignals[0], context: pubSignals[3], nonce, deadline },
  );
}

describe('policies', () => {
  test('scope and policyHash are computed on-chain exactly as @zkkyc/credentials computes them', async () => {
    const stored = await world.gate.policy(POLICY_ID);
    const scope = computeScope(world.chainId, await world.gate.getAddress(), POLICY_ID);
    expect(stored.scope).toBe(scope);
    expect(stored.policyHash).toBe(computePolicyHash(scope, BASE_POLICY));
  });

  test('setPolicy logs every parameter with the version, scope and policyHash it computed', async () => {
    const spec = policySpec({ policyId: 2, ttl: 5 * DAY, maxWalletsPerInvestor: 3, minKycLevel: 4 });
    const logged = await eventsOf(world.gate.setPolicy(2, spec), world.gate, 'PolicySet');
    const stored = await world.gate.policy(2);
    expect(logged).toHaveLength(1);
    const [policyId, version, scope, policyHash, params] = logged[0] as [bigint, bigint, bigint, bigint, { toArray(deep: boolean): unknown[] }];
    expect([policyId, version, scope, policyHash]).toEqual([2n, 1n, stored.scope, stored.policyHash]);
    expect(params.toArray(true)).toEqual([spec.jurisdictionMask, BigInt(spec.minAge), BigInt(spec.investorClassMask), BigInt(spec.minKycLevel), [ISSUER_ID], BigInt(5 * DAY), 3n]);
    // Replacing it bumps the version.
    expect((await eventsOf(world.gate.setPolicy(2, spec), world.gate, 'PolicySet'))[0][1]).toBe(2n);
  });

  test('bad parameters are refused with the field named, and nothing changes', async () => {
    const before = await world.gate.policy(POLICY_ID);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), jurisdictionMask: 1n << 249n }), 'PolicyParamInvalid', ['jurisdictionMask', 1n << 249n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), jurisdictionMask: 0n }), 'PolicyParamInvalid', ['jurisdictionMask', 0n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), ttl: 0 }), 'PolicyParamInvalid', ['ttl', 0n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), acceptedIssuers: [] }), 'PolicyParamInvalid', ['acceptedIssuers', 0n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), acceptedIssuers: [9] }), 'PolicyParamInvalid', ['acceptedIssuers', 9n]);
    await expectRevert(world.gate.setPolicy(POLICY_ID, { ...policySpec(), maxWalletsPerInvestor: 2 }), 'WalletLimitCannotBeEnabled', [POLICY_ID]);
    expect(await world.gate.policy(POLICY_ID)).toEqual(before);
  });

  test('only POLICY_ADMIN_ROLE sets policies; only AGENT_ROLE or the policy agent revokes wallets', async () => {
    const outsider = world.users[9];
    const policyAdmin = await world.gate.POLICY_ADMIN_ROLE();
    await expectRevert(world.gate.connect(outsider).setPolicy(2, policySpec({ policyId: 2 })), 'AccessControlUnauthorizedAccount', [outsider.address, policyAdmin]);
    await expectRevert(world.gate.connect(outsider).revokeWallet(POLICY_ID, outsider.address, 'x'), 'NotPolicyAgent', [POLICY_ID, outsider.address]);
    expect((await world.gate.policy(2)).config.exists).toBe(false);
  });
});

describe('registration', () => {
  test('records the wallet until min(end of validUntil, now + ttl), bound to the nullifier', async () => {
    const wallet = world.users[0];
    const proof = await world.prove(alice, wallet.address);
    // The registration is logged with the nullifier, the end of the record, the issuer and the root.
    const logged = await eventsOf(world.submit(proof, wallet), world.gate, 'WalletVerified');
    const now = await latestTime();
    expect(logged).toEqual([args(POLICY_ID, wallet.address, proof.nullifier, now + 30 * DAY, ISSUER_ID, world.tree.root)]);
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
    await expectRevert(world.gate.connect(wallet).verify(POLICY_ID, tamperedA, pB, pC, pubSignals), 'InvalidProof', []);
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
    const rebound = [pubSignals[0], pubSignals[1], pubSignals[2], ((pubSignals[3] >> 160n) << 160n) | BigInt(thief.address)] as typeof pubSignals;
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
    const sign = (signer: typeof wallet, nonce: bigint) => consent(signer, pubSignals, nonce, deadline);
    const before = await records([wallet.address]);
    await expectRevert(world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, await sign(stranger, 0n)), 'InvalidConsentSignature', [wallet.address]);
    const expired = world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline - 7200, await sign(wallet, 0n));
    const refusal = await expectRevert(expired, 'ConsentExpired');
    expect(refusal.args[0]).toBe(BigInt(deadline - 7200));
    expect(refusal.args[1]).toBeGreaterThan(BigInt(deadline - 7200));
    expect(await records([wallet.address])).toEqual(before);
    expect(await world.gate.nonces(wallet.address)).toBe(0n);

    const given = await sign(wallet, 0n);
    await (await world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, given)).wait();
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
    expect(await world.gate.nonces(wallet.address)).toBe(1n);
    // The nonce moved on, so the same consent cannot be replayed.
    await expectRevert(world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, given), 'InvalidConsentSignature', [wallet.address]);
  });

  test('a smart-contract wallet consents through ERC-1271, and only its owner key can', async () => {
    const [owner, relayer, stranger] = world.users;
    const contractWallet = await (await new ContractWallet__factory(owner).deploy(owner.address)).waitForDeployment();
    const walletAddress = await contractWallet.getAddress();
    const proof = await world.prove(alice, walletAddress);
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const deadline = (await latestTime()) + 3600;
    // A signature the wallet contract does not vouch for (another key's) is refused.
    const before = await records([walletAddress]);
    await expectRevert(world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, await consent(stranger, pubSignals, 0n, deadline)), 'InvalidConsentSignature', [
      walletAddress,
    ]);
    expect(await records([walletAddress])).toEqual(before);
    await (await world.gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, await consent(owner, pubSignals, 0n, deadline))).wait();
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
    await expectRevert(world.submit(proof, wallet), 'RootNotAcceptable', [ISSUER_ID, proof.root, State.Expired]);
    expect(await world.gate.verifiedUntil(POLICY_ID, wallet.address)).toBe(0n);
  });

  test('a root only an issuer the policy does not accept published, an unpublished root, or a suspended issuer’s root is refused', async () => {
    const [wallet, otherPublisher] = world.users;
    await (await world.registry.addIssuer(2, 'did:example:issuer-2', otherPublisher.address, 32)).wait();
    const otherTree = new IssuerTree(32);
    otherTree.append(world.tree.leaf(alice.index)); // issuer 2 holds alice's leaf at index 0
    await world.publish(otherTree, 2n, otherPublisher);
    const proof = await world.prove({ ...alice, index: 0 }, wallet.address, { tree: otherTree });
    const before = await records([wallet.address]);
    // No issuer the policy accepts published that root: the gate names none (issuer 0).
    await expectRevert(world.submit(proof, wallet), 'RootNotAcceptable', [0n, otherTree.root, State.Unknown]);
    // An unpublished root is unknown too.
    const unknownTree = new IssuerTree(32, [world.tree.leaf(alice.index), 5n]);
    const unknown = await world.prove({ ...alice, index: 0 }, wallet.address, { tree: unknownTree });
    await expectRevert(world.submit(unknown, wallet), 'RootNotAcceptable', [0n, unknownTree.root, State.Unknown]);
    // The accepted issuer, suspended: its root is refused with the issuer and the reason named.
    const own = await world.prove(alice, wallet.address);
    await (await world.registry.suspendIssuer(ISSUER_ID, 'key compromise')).wait();
    await expectRevert(world.submit(own, wallet), 'RootNotAcceptable', [ISSUER_ID, world.tree.root, State.IssuerSuspended]);
    expect(await records([wallet.address])).toEqual(before);
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
    await expectRevert(world.submit(bobs, wallet), 'WalletBoundToOtherInvestor', [wallet.address, first.nullifier & TAG_MASK, bobs.nullifier & TAG_MASK]);
    expect(await world.gate.investorOf(POLICY_ID, wallet.address)).toBe(first.nullifier & TAG_MASK);
  });

  test('policy changes apply to new proofs; revokeWallets ends registrations at once', async () => {
    const [w1, w2] = world.users;
    const alices = await world.register(alice, w1);
    const old = await world.prove(bob, w2.address);
    await (await world.gate.setPolicy(POLICY_ID, policySpec({ ttl: 10 * DAY, minKycLevel: 3 }))).wait();
    // The existing registration stands; a proof made under the old parameters no longer matches.
    expect(await world.gate.isVerified(POLICY_ID, w1.address)).toBe(true);
    const stored = await world.gate.policy(POLICY_ID);
    await expectRevert(world.submit(old, w2), 'PolicyHashMismatch', [stored.policyHash, old.policyHash]);
    const bobs = await world.register(bob, w2);
    expect(await world.gate.verifiedUntil(POLICY_ID, w2.address)).toBe(BigInt((await latestTime()) + 10 * DAY));

    expect(await eventsOf(world.gate.revokeWallets(POLICY_ID, [w1.address, w2.address], 'policy change'), world.gate, 'WalletRevoked')).toEqual([
      args(POLICY_ID, w1.address, alices.nullifier & TAG_MASK, 'policy change'),
      args(POLICY_ID, w2.address, bobs.nullifier & TAG_MASK, 'policy change'),
    ]);
    expect(await world.gate.isVerified(POLICY_ID, w1.address)).toBe(false);
    expect(await world.gate.investorOf(POLICY_ID, w2.address)).toBe(0n);
    await expectRevert(world.gate.connect(w1).revokeWallets(POLICY_ID, [w2.address], 'x'), 'NotPolicyAgent', [POLICY_ID, w1.address]);
  });
});

describe('controls that stick', () => {
  test('revokeAndBar ends a registration and stops the holder replaying its proof, until lifted', async () => {
    const wallet = world.users[0];
    const proof = await world.prove(alice, wallet.address);
    await (await world.submit(proof, wallet)).wait();
    const sent = await world.gate.revokeAndBar(POLICY_ID, wallet.address, UNTIL_LIFTED, 'lost device');
    expect(await eventsOf(sent, world.gate, 'WalletRevoked')).toEqual([args(POLICY_ID, wallet.address, proof.nullifier & TAG_MASK, 'lost device')]);
    expect(await eventsOf(sent, world.gate, 'WalletBarSet')).toEqual([args(POLICY_ID, wallet.address, UNTIL_LIFTED, 'lost device')]);
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(false);
    expect(await world.gate.walletBarredUntil(POLICY_ID, wallet.address)).toBe(UNTIL_LIFTED);
    // The same proof (its root still current, its date still today) is refused, and nothing changes.
    const before = await records([wallet.address]);
    await expectRevert(world.submit(proof, wallet), 'WalletBarred', [POLICY_ID, wallet.address, UNTIL_LIFTED]);
    expect(await records([wallet.address])).toEqual(before);

    expect(await eventsOf(world.gate.liftWalletBar(POLICY_ID, wallet.address, 'device recovered'), world.gate, 'WalletBarLifted')).toEqual([args(POLICY_ID, wallet.address, 'device recovered')]);
    expect(await world.gate.walletBarredUntil(POLICY_ID, wallet.address)).toBe(0n);
    await (await world.submit(proof, wallet)).wait();
    expect(await world.gate.isVerified(POLICY_ID, wallet.address)).toBe(true);
  });

  test('barWallet works on an unregistered wallet, leaves a registration standing, and a timed bar ends by itself', async () => {
    const [registered, fresh] = world.users;
    await world.register(alice, registered);
    const now = await latestTime();
    expect(await eventsOf(world.gate.barWallet(POLICY_ID, fresh.address, now + DAY, 'under review'), world.gate, 'WalletBarSet')).toEqual([args(POLICY_ID, fresh.address, now + DAY, 'under review')]);
    const proof = await world.prove(bob, fresh.address);
    await expectRevert(world.submit(proof, fresh), 'WalletBarred', [POLICY_ID, fresh.address, now + DAY]);
    expect(await world.gate.investorOf(POLICY_ID, fresh.address)).toBe(0n);
    expect(await world.gate.isVerified(POLICY_ID, fresh.address)).toBe(false);
    // A bar on a registered wallet stops its refresh, not its registration (revoke for that): the
    // record the token reads keeps its end and its investor.
    const standing = await records([registered.address]);
    await (await world.gate.barWallet(POLICY_ID, registered.address, UNTIL_LIFTED, 'under review')).wait();
    expect(await world.gate.isVerified(POLICY_ID, registered.address)).toBe(true);
    expect(await world.gate.verifiedUntil(POLICY_ID, registered.address)).toBe(standing[0].until);
    expect(await world.gate.investorOf(POLICY_ID, registered.address)).toBe(standing[0].investor);
    const refresh = await world.prove(alice, registered.address);
    const before = await records([registered.address, fresh.address]);
    await expectRevert(world.submit(refresh, registered), 'WalletBarred', [POLICY_ID, registered.address, UNTIL_LIFTED]);
    expect(await records([registered.address, fresh.address])).toEqual(before);
    // Revoked afterwards, it stays barred.
    await (await world.gate.revokeWallet(POLICY_ID, registered.address, 'lost device')).wait();
    expect(await world.gate.investorOf(POLICY_ID, registered.address)).toBe(0n);
    await expectRevert(world.submit(refresh, registered), 'WalletBarred', [POLICY_ID, registered.address, UNTIL_LIFTED]);
    // A timed bar ends by itself (the proof, dated yesterday by then, is still in its window).
    await increaseTime(DAY);
    await (await world.submit(proof, fresh)).wait();
    expect(await world.gate.isVerified(POLICY_ID, fresh.address)).toBe(true);
    await expectRevert(world.gate.liftWalletBar(POLICY_ID, fresh.address, 'x'), 'WalletNotBarred', [POLICY_ID, fresh.address]);
  });

  test('after an issuer revokes a credential, an investor bar stops every wallet of that person at once', async () => {
    const [w1, w2] = world.users;
    const first = await world.register(alice, w1);
    const tag = first.nullifier & TAG_MASK;
    // The issuer revokes alice's credential; the old root stays acceptable for maxRootAge, so
    // without a bar alice could still register a new wallet with a proof against it.
    const revoked = new IssuerTree(32, world.tree.leaves());
    revoked.revoke(alice.index);
    await world.publish(revoked);
    const replay = await world.prove(alice, w2.address);
    expect(await world.registry.isRootAcceptable(ISSUER_ID, replay.root)).toBe(true);

    // The agent bars the investor (a full nullifier is accepted and stored by its tag) and revokes its wallets.
    expect(await eventsOf(world.gate.barInvestor(POLICY_ID, first.nullifier, UNTIL_LIFTED, 'credential revoked'), world.gate, 'InvestorBarSet')).toEqual([
      args(POLICY_ID, tag, UNTIL_LIFTED, 'credential revoked'),
    ]);
    expect(await world.gate.investorBarredUntil(POLICY_ID, tag)).toBe(UNTIL_LIFTED);
    await (await world.gate.revokeWallet(POLICY_ID, w1.address, 'credential revoked')).wait();
    const before = await records([w1.address, w2.address]);
    await expectRevert(world.submit(replay, w2), 'InvestorBarred', [POLICY_ID, tag, UNTIL_LIFTED]);
    await expectRevert(world.submit(first, w1), 'InvestorBarred', [POLICY_ID, tag, UNTIL_LIFTED]);
    expect(await records([w1.address, w2.address])).toEqual(before);

    // Re-verified, the person (same identity, so same tag) comes back once the bar is lifted.
    expect(await eventsOf(world.gate.liftInvestorBar(POLICY_ID, tag, 're-verified'), world.gate, 'InvestorBarLifted')).toEqual([args(POLICY_ID, tag, 're-verified')]);
    await (await world.submit(replay, w2)).wait();
    expect(await world.gate.investorOf(POLICY_ID, w2.address)).toBe(tag);
  });

  test('bars refuse bad input and callers without AGENT_ROLE, and change nothing', async () => {
    const gate = world.gate;
    const [wallet] = world.users;
    const outsider = world.users[9];
    const agent = await gate.AGENT_ROLE();
    const bars = async () => [await gate.walletBarredUntil(POLICY_ID, wallet.address), await gate.investorBarredUntil(POLICY_ID, 5n)];
    const before = await bars();
    const now = await latestTime();
    const past = await expectRevert(gate.barWallet(POLICY_ID, wallet.address, now, 'x'), 'BarEndsInPast');
    expect(past.args[0]).toBe(BigInt(now));
    expect(past.args[1]).toBeGreaterThanOrEqual(BigInt(now));
    await expectRevert(gate.barInvestor(POLICY_ID, 5n, now, 'x'), 'BarEndsInPast');
    await expectRevert(gate.barWallet(POLICY_ID, ZERO_ADDRESS, UNTIL_LIFTED, 'x'), 'ZeroAddress', ['wallet']);
    await expectRevert(gate.barInvestor(POLICY_ID, 1n << 192n, UNTIL_LIFTED, 'x'), 'InvalidInvestorTag', [1n << 192n]);
    await expectRevert(gate.liftWalletBar(POLICY_ID, wallet.address, 'x'), 'WalletNotBarred', [POLICY_ID, wallet.address]);
    await expectRevert(gate.liftInvestorBar(POLICY_ID, 5n, 'x'), 'InvestorNotBarred', [POLICY_ID, 5n]);
    await expectRevert(gate.revokeAndBar(POLICY_ID, wallet.address, UNTIL_LIFTED, 'x'), 'WalletNotRegistered', [POLICY_ID, wallet.address]);
    const o = gate.connect(outsider);
    for (const call of [() => o.barInvestor(POLICY_ID, 5n, UNTIL_LIFTED, 'x'), () => o.liftWalletBar(POLICY_ID, wallet.address, 'x'), () => o.liftInvestorBar(POLICY_ID, 5n, 'x')]) {
      await expectRevert(call(), 'AccessControlUnauthorizedAccount', [outsider.address, agent]);
    }
    for (const call of [() => o.barWallet(POLICY_ID, wallet.address, UNTIL_LIFTED, 'x'), () => o.revokeAndBar(POLICY_ID, wallet.address, UNTIL_LIFTED, 'x')]) {
      await expectRevert(call(), 'NotPolicyAgent', [POLICY_ID, outsider.address]);
    }
    expect(await bars()).toEqual(before);
  });

  test('a wallet cancels a consent it signed before a relayer uses it', async () => {
    const gate = world.gate;
    const [wallet, relayer] = world.users;
    const proof = await world.prove(alice, wallet.address);
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const deadline = (await latestTime()) + 3600;
    const given = await consent(wallet, pubSignals, 0n, deadline);
    expect(await eventsOf(gate.connect(wallet).cancelConsent(0n), gate, 'ConsentCancelled')).toEqual([args(wallet.address, 0n)]);
    expect(await gate.nonces(wallet.address)).toBe(1n);
    const before = await records([wallet.address]);
    await expectRevert(gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, given), 'InvalidConsentSignature', [wallet.address]);
    // Only the current nonce can be cancelled, so a stale request cannot burn a later consent.
    await expectRevert(gate.connect(wallet).cancelConsent(0n), 'InvalidAccountNonce', [wallet.address, 1n]);
    expect(await records([wallet.address])).toEqual(before);
    // A consent over the next nonce works.
    await (await gate.connect(relayer).verifyFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, await consent(wallet, pubSignals, 1n, deadline))).wait();
    expect(await gate.isVerified(POLICY_ID, wallet.address)).toBe(true);

    // A contract wallet cancels by calling the gate itself.
    const contractWallet = await (await new ContractWallet__factory(relayer).deploy(relayer.address)).waitForDeployment();
    const call = gate.interface.encodeFunctionData('cancelConsent', [0n]);
    expect(await eventsOf(contractWallet.execute(await gate.getAddress(), call), gate, 'ConsentCancelled')).toEqual([args(await contractWallet.getAddress(), 0n)]);
  });

  test('removing an issuer from a policy refuses its roots from the next proof on', async () => {
    const [w1, w2, publisher2] = world.users;
    await (await world.registry.addIssuer(2, 'did:example:issuer-2', publisher2.address, 32)).wait();
    const tree2 = new IssuerTree(32, [world.tree.leaf(bob.index)]); // issuer 2 holds bob's leaf at index 0
    await world.publish(tree2, 2n, publisher2);
    const viaIssuer2 = { ...bob, index: 0 };
    const p1 = await world.prove(viaIssuer2, w1.address, { tree: tree2 });
    const p2 = await world.prove(viaIssuer2, w2.address, { tree: tree2 });

    // Accepted second: found after issuer 1 did not know the root.
    await (await world.gate.setPolicy(POLICY_ID, policySpec({ acceptedIssuers: [ISSUER_ID, 2n] }))).wait();
    const logged = await eventsOf(world.submit(p1, w1), world.gate, 'WalletVerified');
    expect(logged).toEqual([args(POLICY_ID, w1.address, p1.nullifier, (await latestTime()) + 30 * DAY, 2n, tree2.root)]);
    // Removed: refused.
    await (await world.gate.setPolicy(POLICY_ID, policySpec({ acceptedIssuers: [ISSUER_ID] }))).wait();
    expect(await world.gate.acceptsIssuer(POLICY_ID, 2)).toBe(false);
    const before = await records([w1.address, w2.address]);
    await expectRevert(world.submit(p2, w2), 'RootNotAcceptable', [0n, tree2.root, State.Unknown]);
    expect(await records([w1.address, w2.address])).toEqual(before);

    // A policy created with the issuer first, then without it: refused as well.
    const OTHER = 4n;
    await (await world.gate.setPolicy(OTHER, policySpec({ policyId: OTHER, acceptedIssuers: [2n, ISSUER_ID] }))).wait();
    const q1 = await world.prove(viaIssuer2, w1.address, { tree: tree2, policyId: OTHER });
    const q2 = await world.prove(viaIssuer2, w2.address, { tree: tree2, policyId: OTHER });
    await (await world.submit(q1, w1, OTHER)).wait();
    await (await world.gate.setPolicy(OTHER, policySpec({ policyId: OTHER, acceptedIssuers: [ISSUER_ID] }))).wait();
    const after = await records([w1.address, w2.address], OTHER);
    await expectRevert(world.submit(q2, w2, OTHER), 'RootNotAcceptable', [0n, tree2.root, State.Unknown]);
    expect(await records([w1.address, w2.address], OTHER)).toEqual(after);
  });

  test('another issuer publishing the accepted issuer’s root first changes nothing for the policy', async () => {
    const [wallet, squatter] = world.users;
    await (await world.registry.addIssuer(2, 'did:example:squatter', squatter.address, 32)).wait();
    const next = new IssuerTree(32, world.tree.leaves());
    next.append(7n); // the issuer's next root
    await world.publish(next, 2n, squatter); // front-run by issuer 2's publisher
    await world.publish(next); // the real issuer still publishes it
    const proof = await world.prove(alice, wallet.address, { tree: next });
    const logged = await eventsOf(world.submit(proof, wallet), world.gate, 'WalletVerified');
    expect(logged).toEqual([args(POLICY_ID, wallet.address, proof.nullifier, (await latestTime()) + 30 * DAY, ISSUER_ID, next.root)]);
  });

  test('rejected, stale and cut-off roots are refused at registration at once', async () => {
    const [wallet, rotatedKey] = world.users;
    const proof = await world.prove(alice, wallet.address);
    const root = world.tree.root;
    const before = await records([wallet.address]);
    let start = await snapshot();

    await (await world.registry.rejectRoot(ISSUER_ID, root, 'published with a stolen key')).wait();
    await expectRevert(world.submit(proof, wallet), 'RootNotAcceptable', [ISSUER_ID, root, State.Rejected]);
    await revertTo(start);
    start = await snapshot();

    // The issuer stopped publishing for longer than its maximum current-root age.
    await (await world.registry.setMaxCurrentRootAge(ISSUER_ID, 3600)).wait();
    await increaseTime(3601);
    await expectRevert(world.submit(proof, wallet), 'RootNotAcceptable', [ISSUER_ID, root, State.Stale]);
    await revertTo(start);

    // Suspend, rotate, replace while suspended, reactivate: the old root is cut off inside maxRootAge.
    await (await world.registry.suspendIssuer(ISSUER_ID, 'stolen key')).wait();
    await (await world.registry.rotatePublisher(ISSUER_ID, rotatedKey.address)).wait();
    const clean = new IssuerTree(32, world.tree.leaves());
    clean.append(9n);
    await world.publish(clean, ISSUER_ID, rotatedKey);
    await (await world.registry.reactivateIssuer(ISSUER_ID)).wait();
    await expectRevert(world.submit(proof, wallet), 'RootNotAcceptable', [ISSUER_ID, root, State.Expired]);
    expect(await records([wallet.address])).toEqual(before);
  });
});

describe('policy agents', () => {
  test('a policy agent revokes and bars wallets under its policy only, and nothing else', async () => {
    const gate = world.gate;
    const tokenLike = world.users[8]; // stands for a token: a policy agent of policy 1
    const outsider = world.users[9];
    const [w1, w2, w3] = world.users;
    await (await gate.setPolicy(2, policySpec({ policyId: 2 }))).wait();
    await world.register(alice, w1);
    await world.register(alice, w2);
    await world.register(alice, w1, { policyId: 2n });

    expect(await eventsOf(gate.setPolicyAgent(POLICY_ID, tokenLike.address, true), gate, 'PolicyAgentSet')).toEqual([args(POLICY_ID, tokenLike.address, true, world.admin.address)]);
    expect(await isPolicyAgent(gate, POLICY_ID, tokenLike.address)).toBe(true);
    const t = gate.connect(tokenLike);
    // Under its policy: revoke, bar, revoke-and-bar.
    await (await t.revokeWallet(POLICY_ID, w1.address, 'recovery')).wait();
    await (await t.barWallet(POLICY_ID, w1.address, UNTIL_LIFTED, 'recovery')).wait();
    await (await t.revokeAndBar(POLICY_ID, w2.address, UNTIL_LIFTED, 'recovery')).wait();
    expect([await gate.isVerified(POLICY_ID, w1.address), await gate.isVerified(POLICY_ID, w2.address)]).toEqual([false, false]);
    // Under another policy: nothing.
    await expectRevert(t.revokeWallet(2n, w1.address, 'x'), 'NotPolicyAgent', [2n, tokenLike.address]);
    await expectRevert(t.barWallet(2n, w3.address, UNTIL_LIFTED, 'x'), 'NotPolicyAgent', [2n, tokenLike.address]);
    await expectRevert(t.revokeAndBar(2n, w1.address, UNTIL_LIFTED, 'x'), 'NotPolicyAgent', [2n, tokenLike.address]);
    await expectRevert(t.revokeWallets(2n, [w1.address], 'x'), 'NotPolicyAgent', [2n, tokenLike.address]);
    expect(await gate.isVerified(2n, w1.address)).toBe(true);
    expect(await gate.walletBarredUntil(2n, w3.address)).toBe(0n);
    // Investor bars and lifting bars stay with AGENT_ROLE.
    const agentRole = await gate.AGENT_ROLE();
    await expectRevert(t.barInvestor(POLICY_ID, 5n, UNTIL_LIFTED, 'x'), 'AccessControlUnauthorizedAccount', [tokenLike.address, agentRole]);
    await expectRevert(t.liftWalletBar(POLICY_ID, w1.address, 'x'), 'AccessControlUnauthorizedAccount', [tokenLike.address, agentRole]);

    // Only POLICY_ADMIN_ROLE names policy agents; bad input is refused.
    const policyAdmin = await gate.POLICY_ADMIN_ROLE();
    await expectRevert(gate.connect(outsider).setPolicyAgent(2n, outsider.address, true), 'AccessControlUnauthorizedAccount', [outsider.address, policyAdmin]);
    await expectRevert(gate.setPolicyAgent(9n, outsider.address, true), 'PolicyNotFound', [9n]);
    await expectRevert(gate.setPolicyAgent(2n, ZERO_ADDRESS, true), 'ZeroAddress', ['account']);
    await expectRevert(gate.setPolicyAgent(POLICY_ID, tokenLike.address, true), 'PolicyAgentUnchanged', [POLICY_ID, tokenLike.address, true]);
    // Taken back, the right is gone.
    expect(await eventsOf(gate.setPolicyAgent(POLICY_ID, tokenLike.address, false), gate, 'PolicyAgentSet')).toEqual([args(POLICY_ID, tokenLike.address, false, world.admin.address)]);
    await expectRevert(t.barWallet(POLICY_ID, w3.address, UNTIL_LIFTED, 'x'), 'NotPolicyAgent', [POLICY_ID, tokenLike.address]);
    expect(await isPolicyAgent(gate, POLICY_ID, tokenLike.address)).toBe(false);
  });

  test('a policy agent cannot shorten a bar set by AGENT_ROLE; it may extend one', async () => {
    const gate = world.gate;
    const tokenLike = world.users[8];
    const w = world.users[3];
    await (await gate.setPolicyAgent(POLICY_ID, tokenLike.address, true)).wait();
    const t = gate.connect(tokenLike);
    // A permanent bar by AGENT_ROLE: the policy agent cannot turn it into a one-second bar.
    await (await gate.barWallet(POLICY_ID, w.address, UNTIL_LIFTED, 'fraud')).wait();
    const now = await latestTime();
    await expectRevert(t.barWallet(POLICY_ID, w.address, now + 10, 'x'), 'BarWouldShorten', [POLICY_ID, w.address, BigInt(UNTIL_LIFTED), BigInt(now + 10)]);
    expect(await gate.walletBarredUntil(POLICY_ID, w.address)).toBe(BigInt(UNTIL_LIFTED));
    // A timed bar may be extended by the policy agent, and AGENT_ROLE may still shorten it.
    const w2 = world.users[4];
    await (await gate.barWallet(POLICY_ID, w2.address, now + DAY, 'review')).wait();
    await (await t.barWallet(POLICY_ID, w2.address, now + 2 * DAY, 'review')).wait();
    expect(await gate.walletBarredUntil(POLICY_ID, w2.address)).toBe(BigInt(now + 2 * DAY));
    await (await gate.barWallet(POLICY_ID, w2.address, now + DAY, 'review')).wait();
    expect(await gate.walletBarredUntil(POLICY_ID, w2.address)).toBe(BigInt(now + DAY));
  });
});

describe('administration', () => {
  test('the admin role changes hands in two steps: the new admin must accept', async () => {
    const gate = world.gate;
    const [newAdmin, outsider] = [world.users[8], world.users[9]];
    const adminRole = await gate.DEFAULT_ADMIN_ROLE();
    await expectRevert(gate.grantRole(adminRole, newAdmin.address), 'AccessControlEnforcedDefaultAdminRules', []);
    expect(await eventsOf(gate.beginDefaultAdminTransfer(newAdmin.address), gate, 'DefaultAdminTransferScheduled')).toEqual([args(newAdmin.address, await latestTime())]);
    expect(await gate.defaultAdmin()).toBe(world.admin.address);
    expect(await gate.hasRole(adminRole, newAdmin.address)).toBe(false);
    await expectRevert(gate.connect(outsider).acceptDefaultAdminTransfer(), 'AccessControlInvalidDefaultAdmin', [outsider.address]);
    await (await gate.connect(newAdmin).acceptDefaultAdminTransfer()).wait();
    expect(await gate.defaultAdmin()).toBe(newAdmin.address);
    expect(await gate.hasRole(adminRole, world.admin.address)).toBe(false);
    // The new admin grants roles; the old one no longer can.
    const agent = await gate.AGENT_ROLE();
    await expectRevert(gate.grantRole(agent, outsider.address), 'AccessControlUnauthorizedAccount', [world.admin.address, adminRole]);
    await (await gate.connect(newAdmin).grantRole(agent, outsider.address)).wait();
    expect(await gate.hasRole(agent, outsider.address)).toBe(true);
  });
});
