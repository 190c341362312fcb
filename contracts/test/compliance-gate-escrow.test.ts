/**
 * ComplianceGate with escrow policies, with real kycPolicyEscrow32 proofs: a policy that names an
 * escrow key takes only escrow proofs, and each registration logs the holder's leaf index encrypted
 * to that key (docs/protocol.md, "Escrow"; docs/contracts.md, "Escrow registrations"). The key is
 * checked where it is set: canonical, on Baby Jubjub, not the identity, in the prime-order subgroup.
 */
import { computeEscrowPolicyHash, computePolicyHash, jurisdictionIndex } from '@zkkyc/credentials';
import {
  addPoints,
  assertSubgroupPoint,
  BASE8,
  decryptLeafIndex,
  EscrowError,
  IDENTITY,
  multiply,
  multiplyBase,
  pointFromX,
  pointsEqual,
  randomScalar,
  SNARK_FIELD,
  sqrtModP,
  SUBGROUP_ORDER,
  type Point,
} from '@zkkyc/escrow';
import { IssuerTree } from '@zkkyc/tree';
import { ComplianceGate__factory } from '@zkkyc/contracts/typechain';
import type { KycEscrowProof } from '@zkkyc/prover';
import { acceptCoreAdmin, deployZkKyc, POSEIDON_T4_LINK, POSEIDON_T6_LINK } from '../../packages/sdk/src/deploy.js';
import { connectZkKyc } from '../../packages/sdk/src/contracts.js';
import { readGatePolicy, submitRegistration } from '../../packages/sdk/src/gate-policy.js';
import { BASE_POLICY, DAY, ISSUER_ID, POLICY_ID, World, args, closeProver, eventsOf, expectRevert, latestTime, policySpec, revertTo, snapshot, type Holder } from './fixture.js';

/** Policy 2 has an escrow key; policy 1 (the fixture's) has none. */
const ESCROW_POLICY = 2n;
const TAG_MASK = (1n << 192n) - 1n;
const P = SNARK_FIELD;

let world: World;
let alice: Holder;
let bob: Holder;
let base: string;
/** The escrow secret `e` and key `E = e·Base8` of policy 2. */
let secret: bigint;
let key: Point;

