/**
 * TransferApproval: transfers held for review. A token (HOLD) whose only rule holds transfers of
 * more than 1000 to another investor, and every transfer from or to a flagged wallet, until a
 * compliance agent approves or rejects them; the sender may cancel, and after a day anyone may
 * expire them. After every path the test checks that no token was lost or created and that each
 * wallet's reservation equals the sum of its pending transfers.
 * Holders are registered with real proofs; alice owns two wallets (one investor).
 * A second token (HOLD2) only checks that deployToken passes the request limits on.
 */
import { ReentrantRule__factory, type PermissionedToken, type TransferApproval } from '@zkkyc/contracts/typechain';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { ZeroAddress } from 'ethers';
import { DAY, World, args, closeProver, eventsOf, expectRevert, increaseTime, latestTime, revertTo, snapshot } from './fixture.js';

const THRESHOLD = 1000n;
const APPROVAL_REQUIRED = 22n;
const HELD_FOR_REVIEW = 23n;
/** TransferApproval.Status */
const Status = { None: 0n, Pending: 1n, Approved: 2n, Rejected: 3n, Cancelled: 4n, Expired: 5n };

let world: World;
let token: PermissionedToken;
let rule: TransferApproval;
let ruleAddress: string;
let agent: HardhatEthersSigner;
let a1: HardhatEthersSigner, a2: HardhatEthersSigner, b: HardhatEthersSigner, c: HardhatEthersSigner, outsider: HardhatEthersSigner;
/** Holds COMPLIANCE_AGENT_ROLE on the rule and nothing on the token. */
let officer: HardhatEthersSigner;
let base: string;

/** What each wallet's pending transfers should reserve, maintained by the tests as they settle. */
let pending: Map<number, { from: string; amount: bigint }>;

beforeAll(async () => {
  world = await World.create({
    tokens: [
      {
        name: 'Held',
        symbol: 'HOLD',
        decimals: 0,
        policyId: 1n,
        rules: { transferApproval: { threshold: THRESHOLD, expirySeconds: DAY } },
      },
      // Only to check that the SDK passes the request limits on.
      {
        name: 'Held with limits',
        symbol: 'HOLD2',
        decimals: 0,
        policyId: 1n,
        rules: { transferApproval: { threshold: THRESHOLD, expirySeconds: DAY, minRequestAmount: 50n, maxPendingPerWallet: 2 } },
      },
    ],
  });
  agent = world.admin;
  ({ a1, a2, b, c, unverified: outsider } = await world.registerInvestors());
  officer = world.users[5];
  ({ token } = world.contracts.tokens.HOLD);
  rule = world.contracts.tokens.HOLD.rules.transferApproval!;
  ruleAddress = await rule.getAddress();
  await (await rule.grantRole(await rule.COMPLIANCE_AGENT_ROLE(), officer.address)).wait();
  await (await token.batchMint([a1.address, a2.address, b.address, c.address], [5000n, 1000n, 3000n, 100n])).wait();
  // Every holder lets the rule carry out its approved transfers.
  for (const w of [a1, a2, b, c]) await (await token.connect(w).approve(ruleAddress, 10n ** 30n)).wait();
  base = await snapshot();
});

