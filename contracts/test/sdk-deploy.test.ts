/**
 * The SDK's deployment helpers (packages/sdk/src/deploy.ts, contracts.ts) on the in-process chain:
 * wiring and role hand-over, the deployment file round trip, typed connections, and decoding a
 * revert into the error the contracts raised.
 */
import hre from 'hardhat';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptCoreAdmin, acceptTokenAdmin, deployToken, deployZkKyc, readDeployment, writeDeployment } from '../../packages/sdk/src/deploy.js';
import { connectZkKyc, decodeRevert, isPolicyAgent, transferCodeName } from '../../packages/sdk/src/contracts.js';

test('deploys, wires roles to the admin, and round-trips through the deployment file', async () => {
  const [deployer, admin, publisher, outsider] = await hre.ethers.getSigners();
  const deployment = await deployZkKyc(deployer, {
    admin: admin.address,
    maxRootAge: 600,
    issuers: [{ issuerId: 7, did: 'did:example:seven', publisher: publisher.address }],
    policies: [{ policyId: 3, jurisdictionMask: 5n, minAge: 21, investorClassMask: 2, minKycLevel: 1, acceptedIssuers: [7], ttl: 3600, maxWalletsPerInvestor: 2 }],
    tokens: [{ name: 'Note', symbol: 'NOTE', policyId: 3, rules: { maxInvestors: 10, sanctions: true } }],
  });
  const sanctionsAt = deployment.contracts.sanctionsList!;
  const clubAt = deployment.tokens[0].rules.maxInvestors!;
  expect(deployment.chainId).toBe(31337);
  expect(Object.keys(deployment.tokens[0].rules)).toEqual(['maxInvestors', 'sanctionsList']);

  const dir = await mkdtemp(join(tmpdir(), 'zkkyc-deploy-'));
  await writeDeployment(join(dir, 'd.json'), deployment);
  const read = await readDeployment(join(dir, 'd.json'));
  expect(read).toEqual(deployment);
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...deployment, contracts: { ...deployment.contracts, complianceGate: 'nope' } }));
  await expect(readDeployment(join(dir, 'bad.json'))).rejects.toThrow('contracts.complianceGate must be an address');

  const c = connectZkKyc(read, admin);
  expect(await c.issuerRegistry.maxRootAge()).toBe(600n);
  expect((await c.issuerRegistry.issuer(7)).did).toBe('did:example:seven');
  expect((await c.complianceGate.policy(3)).policyHash.toString()).toBe(deployment.policies[0].policyHash);
  // The bundled batch verifier is deployed and set, so relayers can use verifyBatch at once.
  expect(deployment.contracts.kycPolicyBatchVerifier32).toMatch(/^0x[0-9a-fA-F]{40}$/);
  expect(await c.complianceGate.batchVerifier32()).toBe(deployment.contracts.kycPolicyBatchVerifier32);
  const note = c.tokens.NOTE;
  expect(await note.token.policyId()).toBe(3n);
  expect(await note.token.rules()).toEqual([deployment.tokens[0].rules.maxInvestors, deployment.tokens[0].rules.sanctionsList]);
  // Every admin role (registry, gate, sanctions list, token, rules) changes hands in two steps: until
  // the admin accepts, the deployer keeps it, so a mistyped admin could be replaced.
  const club = note.rules.maxInvestors!;
  for (const contract of [c.complianceGate, c.issuerRegistry, c.sanctionsList!, note.token, club]) {
    expect((await contract.pendingDefaultAdmin()).newAdmin).toBe(admin.address);
    expect(await contract.defaultAdmin()).toBe(deployer.address);
  }
  expect(await c.sanctionsList!.getAddress()).toBe(sanctionsAt);
  expect(await club.getAddress()).toBe(clubAt);
  await acceptCoreAdmin(admin, read);
  await acceptTokenAdmin(admin, note.record.address);
  for (const contract of [c.complianceGate, c.issuerRegistry, c.sanctionsList!, note.token, club]) {
    expect(await contract.defaultAdmin()).toBe(admin.address);
    expect(await contract.hasRole(await contract.DEFAULT_ADMIN_ROLE(), deployer.address)).toBe(false);
  }
  // The token acts in the gate for its own policy only, not as a gate-wide agent.
  expect(await isPolicyAgent(c.complianceGate, 3, note.record.address)).toBe(true);
  expect(await c.complianceGate.hasRole(await c.complianceGate.AGENT_ROLE(), note.record.address)).toBe(false);
  // Every role went to the admin and the deployer kept none.
  expect(await c.complianceGate.hasRole(await c.complianceGate.POLICY_ADMIN_ROLE(), admin.address)).toBe(true);
  expect(await c.complianceGate.hasRole(await c.complianceGate.DEFAULT_ADMIN_ROLE(), deployer.address)).toBe(false);
  expect(await note.token.hasRole(await note.token.AGENT_ROLE(), admin.address)).toBe(true);
  expect(await note.token.hasRole(await note.token.AGENT_ROLE(), deployer.address)).toBe(false);
  expect(await c.sanctionsList!.hasRole(await c.sanctionsList!.ORACLE_ROLE(), admin.address)).toBe(true);
  expect(await c.sanctionsList!.hasRole(await c.sanctionsList!.ORACLE_ROLE(), deployer.address)).toBe(false);
  expect(await c.issuerRegistry.hasRole(await c.issuerRegistry.ISSUER_MANAGER_ROLE(), deployer.address)).toBe(false);

  // decodeRevert names the custom error and its arguments.
  let caught: unknown;
  try {
    await (await note.token.connect(admin).mint(outsider.address, 1n)).wait();
  } catch (e) {
    caught = e;
  }
  const decoded = decodeRevert(caught);
  expect(decoded?.name).toBe('NotVerified');
  expect(decoded?.message).toBe(`NotVerified(${outsider.address})`);
  try {
    await c.complianceGate.connect(outsider).revokeWallet(3, outsider.address, 'x');
  } catch (e) {
    caught = e;
  }
  expect(decodeRevert(caught)?.name).toBe('NotPolicyAgent');
  const ruleRefusal = note.token.interface.encodeErrorResult('ComplianceRuleRefused', [outsider.address, 18]);
  expect(decodeRevert(ruleRefusal)?.message).toBe(`ComplianceRuleRefused(${outsider.address}, 18) [MAX_INVESTORS_REACHED]`);
  expect(decodeRevert(new Error('network down'))).toBeUndefined();
  expect(transferCodeName(21)).toBe('RECEIVER_SANCTIONED');
});

