/**
 * PermissionedToken: the compliance hook (verified, unexpired, unfrozen sender and receiver; the
 * unfrozen balance), the agent powers, batch forms and role checks. Wallets are registered in the
 * gate with real proofs; each refusal asserts its error and that no balance or freeze changed.
 */
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { MisbehavingRule__factory, PlainERC20__factory, ReentrantRule__factory, type PermissionedToken } from '@zkkyc/contracts/typechain';
import { isPolicyAgent, transferCodeName } from '../../packages/sdk/src/contracts.js';
import { setGatePolicy } from '../../packages/sdk/src/deploy.js';
import { DAY, World, args, closeProver, eventsOf, expectRevert, increaseTime, policySpec, revertTo, snapshot, type Holder } from './fixture.js';
import { jurisdictionMask } from '@zkkyc/credentials';

let world: World;
let token: PermissionedToken;
let agent: HardhatEthersSigner;
let a1: HardhatEthersSigner, a2: HardhatEthersSigner, b: HardhatEthersSigner, c: HardhatEthersSigner, u: HardhatEthersSigner;
let holders: { alice: Holder; bob: Holder; carol: Holder };
let base: string;

beforeAll(async () => {
  world = await World.create({ tokens: [{ name: 'Bond', symbol: 'BOND', decimals: 0, policyId: 1n }] });
  token = world.contracts.tokens.BOND.token;
  agent = world.admin;
  ({ a1, a2, b, c, unverified: u, holders } = await world.registerInvestors());
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
    wallets: await Promise.all(wallets.map(async (w) => [await token.balanceOf(w), await token.isFrozen(w), await token.getFrozenTokens(w)])),
  };
}

async function code(from: string, to: string, amount: bigint) {
  const [c] = await token.transferStatus(from, to, amount);
  return transferCodeName(c);
}

const ZERO = '0x0000000000000000000000000000000000000000';
/** An investor's ERC-3643 ONCHAINID as an agent would name it in `recoveryAddress` (only logged). */
const ONCHAIN_ID = '0x00000000000000000000000000000000000000aa';

test('verified holders transfer; views report verification and reasons', async () => {
  expect(await token.isVerified(a1.address)).toBe(true);
  expect(await token.isVerified(u.address)).toBe(false);
  expect(await eventsOf(token.connect(a1).transfer(c.address, 100n), token, 'Transfer')).toEqual([args(a1.address, c.address, 100n)]);
  expect(await token.balanceOf(c.address)).toBe(100n);
  expect(await token.balanceOf(a1.address)).toBe(900n);
  expect(await token.canTransfer(a1.address, b.address, 1n)).toBe(true);
  expect(await code(a1.address, b.address, 1n)).toBe('OK');
  expect(await code(a1.address, u.address, 1n)).toBe('RECEIVER_NOT_VERIFIED');
  expect(await token.canTransfer(a1.address, u.address, 1n)).toBe(false);
  expect(await code(u.address, a1.address, 0n)).toBe('SENDER_NOT_VERIFIED');
  expect(await code(a1.address, b.address, 10_000n)).toBe('INSUFFICIENT_BALANCE');
  expect(await code(a1.address, ZERO, 1n)).toBe('INVALID_RECEIVER');
  expect(await token.canTransfer(a1.address, ZERO, 1n)).toBe(false);
  expect(await code(ZERO, c.address, 1n)).toBe('OK'); // a mint
  expect(await code(ZERO, u.address, 1n)).toBe('RECEIVER_NOT_VERIFIED');
});

