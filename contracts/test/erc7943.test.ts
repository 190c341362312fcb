/**
 * PermissionedToken as an ERC-7943 (uRWA) token, and its ERC-3643 token ABI. The interface id is
 * computed here from the compiled IERC7943Fungible ABI and checked against the figure the standard
 * publishes; the ERC-3643 events and functions are compared with T-REX's IToken ABI from the
 * `@tokenysolutions/t-rex` package (read as data, never compiled or copied). Wallets are registered
 * in the gate with real proofs; each refusal asserts its error, its arguments and that nothing
 * changed.
 */
import { createRequire } from 'node:module';
import { Interface, ZeroAddress, id, type InterfaceAbi } from 'ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { IAccessControl__factory, IERC165__factory, IERC20__factory, IERC7943Fungible__factory, type PermissionedToken, type SanctionsList } from '@zkkyc/contracts/typechain';
import { transferCodeName } from '../../packages/sdk/src/contracts.js';
import { DAY, World, args, closeProver, eventsOf, expectRevert, increaseTime, revertTo, snapshot } from './fixture.js';

const require = createRequire(import.meta.url);

let world: World;
let token: PermissionedToken;
/** A second token on the same policy with the SanctionsList rule: a rule's refusal. */
let ruled: PermissionedToken;
let sanctions: SanctionsList;
let agent: HardhatEthersSigner;
let a1: HardhatEthersSigner, a2: HardhatEthersSigner, b: HardhatEthersSigner, c: HardhatEthersSigner, u: HardhatEthersSigner;
let base: string;

const MAX_FROZEN = (1n << 248n) - 1n;
/** The id ERC-7943 (Final) gives for its fungible interface. */
const ERC7943_FUNGIBLE_ID = '0x3edbb4c4';

beforeAll(async () => {
  world = await World.create({
    tokens: [
      { name: 'Bond', symbol: 'BOND', decimals: 0, policyId: 1n },
      { name: 'Ruled', symbol: 'RULED', decimals: 0, policyId: 1n, rules: { sanctions: true } },
    ],
  });
  token = world.contracts.tokens.BOND.token;
  ruled = world.contracts.tokens.RULED.token;
  sanctions = world.contracts.tokens.RULED.rules.sanctionsList!;
  agent = world.admin;
  ({ a1, a2, b, c, unverified: u } = await world.registerInvestors());
  await (await token.batchMint([a1.address, b.address], [1000n, 500n])).wait();
  await (await ruled.batchMint([a1.address], [1000n])).wait();
  base = await snapshot();
});

afterEach(async () => {
  await revertTo(base);
  base = await snapshot();
});

afterAll(closeProver);

/** Balances, address freezes and frozen amounts of every test wallet, and the supply. */
async function state() {
  const wallets = [a1, a2, b, c, u].map((w) => w.address);
  return {
    supply: await token.totalSupply(),
    wallets: await Promise.all(wallets.map(async (w) => [await token.balanceOf(w), await token.isFrozen(w), await token.getFrozenTokens(w)])),
  };
}

/** The ERC-165 id of an interface: the XOR of its own function selectors (inherited ones excluded). */
function interfaceIdOf(abi: InterfaceAbi, inherited: string[] = []): string {
  let xor = 0n;
  new Interface(abi).forEachFunction((f) => {
    if (!inherited.includes(f.format('sighash'))) xor ^= BigInt(f.selector);
  });
  return '0x' + xor.toString(16).padStart(8, '0');
}

/** The names of the token events in a receipt, in log order. */
async function logNames(tx: Promise<{ wait(): Promise<unknown> }>): Promise<string[]> {
  const receipt = (await (await tx).wait()) as { logs: { address: string; topics: string[]; data: string }[] };
  const address = (await token.getAddress()).toLowerCase();
  return receipt.logs.filter((l) => l.address.toLowerCase() === address).map((l) => token.interface.parseLog(l)?.name ?? '?');
}