test('deployToken with an admin hands over the token and its rules in two steps', async () => {
  const [deployer, admin, publisher] = await hre.ethers.getSigners();
  const deployment = await deployZkKyc(deployer, {
    issuers: [{ issuerId: 1, did: 'did:example:one', publisher: publisher.address }],
    policies: [{ policyId: 1, jurisdictionMask: 5n, minAge: 18, investorClassMask: 0, minKycLevel: 1, acceptedIssuers: [1], ttl: 3600, maxWalletsPerInvestor: 0 }],
  });
  const deployed = await deployToken(deployer, deployment, { name: 'Bill', symbol: 'BILL', policyId: 1, rules: { maxBalancePerInvestor: 10n, lockUpSeconds: 60 } }, { admin: admin.address });
  const c = connectZkKyc({ ...deployment, tokens: [deployed] }, admin);
  const bill = c.tokens.BILL;
  const rules = [bill.rules.maxBalancePerInvestor!, bill.rules.lockUp!];
  for (const contract of [bill.token, ...rules]) {
    expect((await contract.pendingDefaultAdmin()).newAdmin).toBe(admin.address);
    expect(await contract.defaultAdmin()).toBe(deployer.address);
  }
  await acceptTokenAdmin(admin, deployed.address);
  for (const contract of [bill.token, ...rules]) {
    expect(await contract.defaultAdmin()).toBe(admin.address);
    expect(await contract.hasRole(await contract.DEFAULT_ADMIN_ROLE(), deployer.address)).toBe(false);
  }
  expect(await isPolicyAgent(c.complianceGate, 1, deployed.address)).toBe(true);
});
