/**
 * DisclosureLog: requests recorded per policy by its requesters, the per-policy rate limit (disabled
 * by default, a fixed window that reopens), cancelling, auditors' served records, the two-step admin
 * hand-over, and the refusals (each with its exact error and no state change). Every state change is
 * checked by the event it logs; the events and storage hold only ids, addresses, hashes and times.
 */
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { AbiCoder, EventFragment, FunctionFragment, keccak256, toUtf8Bytes, type ContractTransactionResponse } from 'ethers';
import { DisclosureLog__factory, type DisclosureLog } from '@zkkyc/contracts/typechain';

const POLICY = 1n;
const OTHER_POLICY = 2n;
const HOUR = 3600;
const Status = { None: 0n, Open: 1n, Cancelled: 2n } as const;
const REG_TX = keccak256(toUtf8Bytes('registration transaction'));
const REG_LOG = 3;
const CASE = keccak256(toUtf8Bytes('court order 2026/117 — salted, kept off chain'));

let log: DisclosureLog;
let admin: HardhatEthersSigner, officer: HardhatEthersSigner, desk: HardhatEthersSigner, auditor: HardhatEthersSigner;
let outsider: HardhatEthersSigner, newAdmin: HardhatEthersSigner, gate: HardhatEthersSigner;
let POLICY_ADMIN: string, AUDITOR: string;
let base: string;

const latestTime = async () => (await hre.ethers.provider.getBlock('latest'))!.timestamp;
const increaseTime = async (seconds: number) => {
  await hre.network.provider.send('evm_increaseTime', [seconds]);
  await hre.network.provider.send('evm_mine', []);
};

beforeAll(async () => {
  [admin, officer, desk, auditor, outsider, newAdmin, gate] = await hre.ethers.getSigners();
  log = await (await new DisclosureLog__factory(admin).deploy(admin.address, gate.address)).waitForDeployment();
  POLICY_ADMIN = await log.POLICY_ADMIN_ROLE();
  AUDITOR = await log.AUDITOR_ROLE();
  await (await log.setRequester(POLICY, officer.address, true)).wait();
  await (await log.grantRole(AUDITOR, auditor.address)).wait();
  base = await hre.network.provider.send('evm_snapshot', []);
});

afterEach(async () => {
  await hre.network.provider.send('evm_revert', [base]);
  base = await hre.network.provider.send('evm_snapshot', []);
});

/** Events `name` emitted by the log in `tx`, as plain arrays. */
async function eventsOf(tx: Promise<ContractTransactionResponse>, name: string): Promise<unknown[][]> {
  const receipt = (await (await tx).wait())!;
  const address = (await log.getAddress()).toLowerCase();
  return receipt.logs
    .filter((l) => l.address.toLowerCase() === address)
    .map((l) => log.interface.parseLog(l))
    .filter((p) => p?.name === name)
    .map((p) => [...p!.args].map(plain));
}

function plain(value: unknown): unknown {
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase();
  if (typeof value === 'number') return BigInt(value);
  if (Array.isArray(value)) return [...value].map(plain);
  return value;
}
const args = (...values: unknown[]) => values.map(plain);

/** Expects `action` to revert with the log's (or OpenZeppelin's) custom error `name` and `expected` args. */
async function expectRevert(action: Promise<unknown>, name: string, expected: unknown[]): Promise<void> {
  let error: unknown;
  try {
    await action;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`expected ${name}, but the call succeeded`);
  const data = (error as { data?: string }).data ?? (error as { info?: { error?: { data?: string } } }).info?.error?.data;
  const parsed = data ? log.interface.parseError(data) : null;
  if (!parsed) throw new Error(`expected ${name}, got ${String((error as Error).message ?? error)}`);
  expect(parsed.name).toBe(name);
  expect([...parsed.args].map(plain)).toEqual(args(...expected));
}

/** Everything the log stores that the tests change, to compare before and after a refusal. */
async function state() {
  const count = await log.requestCount();
  const entries = [];
  for (let id = 1n; id <= count + 1n; id++) entries.push(plain([...(await log.entry(id))]));
  return {
    count,
    entries,
    limits: [plain([...(await log.rateLimit(POLICY))]), plain([...(await log.rateLimit(OTHER_POLICY))])],
    requesters: await Promise.all([officer, desk, outsider].flatMap((a) => [log.isRequester(POLICY, a.address), log.isRequester(OTHER_POLICY, a.address)])),
    admin: await log.defaultAdmin(),
    pending: plain([...(await log.pendingDefaultAdmin())]),
  };
}

const request = (by = officer, policy = POLICY, caseHash = CASE, regTx = REG_TX, regLog = REG_LOG) => log.connect(by).request(policy, regTx, regLog, caseHash);

