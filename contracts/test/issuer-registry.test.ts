/**
 * IssuerRegistry: issuer lifecycle, root publication and history per issuer, the maxRootAge window,
 * the controls that stick (root rejection, replacement roots while suspended, current-root max age),
 * the two-step admin hand-over, and the refusals (each with its error and no state change). Every
 * state change is checked by the event it logs.
 */
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { IssuerRegistry__factory, type IssuerRegistry } from '@zkkyc/contracts/typechain';
import { args, eventsOf, expectRevert, increaseTime, latestTime, revertTo, snapshot } from './fixture.js';

/** IIssuerRegistry.RootState, by name. */
const State = { Unknown: 0n, Current: 1n, Superseded: 2n, Expired: 3n, Stale: 4n, Rejected: 5n, IssuerSuspended: 6n } as const;

let registry: IssuerRegistry;
let admin: HardhatEthersSigner, publisher: HardhatEthersSigner, other: HardhatEthersSigner, outsider: HardhatEthersSigner;
let rotated: HardhatEthersSigner, newAdmin: HardhatEthersSigner;
let base: string;
/** ISSUER_MANAGER_ROLE; read once, so no refusal's arguments await while its transaction is pending. */
let MANAGER: string;

beforeAll(async () => {
  [admin, publisher, other, outsider, rotated, newAdmin] = await hre.ethers.getSigners();
  registry = await (await new IssuerRegistry__factory(admin).deploy(admin.address, 3600)).waitForDeployment();
  await (await registry.addIssuer(1, 'did:example:one', publisher.address, 32)).wait();
  MANAGER = await registry.ISSUER_MANAGER_ROLE();
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

/** Everything the registry stores that the tests change, to compare before and after a refusal. */
async function state(roots: bigint[] = [111n, 222n]) {
  return {
    issuer1: await registry.issuer(1),
    issuer2: await registry.issuer(2),
    controls1: await registry.rootControls(1),
    ids: await registry.issuerIds(),
    maxRootAge: await registry.maxRootAge(),
    roots: await Promise.all(roots.flatMap((r) => [registry.rootInfo(1, r), registry.rootInfo(2, r)])),
  };
}

const publish = (root: bigint, leafCount: number, by = publisher, issuerId = 1) => registry.connect(by).publishRoot(issuerId, root, leafCount);

test('publishing keeps each root with when it was published and superseded', async () => {
  expect(await eventsOf(publish(111n, 1), registry, 'RootPublished')).toEqual([args(1, 111n, 0n, 1)]);
  const t1 = await latestTime();
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Current]);
  await increaseTime(100);
  expect(await eventsOf(publish(222n, 2), registry, 'RootPublished')).toEqual([args(1, 222n, 111n, 2)]);
  const t2 = await latestTime();
  expect(await registry.rootInfo(1, 111n)).toEqual([BigInt(t1), BigInt(t2), BigInt(t1), false]);
  expect(await registry.rootInfo(1, 222n)).toEqual([BigInt(t2), 0n, BigInt(t2), false]);
  const issuer = await registry.issuer(1);
  expect(issuer.currentRoot).toBe(222n);
  expect(issuer.leafCount).toBe(2n);
  // The superseded root stays acceptable for maxRootAge, then is refused; the current one stays.
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Superseded]);
  await increaseTime(3590);
  expect(await registry.isRootAcceptable(1, 111n)).toBe(true);
  await increaseTime(11);
  expect((await latestTime()) - t2).toBeGreaterThan(3600);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, false, State.Expired]);
  expect(await registry.isRootAcceptable(1, 111n)).toBe(false);
  expect(await registry.isRootAcceptable(1, 222n)).toBe(true);
  // A root is acceptable only under the issuer that published it.
  expect(await registry.isRootAcceptable(2, 222n)).toBe(false);
  expect(await registry.rootStatus(2, 222n)).toEqual([0n, false, State.Unknown]);
  // Re-publishing an earlier root (the newest leaf was revoked) makes it current again.
  await (await publish(111n, 2)).wait();
  const t3 = await latestTime();
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Current]);
  expect(await registry.rootInfo(1, 111n)).toEqual([BigInt(t3), 0n, BigInt(t3), false]);
  expect((await registry.rootInfo(1, 222n)).supersededAt).toBe(BigInt(t3));
});