describe('ERC-165', () => {
  test('the ERC-7943 id computed from the ABI is the standard’s 0x3edbb4c4, and the token answers it', async () => {
    // IERC7943Fungible extends IERC165: its id leaves supportsInterface out.
    const computed = interfaceIdOf(IERC7943Fungible__factory.abi, ['supportsInterface(bytes4)']);
    expect(computed).toBe(ERC7943_FUNGIBLE_ID);
    expect(await token.supportsInterface(computed)).toBe(true);
    // The interface's six functions, exactly: a renamed or retyped one would change the id above.
    const functions: string[] = [];
    new Interface(IERC7943Fungible__factory.abi).forEachFunction((f) => void functions.push(f.format('sighash')));
    expect(functions.sort()).toEqual([
      'canReceive(address)',
      'canSend(address)',
      'canTransfer(address,address,uint256)',
      'forcedTransfer(address,address,uint256)',
      'getFrozenTokens(address)',
      'setFrozenTokens(address,uint256)',
      'supportsInterface(bytes4)',
    ]);
  });

  test('true for ERC-20, ERC-165 and AccessControl; false for other ids and for 0xffffffff', async () => {
    const erc165 = interfaceIdOf(IERC165__factory.abi);
    expect(erc165).toBe('0x01ffc9a7');
    expect(await token.supportsInterface(erc165)).toBe(true);
    expect(await token.supportsInterface(interfaceIdOf(IERC20__factory.abi))).toBe(true);
    expect(await token.supportsInterface(interfaceIdOf(IAccessControl__factory.abi))).toBe(true);
    expect(await token.supportsInterface('0xffffffff')).toBe(false); // ERC-165 requires false
    expect(await token.supportsInterface('0x12345678')).toBe(false);
    // The non-fungible and multi-token forms of ERC-7943 are not ours.
    expect(await token.supportsInterface('0xbf1ef5fe')).toBe(false);
    expect(await token.supportsInterface('0x41c4fbad')).toBe(false);
  });
});

describe('canSend and canReceive: verified under the token’s policy and not frozen', () => {
  test('verified wallets may send and receive; unverified, zero and expired ones may not', async () => {
    for (const w of [a1, a2, b, c]) {
      expect([w.address, await token.canSend(w.address), await token.canReceive(w.address)]).toEqual([w.address, true, true]);
    }
    expect(await token.canSend(u.address)).toBe(false);
    expect(await token.canReceive(u.address)).toBe(false);
    expect(await token.canSend(ZeroAddress)).toBe(false);
    expect(await token.canReceive(ZeroAddress)).toBe(false);
    // The registrations last 30 days (the policy's ttl).
    await increaseTime(31 * DAY);
    expect(await token.canSend(a1.address)).toBe(false);
    expect(await token.canReceive(b.address)).toBe(false);
  });

  test('an address freeze shuts both ways; a partial freeze and the pause are not account-level', async () => {
    await (await token.setAddressFrozen(b.address, true)).wait();
    expect(await token.canSend(b.address)).toBe(false);
    expect(await token.canReceive(b.address)).toBe(false);
    await (await token.setAddressFrozen(b.address, false)).wait();
    await (await token.setFrozenTokens(b.address, 500n)).wait();
    expect(await token.canSend(b.address)).toBe(true); // the amount is canTransfer's business
    await (await token.pause()).wait();
    expect(await token.canSend(a1.address)).toBe(true);
    expect(await token.canReceive(c.address)).toBe(true); // a paused token still mints to c
    expect(await token.canTransfer(a1.address, c.address, 1n)).toBe(false);
    await (await token.mint(c.address, 1n)).wait();
    expect(await token.balanceOf(c.address)).toBe(1n);
  });

  test('a recovered (revoked) wallet may do neither', async () => {
    await (await token.recoveryAddress(a1.address, a2.address, ZeroAddress)).wait();
    expect(await token.canSend(a1.address)).toBe(false);
    expect(await token.canReceive(a1.address)).toBe(false);
    expect(await token.canSend(a2.address)).toBe(true);
  });
});