test('transfers to or from unverified or expired wallets are refused', async () => {
  const before = await state();
  await expectRevert(token.connect(a1).transfer(u.address, 1n), 'NotVerified', [u.address]);
  await expectRevert(token.connect(u).transfer(a1.address, 0n), 'NotVerified', [u.address]);
  await expectRevert(token.mint(u.address, 1n), 'NotVerified', [u.address]);
  await expectRevert(token.forcedTransfer(a1.address, u.address, 1n), 'NotVerified', [u.address]);
  expect(await state()).toEqual(before);
  // The registrations last 30 days (ttl); after that both sides count as unverified.
  await increaseTime(31 * DAY);
  const expired = await state();
  await expectRevert(token.connect(a1).transfer(b.address, 1n), 'NotVerified', [a1.address]);
  await expectRevert(token.connect(b).transfer(a1.address, 1n), 'NotVerified', [b.address]);
  await expectRevert(token.mint(b.address, 1n), 'NotVerified', [b.address]);
  expect(await code(a1.address, b.address, 1n)).toBe('SENDER_NOT_VERIFIED');
  expect(await state()).toEqual(expired);
});

test('frozen addresses can neither send nor receive; partial freezes hold back an amount', async () => {
  expect(await eventsOf(token.setAddressFrozen(b.address, true), token, 'AddressFrozen')).toEqual([args(b.address, true, agent.address)]);
  let before = await state();
  await expectRevert(token.connect(b).transfer(a1.address, 1n), 'ERC7943CannotSend', [b.address]);
  await expectRevert(token.connect(a1).transfer(b.address, 1n), 'ERC7943CannotReceive', [b.address]);
  await expectRevert(token.mint(b.address, 1n), 'ERC7943CannotReceive', [b.address]);
  expect(await code(b.address, a1.address, 1n)).toBe('SENDER_FROZEN');
  expect(await code(a1.address, b.address, 1n)).toBe('RECEIVER_FROZEN');
  expect(await state()).toEqual(before);
  expect(await eventsOf(token.setAddressFrozen(b.address, false), token, 'AddressFrozen')).toEqual([args(b.address, false, agent.address)]);
  await (await token.connect(b).transfer(a1.address, 1n)).wait();

  expect(await eventsOf(token.freezePartialTokens(a1.address, 900n), token, 'TokensFrozen')).toEqual([args(a1.address, 900n)]);
  before = await state();
  await expectRevert(token.connect(a1).transfer(b.address, 102n), 'ERC7943InsufficientUnfrozenBalance', [a1.address, 102n, 101n]);
  expect(await code(a1.address, b.address, 102n)).toBe('INSUFFICIENT_UNFROZEN_BALANCE');
  await expectRevert(token.freezePartialTokens(a1.address, 102n), 'FreezeExceedsBalance', [a1.address, 1001n, 1002n]);
  await expectRevert(token.unfreezePartialTokens(a1.address, 901n), 'UnfreezeExceedsFrozen', [a1.address, 900n, 901n]);
  expect(await state()).toEqual(before);
  await (await token.connect(a1).transfer(b.address, 101n)).wait();
  expect(await eventsOf(token.unfreezePartialTokens(a1.address, 400n), token, 'TokensUnfrozen')).toEqual([args(a1.address, 400n)]);
  expect(await token.getFrozenTokens(a1.address)).toBe(500n);
});

test('pause stops holder transfers but not agent actions', async () => {
  expect(await eventsOf(token.pause(), token, 'Paused')).toEqual([args(agent.address)]);
  const before = await state();
  await expectRevert(token.connect(a1).transfer(b.address, 1n), 'TokenPaused', []);
  await expectRevert(token.connect(a1).batchTransfer([b.address], [1n]), 'TokenPaused', []);
  await expectRevert(token.pause(), 'AlreadyInState', [true]);
  expect(await code(a1.address, b.address, 1n)).toBe('PAUSED');
  expect(await token.canTransfer(a1.address, b.address, 1n)).toBe(false);
  expect(await state()).toEqual(before);
  await (await token.forcedTransfer(a1.address, b.address, 1n)).wait();
  await (await token.mint(c.address, 1n)).wait();
  expect(await token.balanceOf(b.address)).toBe(501n);
  expect(await token.balanceOf(c.address)).toBe(1n);
  expect(await eventsOf(token.unpause(), token, 'Unpaused')).toEqual([args(agent.address)]);
  await expectRevert(token.unpause(), 'AlreadyInState', [false]);
  await (await token.connect(a1).transfer(b.address, 1n)).wait();
  expect(await token.balanceOf(b.address)).toBe(502n);
});

