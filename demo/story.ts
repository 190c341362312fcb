/**
 * The zkkyc story, end to end, in one process: an in-process Hardhat chain,
 * issuer-service on 127.0.0.1 with a temporary SQLite file, real Veramo VCs and
 * real Groth16 proofs. `npm run demo` prints it; test/e2e/story.test.ts asserts it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hre from 'hardhat';
import { Wallet, type HDNodeWallet } from 'ethers';
import { encodePolicy, todayInt, type Policy } from '@zkkyc/credentials';
import type { MerkleProof } from '@zkkyc/tree';
import { PolicyNotMetError, type KycProof } from '@zkkyc/prover';
import { nodeProver } from '@zkkyc/prover/node';
import { createIssuerService, DEV_KEY_SECRET, type IssuerServiceConfig } from '@zkkyc/issuer-service';
import {
  Holder,
  IssuerClient,
  RegistryRootAnchor,
  connectZkKyc,
  decodeRevert,
  deployZkKyc,
  readGatePolicy,
  type HeldCredential,
} from '@zkkyc/sdk';

/** The token's admission rule: adults in five jurisdictions, professional or accredited, KYC level 2+. */
export const DEMO_POLICY: Policy = {
  jurisdictions: ['CH', 'DE', 'FR', 'GB', 'SG'],
  minAge: 18,
  investorClasses: ['professional-eu', 'professional-uk', 'accredited'],
  minKycLevel: 2,
};
const POLICY_ID = 1n;
const ISSUER_ID = 1n;
const MAX_ROOT_AGE = 3600;
const REVIEWER_KEY = 'LpMypnUAiz8odm4spUdUWdXcZShuLBhY';

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
  registrationGas: number[];
  transferGas: number;
  mintGas: number;
  refusals: Record<string, string>;
}

export interface StoryOptions {
  /** Called with each finished step, for printing. */
  onStep?: (step: StepRecord) => void;
}

