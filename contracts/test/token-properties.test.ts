/**
 * Property test: random sequences of mints, transfers, freezes, pauses, sanctions, forced
 * transfers, recoveries, revocations in the gate, rule resyncs, lock clearances and the passing of
 * time, on a token carrying every rule, never break the bookkeeping:
 * - total supply equals the sum of balances; no wallet has more locked than it holds, nor more
 *   frozen unless ERC-7943's setFrozenTokens put it there (no other operation makes it so);
 * - each per-investor sum (MaxBalancePerInvestor, MaxInvestors) equals the sum of the balances of
 *   the wallets credited to that investor, and the investor count is the number of non-zero sums;
 * and no holder transfer succeeds while paused, from or to a frozen or sanctioned wallet, to or from
 * an unverified one, beyond the sender's free (unfrozen, unlocked) balance, or past a rule's limit.
 *
 * Every operation is also checked against a model of the checks, computed from the state before it:
 * a refusal must carry the error of the first check the model says fails (for a rule's refusal, a
 * code the model allows), never an unexpected or undecodable error; and an operation the model says
 * nothing can refuse must succeed.
 */
import fc from 'fast-check';
import { ZeroAddress } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { PermissionedToken } from '@zkkyc/contracts/typechain';
import { decodeRevert, type ConnectedRules, type DecodedRevert } from '../../packages/sdk/src/contracts.js';
import { DAY, World, closeProver, increaseTime, latestTime, revertTo, snapshot } from './fixture.js';

const CAP = 700n;
const MAX_INVESTORS = 2n;
const MAX_VOLUME = 400n;

let world: World;
let token: PermissionedToken;
let rules: Required<ConnectedRules>;
let wallets: HardhatEthersSigner[];
let base: string;

beforeAll(async () => {
  world = await World.create({
    tokens: [
      {
        name: 'Bond',
        symbol: 'BOND',
        decimals: 0,
        policyId: 1n,
        rules: {
          maxBalancePerInvestor: CAP,
          lockUpSeconds: DAY,
          maxInvestors: Number(MAX_INVESTORS),
          transferVolume: { periodSeconds: DAY, maxVolume: MAX_VOLUME },
          sanctions: true,
        },
      },
    ],
  });
  token = world.contracts.tokens.BOND.token;
  rules = world.contracts.tokens.BOND.rules as Required<ConnectedRules>;
  const { a1, a2, b, c, unverified } = await world.registerInvestors();
  wallets = [a1, a2, b, c, unverified];
  // Every run starts with holders (two investors, alice's two wallets and bob), their tokens locked
  // for a day: without them most random transfers fail on the balance and test little.
  await (await token.batchMint([a1.address, a2.address, b.address], [300n, 200n, 300n])).wait();
  base = await snapshot();
});

afterAll(closeProver);

const who = fc.integer({ min: 0, max: 4 });
const amount = fc.bigInt({ min: 0n, max: 300n });
const op = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('mint' as const), to: who, amount }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: who, to: who, amount }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('freeze' as const), to: who, amount }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('unfreeze' as const), to: who, amount }), weight: 1 },
  // ERC-7943: an absolute frozen amount, up to twice the largest balance (so often above the balance).
  { arbitrary: fc.record({ kind: fc.constant('setFrozenTokens' as const), to: who, amount: fc.bigInt({ min: 0n, max: 600n }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('setFrozen' as const), to: who, frozen: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('pause' as const), paused: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('sanction' as const), to: who, flagged: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('forced' as const), from: who, to: who, amount }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('burn' as const), from: who, amount }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('recover' as const), from: who, to: who }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('revoke' as const), to: who }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('resync' as const), to: who }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('clearLock' as const), to: who }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 2 * DAY }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('expire' as const) }), weight: 1 },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Runs one operation. Returns whether it succeeded and, if not, the decoded error (undefined if none decodes). */