beforeEach(() => {
  pending = new Map();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

afterAll(closeProver);

const wallets = () => [a1, a2, b, c, outsider].map((w) => w.address);

/** Requests a transfer from `from` and records it as pending; returns its id. */
async function request(from: HardhatEthersSigner, to: string, amount: bigint): Promise<number> {
  const id = Number(await rule.connect(from).requestTransfer.staticCall(to, amount));
  await (await rule.connect(from).requestTransfer(to, amount)).wait();
  pending.set(id, { from: from.address, amount });
  return id;
}

/** No token lost or created, and each wallet's reservation is the sum of its pending transfers. */
async function checkBooks(): Promise<void> {
  const balances = await Promise.all(wallets().map((w) => token.balanceOf(w)));
  expect(balances.reduce((x, y) => x + y, 0n)).toBe(await token.totalSupply());
  for (const w of wallets()) {
    const expected = [...pending.values()].filter((p) => p.from === w).reduce((x, p) => x + p.amount, 0n);
    expect(await rule.heldOf(w)).toBe(expected);
  }
}

async function statusOf(id: number): Promise<bigint> {
  return (await rule.pendingTransfer(id)).status;
}

test('a transfer above the threshold to another investor needs approval; below it, or between one’s own wallets, it does not', async () => {
  await expectRevert(token.connect(a1).transfer(b.address, THRESHOLD + 1n), 'ComplianceRuleRefused', [ruleAddress, APPROVAL_REQUIRED]);
  expect(await token.transferStatus(a1.address, b.address, THRESHOLD + 1n)).toEqual([APPROVAL_REQUIRED, ruleAddress]);
  expect(await rule.needsApproval(a1.address, b.address, THRESHOLD + 1n)).toBe(true);
  await (await token.connect(a1).transfer(b.address, THRESHOLD)).wait();
  // alice's two wallets: one investor, nothing changes hands.
  await (await token.connect(a1).transfer(a2.address, 3000n)).wait();
  expect(await rule.needsApproval(a1.address, a2.address, 3000n)).toBe(false);
  // A mint is the agent's act and is never held.
  await (await token.mint(b.address, 10n * THRESHOLD)).wait();
  expect(await token.balanceOf(b.address)).toBe(3000n + THRESHOLD + 10n * THRESHOLD);
  await checkBooks();
});

test('request, then approve: the rule carries out the transfer; the reserved amount cannot move meanwhile', async () => {
  const requested = await eventsOf(rule.connect(a1).requestTransfer(b.address, 4000n), rule, 'TransferRequested');
  const expiresAt = BigInt((await latestTime()) + DAY);
  expect(requested).toEqual([args(1n, a1.address, b.address, 4000n, expiresAt)]);
  pending.set(1, { from: a1.address, amount: 4000n });
  expect(await rule.lastId()).toBe(1n);
  expect(await rule.pendingTransfer(1)).toEqual([a1.address, expiresAt, Status.Pending, b.address, 4000n]);
  expect(await rule.availableOf(a1.address)).toBe(1000n);
  await checkBooks();
  // a1 holds 5000, 4000 reserved: 1000 may still move, not one more.
  await expectRevert(token.connect(a1).transfer(c.address, 1001n), 'ComplianceRuleRefused', [ruleAddress, HELD_FOR_REVIEW]);
  await expectRevert(token.connect(a1).transfer(a2.address, 1001n), 'ComplianceRuleRefused', [ruleAddress, HELD_FOR_REVIEW]);
  expect(await token.transferStatus(a1.address, c.address, 1001n)).toEqual([HELD_FOR_REVIEW, ruleAddress]);
  // a1 cannot send the requested transfer itself either: its tokens are reserved.
  await expectRevert(token.connect(a1).transfer(b.address, 4000n), 'ComplianceRuleRefused', [ruleAddress, HELD_FOR_REVIEW]);
  await (await token.connect(a1).transfer(c.address, 1000n)).wait();
  expect(await rule.availableOf(a1.address)).toBe(0n);

  await expectRevert(rule.connect(outsider).approve(1), 'NotComplianceAgent', [outsider.address]);
  await expectRevert(rule.connect(a1).approve(1), 'NotComplianceAgent', [a1.address]);
  const tx = rule.connect(officer).approve(1);
  expect(await eventsOf(tx, rule, 'TransferApproved')).toEqual([args(1n, officer.address)]);
  pending.delete(1);
  expect(await token.balanceOf(a1.address)).toBe(0n);
  expect(await token.balanceOf(b.address)).toBe(7000n);
  expect(await statusOf(1)).toBe(Status.Approved);
  await checkBooks();
  await expectRevert(rule.connect(officer).approve(1), 'TransferNotPending', [1n, Status.Approved]);
  await expectRevert(rule.connect(officer).reject(1, 'late'), 'TransferNotPending', [1n, Status.Approved]);
  await expectRevert(rule.connect(officer).approve(2), 'TransferNotPending', [2n, Status.None]);
});

test('the token’s agents approve too; the approved transfer logs Transfer then TransferApproved', async () => {
  const id = await request(b, c.address, 2500n);
  const receipt = await (await rule.connect(agent).approve(id)).wait();
  const names = receipt!.logs.map((log) => (log.address === ruleAddress ? rule : token).interface.parseLog(log)?.name);
  expect(names).toEqual(['Transfer', 'TransferApproved']);
  pending.delete(id);
  expect(await token.balanceOf(c.address)).toBe(2600n);
  await checkBooks();
});

test('reject releases the reservation with a reason; nothing moves', async () => {
  const id = await request(a1, b.address, 2000n);
  const id2 = await request(a1, c.address, 1500n);
  expect(await rule.heldOf(a1.address)).toBe(3500n);
  await expectRevert(rule.connect(outsider).reject(id, 'no'), 'NotComplianceAgent', [outsider.address]);
  expect(await eventsOf(rule.connect(officer).reject(id, 'source of funds unclear'), rule, 'TransferRejected')).toEqual([args(BigInt(id), officer.address, 'source of funds unclear')]);
  pending.delete(id);
  expect(await statusOf(id)).toBe(Status.Rejected);
  expect(await token.balanceOf(a1.address)).toBe(5000n);
  expect(await rule.availableOf(a1.address)).toBe(3500n);
  await checkBooks();
  // The other pending transfer is untouched and still approvable.
  await (await rule.connect(officer).approve(id2)).wait();
  pending.delete(id2);
  expect(await token.balanceOf(c.address)).toBe(1600n);
  await checkBooks();
});

test('the sender may cancel; nobody else can', async () => {
  const id = await request(b, a1.address, 2000n);
  await expectRevert(rule.connect(a1).cancel(id), 'NotRequester', [BigInt(id), a1.address]);
  await expectRevert(rule.connect(officer).cancel(id), 'NotRequester', [BigInt(id), officer.address]);
  expect(await eventsOf(rule.connect(b).cancel(id), rule, 'TransferCancelled')).toEqual([args(BigInt(id))]);
  pending.delete(id);
  expect(await statusOf(id)).toBe(Status.Cancelled);
  await expectRevert(rule.connect(officer).approve(id), 'TransferNotPending', [BigInt(id), Status.Cancelled]);
  await expectRevert(rule.connect(b).cancel(id), 'TransferNotPending', [BigInt(id), Status.Cancelled]);
  await (await token.connect(b).transfer(c.address, 1000n)).wait();
  await checkBooks();
});

test('expiry: approval is refused once it has come; then anyone may expire the request', async () => {
  const id = await request(a1, b.address, 2000n);
  const { expiresAt } = await rule.pendingTransfer(id);
  await expectRevert(rule.connect(outsider).expire(id), 'NotExpired', [BigInt(id), expiresAt]);
  await increaseTime(DAY);
  await expectRevert(rule.connect(officer).approve(id), 'RequestExpired', [BigInt(id), expiresAt]);
  // Still reserved until someone settles it.
  expect(await rule.heldOf(a1.address)).toBe(2000n);
  expect(await eventsOf(rule.connect(outsider).expire(id), rule, 'TransferExpired')).toEqual([args(BigInt(id), outsider.address)]);
  pending.delete(id);
  expect(await statusOf(id)).toBe(Status.Expired);
  await expectRevert(rule.connect(outsider).expire(id), 'TransferNotPending', [BigInt(id), Status.Expired]);
  await checkBooks();
  // An expired request may also be rejected or cancelled instead.
  const id2 = await request(a1, b.address, 2000n);
  const id3 = await request(a1, b.address, 2000n);
  await increaseTime(DAY);
  await (await rule.connect(officer).reject(id2, 'expired')).wait();
  await (await rule.connect(a1).cancel(id3)).wait();
  pending.delete(id2);
  pending.delete(id3);
  await checkBooks();
});

test('flagged wallets: every transfer from or to them waits, whatever its size', async () => {
  await expectRevert(rule.connect(outsider).setFlagged(b.address, true), 'NotComplianceAgent', [outsider.address]);
  expect(await eventsOf(rule.connect(officer).setFlagged(b.address, true), rule, 'FlagSet')).toEqual([args(b.address, true, officer.address)]);
  expect(await rule.isFlagged(b.address)).toBe(true);
  await expectRevert(token.connect(b).transfer(c.address, 1n), 'ComplianceRuleRefused', [ruleAddress, APPROVAL_REQUIRED]);
  await expectRevert(token.connect(c).transfer(b.address, 1n), 'ComplianceRuleRefused', [ruleAddress, APPROVAL_REQUIRED]);
  // Flags hold moves between one's own wallets too: flag an investor by flagging each wallet.
  expect(await eventsOf(rule.connect(agent).batchSetFlagged([a1.address, a2.address], true), rule, 'FlagSet')).toEqual([args(a1.address, true, agent.address), args(a2.address, true, agent.address)]);
  await expectRevert(token.connect(a1).transfer(a2.address, 1n), 'ComplianceRuleRefused', [ruleAddress, APPROVAL_REQUIRED]);
  const id = await request(c, b.address, 5n);
  await (await rule.connect(officer).approve(id)).wait();
  pending.delete(id);
  expect(await token.balanceOf(b.address)).toBe(3005n);
  await (await rule.connect(officer).setFlagged(b.address, false)).wait();
  await (await token.connect(c).transfer(b.address, 1n)).wait();
  await checkBooks();
});

test('requestTransfer refuses, in order: zero amount, bad receiver, no approval needed, unverified receiver, too little available, too small an allowance', async () => {
  await expectRevert(rule.connect(a1).requestTransfer(b.address, 0n), 'ZeroAmount', []);
  await expectRevert(rule.connect(a1).requestTransfer(a1.address, 2000n), 'InvalidReceiver', [a1.address]);
  await expectRevert(rule.connect(a1).requestTransfer('0x' + '00'.repeat(20), 2000n), 'InvalidReceiver', ['0x' + '00'.repeat(20)]);
  await expectRevert(rule.connect(a1).requestTransfer(b.address, THRESHOLD), 'ApprovalNotRequired', [a1.address, b.address, THRESHOLD]);
  await expectRevert(rule.connect(a1).requestTransfer(a2.address, 2000n), 'ApprovalNotRequired', [a1.address, a2.address, 2000n]);
  await expectRevert(rule.connect(a1).requestTransfer(outsider.address, 2000n), 'ReceiverNotVerified', [outsider.address]);
  await expectRevert(rule.connect(a1).requestTransfer(b.address, 5001n), 'InsufficientAvailableBalance', [a1.address, 5000n, 5001n]);
  // Frozen and already reserved tokens are not available.
  await (await token.freezePartialTokens(a1.address, 1000n)).wait();
  await request(a1, b.address, 2500n);
  await expectRevert(rule.connect(a1).requestTransfer(b.address, 1501n), 'InsufficientAvailableBalance', [a1.address, 1500n, 1501n]);
  // The allowance must cover every pending transfer of the sender.
  await (await token.connect(a1).approve(ruleAddress, 3000n)).wait();
  await expectRevert(rule.connect(a1).requestTransfer(b.address, 1500n), 'AllowanceTooLow', [a1.address, 3000n, 4000n]);
  await (await token.connect(a1).approve(ruleAddress, 4000n)).wait();
  await request(a1, b.address, 1500n);
  await checkBooks();
});

test('approving when the receiver is no longer verified fails cleanly; the transfer stays rejectable', async () => {
  const id = await request(a1, b.address, 2000n);
  await (await world.gate.revokeWallet(1n, b.address, 'kyc withdrawn')).wait();
  await expectRevert(rule.connect(officer).approve(id), 'NotVerified', [b.address]);
  expect(await statusOf(id)).toBe(Status.Pending);
  expect(await rule.heldOf(a1.address)).toBe(2000n);
  expect(await token.balanceOf(a1.address)).toBe(5000n);
  await checkBooks();
  await (await rule.connect(officer).reject(id, 'receiver no longer verified')).wait();
  pending.delete(id);
  await checkBooks();
});

test('approval fails cleanly while the token is paused, the sender frozen or the allowance withdrawn, and succeeds once that is lifted', async () => {
  const id = await request(a1, b.address, 2000n);
  await (await token.pause()).wait();
  await expectRevert(rule.connect(officer).approve(id), 'TokenPaused', []);
  await (await token.unpause()).wait();
  await (await token.setAddressFrozen(a1.address, true)).wait();
  await expectRevert(rule.connect(officer).approve(id), 'ERC7943CannotSend', [a1.address]);
  await (await token.setAddressFrozen(a1.address, false)).wait();
  await (await token.connect(a1).approve(ruleAddress, 0n)).wait();
  await expectRevert(rule.connect(officer).approve(id), 'ERC20InsufficientAllowance', [ruleAddress, 0n, 2000n]);
  expect(await statusOf(id)).toBe(Status.Pending);
  await checkBooks();
  await (await token.connect(a1).approve(ruleAddress, 2000n)).wait();
  await (await rule.connect(officer).approve(id)).wait();
  pending.delete(id);
  expect(await token.balanceOf(b.address)).toBe(5000n);
  expect(await token.allowance(a1.address, ruleAddress)).toBe(0n);
  await checkBooks();
});

test('an agent freeze over reserved tokens wins: approval fails until the agent unfreezes', async () => {
  const id = await request(a1, b.address, 4000n);
  // The token lets an agent freeze up to the balance, reserved or not.
  await (await token.freezePartialTokens(a1.address, 2000n)).wait();
  expect(await rule.availableOf(a1.address)).toBe(0n);
  await expectRevert(token.connect(a1).transfer(c.address, 1n), 'ComplianceRuleRefused', [ruleAddress, HELD_FOR_REVIEW]);
  await expectRevert(rule.connect(officer).approve(id), 'ERC7943InsufficientUnfrozenBalance', [a1.address, 4000n, 3000n]);
  expect(await token.getFrozenTokens(a1.address)).toBe(2000n);
  await (await token.unfreezePartialTokens(a1.address, 1000n)).wait();
  await (await rule.connect(officer).approve(id)).wait();
  pending.delete(id);
  expect(await token.balanceOf(a1.address)).toBe(1000n);
  expect(await token.getFrozenTokens(a1.address)).toBe(1000n);
  await checkBooks();
});

test('a forced transfer may take reserved tokens; the pending transfer then fails on approval and is rejected', async () => {
  const id1 = await request(a1, b.address, 2000n);
  const id2 = await request(a1, c.address, 2000n);
  // The agent claws back 3000: a1 keeps 2000, less than the 4000 reserved.
  await (await token.forcedTransfer(a1.address, c.address, 3000n)).wait();
  expect(await token.balanceOf(a1.address)).toBe(2000n);
  expect(await rule.availableOf(a1.address)).toBe(0n);
  await expectRevert(token.connect(a1).transfer(c.address, 1n), 'ComplianceRuleRefused', [ruleAddress, HELD_FOR_REVIEW]);
  // Either approval would leave the other's reservation uncovered.
  await expectRevert(rule.connect(officer).approve(id1), 'ComplianceRuleRefused', [ruleAddress, HELD_FOR_REVIEW]);
  expect(await statusOf(id1)).toBe(Status.Pending);
  await checkBooks();
  // The agent decides which one goes.
  await (await rule.connect(officer).reject(id2, 'balance clawed back')).wait();
  pending.delete(id2);
  await (await rule.connect(officer).approve(id1)).wait();
  pending.delete(id1);
  expect(await token.balanceOf(a1.address)).toBe(0n);
  expect(await token.balanceOf(b.address)).toBe(5000n);
  await checkBooks();
  // A burn beyond the balance's reach: the request then fails with the token's own error.
  const id3 = await request(b, c.address, 2000n);
  await (await token.burn(b.address, 4000n)).wait();
  await expectRevert(rule.connect(officer).approve(id3), 'ERC20InsufficientBalance', [b.address, 1000n, 2000n]);
  await (await rule.connect(b).cancel(id3)).wait();
  pending.delete(id3);
  await checkBooks();
});

test('a recovered sender’s pending transfer cannot go through the shut wallet; it is rejected, and the tokens are in the new wallet', async () => {
  const id = await request(a1, b.address, 2000n);
  await (await token.recoveryAddress(a1.address, a2.address, ZeroAddress)).wait();
  await expectRevert(rule.connect(officer).approve(id), 'ERC7943CannotSend', [a1.address]);
  await (await rule.connect(officer).reject(id, 'wallet recovered')).wait();
  pending.delete(id);
  expect(await token.balanceOf(a2.address)).toBe(6000n);
  await checkBooks();
});

test('a transfer a rule’s hook starts during the approved one does not inherit the approval', async () => {
  const hook = await (await new ReentrantRule__factory(agent).deploy()).waitForDeployment();
  const hookAddress = await hook.getAddress();
  await (await token.addRule(hookAddress)).wait();
  await (await token.connect(a1).approve(hookAddress, 10n ** 30n)).wait();
  // The same sender, receiver and amount as the approved transfer.
  await (await hook.arm(await token.getAddress(), a1.address, b.address, 2000n)).wait();
  const id = await request(a1, b.address, 2000n);
  await (await rule.connect(officer).approve(id)).wait();
  pending.delete(id);
  expect(await hook.attempted()).toBe(true);
  expect(await hook.succeeded()).toBe(false);
  const failure = token.interface.parseError(await hook.failure());
  expect(failure?.name).toBe('ComplianceRuleRefused');
  expect([...failure!.args]).toEqual([ruleAddress, APPROVAL_REQUIRED]);
  expect(await token.balanceOf(a1.address)).toBe(3000n);
  expect(await token.balanceOf(b.address)).toBe(5000n);
  await checkBooks();
});

test('settings change through the rule admin only, with events; the expiry period is bounded', async () => {
  const adminRole = await rule.DEFAULT_ADMIN_ROLE();
  await expectRevert(rule.connect(officer).setThreshold(1n), 'AccessControlUnauthorizedAccount', [officer.address, adminRole]);
  await expectRevert(rule.connect(officer).setExpiryPeriod(1n), 'AccessControlUnauthorizedAccount', [officer.address, adminRole]);
  expect(await eventsOf(rule.setThreshold(10n), rule, 'ThresholdChanged')).toEqual([args(THRESHOLD, 10n)]);
  expect(await eventsOf(rule.setExpiryPeriod(3600n), rule, 'ExpiryPeriodChanged')).toEqual([args(BigInt(DAY), 3600n)]);
  const max = await rule.MAX_EXPIRY_PERIOD();
  await expectRevert(rule.setExpiryPeriod(0n), 'InvalidExpiryPeriod', [0n, max]);
  await expectRevert(rule.setExpiryPeriod(max + 1n), 'InvalidExpiryPeriod', [max + 1n, max]);
  await expectRevert(token.connect(c).transfer(b.address, 11n), 'ComplianceRuleRefused', [ruleAddress, APPROVAL_REQUIRED]);
  const id = await request(c, b.address, 11n);
  expect((await rule.pendingTransfer(id)).expiresAt).toBe(BigInt((await latestTime()) + 3600));
  // Hooks are the token's only.
  await expectRevert(rule.connect(outsider).transferred(a1.address, b.address, 1n), 'NotToken', [outsider.address]);
  expect(await rule.threshold()).toBe(10n);
  expect(await rule.expiryPeriod()).toBe(3600n);
});

test('requestTransfer refuses, in order, while the token is paused, then a frozen sender, then a sender not verified', async () => {
  // b is revoked, frozen and the token paused: the pause is reported first.
  await (await world.gate.revokeWallet(1n, b.address, 'kyc withdrawn')).wait();
  await (await token.setAddressFrozen(b.address, true)).wait();
  await (await token.pause()).wait();
  // The arguments are checked before the token's state.
  await expectRevert(rule.connect(b).requestTransfer(c.address, 0n), 'ZeroAmount', []);
  await expectRevert(rule.connect(b).requestTransfer(b.address, 2000n), 'InvalidReceiver', [b.address]);
  await expectRevert(rule.connect(b).requestTransfer(c.address, 2000n), 'TokenPaused', []);
  await expectRevert(rule.connect(a1).requestTransfer(c.address, 2000n), 'TokenPaused', []);
  await (await token.unpause()).wait();
  await expectRevert(rule.connect(b).requestTransfer(c.address, 2000n), 'SenderFrozen', [b.address]);
  await (await token.setAddressFrozen(b.address, false)).wait();
  await expectRevert(rule.connect(b).requestTransfer(c.address, 2000n), 'SenderNotVerified', [b.address]);
  // An unverified sender is not told to just send it: the token would refuse that too.
  await expectRevert(rule.connect(b).requestTransfer(c.address, THRESHOLD), 'SenderNotVerified', [b.address]);
  // A partial freeze is not a frozen wallet: what is left unfrozen may still be requested.
  await (await token.freezePartialTokens(a1.address, 1000n)).wait();
  await request(a1, c.address, 4000n);
  await checkBooks();
});

test('requestTransfer refuses an amount below minRequestAmount (default 0: any positive amount); the admin sets it, with an event', async () => {
  expect(await rule.minRequestAmount()).toBe(0n);
  await (await rule.connect(officer).setFlagged(c.address, true)).wait();
  const id = await request(c, b.address, 1n);
  await (await rule.connect(c).cancel(id)).wait();
  pending.delete(id);
  const adminRole = await rule.DEFAULT_ADMIN_ROLE();
  await expectRevert(rule.connect(officer).setMinRequestAmount(10n), 'AccessControlUnauthorizedAccount', [officer.address, adminRole]);
  expect(await eventsOf(rule.setMinRequestAmount(10n), rule, 'MinRequestAmountChanged')).toEqual([args(0n, 10n)]);
  expect(await rule.minRequestAmount()).toBe(10n);
  await expectRevert(rule.connect(c).requestTransfer(b.address, 9n), 'AmountBelowMinimum', [9n, 10n]);
  await request(c, b.address, 10n);
  // Refused after: no approval needed (just send it) and an unverified receiver.
  await (await rule.setMinRequestAmount(5000n)).wait();
  await expectRevert(rule.connect(a1).requestTransfer(b.address, THRESHOLD), 'ApprovalNotRequired', [a1.address, b.address, THRESHOLD]);
  await expectRevert(rule.connect(a1).requestTransfer(outsider.address, 2000n), 'ReceiverNotVerified', [outsider.address]);
  await expectRevert(rule.connect(a1).requestTransfer(b.address, 2000n), 'AmountBelowMinimum', [2000n, 5000n]);
  // Pending transfers are unaffected.
  await (await rule.connect(officer).approve(1 + id)).wait();
  pending.delete(1 + id);
  expect(await token.balanceOf(b.address)).toBe(3010n);
  await checkBooks();
});

test('a wallet may have at most maxPendingPerWallet pending transfers (default 5); every way of settling one frees a place', async () => {
  expect(await rule.maxPendingPerWallet()).toBe(5n);
  await (await rule.connect(officer).setFlagged(c.address, true)).wait();
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push(await request(c, b.address, 1n));
  expect(await rule.pendingCountOf(c.address)).toBe(5n);
  await expectRevert(rule.connect(c).requestTransfer(b.address, 1n), 'TooManyPendingTransfers', [c.address, 5n, 5n]);
  // Refused before the balance and allowance checks; the receiver does not matter.
  await expectRevert(rule.connect(c).requestTransfer(b.address, 10n ** 6n), 'TooManyPendingTransfers', [c.address, 5n, 5n]);
  await expectRevert(rule.connect(c).requestTransfer(a1.address, 1n), 'TooManyPendingTransfers', [c.address, 5n, 5n]);
  // Other wallets are not affected.
  await request(b, a1.address, 2000n);
  await checkBooks();

  // cancel, reject, approve and expire each free a place.
  await (await rule.connect(c).cancel(ids[0])).wait();
  pending.delete(ids[0]);
  expect(await rule.pendingCountOf(c.address)).toBe(4n);
  ids.push(await request(c, b.address, 1n));
  await (await rule.connect(officer).reject(ids[1], 'no')).wait();
  pending.delete(ids[1]);
  ids.push(await request(c, b.address, 1n));
  await (await rule.connect(officer).approve(ids[2])).wait();
  pending.delete(ids[2]);
  ids.push(await request(c, b.address, 1n));
  expect(await rule.pendingCountOf(c.address)).toBe(5n);
  await increaseTime(DAY);
  // Expired ones still count (they still reserve) until someone settles them.
  await expectRevert(rule.connect(c).requestTransfer(b.address, 1n), 'TooManyPendingTransfers', [c.address, 5n, 5n]);
  await (await rule.connect(outsider).expire(ids[3])).wait();
  pending.delete(ids[3]);
  expect(await rule.pendingCountOf(c.address)).toBe(4n);
  const fresh = await request(c, b.address, 1n);
  // A refused approval leaves the count alone.
  await (await token.pause()).wait();
  await expectRevert(rule.connect(officer).approve(fresh), 'TokenPaused', []);
  expect(await rule.pendingCountOf(c.address)).toBe(5n);
  await checkBooks();
});

test('maxPendingPerWallet: set by the admin only, with an event; 0 refused; lowering it keeps pending transfers settleable', async () => {
  const adminRole = await rule.DEFAULT_ADMIN_ROLE();
  await expectRevert(rule.connect(officer).setMaxPendingPerWallet(1n), 'AccessControlUnauthorizedAccount', [officer.address, adminRole]);
  await expectRevert(rule.setMaxPendingPerWallet(0n), 'InvalidMaxPendingPerWallet', [0n]);
  await (await rule.connect(officer).setFlagged(c.address, true)).wait();
  const id1 = await request(c, b.address, 1n);
  const id2 = await request(c, b.address, 1n);
  expect(await eventsOf(rule.setMaxPendingPerWallet(1n), rule, 'MaxPendingPerWalletChanged')).toEqual([args(5n, 1n)]);
  expect(await rule.maxPendingPerWallet()).toBe(1n);
  await expectRevert(rule.connect(c).requestTransfer(b.address, 1n), 'TooManyPendingTransfers', [c.address, 2n, 1n]);
  await (await rule.connect(officer).approve(id1)).wait();
  pending.delete(id1);
  await expectRevert(rule.connect(c).requestTransfer(b.address, 1n), 'TooManyPendingTransfers', [c.address, 1n, 1n]);
  await (await rule.connect(c).cancel(id2)).wait();
  pending.delete(id2);
  expect(await rule.pendingCountOf(c.address)).toBe(0n);
  await request(c, b.address, 1n);
  await checkBooks();
});

test('deployToken passes RuleSpec.transferApproval.minRequestAmount and maxPendingPerWallet on; omitted, the rule’s defaults stay', async () => {
  const limited = world.contracts.tokens.HOLD2.rules.transferApproval!;
  expect(await limited.minRequestAmount()).toBe(50n);
  expect(await limited.maxPendingPerWallet()).toBe(2n);
  expect(await rule.minRequestAmount()).toBe(0n);
  expect(await rule.maxPendingPerWallet()).toBe(5n);
});
