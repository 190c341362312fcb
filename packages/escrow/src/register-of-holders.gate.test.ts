import hre from 'hardhat';
import { Contract } from 'ethers';
import { DisclosureLog__factory, PermissionedToken__factory } from '@zkkyc/contracts/typechain';
import { jurisdictionIndex } from '@zkkyc/credentials';
import { setGatePolicy } from '@zkkyc/sdk';
import { closeProver, policySpec, POLICY_ID, World, type Holder } from '../../../contracts/test/fixture.js';
import { DISCLOSURE_LOG_ABI, registrationCiphertextOfRequest } from './disclosure-log-chain.js';
import { EscrowError } from './errors.js';
import type { DisclosedRecord, IssuerDisclosureQuery, IssuerDisclosures } from './issuer-disclosure.js';
import { leafIndexFromSharedPoint } from './leaf-index-encryption.js';
import { buildRegisterOfHolders } from './register-of-holders.js';
import { registerCsv, registerHtml } from './register-writers.js';
import { generateSingleKey } from './single-key.js';

/**
 * The register of holders against the real contracts: a zkkyc deployment (deployZkKyc, through the
 * contract tests' World) with an escrow policy whose key the transfer agent holds, a permissioned
 * token, and wallets registered with real kycPolicyEscrow32 proofs (`verifyEscrow`), so the events
 * the register reads are ComplianceGate's own. The issuer is a table of leaf indices that checks, as
 * issuer-service's `POST /disclosures` does, that the shared point opens the logged registration's
 * ciphertext to the leaf index it is given.
 */
const ta = generateSingleKey();
let world: World;
let holders: { alice: Holder; bob: Holder };
let tokenAddress: string;

/** Answers from the holders' leaf indices after checking the request against the chain. */
class CheckingIssuer implements IssuerDisclosures {
  readonly records = new Map<number, DisclosedRecord>();
  async disclose(query: IssuerDisclosureQuery) {
    const log = new Contract(query.request.log, DISCLOSURE_LOG_ABI, hre.ethers.provider);
    const [event] = await log.queryFilter(log.filters.DisclosureRequested(query.request.id));
    const args = (event as unknown as { args: { policyId: bigint; registrationTx: string; registrationLogIndex: bigint; caseRefHash: string } }).args;
    const ciphertext = await registrationCiphertextOfRequest(hre.ethers.provider, query.request.log, {
      policyId: args.policyId,
      registrationTx: args.registrationTx,
      registrationLogIndex: Number(args.registrationLogIndex),
      caseRefHash: args.caseRefHash,
    });
    if (leafIndexFromSharedPoint(query.sharedPoint, ciphertext) !== query.leafIndex) throw new EscrowError('issuer', 'issuer-disclosure', 'leaf index mismatch');
    const record = this.records.get(query.leafIndex);
    if (!record) throw new EscrowError('issuer', 'issuer-disclosure', `no credential at leaf ${query.leafIndex}`);
    return { disclosure: {}, record };
  }
}
const issuer = new CheckingIssuer();

beforeAll(async () => {
  world = await World.create({
    policies: [policySpec({ escrowKey: ta.publicKey })],
    tokens: [{ name: 'Fund A', symbol: 'FNDA', decimals: 6, policyId: POLICY_ID }],
  });
  const [a1, a2, b] = world.users;
  const alice = world.issue();
  const bob = world.issue({ jurisdiction: jurisdictionIndex('FR') });
  holders = { alice, bob };
  await world.publish();
  for (const [holder, wallet] of [
    [alice, a1],
    [alice, a2],
    [bob, b],
  ] as const) {
    await (await world.submitEscrow(await world.proveEscrow(holder, wallet.address), wallet)).wait();
  }
  issuer.records.set(alice.index, {
    person: { documentType: 'passport', issuingCountry: 'DE', documentNumber: 'C01X00T47', familyName: 'Adler', givenNames: 'Alice', birthDate: '1980-01-01' },
    attributes: { jurisdiction: 'DE', kycLevel: 3 },
    credential: { id: 'cred-alice', status: 'active' },
  });
  issuer.records.set(bob.index, {
    person: { documentType: 'id-card', issuingCountry: 'FR', documentNumber: 'F7', familyName: 'Bernard', givenNames: 'Bob', birthDate: '1980-01-01' },
    attributes: { jurisdiction: 'FR', kycLevel: 3 },
    credential: { id: 'cred-bob', status: 'active' },
  });
  tokenAddress = world.deployment.tokens[0].address;
  const token = PermissionedToken__factory.connect(tokenAddress, world.admin);
  await (await token.mint(a1.address, 2_500_000n)).wait();
  await (await token.mint(b.address, 1_000_000n)).wait();
  await (await world.gate.revokeWallet(POLICY_ID, b.address, 'left the fund')).wait();
  const log = DisclosureLog__factory.connect(world.deployment.contracts.disclosureLog, world.admin);
  await (await log.setRateLimit(POLICY_ID, 10, 86400)).wait();
  await (await log.setRequester(POLICY_ID, world.users[5].address, true)).wait();
}, 600_000);