test('roots are per issuer: another issuer publishing a root first blocks nothing', async () => {
  await (await registry.addIssuer(2, 'did:example:two', other.address, 32)).wait();
  // Issuer 2's publisher front-runs issuer 1's next root.
  await (await publish(111n, 1, other, 2)).wait();
  expect(await eventsOf(publish(111n, 5), registry, 'RootPublished')).toEqual([args(1, 111n, 0n, 5)]);
  expect((await registry.issuer(1)).currentRoot).toBe(111n);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Current]);
  expect(await registry.rootStatus(2, 111n)).toEqual([32n, true, State.Current]);
  // Each record is its issuer's own: rejecting it under issuer 2 leaves issuer 1's untouched.
  await (await registry.rejectRoot(2, 111n, 'squatted')).wait();
  expect(await registry.rootStatus(2, 111n)).toEqual([32n, false, State.Rejected]);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Current]);
});

test('suspending an issuer stops its roots at once; reactivating restores them', async () => {
  await (await publish(111n, 1)).wait();
  expect(await eventsOf(registry.suspendIssuer(1, 'audit'), registry, 'IssuerSuspended')).toEqual([args(1, 'audit')]);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, false, State.IssuerSuspended]);
  const before = await state();
  // The (unrotated) publisher key cannot publish while suspended: it may be the compromised one.
  await expectRevert(publish(222n, 2), 'IssuerNotActive', [1n]);
  await expectRevert(registry.suspendIssuer(1, 'again'), 'IssuerNotActive', [1n]);
  await expectRevert(registry.connect(publisher).confirmRoot(1, 111n), 'IssuerNotActive', [1n]);
  expect(await state()).toEqual(before);
  expect(await eventsOf(registry.reactivateIssuer(1), registry, 'IssuerReactivated')).toEqual([args(1)]);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Current]);
  await expectRevert(registry.reactivateIssuer(1), 'IssuerAlreadyActive', [1n]);
});

test('only the publisher key publishes; rotation moves that right', async () => {
  const before = await state();
  await expectRevert(publish(111n, 1, other), 'NotPublisher', [1n, other.address]);
  await expectRevert(publish(111n, 1, admin), 'NotPublisher', [1n, admin.address]);
  expect(await state()).toEqual(before);
  expect(await eventsOf(registry.rotatePublisher(1, other.address), registry, 'PublisherRotated')).toEqual([args(1, publisher.address, other.address)]);
  await expectRevert(publish(111n, 1), 'NotPublisher', [1n, publisher.address]);
  await (await publish(111n, 1, other)).wait();
  expect((await registry.issuer(1)).publisher).toBe(other.address);
  // Rotating an active issuer does not open the suspended-publication path.
  expect((await registry.rootControls(1)).rotatedWhileSuspended).toBe(false);
});

