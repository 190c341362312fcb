/**
 * IssuerRegistry: issuer lifecycle, root publication and history, the maxRootAge window, and the
 * refusals (each with its error and no state change).
 */
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { IssuerRegistry__factory, type IssuerRegistry } from '@zkkyc/contracts/typechain';
import { expectRevert, increaseTime, latestTime, revertTo, snapshot } from './fixture.js';

let registry: IssuerRegistry;
let admin: HardhatEthersSigner, publisher: HardhatEthersSigner, other: HardhatEthersSigner, outsider: HardhatEthersSigner;
let base: string;

beforeAll(async () => {
  [admin, publisher, other, outsider] = await hre.ethers.getSigners();
  registry = await (await new IssuerRegistry__factory(admin).deploy(admin.address, 3600)).waitForDeployment();
  await (await registry.addIssuer(1, 'did:example:one', publisher.address, 32)).wait();
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

async function state() {
  return { issuer1: await registry.issuer(1), issuer2: await registry.issuer(2), ids: await registry.issuerIds(), maxRootAge: await registry.maxRootAge() };
}

test('publishing keeps each root with when it was published and superseded', async () => {
  await (await registry.connect(publisher).publishRoot(1, 111n, 1)).wait();
  const t1 = await latestTime();
  expect(await registry.rootStatus(111n)).toEqual([1n, 32n, true]);
  await increaseTime(100);
  await expect(registry.connect(publisher).publishRoot(1, 222n, 2)).resolves.toBeTruthy();
  const t2 = await latestTime();
  expect(await registry.rootInfo(111n)).toEqual([1n, BigInt(t1), BigInt(t2)]);
  expect(await registry.rootInfo(222n)).toEqual([1n, BigInt(t2), 0n]);
  const issuer = await registry.issuer(1);
  expect(issuer.currentRoot).toBe(222n);
  expect(issuer.leafCount).toBe(2n);
  // The superseded root stays acceptable for maxRootAge, then is refused; the current one stays.
  expect(await registry.isRootAcceptable(1, 111n)).toBe(true);
  await increaseTime(3590);
  expect(await registry.isRootAcceptable(1, 111n)).toBe(true);
  await increaseTime(11);
  expect((await latestTime()) - t2).toBeGreaterThan(3600);
  expect(await registry.isRootAcceptable(1, 111n)).toBe(false);
  expect(await registry.isRootAcceptable(1, 222n)).toBe(true);
  expect(await registry.isRootAcceptable(2, 222n)).toBe(false);
  // Re-publishing an earlier root (the newest leaf was revoked) makes it current again.
  await (await registry.connect(publisher).publishRoot(1, 111n, 2)).wait();
  expect(await registry.isRootAcceptable(1, 111n)).toBe(true);
  expect((await registry.rootInfo(111n)).supersededAt).toBe(0n);
});

test('suspending an issuer stops its roots at once; reactivating restores them', async () => {
  await (await registry.connect(publisher).publishRoot(1, 111n, 1)).wait();
  await expect(registry.suspendIssuer(1, 'audit')).resolves.toBeTruthy();
  expect(await registry.rootStatus(111n)).toEqual([1n, 32n, false]);
  await expectRevert(registry.connect(publisher).publishRoot(1, 222n, 2), 'IssuerNotActive', [1n]);
  await expectRevert(registry.suspendIssuer(1, 'again'), 'IssuerNotActive', [1n]);
  await (await registry.reactivateIssuer(1)).wait();
  expect(await registry.isRootAcceptable(1, 111n)).toBe(true);
  await expectRevert(registry.reactivateIssuer(1), 'IssuerAlreadyActive', [1n]);
});

test('only the publisher key publishes; rotation moves that right', async () => {
  const before = await state();
  await expectRevert(registry.connect(other).publishRoot(1, 111n, 1), 'NotPublisher', [1n, other.address]);
  await expectRevert(registry.connect(admin).publishRoot(1, 111n, 1), 'NotPublisher', [1n, admin.address]);
  expect(await state()).toEqual(before);
  await (await registry.rotatePublisher(1, other.address)).wait();
  await expectRevert(registry.connect(publisher).publishRoot(1, 111n, 1), 'NotPublisher', [1n, publisher.address]);
  await (await registry.connect(other).publishRoot(1, 111n, 1)).wait();
  expect((await registry.issuer(1)).publisher).toBe(other.address);
});

test('bad issuer and root input is refused with the value named, and nothing changes', async () => {
  await (await registry.connect(publisher).publishRoot(1, 111n, 1)).wait();
  await (await registry.addIssuer(2, 'did:example:two', other.address, 20)).wait();
  const before = await state();
  await expectRevert(registry.addIssuer(0, 'did:x', other.address, 32), 'IssuerIdZero', []);
  await expectRevert(registry.addIssuer(1, 'did:x', other.address, 32), 'IssuerAlreadyExists', [1n]);
  await expectRevert(registry.addIssuer(3, 'did:x', hre.ethers.ZeroAddress, 32), 'ZeroAddress', ['publisher']);
  await expectRevert(registry.addIssuer(3, 'did:x', other.address, 16), 'UnsupportedTreeDepth', [16n]);
  await expectRevert(registry.suspendIssuer(9, 'x'), 'UnknownIssuer', [9n]);
  await expectRevert(registry.rotatePublisher(1, hre.ethers.ZeroAddress), 'ZeroAddress', ['publisher']);
  await expectRevert(registry.connect(publisher).publishRoot(1, 0n, 1), 'RootZero', []);
  await expectRevert(registry.connect(publisher).publishRoot(1, 111n, 1), 'RootAlreadyCurrent', [1n, 111n]);
  await expectRevert(registry.connect(other).publishRoot(2, 111n, 1), 'RootOwnedByOtherIssuer', [111n, 1n]);
  expect(await state()).toEqual(before);
  expect(await registry.rootInfo(111n)).toEqual([1n, (await registry.rootInfo(111n)).publishedAt, 0n]);
});

test('every privileged function refuses callers without the role', async () => {
  const manager = await registry.ISSUER_MANAGER_ROLE();
  const adminRole = await registry.DEFAULT_ADMIN_ROLE();
  const before = await state();
  const r = registry.connect(outsider);
  await expectRevert(r.addIssuer(5, 'did:x', outsider.address, 32), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.suspendIssuer(1, 'x'), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.reactivateIssuer(1), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.rotatePublisher(1, outsider.address), 'AccessControlUnauthorizedAccount', [outsider.address, manager]);
  await expectRevert(r.setMaxRootAge(1), 'AccessControlUnauthorizedAccount', [outsider.address, adminRole]);
  expect(await state()).toEqual(before);
  await (await registry.setMaxRootAge(60)).wait();
  expect(await registry.maxRootAge()).toBe(60n);
});