export async function runStory(options: StoryOptions = {}): Promise<StoryFigures> {
  const steps: StepRecord[] = [];
  const refusals: Record<string, string> = {};
  const proveMs: number[] = [];
  const registrationGas: number[] = [];
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

  const [deployer, publisher, agent] = await hre.ethers.getSigners();
  const provider = hre.ethers.provider;
  const fund = async (w: HDNodeWallet) => {
    await (await deployer.sendTransaction({ to: w.address, value: 10n ** 18n })).wait();
    return w.connect(provider);
  };
  const chainToday = async () => todayInt(new Date(Number((await provider.getBlock('latest'))!.timestamp) * 1000));

  // 1. Deploy: registry, verifier, gate with the policy, token.
  const encodedPolicy = encodePolicy(DEMO_POLICY);
  const deployment = await step(
    'deploy contracts',
    () =>
      deployZkKyc(deployer, {
        maxRootAge: MAX_ROOT_AGE,
        issuers: [{ issuerId: ISSUER_ID, did: 'did:key:pending', publisher: publisher.address }],
        policies: [{ policyId: POLICY_ID, ...encodedPolicy, acceptedIssuers: [ISSUER_ID], ttl: 30 * 86400, maxWalletsPerInvestor: 2 }],
        tokens: [{ name: 'Green Energy Revenue Share', symbol: 'GERS', decimals: 18, policyId: POLICY_ID }],
      }),
    (d) => ({ outcome: `gate ${d.contracts.complianceGate}, token ${d.tokens[0].address}` }),
  );
  const contracts = connectZkKyc(deployment, deployer);
  const token = contracts.tokens.GERS.token;
  await (await token.grantRole(await token.AGENT_ROLE(), agent.address)).wait();

  // 2. The KYC provider's service, anchoring roots through the registry with its publisher key.
  const dataDir = mkdtempSync(join(tmpdir(), 'zkkyc-demo-'));
  const config: IssuerServiceConfig = {
    port: 0,
    host: '127.0.0.1',
    databasePath: join(dataDir, 'issuer.sqlite'),
    keySecret: DEV_KEY_SECRET,
    reviewers: [{ name: 'demo-reviewer', apiKey: REVIEWER_KEY, roles: ['reviewer', 'approver', 'revoker'] }],
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
  };
  const anchor = new RegistryRootAnchor(connectZkKyc(deployment, publisher).issuerRegistry, ISSUER_ID);
  const service = await createIssuerService(config, { anchor });
  const url = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const issuer = new IssuerClient(url);
  const reviewer = issuer.asReviewer(REVIEWER_KEY);
  record({ step: 'start issuer-service', ms: 0, outcome: `${url}, issuer ${service.issuerDid}` });

  try {
    const prover = await nodeProver('kycPolicy32');
    const alice = await Holder.fromWallet(await fund(Wallet.createRandom()));
    const carol = await Holder.fromWallet(await fund(Wallet.createRandom()));
    const mallory = await Holder.fromWallet(await fund(Wallet.createRandom()));
    const dave = await fund(Wallet.createRandom()); // never verified

    // 3. Three people apply; the reviewer approves all three (Mallory's KYC is fine, her country is not on this token's list).
    const applicants = [
      { who: 'alice', holder: alice, attributes: { jurisdiction: 'CH', birthDate: '1988-04-12', investorClasses: ['professional-eu'], kycLevel: 2 } },
      { who: 'carol', holder: carol, attributes: { jurisdiction: 'DE', birthDate: '1975-11-30', investorClasses: ['accredited'], kycLevel: 3 } },
      { who: 'mallory', holder: mallory, attributes: { jurisdiction: 'US', birthDate: '1990-01-01', investorClasses: ['accredited'], kycLevel: 3 } },
    ];
    const held = new Map<string, HeldCredential>();
    for (const a of applicants) {
      const application = await step(`${a.who} applies (${a.attributes.jurisdiction})`, () => a.holder.apply(issuer, a.attributes), (r) => ({ outcome: `application ${r.id}: ${r.status}` }));
      const approved = await step(`reviewer approves ${a.who}`, () => reviewer.approve(application.id, { expiryDate: '2030-12-31' }), (r) => ({ outcome: `${r.status}, credential ${r.credentialId}` }));
      const credential = await step(`${a.who} receives and checks the VC`, () => a.holder.receive(issuer, approved.credentialId!, application.accessToken), (c) => ({ outcome: `VC from ${c.issuerDid.slice(0, 24)}… verified, leaf ${c.leafIndex} matches` }));
      held.set(a.who, credential);
    }
    await step('issuer publishes the root', () => service.publisher!.publishNow(), (o) => ({ outcome: describePublication(o) }));

    const policy = await readGatePolicy(contracts.complianceGate, POLICY_ID);

    // 4. Eligible holders check locally, fetch their path, prove, and register their own wallet.
    const paths = new Map<string, MerkleProof>();
    async function prove(who: string, holder: Holder, path: MerkleProof, proofPolicy = policy): Promise<KycProof> {
      const today = await chainToday();
      const proof = await step(`${who} proves the policy (Groth16)`, () => holder.prove(prover, held.get(who)!, path, proofPolicy, { today }), (p) => ({
        outcome: `nullifier ${short(p.nullifier)}; ${prover.lastTiming.witnessMs.toFixed(0)} ms witness + ${prover.lastTiming.proveMs.toFixed(0)} ms prove`,
      }));
      proveMs.push(Math.round(prover.lastTiming.witnessMs + prover.lastTiming.proveMs));
      return proof;
    }
    const submit = async (holder: Holder, proof: KycProof) => {
      const c = proof.solidityCalldata;
      return (await contracts.complianceGate.connect(holder.signer).verify(POLICY_ID, c.pA, c.pB, c.pC, c.pubSignals)).wait();
    };
    for (const [who, holder] of [['alice', alice], ['carol', carol]] as const) {
      const failures = holder.check(held.get(who)!, policy, await chainToday());
      record({ step: `${who} checks the policy locally`, ms: 0, outcome: failures.length ? failures.map((f) => f.message).join('; ') : 'all rules met' });
      const path = await holder.merklePath(issuer, held.get(who)!);
      paths.set(who, path);
      const proof = await prove(who, holder, path);
      await step(`${who} registers the wallet at the gate`, () => submit(holder, proof), (r) => {
        registrationGas.push(Number(r!.gasUsed));
        return { outcome: 'wallet verified', gas: Number(r!.gasUsed) };
      });
    }

    // 5. Tokens move only between verified wallets.
    const mint = await step('agent mints 1,000 GERS to alice', async () => (await token.connect(agent).mint(alice.address, 1000n * 10n ** 18n)).wait(), (r) => ({ outcome: 'minted', gas: Number(r!.gasUsed) }));
    const transfer = await step('alice transfers 100 GERS to carol (verified)', async () => (await token.connect(alice.signer).transfer(carol.address, 100n * 10n ** 18n)).wait(), (r) => ({ outcome: 'transferred', gas: Number(r!.gasUsed) }));
    await refused('alice transfers to dave (unverified)', async () => (await token.connect(alice.signer).transfer(dave.address, 10n ** 18n)).wait());

    // 6. Mallory is not eligible: the local check says why, the prover refuses, and a proof made
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

    // 7. Revocation: the issuer zeroes Alice's leaf and publishes; her old root works until it ages out.
    const aliceCredential = held.get('alice')!;
    await step('issuer revokes alice’s credential', () => reviewer.revoke(aliceCredential.id, 'documents withdrawn'), () => ({ outcome: 'leaf zeroed' }));
    await step('issuer publishes the new root', () => service.publisher!.publishNow(), (o) => ({ outcome: describePublication(o) }));
    await refused('alice asks for a path of the revoked credential', () => alice.merklePath(issuer, aliceCredential));
    await step('chain time passes maxRootAge', async () => {
      await provider.send('evm_increaseTime', [MAX_ROOT_AGE + 1]);
      await provider.send('evm_mine', []);
    }, () => ({ outcome: `+${MAX_ROOT_AGE + 1} s` }));
    const stale = await prove('alice', alice, paths.get('alice')!);
    steps[steps.length - 1].outcome += ' (old path, superseded root)';
    await refused('gate refuses the proof on the aged-out root', () => submit(alice, stale));

    const constraints = (await import('../circuits/artifacts/manifest.json', { with: { type: 'json' } })).default.circuits.kycPolicy32.constraints;
    return {
      steps,
      constraints,
      proveMs,
      registrationGas,
      transferGas: Number(transfer!.gasUsed),
      mintGas: Number(mint!.gasUsed),
      refusals,
    };
  } finally {
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