describe('a stolen publisher key', () => {
  /** The attacker publishes two roots with the stolen key (100 s apart), after the clean root 111. */
  async function compromise() {
    await (await publish(111n, 1)).wait();
    await increaseTime(100);
    await (await publish(666n, 1)).wait();
    await increaseTime(100);
    await (await publish(667n, 1)).wait();
  }

  test('an issuer manager rejects a root at once and for good', async () => {
    await compromise();
    expect(await eventsOf(registry.rejectRoot(1, 667n, 'published with a stolen key'), registry, 'RootRejected')).toEqual([args(1, 667n, 'published with a stolen key')]);
    // The current root is refused at once, a superseded one too; the others are not touched.
    expect(await registry.rootStatus(1, 667n)).toEqual([32n, false, State.Rejected]);
    await (await registry.rejectRoot(1, 666n, 'stolen key')).wait();
    expect(await registry.rootStatus(1, 666n)).toEqual([32n, false, State.Rejected]);
    expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Superseded]);
    const before = await state([111n, 666n, 667n]);
    await expectRevert(registry.rejectRoot(1, 667n, 'again'), 'RootIsRejected', [1n, 667n]);
    await expectRevert(registry.rejectRoot(1, 999n, 'never published'), 'RootNotPublished', [1n, 999n]);
    await expectRevert(registry.rejectRoot(9, 667n, 'x'), 'UnknownIssuer', [9n]);
    await expectRevert(registry.connect(outsider).rejectRoot(1, 111n, 'x'), 'AccessControlUnauthorizedAccount', [outsider.address, MANAGER]);
    // A rejected root can never be published again, nor confirmed.
    await expectRevert(publish(666n, 4), 'RootIsRejected', [1n, 666n]);
    await expectRevert(registry.connect(publisher).confirmRoot(1, 667n), 'RootIsRejected', [1n, 667n]);
    expect(await state([111n, 666n, 667n])).toEqual(before);
    // Suspending and reactivating does not bring it back.
    await (await registry.suspendIssuer(1, 'x')).wait();
    await (await registry.reactivateIssuer(1)).wait();
    expect(await registry.rootStatus(1, 667n)).toEqual([32n, false, State.Rejected]);
  });

  test('suspend, rotate, publish a replacement while suspended: the attacker roots never come back', async () => {
    await compromise();
    await (await registry.suspendIssuer(1, 'publisher key stolen')).wait();
    // The stolen key cannot publish during the suspension.
    await expectRevert(publish(668n, 1), 'IssuerNotActive', [1n]);
    await (await registry.rotatePublisher(1, rotated.address)).wait();
    expect((await registry.rootControls(1)).rotatedWhileSuspended).toBe(true);
    // The new key publishes the clean replacement while the issuer is still suspended.
    const sent = await publish(112n, 2, rotated);
    expect(await eventsOf(sent, registry, 'RootPublished')).toEqual([args(1, 112n, 667n, 2)]);
    const t = await latestTime();
    expect(await eventsOf(sent, registry, 'SupersededRootsCutOff')).toEqual([args(1, 112n, t)]);
    expect(await registry.rootControls(1)).toEqual([0n, BigInt(t), true]);
    expect(await registry.rootStatus(1, 112n)).toEqual([32n, false, State.IssuerSuspended]);

    await (await registry.reactivateIssuer(1)).wait();
    expect((await registry.rootControls(1)).rotatedWhileSuspended).toBe(false);
    // Every root superseded up to the replacement is refused at once, inside maxRootAge too.
    expect(await registry.rootStatus(1, 112n)).toEqual([32n, true, State.Current]);
    for (const root of [111n, 666n, 667n]) expect(await registry.rootStatus(1, root)).toEqual([32n, false, State.Expired]);
    // Roots superseded later get their grace window as usual.
    await (await publish(113n, 3, rotated)).wait();
    expect(await registry.rootStatus(1, 112n)).toEqual([32n, true, State.Superseded]);
  });

  test('after a rotation, reactivating needs a replacement root from the new key; a rotation to the same key is refused', async () => {
    await compromise();
    await (await registry.suspendIssuer(1, 'publisher key stolen')).wait();
    // Rotating to the suspected key itself would open the suspended-publication path to it.
    await expectRevert(registry.rotatePublisher(1, publisher.address), 'PublisherUnchanged', [1n, publisher.address]);
    await (await registry.rotatePublisher(1, rotated.address)).wait();
    // Reactivating now would make the attacker's 667 current again.
    const before = await state([111n, 666n, 667n]);
    await expectRevert(registry.reactivateIssuer(1), 'ReplacementRootRequired', [1n]);
    expect(await state([111n, 666n, 667n])).toEqual(before);
    expect(await registry.rootStatus(1, 667n)).toEqual([32n, false, State.IssuerSuspended]);
    // A second rotation needs a root from the newest key, even after an earlier replacement.
    await (await publish(112n, 2, rotated)).wait();
    await (await registry.rotatePublisher(1, other.address)).wait();
    await expectRevert(registry.reactivateIssuer(1), 'ReplacementRootRequired', [1n]);
    await (await publish(113n, 3, other)).wait();
    await (await registry.reactivateIssuer(1)).wait();
    expect(await registry.rootStatus(1, 113n)).toEqual([32n, true, State.Current]);
    for (const root of [111n, 666n, 667n]) expect(await registry.rootStatus(1, root)).toEqual([32n, false, State.Expired]);
  });

  test('an issuer with no root yet is reactivated after a rotation without a replacement', async () => {
    await (await registry.addIssuer(2, 'did:example:two', other.address, 32)).wait();
    await (await registry.suspendIssuer(2, 'x')).wait();
    await (await registry.rotatePublisher(2, rotated.address)).wait();
    await (await registry.reactivateIssuer(2)).wait();
    expect((await registry.issuer(2)).active).toBe(true);
  });

  test('without a rotation, reactivating makes the last root current again (the manager must replace or reject it)', async () => {
    await compromise();
    await (await registry.suspendIssuer(1, 'audit')).wait();
    await (await registry.reactivateIssuer(1)).wait();
    expect(await registry.rootStatus(1, 667n)).toEqual([32n, true, State.Current]);
    expect(await registry.rootStatus(1, 666n)).toEqual([32n, true, State.Superseded]);
  });
});