describe('canTransfer', () => {
  test('checks canSend(from), canReceive(to), the pause and the rules', async () => {
    expect(await token.canTransfer(a1.address, b.address, 1000n)).toBe(true);
    expect(await token.canTransfer(u.address, b.address, 0n)).toBe(false); // canSend(u) is false
    expect(await token.canTransfer(a1.address, u.address, 1n)).toBe(false); // canReceive(u) is false
    expect(await token.canTransfer(a1.address, ZeroAddress, 1n)).toBe(false);
    await (await token.setAddressFrozen(b.address, true)).wait();
    expect(await token.canTransfer(b.address, a1.address, 1n)).toBe(false);
    expect(await token.canTransfer(a1.address, b.address, 1n)).toBe(false);
    await (await token.setAddressFrozen(b.address, false)).wait();
    await (await token.pause()).wait();
    expect(await token.canTransfer(a1.address, b.address, 1n)).toBe(false);
    await (await token.unpause()).wait();
    // A rule is transfer-level: a sanctioned receiver is still eligible as an account, but no
    // transfer to it passes.
    expect(await ruled.canTransfer(a1.address, c.address, 1n)).toBe(true);
    await (await sanctions.addSanctioned([c.address])).wait();
    expect(await ruled.canReceive(c.address)).toBe(true);
    expect(await ruled.canTransfer(a1.address, c.address, 1n)).toBe(false);
    await expectRevert(ruled.connect(a1).transfer(c.address, 1n), 'ComplianceRuleRefused', [await sanctions.getAddress(), 21n]);
  });

  test('the amount must fit the unfrozen balance; a plain shortage is ERC-20’s refusal, not canTransfer’s', async () => {
    // Nothing frozen: more than the balance is not a compliance matter (ERC-7943), so canTransfer
    // says true while transferStatus and the transfer itself report the shortage.
    expect(await token.canTransfer(b.address, a1.address, 501n)).toBe(true);
    expect(transferCodeName((await token.transferStatus(b.address, a1.address, 501n))[0])).toBe('INSUFFICIENT_BALANCE');
    await expectRevert(token.connect(b).transfer(a1.address, 501n), 'ERC20InsufficientBalance', [b.address, 500n, 501n]);
    // ...but a shortage still fails the other checks, which canTransfer keeps making.
    expect(await token.canTransfer(b.address, u.address, 501n)).toBe(false);
    await (await token.setFrozenTokens(b.address, 200n)).wait();
    expect(await token.canTransfer(b.address, a1.address, 300n)).toBe(true);
    expect(await token.canTransfer(b.address, a1.address, 301n)).toBe(false);
    expect(await token.canTransfer(b.address, a1.address, 501n)).toBe(false); // frozen tokens in the way
    expect(transferCodeName((await token.transferStatus(b.address, a1.address, 301n))[0])).toBe('INSUFFICIENT_UNFROZEN_BALANCE');
  });
});

describe('transfers refused with the standard’s errors', () => {
  test('a frozen sender, a frozen receiver, a frozen amount; each changes nothing', async () => {
    await (await token.setAddressFrozen(b.address, true)).wait();
    let before = await state();
    await expectRevert(token.connect(b).transfer(a1.address, 1n), 'ERC7943CannotSend', [b.address]);
    await expectRevert(token.connect(a1).transfer(b.address, 1n), 'ERC7943CannotReceive', [b.address]);
    await expectRevert(token.mint(b.address, 1n), 'ERC7943CannotReceive', [b.address]);
    await (await token.connect(a1).approve(c.address, 200n)).wait();
    await expectRevert(token.connect(c).transferFrom(a1.address, b.address, 1n), 'ERC7943CannotReceive', [b.address]);
    expect(await state()).toEqual(before);
    await (await token.setAddressFrozen(b.address, false)).wait();

    await (await token.setFrozenTokens(a1.address, 900n)).wait();
    before = await state();
    // ERC7943InsufficientUnfrozenBalance(account, amount, unfrozen)
    await expectRevert(token.connect(a1).transfer(b.address, 101n), 'ERC7943InsufficientUnfrozenBalance', [a1.address, 101n, 100n]);
    await expectRevert(token.connect(c).transferFrom(a1.address, b.address, 101n), 'ERC7943InsufficientUnfrozenBalance', [a1.address, 101n, 100n]);
    // Above the whole balance the ERC-20 error comes first, as the standard asks.
    await expectRevert(token.connect(a1).transfer(b.address, 1001n), 'ERC20InsufficientBalance', [a1.address, 1000n, 1001n]);
    expect(await state()).toEqual(before);
    await (await token.connect(c).transferFrom(a1.address, b.address, 100n)).wait(); // exactly the unfrozen part
    expect(await token.balanceOf(a1.address)).toBe(900n);
    expect(await token.canTransfer(a1.address, b.address, 1n)).toBe(false);
  });

  test('the other refusals keep their more specific errors', async () => {
    const before = await state();
    await expectRevert(token.connect(a1).transfer(u.address, 1n), 'NotVerified', [u.address]);
    await expectRevert(token.connect(u).transfer(a1.address, 0n), 'NotVerified', [u.address]);
    await (await token.pause()).wait();
    await expectRevert(token.connect(a1).transfer(b.address, 1n), 'TokenPaused', []);
    await (await token.unpause()).wait();
    expect(await state()).toEqual(before);
  });
});

