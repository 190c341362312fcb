/**
 * The compliance rules, each on its own token so one rule's refusal is not masked by another's:
 * MaxBalancePerInvestor, LockUp, MaxInvestors, TransferVolumePerPeriod and SanctionsList, and one
 * token (MIG) carrying the four token-bound rules through a policy migration.
 * Holders are registered with real proofs; alice owns two wallets (one nullifier).
 */
import hre from 'hardhat';
import { id } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { MisbehavingRule__factory, type PermissionedToken } from '@zkkyc/contracts/typechain';
import type { ConnectedRules } from '../../packages/sdk/src/contracts.js';
import { setGatePolicy } from '../../packages/sdk/src/deploy.js';
import { DAY, World, args, closeProver, eventsOf, expectRevert, increaseTime, latestTime, policySpec, revertTo, snapshot, type Holder } from './fixture.js';

let world: World;
let a1: HardhatEthersSigner, a2: HardhatEthersSigner, b: HardhatEthersSigner, c: HardhatEthersSigner, outsider: HardhatEthersSigner;
let holders: { alice: Holder; bob: Holder; carol: Holder };
let agent: HardhatEthersSigner;
let base: string;

/** LockUp's lots: acquisitions are grouped by unlock time in buckets of ceil(period / 15). */
const MAX_LOTS = 16;
const BUCKET = Math.ceil(DAY / (MAX_LOTS - 1));
const roundUp = (t: number) => Math.ceil(t / BUCKET) * BUCKET;

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
      {
        name: 'Migrating',
        symbol: 'MIG',
        decimals: 0,
        policyId: 1n,
        rules: { maxBalancePerInvestor: 1000n, lockUpSeconds: DAY, maxInvestors: 3, transferVolume: { periodSeconds: DAY, maxVolume: 500n } },
      },
    ],
  });
  agent = world.admin;
  ({ a1, a2, b, c, unverified: outsider, holders } = await world.registerInvestors());
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

/** The key a wallet bound to no investor is summed under. */
const ownKey = (wallet: string) => (1n << 192n) | BigInt(wallet);

/** Mines the next block at `timestamp`. */
async function mineAt(timestamp: number): Promise<void> {
  await hre.network.provider.send('evm_mine', [timestamp]);
}

