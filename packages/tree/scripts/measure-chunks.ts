/**
 * What tree chunks cost (docs/issuer-service.md, "Tree chunks"): the bytes of the top and of a
 * chunk, the issuer's snapshot at publication, and the holder's work to check a full chunk.
 * Run from the repo root: `npx tsx packages/tree/scripts/measure-chunks.ts [leaves ...]`.
 * Sizes at any fill follow from the format (16- or 48-byte header, 32 bytes per node), so they are
 * printed both measured (for the trees built here) and computed (up to 2^32 leaves, too many to build).
 */
import { chunkCapacity, chunkIndexOf, decodeChunk, decodeTop, DEFAULT_CHUNK_LEVELS, encodeChunk, encodeTop, IssuerTree, leafFromChunks, treeChunk, treeTop } from '@zkkyc/tree';

const k = DEFAULT_CHUNK_LEVELS;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Bytes of the top and of the largest chunk, from the format, for `leaves` leaves at `depth`. */
function computed(depth: number, leaves: number): { top: number; chunk: number } {
  let nodes = 0;
  for (let level = k; level <= depth / 2; level++) nodes += Math.max(1, Math.ceil(leaves / 4 ** level));
  let inChunk = 0;
  for (let level = 0; level < k; level++) inChunk += Math.ceil(Math.min(leaves, chunkCapacity(k)) / 4 ** level);
  return { top: 48 + 32 * nodes, chunk: 16 + 32 * inChunk };
}

console.log(`chunk: ${chunkCapacity(k)} leaves (4^${k}); full chunk file ${computed(32, 2 ** 32).chunk} bytes`);
for (const [depth, leaves] of [
  [20, 10_000],
  [20, 100_000],
  [20, 2 ** 20],
  [32, 100_000],
  [32, 1_000_000],
  [32, 2 ** 32],
] as const) {
  const { top, chunk } = computed(depth, leaves);
  console.log(`computed depth ${depth}, ${leaves} leaves: top ${top} B (${kib(top)}), chunk ${chunk} B (${kib(chunk)}), holder downloads ${top + chunk} B (${kib(top + chunk)})`);
}

for (const n of process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0)
  .concat(process.argv.length > 2 ? [] : [100_000])) {
  const tree = new IssuerTree(
    32,
    Array.from({ length: n }, (_, i) => BigInt(i + 1) * 1_000_003n),
  );
  let t = performance.now();
  const top = treeTop(tree);
  const chunks = Array.from({ length: Math.ceil(n / chunkCapacity(k)) }, (_, i) => treeChunk(tree, i));
  const snapshotMs = performance.now() - t;
  t = performance.now();
  const topBytes = encodeTop(top);
  const chunkBytes = encodeChunk(chunks[0]);
  const encodeMs = performance.now() - t;
  const leafIndex = Math.min(n - 1, chunkCapacity(k) - 1);
  t = performance.now();
  const read = leafFromChunks({ root: tree.root, leafIndex, top: decodeTop(topBytes), chunk: decodeChunk(chunkBytes) });
  const holderMs = performance.now() - t;
  if (read.leaf !== tree.leaf(leafIndex) || chunkIndexOf(leafIndex, k) !== 0) throw new Error('path mismatch');
  console.log(
    `measured depth 32, ${n} leaves: top ${topBytes.length} B, chunk 0 ${chunkBytes.length} B; ` +
      `issuer snapshot ${snapshotMs.toFixed(0)} ms, encoding top + chunk ${encodeMs.toFixed(0)} ms; holder decodes and checks ${holderMs.toFixed(0)} ms`,
  );
}
