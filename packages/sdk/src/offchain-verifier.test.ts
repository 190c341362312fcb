/**
 * The off-chain verifier end to end, with real parts: a Hardhat node over JSON-RPC (a child process)
 * holding a zkkyc deployment made with deployZkKyc, an issuer whose real depth-32 tree root is
 * published through the SDK's RegistryRootAnchor, a holder proving with the real kycPolicy32 prover,
 * and a relying party (a broker) verifying with OffchainVerifier — no issuer service anywhere.
 *
 * Proofs take seconds, so six are made (an honest one reused by most refusals, tampered in memory,
 * and five that only a holder could make: another policy, another audience, a stale date, an ended
 * validUntil, and one through the example broker back end). Every refusal test names the one check
 * that must catch it: it fails if that check were missing, most by asserting the refusals exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JsonRpcSigner } from 'ethers';
import {
  ValidationError,
  computeLeaf,
  computeNullifier,
  computeScope,
  encodePolicy,
  identityCommitment,
  jurisdictionIndex,
  randomIdentitySecret,
  randomSalt,
  todayInt,
  type EncodedAttributes,
} from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import {
  loadVerificationKey,
  nodeProver,
  presentationBinding,
  proveForRelyingParty,
  relyingPartyScope,
  releaseProverThreads,
  packContext,
  unpackContext,
  type KycProver,
  type Presentation,
  type PresentationChallenge,
  type PresentationPolicy,
} from '@zkkyc/prover/node';
import { startHardhatNode, type HardhatNode } from '../../../compliance-monitor/test/support/chain.js';
import { buildBrokerBackend } from '../../../examples/broker-backend/server.js';
import { connectZkKyc, type ZkKycContracts } from './contracts.js';
import { deployZkKyc, type ZkKycDeployment } from './deploy.js';
import { MemoryChallengeStore } from './offchain-challenge-store.js';
import { OffchainVerifier, presentationPolicyFromGate, type OffchainVerifierOptions, type PresentationResult } from './offchain-verifier.js';
import { RegistryRootAnchor } from './registry-anchor.js';

const BROKER = 'https://broker.example';
const EVIL = 'https://evil.example';
const DAY_MS = 86_400_000;
const MAX_ROOT_AGE = 3600;

let node: HardhatNode;
let admin: JsonRpcSigner;
let deployment: ZkKycDeployment;
let zk: ZkKycContracts;
let anchor: RegistryRootAnchor;
let prover: KycProver;
let vkey32: object;
let chainId: number;
let registry: string;
let policy: PresentationPolicy;
let broker: OffchainVerifier;
const tree = new IssuerTree(32);
const holder = { secret: randomIdentitySecret(), salt: randomSalt(), index: 0 };
const attributes: EncodedAttributes = {
  jurisdiction: jurisdictionIndex('DE'),
  birthDate: 19800101,
  investorClass: 0b10,
  kycLevel: 3,
  expiryDate: 20351231,
};

/** What the holder's wallet keeps: the credential and its path (from the tree, not from an issuer call). */
function credential() {
  return { identitySecret: holder.secret, attributes, salt: holder.salt, merkleProof: tree.proof(holder.index) };
}

/** As it travels: JSON out and back, so nothing relies on bigint or object identity. */
function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The RP's options, so tests can build a verifier with another clock, store or policy. */
function options(overrides: Partial<OffchainVerifierOptions> = {}): OffchainVerifierOptions {
  return { audience: BROKER, provider: node.provider, chainId, registry, policy, verificationKeys: { 32: vkey32 }, ...overrides };
}

/** The broker's verifier as another instance sharing a store that holds `challenges`, unused. */
async function brokerWith(challenges: PresentationChallenge[], overrides: Partial<OffchainVerifierOptions> = {}): Promise<OffchainVerifier> {
  const store = new MemoryChallengeStore();
  for (const c of challenges) await store.put(c);
  return OffchainVerifier.create(options({ store, ...overrides }));
}

function refusals(result: PresentationResult): { field: string; rule: string }[] {
  if (result.ok) throw new Error('expected a refusal, the presentation was accepted');
  return result.refusals.map(({ field, rule }) => ({ field, rule }));
}

function withSignal(p: Presentation, index: number, value: bigint): Presentation {
  const copy = json(p);
  copy.publicSignals[index] = value.toString();
  return copy;
}

// The honest presentation most tests reuse, and its challenge.
let c1: PresentationChallenge;
let p1: Presentation;