test('a requester records a request: one event with every field, two words of storage', async () => {
  expect(await eventsOf(log.setRateLimit(POLICY, 2, HOUR), 'RateLimitSet')).toEqual([args(POLICY, 2, HOUR)]);
  const events = await eventsOf(request(), 'DisclosureRequested');
  const t = await latestTime();
  const block = await hre.ethers.provider.getBlockNumber();
  expect(events).toEqual([args(1n, POLICY, officer.address, REG_TX, REG_LOG, CASE, t)]);
  const entryHash = keccak256(AbiCoder.defaultAbiCoder().encode(['uint256', 'bytes32', 'uint32', 'bytes32'], [POLICY, REG_TX, REG_LOG, CASE]));
  expect(await log.entryHashOf(POLICY, REG_TX, REG_LOG, CASE)).toBe(entryHash);
  expect(plain([...(await log.entry(1))])).toEqual(args(entryHash, officer.address, t, block, Status.Open));
  expect(await log.requestCount()).toBe(1n);
  expect(await log.isLogged(1, POLICY, REG_TX, REG_LOG, CASE)).toBe(true);
  // Exactly these fields: any other policy, registration or case hash is not what was logged.
  expect(await log.isLogged(1, OTHER_POLICY, REG_TX, REG_LOG, CASE)).toBe(false);
  expect(await log.isLogged(1, POLICY, REG_TX, REG_LOG + 1, CASE)).toBe(false);
  expect(await log.isLogged(1, POLICY, keccak256('0x01'), REG_LOG, CASE)).toBe(false);
  expect(await log.isLogged(1, POLICY, REG_TX, REG_LOG, keccak256('0x02'))).toBe(false);
  expect(await log.isLogged(2, POLICY, REG_TX, REG_LOG, CASE)).toBe(false);
  // Ids count up across policies.
  await (await log.setRateLimit(OTHER_POLICY, 1, HOUR)).wait();
  await (await log.setRequester(OTHER_POLICY, desk.address, true)).wait();
  expect((await eventsOf(request(desk, OTHER_POLICY), 'DisclosureRequested'))[0][0]).toBe(2n);
  expect(plain([...(await log.rateLimit(POLICY))])).toEqual(args(2, HOUR, t, 1));
});

test('nothing personal: the event and the storage hold only ids, addresses, hashes and times', async () => {
  await (await log.setRateLimit(POLICY, 1, HOUR)).wait();
  const receipt = (await (await request()).wait())!;
  const [event] = receipt.logs;
  const parsed = log.interface.parseLog(event)!;
  // The event's fields are exactly these types: no string, no bytes of free length.
  expect(parsed.fragment.inputs.map((i) => `${i.type} ${i.name}`)).toEqual([
    'uint256 id',
    'uint256 policyId',
    'address requester',
    'bytes32 registrationTx',
    'uint32 registrationLogIndex',
    'bytes32 caseRefHash',
    'uint64 time',
  ]);
  // And the raw log is the topic ids plus five 32-byte words: nothing else travels with it.
  expect(event.topics.length).toBe(4);
  expect((event.data.length - 2) / 64).toBe(4);
  // No event and no state-changing function of the contract carries free text or free-length
  // bytes (the only strings are the names of fields in two errors).
  const fixed = /^(uint\d+|address|bool|bytes32)$/;
  const events = log.interface.fragments.filter((f): f is EventFragment => f.type === 'event');
  expect(events.flatMap((e) => e.inputs.map((i) => i.type)).filter((t) => !fixed.test(t))).toEqual([]);
  const writes = log.interface.fragments.filter((f): f is FunctionFragment => f.type === 'function' && !(f as FunctionFragment).constant);
  expect(writes.length).toBeGreaterThan(5);
  expect(writes.flatMap((w) => w.inputs.map((i) => i.type)).filter((t) => !fixed.test(t))).toEqual([]);
  expect(log.interface.getFunction('request')!.inputs.map((i) => i.type)).toEqual(['uint256', 'bytes32', 'uint32', 'bytes32']);
  // Storage: the entry is the hash of the fields, the requester, two times and a status.
  const stored = log.interface.getFunction('entry')!.outputs[0].components!.map((c) => `${c.type} ${c.name}`);
  expect(stored).toEqual(['bytes32 entryHash', 'address requester', 'uint40 requestedAt', 'uint40 blockNumber', 'uint8 status']);
});