beforeAll(async () => {
  world = await World.create();
  // A few leaves first, so that the leaf indices the ciphertexts hide are not 0.
  world.issue();
  world.issue();
  alice = world.issue();
  bob = world.issue({ jurisdiction: jurisdictionIndex('FR') });
  await world.publish();
  secret = randomScalar();
  key = multiplyBase(secret);
  await (await world.gate.setEscrowPolicy(ESCROW_POLICY, policySpec({ policyId: ESCROW_POLICY }), key)).wait();
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

afterAll(closeProver);

// ─── points for the key checks ─────────────────────────────────────────────────────────────

const mod = (x: bigint) => ((x % P) + P) % P;
function power(b: bigint, e: bigint): bigint {
  let result = 1n;
  for (b = mod(b); e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P;
  return result;
}

/** A curve point whose `l`-multiple has order exactly 8: `l·Q` for Q = (x, y) of order 8·l. */
function torsionPointOfOrder8(): Point {
  for (let x = 2n; ; x++) {
    const y = sqrtModP(mod((1n - 168700n * x * x) * power(1n - 168696n * x * x, P - 2n)));
    if (y === undefined) continue;
    const T = multiply([x, y], SUBGROUP_ORDER);
    if (!pointsEqual(multiply(T, 4n), IDENTITY)) return T;
  }
}

/** The rule @zkkyc/escrow's point validation refuses `point` with, in the gate's words. */
function escrowRule(point: Point): string | undefined {
  try {
    assertSubgroupPoint(point, 'E');
    return undefined;
  } catch (e) {
    const rule = (e as EscrowError).rule;
    return rule === 'not-identity' ? 'identity' : rule;
  }
}

// ─── helpers ────────────────────────────────────────────────────────────────────────────

/** The gate's events of a transaction, in log order, as [name, logIndex, args]. */
async function gateLogs(tx: Promise<{ wait(): Promise<unknown> }>): Promise<[string, number, unknown[]][]> {
  const receipt = (await (await tx).wait()) as { logs: { address: string; index: number; topics: string[]; data: string }[] };
  const address = (await world.gate.getAddress()).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => {
      const parsed = world.gate.interface.parseLog(log)!;
      return [parsed.name, log.index, args(...parsed.args)];
    });
}

/** The EIP-712 consent of `signer` for `proof`'s registration under `policyId`. */
async function escrowConsent(signer: { signTypedData: typeof world.admin.signTypedData }, proof: KycEscrowProof, nonce: bigint, deadline: number, policyId = ESCROW_POLICY) {
  return signer.signTypedData(
    { name: 'zkkyc ComplianceGate', version: '1', chainId: world.chainId, verifyingContract: await world.gate.getAddress() },
    { Consent: ['policyId', 'nullifier', 'context', 'nonce', 'deadline'].map((name) => ({ name, type: 'uint256' })) },
    { policyId, nullifier: proof.nullifier, context: proof.context, nonce, deadline },
  );
}

async function records(wallets: string[], policyId = ESCROW_POLICY) {
  return Promise.all(
    wallets.map(async (w) => ({
      until: await world.gate.verifiedUntil(policyId, w),
      investor: await world.gate.investorOf(policyId, w),
      nonce: await world.gate.nonces(w),
    })),
  );
}

// ─── policies ───────────────────────────────────────────────────────────────────────────

describe('setEscrowPolicy', () => {
  test('stores the key and Poseidon3(rulesHash, E.x, E.y), and logs PolicySet then PolicyEscrowKeySet', async () => {
    const scope = await world.gate.scopeOf(3);
    const rulesHash = computePolicyHash(scope, BASE_POLICY);
    const escrowHash = computeEscrowPolicyHash(scope, BASE_POLICY, key);
    const logs = await gateLogs(world.gate.setEscrowPolicy(3, policySpec({ policyId: 3 }), key));
    expect(logs.map(([name]) => name)).toEqual(['PolicySet', 'PolicyEscrowKeySet']);
    expect(logs[1][1]).toBe(logs[0][1] + 1);
    expect(logs[0][2].slice(0, 4)).toEqual(args(3n, 1n, scope, escrowHash));
    expect(logs[1][2]).toEqual(args(3n, 1n, key[0], key[1], rulesHash));

    const stored = await world.gate.policy(3);
    expect(stored.policyHash).toBe(escrowHash);
    expect(stored.config.escrow).toBe(true);
    expect(await world.gate.escrowKeyOf(3)).toEqual([key[0], key[1]]);
    // A policy without a key: (0, 0), and no escrow flag.
    expect(await world.gate.escrowKeyOf(POLICY_ID)).toEqual([0n, 0n]);
    expect((await world.gate.policy(POLICY_ID)).config.escrow).toBe(false);
    // The sdk reads the key with the rules, for the prover.
    expect((await readGatePolicy(world.gate, 3n)).escrowKey).toEqual([key[0], key[1]]);
    expect((await readGatePolicy(world.gate, POLICY_ID)).escrowKey).toBeUndefined();
  });

  test('refuses a key outside the prime-order subgroup with the rule @zkkyc/escrow names, and changes nothing', async () => {
    const T = torsionPointOfOrder8();
    const bad: [Point, string][] = [
      [[key[0] + P, key[1]], 'canonical'],
      [[key[0], key[1] + P], 'canonical'],
      [[1n, 2n], 'on-curve'],
      [[key[0], key[1] + 1n], 'on-curve'],
      [[0n, 1n], 'identity'],
      [[0n, P - 1n], 'subgroup'], // order 2
      [T, 'subgroup'], // order 8
      [addPoints(key, T), 'subgroup'], // E + T: a subgroup key with a low-order component
      [addPoints(key, [0n, P - 1n]), 'subgroup'],
      [addPoints(BASE8, T), 'subgroup'], // the curve's points of order 8·l fail too
    ];
    const before = await world.gate.policy(3);
    for (const [point, rule] of bad) {
      expect(escrowRule(point)).toBe(rule);
      await expectRevert(world.gate.setEscrowPolicy(3, policySpec({ policyId: 3 }), point), 'EscrowKeyInvalid', [point[0], point[1], rule]);
    }
    expect(await world.gate.policy(3)).toEqual(before);
    expect(await world.gate.escrowKeyOf(3)).toEqual([0n, 0n]);
  });

  test('accepts exactly the subgroup points @zkkyc/escrow accepts', async () => {
    const good: Point[] = [BASE8, multiply(BASE8, SUBGROUP_ORDER - 1n), multiplyBase(randomScalar()), multiplyBase(randomScalar()), key];
    for (const point of good) {
      expect(escrowRule(point)).toBeUndefined();
      await world.gate.setEscrowPolicy.staticCall(3, policySpec({ policyId: 3 }), point);
    }
    // (x, −y) is −E + (0, −1): on the curve, outside the subgroup.
    const mirrored: Point = [key[0], mod(-key[1])];
    expect(escrowRule(mirrored)).toBe('subgroup');
    await expectRevert(world.gate.setEscrowPolicy(3, policySpec({ policyId: 3 }), mirrored), 'EscrowKeyInvalid', [...mirrored, 'subgroup']);
  });

  test('checks what setPolicy checks, and only POLICY_ADMIN_ROLE may call it', async () => {
    const outsider = world.users[9];
    const policyAdmin = await world.gate.POLICY_ADMIN_ROLE();
    await expectRevert(world.gate.connect(outsider).setEscrowPolicy(3, policySpec({ policyId: 3 }), key), 'AccessControlUnauthorizedAccount', [outsider.address, policyAdmin]);
    await expectRevert(world.gate.setEscrowPolicy(3, { ...policySpec({ policyId: 3 }), ttl: 0 }, key), 'PolicyParamInvalid', ['ttl', 0n]);
    await expectRevert(world.gate.setEscrowPolicy(3, { ...policySpec({ policyId: 3 }), acceptedIssuers: [9] }, key), 'PolicyParamInvalid', ['acceptedIssuers', 9n]);
    await expectRevert(world.gate.setEscrowPolicy(POLICY_ID, { ...policySpec(), maxWalletsPerInvestor: 2 }, key), 'WalletLimitCannotBeEnabled', [POLICY_ID]);
  });

  test('a policy keeps its key: setPolicy is refused; setEscrowPolicy rotates it to a new version', async () => {
    const before = await world.gate.policy(ESCROW_POLICY);
    await expectRevert(world.gate.setPolicy(ESCROW_POLICY, policySpec({ policyId: ESCROW_POLICY })), 'EscrowCannotBeRemoved', [ESCROW_POLICY]);
    expect(await world.gate.policy(ESCROW_POLICY)).toEqual(before);

    const rotated = multiplyBase(randomScalar());
    const logs = await gateLogs(world.gate.setEscrowPolicy(ESCROW_POLICY, policySpec({ policyId: ESCROW_POLICY }), rotated));
    expect(logs.map(([name, , a]) => [name, a[1]])).toEqual([
      ['PolicySet', 2n],
      ['PolicyEscrowKeySet', 2n],
    ]);
    expect(await world.gate.escrowKeyOf(ESCROW_POLICY)).toEqual([rotated[0], rotated[1]]);
    expect((await world.gate.policy(ESCROW_POLICY)).policyHash).toBe(computeEscrowPolicyHash(before.scope, BASE_POLICY, rotated));
  });

  test('a gate deployed without an escrow verifier refuses escrow policies', async () => {
    const c = world.deployment.contracts;
    const links = { [POSEIDON_T6_LINK]: c.poseidonT6, [POSEIDON_T4_LINK]: c.poseidonT4 };
    const zero = '0x0000000000000000000000000000000000000000';
    const gate = await (await new ComplianceGate__factory(links, world.admin).deploy(world.admin.address, c.issuerRegistry, c.kycPolicyVerifier32, zero, zero)).waitForDeployment();
    expect(await gate.escrowVerifier32()).toBe(zero);
    await expectRevert(gate.setEscrowPolicy(1, policySpec(), key), 'ZeroAddress', ['escrowVerifier32']);
    await (await gate.setPolicy(1, policySpec())).wait(); // plain policies work as before
  });
});

// ─── registration ───────────────────────────────────────────────────────────────────────

describe('escrow registration', () => {
  test('logs WalletVerified then EscrowCiphertext, whose ciphertext decrypts to the holder’s leaf index', async () => {
    const wallet = world.users[0];
    const proof = await world.proveEscrow(alice, wallet.address, { policyId: ESCROW_POLICY });
    const logs = await gateLogs(world.submitEscrow(proof, wallet, ESCROW_POLICY));
    const now = await latestTime();
    expect(logs.map(([name]) => name)).toEqual(['WalletVerified', 'EscrowCiphertext']);
    expect(logs[1][1]).toBe(logs[0][1] + 1);
    // WalletVerified is exactly a plain registration's.
    expect(logs[0][2]).toEqual(args(ESCROW_POLICY, wallet.address, proof.nullifier, now + 30 * DAY, ISSUER_ID, world.tree.root));
    expect(logs[1][2]).toEqual(args(ESCROW_POLICY, wallet.address, proof.nullifier, proof.escrow.x, proof.escrow.c));

    // An auditor with e: R from its x coordinate, then K = e·R and the mask.
    const R = pointFromX(proof.escrow.x);
    expect(decryptLeafIndex(secret, { R, c: proof.escrow.c })).toBe(alice.index);
    expect(alice.index).toBe(2);
  });

  test('the wallet record is the one a plain registration writes', async () => {
    // Policy 3 plain, registered with a kycPolicy proof …
    const wallet = world.users[0];
    await (await world.gate.setPolicy(3, policySpec({ policyId: 3 }))).wait();
    await world.register(alice, wallet, { policyId: 3n });
    const plain = { until: await world.gate.verifiedUntil(3, wallet.address), investor: await world.gate.investorOf(3, wallet.address) };
    const plainTime = await latestTime();
    await revertTo(base);
    base = await snapshot();
    // … and the same policy id (same scope, so the same investor tag) with a key, escrow proof.
    await (await world.gate.setEscrowPolicy(3, policySpec({ policyId: 3 }), key)).wait();
    const proof = await world.proveEscrow(alice, wallet.address, { policyId: 3n });
    await (await world.submitEscrow(proof, wallet, 3n)).wait();
    const escrowTime = await latestTime();
    expect(await world.gate.investorOf(3, wallet.address)).toBe(plain.investor);
    expect(plain.investor).toBe(proof.nullifier & TAG_MASK);
    expect(await world.gate.verifiedUntil(3, wallet.address)).toBe(plain.until - BigInt(plainTime) + BigInt(escrowTime));
    expect(await world.gate.isVerified(3, wallet.address)).toBe(true);
  });

  test('verifyEscrowFor registers with the wallet’s EIP-712 consent over (policyId, nullifier, context), used once', async () => {
    const [wallet, relayer, stranger] = world.users;
    const proof = await world.proveEscrow(bob, wallet.address, { policyId: ESCROW_POLICY });
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const deadline = (await latestTime()) + 3600;
    const before = await records([wallet.address]);
    await expectRevert(world.gate.connect(relayer).verifyEscrowFor(ESCROW_POLICY, pA, pB, pC, pubSignals, deadline, await escrowConsent(stranger, proof, 0n, deadline)), 'InvalidConsentSignature', [
      wallet.address,
    ]);
    await expectRevert(world.gate.connect(relayer).verifyEscrowFor(ESCROW_POLICY, pA, pB, pC, pubSignals, deadline - 7200, await escrowConsent(wallet, proof, 0n, deadline - 7200)), 'ConsentExpired');
    // A consent for another policy id does not carry over.
    await expectRevert(
      world.gate.connect(relayer).verifyEscrowFor(ESCROW_POLICY, pA, pB, pC, pubSignals, deadline, await escrowConsent(wallet, proof, 0n, deadline, POLICY_ID)),
      'InvalidConsentSignature',
      [wallet.address],
    );
    expect(await records([wallet.address])).toEqual(before);

    const given = await escrowConsent(wallet, proof, 0n, deadline);
    const logs = await gateLogs(submitRegistration(world.gate.connect(relayer), ESCROW_POLICY, proof, { deadline, signature: given }));
    expect(logs.map(([name]) => name)).toEqual(['WalletVerified', 'EscrowCiphertext']);
    expect(await world.gate.investorOf(ESCROW_POLICY, wallet.address)).toBe(proof.nullifier & TAG_MASK);
    expect(await world.gate.nonces(wallet.address)).toBe(1n);
    await expectRevert(world.gate.connect(relayer).verifyEscrowFor(ESCROW_POLICY, pA, pB, pC, pubSignals, deadline, given), 'InvalidConsentSignature', [wallet.address]);
  });

  test('the kind of proof must match the policy: EscrowProofRequired and EscrowNotEnabled, right after PolicyNotFound', async () => {
    const [wallet] = world.users;
    // A kycPolicy proof of the escrow policy's rules (its policyHash is the rules' hash).
    const plain = await world.prove(alice, wallet.address, { policyId: ESCROW_POLICY });
    const escrowForPlain = await world.proveEscrow(alice, wallet.address, { policyId: POLICY_ID, escrowKey: key });
    // Checked before the bars: a barred wallet still learns it used the wrong circuit.
    await (await world.gate.barWallet(ESCROW_POLICY, wallet.address, (1n << 64n) - 1n, 'test')).wait();
    await (await world.gate.barWallet(POLICY_ID, wallet.address, (1n << 64n) - 1n, 'test')).wait();
    const before = [...(await records([wallet.address])), ...(await records([wallet.address], POLICY_ID))];

    await expectRevert(world.submit(plain, wallet, ESCROW_POLICY), 'EscrowProofRequired', [ESCROW_POLICY]);
    await expectRevert(world.submitEscrow(escrowForPlain, wallet, POLICY_ID), 'EscrowNotEnabled', [POLICY_ID]);
    await expectRevert(world.submitEscrow(escrowForPlain, wallet, 9n), 'PolicyNotFound', [9n]);
    const deadline = (await latestTime()) + 3600;
    const { pA, pB, pC, pubSignals } = escrowForPlain.solidityCalldata;
    await expectRevert(world.gate.verifyEscrowFor(POLICY_ID, pA, pB, pC, pubSignals, deadline, await escrowConsent(wallet, escrowForPlain, 0n, deadline, POLICY_ID)), 'EscrowNotEnabled', [POLICY_ID]);
    // Then the bars, as for plain registrations.
    await expectRevert(world.submitEscrow(await world.proveEscrow(alice, wallet.address, { policyId: ESCROW_POLICY }), wallet, ESCROW_POLICY), 'WalletBarred');
    expect([...(await records([wallet.address])), ...(await records([wallet.address], POLICY_ID))]).toEqual(before);
  });

  test('a kycPolicy proof cannot pass as an escrow proof', async () => {
    const [wallet] = world.users;
    const plain = await world.prove(alice, wallet.address, { policyId: ESCROW_POLICY });
    const { pA, pB, pC, pubSignals } = plain.solidityCalldata;
    const [nullifier, root, rulesHash, context] = pubSignals;
    const stored = await world.gate.policy(ESCROW_POLICY);
    // Its signals padded into the escrow layout: its policy hash is the rules' hash, not the escrow hash …
    await expectRevert(world.gate.connect(wallet).verifyEscrow(ESCROW_POLICY, pA, pB, pC, [nullifier, 0n, 0n, root, rulesHash, context]), 'PolicyHashMismatch', [stored.policyHash, rulesHash]);
    // … and with the escrow hash put in, the escrow verifier rejects the proof.
    await expectRevert(world.gate.connect(wallet).verifyEscrow(ESCROW_POLICY, pA, pB, pC, [nullifier, 0n, 0n, root, stored.policyHash, context]), 'InvalidProof');
    expect(await records([wallet.address])).toEqual([{ until: 0n, investor: 0n, nonce: 0n }]);
  });

  test('a ciphertext copied from another registration, or a proof for another key, is refused', async () => {
    const [w1, w2] = world.users;
    const aliceProof = await world.proveEscrow(alice, w1.address, { policyId: ESCROW_POLICY });
    const bobProof = await world.proveEscrow(bob, w2.address, { policyId: ESCROW_POLICY });
    const { pA, pB, pC, pubSignals } = aliceProof.solidityCalldata;
    const swapped = [...pubSignals] as typeof pubSignals;
    [swapped[1], swapped[2]] = [bobProof.escrow.x, bobProof.escrow.c];
    await expectRevert(world.gate.connect(w1).verifyEscrow(ESCROW_POLICY, pA, pB, pC, swapped), 'InvalidProof');
    // Only c changed (say, to point at another leaf): refused too.
    const shifted = [...pubSignals] as typeof pubSignals;
    shifted[2] = (pubSignals[2] + 1n) % P;
    await expectRevert(world.gate.connect(w1).verifyEscrow(ESCROW_POLICY, pA, pB, pC, shifted), 'InvalidProof');

    // Encrypted to a key the policy does not name: its escrow policy hash is another.
    const otherKey = multiplyBase(randomScalar());
    const forOtherKey = await world.proveEscrow(alice, w1.address, { policyId: ESCROW_POLICY, escrowKey: otherKey });
    const stored = await world.gate.policy(ESCROW_POLICY);
    await expectRevert(world.submitEscrow(forOtherKey, w1, ESCROW_POLICY), 'PolicyHashMismatch', [stored.policyHash, forOtherKey.policyHash]);
    expect(forOtherKey.policyHash).toBe(computeEscrowPolicyHash(stored.scope, BASE_POLICY, otherKey));

    // Someone else's wallet, a context above 2^224, an unknown root: the shared checks.
    await expectRevert(world.submitEscrow(aliceProof, w2, ESCROW_POLICY), 'NotWalletOwner', [w1.address, w2.address]);
    const wide = [...pubSignals] as typeof pubSignals;
    wide[5] = pubSignals[5] | (1n << 224n);
    await expectRevert(world.gate.connect(w1).verifyEscrow(ESCROW_POLICY, pA, pB, pC, wide), 'ContextOutOfRange', [wide[5]]);
    const unknownRoot = [...pubSignals] as typeof pubSignals;
    unknownRoot[3] = 12345n;
    await expectRevert(world.gate.connect(w1).verifyEscrow(ESCROW_POLICY, pA, pB, pC, unknownRoot), 'RootNotAcceptable', [0n, 12345n, 0n]);
    expect(await records([w1.address, w2.address])).toEqual([
      { until: 0n, investor: 0n, nonce: 0n },
      { until: 0n, investor: 0n, nonce: 0n },
    ]);

    // The untouched proofs still register.
    await (await world.submitEscrow(aliceProof, w1, ESCROW_POLICY)).wait();
    await (await world.submitEscrow(bobProof, w2, ESCROW_POLICY)).wait();
    expect(await world.gate.investorOf(ESCROW_POLICY, w2.address)).toBe(bobProof.nullifier & TAG_MASK);
  });

  test('escrow proofs are for depth-32 issuers only: a depth-20 root is UnsupportedTreeDepth', async () => {
    const [wallet, smallPublisher] = [world.users[0], world.users[7]];
    await (await world.registry.addIssuer(3, 'did:example:small', smallPublisher.address, 20)).wait();
    const small = new IssuerTree(20, [world.tree.leaf(alice.index)]);
    await world.publish(small, 3n, smallPublisher);
    await (await world.gate.setEscrowPolicy(ESCROW_POLICY, policySpec({ policyId: ESCROW_POLICY, acceptedIssuers: [ISSUER_ID, 3] }), key)).wait();
    const proof = await world.proveEscrow(alice, wallet.address, { policyId: ESCROW_POLICY });
    const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
    const onSmallRoot = [...pubSignals] as typeof pubSignals;
    onSmallRoot[3] = small.root;
    await expectRevert(world.gate.connect(wallet).verifyEscrow(ESCROW_POLICY, pA, pB, pC, onSmallRoot), 'UnsupportedTreeDepth', [20n]);
  });

  test('after a key rotation, proofs for the old key fail and new ones decrypt with the new secret', async () => {
    const [w1, w2] = world.users;
    const old = await world.proveEscrow(alice, w1.address, { policyId: ESCROW_POLICY });
    const newSecret = randomScalar();
    const newKey = multiplyBase(newSecret);
    await (await world.gate.setEscrowPolicy(ESCROW_POLICY, policySpec({ policyId: ESCROW_POLICY }), newKey)).wait();
    const stored = await world.gate.policy(ESCROW_POLICY);
    expect(stored.config.version).toBe(2n);
    await expectRevert(world.submitEscrow(old, w1, ESCROW_POLICY), 'PolicyHashMismatch', [stored.policyHash, old.policyHash]);

    const fresh = await world.proveEscrow(bob, w2.address, { policyId: ESCROW_POLICY });
    const logged = await eventsOf(world.submitEscrow(fresh, w2, ESCROW_POLICY), world.gate, 'EscrowCiphertext');
    expect(logged).toEqual([args(ESCROW_POLICY, w2.address, fresh.nullifier, fresh.escrow.x, fresh.escrow.c)]);
    expect(decryptLeafIndex(newSecret, { R: pointFromX(fresh.escrow.x), c: fresh.escrow.c })).toBe(bob.index);
  });

  test('a key added to a plain policy: earlier registrations stay (without ciphertext), new ones need escrow proofs', async () => {
    const [w1, w2] = world.users;
    await world.register(alice, w1); // policy 1, plain
    const until = await world.gate.verifiedUntil(POLICY_ID, w1.address);
    const logs = await gateLogs(world.gate.setEscrowPolicy(POLICY_ID, policySpec(), key));
    expect(logs.map(([name, , a]) => [name, a[1]])).toEqual([
      ['PolicySet', 2n],
      ['PolicyEscrowKeySet', 2n],
    ]);
    expect(await world.gate.verifiedUntil(POLICY_ID, w1.address)).toBe(until);
    expect(await world.gate.isVerified(POLICY_ID, w1.address)).toBe(true);
    await expectRevert(world.register(bob, w2), 'EscrowProofRequired', [POLICY_ID]);
    const proof = await world.proveEscrow(bob, w2.address);
    expect((await gateLogs(world.submitEscrow(proof, w2))).map(([name]) => name)).toEqual(['WalletVerified', 'EscrowCiphertext']);
  });
});

test('the on-chain subgroup check agrees with @zkkyc/escrow on random curve points', async () => {
  // Points (x, y) with small x: almost all of order 8·l; their multiples by 8 are subgroup points.
  const gate = world.gate.connect(world.admin);
  let checked = 0;
  for (let x = 5n; checked < 4; x++) {
    const y = sqrtModP(mod((1n - 168700n * x * x) * power(1n - 168696n * x * x, P - 2n)));
    if (y === undefined) continue;
    checked++;
    for (const point of [[x, y] as Point, multiply([x, y], 8n)]) {
      const rule = escrowRule(point);
      const call = gate.setEscrowPolicy.staticCall(3, policySpec({ policyId: 3 }), point);
      if (rule === undefined) await call;
      else await expectRevert(call, 'EscrowKeyInvalid', [point[0], point[1], rule]);
    }
  }
});

describe('sdk', () => {
  test('deployZkKyc sets PolicySpec.escrowKey with setEscrowPolicy and deploys the DisclosureLog of the gate', async () => {
    const [deployer, admin] = [world.admin, world.users[8]];
    const deployment = await deployZkKyc(deployer, {
      admin: admin.address,
      issuers: [{ issuerId: 1, did: 'did:example:one', publisher: world.publisher.address }],
      policies: [policySpec({ policyId: 1 }), policySpec({ policyId: 2, escrowKey: key })],
    });
    const c = connectZkKyc(deployment, admin);
    const scope = await c.complianceGate.scopeOf(2);
    expect(deployment.policies[0].escrowKey).toBeUndefined();
    expect(deployment.policies[1]).toMatchObject({
      escrowKey: [key[0].toString(), key[1].toString()],
      rulesHash: computePolicyHash(scope, BASE_POLICY).toString(),
      policyHash: computeEscrowPolicyHash(scope, BASE_POLICY, key).toString(),
    });
    expect(await c.complianceGate.escrowKeyOf(2)).toEqual([key[0], key[1]]);
    expect(await c.complianceGate.escrowVerifier32()).toBe(deployment.contracts.kycPolicyEscrowVerifier32);
    expect(await c.kycPolicyEscrowVerifier32!.getAddress()).toBe(deployment.contracts.kycPolicyEscrowVerifier32);

    // The log names this gate; its roles go to the admin like the gate's (DEFAULT_ADMIN_ROLE in two steps).
    const log = c.disclosureLog;
    expect(await log.getAddress()).toBe(deployment.contracts.disclosureLog);
    expect(await log.gate()).toBe(deployment.contracts.complianceGate);
    expect(await log.hasRole(await log.POLICY_ADMIN_ROLE(), admin.address)).toBe(true);
    expect(await log.hasRole(await log.POLICY_ADMIN_ROLE(), deployer.address)).toBe(false);
    expect((await log.pendingDefaultAdmin()).newAdmin).toBe(admin.address);
    await acceptCoreAdmin(admin, deployment);
    expect(await log.defaultAdmin()).toBe(admin.address);
  });
});