beforeAll(async () => {
  node = await startHardhatNode();
  admin = await node.provider.getSigner(0);
  const publisher = await node.provider.getSigner(1);
  deployment = await deployZkKyc(admin, {
    verifier20: false,
    maxRootAge: MAX_ROOT_AGE,
    issuers: [
      { issuerId: 1, did: 'did:example:issuer-1', publisher: await publisher.getAddress() },
      { issuerId: 2, did: 'did:example:issuer-2', publisher: await publisher.getAddress() },
    ],
    policies: [
      {
        policyId: 1,
        ...encodePolicy({ jurisdictions: ['DE', 'FR', 'CH'], minAge: 18, investorClasses: [], minKycLevel: 2 }),
        acceptedIssuers: [1],
        ttl: 30 * 86400,
        maxWalletsPerInvestor: 0,
      },
    ],
  });
  zk = connectZkKyc(deployment, admin);
  tree.append(computeLeaf(identityCommitment(randomIdentitySecret()), attributes, randomSalt())); // someone else
  holder.index = tree.append(computeLeaf(identityCommitment(holder.secret), attributes, holder.salt));
  anchor = new RegistryRootAnchor(zk.issuerRegistry.connect(publisher), 1n);
  await anchor.publishRoot(tree.root, tree.size);

  chainId = Number((await node.provider.getNetwork()).chainId);
  ({ policy, registry } = await presentationPolicyFromGate(zk.complianceGate, 1));
  [prover, vkey32] = await Promise.all([nodeProver('kycPolicy32'), loadVerificationKey('kycPolicy32')]);
  broker = await OffchainVerifier.create(options());
  c1 = await broker.createChallenge();
  p1 = await proveForRelyingParty(prover, json(c1), credential(), { audience: BROKER });
});

afterAll(async () => {
  node?.stop();
  await releaseProverThreads();
});

