/**
 * How long rebuilding an issuer tree from its leaf export takes (what a service does at start-up).
 * Run from the repo root: `npx tsx packages/tree/scripts/measure-build.ts [n ...]`.
 * The cost is about one Poseidon4 per three leaves (the IMT constructor hashes level by level over
 * the quaternary tree), so the figure is dominated by the speed of poseidon-lite's BigInt Poseidon
 * on this machine.
 */
import { hashNode, IssuerTree } from '@zkkyc/tree';

const sizes = process.argv.slice(2).map(Number);
const hashes = 2000;
let node = 1n;
const started = performance.now();
for (let i = 0; i < hashes; i++) node = hashNode([node, BigInt(i), 1n, 2n]);
console.log(`poseidon4: ${(((performance.now() - started) / hashes) * 1000).toFixed(0)} µs per hash`);

for (const n of sizes.length ? sizes : [10_000, 100_000]) {
  const leaves = Array.from({ length: n }, (_, i) => BigInt(i + 1) * 1_000_003n);
  const t0 = performance.now();
  const tree = new IssuerTree(IssuerTree.DEFAULT_DEPTH, leaves);
  const built = performance.now() - t0;
  const t1 = performance.now();
  const index = tree.append(42n);
  const appended = performance.now() - t1;
  const t2 = performance.now();
  tree.revoke(index);
  const revoked = performance.now() - t2;
  const t3 = performance.now();
  const proof = tree.proof(n - 1);
  const proved = performance.now() - t3;
  if (!IssuerTree.verifyProof(proof, IssuerTree.DEFAULT_DEPTH)) throw new Error('proof did not verify');
  console.log(`${n} leaves, depth 32: build ${(built / 1000).toFixed(2)} s; append ${appended.toFixed(1)} ms; revoke ${revoked.toFixed(1)} ms; proof ${proved.toFixed(2)} ms`);
}