test('forcedTransfer moves frozen and unverified balances to a verified receiver only', async () => {
  await (await token.freezePartialTokens(a1.address, 800n)).wait();
  await (await token.setAddressFrozen(a1.address, true)).wait();
  const tx = token.forcedTransfer(a1.address, c.address, 900n);
  const receipt = await (await tx).wait();
  expect(await eventsOf({ wait: async () => receipt }, token, 'ForcedTransfer')).toEqual([args(a1.address, c.address, 900n)]);
  // 200 were unfrozen before; the other 700 came out of the frozen amount, and that is logged.
  expect(await eventsOf({ wait: async () => receipt }, token, 'TokensUnfrozen')).toEqual([args(a1.address, 700n)]);
  expect(await token.balanceOf(c.address)).toBe(900n);
  expect(await token.getFrozenTokens(a1.address)).toBe(100n);
  expect(await token.isAgentMove()).toBe(false); // the transient flag does not outlive the move
  const before = await state();
  await expectRevert(token.forcedTransfer(b.address, u.address, 1n), 'NotVerified', [u.address]);
  await (await token.setAddressFrozen(c.address, true)).wait();
  await expectRevert(token.forcedTransfer(b.address, c.address, 1n), 'ERC7943CannotReceive', [c.address]);
  await (await token.setAddressFrozen(c.address, false)).wait();
  expect(await state()).toEqual(before);
});

test('recoveryAddress refuses wallets of other investors and changes nothing', async () => {
  await (await token.freezePartialTokens(a1.address, 300n)).wait();
  const before = await state();
  await expectRevert(token.recoveryAddress(a1.address, b.address, ZERO), 'NotSameInvestor', [a1.address, b.address]);
  await expectRevert(token.recoveryAddress(a1.address, u.address, ZERO), 'NotSameInvestor', [a1.address, u.address]);
  await expectRevert(token.recoveryAddress(u.address, a1.address, ZERO), 'NotSameInvestor', [u.address, a1.address]);
  expect(await state()).toEqual(before);
  expect(await world.gate.isVerified(1n, a1.address)).toBe(true);
});

test('recoveryAddress refuses a lost wallet holding none of this token (another token of the policy may hold it), and changes nothing', async () => {
  // a2 is alice's wallet under the shared policy 1 but holds no BOND: the BOND agent must not
  // revoke and bar it in the gate (it could be another token's holder).
  expect(await token.balanceOf(a2.address)).toBe(0n);
  const before = await state();
  await expectRevert(token.recoveryAddress(a2.address, a1.address, ZERO), 'LostWalletHoldsNoTokens', [a2.address]);
  expect(await state()).toEqual(before);
  expect(await world.gate.isVerified(1n, a2.address)).toBe(true);
  expect(await world.gate.walletBarredUntil(1n, a2.address)).toBe(0n);
});

