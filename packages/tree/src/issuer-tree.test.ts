import { poseidon2 } from 'poseidon-lite';
import { TreeError } from './errors.js';
import { zeroHashes } from './hash.js';
import { IssuerTree, type MerkleProof } from './issuer-tree.js';

const h = (l: bigint, r: bigint) => poseidon2([l, r]);

describe('zeroHashes', () => {
  it('starts at the empty leaf 0 and hashes each level with itself', () => {
    const z = zeroHashes(3);
    expect(z).toEqual([0n, h(0n, 0n), h(h(0n, 0n), h(0n, 0n)), h(h(h(0n, 0n), h(0n, 0n)), h(h(0n, 0n), h(0n, 0n)))]);
    expect(zeroHashes(32)).toHaveLength(33);
    expect(zeroHashes(32).slice(0, 4)).toEqual(z);
  });
});

describe('IssuerTree', () => {
  it('has the empty-subtree root when empty, at depth 32 by default', () => {
    const tree = new IssuerTree();
    expect(IssuerTree.DEFAULT_DEPTH).toBe(32);
    expect(tree.depth).toBe(32);
    expect(tree.size).toBe(0);
    expect(tree.root).toBe(zeroHashes(32)[32]);
    expect(new IssuerTree(20).root).toBe(zeroHashes(20)[20]);
  });

  it('matches a depth-3 tree computed by hand, with index bits selecting sibling sides', () => {
    const [a, b, c, d, e] = [11n, 22n, 33n, 44n, 55n];
    const tree = new IssuerTree(3);
    for (const leaf of [a, b, c, d, e]) tree.append(leaf);

    const ab = h(a, b);
    const cd = h(c, d);
    const e0 = h(e, 0n);
    const z1 = h(0n, 0n);
    const abcd = h(ab, cd);
    const e000 = h(e0, z1);
    expect(tree.root).toBe(h(abcd, e000));

    // Index 2 = 0b010: left child at level 0, right child at level 1, left child at level 2.
    expect(tree.proof(2)).toEqual({ root: tree.root, leaf: c, index: 2, siblings: [d, ab, e000] });
    // Index 4 = 0b100: left, left, right.
    expect(tree.proof(4)).toEqual({ root: tree.root, leaf: e, index: 4, siblings: [0n, z1, abcd] });
    // Index 1 = 0b001: right, left, left.
    expect(tree.proof(1)).toEqual({ root: tree.root, leaf: b, index: 1, siblings: [a, cd, e000] });
  });

  it('matches a depth-2 tree computed by hand', () => {
    const tree = new IssuerTree(2, [5n, 6n, 7n]);
    expect(tree.root).toBe(h(h(5n, 6n), h(7n, 0n)));
    expect(tree.proof(3 - 1).siblings).toEqual([0n, h(5n, 6n)]);
  });

  it('gives proofs that verify, and rejects altered ones', () => {
    const tree = new IssuerTree(32);
    for (let i = 1n; i <= 9n; i++) tree.append(i * 1000n);
    for (let i = 0; i < tree.size; i++) {
      const proof = tree.proof(i);
      expect(proof.siblings).toHaveLength(32);
      expect(IssuerTree.verifyProof(proof)).toBe(true);
      expect(IssuerTree.verifyProof(proof, 32)).toBe(true);
    }
    const proof = tree.proof(6);
    const altered: MerkleProof[] = [
      { ...proof, leaf: proof.leaf + 1n },
      { ...proof, index: 7 },
      { ...proof, root: proof.root + 1n },
      { ...proof, siblings: [proof.siblings[1], proof.siblings[0], ...proof.siblings.slice(2)] },
      { ...proof, siblings: proof.siblings.slice(0, 31) },
    ];
    for (const p of altered) expect(IssuerTree.verifyProof(p)).toBe(false);
    expect(IssuerTree.verifyProof(proof, 20)).toBe(false);
  });

  it('revokes by zeroing the leaf: the root changes and the leaf has no proof', () => {
    const tree = new IssuerTree(32, [1n, 2n, 3n]);
    const before = tree.root;
    const staleProof = tree.proof(1);
    tree.revoke(1);
    expect(tree.root).not.toBe(before);
    expect(tree.root).toBe(new IssuerTree(32, [1n, 0n, 3n]).root);
    expect(tree.leaf(1)).toBe(0n);
    expect(tree.size).toBe(3);
    expect(() => tree.proof(1)).toThrow(expect.objectContaining({ field: 'index', rule: 'not-revoked' }));
    expect(IssuerTree.verifyProof({ ...staleProof, root: tree.root })).toBe(false);
    expect(IssuerTree.verifyProof(tree.proof(2))).toBe(true);
    // The slot is not reused: the next credential gets a new index.
    expect(tree.append(4n)).toBe(3);
  });

  it('rebuilds the same root from leaves(), revoked slots included', () => {
    const tree = new IssuerTree(32);
    for (let i = 1n; i <= 20n; i++) tree.append(i * 7n);
    tree.revoke(3);
    tree.revoke(19);
    const rebuilt = new IssuerTree(32, tree.leaves());
    expect(rebuilt.root).toBe(tree.root);
    expect(rebuilt.size).toBe(20);
    expect(rebuilt.proof(4)).toEqual(tree.proof(4));
    expect(tree.indexOf(21n)).toBe(2);
    expect(tree.indexOf(0n)).toBe(-1);
  });

  it('does not share arrays with its caller', () => {
    const leaves = [1n, 2n];
    const tree = new IssuerTree(4, leaves);
    tree.append(3n);
    expect(leaves).toEqual([1n, 2n]);
    tree.leaves().push(9n);
    expect(tree.size).toBe(3);
  });

  it('rejects bad input with a named field and leaves the tree unchanged', () => {
    const tree = new IssuerTree(2, [1n, 2n, 3n]);
    const root = tree.root;
    const cases: [() => unknown, string, string][] = [
      [() => tree.append(0n), 'leaf', 'non-zero'],
      [() => tree.append(-1n), 'leaf', 'field-element'],
      [() => tree.append(21888242871839275222246405745257275088548364400416034343698204186575808495617n), 'leaf', 'field-element'],
      [() => tree.revoke(3), 'index', 'existing-leaf'],
      [() => tree.proof(-1), 'index', 'existing-leaf'],
      [() => tree.leaf(1.5), 'index', 'existing-leaf'],
    ];
    for (const [call, field, rule] of cases) {
      expect(call).toThrow(TreeError);
      expect(call).toThrow(expect.objectContaining({ field, rule }));
    }
    tree.revoke(0);
    const afterRevoke = tree.root;
    expect(() => tree.revoke(0)).toThrow(expect.objectContaining({ field: 'index', rule: 'not-revoked' }));
    expect(tree.root).toBe(afterRevoke);
    expect(afterRevoke).not.toBe(root);
    tree.append(4n);
    expect(() => tree.append(5n)).toThrow(expect.objectContaining({ field: 'leaf', rule: 'capacity' }));
    expect(tree.size).toBe(4);
    expect(() => new IssuerTree(0)).toThrow(expect.objectContaining({ field: 'depth' }));
    expect(() => new IssuerTree(33)).toThrow(expect.objectContaining({ field: 'depth' }));
    expect(() => new IssuerTree(1, [1n, 2n, 3n])).toThrow(expect.objectContaining({ field: 'leaves', rule: 'capacity' }));
    expect(() => new IssuerTree(4, [1n, -2n])).toThrow(expect.objectContaining({ field: 'leaves[1]' }));
  });
});
