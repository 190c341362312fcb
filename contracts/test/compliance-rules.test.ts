/**
 * The compliance rules, each on its own token so one rule's refusal is not masked by another's:
 * MaxBalancePerInvestor, LockUp, MaxInvestors, TransferVolumePerPeriod and SanctionsList.
 * Holders are registered with real proofs; alice owns two wallets (one nullifier).
 */
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { PermissionedToken } from '@zkkyc/contracts/typechain';
import type { ConnectedRules } from '../../packages/sdk/src/contracts.js';
import { DAY, World, closeProver, expectRevert, increaseTime, revertTo, snapshot } from './fixture.js';

let world: World;
let a1: HardhatEthersSigner, a2: HardhatEthersSigner, b: HardhatEthersSigner, c: HardhatEthersSigner, outsider: HardhatEthersSigner;
let base: string;

function token(symbol: string): { token: PermissionedToken; rules: ConnectedRules } {
  return world.contracts.tokens[symbol];
}

beforeAll(async () => {
  world = await World.create({
    tokens: [
      { name: 'Capped', symbol: 'CAP', decimals: 0, policyId: 1n, rules: { maxBalancePerInvestor: 1000n } },
      { name: 'Locked', symbol: 'LOCK', decimals: 0, policyId: 1n, rules: { lockUpSeconds: DAY } },
      { name: 'Club', symbol: 'CLUB', decimals: 0, policyId: 1n, rules: { maxInvestors: 2 } },
      { name: 'Slow', symbol: 'SLOW', decimals: 0, policyId: 1n, rules: { transferVolume: { periodSeconds: DAY, maxVolume: 500n } } },
      { name: 'Screened', symbol: 'SCR', decimals: 0, policyId: 1n, rules: { sanctions: true } },
    ],
  });
  ({ a1, a2, b, c, unverified: outsider } = await world.registerInvestors());
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

afterAll(closeProver);

async function balances(t: PermissionedToken) {
  return Promise.all([a1, a2, b, c].map((w) => t.balanceOf(w.address)));
}

test('MaxBalancePerInvestor sums an investor’s wallets', async () => {
  const { token: cap, rules } = token('CAP');
  const rule = rules.maxBalancePerInvestor!;
  const ruleAddress = await rule.getAddress();
  await (await cap.batchMint([a1.address, a2.address, b.address], [600n, 400n, 100n])).wait();
  const alice = await world.gate.investorOf(1n, a1.address);
  expect(await rule.investorBalance(alice)).toBe(1000n);
  const before = await balances(cap);
  await expectRevert(cap.mint(a2.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  await expectRevert(cap.connect(b).transfer(a1.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  expect(await cap.transferStatus(b.address, a2.address, 1n)).toEqual([16n, ruleAddress]);
  expect(await balances(cap)).toEqual(before);
  // Moving between one's own wallets is fine; burning makes room.
  await (await cap.connect(a1).transfer(a2.address, 600n)).wait();
  await (await cap.burn(a2.address, 100n)).wait();
  await (await cap.connect(b).transfer(a1.address, 100n)).wait();
  expect(await rule.investorBalance(alice)).toBe(1000n);
  await expectRevert(rule.connect(outsider).created(a1.address, 1n), 'NotToken', [outsider.address]);
});

test('LockUp holds acquired tokens for the period', async () => {
  const { token: lock, rules } = token('LOCK');
  const ruleAddress = await rules.lockUp!.getAddress();
  await (await lock.mint(b.address, 100n)).wait();
  const before = await balances(lock);
  await expectRevert(lock.connect(b).transfer(c.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  expect(await balances(lock)).toEqual(before);
  await increaseTime(DAY + 1);
  await (await lock.connect(b).transfer(c.address, 40n)).wait();
  // What c received is locked in turn.
  await expectRevert(lock.connect(c).transfer(b.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  expect((await rules.lockUp!.lockedOf(c.address)).amount).toBe(40n);
  // An agent's forced transfer is not stopped by the lock.
  await (await lock.forcedTransfer(c.address, b.address, 40n)).wait();
});

test('MaxInvestors counts investors, not wallets, and lets one replace another', async () => {
  const { token: club, rules } = token('CLUB');
  const rule = rules.maxInvestors!;
  const ruleAddress = await rule.getAddress();
  await (await club.batchMint([a1.address, a2.address, b.address], [10n, 10n, 10n])).wait();
  expect(await rule.investorCount()).toBe(2n);
  const before = await balances(club);
  await expectRevert(club.mint(c.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 18n]);
  await expectRevert(club.connect(b).transfer(c.address, 5n), 'ComplianceRuleRefused', [ruleAddress, 18n]);
  expect(await balances(club)).toEqual(before);
  // Bob leaves entirely, carol takes his place.
  await (await club.connect(b).transfer(c.address, 10n)).wait();
  expect(await rule.investorCount()).toBe(2n);
  await (await club.connect(a1).transfer(a2.address, 10n)).wait();
  expect(await rule.investorCount()).toBe(2n);
});

test('TransferVolumePerPeriod caps what one investor sends per window', async () => {
  const { token: slow, rules } = token('SLOW');
  const ruleAddress = await rules.transferVolumePerPeriod!.getAddress();
  await (await slow.batchMint([a1.address, a2.address], [1000n, 1000n])).wait();
  await (await slow.connect(a1).transfer(b.address, 300n)).wait();
  await (await slow.connect(a2).transfer(c.address, 200n)).wait();
  const before = await balances(slow);
  // Alice's two wallets share one allowance.
  await expectRevert(slow.connect(a2).transfer(b.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 19n]);
  expect(await balances(slow)).toEqual(before);
  await (await slow.connect(a1).transfer(a2.address, 500n)).wait(); // own wallets: not counted
  await increaseTime(DAY);
  await (await slow.connect(a2).transfer(b.address, 500n)).wait();
});

test('SanctionsList: a flagged wallet neither sends nor receives; an agent moves its balance to custody', async () => {
  const { token: scr, rules } = token('SCR');
  const list = rules.sanctionsList!;
  const listAddress = await list.getAddress();
  await (await scr.batchMint([b.address, c.address], [100n, 100n])).wait();
  const oracleRole = await list.ORACLE_ROLE();
  await expectRevert(list.connect(outsider).addSanctioned([b.address]), 'AccessControlUnauthorizedAccount', [outsider.address, oracleRole]);
  await (await list.addSanctioned([b.address])).wait();
  const before = await balances(scr);
  await expectRevert(scr.connect(b).transfer(c.address, 1n), 'ComplianceRuleRefused', [listAddress, 20n]);
  await expectRevert(scr.connect(c).transfer(b.address, 1n), 'ComplianceRuleRefused', [listAddress, 21n]);
  await expectRevert(scr.mint(b.address, 1n), 'ComplianceRuleRefused', [listAddress, 21n]);
  expect(await balances(scr)).toEqual(before);
  await (await scr.forcedTransfer(b.address, a1.address, 100n)).wait(); // a1 stands in for custody
  expect(await scr.balanceOf(b.address)).toBe(0n);
  await (await list.removeSanctioned([b.address])).wait();
  await (await scr.connect(c).transfer(b.address, 1n)).wait();
});

test('rules are added and removed by the admin only, and at most eight', async () => {
  const { token: cap, rules } = token('CAP');
  const ruleAddress = await rules.maxBalancePerInvestor!.getAddress();
  await expectRevert(cap.addRule(ruleAddress), 'RuleAlreadyAdded', [ruleAddress]);
  await expectRevert(cap.removeRule(outsider.address), 'RuleNotFound', [outsider.address]);
  await (await cap.removeRule(ruleAddress)).wait();
  expect(await cap.rules()).toEqual([]);
  await (await cap.mint(a1.address, 5000n)).wait();
  for (let i = 1; i <= 8; i++) await (await cap.addRule(`0x${i.toString(16).padStart(40, '0')}`)).wait();
  await expectRevert(cap.addRule(outsider.address), 'TooManyRules', [8n]);
  expect((await cap.rules()).length).toBe(8);
});

test('rule settings change only through their admin', async () => {
  const cap = token('CAP').rules.maxBalancePerInvestor!;
  const lock = token('LOCK').rules.lockUp!;
  const club = token('CLUB').rules.maxInvestors!;
  const slow = token('SLOW').rules.transferVolumePerPeriod!;
  const adminRole = await cap.DEFAULT_ADMIN_ROLE();
  const denied = [outsider.address, adminRole];
  await expectRevert(cap.connect(outsider).setMaxBalance(1n), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(lock.connect(outsider).setLockPeriod(1n), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(club.connect(outsider).setMaxInvestors(1n), 'AccessControlUnauthorizedAccount', denied);
  await expectRevert(slow.connect(outsider).setLimit(1n, 1n), 'AccessControlUnauthorizedAccount', denied);
  expect([await cap.maxBalance(), await lock.lockPeriod(), await club.maxInvestors(), await slow.maxVolume()]).toEqual([1000n, BigInt(DAY), 2n, 500n]);
  await (await cap.setMaxBalance(5n)).wait();
  expect(await cap.maxBalance()).toBe(5n);
});