test('recoveryAddress carries balance, frozen amount and address freeze, and leaves the lost wallet frozen and revoked', async () => {
  await (await token.freezePartialTokens(a1.address, 300n)).wait();
  await (await token.setAddressFrozen(a1.address, true)).wait();
  const alice = await world.gate.investorOf(1n, a1.address);
  const receipt = await (await token.recoveryAddress(a1.address, a2.address, ONCHAIN_ID)).wait();
  const logged = (name: string, contract: { interface: import('ethers').Interface; getAddress(): Promise<string> } = token) => eventsOf({ wait: async () => receipt }, contract, name);
  expect(await token.balanceOf(a1.address)).toBe(0n);
  expect(await token.balanceOf(a2.address)).toBe(1000n);
  expect(await token.getFrozenTokens(a1.address)).toBe(0n);
  expect(await token.getFrozenTokens(a2.address)).toBe(300n);
  expect(await token.isFrozen(a2.address)).toBe(true); // the freeze flag went along
  expect(await token.isFrozen(a1.address)).toBe(true); // and the lost wallet stays shut
  expect(await logged('RecoverySuccess')).toEqual([args(a1.address, a2.address, ONCHAIN_ID)]);
  expect(await logged('AddressFrozen')).toEqual([args(a2.address, true, agent.address), args(a1.address, true, agent.address)]);
  expect(await logged('TokensUnfrozen')).toEqual([args(a1.address, 300n)]);
  expect(await logged('TokensFrozen')).toEqual([args(a2.address, 300n)]);
  expect(await logged('Transfer')).toEqual([args(a1.address, a2.address, 1000n)]);
  // In the gate, in the same transaction: the lost wallet is revoked and barred.
  const revoked = await logged('WalletRevoked', world.gate);
  expect(revoked).toEqual([args(1n, a1.address, alice, 'wallet recovery: lost wallet')]);
  expect(await logged('WalletBarSet', world.gate)).toEqual([args(1n, a1.address, 2n ** 64n - 1n, 'wallet recovery: lost wallet')]);
  expect(await world.gate.isVerified(1n, a1.address)).toBe(false);
  expect(await world.gate.investorOf(1n, a1.address)).toBe(0n);
  expect(await token.isVerified(a1.address)).toBe(false);
  // A thief holding the lost key cannot bring the wallet back with the old credential.
  await expectRevert(world.register(holders.alice, a1), 'WalletBarred', [1n, a1.address, 2n ** 64n - 1n]);
  expect(await world.gate.isVerified(1n, a1.address)).toBe(false);
});

test('recoveryAddress of an unfrozen wallet freezes only the lost one', async () => {
  const receipt = await (await token.recoveryAddress(a1.address, a2.address, ZERO)).wait();
  expect(await eventsOf({ wait: async () => receipt }, token, 'AddressFrozen')).toEqual([args(a1.address, true, agent.address)]);
  expect(await eventsOf({ wait: async () => receipt }, token, 'TokensFrozen')).toEqual([]);
  expect(await token.isFrozen(a2.address)).toBe(false);
  expect(await token.isFrozen(a1.address)).toBe(true);
  await (await token.connect(a2).transfer(b.address, 10n)).wait();
  await expectRevert(token.connect(b).transfer(a1.address, 1n), 'ERC7943CannotReceive', [a1.address]);
});

test('burn may consume frozen tokens; batch forms check their lengths', async () => {
  await (await token.freezePartialTokens(b.address, 400n)).wait();
  const receipt = await (await token.burn(b.address, 300n)).wait();
  expect(await eventsOf({ wait: async () => receipt }, token, 'Transfer')).toEqual([args(b.address, ZERO, 300n)]);
  expect(await eventsOf({ wait: async () => receipt }, token, 'TokensUnfrozen')).toEqual([args(b.address, 200n)]);
  expect(await token.balanceOf(b.address)).toBe(200n);
  expect(await token.getFrozenTokens(b.address)).toBe(200n);
  const before = await state();
  await expectRevert(token.batchMint([a1.address], [1n, 2n]), 'LengthMismatch', [1n, 2n]);
  await expectRevert(token.connect(a1).batchTransfer([b.address, c.address], [1n]), 'LengthMismatch', [2n, 1n]);
  await expectRevert(token.batchForcedTransfer([a1.address], [b.address, c.address], [1n]), 'LengthMismatch', [1n, 2n]);
  await expectRevert(token.batchBurn([a1.address], []), 'LengthMismatch', [1n, 0n]);
  await expectRevert(token.batchSetAddressFrozen([a1.address], []), 'LengthMismatch', [1n, 0n]);
  // All or nothing: the second transfer's refusal undoes the first.
  await expectRevert(token.connect(a1).batchTransfer([b.address, u.address], [1n, 1n]), 'NotVerified', [u.address]);
  expect(await state()).toEqual(before);
  await (await token.connect(a1).batchTransfer([b.address, c.address], [10n, 20n])).wait();
  expect([await token.balanceOf(b.address), await token.balanceOf(c.address)]).toEqual([210n, 20n]);
  await (await token.batchSetAddressFrozen([b.address, c.address], [true, true])).wait();
  await (await token.batchFreezePartialTokens([a1.address], [5n])).wait();
  expect(await token.getFrozenTokens(a1.address)).toBe(5n);
  await (await token.batchUnfreezePartialTokens([a1.address], [5n])).wait();
  expect(await token.getFrozenTokens(a1.address)).toBe(0n);
  await (await token.batchForcedTransfer([b.address], [a2.address], [10n])).wait();
  expect(await token.balanceOf(a2.address)).toBe(10n);
  await (await token.batchBurn([a2.address], [10n])).wait();
  expect(await token.isFrozen(c.address)).toBe(true);
  expect(await token.isFrozen(b.address)).toBe(true);
  expect(await token.balanceOf(a2.address)).toBe(0n);
});