async function run(o: Op): Promise<{ ok: true } | { ok: false; error: DecodedRevert | undefined; raw: unknown }> {
  try {
    switch (o.kind) {
      case 'mint':
        await (await token.mint(wallets[o.to].address, o.amount)).wait();
        break;
      case 'transfer':
        await (await token.connect(wallets[o.from]).transfer(wallets[o.to].address, o.amount)).wait();
        break;
      case 'freeze':
        await (await token.freezePartialTokens(wallets[o.to].address, o.amount)).wait();
        break;
      case 'unfreeze':
        await (await token.unfreezePartialTokens(wallets[o.to].address, o.amount)).wait();
        break;
      case 'setFrozen':
        await (await token.setAddressFrozen(wallets[o.to].address, o.frozen)).wait();
        break;
      case 'setFrozenTokens':
        await (await token.setFrozenTokens(wallets[o.to].address, o.amount)).wait();
        break;
      case 'pause':
        await (await (o.paused ? token.pause() : token.unpause())).wait();
        break;
      case 'sanction':
        await (await (o.flagged ? rules.sanctionsList.addSanctioned : rules.sanctionsList.removeSanctioned)([wallets[o.to].address])).wait();
        break;
      case 'forced':
        await (await token.forcedTransfer(wallets[o.from].address, wallets[o.to].address, o.amount)).wait();
        break;
      case 'burn':
        await (await token.burn(wallets[o.from].address, o.amount)).wait();
        break;
      case 'recover':
        await (await token.recoveryAddress(wallets[o.from].address, wallets[o.to].address, ZeroAddress)).wait();
        break;
      case 'revoke':
        await (await world.gate.revokeWallet(1n, wallets[o.to].address, 'property test')).wait();
        break;
      case 'resync':
        await (await rules.maxBalancePerInvestor.resync([wallets[o.to].address])).wait();
        await (await rules.maxInvestors.resync([wallets[o.to].address])).wait();
        break;
      case 'clearLock':
        await (await rules.lockUp.clearLock(wallets[o.to].address)).wait();
        break;
      case 'wait':
        await increaseTime(o.seconds);
        break;
      case 'expire':
        await increaseTime(31 * DAY);
        break;
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, error: decodeRevert(e), raw: e };
  }
}

type Observation = Awaited<ReturnType<typeof observe>>;

/**
 * What the model says about `o` in state `before`: `refusal` — the error the first failing check
 * raises, when the model knows one fails (`codes`: the rule codes it may carry, when a rule refuses);
 * `mustSucceed` — nothing can refuse it. Neither: a rule may or may not refuse (any rule code in
 * `codes`). Reads the rules' sums as they are before the operation.
 */
