/**
 * The zkkyc story, end to end, in one process: an in-process Hardhat chain,
 * issuer-service on 127.0.0.1 with a temporary SQLite file, real Veramo VCs and
 * real Groth16 proofs. `npm run demo` prints it; test/e2e/story.test.ts asserts it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hre from 'hardhat';
import { JsonRpcServer } from 'hardhat/internal/hardhat-network/jsonrpc/server.js';
import { parseEther, Wallet, type HDNodeWallet } from 'ethers';
import { createRelayer, DEFAULT_LIMITS, type Relayer } from '@zkkyc/relayer';
import { encodePolicy, todayInt, type Policy } from '@zkkyc/credentials';
import type { MerkleProof } from '@zkkyc/tree';
import { PolicyNotMetError, type KycProof } from '@zkkyc/prover';
import { nodeEscrowProver, nodeProver } from '@zkkyc/prover/node';
import { createIssuerService, DEV_KEY_SECRET, JsonRpcDisclosureChain, type IssuerServiceConfig } from '@zkkyc/issuer-service';
import { disclosureRequestReference, HttpIssuerDisclosures } from '@zkkyc/escrow';
import { runTransactionTrustAct, type TransactionTrustFigures } from './transaction-trust.js';
import { auditorPartial, combine, escrowRegistrationOf, keepRegister, makeEscrowKeys, requestDisclosure } from './accountable-privacy.js';
import {
  Holder,
  IssuerClient,
  RegistryRootAnchor,
  RelayerClient,
  signRegistrationConsent,
  connectZkKyc,
  decodeRevert,
  deployZkKyc,
  newRootKey,
  readGatePolicy,
  type EscrowGatePolicy,
  type HeldCredential,
  type VerifiedPerson,
} from '@zkkyc/sdk';

/** The token's admission rule: adults in five jurisdictions, professional or accredited, KYC level 2+. */
export const DEMO_POLICY: Policy = {
  jurisdictions: ['CH', 'DE', 'FR', 'GB', 'SG'],
  minAge: 18,
  investorClasses: ['professional-eu', 'professional-uk', 'accredited'],
  minKycLevel: 2,
};
const POLICY_ID = 1n;
/** The bond's policy: DEMO_POLICY plus the transfer agent's escrow key (it keeps the register). */
const REGISTER_POLICY_ID = 2n;
/** The fund's policy: DEMO_POLICY plus the auditor panel's 2-of-3 escrow key. */
const PANEL_POLICY_ID = 3n;
const ISSUER_ID = 1n;
const MAX_ROOT_AGE = 3600;
const REVIEWER_KEY = 'LpMypnUAiz8odm4spUdUWdXcZShuLBhY';
const APPROVER_KEY = 'w7Qe2JrXn4TzV9bLk3HsPd8YcMa6UfGt';
const OFFICER_KEY = 'qP7vXw2NcL9rTg4hYb8mKd3sZf6jRu1E';

export interface StepRecord {
  step: string;
  ms: number;
  gas?: number;
  outcome: string;
}

export interface StoryFigures {
  steps: StepRecord[];
  constraints: number;
  proveMs: number[];
  /** Gas per wallet of the demo's registrations (alice's and carol's, sent by the relayer in one verifyBatch). */
  registrationGas: number[];
  /** The relayer's batch that registered them: its size and its gas in all. */
  registrationBatch: { size: number; gas: number; txHash: string };
  transferGas: number;
  mintGas: number;
  refusals: Record<string, string>;
  /** The escrow act: kycPolicyEscrow32 proof times (ms), escrow registration gas, the register and the disclosure. */
  escrow: {
    constraints: number;
    proveMs: number[];
    registrationGas: number[];
    registerHolders: number;
    registerCsv: string;
    registerHtml: string;
    disclosedFamilyName: string;
  };
  /** The transaction-trust act (compliance monitor): demo/transaction-trust.ts. */
  transactionTrust: TransactionTrustFigures;
}

export interface StoryOptions {
  /** Called with each finished step, for printing. */
  onStep?: (step: StepRecord) => void;
  /** Where the register of holders is written (default: a new directory under the OS temp dir). */
  outDir?: string;
}