test('setPolicyId moves the token to another gate policy; refusals change nothing', async () => {
  const adminRole = await token.DEFAULT_ADMIN_ROLE();
  await setGatePolicy(world.admin, world.deployment, policySpec({ policyId: 3n }));
  // Only while paused: the rules that sum per investor are resynced before holders trade again.
  await expectRevert(token.setPolicyId(3n), 'TokenNotPaused', []);
  await (await token.pause()).wait();
  const before = await state();
  await expectRevert(token.setPolicyId(9n), 'UnknownPolicy', [9n]);
  await expectRevert(token.setPolicyId(1n << 232n), 'PolicyIdTooLarge', [1n << 232n, (1n << 232n) - 1n]);
  await expectRevert(token.setPolicyId(1n), 'PolicyIdUnchanged', [1n]);
  await expectRevert(token.connect(a1).setPolicyId(3n), 'AccessControlUnauthorizedAccount', [a1.address, adminRole]);
  expect(await token.policyId()).toBe(1n);
  expect(await state()).toEqual(before);
  await (await token.unpause()).wait();

  // The policy is tightened: France is no longer allowed, so bob cannot re-prove.
  await setGatePolicy(world.admin, world.deployment, policySpec({ policyId: 2n, jurisdictionMask: jurisdictionMask(['DE', 'CH']) }));
  await expectRevert(token.connect(a1).setPolicyId(2n), 'AccessControlUnauthorizedAccount', [a1.address, adminRole]);
  // Holders re-prove for the new policy while the token still reads the old one.
  await world.register(holders.alice, a1, { policyId: 2n });
  await world.register(holders.carol, c, { policyId: 2n });
  await (await token.connect(b).transfer(a1.address, 1n)).wait(); // still policy 1

  await (await token.pause()).wait();
  expect(await eventsOf(token.setPolicyId(2n), token, 'PolicyIdChanged')).toEqual([args(1n, 2n, agent.address)]);
  await (await token.unpause()).wait();
  expect(await token.policyId()).toBe(2n);
  // Old records stop counting: bob (policy 1 only) and alice's second wallet (not re-proved).
  expect(await world.gate.isVerified(1n, b.address)).toBe(true);
  expect(await token.isVerified(b.address)).toBe(false);
  const afterSwitch = await state();
  await expectRevert(token.connect(b).transfer(a1.address, 1n), 'NotVerified', [b.address]);
  await expectRevert(token.connect(a1).transfer(a2.address, 1n), 'NotVerified', [a2.address]);
  await expectRevert(token.mint(b.address, 1n), 'NotVerified', [b.address]);
  expect(await code(b.address, c.address, 1n)).toBe('SENDER_NOT_VERIFIED');
  // Recovery reads the new policy's bindings: a2 is not alice's under policy 2 yet.
  await expectRevert(token.recoveryAddress(a1.address, a2.address, ZERO), 'NotSameInvestor', [a1.address, a2.address]);
  expect(await state()).toEqual(afterSwitch);
  await (await token.connect(a1).transfer(c.address, 5n)).wait();
  expect(await token.balanceOf(c.address)).toBe(5n);
  // Bob's balance can be moved by an agent to someone verified under the new policy.
  await (await token.forcedTransfer(b.address, c.address, 499n)).wait();
  expect(await token.balanceOf(b.address)).toBe(0n);
});