describe('setFrozenTokens', () => {
  test('sets the frozen amount absolutely, logging ERC-3643’s delta and ERC-7943’s total', async () => {
    const up = token.setFrozenTokens(a1.address, 300n);
    expect(await token.setFrozenTokens.staticCall(a1.address, 300n)).toBe(true);
    const receipt = await (await up).wait();
    const logged = (name: string) => eventsOf({ wait: async () => receipt }, token, name);
    expect(await logged('TokensFrozen')).toEqual([args(a1.address, 300n)]);
    expect(await logged('Frozen')).toEqual([args(a1.address, 300n)]);
    expect(await token.getFrozenTokens(a1.address)).toBe(300n);

    // Lower: overwrites (like approve), does not subtract.
    const down = await (await token.setFrozenTokens(a1.address, 120n)).wait();
    expect(await eventsOf({ wait: async () => down }, token, 'TokensUnfrozen')).toEqual([args(a1.address, 180n)]);
    expect(await eventsOf({ wait: async () => down }, token, 'Frozen')).toEqual([args(a1.address, 120n)]);
    expect(await token.getFrozenTokens(a1.address)).toBe(120n);

    // Unchanged: only ERC-7943's event, which the standard requires on every call.
    expect(await logNames(token.setFrozenTokens(a1.address, 120n))).toEqual(['Frozen']);
    expect(await logNames(token.setFrozenTokens(a1.address, 0n))).toEqual(['TokensUnfrozen', 'Frozen']);
    expect(await token.getFrozenTokens(a1.address)).toBe(0n);
  });

  test('may freeze more than the balance: the excess holds back tokens received later', async () => {
    await (await token.setFrozenTokens(b.address, 800n)).wait();
    expect(await token.getFrozenTokens(b.address)).toBe(800n); // b holds 500
    expect(await token.canTransfer(b.address, a1.address, 1n)).toBe(false);
    await expectRevert(token.connect(b).transfer(a1.address, 1n), 'ERC7943InsufficientUnfrozenBalance', [b.address, 1n, 0n]);
    await (await token.connect(a1).transfer(b.address, 200n)).wait(); // receiving is not stopped
    await expectRevert(token.connect(b).transfer(a1.address, 1n), 'ERC7943InsufficientUnfrozenBalance', [b.address, 1n, 0n]);
    await (await token.mint(b.address, 400n)).wait(); // 1100 held, 800 frozen
    expect(await token.canTransfer(b.address, a1.address, 300n)).toBe(true);
    await expectRevert(token.connect(b).transfer(a1.address, 301n), 'ERC7943InsufficientUnfrozenBalance', [b.address, 301n, 300n]);
    await (await token.connect(b).transfer(a1.address, 300n)).wait();
    expect(await token.balanceOf(b.address)).toBe(800n);
    expect(await token.getFrozenTokens(b.address)).toBe(800n);
    // freezePartialTokens keeps ERC-3643's rule: never beyond the balance.
    await expectRevert(token.freezePartialTokens(b.address, 1n), 'FreezeExceedsBalance', [b.address, 800n, 801n]);
    // An empty wallet can be frozen ahead too.
    await (await token.setFrozenTokens(c.address, 50n)).wait();
    await (await token.mint(c.address, 50n)).wait();
    await expectRevert(token.connect(c).transfer(a1.address, 1n), 'ERC7943InsufficientUnfrozenBalance', [c.address, 1n, 0n]);
  });

  test('refuses non-agents, the zero address and amounts beyond 248 bits, changing nothing', async () => {
    await (await token.setFrozenTokens(b.address, 7n)).wait();
    const before = await state();
    const agentRole = await token.AGENT_ROLE();
    await expectRevert(token.connect(a1).setFrozenTokens(b.address, 0n), 'AccessControlUnauthorizedAccount', [a1.address, agentRole]);
    await expectRevert(token.connect(b).setFrozenTokens(b.address, 0n), 'AccessControlUnauthorizedAccount', [b.address, agentRole]);
    await expectRevert(token.setFrozenTokens(ZeroAddress, 1n), 'ZeroAddress', ['account']);
    await expectRevert(token.setFrozenTokens(b.address, MAX_FROZEN + 1n), 'FrozenAmountTooLarge', [b.address, MAX_FROZEN + 1n, MAX_FROZEN]);
    expect(await state()).toEqual(before);
    await (await token.setFrozenTokens(b.address, MAX_FROZEN)).wait(); // the widest amount fits
    expect(await token.getFrozenTokens(b.address)).toBe(MAX_FROZEN);
  });

  test('ERC-3643’s partial freezes log ERC-7943’s total as well', async () => {
    const frozen = await (await token.freezePartialTokens(a1.address, 400n)).wait();
    expect(await eventsOf({ wait: async () => frozen }, token, 'TokensFrozen')).toEqual([args(a1.address, 400n)]);
    expect(await eventsOf({ wait: async () => frozen }, token, 'Frozen')).toEqual([args(a1.address, 400n)]);
    const unfrozen = await (await token.unfreezePartialTokens(a1.address, 150n)).wait();
    expect(await eventsOf({ wait: async () => unfrozen }, token, 'TokensUnfrozen')).toEqual([args(a1.address, 150n)]);
    expect(await eventsOf({ wait: async () => unfrozen }, token, 'Frozen')).toEqual([args(a1.address, 250n)]);
  });
});