afterAll(closeProver);

it('opens every holder registration of the token on the real gate and groups them by person', async () => {
  const register = await buildRegisterOfHolders({
    provider: hre.ethers.provider,
    gate: world.deployment.contracts.complianceGate,
    token: tokenAddress,
    policyId: POLICY_ID,
    secretKey: ta.secretKey,
    log: world.deployment.contracts.disclosureLog,
    requester: world.users[5],
    issuer,
    caseReference: 'register of holders (gate test)',
  });
  const [a1, a2, b] = world.users;
  expect(register.problems).toEqual([]);
  expect(register.token).toMatchObject({ name: 'Fund A', symbol: 'FNDA', decimals: 6 });
  expect(register.holders.map((h) => h.person?.familyName)).toEqual(['Adler', 'Bernard']);
  const [alice, bob] = register.holders;
  expect(alice.key).toBe('document:DE/passport/C01X00T47');
  expect(alice.wallets.map((w) => [w.address, w.balance, w.status, w.registration?.leafIndex])).toEqual([
    [a1.address, 2_500_000n, 'current', holders.alice.index],
    [a2.address, 0n, 'current', holders.alice.index],
  ]);
  expect(alice.investorTags).toHaveLength(1); // one credential, one nullifier: one tag for both wallets
  expect(bob.wallets.map((w) => [w.address, w.status, w.verifiedUntil])).toEqual([[b.address, 'revoked', 0]]);
  expect(await DisclosureLog__factory.connect(world.deployment.contracts.disclosureLog, world.admin).requestCount()).toBe(3n);
  expect(registerCsv(register)).toContain('"2.5"');
  expect(registerHtml(register)).toContain('Register of holders — Fund A (FNDA), policy 1');
});

it('after a key rotation, opens with the old key what was registered under it, and names the version of the rest', async () => {
  const next = generateSingleKey();
  const [a1, a2, b, d] = world.users;
  // setEscrowPolicy again: policy version 2, a new key; registrations from now on are under it.
  await setGatePolicy(world.admin, world.deployment, policySpec({ escrowKey: next.publicKey }));
  const dave = world.issue();
  await world.publish();
  await (await world.submitEscrow(await world.proveEscrow(dave, d.address), d)).wait();
  issuer.records.set(dave.index, {
    person: { documentType: 'passport', issuingCountry: 'DE', documentNumber: 'D4', familyName: 'Dietrich', givenNames: 'Dave', birthDate: '1980-01-01' },
    attributes: { jurisdiction: 'DE', kycLevel: 3 },
    credential: { id: 'cred-dave', status: 'active' },
  });
  const common = {
    provider: hre.ethers.provider,
    gate: world.deployment.contracts.complianceGate,
    token: tokenAddress,
    policyId: POLICY_ID,
    log: world.deployment.contracts.disclosureLog,
    requester: world.users[5],
    issuer,
  };
  const byOld = await buildRegisterOfHolders({ ...common, secretKey: ta.secretKey, caseReference: 'register after rotation (key 1)' });
  expect(byOld.problems).toEqual([`${d.address}: registered under escrow key version 2, not this key`]);
  const opened = (r: typeof byOld) =>
    r.holders
      .flatMap((h) => h.wallets)
      .filter((w) => w.registration?.leafIndex !== undefined)
      .map((w) => w.address)
      .sort();
  expect(opened(byOld)).toEqual([a1.address, a2.address, b.address].sort());

  const byNew = await buildRegisterOfHolders({ ...common, secretKey: next.secretKey, caseReference: 'register after rotation (key 2)' });
  expect(opened(byNew)).toEqual([d.address]);
  expect(byNew.problems.sort()).toEqual([a1.address, a2.address, b.address].map((w) => `${w}: registered under escrow key version 1, not this key`).sort());
  expect(byNew.holders.find((h) => h.person?.familyName === 'Dietrich')?.wallets.map((w) => w.address)).toEqual([d.address]);

  // A key that never was the policy's is refused before anything is logged.
  await expect(buildRegisterOfHolders({ ...common, secretKey: generateSingleKey().secretKey, caseReference: 'never' })).rejects.toThrow('(rule: policy-escrow-key)');
}, 300_000);