test('canTransfer never reverts and a failing rule fails closed', async () => {
  // SpoofCoreCode refuses with code 2, the token's own PAUSED: it must not surface as TokenPaused.
  const modes = { Revert: 1, Garbage: 2, Short: 3, BurnGas: 4, RefuseWithoutCode: 5, SpoofCoreCode: 7 } as const;
  for (const [name, mode] of Object.entries(modes)) {
    const rule = await (await new MisbehavingRule__factory(agent).deploy(mode)).waitForDeployment();
    const ruleAddress = await rule.getAddress();
    await (await token.addRule(ruleAddress)).wait();
    const before = await state();
    expect([name, await token.canTransfer(a1.address, b.address, 1n)]).toEqual([name, false]);
    expect([name, ...(await token.transferStatus(a1.address, b.address, 1n))]).toEqual([name, 9n, ruleAddress]);
    expect([name, ...(await token.transferStatus(ZERO, b.address, 1n))]).toEqual([name, 9n, ruleAddress]);
    await expectRevert(token.connect(a1).transfer(b.address, 1n, { gasLimit: 3_000_000 }), 'ComplianceCheckFailed', [ruleAddress]);
    await expectRevert(token.mint(b.address, 1n, { gasLimit: 3_000_000 }), 'ComplianceCheckFailed', [ruleAddress]);
    expect(await state()).toEqual(before);
    await (await token.removeRule(ruleAddress)).wait();
  }
  // Removed, the token works again.
  await (await token.connect(a1).transfer(b.address, 1n)).wait();
  expect(await token.balanceOf(b.address)).toBe(501n);
});

test('a rule whose hooks revert stops the movement (fails closed)', async () => {
  const rule = await (await new MisbehavingRule__factory(agent).deploy(6)).waitForDeployment();
  const ruleAddress = await rule.getAddress();
  await (await token.addRule(ruleAddress)).wait();
  const before = await state();
  expect(await token.canTransfer(a1.address, b.address, 1n)).toBe(true);
  await expectRevert(token.connect(a1).transfer(b.address, 1n), 'ComplianceCheckFailed', [ruleAddress]);
  await expectRevert(token.mint(b.address, 1n), 'ComplianceCheckFailed', [ruleAddress]);
  await expectRevert(token.burn(b.address, 1n), 'ComplianceCheckFailed', [ruleAddress]);
  expect(await state()).toEqual(before);
});

test('addRule refuses addresses without code and contracts that are not compliance rules', async () => {
  const plain = await (await new PlainERC20__factory(agent).deploy()).waitForDeployment();
  const plainAddress = await plain.getAddress();
  const gateAddress = await world.gate.getAddress();
  await expectRevert(token.addRule(u.address), 'RuleHasNoCode', [u.address]);
  await expectRevert(token.addRule(ZERO), 'ZeroAddress', ['rule']);
  await expectRevert(token.addRule(plainAddress), 'NotAComplianceRule', [plainAddress]); // no ERC-165
  await expectRevert(token.addRule(gateAddress), 'NotAComplianceRule', [gateAddress]); // ERC-165, not a rule
  expect(await token.rules()).toEqual([]);
  const rule = await (await new MisbehavingRule__factory(agent).deploy(0)).waitForDeployment();
  const ruleAddress = await rule.getAddress();
  expect(await eventsOf(token.addRule(ruleAddress), token, 'RuleAdded')).toEqual([args(ruleAddress)]);
  expect(await token.rules()).toEqual([ruleAddress]);
  expect(await eventsOf(token.removeRule(ruleAddress), token, 'RuleRemoved')).toEqual([args(ruleAddress)]);
  expect(await token.rules()).toEqual([]);
});

