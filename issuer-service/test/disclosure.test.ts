import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import hre from 'hardhat';
// Type-only: brings in hardhat-ethers' `hre.ethers` augmentation (the plugin itself is loaded by the config).
import type {} from '@nomicfoundation/hardhat-ethers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { encodeAttributes, encodePolicy } from '@zkkyc/credentials';
import { DisclosureLog__factory } from '@zkkyc/contracts/typechain';
import { generateSingleKey, maskFromSharedPoint, multiply, multiplyBase, pointFromX, SNARK_FIELD, type Point } from '@zkkyc/escrow';
import { nodeEscrowProver, releaseProverThreads } from '@zkkyc/prover/node';
import { deployZkKyc } from '../../packages/sdk/src/deploy.js';
import { connectZkKyc, type ZkKycContracts } from '../../packages/sdk/src/contracts.js';
import { RegistryRootAnchor } from '../../packages/sdk/src/registry-anchor.js';
import { ESCROW_CIPHERTEXT_TOPIC, JsonRpcDisclosureChain, WALLET_VERIFIED_TOPIC, type DisclosureChain } from '../src/services/disclosure-chain.js';
import type { IssuerService } from '../src/issuer-service.js';
import { officer, withDisclosure } from './support/disclosure.js';
import { makeHolder, type TestHolder } from './support/holder.js';
import { newPerson } from './support/people.js';
import { apply, ISSUED_ATTRIBUTES, nextYear, reviewer, startService, tempDir, testConfig } from './support/service.js';

/**
 * Disclosure end to end, on Hardhat's in-process chain: the real ComplianceGate with an escrow
 * policy, the real DisclosureLog (both from the sdk's deployZkKyc), a credential issued by the
 * service, its root published through the IssuerRegistry, a real kycPolicyEscrow32 proof registered
 * with `verifyEscrow` (which logs WalletVerified then EscrowCiphertext), a request logged by an
 * allowed requester — and the disclosure officer asking the service with the shared point the escrow
 * key's holder computed (`K = e·R`). The service's JSON-RPC reader checks the log entry and the
 * registration; then the refusals the chain decides: cancelled, unconfirmed, another chain, a log
 * entry pointing at the wrong event, a transaction that is not there. Last, a DisclosureLog someone
 * else deployed, whose "gate" is a contract that emits whatever registration it is told: refused at
 * start, and on each request, because its gate is not the configured one.
 */
const ISSUER_ID = 1n;
const POLICY_ID = 1n;
const DAY = 86400;
const escrow = generateSingleKey();
const tmp = tempDir();

let contracts: ZkKycContracts;
let admin: HardhatEthersSigner;
let requester: HardhatEthersSigner;
let wallet: HardhatEthersSigner;
let service: IssuerService;
let logAddress: string;
let gateAddress: string;
let chainId: number;

beforeAll(async () => {
  const signers = await hre.ethers.getSigners();
  [admin] = signers;
  const publisher = signers[1];
  requester = signers[2];
  wallet = signers[3];
  const policy = encodePolicy({ jurisdictions: ['DE', 'FR', 'CH'], minAge: 18, investorClasses: [], minKycLevel: 2 });
  const deployment = await deployZkKyc(admin, {
    issuers: [{ issuerId: ISSUER_ID, did: 'did:example:issuer', publisher: publisher.address, treeDepth: 32 }],
    policies: [{ policyId: POLICY_ID, ...policy, acceptedIssuers: [ISSUER_ID], ttl: 30 * DAY, maxWalletsPerInvestor: 0, escrowKey: escrow.publicKey }],
  });
  contracts = connectZkKyc(deployment, admin);
  logAddress = deployment.contracts.disclosureLog.toLowerCase();
  gateAddress = deployment.contracts.complianceGate.toLowerCase();
  chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  await (await contracts.disclosureLog.setRequester(POLICY_ID, requester.address, true)).wait();
  await (await contracts.disclosureLog.setRateLimit(POLICY_ID, 100, DAY)).wait();

  const config = withDisclosure(testConfig(tmp.dbPath, { treeId: ISSUER_ID.toString() }));
  service = await startService(
    { ...config, disclosure: { rpcUrl: 'http://unused.invalid', logAddress, gateAddress, confirmations: 1 } },
    {
      anchor: new RegistryRootAnchor(contracts.issuerRegistry.connect(publisher), ISSUER_ID),
      disclosureChain: new JsonRpcDisclosureChain(hre.ethers.provider, logAddress, 1),
    },
  );
});