test('a root that was stale when superseded keeps its grace from when it went stale, not from the next publication', async () => {
  await (await registry.setMaxCurrentRootAge(1, 1000)).wait();
  await (await publish(111n, 1)).wait();
  const t1 = await latestTime();
  // Stale for longer than maxRootAge (3600) before the next root comes.
  await increaseTime(1000 + 3600 + 50);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, false, State.Stale]);
  await (await publish(222n, 2)).wait();
  expect((await registry.rootInfo(1, 111n)).supersededAt).toBe(BigInt(t1 + 1000));
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, false, State.Expired]);
  // A root stale for a shorter time keeps the rest of its window, counted from when it went stale.
  const t2 = await latestTime();
  await increaseTime(1000 + 600);
  await (await publish(333n, 3)).wait();
  expect((await registry.rootInfo(1, 222n)).supersededAt).toBe(BigInt(t2 + 1000));
  expect(await registry.rootStatus(1, 222n)).toEqual([32n, true, State.Superseded]);
  await increaseTime(3600 - 600 + 10);
  expect(await registry.rootStatus(1, 222n)).toEqual([32n, false, State.Expired]);
});

test('a root value rejected under issuer B can still be published by issuer A (no cross-issuer griefing)', async () => {
  // B's (compromised) publisher squats A's future/past root value; the manager rejects it under B.
  await (await registry.addIssuer(2, 'did:example:two', other.address, 32)).wait();
  await (await publish(111n, 1, other, 2)).wait();
  await (await publish(222n, 2, other, 2)).wait();
  await (await registry.rejectRoot(2, 111n, 'squatted')).wait();
  expect(await registry.rootStatus(2, 111n)).toEqual([32n, false, State.Rejected]);
  // A can still publish that value; the rejection stays with B.
  await (await publish(111n, 1)).wait();
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Current]);
  expect(await registry.rootStatus(2, 111n)).toEqual([32n, false, State.Rejected]);
  await expectRevert(publish(111n, 1, other, 2), 'RootIsRejected', [2n, 111n]);
});

test('the current root ages out when the issuer stops publishing or confirming', async () => {
  await (await publish(111n, 1)).wait();
  expect(await eventsOf(registry.setMaxCurrentRootAge(1, 86400), registry, 'MaxCurrentRootAgeChanged')).toEqual([args(1, 0, 86400)]);
  expect((await registry.rootControls(1)).maxCurrentRootAge).toBe(86400n);
  await increaseTime(86400 - 10);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Current]);
  await increaseTime(20);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, false, State.Stale]);
  // A confirmation by the publisher (its tree did not change) restarts the clock.
  expect(await eventsOf(registry.connect(publisher).confirmRoot(1, 111n), registry, 'RootConfirmed')).toEqual([args(1, 111n)]);
  const confirmed = await latestTime();
  expect((await registry.rootInfo(1, 111n)).confirmedAt).toBe(BigInt(confirmed));
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, true, State.Current]);
  // Only the publisher confirms, and only the current root.
  const before = await state();
  await expectRevert(registry.connect(other).confirmRoot(1, 111n), 'NotPublisher', [1n, other.address]);
  await expectRevert(registry.connect(publisher).confirmRoot(1, 222n), 'RootNotCurrent', [1n, 222n, 111n]);
  await expectRevert(registry.connect(outsider).setMaxCurrentRootAge(1, 1), 'AccessControlUnauthorizedAccount', [outsider.address, MANAGER]);
  await expectRevert(registry.setMaxCurrentRootAge(9, 1), 'UnknownIssuer', [9n]);
  expect(await state()).toEqual(before);
  // A new root is fresh; 0 switches the limit off.
  await increaseTime(2 * 86400);
  expect(await registry.rootStatus(1, 111n)).toEqual([32n, false, State.Stale]);
  await (await publish(222n, 2)).wait();
  expect(await registry.rootStatus(1, 222n)).toEqual([32n, true, State.Current]);
  await increaseTime(2 * 86400);
  await (await registry.setMaxCurrentRootAge(1, 0)).wait();
  expect(await registry.rootStatus(1, 222n)).toEqual([32n, true, State.Current]);
});