test('the admin role moves in two steps, and never by grantRole', async () => {
  const adminRole = await token.DEFAULT_ADMIN_ROLE();
  await expectRevert(token.grantRole(adminRole, b.address), 'AccessControlEnforcedDefaultAdminRules', []);
  await expectRevert(token.connect(b).beginDefaultAdminTransfer(b.address), 'AccessControlUnauthorizedAccount', [b.address, adminRole]);
  const scheduled = await eventsOf(token.beginDefaultAdminTransfer(b.address), token, 'DefaultAdminTransferScheduled');
  expect(scheduled.map((e) => e[0])).toEqual([b.address.toLowerCase()]);
  // Nothing changes until the new admin accepts.
  expect(await token.hasRole(adminRole, b.address)).toBe(false);
  expect(await token.defaultAdmin()).toBe(agent.address);
  await expectRevert(token.connect(c).acceptDefaultAdminTransfer(), 'AccessControlInvalidDefaultAdmin', [c.address]);
  await (await token.connect(b).acceptDefaultAdminTransfer()).wait();
  expect(await token.defaultAdmin()).toBe(b.address);
  expect(await token.hasRole(adminRole, b.address)).toBe(true);
  expect(await token.hasRole(adminRole, agent.address)).toBe(false);
  const rule = await (await new MisbehavingRule__factory(agent).deploy(0)).waitForDeployment();
  await expectRevert(token.addRule(await rule.getAddress()), 'AccessControlUnauthorizedAccount', [agent.address, adminRole]);
  await (await token.connect(b).addRule(await rule.getAddress())).wait();
});