describe('forcedTransfer', () => {
  test('moves tokens out of a frozen wallet, unfreezing just the shortfall before the Transfer', async () => {
    await (await token.setFrozenTokens(b.address, 400n)).wait();
    await (await token.setAddressFrozen(b.address, true)).wait();
    expect(await token.forcedTransfer.staticCall(b.address, c.address, 300n)).toBe(true);
    const tx = token.forcedTransfer(b.address, c.address, 300n);
    const receipt = await (await tx).wait();
    const logged = (name: string) => eventsOf({ wait: async () => receipt }, token, name);
    // 100 were unfrozen; the other 200 come out of the frozen amount.
    expect(await logged('TokensUnfrozen')).toEqual([args(b.address, 200n)]);
    expect(await logged('Frozen')).toEqual([args(b.address, 200n)]);
    expect(await logged('Transfer')).toEqual([args(b.address, c.address, 300n)]);
    expect(await logged('ForcedTransfer')).toEqual([args(b.address, c.address, 300n)]);
    // ERC-7943: the unfreeze is logged before the Transfer, ForcedTransfer after it.
    expect(await logNames(Promise.resolve({ wait: async () => receipt }))).toEqual(['TokensUnfrozen', 'Frozen', 'Transfer', 'ForcedTransfer']);
    expect(await token.balanceOf(b.address)).toBe(200n);
    expect(await token.balanceOf(c.address)).toBe(300n);
    expect(await token.getFrozenTokens(b.address)).toBe(200n);
    expect(await token.isFrozen(b.address)).toBe(true); // the address freeze stays
  });

  test('with more frozen than held, what leaves is frozen and the excess stays', async () => {
    await (await token.setFrozenTokens(b.address, 800n)).wait(); // b holds 500
    expect(await logNames(token.forcedTransfer(b.address, c.address, 100n))).toEqual(['TokensUnfrozen', 'Frozen', 'Transfer', 'ForcedTransfer']);
    expect(await token.getFrozenTokens(b.address)).toBe(700n);
    expect(await token.balanceOf(b.address)).toBe(400n);
    // Nothing frozen in the way: no freeze events at all.
    expect(await logNames(token.forcedTransfer(a1.address, c.address, 10n))).toEqual(['Transfer', 'ForcedTransfer']);
  });

  test('refuses non-agents, a receiver that may not receive and more than the balance, changing nothing', async () => {
    await (await token.setFrozenTokens(b.address, 100n)).wait();
    await (await token.setAddressFrozen(c.address, true)).wait();
    const before = await state();
    const agentRole = await token.AGENT_ROLE();
    await expectRevert(token.connect(a1).forcedTransfer(b.address, a1.address, 1n), 'AccessControlUnauthorizedAccount', [a1.address, agentRole]);
    await expectRevert(token.forcedTransfer(b.address, c.address, 1n), 'ERC7943CannotReceive', [c.address]);
    await expectRevert(token.forcedTransfer(b.address, u.address, 1n), 'NotVerified', [u.address]);
    await expectRevert(token.forcedTransfer(b.address, a1.address, 501n), 'ERC20InsufficientBalance', [b.address, 500n, 501n]);
    await expectRevert(token.forcedTransfer(b.address, ZeroAddress, 1n), 'ERC20InvalidReceiver', [ZeroAddress]);
    expect(await state()).toEqual(before);
  });

  test('an agent burn beyond the unfrozen balance logs Frozen before the Transfer', async () => {
    await (await token.setFrozenTokens(b.address, 400n)).wait();
    expect(await logNames(token.burn(b.address, 300n))).toEqual(['TokensUnfrozen', 'Frozen', 'Transfer']);
    expect(await token.getFrozenTokens(b.address)).toBe(200n);
  });
});

