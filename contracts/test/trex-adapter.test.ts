/**
 * ZkKycIdentityRegistry under a real, unmodified T-REX v4 token: the Token and ModularCompliance are
 * deployed from the `@tokenysolutions/t-rex` package's artifacts with our adapter as the token's
 * identity registry, and holders register in the gate with real Groth16 proofs (fixture.ts). The
 * token's own checks decide every transfer; each refusal asserts the reason the token or the
 * adapter gave and that no balance moved.
 */
import { Contract, Interface, ZeroAddress, toBeHex, type AddressLike } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { IERC3643IdentityRegistry__factory, ZkKycIdentityRegistry__factory, type ZkKycIdentityRegistry } from '@zkkyc/contracts/typechain';
import { decodeRevert, revertData } from '../../packages/sdk/src/contracts.js';
import { DAY, POLICY_ID, World, closeProver, eventsOf, args, increaseTime, latestTime, revertTo, snapshot, utcDate, type Holder } from './fixture.js';
import { deployTrex, trexArtifact, type TrexContract } from './support/trex-artifacts.js';
import { deployTrexToken } from './support/trex-suite.js';

const MAX_UINT64 = 2n ** 64n - 1n;

let world: World;
let adapter: ZkKycIdentityRegistry;
let adapterAddress: string;
let token: TrexContract;
let agent: HardhatEthersSigner;
let a1: HardhatEthersSigner, a2: HardhatEthersSigner, b: HardhatEthersSigner, c: HardhatEthersSigner, u: HardhatEthersSigner;
let holders: { alice: Holder; bob: Holder; carol: Holder };
let base: string;