afterAll(async () => {
  await service?.close();
  await releaseProverThreads();
  tmp.cleanup();
});

/** Issues a credential for `holder` bound to `person`; returns its leaf index. */
async function issue(holder: TestHolder, person: object): Promise<{ leafIndex: number; accessToken: string; credentialId: string; expiryDate: string }> {
  const applied = await apply(service, holder);
  expect(applied.statusCode).toBe(201);
  const expiryDate = nextYear();
  const approved = await service.app.inject({ method: 'POST', url: `/applications/${applied.json.id}/approve`, headers: reviewer, payload: { expiryDate, person, attributes: { kycLevel: 2 } } });
  expect(approved.statusCode).toBe(201);
  return { leafIndex: approved.json().leafIndex, accessToken: applied.json.accessToken, credentialId: approved.json().credentialId, expiryDate };
}

/** The holder proves with the escrow circuit and registers `wallet` with verifyEscrow; returns the registration receipt. */
async function registerWithEscrow(holder: TestHolder, issued: { leafIndex: number; accessToken: string; credentialId: string; expiryDate: string }) {
  const credential = (await service.app.inject({ method: 'GET', url: `/credentials/${issued.credentialId}`, headers: { authorization: `Bearer ${issued.accessToken}` } })).json();
  const attributes = encodeAttributes({ ...ISSUED_ATTRIBUTES, expiryDate: issued.expiryDate });
  const stored = await contracts.complianceGate.policy(POLICY_ID);
  const block = await hre.ethers.provider.getBlock('latest');
  const d = new Date(block!.timestamp * 1000);
  const today = d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  const prover = await nodeEscrowProver('kycPolicyEscrow32');
  const proof = await prover.prove({
    identitySecret: holder.secret,
    attributes,
    salt: BigInt(credential.salt),
    merkleProof: await service.tree.proof(issued.leafIndex),
    policy: {
      scope: stored.scope,
      jurisdictionMask: stored.jurisdictionMask,
      minAge: Number(stored.config.minAge),
      investorClassMask: Number(stored.config.investorClassMask),
      minKycLevel: Number(stored.config.minKycLevel),
    },
    wallet: wallet.address,
    today,
    validUntil: attributes.expiryDate,
    escrowKey: escrow.publicKey,
  });
  const { pA, pB, pC, pubSignals } = proof.solidityCalldata;
  const receipt = (await (await contracts.complianceGate.connect(wallet).verifyEscrow(POLICY_ID, pA, pB, pC, pubSignals)).wait())!;
  const gate = (await contracts.complianceGate.getAddress()).toLowerCase();
  const ciphertext = receipt.logs.find((l) => l.address.toLowerCase() === gate && contracts.complianceGate.interface.parseLog(l)?.name === 'EscrowCiphertext')!;
  return { receipt, escrowLogIndex: ciphertext.index, escrowX: proof.escrow.x };
}

async function logRequest(registrationTx: string, registrationLogIndex: number, caseRefHash = hre.ethers.id('case-2026-001')): Promise<bigint> {
  const log = contracts.disclosureLog.connect(requester);
  await (await log.request(POLICY_ID, registrationTx, registrationLogIndex, caseRefHash)).wait();
  return log.requestCount();
}

/**
 * A contract that emits, in one call, a `WalletVerified` and then an `EscrowCiphertext` with the
 * topics and data it is given — what a "gate" someone else deployed can do. Hand-assembled:
 * CALLDATACOPY the two events' data (calldata 0xa0..0x140) to memory, LOG4 (0x00, 0x60) with
 * topics calldata[0x00, 0x20, 0x40, 0x60], LOG4 (0x60, 0x40) with calldata[0x80, 0x20, 0x40, 0x60].
 */
const FORGER_INIT = '0x602a600c600039602a6000f3';
const FORGER_RUNTIME = '60a060a0600037' + '606035604035602035600035' + '60606000a4' + '606035604035602035608035' + '60406060a4' + '00';

async function deployForger(): Promise<string> {
  const receipt = await (await admin.sendTransaction({ data: FORGER_INIT + FORGER_RUNTIME })).wait();
  return receipt!.contractAddress!.toLowerCase();
}

