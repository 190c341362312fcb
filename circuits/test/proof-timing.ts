// Node proof time of kycPolicy32 and kycPolicyEscrow32 measured in one run,
// alternating, after one warm-up proof each (the zkey is loaded once per
// process): the medians docs/circuits.md quotes for the escrow variant.
//
//   npx tsx circuits/test/proof-timing.ts [rounds]
import { computeLeaf, encodeAttributes, encodePolicy, identityCommitment } from '@zkkyc/credentials';
import { multiplyBase } from '@zkkyc/escrow';
import { releaseProverThreads, type KycEscrowProofRequest } from '@zkkyc/prover';
import { nodeEscrowProver, nodeProver } from '@zkkyc/prover/node';
import { IssuerTree } from '@zkkyc/tree';

const rounds = Number(process.argv[2] ?? 5);
const attributes = encodeAttributes({ jurisdiction: 'FR', birthDate: '1990-03-12', investorClasses: ['accredited'], kycLevel: 3, expiryDate: '2027-01-01' });
const identitySecret = 0x1d2c3b4a5968778695a4b3c2d1e0f0e1d2c3b4a5968778695a4b3c2d1e0f0en;
const salt = 0xa5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5n;
const tree = new IssuerTree(32);
for (let i = 1n; i <= 6n; i++) tree.append(i * 1000003n);
const index = tree.append(computeLeaf(identityCommitment(identitySecret), attributes, salt));
const request: KycEscrowProofRequest = {
  identitySecret,
  attributes,
  salt,
  merkleProof: tree.proof(index),
  policy: { ...encodePolicy({ jurisdictions: ['FR'], minAge: 18, investorClasses: ['accredited'], minKycLevel: 2 }), scope: 12345n },
  wallet: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  today: 20260115,
  validUntil: 20260630,
  escrowKey: multiplyBase(0x0badc0ffeen),
};

const plain = await nodeProver('kycPolicy32');
const escrow = await nodeEscrowProver('kycPolicyEscrow32');
await plain.prove(request);
await escrow.prove(request);
const times: Record<string, number[]> = { kycPolicy32: [], kycPolicyEscrow32: [] };
for (let i = 0; i < rounds; i++) {
  let t = performance.now();
  await plain.prove(request);
  times.kycPolicy32.push(performance.now() - t);
  t = performance.now();
  await escrow.prove(request);
  times.kycPolicyEscrow32.push(performance.now() - t);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name}: median ${median(xs).toFixed(0)} ms over ${xs.length} proofs (${xs.map((x) => x.toFixed(0)).join(', ')})`);
}
console.log(`ratio: ${(median(times.kycPolicyEscrow32) / median(times.kycPolicy32)).toFixed(2)}×`);
await releaseProverThreads();
