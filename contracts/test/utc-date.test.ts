/**
 * The on-chain date library against JavaScript's calendar, and on-chain PoseidonT6 against
 * poseidon-lite (the gate's policyHash depends on both agreeing).
 */
import hre from 'hardhat';
import fc from 'fast-check';
import { poseidon5 } from 'poseidon-lite';
import { PoseidonT6__factory, UtcDateHarness__factory, type UtcDateHarness } from '@zkkyc/contracts/typechain';
import { expectRevert, utcDate } from './fixture.js';

let harness: UtcDateHarness;
const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

beforeAll(async () => {
  const [deployer] = await hre.ethers.getSigners();
  const poseidon = await (await new PoseidonT6__factory(deployer).deploy()).waitForDeployment();
  harness = await (await new UtcDateHarness__factory({ 'poseidon-solidity/PoseidonT6.sol:PoseidonT6': await poseidon.getAddress() }, deployer).deploy()).waitForDeployment();
});

test('timestamp → YYYYMMDD → midnight timestamp agrees with Date for 1970..2999', async () => {
  const max = Date.UTC(2999, 11, 31, 23, 59, 59) / 1000;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max }), async (ts) => {
      const date = await harness.toDate(ts);
      expect(Number(date)).toBe(utcDate(ts));
      expect(Number(await harness.toTimestamp(date))).toBe(ts - (ts % 86400));
    }),
    { numRuns: 200 },
  );
  for (const [d, ts] of [
    [19700101, 0],
    [20000229, 951782400],
    [21000301, 4107542400],
  ] as const) {
    expect(await harness.toTimestamp(d)).toBe(BigInt(ts));
  }
});

test('impossible or out-of-range dates are refused with InvalidDate', async () => {
  for (const bad of [20230229, 21000229, 20241301, 20240100, 20240431, 19691231, 30000101, 0]) {
    await expectRevert(harness.toTimestamp(bad), 'InvalidDate', [BigInt(bad)]);
  }
});

test('PoseidonT6 (poseidon-solidity) equals poseidon5 (poseidon-lite)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.bigInt({ min: 0n, max: FIELD - 1n }), { minLength: 5, maxLength: 5 }), async (inputs) => {
      const onChain = await harness.poseidon5(inputs as [bigint, bigint, bigint, bigint, bigint]);
      expect(onChain).toBe(poseidon5(inputs));
    }),
    { numRuns: 25 },
  );
});
