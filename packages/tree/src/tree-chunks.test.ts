import { IssuerTree } from './issuer-tree.js';
import { chunkCount, chunkIndexOf, decodeChunk, decodeTop, defaultChunkLevels, encodeChunk, encodeTop, leafFromChunks, treeChunk, treeTop } from './tree-chunks.js';

const leafValue = (i: number) => BigInt(i + 1) * 7919n;

/** Reads leaf `index` the way a holder does: from the bytes of the top and of its chunk. */
function readLeaf(tree: IssuerTree, index: number, chunkLevels: number, tamper?: { top?: (b: Uint8Array) => void; chunk?: (b: Uint8Array) => void }) {
  const top = encodeTop(treeTop(tree, chunkLevels));
  const chunk = encodeChunk(treeChunk(tree, chunkIndexOf(index, chunkLevels), chunkLevels));
  tamper?.top?.(top);
  tamper?.chunk?.(chunk);
  return leafFromChunks({ root: tree.root, leafIndex: index, top: decodeTop(top), chunk: decodeChunk(chunk) });
}

describe('tree chunks', () => {
  // 70 leaves in chunks of 16 (chunkLevels 2): four full chunks and a partial fifth. Built partly
  // from a leaf list and partly by appends, so both ways IMT fills its levels are read.
  const tree = new IssuerTree(
    32,
    Array.from({ length: 50 }, (_, i) => leafValue(i)),
  );
  for (let i = 50; i < 70; i++) tree.append(leafValue(i));

  it('rebuild the tree’s own path for the first and last leaf of a chunk, inside one, and in the partial last chunk', () => {
    expect(chunkCount(tree.size, 2)).toBe(5);
    for (const index of [0, 15, 16, 31, 37, 63, 64, 69]) {
      const read = readLeaf(tree, index, 2);
      expect(read).toEqual(tree.proof(index));
      expect(IssuerTree.verifyProof(read, 32)).toBe(true);
    }
  });

  it('rebuild it at the default chunk size (one chunk holds a small tree) and at depth 20', () => {
    const small = new IssuerTree(
      20,
      Array.from({ length: 300 }, (_, i) => leafValue(i)),
    );
    expect(defaultChunkLevels(20)).toBe(8);
    expect(defaultChunkLevels(32)).toBe(8);
    for (const index of [0, 150, 299]) expect(readLeaf(small, index, defaultChunkLevels(20))).toEqual(small.proof(index));
    for (const index of [0, 69]) expect(readLeaf(tree, index, 8)).toEqual(tree.proof(index));
    // A chunk as deep as the tree: the top is the root alone.
    const tiny = new IssuerTree(4, [1n, 2n, 3n]);
    expect(readLeaf(tiny, 2, 2)).toEqual(tiny.proof(2));
  });

  it('show a revoked leaf as 0, with a path that still hashes to the root', () => {
    const revoking = new IssuerTree(
      32,
      Array.from({ length: 40 }, (_, i) => leafValue(i)),
    );
    revoking.revoke(17);
    const read = readLeaf(revoking, 17, 2);
    expect(read.leaf).toBe(0n);
    expect(read.root).toBe(revoking.root);
    // The same path with the old leaf would have proven the old root, not this one.
    expect(IssuerTree.verifyProof({ ...read, leaf: leafValue(17) }, 32)).toBe(false);
    expect(readLeaf(revoking, 16, 2)).toEqual(revoking.proof(16));
  });

  it('refuse a chunk or a top file altered anywhere on the path, and files of another root', () => {
    const flipLeaf = (at: number) => (b: Uint8Array) => {
      b[16 + at * 32 + 31] ^= 1;
    };
    // Leaf 20 is position 4 of chunk 1 (leaves 16..31): its own leaf, a sibling leaf, and the
    // level-1 sibling node (the chunk's levels follow its 16 leaves) are all on the path.
    expect(() => readLeaf(tree, 20, 2, { chunk: flipLeaf(4) })).toThrow(expect.objectContaining({ field: 'chunk', rule: 'matches-top' }));
    expect(() => readLeaf(tree, 20, 2, { chunk: flipLeaf(5) })).toThrow(expect.objectContaining({ field: 'chunk', rule: 'matches-top' }));
    expect(() => readLeaf(tree, 20, 2, { chunk: flipLeaf(16 + 2) })).toThrow(expect.objectContaining({ field: 'chunk', rule: 'matches-top' }));
    // A leaf off the path is not used: altering it changes nothing the holder takes from the chunk.
    expect(readLeaf(tree, 20, 2, { chunk: flipLeaf(11) })).toEqual(tree.proof(20));
    // The top's node of a sibling chunk (chunk 0, beside chunk 1 that holds leaf 20): the path no longer reaches the root.
    const topNode = (level: number, index: number) => (b: Uint8Array) => {
      const sizes = [5, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
      const offset = 48 + (sizes.slice(0, level).reduce((a, x) => a + x, 0) + index) * 32;
      b[offset + 31] ^= 1;
    };
    expect(() => readLeaf(tree, 20, 2, { top: topNode(0, 0) })).toThrow(expect.objectContaining({ field: 'top', rule: 'hashes-to-root' }));
    expect(() => readLeaf(tree, 20, 2, { top: topNode(1, 1) })).toThrow(expect.objectContaining({ field: 'top', rule: 'hashes-to-root' }));
    // The top's node for the holder's own chunk.
    expect(() => readLeaf(tree, 20, 2, { top: topNode(0, 1) })).toThrow(expect.objectContaining({ field: 'chunk', rule: 'matches-top' }));
    // A top whose stated root is not the one the holder trusts.
    const other = new IssuerTree(32, [leafValue(0)]);
    expect(() => leafFromChunks({ root: other.root, leafIndex: 20, top: treeTop(tree, 2), chunk: treeChunk(tree, 1, 2) })).toThrow(expect.objectContaining({ field: 'root', rule: 'expected-root' }));
    // A consistent top and chunk of another tree, presented as this root's.
    const forged = new IssuerTree(
      32,
      Array.from({ length: 70 }, (_, i) => leafValue(i + 1000)),
    );
    expect(() => leafFromChunks({ root: tree.root, leafIndex: 20, top: { ...treeTop(forged, 2), root: tree.root }, chunk: treeChunk(forged, 1, 2) })).toThrow(
      expect.objectContaining({ field: 'top', rule: 'hashes-to-root' }),
    );
  });

  it('refuse the wrong chunk, a leaf issued after the root, and malformed files, naming the field and rule', () => {
    const top = treeTop(tree, 2);
    expect(() => leafFromChunks({ root: tree.root, leafIndex: 20, top, chunk: treeChunk(tree, 0, 2) })).toThrow(expect.objectContaining({ field: 'chunk.index', rule: 'holds-leaf' }));
    expect(() => leafFromChunks({ root: tree.root, leafIndex: 70, top, chunk: treeChunk(tree, 4, 2) })).toThrow(expect.objectContaining({ field: 'leafIndex', rule: 'in-tree' }));
    expect(() => treeChunk(tree, 5, 2)).toThrow(expect.objectContaining({ field: 'index', rule: 'existing-chunk' }));

    const chunkBytes = encodeChunk(treeChunk(tree, 1, 2));
    expect(() => decodeTop(chunkBytes)).toThrow(expect.objectContaining({ field: 'top', rule: 'kind' }));
    expect(() => decodeChunk(chunkBytes.slice(0, chunkBytes.length - 1))).toThrow(expect.objectContaining({ field: 'chunk', rule: 'length' }));
    const badMagic = chunkBytes.slice();
    badMagic[0] = 0;
    expect(() => decodeChunk(badMagic)).toThrow(expect.objectContaining({ field: 'chunk', rule: 'magic' }));
    const outsideField = chunkBytes.slice();
    outsideField.fill(0xff, 16, 48);
    expect(() => decodeChunk(outsideField)).toThrow(expect.objectContaining({ field: 'chunk.levels[0][0]', rule: 'field-element' }));
    const topBytes = encodeTop(top);
    expect(() => decodeTop(topBytes.slice(0, 40))).toThrow(expect.objectContaining({ field: 'top', rule: 'length' }));
    expect(() => encodeTop({ ...top, levels: top.levels.slice(1) })).toThrow(expect.objectContaining({ field: 'top.levels', rule: 'level-sizes' }));
  });

  it('read levels from what the tree keeps, without hashing', () => {
    expect(tree.nodes(0, 64)).toEqual(Array.from({ length: 6 }, (_, i) => leafValue(64 + i)));
    expect(tree.nodes(16)).toEqual([tree.root]);
    expect(tree.nodes(2)).toHaveLength(5);
    expect(() => tree.nodes(17)).toThrow(expect.objectContaining({ field: 'level', rule: 'tree-level' }));
  });
});