beforeAll(async () => {
  world = await World.create();
  agent = world.admin;
  ({ a1, a2, b, c, unverified: u, holders } = await world.registerInvestors());

  adapter = await new ZkKycIdentityRegistry__factory(agent).deploy(agent.address, await world.gate.getAddress(), POLICY_ID);
  await adapter.waitForDeployment();
  adapterAddress = await adapter.getAddress();
  // The adapter revokes and bars a recovered lost wallet: it needs that right under its policy only.
  await (await world.gate.setPolicyAgent(POLICY_ID, adapterAddress, true)).wait();

  ({ token } = await deployTrexToken(agent, agent, adapterAddress, { name: 'T-REX Bond', symbol: 'TBOND', decimals: 0 }));
  await (await adapter.grantRole(await adapter.TOKEN_ROLE(), await token.getAddress())).wait();
  await (await token.connect(agent).mint(a1.address, 1000n)).wait();
  await (await token.connect(agent).mint(b.address, 500n)).wait();
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

afterAll(closeProver);

const STRING_ERROR = new Interface(['error Error(string)']);

/**
 * Awaits `action`, expected to revert, and checks the revert: a T-REX `require` message
 * (`{ reason }`) or a custom error (`{ error, args }`) of the adapter — or of `from`, e.g. the gate —
 * which the token passes on.
 */
async function expectRefusal(action: Promise<unknown>, expected: { reason: string } | { error: string; args?: unknown[]; from?: Interface }): Promise<void> {
  let failure: unknown;
  try {
    const result = await action;
    if (result && typeof (result as { wait?: unknown }).wait === 'function') await (result as { wait(): Promise<unknown> }).wait();
  } catch (e) {
    failure = e;
  }
  if (failure === undefined) throw new Error(`expected a refusal (${JSON.stringify(expected, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}), but it succeeded`);
  const data = revertData(failure);
  if (!data) throw new Error(`expected revert data, got: ${String((failure as Error).message ?? failure)}`);
  if ('reason' in expected) {
    const parsed = STRING_ERROR.parseError(data);
    expect(parsed?.args[0]).toBe(expected.reason);
  } else {
    const parsed = (expected.from ?? adapter.interface).parseError(data);
    expect(parsed?.name).toBe(expected.error);
    if (expected.args) expect(args(...parsed!.args)).toEqual(args(...expected.args));
  }
}

async function balances(): Promise<bigint[]> {
  return Promise.all([a1, a2, b, c, u].map((w) => token.balanceOf(w.address) as Promise<bigint>));
}

describe('an unmodified T-REX token with the zkkyc registry', () => {
  it('lets verified holders transfer and receive mints', async () => {
    await (await token.connect(a1).transfer(b.address, 100n)).wait();
    await (await token.connect(b).transfer(c.address, 50n)).wait();
    await (await token.connect(agent).mint(a2.address, 7n)).wait();
    expect(await balances()).toEqual([900n, 7n, 550n, 50n, 0n]);
    expect(await adapter.isVerified(c.address)).toBe(true);
  });

  it('refuses a transfer and a mint to a wallet that never proved the policy', async () => {
    expect(await adapter.isVerified(u.address)).toBe(false);
    const before = await balances();
    await expectRefusal(token.connect(a1).transfer(u.address, 10n), { reason: 'Transfer not possible' });
    await expectRefusal(token.connect(agent).mint(u.address, 10n), { reason: 'Identity is not verified.' });
    await (await token.connect(a1).approve(b.address, 10n)).wait();
    await expectRefusal(token.connect(b).transferFrom(a1.address, u.address, 10n), { reason: 'Transfer not possible' });
    expect(await balances()).toEqual(before);
  });

  it('refuses a receiver whose registration has expired, and accepts the others', async () => {
    // Carol re-proves with a credential validity ending tomorrow: her registration ends then,
    // while the others' last the policy's 30 days.
    const tomorrow = utcDate((await latestTime()) + DAY);
    await world.register(holders.carol, c, { validUntil: tomorrow });
    await (await token.connect(a1).transfer(c.address, 10n)).wait();

    await increaseTime(3 * DAY);
    expect(await adapter.isVerified(c.address)).toBe(false);
    expect(await adapter.contains(c.address)).toBe(true); // still bound to carol, just expired
    const before = await balances();
    await expectRefusal(token.connect(a1).transfer(c.address, 10n), { reason: 'Transfer not possible' });
    await expectRefusal(token.connect(agent).mint(c.address, 10n), { reason: 'Identity is not verified.' });
    await expectRefusal(token.connect(agent).forcedTransfer(a1.address, c.address, 10n), { reason: 'Transfer not possible' });
    expect(await balances()).toEqual(before);

    await (await token.connect(a1).transfer(b.address, 10n)).wait();
    expect(await token.balanceOf(b.address)).toBe(510n);
  });

  it('refuses a receiver whose registration the gate revoked', async () => {
    await (await token.connect(a1).transfer(b.address, 1n)).wait();
    await (await world.gate.revokeWallet(POLICY_ID, b.address, 'sanctions hit')).wait();
    expect(await adapter.isVerified(b.address)).toBe(false);
    expect(await adapter.contains(b.address)).toBe(false);
    expect(await adapter.identity(b.address)).toBe(ZeroAddress);
    const before = await balances();
    await expectRefusal(token.connect(a1).transfer(b.address, 1n), { reason: 'Transfer not possible' });
    await expectRefusal(token.connect(agent).mint(b.address, 1n), { reason: 'Identity is not verified.' });
    expect(await balances()).toEqual(before);
  });

  it("keeps the token agent's address freeze, partial freeze and forced transfer working", async () => {
    await (await token.connect(agent).setAddressFrozen(b.address, true)).wait();
    await expectRefusal(token.connect(b).transfer(c.address, 1n), { reason: 'wallet is frozen' });
    await expectRefusal(token.connect(a1).transfer(b.address, 1n), { reason: 'wallet is frozen' });
    await (await token.connect(agent).setAddressFrozen(b.address, false)).wait();

    await (await token.connect(agent).freezePartialTokens(b.address, 400n)).wait();
    await expectRefusal(token.connect(b).transfer(c.address, 101n), { reason: 'Insufficient Balance' });
    await (await token.connect(b).transfer(c.address, 100n)).wait();

    // A forced transfer may take frozen tokens, but only to a verified receiver.
    await expectRefusal(token.connect(agent).forcedTransfer(b.address, u.address, 1n), { reason: 'Transfer not possible' });
    await (await token.connect(agent).forcedTransfer(b.address, c.address, 300n)).wait();
    expect(await token.getFrozenTokens(b.address)).toBe(100n);
    expect(await balances()).toEqual([1000n, 0n, 100n, 400n, 0n]);
  });

  it('exposes one stable identity per investor, no country and no claim registries', async () => {
    const tag = await world.gate.investorOf(POLICY_ID, a1.address);
    const aliceIdentity = await adapter.identity(a1.address);
    expect(aliceIdentity).not.toBe(ZeroAddress);
    expect(aliceIdentity).toBe(await adapter.identityOfInvestor(tag));
    expect(await adapter.identity(a2.address)).toBe(aliceIdentity);
    expect(await adapter.identity(b.address)).not.toBe(aliceIdentity);
    expect(await adapter.identity(u.address)).toBe(ZeroAddress);
    expect(await adapter.contains(a1.address)).toBe(true);
    expect(await adapter.contains(u.address)).toBe(false);
    expect(await adapter.investorCountry(a1.address)).toBe(0n);
    expect(await adapter.identityStorage()).toBe(ZeroAddress);
    expect(await adapter.issuersRegistry()).toBe(ZeroAddress);
    expect(await adapter.topicsRegistry()).toBe(ZeroAddress);
    // Nobody's identity contract: only a bound token gets the recovery pass.
    expect(await adapter.keyHasPurpose('0x' + '11'.repeat(32), 1n)).toBe(false);
    // ERC-165 for the registry interface: the XOR of its function selectors.
    let interfaceId = 0n;
    IERC3643IdentityRegistry__factory.createInterface().forEachFunction((f) => (interfaceId ^= BigInt(f.selector)));
    expect(await adapter.supportsInterface(toBeHex(interfaceId, 4))).toBe(true);
  });
});

describe("T-REX's compliance modules", () => {
  it("MaxBalanceModule caps an investor's wallets together, keyed by the registry's per-investor identity", async () => {
    // A fresh token (the module binds only while the supply is 0) with T-REX's MaxBalanceModule
    // behind its ModuleProxy, capping each identity at 1000.
    const fresh = await deployTrexToken(agent, agent, adapterAddress, { name: 'Capped', symbol: 'CAP', decimals: 0 });
    const implementation = await deployTrex('MaxBalanceModule', agent);
    const init = implementation.interface.encodeFunctionData('initialize', []);
    const proxy = await deployTrex('ModuleProxy', agent, await implementation.getAddress(), init);
    const moduleAddress = await proxy.getAddress();
    await (await fresh.compliance.addModule(moduleAddress)).wait();
    await (await fresh.compliance.callModuleFunction(implementation.interface.encodeFunctionData('setMaxBalance', [1000n]), moduleAddress)).wait();

    await (await fresh.token.connect(agent).mint(a1.address, 600n)).wait();
    // Alice's second wallet shares her identity: 600 + 500 would exceed her cap.
    await expectRefusal(fresh.token.connect(agent).mint(a2.address, 500n), { reason: 'Compliance not followed' });
    await (await fresh.token.connect(agent).mint(a2.address, 400n)).wait();
    // Bob is another identity with a cap of his own.
    await (await fresh.token.connect(agent).mint(b.address, 900n)).wait();
    const module = implementation.attach(moduleAddress) as TrexContract;
    const compliance = await fresh.compliance.getAddress();
    expect(await module.getIDBalance(compliance, await adapter.identity(a1.address))).toBe(1000n);
    expect(await module.getIDBalance(compliance, await adapter.identity(b.address))).toBe(900n);
  });
});

describe("the token's wallet recovery", () => {
  it('moves the balance, the freezes and the investor to a wallet of the same investor, and shuts the lost wallet', async () => {
    await (await token.connect(agent).freezePartialTokens(a1.address, 100n)).wait();
    await (await token.connect(agent).setAddressFrozen(a1.address, true)).wait();
    const tx = token.connect(agent).recoveryAddress(a1.address, a2.address, adapterAddress);
    const recovered = await eventsOf(tx, adapter, 'WalletRecovered');
    const tag = await world.gate.investorOf(POLICY_ID, a2.address);
    expect(recovered).toEqual([args(await token.getAddress(), a1.address, a2.address, tag)]);

    expect(await token.balanceOf(a1.address)).toBe(0n);
    expect(await token.balanceOf(a2.address)).toBe(1000n);
    expect(await token.getFrozenTokens(a2.address)).toBe(100n);
    expect(await token.isFrozen(a2.address)).toBe(true);
    // The lost wallet is revoked and barred in the gate: the token refuses it from now on, and it
    // cannot register again with a replayed proof.
    expect(await adapter.isVerified(a1.address)).toBe(false);
    expect(await world.gate.investorOf(POLICY_ID, a1.address)).toBe(0n);
    expect(await world.gate.walletBarredUntil(POLICY_ID, a1.address)).toBe(MAX_UINT64);
    // (T-REX leaves the lost wallet's address freeze in place, so ask the checks that skip it.)
    await expectRefusal(token.connect(agent).mint(a1.address, 1n), { reason: 'Identity is not verified.' });
    await expectRefusal(token.connect(agent).forcedTransfer(b.address, a1.address, 1n), { reason: 'Transfer not possible' });
  });

  it('refuses a new wallet of another investor, and the whole recovery reverts', async () => {
    const before = await balances();
    await expectRefusal(token.connect(agent).recoveryAddress(a1.address, b.address, adapterAddress), {
      error: 'NotSameInvestor',
      args: [a1.address, b.address],
    });
    expect(await balances()).toEqual(before);
    expect(await adapter.isVerified(a1.address)).toBe(true);
  });

  it('refuses an unverified new wallet, the lost wallet itself and an identity other than the registry', async () => {
    const before = await balances();
    await expectRefusal(token.connect(agent).recoveryAddress(a1.address, u.address, adapterAddress), {
      error: 'RecoveryWalletNotVerified',
      args: [u.address],
    });
    await expectRefusal(token.connect(agent).recoveryAddress(a1.address, a1.address, adapterAddress), {
      error: 'RecoveryToSameWallet',
      args: [a1.address],
    });
    // An ONCHAINID identity that lists a2 as a management key passes the token's key check, but the
    // registry only takes recoveries that name it.
    const onchainId = await deployTrex('Identity', a2, a2.address, false);
    await expectRefusal(token.connect(agent).recoveryAddress(a1.address, a2.address, await onchainId.getAddress()), {
      error: 'RecoveryIdentityMismatch',
      args: [adapterAddress, await onchainId.getAddress()],
    });
    expect(await balances()).toEqual(before);
  });

  it('does not run while the registry is not a policy agent of its policy in the gate', async () => {
    await (await world.gate.setPolicyAgent(POLICY_ID, adapterAddress, false)).wait();
    await expectRefusal(token.connect(agent).recoveryAddress(a1.address, a2.address, adapterAddress), {
      error: 'NotPolicyAgent',
      args: [POLICY_ID, adapterAddress],
      from: world.gate.interface,
    });
    expect(await token.balanceOf(a1.address)).toBe(1000n);
    expect(await adapter.isVerified(a1.address)).toBe(true);
  });

  it('does not run for a token the registry does not know', async () => {
    await (await adapter.revokeRole(await adapter.TOKEN_ROLE(), await token.getAddress())).wait();
    await expectRefusal(token.connect(agent).recoveryAddress(a1.address, a2.address, adapterAddress), { reason: 'Recovery not possible' });
    expect(await token.balanceOf(a1.address)).toBe(1000n);
  });
});

describe('registry management', () => {
  /** The adapter through T-REX's own IIdentityRegistry ABI: what an agent's tooling would send. */
  function trexView(): TrexContract {
    return new Contract(adapterAddress, trexArtifact('IIdentityRegistry').abi, agent) as TrexContract;
  }

  it('refuses every registration and update with ManagedByGate, naming the gate and the policy', async () => {
    const registry = trexView();
    const gate = await world.gate.getAddress();
    // Sent one by one: each is a transaction an agent's tooling would send.
    const calls: [string, () => Promise<unknown>][] = [
      ['registerIdentity', () => registry.registerIdentity(u.address, adapterAddress, 276)],
      ['deleteIdentity', () => registry.deleteIdentity(b.address)],
      ['batchRegisterIdentity', () => registry.batchRegisterIdentity([u.address], [adapterAddress], [276])],
      ['updateIdentity', () => registry.updateIdentity(b.address, adapterAddress)],
      ['updateCountry', () => registry.updateCountry(b.address, 250)],
      ['setIdentityRegistryStorage', () => registry.setIdentityRegistryStorage(u.address)],
      ['setClaimTopicsRegistry', () => registry.setClaimTopicsRegistry(u.address)],
      ['setTrustedIssuersRegistry', () => registry.setTrustedIssuersRegistry(u.address)],
    ];
    for (const [operation, call] of calls) {
      await expectRefusal(call(), { error: 'ManagedByGate', args: [operation, gate, POLICY_ID] });
    }
    // The SDK's decoder (what the wallet and the monitor show) names it too.
    const refused = await registry.updateCountry(b.address, 250).catch((e: unknown) => e);
    expect(decodeRevert(refused)?.name).toBe('ManagedByGate');
    expect(await adapter.isVerified(b.address)).toBe(true);
    expect(await adapter.isVerified(u.address)).toBe(false);
  });

  it('refuses a deleteIdentity that is not the end of a recovery, even from a token', async () => {
    await (await adapter.grantRole(await adapter.TOKEN_ROLE(), agent.address)).wait();
    await expectRefusal(adapter.deleteIdentity(b.address), { error: 'NoRecoveryInProgress', args: [agent.address] });
    expect(await adapter.isVerified(b.address)).toBe(true);
  });

  it('refuses a zero gate and a policy the gate does not have', async () => {
    const factory = new ZkKycIdentityRegistry__factory(agent);
    await expectRefusal(factory.deploy(agent.address, ZeroAddress as AddressLike, POLICY_ID), { error: 'ZeroAddress', args: ['gate'] });
    await expectRefusal(factory.deploy(agent.address, await world.gate.getAddress(), 99n), { error: 'UnknownPolicy', args: [99n] });
  });
});