describe('the ERC-3643 token ABI', () => {
  /** T-REX v4's IToken, as published in the @tokenysolutions/t-rex package. */
  const iToken = new Interface((require('@tokenysolutions/t-rex/artifacts/contracts/token/IToken.sol/IToken.json') as { abi: InterfaceAbi }).abi);

  test('the pause, freeze and recovery events have IToken’s topics and indexing', () => {
    for (const name of ['AddressFrozen', 'TokensFrozen', 'TokensUnfrozen', 'RecoverySuccess', 'Paused', 'Unpaused']) {
      const theirs = iToken.getEvent(name)!;
      const ours = token.interface.getEvent(name as 'Paused')!;
      expect([name, ours.topicHash]).toEqual([name, theirs.topicHash]);
      expect([name, ours.inputs.map((i) => [i.type, i.indexed])]).toEqual([name, theirs.inputs.map((i) => [i.type, i.indexed])]);
    }
    expect(token.interface.getEvent('AddressFrozen')!.topicHash).toBe(id('AddressFrozen(address,bool,address)'));
    expect(token.interface.getEvent('RecoverySuccess')!.topicHash).toBe(id('RecoverySuccess(address,address,address)'));
  });

  test('the agent and view functions we share with IToken have its selectors; recoveryAddress takes an address', () => {
    const shared = [
      'pause',
      'unpause',
      'paused',
      'setAddressFrozen',
      'freezePartialTokens',
      'unfreezePartialTokens',
      'getFrozenTokens',
      'isFrozen',
      'forcedTransfer',
      'mint',
      'burn',
      'recoveryAddress',
      'batchTransfer',
      'batchForcedTransfer',
      'batchMint',
      'batchBurn',
      'batchSetAddressFrozen',
      'batchFreezePartialTokens',
      'batchUnfreezePartialTokens',
    ];
    for (const name of shared) {
      const theirs = iToken.getFunction(name)!;
      expect([name, token.interface.getFunction(name as 'mint')?.format('sighash')]).toEqual([name, theirs.format('sighash')]);
    }
    expect(token.interface.getFunction('recoveryAddress')!.format('sighash')).toBe('recoveryAddress(address,address,address)');
    // The uint256 form is gone: one signature, ERC-3643's.
    expect(token.interface.fragments.filter((f) => f.type === 'function' && (f as { name?: string }).name === 'recoveryAddress')).toHaveLength(1);
  });

  test('recoveryAddress logs the ONCHAINID it is given and moves the frozen amount with ERC-7943’s totals', async () => {
    const onchainId = '0x00000000000000000000000000000000000000aa';
    await (await token.setFrozenTokens(a1.address, 300n)).wait();
    await (await token.setFrozenTokens(a2.address, 5n)).wait(); // a2 holds nothing but is frozen ahead
    const receipt = await (await token.recoveryAddress(a1.address, a2.address, onchainId)).wait();
    const logged = (name: string) => eventsOf({ wait: async () => receipt }, token, name);
    expect(await logged('RecoverySuccess')).toEqual([args(a1.address, a2.address, onchainId)]);
    expect(await logged('Frozen')).toEqual([args(a1.address, 0n), args(a2.address, 305n)]);
    expect(await logged('AddressFrozen')).toEqual([args(a1.address, true, agent.address)]);
    expect(await token.getFrozenTokens(a2.address)).toBe(305n);
    expect(await token.balanceOf(a2.address)).toBe(1000n);
  });

  test('recoveryAddress refuses a lost wallet with a frozen amount but no balance (not a holder)', async () => {
    await (await token.setFrozenTokens(a2.address, 5n)).wait();
    const before = await state();
    await expectRevert(token.recoveryAddress(a2.address, a1.address, ZeroAddress), 'LostWalletHoldsNoTokens', [a2.address]);
    expect(await state()).toEqual(before);
    expect(await world.gate.isVerified(1n, a2.address)).toBe(true);
  });
});