test('bad issuer and root input is refused with the value named, and nothing changes', async () => {
  await (await publish(111n, 1)).wait();
  const published = await latestTime();
  expect(await eventsOf(registry.addIssuer(2, 'did:example:two', other.address, 20), registry, 'IssuerAdded')).toEqual([args(2, 'did:example:two', other.address, 20)]);
  const before = await state();
  await expectRevert(registry.addIssuer(0, 'did:x', other.address, 32), 'IssuerIdZero', []);
  await expectRevert(registry.addIssuer(1, 'did:x', other.address, 32), 'IssuerAlreadyExists', [1n]);
  await expectRevert(registry.addIssuer(3, 'did:x', hre.ethers.ZeroAddress, 32), 'ZeroAddress', ['publisher']);
  await expectRevert(registry.addIssuer(3, 'did:x', other.address, 16), 'UnsupportedTreeDepth', [16n]);
  await expectRevert(registry.suspendIssuer(9, 'x'), 'UnknownIssuer', [9n]);
  await expectRevert(registry.reactivateIssuer(9), 'UnknownIssuer', [9n]);
  await expectRevert(registry.rotatePublisher(9, other.address), 'UnknownIssuer', [9n]);
  await expectRevert(registry.rotatePublisher(1, hre.ethers.ZeroAddress), 'ZeroAddress', ['publisher']);
  await expectRevert(publish(111n, 1, other, 9), 'UnknownIssuer', [9n]);
  await expectRevert(publish(0n, 1), 'RootZero', []);
  await expectRevert(publish(111n, 1), 'RootAlreadyCurrent', [1n, 111n]);
  expect(await state()).toEqual(before);
  expect(await registry.rootInfo(1, 111n)).toEqual([BigInt(published), 0n, BigInt(published), false]);
  expect(await registry.issuerIds()).toEqual([1n, 2n]);
});

test('every privileged function refuses callers without the role', async () => {
  const manager = await registry.ISSUER_MANAGER_ROLE();
  const adminRole = await registry.DEFAULT_ADMIN_ROLE();
  await (await publish(111n, 1)).wait();
  const before = await state();
  const r = registry.connect(outsider);
  await expectRevert(r.addIssuer(5, 'did:x', outsider.address, 32), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.suspendIssuer(1, 'x'), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.reactivateIssuer(1), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.rotatePublisher(1, outsider.address), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.rejectRoot(1, 111n, 'x'), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.setMaxCurrentRootAge(1, 1), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.setMaxRootAge(1), 'AccessControlUnauthorizedAccount', [outsider.address, adminRole]);
  await expectRevert(r.beginDefaultAdminTransfer(outsider.address), 'AccessControlUnauthorizedAccount', [outsider.address, adminRole]);
  expect(await state()).toEqual(before);
  expect(await eventsOf(registry.setMaxRootAge(60), registry, 'MaxRootAgeChanged')).toEqual([args(3600, 60)]);
  expect(await registry.maxRootAge()).toBe(60n);
});

test('the admin role changes hands in two steps: the new admin must accept', async () => {
  const adminRole = await registry.DEFAULT_ADMIN_ROLE();
  // The one-step path of plain AccessControl is closed.
  await expectRevert(registry.grantRole(adminRole, newAdmin.address), 'AccessControlEnforcedDefaultAdminRules', []);
  expect(await registry.hasRole(adminRole, newAdmin.address)).toBe(false);

  const begun = await eventsOf(registry.beginDefaultAdminTransfer(newAdmin.address), registry, 'DefaultAdminTransferScheduled');
  expect(begun).toEqual([args(newAdmin.address, await latestTime())]);
  // Until the new admin accepts, the old one keeps the role and the new one has nothing.
  expect(await registry.defaultAdmin()).toBe(admin.address);
  expect(await registry.hasRole(adminRole, newAdmin.address)).toBe(false);
  await expectRevert(registry.connect(outsider).acceptDefaultAdminTransfer(), 'AccessControlInvalidDefaultAdmin', [outsider.address]);
  await expectRevert(registry.connect(newAdmin).setMaxRootAge(1), 'AccessControlUnauthorizedAccount', [newAdmin.address, adminRole]);

  await (await registry.connect(newAdmin).acceptDefaultAdminTransfer()).wait();
  expect(await registry.defaultAdmin()).toBe(newAdmin.address);
  expect(await registry.hasRole(adminRole, admin.address)).toBe(false);
  await expectRevert(registry.setMaxRootAge(1), 'AccessControlUnauthorizedAccount', [admin.address, adminRole]);
  await (await registry.connect(newAdmin).setMaxRootAge(7)).wait();
  expect(await registry.maxRootAge()).toBe(7n);
});