test('MaxBalancePerInvestor sums an investor’s wallets', async () => {
  const { token: cap, rules } = token('CAP');
  const rule = rules.maxBalancePerInvestor!;
  const ruleAddress = await rule.getAddress();
  await (await cap.batchMint([a1.address, a2.address, b.address], [600n, 400n, 100n])).wait();
  const alice = await world.gate.investorOf(1n, a1.address);
  const bob = await world.gate.investorOf(1n, b.address);
  expect(await rule.investorBalance(alice)).toBe(1000n);
  expect(await rule.investorBalance(bob)).toBe(100n);
  expect(await rule.creditedKeyOf(a2.address)).toBe(alice);
  const before = await balances(cap);
  await expectRevert(cap.mint(a2.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  await expectRevert(cap.connect(b).transfer(a1.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  expect(await cap.transferStatus(b.address, a2.address, 1n)).toEqual([16n, ruleAddress]);
  expect(await balances(cap)).toEqual(before);
  // Moving between one's own wallets is fine; burning makes room.
  await (await cap.connect(a1).transfer(a2.address, 600n)).wait();
  expect(await rule.investorBalance(alice)).toBe(1000n);
  await (await cap.burn(a2.address, 100n)).wait();
  expect(await rule.investorBalance(alice)).toBe(900n);
  await (await cap.connect(b).transfer(a1.address, 100n)).wait();
  expect(await rule.investorBalance(alice)).toBe(1000n);
  expect(await rule.investorBalance(bob)).toBe(0n);
  await expectRevert(rule.connect(outsider).created(a1.address, 1n), 'NotToken', [outsider.address]);
});

test('MaxBalancePerInvestor: revoke then burn debits the investor that was credited', async () => {
  const { token: cap, rules } = token('CAP');
  const rule = rules.maxBalancePerInvestor!;
  await (await cap.mint(b.address, 1000n)).wait();
  const bob = await world.gate.investorOf(1n, b.address);
  await (await world.gate.revokeWallet(1n, b.address, 'kyc withdrawn')).wait();
  await (await cap.burn(b.address, 1000n)).wait();
  expect(await rule.investorBalance(bob)).toBe(0n);
  expect(await rule.investorBalance(ownKey(b.address))).toBe(0n);
  // Bob comes back with his credential: his cap is whole again, not eaten by a phantom balance.
  await world.register(holders.bob, b);
  await (await cap.mint(b.address, 1000n)).wait();
  expect(await rule.investorBalance(bob)).toBe(1000n);
});

test('resync moves a wallet’s sum to the key it is bound to now (token agents only)', async () => {
  const { token: cap, rules } = token('CAP');
  const rule = rules.maxBalancePerInvestor!;
  await (await cap.mint(b.address, 400n)).wait();
  const bob = await world.gate.investorOf(1n, b.address);
  await (await world.gate.revokeWallet(1n, b.address, 'kyc withdrawn')).wait();
  expect(await rule.creditedKeyOf(b.address)).toBe(bob);
  await expectRevert(rule.connect(outsider).resync([b.address]), 'NotTokenAgent', [outsider.address]);
  expect(await rule.investorBalance(bob)).toBe(400n);
  const logged = await eventsOf(rule.resync([b.address, a1.address]), rule, 'InvestorKeyResynced');
  // a1 holds nothing and is already on its key: nothing to log for it.
  expect(logged).toEqual([args(b.address, bob, ownKey(b.address), 400n, agent.address)]);
  expect(await rule.investorBalance(bob)).toBe(0n);
  expect(await rule.investorBalance(ownKey(b.address))).toBe(400n);
  expect(await rule.creditedKeyOf(b.address)).toBe(ownKey(b.address));
  expect(await eventsOf(rule.resync([b.address]), rule, 'InvestorKeyResynced')).toEqual([]); // idempotent
});

test('LockUp holds each acquisition for the period, from the time it was acquired', async () => {
  const { token: lock, rules } = token('LOCK');
  const rule = rules.lockUp!;
  const ruleAddress = await rule.getAddress();
  await (await lock.mint(b.address, 100n)).wait();
  const t1 = await latestTime();
  const unlock1 = roundUp(t1 + DAY);
  expect(await rule.lockedOf(b.address)).toEqual([100n, BigInt(unlock1)]);
  const before = await balances(lock);
  await expectRevert(lock.connect(b).transfer(c.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  expect(await lock.transferStatus(b.address, c.address, 1n)).toEqual([17n, ruleAddress]);
  expect(await balances(lock)).toEqual(before);
  // Half a period later b acquires 50 more: they get a clock of their own.
  await mineAt(t1 + DAY / 2);
  await (await lock.mint(b.address, 50n)).wait();
  const t2 = await latestTime();
  const unlock2 = roundUp(t2 + DAY);
  expect((await rule.lockedOf(b.address)).amount).toBe(150n);
  await mineAt(unlock1 - 10);
  await expectRevert(lock.connect(b).transfer(c.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  await mineAt(unlock1);
  // The first 100 are free; the 50 stay locked until their own period ends.
  expect(await rule.lockedOf(b.address)).toEqual([50n, BigInt(unlock2)]);
  await expectRevert(lock.connect(b).transfer(c.address, 101n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  await (await lock.connect(b).transfer(c.address, 100n)).wait();
  // What c received is locked in turn, for a full period from its arrival.
  const t3 = await latestTime();
  expect(await rule.lockedOf(c.address)).toEqual([100n, BigInt(roundUp(t3 + DAY))]);
  await expectRevert(lock.connect(c).transfer(b.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  await mineAt(unlock2);
  await (await lock.connect(b).transfer(a1.address, 50n)).wait();
  expect(await lock.balanceOf(b.address)).toBe(0n);
  expect((await rule.lockedOf(b.address)).amount).toBe(0n);
});

test('LockUp: after the period changes, an acquisition landing on a live lot’s slot merges at the later time', async () => {
  const { token: lock, rules } = token('LOCK');
  const rule = rules.lockUp!;
  const ruleAddress = await rule.getAddress();
  const granule = (period: number) => Math.max(1, Math.floor((period + MAX_LOTS - 2) / (MAX_LOTS - 1)));
  const unlockAt = (t: number, period: number) => Math.ceil((t + period) / granule(period)) * granule(period);
  const slot = (at: number, period: number) => Math.floor(at / granule(period)) % MAX_LOTS;
  const t0 = (await latestTime()) + 10;
  await hre.network.provider.send('evm_setNextBlockTimestamp', [t0]);
  await (await lock.mint(b.address, 100n)).wait();
  const u1 = unlockAt(t0, DAY);
  expect(await rule.lockedOf(b.address)).toEqual([100n, BigInt(u1)]);
  // A longer period whose unlock time for an acquisition at t1 falls in the live lot's slot.
  const t1 = t0 + 100;
  let period = 0;
  for (let p = DAY + 1; p < 3 * DAY; p++) {
    if (slot(unlockAt(t1, p), p) === slot(u1, DAY) && unlockAt(t1, p) > u1 + 3600) {
      period = p;
      break;
    }
  }
  expect(period).toBeGreaterThan(0);
  const u2 = unlockAt(t1, period);
  await (await rule.setLockPeriod(period)).wait();
  await hre.network.provider.send('evm_setNextBlockTimestamp', [t1]);
  await (await lock.mint(b.address, 50n)).wait();
  // One lot, at the later time: the 100 never unlock before the 50 acquired with them in the slot.
  expect(await rule.lotsOf(b.address)).toEqual([[BigInt(u2)], [150n]]);
  await mineAt(u1 + 10);
  expect(await rule.lockedOf(b.address)).toEqual([150n, BigInt(u2)]);
  await expectRevert(lock.connect(b).transfer(c.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  await mineAt(u2);
  await (await lock.connect(b).transfer(c.address, 150n)).wait();
});

test('LockUp: nobody can keep another holder locked by sending dust', async () => {
  const { token: lock, rules } = token('LOCK');
  const ruleAddress = await rules.lockUp!.getAddress();
  await (await lock.mint(c.address, 1000n)).wait();
  await increaseTime(DAY + BUCKET);
  await (await lock.mint(b.address, 100n)).wait();
  const t1 = await latestTime();
  // Just before b's tokens unlock, c sends b one token (and again, as a griefer would).
  await mineAt(t1 + DAY - 3600);
  await (await lock.connect(c).transfer(b.address, 1n)).wait();
  await (await lock.connect(c).transfer(b.address, 1n)).wait();
  await mineAt(roundUp(t1 + DAY));
  expect((await rules.lockUp!.lockedOf(b.address)).amount).toBe(2n);
  await expectRevert(lock.connect(b).transfer(a1.address, 101n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  await (await lock.connect(b).transfer(a1.address, 100n)).wait();
  expect(await lock.balanceOf(a1.address)).toBe(100n);
});

test('LockUp: agent moves between one investor’s wallets carry the lock; to another investor they start one', async () => {
  const { token: lock, rules } = token('LOCK');
  const rule = rules.lockUp!;
  const ruleAddress = await rule.getAddress();
  await (await lock.mint(a1.address, 100n)).wait();
  const unlock1 = BigInt(roundUp((await latestTime()) + DAY));
  await increaseTime(DAY / 3);
  await (await lock.forcedTransfer(a1.address, a2.address, 60n)).wait();
  expect(await rule.lockedOf(a2.address)).toEqual([60n, unlock1]);
  expect(await rule.lockedOf(a1.address)).toEqual([40n, unlock1]);
  await expectRevert(lock.connect(a2).transfer(b.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
  // Forced to another investor: a new acquisition for them, a full period from now.
  await (await lock.forcedTransfer(a1.address, b.address, 40n)).wait();
  const unlockB = BigInt(roundUp((await latestTime()) + DAY));
  expect(await rule.lockedOf(b.address)).toEqual([40n, unlockB]);
  expect((await rule.lockedOf(a1.address)).amount).toBe(0n);
  await mineAt(Number(unlock1));
  await (await lock.connect(a2).transfer(b.address, 60n)).wait();
  await expectRevert(lock.connect(b).transfer(c.address, 61n), 'ComplianceRuleRefused', [ruleAddress, 17n]);
});

test('LockUp: an agent clears a lock, and a wallet never holds more than MAX_LOTS lots', async () => {
  const { token: lock, rules } = token('LOCK');
  const rule = rules.lockUp!;
  expect(await rule.MAX_LOTS()).toBe(BigInt(MAX_LOTS));
  await (await lock.mint(c.address, 1000n)).wait();
  await increaseTime(DAY + BUCKET);
  for (let i = 0; i < 24; i++) {
    await (await lock.connect(c).transfer(b.address, 1n)).wait();
    await increaseTime(Math.floor(DAY / 20));
    const [unlocks] = await rule.lotsOf(b.address);
    expect(unlocks.length).toBeLessThanOrEqual(MAX_LOTS);
  }
  const [locked] = await rule.lockedOf(b.address);
  expect(locked).toBeGreaterThan(0n);
  await expectRevert(rule.connect(outsider).clearLock(b.address), 'NotTokenAgent', [outsider.address]);
  expect(await eventsOf(rule.clearLock(b.address), rule, 'LockCleared')).toEqual([args(b.address, locked, agent.address)]);
  expect(await rule.lockedOf(b.address)).toEqual([0n, 0n]);
  expect((await rule.lotsOf(b.address))[0]).toEqual([]);
  await (await lock.connect(b).transfer(a1.address, 24n)).wait();
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
  expect(await club.balanceOf(c.address)).toBe(10n);
  await (await club.connect(a1).transfer(a2.address, 10n)).wait();
  expect(await rule.investorCount()).toBe(2n);
});

test('MaxInvestors: a revoked holder clawed back or burned stops counting', async () => {
  const { token: club, rules } = token('CLUB');
  const rule = rules.maxInvestors!;
  await (await club.batchMint([a1.address, b.address], [10n, 10n])).wait();
  expect(await rule.investorCount()).toBe(2n);
  await (await world.gate.revokeWallet(1n, b.address, 'kyc withdrawn')).wait();
  await (await club.forcedTransfer(b.address, a1.address, 4n)).wait(); // claw back part
  await (await club.burn(b.address, 6n)).wait(); // and burn the rest
  expect(await rule.investorCount()).toBe(1n);
  // No phantom investor: a newcomer fits.
  await (await club.mint(c.address, 5n)).wait();
  expect(await rule.investorCount()).toBe(2n);
});

test('TransferVolumePerPeriod caps what one investor sends per window', async () => {
  const { token: slow, rules } = token('SLOW');
  const rule = rules.transferVolumePerPeriod!;
  const ruleAddress = await rule.getAddress();
  await (await slow.batchMint([a1.address, a2.address], [1000n, 1000n])).wait();
  await (await slow.connect(a1).transfer(b.address, 300n)).wait();
  await (await slow.connect(a2).transfer(c.address, 200n)).wait();
  const alice = await world.gate.investorOf(1n, a1.address);
  expect(await rule.volumeOf(alice)).toBe(500n);
  const before = await balances(slow);
  // Alice's two wallets share one allowance.
  await expectRevert(slow.connect(a2).transfer(b.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 19n]);
  expect(await balances(slow)).toEqual(before);
  await (await slow.connect(a1).transfer(a2.address, 500n)).wait(); // own wallets: not counted
  expect(await rule.volumeOf(alice)).toBe(500n);
  await increaseTime(DAY);
  expect(await rule.volumeOf(alice)).toBe(0n);
  await (await slow.connect(a2).transfer(b.address, 500n)).wait();
  expect(await slow.balanceOf(b.address)).toBe(800n);
});

test('TransferVolumePerPeriod: an agent’s forced transfer does not use the holder’s allowance', async () => {
  const { token: slow, rules } = token('SLOW');
  const rule = rules.transferVolumePerPeriod!;
  await (await slow.mint(a1.address, 1000n)).wait();
  await (await slow.forcedTransfer(a1.address, b.address, 400n)).wait();
  expect(await rule.volumeOf(await world.gate.investorOf(1n, a1.address))).toBe(0n);
  await (await slow.connect(a1).transfer(c.address, 500n)).wait();
  expect(await slow.balanceOf(c.address)).toBe(500n);
});

test('SanctionsList: a flagged wallet neither sends nor receives; an agent moves its balance to custody', async () => {
  const { token: scr, rules } = token('SCR');
  const list = rules.sanctionsList!;
  const listAddress = await list.getAddress();
  await (await scr.batchMint([b.address, c.address], [100n, 100n])).wait();
  const oracleRole = await list.ORACLE_ROLE();
  await expectRevert(list.connect(outsider).addSanctioned([b.address]), 'AccessControlUnauthorizedAccount', [outsider.address, oracleRole]);
  expect(await eventsOf(list.addSanctioned([b.address]), list, 'SanctionSet')).toEqual([args(b.address, true, agent.address)]);
  const before = await balances(scr);
  await expectRevert(scr.connect(b).transfer(c.address, 1n), 'ComplianceRuleRefused', [listAddress, 20n]);
  await expectRevert(scr.connect(c).transfer(b.address, 1n), 'ComplianceRuleRefused', [listAddress, 21n]);
  await expectRevert(scr.mint(b.address, 1n), 'ComplianceRuleRefused', [listAddress, 21n]);
  expect(await scr.canTransfer(b.address, c.address, 1n)).toBe(false);
  expect(await balances(scr)).toEqual(before);
  await (await scr.forcedTransfer(b.address, a1.address, 100n)).wait(); // a1 stands in for custody
  expect(await scr.balanceOf(b.address)).toBe(0n);
  expect(await scr.balanceOf(a1.address)).toBe(100n);
  expect(await eventsOf(list.removeSanctioned([b.address]), list, 'SanctionSet')).toEqual([args(b.address, false, agent.address)]);
  await (await scr.connect(c).transfer(b.address, 1n)).wait();
  expect(await scr.balanceOf(b.address)).toBe(1n);
});

test('every rule answers ERC-165 for IComplianceRule', async () => {
  const selector = (sig: string) => BigInt(id(sig).slice(0, 10));
  const ruleId = selector('canTransfer(address,address,uint256)') ^ selector('transferred(address,address,uint256)') ^ selector('created(address,uint256)') ^ selector('destroyed(address,uint256)');
  const interfaceId = '0x' + ruleId.toString(16).padStart(8, '0');
  const all = token('MIG').rules;
  for (const rule of [all.maxBalancePerInvestor!, all.lockUp!, all.maxInvestors!, all.transferVolumePerPeriod!, token('SCR').rules.sanctionsList!]) {
    expect(await rule.supportsInterface(interfaceId)).toBe(true);
    expect(await rule.supportsInterface('0x01ffc9a7')).toBe(true);
    expect(await rule.supportsInterface('0xffffffff')).toBe(false);
  }
});

test('rules are added and removed by the admin only, and at most eight', async () => {
  const { token: cap, rules } = token('CAP');
  const ruleAddress = await rules.maxBalancePerInvestor!.getAddress();
  await expectRevert(cap.addRule(ruleAddress), 'RuleAlreadyAdded', [ruleAddress]);
  await expectRevert(cap.removeRule(outsider.address), 'RuleNotFound', [outsider.address]);
  expect(await eventsOf(cap.removeRule(ruleAddress), cap, 'RuleRemoved')).toEqual([args(ruleAddress)]);
  expect(await cap.rules()).toEqual([]);
  await (await cap.mint(a1.address, 5000n)).wait();
  const added: string[] = [];
  for (let i = 0; i < 8; i++) {
    const rule = await (await new MisbehavingRule__factory(agent).deploy(0)).waitForDeployment();
    added.push(await rule.getAddress());
    await (await cap.addRule(added[i])).wait();
  }
  const ninth = await (await new MisbehavingRule__factory(agent).deploy(0)).waitForDeployment();
  await expectRevert(cap.addRule(await ninth.getAddress()), 'TooManyRules', [8n]);
  expect(await cap.rules()).toEqual(added);
  // Removing keeps the others' order.
  await (await cap.removeRule(added[2])).wait();
  expect(await cap.rules()).toEqual([...added.slice(0, 2), ...added.slice(3)]);
});

test('rule settings and agent actions change only through their roles', async () => {
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
  await expectRevert(club.connect(outsider).resync([a1.address]), 'NotTokenAgent', [outsider.address]);
  await expectRevert(lock.connect(outsider).clearLock(a1.address), 'NotTokenAgent', [outsider.address]);
  await expectRevert(lock.connect(outsider).transferred(a1.address, b.address, 1n), 'NotToken', [outsider.address]);
  await expectRevert(slow.connect(outsider).transferred(a1.address, b.address, 1n), 'NotToken', [outsider.address]);
  expect([await cap.maxBalance(), await lock.lockPeriod(), await club.maxInvestors(), await slow.maxVolume(), await slow.period()]).toEqual([1000n, BigInt(DAY), 2n, 500n, BigInt(DAY)]);
  expect(await eventsOf(cap.setMaxBalance(5n), cap, 'MaxBalanceChanged')).toEqual([args(1000n, 5n)]);
  expect(await eventsOf(lock.setLockPeriod(7n), lock, 'LockPeriodChanged')).toEqual([args(BigInt(DAY), 7n)]);
  expect(await eventsOf(club.setMaxInvestors(9n), club, 'MaxInvestorsChanged')).toEqual([args(2n, 9n)]);
  expect(await eventsOf(slow.setLimit(60n, 70n), slow, 'LimitChanged')).toEqual([args(60n, 70n)]);
  expect([await cap.maxBalance(), await lock.lockPeriod(), await club.maxInvestors(), await slow.maxVolume(), await slow.period()]).toEqual([5n, 7n, 9n, 70n, 60n]);
});

test('rule admins change hands in two steps, never by grantRole', async () => {
  const cap = token('CAP').rules.maxBalancePerInvestor!;
  const sanctions = token('SCR').rules.sanctionsList!;
  for (const rule of [cap, sanctions]) {
    const adminRole = await rule.DEFAULT_ADMIN_ROLE();
    await expectRevert(rule.grantRole(adminRole, outsider.address), 'AccessControlEnforcedDefaultAdminRules', []);
    await (await rule.beginDefaultAdminTransfer(outsider.address)).wait();
    // Until the new admin accepts, the old one keeps the role (a mistyped address changes nothing).
    expect(await rule.defaultAdmin()).toBe(agent.address);
    expect(await rule.hasRole(adminRole, outsider.address)).toBe(false);
    await (await rule.connect(outsider).acceptDefaultAdminTransfer()).wait();
    expect(await rule.defaultAdmin()).toBe(outsider.address);
    expect(await rule.hasRole(adminRole, agent.address)).toBe(false);
  }
});

/** MaxBalancePerInvestor on CAP (cap 1000): a1 600 and a2 400 (alice), policy 2 set, only a1 re-proved, token paused on policy 2. */
async function capMigration() {
  const { token: cap, rules } = token('CAP');
  const rule = rules.maxBalancePerInvestor!;
  await (await cap.batchMint([a1.address, a2.address], [600n, 400n])).wait();
  await setGatePolicy(world.admin, world.deployment, policySpec({ policyId: 2n }));
  await world.register(holders.alice, a1, { policyId: 2n });
  await (await cap.pause()).wait();
  await (await cap.setPolicyId(2n)).wait();
  return { cap, rule, ruleAddress: await rule.getAddress(), alice2: await world.gate.investorOf(2n, a1.address) };
}

test('MaxBalancePerInvestor after a migration: a wallet that has not re-proved stays with its person, and the cap holds', async () => {
  const { cap, rule, ruleAddress, alice2 } = await capMigration();
  // a2 is bound to no one under policy 2, but it was alice's under policy 1, like a1: it stays hers.
  await (await rule.resync([a2.address, a1.address])).wait(); // order does not matter within a call
  await (await cap.unpause()).wait();
  expect(await rule.creditedKeyOf(a2.address)).toBe(alice2);
  expect(await rule.investorBalance(alice2)).toBe(1000n);
  // a2 re-proves later: nothing more may reach alice through either wallet.
  await world.register(holders.alice, a2, { policyId: 2n });
  await expectRevert(cap.mint(a1.address, 400n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  await expectRevert(cap.mint(a2.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  expect(await cap.balanceOf(a1.address)).toBe(600n);
});

test('MaxBalancePerInvestor after a migration: a second resync keeps a not-yet-re-proved wallet with its person', async () => {
  const { cap, rule, ruleAddress, alice2 } = await capMigration();
  await (await rule.resync([a1.address, a2.address])).wait();
  // Running the resync again (a2 still has not re-proved) must not split alice again.
  expect(await eventsOf(rule.resync([a1.address, a2.address]), rule, 'InvestorKeyResynced')).toEqual([]);
  await (await cap.unpause()).wait();
  expect(await rule.creditedKeyOf(a2.address)).toBe(alice2);
  expect(await rule.investorBalance(alice2)).toBe(1000n);
  await expectRevert(cap.mint(a1.address, 400n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  expect(await cap.balanceOf(a1.address)).toBe(600n);
});

test('MaxBalancePerInvestor after a migration: a wallet parked on its own key joins its investor when it re-proves', async () => {
  const { cap, rule, ruleAddress, alice2 } = await capMigration();
  // Resynced before any wallet of alice was: a2 goes to its own key.
  await (await rule.resync([a2.address])).wait();
  await (await rule.resync([a1.address])).wait();
  await (await cap.unpause()).wait();
  expect(await rule.creditedKeyOf(a2.address)).toBe(ownKey(a2.address));
  expect(await rule.investorBalance(alice2)).toBe(600n);
  // a2 re-proves: it is alice's again, and its 400 count toward her cap at once.
  await world.register(holders.alice, a2, { policyId: 2n });
  await expectRevert(cap.mint(a2.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  // The first movement touching a2 moves its sum to alice (logged), before counting the movement.
  const moved = await eventsOf(cap.connect(a2).transfer(a1.address, 100n), rule, 'InvestorKeyResynced');
  expect(moved).toEqual([args(a2.address, ownKey(a2.address), alice2, 400n, await cap.getAddress())]);
  expect(await rule.investorBalance(alice2)).toBe(1000n);
  expect(await rule.investorBalance(ownKey(a2.address))).toBe(0n);
  expect(await rule.creditedKeyOf(a2.address)).toBe(alice2);
  // Alice's wallets together are at the cap: nothing more to either.
  await expectRevert(cap.mint(a1.address, 400n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
  await expectRevert(cap.mint(a2.address, 1n), 'ComplianceRuleRefused', [ruleAddress, 16n]);
});

test('policy migration with per-investor rules: new policy, holders re-prove, switch, resync', async () => {
  const { token: mig, rules } = token('MIG');
  const cap = rules.maxBalancePerInvestor!;
  const club = rules.maxInvestors!;
  const slow = rules.transferVolumePerPeriod!;
  const lock = rules.lockUp!;
  await (await mig.batchMint([a1.address, a2.address, b.address], [600n, 300n, 100n])).wait();
  const alice1 = await world.gate.investorOf(1n, a1.address);
  expect(await cap.investorBalance(alice1)).toBe(900n);

  // 1. A tightened policy 2 (21+ instead of 18+) in the gate.
  await setGatePolicy(world.admin, world.deployment, policySpec({ policyId: 2n, minAge: 21 }));
  // 2. Holders re-prove for it; under policy 2 alice has another tag (tags are per scope).
  for (const [holder, wallet] of [
    [holders.alice, a1],
    [holders.alice, a2],
    [holders.bob, b],
    [holders.carol, c],
  ] as const) {
    await world.register(holder, wallet, { policyId: 2n });
  }
  const alice2 = await world.gate.investorOf(2n, a1.address);
  const bob2 = await world.gate.investorOf(2n, b.address);
  expect(alice2).not.toBe(alice1);
  // 3. Pause, switch the token, resync the rules that keep sums, unpause.
  await (await mig.pause()).wait();
  await (await mig.setPolicyId(2n)).wait();
  // The rules read the token's current policy: keys are the new tags at once.
  for (const rule of [cap, club, slow, lock]) expect(await rule.investorKey(a2.address)).toBe(alice2);
  const holdersList = [a1.address, a2.address, b.address];
  expect((await eventsOf(cap.resync(holdersList), cap, 'InvestorKeyResynced')).length).toBe(3);
  await (await club.resync(holdersList)).wait();
  await (await mig.unpause()).wait();
  // 4. The old records stop counting: sums now live under the new tags.
  expect(await cap.investorBalance(alice1)).toBe(0n);
  expect(await cap.investorBalance(alice2)).toBe(900n);
  expect(await cap.investorBalance(bob2)).toBe(100n);
  expect(await club.investorBalance(alice2)).toBe(900n);
  expect(await club.investorCount()).toBe(2n);
  expect(await cap.creditedKeyOf(a1.address)).toBe(alice2);
  // The cap applies to alice's wallets together under the new tag.
  const capAddress = await cap.getAddress();
  await expectRevert(mig.mint(a2.address, 101n), 'ComplianceRuleRefused', [capAddress, 16n]);
  await (await mig.mint(a2.address, 100n)).wait();
  await (await mig.mint(c.address, 10n)).wait();
  expect(await club.investorCount()).toBe(3n);
  // Lock-ups are per wallet and unaffected; the volume cap groups alice's wallets under the new tag.
  await increaseTime(DAY + BUCKET);
  await (await mig.connect(a1).transfer(b.address, 500n)).wait();
  expect(await slow.volumeOf(alice2)).toBe(500n);
  await expectRevert(mig.connect(a2).transfer(c.address, 1n), 'ComplianceRuleRefused', [await slow.getAddress(), 19n]);
  expect(await cap.investorBalance(alice2)).toBe(500n);
  expect(await cap.investorBalance(bob2)).toBe(600n);
});