test('every agent and admin function refuses callers without the role', async () => {
  const agentRole = await token.AGENT_ROLE();
  const adminRole = await token.DEFAULT_ADMIN_ROLE();
  const t = token.connect(a1);
  const rule = await (await new MisbehavingRule__factory(agent).deploy(0)).waitForDeployment();
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
  await expectRevert(t.recoveryAddress(a1.address, a2.address, ZERO), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.setPolicyId(1n), 'AccessControlUnauthorizedAccount', [a1.address, adminRole]);
  await expectRevert(t.batchMint([a1.address], [1n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchBurn([b.address], [1n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchForcedTransfer([b.address], [a1.address], [1n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchSetAddressFrozen([b.address], [true]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchFreezePartialTokens([b.address], [1n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.batchUnfreezePartialTokens([b.address], [0n]), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(t.addRule(await rule.getAddress()), 'AccessControlUnauthorizedAccount', [a1.address, adminRole]);
  await expectRevert(t.removeRule(b.address), 'AccessControlUnauthorizedAccount', [a1.address, adminRole]);
  await expectRevert(t.grantRole(agentRole, a1.address), 'AccessControlUnauthorizedAccount', [a1.address, adminRole]);
  expect(await state()).toEqual(before);
  expect(await token.rules()).toEqual([]);
  expect(await token.hasRole(agentRole, a1.address)).toBe(false);
  expect(await token.policyId()).toBe(1n);
});

test('a rule’s canTransfer runs with 150k gas: within it the rule answers, beyond it the rule fails closed', async () => {
  const rule = await (await new MisbehavingRule__factory(agent).deploy(8)).waitForDeployment(); // BurnThenAllow
  const ruleAddress = await rule.getAddress();
  await (await token.addRule(ruleAddress)).wait();
  expect(await token.RULE_CHECK_GAS()).toBe(150_000n);
  await (await rule.setBurn(120_000n)).wait();
  expect(await token.canTransfer(a1.address, b.address, 1n)).toBe(true);
  await (await token.connect(a1).transfer(b.address, 1n, { gasLimit: 3_000_000 })).wait();
  // The same rule needing more than the bound is cut off, however much gas the caller sends.
  await (await rule.setBurn(160_000n)).wait();
  expect([...(await token.transferStatus(a1.address, b.address, 1n, { gasLimit: 3_000_000 }))]).toEqual([9n, ruleAddress]);
  await expectRevert(token.connect(a1).transfer(b.address, 1n, { gasLimit: 3_000_000 }), 'ComplianceCheckFailed', [ruleAddress]);
  expect(await token.balanceOf(b.address)).toBe(501n);
});

describe('an agent move does not lend its exemptions', () => {
  /** A rule whose hook tries `transferFrom(b, c, 50)` with an allowance b gave it. */
  async function reentrantRule() {
    const rule = await (await new ReentrantRule__factory(agent).deploy()).waitForDeployment();
    const ruleAddress = await rule.getAddress();
    await (await token.addRule(ruleAddress)).wait();
    await (await token.connect(b).approve(ruleAddress, 100n)).wait();
    await (await rule.arm(await token.getAddress(), b.address, c.address, 50n)).wait();
    return rule;
  }

  test('a transfer a rule’s hook starts during a forced transfer gets every check (paused, frozen sender)', async () => {
    const rule = await reentrantRule();
    await (await token.pause()).wait();
    await (await token.setAddressFrozen(b.address, true)).wait();
    await (await token.freezePartialTokens(b.address, 500n)).wait();
    await (await token.forcedTransfer(a1.address, c.address, 1n)).wait();
    expect(await rule.attempted()).toBe(true);
    expect(await rule.succeeded()).toBe(false);
    expect(token.interface.parseError(await rule.failure())?.name).toBe('TokenPaused');
    // b's tokens did not move and stay frozen; only the agent's own movement happened.
    expect(await token.balanceOf(b.address)).toBe(500n);
    expect(await token.getFrozenTokens(b.address)).toBe(500n);
    expect(await token.balanceOf(c.address)).toBe(1n);
    expect(await rule.seen()).toEqual([true]);
  });

  test('during a recovery too; a checked transfer from a hook is not reported as an agent move', async () => {
    const rule = await reentrantRule();
    await (await token.recoveryAddress(a1.address, a2.address, ZERO)).wait();
    // Unpaused and unfrozen, b's transfer passes its checks — as b's own transfer, not the agent's.
    expect(await rule.succeeded()).toBe(true);
    expect(await token.balanceOf(c.address)).toBe(50n);
    expect(await rule.seen()).toEqual([true, false]);
    expect(await token.isAgentMove()).toBe(false);
  });
});

test('a token agent cannot reach another policy: setPolicyId is the admin’s, and the gate lets the token act for its own policy only', async () => {
  const adminRole = await token.DEFAULT_ADMIN_ROLE();
  const tokenAgent = world.users[7];
  await (await token.grantRole(await token.AGENT_ROLE(), tokenAgent.address)).wait();
  // Another token's policy 2, where alice holds a1 and a2.
  await setGatePolicy(world.admin, world.deployment, policySpec({ policyId: 2n }));
  await world.register(holders.alice, a1, { policyId: 2n });
  await world.register(holders.alice, a2, { policyId: 2n });
  // The token's agent can neither move the token to policy 2 (paused or not)...
  await expectRevert(token.connect(tokenAgent).setPolicyId(2n), 'AccessControlUnauthorizedAccount', [tokenAgent.address, adminRole]);
  await (await token.connect(tokenAgent).pause()).wait();
  await expectRevert(token.connect(tokenAgent).setPolicyId(2n), 'AccessControlUnauthorizedAccount', [tokenAgent.address, adminRole]);
  expect(await token.policyId()).toBe(1n);
  // ...nor, through the token, revoke or bar anyone under it: the token is policy 1's agent only.
  const tokenAddress = await token.getAddress();
  expect(await isPolicyAgent(world.gate, 1n, tokenAddress)).toBe(true);
  expect(await isPolicyAgent(world.gate, 2n, tokenAddress)).toBe(false);
  expect(await world.gate.hasRole(await world.gate.AGENT_ROLE(), tokenAddress)).toBe(false);
  await (await token.setPolicyId(2n)).wait(); // the admin migrates, but the gate was not told
  await expectRevert(token.connect(tokenAgent).recoveryAddress(a1.address, a2.address, ZERO), 'NotPolicyAgent', [2n, tokenAddress]);
  expect(await world.gate.isVerified(2n, a1.address)).toBe(true);
  expect(await world.gate.walletBarredUntil(2n, a1.address)).toBe(0n);
  // Once the gate's policy admin makes the token policy 2's agent, recovery works there.
  await (await world.gate.setPolicyAgent(2n, tokenAddress, true)).wait();
  await (await token.connect(tokenAgent).recoveryAddress(a1.address, a2.address, ZERO)).wait();
  expect(await world.gate.isVerified(2n, a1.address)).toBe(false);
});