test('refusals: not a requester, zero inputs, disabled policy — each with its error and no state change', async () => {
  const before = await state();
  // Default: disclosure is disabled until the policy admin sets a limit.
  await expectRevert(request(), 'DisclosureDisabled', [POLICY]);
  await (await log.setRateLimit(POLICY, 5, HOUR)).wait();
  const enabled = await state();
  expect(enabled.count).toBe(before.count);
  await expectRevert(request(outsider), 'NotRequester', [POLICY, outsider.address]);
  // A requester of one policy is not one of another.
  await (await log.setRateLimit(OTHER_POLICY, 5, HOUR)).wait();
  const both = await state();
  await expectRevert(request(officer, OTHER_POLICY), 'NotRequester', [OTHER_POLICY, officer.address]);
  await expectRevert(request(officer, POLICY, '0x' + '00'.repeat(32)), 'ZeroValue', ['caseRefHash']);
  await expectRevert(request(officer, POLICY, CASE, '0x' + '00'.repeat(32)), 'ZeroValue', ['registrationTx']);
  expect(await state()).toEqual(both);
  // Switching a policy off again refuses at once.
  await (await log.setRateLimit(POLICY, 0, 0)).wait();
  const off = await state();
  await expectRevert(request(), 'DisclosureDisabled', [POLICY]);
  expect(await state()).toEqual(off);
});

test('the rate limit: N per window, refused with when the window reopens, open again after it', async () => {
  await (await log.setRateLimit(POLICY, 2, HOUR)).wait();
  await (await request()).wait();
  const start = await latestTime();
  await (await request()).wait();
  const full = await state();
  await expectRevert(request(), 'RateLimitExceeded', [POLICY, 2, HOUR, start + HOUR]);
  expect(await state()).toEqual(full);
  // Cancelling does not give the place back.
  await (await log.connect(officer).cancel(2)).wait();
  await expectRevert(request(), 'RateLimitExceeded', [POLICY, 2, HOUR, start + HOUR]);
  // One second before the window ends, still refused; at its end a new window opens.
  await hre.network.provider.send('evm_setNextBlockTimestamp', [start + HOUR - 1]);
  await expectRevert(request(), 'RateLimitExceeded', [POLICY, 2, HOUR, start + HOUR]);
  await hre.network.provider.send('evm_setNextBlockTimestamp', [start + HOUR]);
  expect(await eventsOf(request(), 'DisclosureRequested')).toEqual([args(3n, POLICY, officer.address, REG_TX, REG_LOG, CASE, start + HOUR)]);
  expect(plain([...(await log.rateLimit(POLICY))])).toEqual(args(2, HOUR, start + HOUR, 1));
  // Windows are per policy: another policy's requests do not count here.
  await (await log.setRateLimit(OTHER_POLICY, 1, HOUR)).wait();
  await (await log.setRequester(OTHER_POLICY, officer.address, true)).wait();
  await (await request(officer, OTHER_POLICY)).wait();
  const otherStart = await latestTime();
  await (await request()).wait();
  await expectRevert(request(officer, OTHER_POLICY), 'RateLimitExceeded', [OTHER_POLICY, 1, HOUR, otherStart + HOUR]);
  expect(plain([...(await log.rateLimit(POLICY))])).toEqual(args(2, HOUR, start + HOUR, 2));
});

test('lowering the limit below the window count closes the policy until the window ends', async () => {
  await (await log.setRateLimit(POLICY, 3, HOUR)).wait();
  await (await request()).wait();
  const start = await latestTime();
  await (await request()).wait();
  await (await log.setRateLimit(POLICY, 1, 2 * HOUR)).wait();
  await expectRevert(request(), 'RateLimitExceeded', [POLICY, 1, 2 * HOUR, start + 2 * HOUR]);
  await increaseTime(2 * HOUR);
  await (await request()).wait();
});

test('the policy admin names requesters and sets limits; refusals change nothing', async () => {
  expect(await eventsOf(log.setRequester(POLICY, desk.address, true), 'RequesterSet')).toEqual([args(POLICY, desk.address, true, admin.address)]);
  expect(await log.isRequester(POLICY, desk.address)).toBe(true);
  expect(await eventsOf(log.setRequester(POLICY, desk.address, false), 'RequesterSet')).toEqual([args(POLICY, desk.address, false, admin.address)]);
  expect(await log.isRequester(POLICY, desk.address)).toBe(false);
  const before = await state();
  await expectRevert(log.setRequester(POLICY, desk.address, false), 'RequesterUnchanged', [POLICY, desk.address, false]);
  await expectRevert(log.setRequester(POLICY, hre.ethers.ZeroAddress, true), 'ZeroAddress', ['account']);
  await expectRevert(log.setRateLimit(POLICY, 1, 0), 'RateLimitInvalid', [1, 0]);
  await expectRevert(log.setRateLimit(POLICY, 0, HOUR), 'RateLimitInvalid', [0, HOUR]);
  const maxPeriod = 100n * 365n * 86400n;
  expect(await log.MAX_PERIOD()).toBe(maxPeriod);
  await expectRevert(log.setRateLimit(POLICY, 1, maxPeriod + 1n), 'RateLimitInvalid', [1, maxPeriod + 1n]);
  await expectRevert(log.setRateLimit(POLICY, 1, 2n ** 64n - 1n), 'RateLimitInvalid', [1, 2n ** 64n - 1n]);
  await expectRevert(log.connect(outsider).setRequester(POLICY, outsider.address, true), 'AccessControlUnauthorizedAccount', [outsider.address, POLICY_ADMIN]);
  await expectRevert(log.connect(officer).setRateLimit(POLICY, 9, HOUR), 'AccessControlUnauthorizedAccount', [officer.address, POLICY_ADMIN]);
  expect(await state()).toEqual(before);
  // A revoked requester is refused.
  await (await log.setRateLimit(POLICY, 5, HOUR)).wait();
  await (await log.setRequester(POLICY, officer.address, false)).wait();
  await expectRevert(request(), 'NotRequester', [POLICY, officer.address]);
});