export async function runStory(options: StoryOptions = {}): Promise<StoryFigures> {
  const steps: StepRecord[] = [];
  const refusals: Record<string, string> = {};
  const proveMs: number[] = [];
  const registrationGas: number[] = [];
  let registrationBatch: StoryFigures['registrationBatch'] | undefined;
  const record = (step: StepRecord) => {
    steps.push(step);
    options.onStep?.(step);
  };
  async function step<T>(name: string, run: () => Promise<T>, describe: (result: T) => { outcome: string; gas?: number }): Promise<T> {
    const started = performance.now();
    const result = await run();
    record({ step: name, ms: Math.round(performance.now() - started), ...describe(result) });
    return result;
  }
  async function refused(name: string, run: () => Promise<unknown>): Promise<string> {
    const started = performance.now();
    try {
      await run();
    } catch (error) {
      const reason = describeRefusal(error);
      refusals[name] = reason;
      record({ step: name, ms: Math.round(performance.now() - started), outcome: `refused: ${reason}` });
      return reason;
    }
    throw new Error(`${name}: expected a refusal, but it succeeded`);
  }

  const [deployer, publisher, agent, transferAgent, complianceOfficer] = await hre.ethers.getSigners();
  const provider = hre.ethers.provider;
  const funded = async (w: HDNodeWallet) => {
    await (await deployer.sendTransaction({ to: w.address, value: 10n ** 18n })).wait();
    return w.connect(provider);
  };
  const chainToday = async () => todayInt(new Date(Number((await provider.getBlock('latest'))!.timestamp) * 1000));

  // 0. Escrow keys, made before the policies that name them: the transfer agent's own key, and
  // three auditors' 2-of-3 key from a distributed key generation (nobody holds the whole key).
  const keys = await step(
    'transfer agent makes its escrow key; 3 auditors run a 2-of-3 DKG',
    async () => makeEscrowKeys(),
    (k) => ({
      outcome: `E_ta ${short(k.transferAgent.publicKey[0])}; panel E ${short(k.panel.publicKey.publicKey[0])}, members ${k.panel.publicKey.qualified.join(', ')}`,
    }),
  );

  // 1. Deploy: registry, verifiers, gate with the policies, tokens, disclosure log.
  const encodedPolicy = encodePolicy(DEMO_POLICY);
  const deployment = await step(
    'deploy contracts',
    () =>
      deployZkKyc(deployer, {
        maxRootAge: MAX_ROOT_AGE,
        issuers: [{ issuerId: ISSUER_ID, did: 'did:key:pending', publisher: publisher.address }],
        policies: [
          { policyId: POLICY_ID, ...encodedPolicy, acceptedIssuers: [ISSUER_ID], ttl: 30 * 86400, maxWalletsPerInvestor: 2 },
          { policyId: REGISTER_POLICY_ID, ...encodedPolicy, acceptedIssuers: [ISSUER_ID], ttl: 30 * 86400, maxWalletsPerInvestor: 2, escrowKey: keys.transferAgent.publicKey },
          { policyId: PANEL_POLICY_ID, ...encodedPolicy, acceptedIssuers: [ISSUER_ID], ttl: 30 * 86400, maxWalletsPerInvestor: 2, escrowKey: keys.panel.publicKey.publicKey },
        ],
        tokens: [
          { name: 'Green Energy Revenue Share', symbol: 'GERS', decimals: 18, policyId: POLICY_ID },
          { name: 'Alpine Hydro Bond 2031', symbol: 'AHB31', decimals: 6, policyId: REGISTER_POLICY_ID },
          { name: 'Solar Infrastructure Fund', symbol: 'SIF', decimals: 18, policyId: PANEL_POLICY_ID },
          // Transfers above 10,000 wait for a compliance agent; sanctioned wallets are refused.
          {
            name: 'Harbour Logistics Note',
            symbol: 'HLN',
            decimals: 18,
            policyId: POLICY_ID,
            rules: { transferApproval: { threshold: 10_000n * 10n ** 18n, expirySeconds: 7 * 86400 }, sanctions: true },
          },
        ],
      }),
    (d) => ({ outcome: `gate ${d.contracts.complianceGate}, token ${d.tokens[0].address}` }),
  );
  const contracts = connectZkKyc(deployment, deployer);
  const token = contracts.tokens.GERS.token;
  const bond = contracts.tokens.AHB31.token;
  const fund = contracts.tokens.SIF.token;
  for (const t of [token, bond, fund]) await (await t.grantRole(await t.AGENT_ROLE(), agent.address)).wait();

  // 2. The KYC provider's service, anchoring roots through the registry with its publisher key.
  const dataDir = mkdtempSync(join(tmpdir(), 'zkkyc-demo-'));
  const config: IssuerServiceConfig = {
    port: 0,
    host: '127.0.0.1',
    databasePath: join(dataDir, 'issuer.sqlite'),
    keySecret: DEV_KEY_SECRET,
    reviewers: [
      { name: 'demo-reviewer', apiKey: REVIEWER_KEY, roles: ['reviewer', 'revoker'] },
      { name: 'demo-approver', apiKey: APPROVER_KEY, roles: ['approver'] },
      { name: 'demo-disclosure-officer', apiKey: OFFICER_KEY, roles: ['disclosure-officer'] },
    ],
    dev: true,
    autoApprove: false,
    issuerAlias: 'issuer',
    treeId: ISSUER_ID.toString(),
    treeDepth: 32,
    challengeTtlSeconds: 300,
    holderRateLimitPerMinute: 1000,
    bodyLimitBytes: 16384,
    publishIntervalSeconds: 0,
    autoApproveValidityDays: 365,
    // The in-process chain has no URL; the reader below is handed in instead of one built from it.
    disclosure: { rpcUrl: 'http://127.0.0.1:1', logAddress: deployment.contracts.disclosureLog.toLowerCase(), gateAddress: deployment.contracts.complianceGate.toLowerCase(), confirmations: 1 },
  };
  const anchor = new RegistryRootAnchor(connectZkKyc(deployment, publisher).issuerRegistry, ISSUER_ID);
  const disclosureChain = new JsonRpcDisclosureChain(provider, deployment.contracts.disclosureLog, 1);
  const service = await createIssuerService(config, { anchor, disclosureChain });
  const url = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const issuer = new IssuerClient(url);
  const reviewer = issuer.asReviewer(REVIEWER_KEY);
  const approver = issuer.asReviewer(APPROVER_KEY);
  record({ step: 'start issuer-service', ms: 0, outcome: `${url}, issuer ${service.issuerDid}` });

  let rpcServer: JsonRpcServer | undefined;
  let relayer: Relayer | undefined;
  try {
    // The relayer, in this process too: it reads the in-process chain over JSON-RPC like any node,
    // pays from an account of its own, and batches: two registrations, or 30 s, whichever first.
    rpcServer = new JsonRpcServer({ hostname: '127.0.0.1', port: 0, provider: hre.network.provider });
    const rpc = await rpcServer.listen();
    const relayerKey = Wallet.createRandom();
    await (await deployer.sendTransaction({ to: relayerKey.address, value: parseEther('10') })).wait();
    relayer = await step(
      'start the relayer (batches of 2, or 30 s)',
      () =>
        createRelayer({
          rpcUrl: `http://127.0.0.1:${rpc.port}`,
          gateAddress: deployment.contracts.complianceGate,
          relayerKey: relayerKey.privateKey,
          databasePath: join(dataDir, 'relayer.sqlite'),
          host: '127.0.0.1',
          port: 0,
          corsOrigins: [],
          limits: DEFAULT_LIMITS,
          receiptTimeoutSeconds: 60,
          batch: { maxSize: 2, maxWaitMs: 30_000 },
        }),
      (r) => ({ outcome: `pays from ${r.address}` }),
    );
    const relayerUrl = await relayer.app.listen({ host: '127.0.0.1', port: 0 });

    const prover = await nodeProver('kycPolicy32');
    // Each holder keeps one root key; the DID the issuer sees and the wallet that registers are
    // derived from it separately, so nothing the issuer holds names the wallet.
    const fundedHolder = async () => {
      const holder = await Holder.fromRootKey(newRootKey(), { provider });
      await (await deployer.sendTransaction({ to: holder.address, value: 10n ** 18n })).wait();
      return holder;
    };
    const alice = await fundedHolder();
    const carol = await fundedHolder();
    const mallory = await fundedHolder();
    const dave = await funded(Wallet.createRandom()); // never verified

    // 3. Three people apply; the reviewer approves all three (Mallory's KYC is fine, her country is not on this token's list).
    // The reviewer checks each applicant's identity document and sets the KYC level it found (applicants
    // declare none); the issuer keeps what it verified,
    // encrypted, for its disclosure officer alone.
    const person = (familyName: string, givenNames: string, documentType: VerifiedPerson['documentType'], issuingCountry: string, documentNumber: string, birthDate: string): VerifiedPerson => ({
      familyName,
      givenNames,
      documentType,
      issuingCountry,
      documentNumber,
      birthDate,
    });
    const applicants = [
      {
        who: 'alice',
        holder: alice,
        attributes: { jurisdiction: 'CH', birthDate: '1988-04-12', investorClasses: ['professional-eu'] },
        kycLevel: 2,
        person: person('Keller', 'Alice', 'passport', 'CH', 'X1234567', '1988-04-12'),
      },
      {
        who: 'carol',
        holder: carol,
        attributes: { jurisdiction: 'DE', birthDate: '1975-11-30', investorClasses: ['accredited'] },
        kycLevel: 3,
        person: person('Hoffmann', 'Carol', 'national-id', 'DE', 'L01X00T47', '1975-11-30'),
      },
      {
        who: 'mallory',
        holder: mallory,
        attributes: { jurisdiction: 'US', birthDate: '1990-01-01', investorClasses: ['accredited'] },
        kycLevel: 3,
        person: person('Moore', 'Mallory', 'passport', 'US', '563960431', '1990-01-01'),
      },
    ];
    const held = new Map<string, HeldCredential>();
    for (const a of applicants) {
      const application = await step(
        `${a.who} applies (${a.attributes.jurisdiction})`,
        () => a.holder.apply(issuer, a.attributes),
        (r) => ({ outcome: `application ${r.id}: ${r.status}` }),
      );
      const proposal = await step(
        `reviewer records what ${a.who}'s document shows (KYC level ${a.kycLevel})`,
        () => reviewer.propose(application.id, { person: a.person, attributes: { kycLevel: a.kycLevel } }),
        (p) => ({
          outcome: `proposal ${p.id}; ${p.changesAttributes ? 'changes the application, so another key approves' : 'as applied'}`,
        }),
      );
      const approved = await step(
        `a second key approves ${a.who} (four eyes)`,
        () => approver.approve(application.id, { expiryDate: '2030-12-31', proposalId: proposal.id }),
        (r) => ({ outcome: `${r.status}, credential ${r.credentialId}` }),
      );
      const credential = await step(
        `${a.who} receives and checks the VC`,
        () => a.holder.receive(issuer, approved.credentialId!, application.accessToken),
        (c) => ({ outcome: `VC from ${c.issuerDid.slice(0, 24)}… verified, leaf ${c.leafIndex} matches` }),
      );
      held.set(a.who, credential);
    }
    await step(
      'issuer publishes the root',
      () => service.publisher!.publishNow(),
      (o) => ({ outcome: describePublication(o) }),
    );

    const policy = await readGatePolicy(contracts.complianceGate, POLICY_ID);

    // 4. Eligible holders check locally, fetch their path, prove, and register their own wallet.
    const paths = new Map<string, MerkleProof>();
    async function prove(who: string, holder: Holder, path: MerkleProof, proofPolicy = policy): Promise<KycProof> {
      const today = await chainToday();
      const proof = await step(
        `${who} proves the policy (Groth16)`,
        () => holder.prove(prover, held.get(who)!, path, proofPolicy, { today }),
        (p) => ({
          outcome: `nullifier ${short(p.nullifier)}; ${prover.lastTiming.witnessMs.toFixed(0)} ms witness + ${prover.lastTiming.proveMs.toFixed(0)} ms prove`,
        }),
      );
      proveMs.push(Math.round(prover.lastTiming.witnessMs + prover.lastTiming.proveMs));
      return proof;
    }
    // The refusals further down send straight to the gate from the holder's own wallet.
    const submit = async (holder: Holder, proof: KycProof) => {
      const c = proof.solidityCalldata;
      return (await contracts.complianceGate.connect(holder.signer).verify(POLICY_ID, c.pA, c.pB, c.pC, c.pubSignals)).wait();
    };
    // The holders register through the relayer (relayer/README.md), which batches them: each signs
    // an EIP-712 consent, the relayer checks each and sends both in one verifyBatch, and pays.
    const relayerClient = new RelayerClient(relayerUrl);
    const handedOver: { who: string; id: string }[] = [];
    for (const [who, holder] of [
      ['alice', alice],
      ['carol', carol],
    ] as const) {
      const failures = holder.check(held.get(who)!, policy, await chainToday());
      record({ step: `${who} checks the policy locally`, ms: 0, outcome: failures.length ? failures.map((f) => f.message).join('; ') : 'all rules met' });
      const path = await holder.merklePath(issuer, held.get(who)!);
      paths.set(who, path);
      const proof = await prove(who, holder, path);
      const deadline = Number((await provider.getBlock('latest'))!.timestamp) + 3600;
      const consent = await signRegistrationConsent(holder.signer, contracts.complianceGate, { policyId: POLICY_ID, proof, deadline });
      const submitted = await step(
        `${who} hands the proof and consent to the relayer`,
        () => relayerClient.submit({ policyId: POLICY_ID, proof, consent }),
        (r) => ({
          outcome: 'status' in r ? `request ${r.status}` : 'sent alone',
        }),
      );
      if (!('status' in submitted)) throw new Error(`${who}: the relayer sent the registration alone instead of queueing it for a batch`);
      handedOver.push({ who, id: submitted.id });
    }
    for (const { who, id } of handedOver) {
      const registered = await step(
        `${who} registers the wallet at the gate`,
        () => relayerClient.waitUntilRegistered(id, { intervalMs: 200 }),
        () => ({ outcome: 'wallet verified' }),
      );
      if (!registrationBatch || registrationBatch.txHash !== registered.txHash) {
        const receipt = (await provider.getTransactionReceipt(registered.txHash))!;
        const size = relayer.journal.requestsOfBatch(relayer.service.request(id)!.batchId!).length;
        registrationBatch = { size, gas: Number(receipt.gasUsed), txHash: registered.txHash };
        record({
          step: `relayer sent one verifyBatch for ${size} wallet${size === 1 ? '' : 's'}`,
          ms: 0,
          gas: Number(receipt.gasUsed),
          outcome: `${Math.round(Number(receipt.gasUsed) / size).toLocaleString('en-US')} gas per wallet, paid by the relayer`,
        });
      }
      registrationGas.push(Math.round(registrationBatch.gas / registrationBatch.size));
    }

    // 5. Tokens move only between verified wallets.
    const mint = await step(
      'agent mints 1,000 GERS to alice',
      async () => (await token.connect(agent).mint(alice.address, 1000n * 10n ** 18n)).wait(),
      (r) => ({ outcome: 'minted', gas: Number(r!.gasUsed) }),
    );
    const transfer = await step(
      'alice transfers 100 GERS to carol (verified)',
      async () => (await token.connect(alice.signer).transfer(carol.address, 100n * 10n ** 18n)).wait(),
      (r) => ({ outcome: 'transferred', gas: Number(r!.gasUsed) }),
    );
    await refused('alice transfers to dave (unverified)', async () => (await token.connect(alice.signer).transfer(dave.address, 10n ** 18n)).wait());

    // 6. Accountable privacy. The bond's policy escrows each registration's leaf index to the
    // transfer agent's key; the fund's to the auditor panel's 2-of-3 key. The chain still learns
    // nothing about who the holders are.
    const escrowProver = await nodeEscrowProver('kycPolicyEscrow32');
    const escrowProveMs: number[] = [];
    const escrowRegistrationGas: number[] = [];
    async function registerWithEscrow(who: string, holder: Holder, policyId: bigint, symbol: string) {
      const escrowPolicy = (await readGatePolicy(contracts.complianceGate, policyId)) as EscrowGatePolicy;
      const today = await chainToday();
      const proof = await step(
        `${who} proves ${symbol}'s escrow policy (Groth16)`,
        () => holder.proveEscrow(escrowProver, held.get(who)!, paths.get(who)!, escrowPolicy, { today }),
        () => ({
          outcome: `leaf index encrypted to the policy's key; ${escrowProver.lastTiming.witnessMs.toFixed(0)} ms witness + ${escrowProver.lastTiming.proveMs.toFixed(0)} ms prove`,
        }),
      );
      escrowProveMs.push(Math.round(escrowProver.lastTiming.witnessMs + escrowProver.lastTiming.proveMs));
      const receipt = await step(
        `${who} registers for ${symbol} (verifyEscrow)`,
        async () => (await holder.register(contracts.complianceGate, policyId, proof)).wait(),
        (r) => {
          escrowRegistrationGas.push(Number(r!.gasUsed));
          return { outcome: 'wallet verified; EscrowCiphertext emitted with it', gas: Number(r!.gasUsed) };
        },
      );
      return escrowRegistrationOf(contracts.complianceGate, receipt!);
    }

    // 6a. The transfer agent keeps the bond's register of holders. Each registration it opens is a
    // disclosure like any other: first a request in the public log, then the decryption, then the
    // issuer's record through its disclosure officer.
    const disclosureLog = contracts.disclosureLog;
    await step(
      'policy admin names requesters and rate limits in the disclosure log',
      async () => {
        await (await disclosureLog.setRequester(REGISTER_POLICY_ID, transferAgent.address, true)).wait();
        await (await disclosureLog.setRateLimit(REGISTER_POLICY_ID, 100, 86400)).wait();
        await (await disclosureLog.setRequester(PANEL_POLICY_ID, complianceOfficer.address, true)).wait();
        await (await disclosureLog.setRateLimit(PANEL_POLICY_ID, 5, 30 * 86400)).wait();
      },
      () => ({ outcome: 'AHB31: the transfer agent, 100 a day; SIF: the compliance officer, 5 per 30 days' }),
    );
    await registerWithEscrow('alice', alice, REGISTER_POLICY_ID, 'AHB31');
    await registerWithEscrow('carol', carol, REGISTER_POLICY_ID, 'AHB31');
    await step(
      'agent mints 50,000 AHB31 to alice and 20,000 to carol',
      async () => {
        await (await bond.connect(agent).mint(alice.address, 50_000n * 10n ** 6n)).wait();
        await (await bond.connect(agent).mint(carol.address, 20_000n * 10n ** 6n)).wait();
      },
      () => ({ outcome: 'minted' }),
    );
    const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), 'zkkyc-register-'));
    const bondAddress = await bond.getAddress();
    const kept = await step(
      'transfer agent writes the AHB31 register of holders',
      () => keepRegister({ provider, contracts, token: bondAddress, policyId: REGISTER_POLICY_ID, keys, transferAgent, issuerUrl: url, officerKey: OFFICER_KEY, outDir }),
      (k) => ({
        outcome: `${k.register.holders.length} holders (${k.register.holders.map((h) => `${String(h.person?.familyName ?? '?')}: ${h.wallets.length} wallet, ${(h.balance / 10n ** 6n).toLocaleString('en-US')} AHB31`).join('; ')}); ${k.csv}, ${k.html}`,
      }),
    );

    // 6b. The fund's key is split among three auditors. Carol registers; a compliance officer asks
    // in public for her registration to be opened; two auditors act, one alone cannot.
    const carolFund = await registerWithEscrow('carol', carol, PANEL_POLICY_ID, 'SIF');
    const logged = await step(
      'compliance officer records a disclosure request in the log',
      () =>
        requestDisclosure({ contracts, requester: complianceOfficer, policyId: PANEL_POLICY_ID, registration: carolFund, caseReference: 'SAR 2026-0142: structuring pattern in SIF subscriptions' }),
      (r) => ({ outcome: `request ${r.id}: ${r.reference} (case hash ${r.caseRefHash.slice(0, 10)}…)`, gas: r.gas }),
    );
    const panelInput = { provider, panel: keys.panel.publicKey, policyId: PANEL_POLICY_ID, registration: carolFund, caseRefHash: logged.caseRefHash, reference: logged.reference };
    const partials = await step(
      'auditors 1 and 3 check the log and make partial decryptions',
      async () => [await auditorPartial({ ...panelInput, share: keys.panel.shares[0] }), await auditorPartial({ ...panelInput, share: keys.panel.shares[2] })],
      () => ({ outcome: `2 partials, each with a Chaum–Pedersen proof bound to request ${logged.id}` }),
    );
    const opened = await step(
      'anyone combines the 2 partials',
      async () => combine(partials, 2, keys.panel.publicKey, carolFund.ciphertext, logged.reference),
      (c) => ({
        outcome: `leaf index ${c.leafIndex} (auditors ${c.used.join(', ')})`,
      }),
    );
    const disclosed = await step(
      'issuer’s disclosure officer checks the request on chain and discloses',
      () =>
        new HttpIssuerDisclosures(url, OFFICER_KEY).disclose({ request: { chainId: logged.chainId, log: logged.log, id: logged.id }, sharedPoint: opened.sharedPoint, leafIndex: opened.leafIndex }),
      (d) => ({
        outcome: `${String(d.record.person.givenNames)} ${String(d.record.person.familyName)}, ${String(d.record.person.documentType)} ${String(d.record.person.issuingCountry)}, born ${String(d.record.person.birthDate)}; disclosure recorded`,
      }),
    );
    const alone = await auditorPartial({ ...panelInput, share: keys.panel.shares[1] });
    await refused('auditor 2 alone tries to open the registration', async () => combine([alone], 2, keys.panel.publicKey, carolFund.ciphertext, logged.reference));
    await refused('an auditor is asked for a request that is not in the log', () =>
      auditorPartial({ ...panelInput, share: keys.panel.shares[1], reference: disclosureRequestReference({ chainId: logged.chainId, log: logged.log, requestId: logged.id + 1n }) }),
    );

    // 7. Transaction trust: the compliance monitor follows HLN, catches a structuring pattern,
    // freezes and holds, a large transfer waits for approval, a list import sanctions a wallet, and
    // a SAR draft is written.
    const transactionTrust = await runTransactionTrustAct({ provider, deployer, agent, contracts, deployment, holders: { alice, carol }, step, refused, outDir });

    // 8. Mallory is not eligible: the local check says why, the prover refuses, and a proof made
    // against a doctored policy is refused by the gate.
    const malloryCredential = held.get('mallory')!;
    const malloryFailures = mallory.check(malloryCredential, policy, await chainToday());
    record({ step: 'mallory checks the policy locally', ms: 0, outcome: malloryFailures.map((f) => f.message).join('; ') });
    const malloryPath = await mallory.merklePath(issuer, malloryCredential);
    await refused('mallory tries to prove anyway', async () => mallory.prove(prover, malloryCredential, malloryPath, policy, { today: await chainToday() }));
    const usMask = encodePolicy({ ...DEMO_POLICY, jurisdictions: ['US'] }).jurisdictionMask;
    const forged = await prove('mallory', mallory, malloryPath, { ...policy, jurisdictionMask: policy.jurisdictionMask | usMask });
    steps[steps.length - 1].outcome += ' (against a doctored policy that allows US)';
    await refused('gate refuses mallory’s doctored proof', () => submit(mallory, forged));

    // 9. Revocation: the issuer zeroes Alice's leaf and publishes; her old root works until it ages out.
    const aliceCredential = held.get('alice')!;
    await step(
      'issuer revokes alice’s credential',
      () => reviewer.revoke(aliceCredential.id, 'documents withdrawn'),
      () => ({ outcome: 'leaf zeroed' }),
    );
    await step(
      'issuer publishes the new root',
      () => service.publisher!.publishNow(),
      (o) => ({ outcome: describePublication(o) }),
    );
    await refused('alice asks for a path of the revoked credential', () => alice.merklePath(issuer, aliceCredential));
    await step(
      'chain time passes maxRootAge',
      async () => {
        await provider.send('evm_increaseTime', [MAX_ROOT_AGE + 1]);
        await provider.send('evm_mine', []);
      },
      () => ({ outcome: `+${MAX_ROOT_AGE + 1} s` }),
    );
    const stale = await prove('alice', alice, paths.get('alice')!);
    steps[steps.length - 1].outcome += ' (old path, superseded root)';
    await refused('gate refuses the proof on the aged-out root', () => submit(alice, stale));

    const manifest = (await import('../circuits/artifacts/manifest.json', { with: { type: 'json' } })).default;
    const constraints = manifest.circuits.kycPolicy32.constraints;
    return {
      steps,
      constraints,
      proveMs,
      registrationGas,
      registrationBatch: registrationBatch!,
      transferGas: Number(transfer!.gasUsed),
      mintGas: Number(mint!.gasUsed),
      refusals,
      escrow: {
        constraints: manifest.circuits.kycPolicyEscrow32.constraints,
        proveMs: escrowProveMs,
        registrationGas: escrowRegistrationGas,
        registerHolders: kept!.register.holders.length,
        registerCsv: kept!.csv,
        registerHtml: kept!.html,
        disclosedFamilyName: String(disclosed!.record.person.familyName),
      },
      transactionTrust,
    };
  } finally {
    await relayer?.close();
    await rpcServer?.close();
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function describeRefusal(error: unknown): string {
  const decoded = decodeRevert(error);
  if (decoded) return decoded.message;
  if (error instanceof PolicyNotMetError) return error.failures.map((f) => f.message).join('; ');
  return error instanceof Error ? error.message : String(error);
}

function short(n: bigint): string {
  const s = n.toString(16);
  return `0x${s.slice(0, 8)}…`;
}

function describePublication(outcome: unknown): string {
  return JSON.stringify(outcome, (_key, value) => (typeof value === 'bigint' ? short(value) : value));
}