async function model(o: Op, before: Observation): Promise<{ refusal?: string; codes?: bigint[]; mustSucceed: boolean }> {
  const from = 'from' in o ? before.wallets[o.from] : undefined;
  const to = 'to' in o ? before.wallets[o.to] : undefined;
  const ownKey = (i: number) => (1n << 192n) | BigInt(wallets[i].address);
  /** The sum a credit to wallet `i` is checked against (InvestorBalances: credited key, own-key sums joining a tag). */
  const sumFor = async (rule: Required<ConnectedRules>['maxInvestors'] | Required<ConnectedRules>['maxBalancePerInvestor'], i: number, credited: bigint) => {
    const w = before.wallets[i];
    if (w.balance === 0n || credited === 0n) return rule.investorBalance(w.investor);
    if (credited === ownKey(i) && w.tag !== 0n) return (await rule.investorBalance(w.tag)) + (await rule.investorBalance(credited));
    return rule.investorBalance(credited);
  };
  switch (o.kind) {
    case 'transfer':
    case 'mint': {
      const minting = o.kind === 'mint';
      const t = to!;
      const f = minting ? undefined : from!;
      const amount = o.amount;
      // The token's own checks, in order.
      if (f) {
        if (before.paused) return { refusal: 'TokenPaused', mustSucceed: false };
        if (f.frozen) return { refusal: 'ERC7943CannotSend', mustSucceed: false };
        if (f.balance < amount) return { refusal: 'ERC20InsufficientBalance', mustSucceed: false };
        if (f.balance - f.frozenTokens < amount) return { refusal: 'ERC7943InsufficientUnfrozenBalance', mustSucceed: false };
      }
      if (t.frozen) return { refusal: 'ERC7943CannotReceive', mustSucceed: false };
      if (f && !f.verified) return { refusal: 'NotVerified', mustSucceed: false };
      if (!t.verified) return { refusal: 'NotVerified', mustSucceed: false };
      // The rules, in the order added: MaxBalancePerInvestor, LockUp, MaxInvestors, TransferVolume, SanctionsList.
      const sameInvestor = f !== undefined && f.tag !== 0n && f.tag === t.tag && f.capKey === t.capKey && f.clubKey === t.clubKey;
      const capSum = await sumFor(rules.maxBalancePerInvestor, o.to, t.capKey);
      const capOk = sameInvestor || capSum + amount <= CAP;
      const lockedNow = f ? f.balance - f.locked < amount : false; // may still unlock before the transaction
      const lockedSurely = f ? f.balance - f.lockedStill < amount : false;
      const clubSum = await sumFor(rules.maxInvestors, o.to, t.clubKey);
      const clubOk = amount === 0n || sameInvestor || clubSum !== 0n || before.investorCount < MAX_INVESTORS;
      const volumeOk = !f || f.investor === t.investor || (await rules.transferVolumePerPeriod.volumeOf(f.investor)) + amount <= MAX_VOLUME;
      const sanctioned = (f?.sanctioned ?? false) || t.sanctioned;
      const codes: bigint[] = [];
      if (!capOk || !sameInvestor) codes.push(16n);
      if (lockedNow) codes.push(17n);
      if (!clubOk || !sameInvestor) codes.push(18n);
      if (!volumeOk || (f && f.investor !== t.investor)) codes.push(19n);
      if (f?.sanctioned) codes.push(20n);
      else if (t.sanctioned) codes.push(21n);
      const surely = sanctioned || lockedSurely;
      if (surely) return { refusal: 'ComplianceRuleRefused', codes, mustSucceed: false };
      return { codes, mustSucceed: capOk && !lockedNow && clubOk && volumeOk };
    }
    case 'freeze':
      return to!.frozenTokens + o.amount > to!.balance ? { refusal: 'FreezeExceedsBalance', mustSucceed: false } : { mustSucceed: true };
    case 'unfreeze':
      return o.amount > to!.frozenTokens ? { refusal: 'UnfreezeExceedsFrozen', mustSucceed: false } : { mustSucceed: true };
    case 'pause':
      return o.paused === before.paused ? { refusal: 'AlreadyInState', mustSucceed: false } : { mustSucceed: true };
    case 'forced':
      // The receiver checks come first; the balance is OpenZeppelin's, after them.
      if (to!.frozen) return { refusal: 'ERC7943CannotReceive', mustSucceed: false };
      if (!to!.verified) return { refusal: 'NotVerified', mustSucceed: false };
      if (from!.balance < o.amount) return { refusal: 'ERC20InsufficientBalance', mustSucceed: false };
      return { mustSucceed: true };
    case 'burn':
      return from!.balance < o.amount ? { refusal: 'ERC20InsufficientBalance', mustSucceed: false } : { mustSucceed: true };
    case 'recover':
      if (o.from === o.to) return { refusal: 'RecoveryToSameWallet', mustSucceed: false };
      if (from!.tag === 0n || from!.tag !== to!.tag) return { refusal: 'NotSameInvestor', mustSucceed: false };
      if (from!.balance === 0n) return { refusal: 'LostWalletHoldsNoTokens', mustSucceed: false };
      if (to!.frozen) return { refusal: 'ERC7943CannotReceive', mustSucceed: false };
      if (!to!.verified) return { refusal: 'NotVerified', mustSucceed: false };
      return { mustSucceed: true };
    case 'revoke':
      return to!.registered ? { mustSucceed: true } : { refusal: 'WalletNotRegistered', mustSucceed: false };
    default:
      // setFrozen, sanction, resync, clearLock, wait, expire: nothing refuses them.
      return { mustSucceed: true };
  }
}