describe('a presentation to the broker', () => {
  it('reads the policy from the gate: its rules and issuers, the gate’s registry', async () => {
    expect(policy).toEqual({
      label: `gate ${deployment.contracts.complianceGate} policy 1`,
      jurisdictionMask: encodePolicy({ jurisdictions: ['DE', 'FR', 'CH'], minAge: 18, investorClasses: [], minKycLevel: 2 }).jurisdictionMask.toString(),
      minAge: 18,
      investorClassMask: 0,
      minKycLevel: 2,
      acceptedIssuers: ['1'],
    });
    expect(registry).toBe(deployment.contracts.issuerRegistry);
    expect(c1).toMatchObject({ audience: BROKER, chainId, registry, policy, expiresAt: c1.issuedAt + 300 });
    expect(c1.nonce).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('is accepted once, with the holder’s pseudonym at this broker, and refused when replayed', async () => {
    const result = await broker.verify(json(p1));
    if (!result.ok) throw new Error(JSON.stringify(result.refusals));
    expect(result).toMatchObject({ issuerId: 1n, root: tree.root, rootState: 'CURRENT', today: todayInt(new Date(c1.issuedAt * 1000)) });
    // The pseudonym is the broker's: Poseidon2(s, scope of its audience), not the gate's nullifier.
    expect(result.nullifier).toBe(computeNullifier(holder.secret, relyingPartyScope(BROKER)));
    const gateScope = computeScope(chainId, deployment.contracts.complianceGate, 1);
    expect(result.nullifier).not.toBe(computeNullifier(holder.secret, gateScope));
    // context carries the challenge's binding where a wallet would be.
    expect(unpackContext(BigInt(p1.publicSignals[3])).wallet).toBe(presentationBinding(c1));

    expect(refusals(await broker.verify(json(p1)))).toEqual([{ field: 'nonce', rule: 'single-use' }]);
  });

  it('is refused for a nonce this verifier never issued', async () => {
    const other = await OffchainVerifier.create(options()); // its own, empty store
    expect(refusals(await other.verify(json(p1)))).toEqual([{ field: 'nonce', rule: 'issued-here' }]);
  });

  it('is refused when presented for another nonce than the one it was proven for', async () => {
    const c2 = await broker.createChallenge();
    const verifier = await brokerWith([c1, c2]);
    expect(refusals(await verifier.verify({ ...json(p1), nonce: c2.nonce }))).toEqual([{ field: 'publicSignals.context.binding', rule: 'challenge-binding' }]);
    // The same verifier accepts it for its own nonce: the refusal was the binding alone.
    expect((await verifier.verify(json(p1))).ok).toBe(true);
  });

  it('is refused once the challenge has expired, by the verifier’s clock', async () => {
    const late = await brokerWith([c1], { clock: () => new Date(c1.expiresAt * 1000 + 1000) });
    expect(refusals(await late.verify(json(p1)))).toContainEqual({ field: 'challenge.expiresAt', rule: 'unexpired' });
  });

  it('is refused when a public signal was changed (the nullifier: no other check sees it)', async () => {
    const verifier = await brokerWith([c1]);
    expect(refusals(await verifier.verify(withSignal(p1, 0, BigInt(p1.publicSignals[0]) + 1n)))).toEqual([{ field: 'proof', rule: 'groth16' }]);
  });

  it('is refused when the proof was changed', async () => {
    const verifier = await brokerWith([c1]);
    const tampered = json(p1);
    // -C: still a point on the curve, so only the pairing check can tell.
    const p = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
    tampered.proof.pi_c[1] = (p - BigInt(tampered.proof.pi_c[1])).toString();
    expect(refusals(await verifier.verify(tampered))).toEqual([{ field: 'proof', rule: 'groth16' }]);
    const malformed = json(p1);
    malformed.proof.pi_a[0] = 'x';
    expect(refusals(await verifier.verify(malformed))).toEqual([{ field: 'proof', rule: 'groth16-shape' }]);
  });

  it('is refused for a root the issuer never published', async () => {
    const verifier = await brokerWith([c1]);
    const result = await verifier.verify(withSignal(p1, 1, tree.root + 1n));
    expect(refusals(result)).toEqual([{ field: 'publicSignals.root', rule: 'accepted-root' }]);
    expect(!result.ok && result.refusals[0].message).toMatch(/UNKNOWN/);
  });

  it('is refused when the root is from an issuer the RP’s policy does not accept', async () => {
    const verifier = await brokerWith([c1], { policy: { ...policy, acceptedIssuers: ['2'] } });
    const result = await verifier.verify(json(p1));
    // acceptedIssuers is not in the policy hash: the root check alone refuses it.
    expect(refusals(result)).toEqual([{ field: 'publicSignals.root', rule: 'accepted-root' }]);
    expect(!result.ok && result.refusals[0].message).toMatch(/no accepted issuer \(2\) published it/);
  });

  it('is refused for a proof of another (laxer) policy, though the proof itself verifies', async () => {
    const c = await broker.createChallenge();
    const laxer = { ...c.policy, minKycLevel: 0, minAge: 0 };
    // The holder (or its wallet) answers with the policy it likes instead of the one asked for.
    const p2 = await proveForRelyingParty(prover, json({ ...c, policy: laxer }), credential(), { audience: BROKER });
    const verifier = await brokerWith([c]);
    expect(refusals(await verifier.verify(json(p2)))).toEqual([{ field: 'publicSignals.policyHash', rule: 'policy' }]);
  });

  it('made for another audience (a relayed challenge) is refused by the broker, and the honest wallet will not make it', async () => {
    const c = await broker.createChallenge();
    // evil.example forwards the broker's challenge: an honest wallet binds the origin it talks to.
    await expect(proveForRelyingParty(prover, json(c), credential(), { audience: EVIL })).rejects.toMatchObject({
      field: 'challenge.audience',
      rule: 'matches-origin',
    });
    // Rewriting the audience gets a presentation for evil.example, which the broker refuses twice over.
    const p3 = await proveForRelyingParty(prover, json({ ...c, audience: EVIL }), credential(), { audience: EVIL });
    const verifier = await brokerWith([c]);
    expect(refusals(await verifier.verify(json(p3)))).toEqual([
      { field: 'publicSignals.context.binding', rule: 'challenge-binding' },
      { field: 'publicSignals.policyHash', rule: 'policy' },
    ]);
    // And the holder's pseudonym there is another one.
    expect(p3.publicSignals[0]).not.toBe(p1.publicSignals[0]);
    expect(BigInt(p3.publicSignals[0])).toBe(computeNullifier(holder.secret, relyingPartyScope(EVIL)));
  });

  it('is refused when dated more than a day away from the verifier’s date', async () => {
    const c = await broker.createChallenge();
    const now = new Date();
    const p4 = await proveForRelyingParty(prover, json(c), credential(), {
      audience: BROKER,
      now: new Date(now.getTime() - 3 * DAY_MS), // the holder's clock is three days behind
      validUntil: todayInt(new Date(now.getTime() + 30 * DAY_MS)),
    });
    const verifier = await brokerWith([c]);
    expect(refusals(await verifier.verify(json(p4)))).toEqual([{ field: 'publicSignals.context.today', rule: 'date-window' }]);
  });

  it('is refused when dated tomorrow, as the gate refuses it (an 18th birthday tomorrow must not pass today)', async () => {
    const verifier = await brokerWith([c1]);
    const { wallet, validUntil } = unpackContext(BigInt(p1.publicSignals[3]));
    const tomorrow = todayInt(new Date(Date.now() + DAY_MS));
    // Refused on the date alone, before the chain and the pairing are asked.
    expect(refusals(await verifier.verify(json(withSignal(p1, 3, packContext(wallet, tomorrow, validUntil)))))).toEqual([{ field: 'publicSignals.context.today', rule: 'date-window' }]);
  });

  it('is refused when its validUntil has passed, even dated within the window', async () => {
    const c = await broker.createChallenge();
    const yesterday = new Date(Date.now() - DAY_MS);
    const p5 = await proveForRelyingParty(prover, json(c), credential(), { audience: BROKER, now: yesterday, validUntil: todayInt(yesterday) });
    const verifier = await brokerWith([c]);
    expect(refusals(await verifier.verify(json(p5)))).toEqual([{ field: 'publicSignals.context.validUntil', rule: 'unexpired' }]);
  });
});

describe('bad input, named', () => {
  it('refuses malformed presentations field by field', async () => {
    expect(refusals(await broker.verify('nope'))).toEqual([{ field: 'presentation', rule: 'object' }]);
    expect(refusals(await broker.verify({ ...json(p1), version: 'v0' }))).toEqual([{ field: 'version', rule: 'version' }]);
    expect(refusals(await broker.verify({ ...json(p1), publicSignals: p1.publicSignals.slice(0, 3) }))).toEqual([{ field: 'publicSignals', rule: 'kyc-policy' }]);
    // A signal ≥ r would reduce to the same value in snarkjs: refused, not verified.
    const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    expect(refusals(await broker.verify(withSignal(p1, 0, BigInt(p1.publicSignals[0]) + r)))).toEqual([{ field: 'publicSignals[0]', rule: 'field-element' }]);
  });

  it('the holder refuses a malformed or expired challenge before proving', async () => {
    await expect(proveForRelyingParty(prover, { ...json(c1), nonce: '0x12' }, credential(), { audience: BROKER })).rejects.toMatchObject({ field: 'challenge.nonce' });
    await expect(proveForRelyingParty(prover, { ...json(c1), policy: { ...c1.policy, acceptedIssuers: [] } }, credential(), { audience: BROKER })).rejects.toMatchObject({
      field: 'challenge.policy.acceptedIssuers',
    });
    await expect(proveForRelyingParty(prover, json(c1), credential(), { audience: BROKER, now: new Date(c1.expiresAt * 1000) })).rejects.toMatchObject({
      field: 'challenge.expiresAt',
      rule: 'unexpired',
    });
  });

  it('the verifier refuses options that do not match the chain', async () => {
    await expect(OffchainVerifier.create(options({ chainId: chainId + 1 }))).rejects.toMatchObject({ field: 'chainId', rule: 'provider-chain' });
    await expect(OffchainVerifier.create(options({ policy: { ...policy, acceptedIssuers: ['9'] } }))).rejects.toMatchObject({
      field: 'policy.acceptedIssuers',
      rule: 'known-issuer',
    });
    await expect(OffchainVerifier.create(options({ registry: '0x000000000000000000000000000000000000dEaD' }))).rejects.toMatchObject({ field: 'registry', rule: 'contract' });
    await expect(OffchainVerifier.create(options({ verificationKeys: {} }))).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('the example broker back end (examples/broker-backend)', () => {
  it('hands a challenge to a session and accepts its answer once, from that session only, over HTTP on 127.0.0.1', async () => {
    const accepted: [bigint, string | undefined][] = [];
    const verifier = await OffchainVerifier.create(options());
    const app = buildBrokerBackend(verifier, {
      // The broker's login session; a header stands in for its session cookie.
      sessionOf: (request) => request.headers['x-session'] as string | undefined,
      onAccepted: (p, session) => void accepted.push([p.nullifier, session]),
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      expect((await fetch(`${base}/kyc/challenge`)).status).toBe(401);
      const response = await fetch(`${base}/kyc/challenge`, { headers: { 'x-session': 'alice' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const challenge = (await response.json()) as PresentationChallenge;

      const presentation = await proveForRelyingParty(prover, challenge, credential(), { audience: BROKER });
      const post = (session: string, body: unknown) =>
        fetch(`${base}/kyc/presentation`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-session': session },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      // Copied in transit and sent from another session: refused, and the challenge stays open.
      const stolen = await post('mallory', presentation);
      expect(stolen.status).toBe(403);
      expect(await stolen.json()).toMatchObject({ accepted: false, refusals: [{ field: 'nonce', rule: 'same-session' }] });

      const first = await post('alice', presentation);
      expect(first.status).toBe(200);
      const pseudonym = '0x' + computeNullifier(holder.secret, relyingPartyScope(BROKER)).toString(16).padStart(64, '0');
      expect(await first.json()).toEqual({ accepted: true, pseudonym, issuerId: '1', validUntil: expect.any(Number), policy: policy.label });
      expect(accepted).toEqual([[BigInt(pseudonym), 'alice']]);

      const replay = await post('alice', presentation);
      expect(replay.status).toBe(422);
      expect(await replay.json()).toMatchObject({ accepted: false, refusals: [{ field: 'nonce', rule: 'single-use' }] });
      expect(accepted).toHaveLength(1);

      expect((await post('alice', '{')).status).toBe(400);

      // A client asking on and on is slowed down (30 requests a minute by default, both routes).
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await fetch(`${base}/kyc/challenge`, { headers: { 'x-session': 'alice' } })).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      const limited = await fetch(`${base}/kyc/challenge`, { headers: { 'x-session': 'alice' } });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('60');
    } finally {
      await app.close();
    }
  });

  it('the memory challenge store holds at most maxEntries, forgetting the oldest; an answer to a forgotten one is not accepted', async () => {
    const store = new MemoryChallengeStore(86400, 2);
    const verifier = await OffchainVerifier.create(options({ store }));
    const [a, b, c] = [await verifier.createChallenge(), await verifier.createChallenge(), await verifier.createChallenge()];
    expect(store.size).toBe(2);
    expect(await store.get(a.nonce)).toBeUndefined();
    expect(await store.get(b.nonce)).toBeDefined();
    expect(await store.get(c.nonce)).toBeDefined();
    expect(refusals(await verifier.verify({ ...json(p1), nonce: a.nonce }))).toEqual([{ field: 'nonce', rule: 'issued-here' }]);
  });
});

// These change the registry's state: last.
describe('what the registry says now, as the gate reads it', () => {
  it('refuses every root of a suspended issuer, and accepts again once it is reactivated', async () => {
    await (await zk.issuerRegistry.suspendIssuer(1, 'test: key compromise suspected')).wait();
    const result = await (await brokerWith([c1])).verify(json(p1));
    expect(refusals(result)).toEqual([{ field: 'publicSignals.root', rule: 'accepted-root' }]);
    expect(!result.ok && result.refusals[0].message).toMatch(/ISSUER_SUSPENDED/);
    await (await zk.issuerRegistry.reactivateIssuer(1)).wait();
    expect((await (await brokerWith([c1])).verify(json(p1))).ok).toBe(true);
  });

  it('accepts a superseded root within maxRootAge and refuses it after, like the gate', async () => {
    const oldRoot = tree.root;
    tree.append(computeLeaf(identityCommitment(randomIdentitySecret()), attributes, randomSalt()));
    await anchor.publishRoot(tree.root, tree.size);
    const within = await (await brokerWith([c1])).verify(json(p1));
    expect(within).toMatchObject({ ok: true, root: oldRoot, rootState: 'SUPERSEDED' });

    await node.provider.send('evm_increaseTime', [MAX_ROOT_AGE + 1]);
    await node.provider.send('evm_mine', []);
    const after = await (await brokerWith([c1])).verify(json(p1));
    expect(refusals(after)).toEqual([{ field: 'publicSignals.root', rule: 'accepted-root' }]);
    expect(!after.ok && after.refusals[0].message).toMatch(/EXPIRED/);
    // The gate's own view of the same root, for the record: not acceptable.
    expect(await zk.issuerRegistry.isRootAcceptable(1, oldRoot)).toBe(false);
  });
});