/** A forged registration of `wallet` under this issuer and `root`, whose ciphertext opens with `K` to `leafIndex`. */
async function forgeRegistration(forger: string, f: { root: bigint; K: Point; leafIndex: number }) {
  const escrowC = (BigInt(f.leafIndex) + maskFromSharedPoint(f.K)) % SNARK_FIELD;
  const data = hre.ethers.AbiCoder.defaultAbiCoder().encode(
    ['bytes32', 'uint256', 'address', 'uint256', 'bytes32', 'uint64', 'uint64', 'uint256', 'uint256', 'uint256'],
    [WALLET_VERIFIED_TOPIC, POLICY_ID, wallet.address, 777n, ESCROW_CIPHERTEXT_TOPIC, BigInt(Math.floor(Date.now() / 1000) + 30 * DAY), ISSUER_ID, f.root, 1n, escrowC],
  );
  const receipt = (await (await admin.sendTransaction({ to: forger, data })).wait())!;
  expect(receipt.logs.map((l) => l.topics[0])).toEqual([WALLET_VERIFIED_TOPIC, ESCROW_CIPHERTEXT_TOPIC]);
  return { hash: receipt.hash, escrowLogIndex: receipt.logs[1].index };
}

const body = (id: bigint, K: readonly [bigint, bigint], leafIndex: number, over: { chainId?: number } = {}) => ({
  request: { chainId: over.chainId ?? chainId, log: logAddress, id: id.toString() },
  sharedPoint: [K[0].toString(), K[1].toString()],
  leafIndex: leafIndex.toString(),
});

async function refused(payload: object, expected: { status: number; code: string; field?: string; rule?: string }) {
  const before = await service.store.rowCounts();
  const res = await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload });
  expect({ status: res.statusCode, ...res.json().error }).toMatchObject(expected);
  expect(await service.store.rowCounts()).toEqual(before);
}

