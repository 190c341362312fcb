/**
 * Property test: random sequences of mints, transfers, freezes, forced transfers, recoveries and
 * expiries never break the token's bookkeeping — total supply equals the sum of balances, no
 * wallet has more frozen than it holds — and no transfer touching an unverified wallet succeeds.
 */
import fc from 'fast-check';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { PermissionedToken } from '@zkkyc/contracts/typechain';
import { DAY, World, closeProver, increaseTime, revertTo, snapshot } from './fixture.js';

let world: World;
let token: PermissionedToken;
let wallets: HardhatEthersSigner[];
let base: string;

beforeAll(async () => {
  world = await World.create({ tokens: [{ name: 'Bond', symbol: 'BOND', decimals: 0, policyId: 1n }] });
  token = world.contracts.tokens.BOND.token;
  const { a1, a2, b, c, unverified } = await world.registerInvestors();
  wallets = [a1, a2, b, c, unverified];
  base = await snapshot();
});

afterAll(closeProver);

const who = fc.integer({ min: 0, max: 4 });
const amount = fc.bigInt({ min: 0n, max: 300n });
const op = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('mint' as const), to: who, amount }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: who, to: who, amount }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('freeze' as const), to: who, amount }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('unfreeze' as const), to: who, amount }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('setFrozen' as const), to: who, frozen: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('forced' as const), from: who, to: who, amount }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('burn' as const), from: who, amount }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('recover' as const), from: who, to: who }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('expire' as const) }), weight: 1 },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Runs one operation; refusals are expected and ignored. Returns whether it succeeded. */
async function run(o: Op): Promise<boolean> {
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
      case 'forced':
        await (await token.forcedTransfer(wallets[o.from].address, wallets[o.to].address, o.amount)).wait();
        break;
      case 'burn':
        await (await token.burn(wallets[o.from].address, o.amount)).wait();
        break;
      case 'recover':
        await (await token.recoveryAddress(wallets[o.from].address, wallets[o.to].address, 0)).wait();
        break;
      case 'expire':
        await increaseTime(31 * DAY);
        break;
    }
    return true;
  } catch {
    return false;
  }
}

test('supply = Σ balances, frozen ≤ balance, and nothing moves to or from an unverified wallet', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
      await revertTo(base);
      base = await snapshot();
      for (const o of ops) {
        const parties: number[] = [];
        if ('from' in o) parties.push(o.from);
        if ('to' in o) parties.push(o.to);
        const verified = await Promise.all(parties.map((i) => token.isVerified(wallets[i].address)));
        const balancesBefore = await Promise.all(wallets.map((w) => token.balanceOf(w.address)));
        const ok = await run(o);
        const balancesAfter = await Promise.all(wallets.map((w) => token.balanceOf(w.address)));
        const moved = balancesAfter.some((v, i) => v !== balancesBefore[i]);
        if (ok && moved && (o.kind === 'transfer' || o.kind === 'mint')) {
          // A holder transfer or mint that moved tokens had every party verified.
          expect(verified.every(Boolean)).toBe(true);
        }
        if (ok && moved && (o.kind === 'forced' || o.kind === 'recover')) {
          expect(verified[verified.length - 1]).toBe(true); // the receiver
        }
        const supply = await token.totalSupply();
        expect(balancesAfter.reduce((sum, v) => sum + v, 0n)).toBe(supply);
        for (const w of wallets) {
          expect(await token.getFrozenTokens(w.address)).toBeLessThanOrEqual(await token.balanceOf(w.address));
        }
        // The never-verified wallet never holds anything.
        expect(balancesAfter[4]).toBe(0n);
      }
    }),
    { numRuns: 25 },
  );
});