test('the requester cancels an open request; auditors record what they served', async () => {
  await (await log.setRateLimit(POLICY, 5, HOUR)).wait();
  await (await log.setRequester(POLICY, desk.address, true)).wait();
  await (await request()).wait();
  await (await request(desk)).wait();

  expect(await eventsOf(log.connect(auditor).recordServed(1, 2), 'DisclosureServed')).toEqual([args(1n, 2, auditor.address)]);
  const before = await state();
  await expectRevert(log.connect(outsider).recordServed(1, 2), 'AccessControlUnauthorizedAccount', [outsider.address, AUDITOR]);
  await expectRevert(log.connect(auditor).recordServed(9, 2), 'RequestNotOpen', [9n, Status.None]);
  // Only its own requester may cancel, and only while open.
  await expectRevert(log.connect(desk).cancel(1), 'NotRequestOwner', [1n, officer.address, desk.address]);
  await expectRevert(log.connect(officer).cancel(9), 'RequestNotOpen', [9n, Status.None]);
  expect(await state()).toEqual(before);

  expect(await eventsOf(log.connect(officer).cancel(1), 'DisclosureCancelled')).toEqual([args(1n, officer.address)]);
  expect((await log.entry(1)).status).toBe(Status.Cancelled);
  expect(await log.isLogged(1, POLICY, REG_TX, REG_LOG, CASE)).toBe(false);
  const cancelled = await state();
  await expectRevert(log.connect(officer).cancel(1), 'RequestNotOpen', [1n, Status.Cancelled]);
  await expectRevert(log.connect(auditor).recordServed(1, 2), 'RequestNotOpen', [1n, Status.Cancelled]);
  expect(await state()).toEqual(cancelled);
  expect(await log.isLogged(2, POLICY, REG_TX, REG_LOG, CASE)).toBe(true);
});

test('deployment: the admin holds both admin roles; zero admin or gate refused', async () => {
  expect(await log.gate()).toBe(gate.address);
  expect(await log.defaultAdmin()).toBe(admin.address);
  expect(await log.hasRole(POLICY_ADMIN, admin.address)).toBe(true);
  expect(await log.hasRole(AUDITOR, admin.address)).toBe(false);
  const factory = new DisclosureLog__factory(admin);
  await expectRevert(factory.deploy(admin.address, hre.ethers.ZeroAddress), 'ZeroAddress', ['gate']);
  await expectRevert(factory.deploy(hre.ethers.ZeroAddress, gate.address), 'AccessControlInvalidDefaultAdmin', [hre.ethers.ZeroAddress]);
});

test('the admin role changes hands in two steps: the new admin must accept', async () => {
  const adminRole = await log.DEFAULT_ADMIN_ROLE();
  await expectRevert(log.grantRole(adminRole, newAdmin.address), 'AccessControlEnforcedDefaultAdminRules', []);
  expect(await log.hasRole(adminRole, newAdmin.address)).toBe(false);
  const begun = await eventsOf(log.beginDefaultAdminTransfer(newAdmin.address), 'DefaultAdminTransferScheduled');
  expect(begun).toEqual([args(newAdmin.address, await latestTime())]);
  expect(await log.defaultAdmin()).toBe(admin.address);
  await expectRevert(log.connect(outsider).acceptDefaultAdminTransfer(), 'AccessControlInvalidDefaultAdmin', [outsider.address]);
  await expectRevert(log.connect(newAdmin).grantRole(AUDITOR, newAdmin.address), 'AccessControlUnauthorizedAccount', [newAdmin.address, adminRole]);
  await (await log.connect(newAdmin).acceptDefaultAdminTransfer()).wait();
  expect(await log.defaultAdmin()).toBe(newAdmin.address);
  expect(await log.hasRole(adminRole, admin.address)).toBe(false);
  await expectRevert(log.grantRole(AUDITOR, admin.address), 'AccessControlUnauthorizedAccount', [admin.address, adminRole]);
  await (await log.connect(newAdmin).grantRole(AUDITOR, outsider.address)).wait();
  expect(await log.hasRole(AUDITOR, outsider.address)).toBe(true);
});