describe('disclosure against the real gate and disclosure log (in-process Hardhat chain)', () => {
  it('discloses the record behind a logged escrow registration, and refuses what the chain does not back', async () => {
    // Two credentials: the one the registration proves, and another the officer must not reach.
    await issue(makeHolder(), newPerson());
    const holder = makeHolder();
    const person = newPerson({ familyName: 'Lindqvist', givenNames: 'Maj-Britt' });
    const issued = await issue(holder, person);
    expect((await service.publisher!.publishNow()).status).toBe('published');

    const { receipt, escrowLogIndex, escrowX } = await registerWithEscrow(holder, issued);
    const id = await logRequest(receipt.hash, escrowLogIndex);
    // The escrow key's holder opens the ciphertext: R from its x, K = e·R.
    const K = multiply(pointFromX(escrowX), escrow.secretKey);

    const res = await service.app.inject({ method: 'POST', url: '/disclosures', headers: officer, payload: body(id, K, issued.leafIndex) });
    expect(res.statusCode).toBe(200);
    expect(res.json().record.person).toEqual(person);
    expect(res.json().disclosure).toMatchObject({
      requestId: id.toString(),
      chainId,
      log: logAddress,
      policyId: POLICY_ID.toString(),
      caseRefHash: hre.ethers.id('case-2026-001'),
      registrationTx: receipt.hash.toLowerCase(),
      registrationLogIndex: escrowLogIndex,
      leafIndex: issued.leafIndex,
      credentialId: issued.credentialId,
      officer: 'olga',
    });

    // The same K cannot be bent to the other leaf.
    const other = await logRequest(receipt.hash, escrowLogIndex, hre.ethers.id('case-2026-002'));
    await refused(body(other, K, 0), { status: 422, code: 'leaf_index_mismatch', field: 'leafIndex', rule: 'decrypts-ciphertext' });

    // Refusals the chain decides.
    await refused(body(id + 100n, K, issued.leafIndex), { status: 404, code: 'request_not_logged', field: 'request.id', rule: 'logged' });
    await refused(body(other, K, issued.leafIndex, { chainId: chainId + 1 }), { status: 400, code: 'invalid_field', field: 'request.chainId', rule: 'node-chain' });
    const pointsAtWalletVerified = await logRequest(receipt.hash, escrowLogIndex - 1);
    await refused(body(pointsAtWalletVerified, K, issued.leafIndex), { status: 422, code: 'request_unverifiable', field: 'request.id', rule: 'escrow-ciphertext' });
    const noSuchTx = await logRequest(hre.ethers.id('no such transaction'), 0);
    await refused(body(noSuchTx, K, issued.leafIndex), { status: 422, code: 'request_unverifiable', field: 'request.id', rule: 'registration-receipt' });
    const cancelled = await logRequest(receipt.hash, escrowLogIndex, hre.ethers.id('case-2026-003'));
    await (await contracts.disclosureLog.connect(requester).cancel(cancelled)).wait();
    await refused(body(cancelled, K, issued.leafIndex), { status: 409, code: 'request_not_open', field: 'request.id', rule: 'open' });

    // Confirmations: a fresh entry is one block deep; a reader asking for three refuses it until two more blocks.
    const fresh = await logRequest(receipt.hash, escrowLogIndex, hre.ethers.id('case-2026-004'));
    const strict = new JsonRpcDisclosureChain(hre.ethers.provider, logAddress, 3);
    await expect(strict.resolve({ chainId, log: logAddress, id: fresh })).rejects.toMatchObject({ statusCode: 409, code: 'request_unconfirmed', rule: 'confirmations' });
    await hre.network.provider.send('hardhat_mine', ['0x2']);
    await expect(strict.resolve({ chainId, log: logAddress, id: fresh })).resolves.toMatchObject({
      policyId: POLICY_ID,
      issuerId: ISSUER_ID,
      root: service.tree.root,
      wallet: wallet.address.toLowerCase(),
      escrowX,
      registrationLogIndex: escrowLogIndex,
      gate: gateAddress,
    });
  });

  it('serves only the configured gate: a log someone else deployed, whose "gate" forges a registration, is refused at start and on each request', async () => {
    const victim = newPerson({ familyName: 'Okonkwo-Brandt', givenNames: 'Adaeze' });
    const target = await issue(makeHolder(), victim);
    expect((await service.publisher!.publishNow()).status).toBe('published');
    const root = service.tree.root;

    // Someone else's deployment: a genuine DisclosureLog whose gate is the forger. Its "registration"
    // names this issuer and a root this service published, and c = leaf + Poseidon(K) for a K of
    // the forger's choosing — no escrow key, no proof, no holder involved.
    const forger = await deployForger();
    const fakeLog = await (await new DisclosureLog__factory(admin).deploy(admin.address, forger)).waitForDeployment();
    const fakeLogAddress = (await fakeLog.getAddress()).toLowerCase();
    await (await fakeLog.setRequester(POLICY_ID, requester.address, true)).wait();
    await (await fakeLog.setRateLimit(POLICY_ID, 100, DAY)).wait();
    const K = multiplyBase(4242n);
    const forged = await forgeRegistration(forger, { root, K, leafIndex: target.leafIndex });
    await (await fakeLog.connect(requester).request(POLICY_ID, forged.hash, forged.escrowLogIndex, hre.ethers.id('case-forged'))).wait();
    const id = await fakeLog.requestCount();
    const forgedReader = new JsonRpcDisclosureChain(hre.ethers.provider, fakeLogAddress, 1);

    // An operator who took the log from elsewhere but the gate from the deployment record: the start is refused.
    await service.close();
    const config = withDisclosure(testConfig(tmp.dbPath, { treeId: ISSUER_ID.toString() }));
    const misconfigured = { ...config, disclosure: { rpcUrl: 'http://unused.invalid', logAddress: fakeLogAddress, gateAddress, confirmations: 1 } };
    await expect(startService(misconfigured, { disclosureChain: forgedReader })).rejects.toThrow(/DISCLOSURE_GATE_ADDRESS.*configured-gate/);

    // A log that names the right gate at start and another later (an upgradeable one, say): each request is refused.
    const turncoat: DisclosureChain = { gate: async () => gateAddress, resolve: (request) => forgedReader.resolve(request) };
    service = await startService(misconfigured, { disclosureChain: turncoat });
    const before = await service.store.rowCounts();
    const res = await service.app.inject({
      method: 'POST',
      url: '/disclosures',
      headers: officer,
      payload: { request: { chainId, log: fakeLogAddress, id: id.toString() }, sharedPoint: [K[0].toString(), K[1].toString()], leafIndex: target.leafIndex.toString() },
    });
    expect({ status: res.statusCode, ...res.json().error }).toMatchObject({ status: 503, code: 'disclosure_gate_mismatch', field: 'request.log', rule: 'configured-gate' });
    expect(res.body).not.toContain(victim.familyName);
    expect(await service.store.rowCounts()).toEqual(before);
  });
});
