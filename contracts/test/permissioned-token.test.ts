/**
 * PermissionedToken: the compliance hook (verified, unexpired, unfrozen sender and receiver; the
 * unfrozen balance), the agent powers, batch forms and role checks. Wallets are registered in the
 * gate with real proofs; each refusal asserts its error and that no balance or freeze changed.
 */
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { PermissionedToken } from '@zkkyc/contracts/typechain';
import { transferCodeName } from '../../packages/sdk/src/contracts.js';
import { DAY, World, closeProver, expectRevert, increaseTime, revertTo, snapshot } from './fixture.js';

let world: World;
let token: PermissionedToken;
let agent: HardhatEthersSigner;
let a1: HardhatEthersSigner, a2: HardhatEthersSigner, b: HardhatEthersSigner, c: HardhatEthersSigner, u: HardhatEthersSigner;
let base: string;

beforeAll(async () => {
  world = await World.create({ tokens: [{ name: 'Bond', symbol: 'BOND', decimals: 0, policyId: 1n }] });
  token = world.contracts.tokens.BOND.token;
  agent = world.admin;
  ({ a1, a2, b, c, unverified: u } = await world.registerInvestors());
  await (await token.batchMint([a1.address, b.address], [1000n, 500n])).wait();
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

afterAll(closeProver);

/** Balances, freezes and supply of every test wallet. */
async function state() {
  const wallets = [a1, a2, b, c, u].map((w) => w.address);
  return {
    supply: await token.totalSupply(),
    paused: await token.paused(),
    wallets: await Promise.all(
      wallets.map(async (w) => [await token.balanceOf(w), await token.isFrozen(w), await token.getFrozenTokens(w)]),
    ),
  };
}

async function code(from: string, to: string, amount: bigint) {
  const [c] = await token.transferStatus(from, to, amount);
  return transferCodeName(c);
}

test('verified holders transfer; views report verification and reasons', async () => {
  expect(await token.isVerified(a1.address)).toBe(true);
  expect(await token.isVerified(u.address)).toBe(false);
  await (await token.connect(a1).transfer(c.address, 100n)).wait();
  expect(await token.balanceOf(c.address)).toBe(100n);
  expect(await token.canTransfer(a1.address, b.address, 1n)).toBe(true);
  expect(await code(a1.address, u.address, 1n)).toBe('RECEIVER_NOT_VERIFIED');
  expect(await code(u.address, a1.address, 0n)).toBe('SENDER_NOT_VERIFIED');
  expect(await code(a1.address, b.address, 10_000n)).toBe('INSUFFICIENT_BALANCE');
  expect(await code(a1.address, '0x0000000000000000000000000000000000000000', 1n)).toBe('INVALID_RECEIVER');
  expect(await token.canTransfer(a1.address, '0x0000000000000000000000000000000000000000', 1n)).toBe(false);
});

test('transfers to or from unverified or expired wallets are refused', async () => {
  const before = await state();
  await expectRevert(token.connect(a1).transfer(u.address, 1n), 'NotVerified', [u.address]);
  await expectRevert(token.mint(u.address, 1n), 'NotVerified', [u.address]);
  expect(await state()).toEqual(before);
  // The registrations last 30 days (ttl); after that both sides count as unverified.
  await increaseTime(31 * DAY);
  const expired = await state();
  await expectRevert(token.connect(a1).transfer(b.address, 1n), 'NotVerified', [a1.address]);
  await expectRevert(token.connect(b).transfer(a1.address, 1n), 'NotVerified', [b.address]);
  expect(await code(a1.address, b.address, 1n)).toBe('SENDER_NOT_VERIFIED');
  expect(await state()).toEqual(expired);
});

test('frozen addresses can neither send nor receive; partial freezes hold back an amount', async () => {
  await (await token.setAddressFrozen(b.address, true)).wait();
  let before = await state();
  await expectRevert(token.connect(b).transfer(a1.address, 1n), 'AddressFrozen', [b.address]);
  await expectRevert(token.connect(a1).transfer(b.address, 1n), 'AddressFrozen', [b.address]);
  await expectRevert(token.mint(b.address, 1n), 'AddressFrozen', [b.address]);
  expect(await code(b.address, a1.address, 1n)).toBe('SENDER_FROZEN');
  expect(await code(a1.address, b.address, 1n)).toBe('RECEIVER_FROZEN');
  expect(await state()).toEqual(before);
  await (await token.setAddressFrozen(b.address, false)).wait();

  await (await token.freezePartialTokens(a1.address, 900n)).wait();
  before = await state();
  await expectRevert(token.connect(a1).transfer(b.address, 101n), 'InsufficientUnfrozenBalance', [a1.address, 100n, 101n]);
  expect(await code(a1.address, b.address, 101n)).toBe('INSUFFICIENT_UNFROZEN_BALANCE');
  await expectRevert(token.freezePartialTokens(a1.address, 101n), 'FreezeExceedsBalance', [a1.address, 1000n, 1001n]);
  await expectRevert(token.unfreezePartialTokens(a1.address, 901n), 'UnfreezeExceedsFrozen', [a1.address, 900n, 901n]);
  expect(await state()).toEqual(before);
  await (await token.connect(a1).transfer(b.address, 100n)).wait();
  await (await token.unfreezePartialTokens(a1.address, 400n)).wait();
  expect(await token.getFrozenTokens(a1.address)).toBe(500n);
});

test('pause stops holder transfers but not agent actions', async () => {
  await (await token.pause()).wait();
  const before = await state();
  await expectRevert(token.connect(a1).transfer(b.address, 1n), 'TokenPaused', []);
  await expectRevert(token.pause(), 'AlreadyInState', [true]);
  expect(await code(a1.address, b.address, 1n)).toBe('PAUSED');
  expect(await state()).toEqual(before);
  await (await token.forcedTransfer(a1.address, b.address, 1n)).wait();
  await (await token.mint(c.address, 1n)).wait();
  await (await token.unpause()).wait();
  await expectRevert(token.unpause(), 'AlreadyInState', [false]);
  await (await token.connect(a1).transfer(b.address, 1n)).wait();
});

test('forcedTransfer moves frozen and unverified balances to a verified receiver only', async () => {
  await (await token.freezePartialTokens(a1.address, 800n)).wait();
  await (await token.setAddressFrozen(a1.address, true)).wait();
  await (await token.forcedTransfer(a1.address, c.address, 900n)).wait();
  expect(await token.balanceOf(c.address)).toBe(900n);
  // 200 were unfrozen before; the other 700 came out of the frozen amount.
  expect(await token.getFrozenTokens(a1.address)).toBe(100n);
  const before = await state();
  await expectRevert(token.forcedTransfer(b.address, u.address, 1n), 'NotVerified', [u.address]);
  await (await token.setAddressFrozen(c.address, true)).wait();
  await expectRevert(token.forcedTransfer(b.address, c.address, 1n), 'AddressFrozen', [c.address]);
  await (await token.setAddressFrozen(c.address, false)).wait();
  expect(await state()).toEqual(before);
});

test('recoveryAddress moves balance and freezes to another wallet of the same investor only', async () => {
  await (await token.freezePartialTokens(a1.address, 300n)).wait();
  const before = await state();
  await expectRevert(token.recoveryAddress(a1.address, b.address, 0), 'NotSameInvestor', [a1.address, b.address]);
  await expectRevert(token.recoveryAddress(a1.address, u.address, 0), 'NotSameInvestor', [a1.address, u.address]);
  expect(await state()).toEqual(before);
  await (await token.recoveryAddress(a1.address, a2.address, 42)).wait();
  expect(await token.balanceOf(a1.address)).toBe(0n);
  expect(await token.balanceOf(a2.address)).toBe(1000n);
  expect(await token.getFrozenTokens(a1.address)).toBe(0n);
  expect(await token.getFrozenTokens(a2.address)).toBe(300n);
});

test('burn may consume frozen tokens; batch forms check their lengths', async () => {
  await (await token.freezePartialTokens(b.address, 400n)).wait();
  await (await token.burn(b.address, 300n)).wait();
  expect(await token.balanceOf(b.address)).toBe(200n);
  expect(await token.getFrozenTokens(b.address)).toBe(200n);
  const before = await state();
  await expectRevert(token.batchMint([a1.address], [1n, 2n]), 'LengthMismatch', [1n, 2n]);
  await expectRevert(token.connect(a1).batchTransfer([b.address, c.address], [1n]), 'LengthMismatch', [2n, 1n]);
  await expectRevert(token.batchForcedTransfer([a1.address], [b.address, c.address], [1n]), 'LengthMismatch', [1n, 2n]);
  // All or nothing: the second transfer's refusal undoes the first.
  await expectRevert(token.connect(a1).batchTransfer([b.address, u.address], [1n, 1n]), 'NotVerified', [u.address]);
  expect(await state()).toEqual(before);
  await (await token.connect(a1).batchTransfer([b.address, c.address], [10n, 20n])).wait();
  await (await token.batchSetAddressFrozen([b.address, c.address], [true, true])).wait();
  await (await token.batchFreezePartialTokens([a1.address], [5n])).wait();
  await (await token.batchUnfreezePartialTokens([a1.address], [5n])).wait();
  await (await token.batchForcedTransfer([b.address], [a2.address], [10n])).wait();
  await (await token.batchBurn([a2.address], [10n])).wait();
  expect(await token.isFrozen(c.address)).toBe(true);
  expect(await token.balanceOf(a2.address)).toBe(0n);
});

test('every agent and admin function refuses callers without the role', async () => {
  const agentRole = await token.AGENT_ROLE();
  const adminRole = await token.DEFAULT_ADMIN_ROLE();
  const t = token.connect(a1);
  const before = await state();
  const denied = [a1.address, agentRole];
  await expectRevert(t.mint(a1.address, 1n), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.burn(b.address, 1n), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.pause(), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.unpause(), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.setAddressFrozen(b.address, true), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.freezePartialTokens(b.address, 1n), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.unfreezePartialTokens(b.address, 0n), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.forcedTransfer(b.address, a1.address, 1n), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.recoveryAddress(a1.address, a2.address, 0), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchMint([a1.address], [1n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchBurn([b.address], [1n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchForcedTransfer([b.address], [a1.address], [1n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchSetAddressFrozen([b.address], [true]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchFreezePartialTokens([b.address], [1n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchUnfreezePartialTokens([b.address], [0n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.addRule(b.address), 'AccessControlUnauthorizedAccount', [a1.address, adminRole]);
  await expectRevert(t.removeRule(b.address), 'AccessControlUnauthorizedAccount', [a1.address, adminRole]);
  expect(await state()).toEqual(before);
  expect(await token.rules()).toEqual([]);
  expect(agent.address).not.toBe(a1.address);
});
