import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ValidationError,
  computeLeaf,
  computeNullifier,
  computePolicyHash,
  computeScope,
  encodeAttributes,
  encodePolicy,
  identityCommitment,
  randomIdentitySecret,
  randomSalt,
} from '@zkkyc/credentials';
import { IssuerTree } from '@zkkyc/tree';
import { nodeProver } from './node.js';
import { PolicyNotMetError, releaseProverThreads, type KycProofRequest, type KycProver, type KycProof } from './index.js';
import { packContext, unpackContext } from './context.js';

const WALLET = '0x' + '5a'.repeat(20);
const TODAY = 20261125;

function request(): KycProofRequest {
  const identitySecret = randomIdentitySecret();
  const attributes = encodeAttributes({ jurisdiction: 'CH', birthDate: '1988-04-12', investorClasses: ['professional-eu'], kycLevel: 2, expiryDate: '2029-06-30' });
  const salt = randomSalt();
  const tree = new IssuerTree(32);
  tree.append(1n);
  const index = tree.append(computeLeaf(identityCommitment(identitySecret), attributes, salt));
  const policy = encodePolicy({ jurisdictions: ['CH', 'DE'], minAge: 18, investorClasses: ['professional-eu', 'accredited'], minKycLevel: 2 });
  const scope = computeScope(31337, '0x' + '11'.repeat(20), 1);
  return { identitySecret, attributes, salt, merkleProof: tree.proof(index), policy: { ...policy, scope }, wallet: WALLET, today: TODAY, validUntil: 20281231 };
}

describe('KycProver', () => {
  let prover: KycProver;
  let req: KycProofRequest;
  let proof: KycProof;

  beforeAll(async () => {
    prover = await nodeProver('kycPolicy32');
    req = request();
    proof = await prover.prove(req);
  });
  afterAll(releaseProverThreads);

  it('proves a valid request, and the proof verifies with the public signals it claims', async () => {
    expect(await prover.verify(proof)).toBe(true);
    expect(proof.root).toBe(req.merkleProof.root);
    expect(proof.policyHash).toBe(computePolicyHash(req.policy.scope, req.policy));
    expect(proof.nullifier).toBe(computeNullifier(req.identitySecret, req.policy.scope));
    expect(unpackContext(proof.context)).toEqual({ wallet: WALLET.toLowerCase(), today: TODAY, validUntil: 20281231 });
    expect(proof.solidityCalldata.pubSignals).toEqual([proof.nullifier, proof.root, proof.policyHash, proof.context]);
  });

  it.each([
    ['nullifier', 0],
    ['root', 1],
    ['policyHash', 2],
    ['context', 3],
  ])('rejects the proof when the public signal %s is tampered with', async (_name, index) => {
    const tampered = [...proof.publicSignals];
    tampered[index] = (BigInt(tampered[index]) + 1n).toString();
    expect(await prover.verify({ proof: proof.proof, publicSignals: tampered })).toBe(false);
  });

  it('rejects the proof re-bound to another wallet', async () => {
    const other = packContext('0x' + '77'.repeat(20), TODAY, 20281231);
    const publicSignals = [proof.publicSignals[0], proof.publicSignals[1], proof.publicSignals[2], other.toString()];
    expect(await prover.verify({ proof: proof.proof, publicSignals })).toBe(false);
  });

  it('refuses, before proving, a credential that fails the policy, naming the rule', async () => {
    const young = { ...req, today: req.attributes.birthDate + 17_0000 };
    await expect(prover.prove({ ...young, validUntil: young.today })).rejects.toThrow(PolicyNotMetError);
    try {
      await prover.prove({ ...young, validUntil: young.today });
    } catch (error) {
      expect((error as PolicyNotMetError).failures.map((f) => f.rule)).toEqual(['age']);
    }
  });

  it('refuses a Merkle path of the wrong depth or for another leaf, naming the field', async () => {
    // The circuit is built for 32 bits = 16 quaternary levels: a path with one level too few is refused.
    expect(req.merkleProof.siblings).toHaveLength(16);
    const short = { ...req, merkleProof: { ...req.merkleProof, siblings: req.merkleProof.siblings.slice(1) } };
    await expect(prover.prove(short)).rejects.toThrow(ValidationError);
    await expect(prover.prove(short)).rejects.toMatchObject({ field: 'merkleProof.siblings', rule: 'depth' });
    // Each level holds exactly three field elements (the node's three siblings).
    const [level0, ...rest] = req.merkleProof.siblings;
    for (const bad of [
      [level0.slice(0, 2), ...rest],
      [[...level0, 0n], ...rest],
      [[level0[0], level0[1], -1n], ...rest],
    ]) {
      await expect(prover.prove({ ...req, merkleProof: { ...req.merkleProof, siblings: bad } })).rejects.toMatchObject({ field: 'merkleProof.siblings', rule: 'shape' });
    }
    // A flat path of 16 bigints (the old binary shape at this length) is not nested triples.
    const flat = req.merkleProof.siblings.map((level) => level[0]) as unknown as bigint[][];
    await expect(prover.prove({ ...req, merkleProof: { ...req.merkleProof, siblings: flat } })).rejects.toMatchObject({ field: 'merkleProof.siblings', rule: 'shape' });
    await expect(prover.prove({ ...req, merkleProof: { ...req.merkleProof, index: 2 ** 32 } })).rejects.toMatchObject({ field: 'merkleProof.index' });
    const otherSalt = { ...req, salt: req.salt + 1n };
    await expect(prover.prove(otherSalt)).rejects.toThrow(ValidationError);
    await expect(prover.prove(otherSalt)).rejects.toMatchObject({ field: 'merkleProof.leaf' });
  });

  it('refuses a malformed wallet or date in the context', async () => {
    await expect(prover.prove({ ...req, wallet: '0x1234' })).rejects.toMatchObject({ field: 'wallet' });
    await expect(prover.prove({ ...req, today: -1 })).rejects.toMatchObject({ field: 'today' });
  });
});