/** What the checks need to know about every wallet, read at one block. */
async function observe() {
  const now = BigInt(await latestTime());
  const list = await Promise.all(
    wallets.map(async (w) => ({
      balance: await token.balanceOf(w.address),
      frozen: await token.isFrozen(w.address),
      frozenTokens: await token.getFrozenTokens(w.address),
      locked: (await rules.lockUp.lockedOf(w.address)).amount,
      // Locked beyond the next minute: the next transaction's block may be a few seconds later.
      lockedStill: await lockedAfter(w.address, now + 60n),
      verified: await token.isVerified(w.address),
      registered: (await world.gate.verifiedUntil(1n, w.address)) !== 0n,
      tag: await world.gate.investorOf(1n, w.address),
      sanctioned: await rules.sanctionsList.isSanctioned(w.address),
      capKey: await rules.maxBalancePerInvestor.creditedKeyOf(w.address),
      clubKey: await rules.maxInvestors.creditedKeyOf(w.address),
      investor: await rules.transferVolumePerPeriod.investorKey(w.address),
    })),
  );
  return {
    wallets: list,
    paused: await token.paused(),
    supply: await token.totalSupply(),
    investorCount: await rules.maxInvestors.investorCount(),
  };
}

/** What `wallet` has in lots that unlock after `time`. */
async function lockedAfter(wallet: string, time: bigint): Promise<bigint> {
  const [unlocks, amounts] = await rules.lockUp.lotsOf(wallet);
  return unlocks.reduce((sum, unlock, i) => (unlock > time ? sum + amounts[i] : sum), 0n);
}

/** Each sum of `rule` equals the balances of the wallets credited to its key; the count is the non-zero sums. */
async function checkSums(rule: Required<ConnectedRules>['maxInvestors'] | Required<ConnectedRules>['maxBalancePerInvestor'], keys: bigint[], balances: bigint[]) {
  const expected = new Map<bigint, bigint>();
  keys.forEach((key, i) => {
    if (balances[i] === 0n) return;
    expect(key).not.toBe(0n); // a wallet holding tokens is credited somewhere
    expected.set(key, (expected.get(key) ?? 0n) + balances[i]);
  });
  for (const key of new Set(keys)) {
    if (key === 0n) continue;
    expect(await rule.investorBalance(key)).toBe(expected.get(key) ?? 0n);
  }
  expect(await rule.investorCount()).toBe(BigInt(expected.size));
}

test('bookkeeping invariants hold and no refused movement happens, over random operations', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
      await revertTo(base);
      base = await snapshot();
      let seen = await observe();
      for (const o of ops) {
        const before = seen;
        const expected = await model(o, before);
        const result = await run(o);
        const ok = result.ok;
        const what = JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
        if (result.ok) {
          expect([what, expected.refusal]).toEqual([what, undefined]);
        } else {
          // Every refusal decodes to the error of the check the model says fails first.
          if (!result.error) throw new Error(`${what}: undecodable failure ${String((result.raw as Error)?.message ?? result.raw)}`);
          expect([what, expected.mustSucceed]).toEqual([what, false]);
          expect([what, result.error.name]).toEqual([what, expected.refusal ?? 'ComplianceRuleRefused']);
          if (result.error.name === 'ComplianceRuleRefused') {
            expect([what, expected.codes]).toEqual([what, expect.arrayContaining([BigInt(result.error.args[1] as bigint)])]);
          }
        }
        const after = (seen = await observe());
        const from = 'from' in o ? before.wallets[o.from] : undefined;
        const to = 'to' in o ? before.wallets[o.to] : undefined;
        const moved = after.wallets.some((w, i) => w.balance !== before.wallets[i].balance);

        if (ok && moved && o.kind === 'transfer') {
          // A holder transfer that moved tokens passed every check, as things stood before it.
          expect(before.paused).toBe(false);
          expect([from!.frozen, to!.frozen, from!.sanctioned, to!.sanctioned]).toEqual([false, false, false, false]);
          expect([from!.verified, to!.verified]).toEqual([true, true]);
          expect(o.amount).toBeLessThanOrEqual(from!.balance - from!.frozenTokens);
          expect(o.amount).toBeLessThanOrEqual(from!.balance - from!.lockedStill);
          if (from!.investor !== to!.investor) {
            expect(await rules.transferVolumePerPeriod.volumeOf(from!.investor)).toBeLessThanOrEqual(MAX_VOLUME);
          }
          if (from!.capKey !== after.wallets[o.to].capKey) {
            expect(await rules.maxBalancePerInvestor.investorBalance(after.wallets[o.to].capKey)).toBeLessThanOrEqual(CAP);
          }
        }
        if (ok && moved && o.kind === 'mint') {
          expect([to!.frozen, to!.sanctioned, to!.verified]).toEqual([false, false, true]);
          expect(await rules.maxBalancePerInvestor.investorBalance(after.wallets[o.to].capKey)).toBeLessThanOrEqual(CAP);
        }
        if (ok && moved && (o.kind === 'transfer' || o.kind === 'mint')) {
          // A holder transfer or mint never takes the investor count past the cap (agent moves may).
          const limit = before.investorCount > MAX_INVESTORS ? before.investorCount : MAX_INVESTORS;
          expect(after.investorCount).toBeLessThanOrEqual(limit);
        }
        if (ok && moved && (o.kind === 'forced' || o.kind === 'recover')) {
          expect([to!.verified, to!.frozen]).toEqual([true, false]);
        }
        if (ok && o.kind === 'recover' && o.from !== o.to) {
          // The lost wallet ends empty, frozen and no longer verified.
          expect(after.wallets[o.from].balance).toBe(0n);
          expect(after.wallets[o.from].frozen).toBe(true);
          expect(after.wallets[o.from].verified).toBe(false);
        }

        expect(after.wallets.reduce((sum, w) => sum + w.balance, 0n)).toBe(after.supply);
        const overFrozen = (w: { balance: bigint; frozenTokens: bigint }) => w.frozenTokens > w.balance;
        after.wallets.forEach((w, i) => {
          expect(w.locked).toBeLessThanOrEqual(w.balance);
          // More frozen than held: only setFrozenTokens makes it so; otherwise it was so before (in
          // this wallet, or in the lost wallet a recovery carried the frozen amount from).
          if (overFrozen(w)) {
            const cause = (o.kind === 'setFrozenTokens' && o.to === i) || overFrozen(before.wallets[i]) || (o.kind === 'recover' && o.to === i && overFrozen(before.wallets[o.from]));
            expect([what, i, cause]).toEqual([what, i, true]);
          }
        });
        if (ok && o.kind === 'setFrozenTokens') expect(after.wallets[o.to].frozenTokens).toBe(o.amount);
        const balances = after.wallets.map((w) => w.balance);
        await checkSums(
          rules.maxBalancePerInvestor,
          after.wallets.map((w) => w.capKey),
          balances,
        );
        await checkSums(
          rules.maxInvestors,
          after.wallets.map((w) => w.clubKey),
          balances,
        );
        // The never-verified wallet never holds anything.
        expect(after.wallets[4].balance).toBe(0n);
      }
    }),
    { numRuns: 40 },
  );
});
