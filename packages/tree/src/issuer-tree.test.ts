import { poseidon4 } from 'poseidon-lite';
import { TreeError } from './errors.js';
import { hashNode, zeroHashes } from './hash.js';
import { IssuerTree, type MerkleProof } from './issuer-tree.js';

const h = (c0: bigint, c1: bigint, c2: bigint, c3: bigint) => poseidon4([c0, c1, c2, c3]);

describe('zeroHashes', () => {
  it('starts at the empty leaf 0 and hashes each level as four copies of the one below, depth/2 levels', () => {
    const z1 = h(0n, 0n, 0n, 0n);
    const z2 = h(z1, z1, z1, z1);
    const z3 = h(z2, z2, z2, z2);
    const z = zeroHashes(6);
    expect(z).toEqual([0n, z1, z2, z3]);
    expect(zeroHashes(2)).toEqual([0n, z1]);
    expect(zeroHashes(32)).toHaveLength(17);
    expect(zeroHashes(20)).toHaveLength(11);
    expect(zeroHashes(32).slice(0, 4)).toEqual(z);
    expect(hashNode([z2, z2, z2, z2])).toBe(z3);
  });

  it('refuses an odd or negative depth', () => {
    expect(() => zeroHashes(3)).toThrow(expect.objectContaining({ field: 'depth' }));
    expect(() => zeroHashes(-2)).toThrow(TreeError);
    expect(() => hashNode([1n, 2n])).toThrow(RangeError);
  });
});

describe('IssuerTree', () => {
  it('has the empty-subtree root when empty, at depth 32 by default', () => {
    const tree = new IssuerTree();
    expect(IssuerTree.DEFAULT_DEPTH).toBe(32);
    expect(tree.depth).toBe(32);
    expect(tree.size).toBe(0);
    expect(tree.root).toBe(zeroHashes(32)[16]);
    expect(new IssuerTree(20).root).toBe(zeroHashes(20)[10]);
  });

  it('matches a depth-4 tree (2 levels) computed by hand, with base-4 index digits selecting positions', () => {
    const [a, b, c, d, e] = [11n, 22n, 33n, 44n, 55n];
    const tree = new IssuerTree(4);
    for (const leaf of [a, b, c, d, e]) tree.append(leaf);

    const abcd = h(a, b, c, d);
    const e000 = h(e, 0n, 0n, 0n);
    const z1 = h(0n, 0n, 0n, 0n);
    expect(tree.root).toBe(h(abcd, e000, z1, z1));

    // Index 2 = digits (2, 0): third child at level 0, first at level 1.
    expect(tree.proof(2)).toEqual({
      root: tree.root,
      leaf: c,
      index: 2,
      siblings: [
        [a, b, d],
        [e000, z1, z1],
      ],
    });
    // Index 4 = digits (0, 1): first child at level 0, second at level 1.
    expect(tree.proof(4)).toEqual({
      root: tree.root,
      leaf: e,
      index: 4,
      siblings: [
        [0n, 0n, 0n],
        [abcd, z1, z1],
      ],
    });
    // Index 1 = digits (1, 0).
    expect(tree.proof(1)).toEqual({
      root: tree.root,
      leaf: b,
      index: 1,
      siblings: [
        [a, c, d],
        [e000, z1, z1],
      ],
    });
    // Index 3 = digits (3, 0): the node is the last child, all three siblings come before it.
    expect(tree.proof(3).siblings).toEqual([
      [a, b, c],
      [e000, z1, z1],
    ]);
  });

  it('puts a node last among its siblings for digit 3 at the top level', () => {
    const leaves = Array.from({ length: 14 }, (_, i) => BigInt(100 + i));
    const tree = new IssuerTree(4, leaves);
    const n = [0, 1, 2].map((g) => h(leaves[4 * g], leaves[4 * g + 1], leaves[4 * g + 2], leaves[4 * g + 3]));
    const n3 = h(leaves[12], leaves[13], 0n, 0n);
    expect(tree.root).toBe(h(n[0], n[1], n[2], n3));
    // Index 13 = digits (1, 3).
    expect(tree.proof(13)).toEqual({
      root: tree.root,
      leaf: leaves[13],
      index: 13,
      siblings: [
        [leaves[12], 0n, 0n],
        [n[0], n[1], n[2]],
      ],
    });
    // Index 6 = digits (2, 1).
    expect(tree.proof(6).siblings).toEqual([
      [leaves[4], leaves[5], leaves[7]],
      [n[0], n[2], n3],
    ]);
  });

  it('matches a depth-2 tree (one level of 4 leaves) computed by hand', () => {
    const tree = new IssuerTree(2, [5n, 6n, 7n]);
    expect(tree.root).toBe(h(5n, 6n, 7n, 0n));
    expect(tree.proof(3 - 1).siblings).toEqual([[5n, 6n, 0n]]);
    expect(tree.proof(0).siblings).toEqual([[6n, 7n, 0n]]);
  });

  it('maps an index to its base-4 digits up to 2^32 - 1, without 32-bit wrap-around', () => {
    const siblings = Array.from({ length: 16 }, (_, i) => [BigInt(3 * i + 1), BigInt(3 * i + 2), BigInt(3 * i + 3)]);
    const leaf = 777n;
    // Builds the root of a hand-chosen path: digits[i] is the node's position at level i.
    const rootFor = (digits: number[]) =>
      digits.reduce((node, digit, i) => {
        const children = siblings[i].slice();
        children.splice(digit, 0, node);
        return h(children[0], children[1], children[2], children[3]);
      }, leaf);

    const allThrees = Array<number>(16).fill(3);
    const top: MerkleProof = { root: rootFor(allThrees), leaf, index: 2 ** 32 - 1, siblings };
    expect(IssuerTree.verifyProof(top)).toBe(true);
    expect(IssuerTree.verifyProof(top, 32)).toBe(true);
    expect(IssuerTree.verifyProof({ ...top, index: 2 ** 32 - 2 })).toBe(false);
    expect(IssuerTree.verifyProof({ ...top, index: 2 ** 32 })).toBe(false);

    // 0xE4E4E4E4 (> 2^31): each byte 0b11_10_01_00 has digits 0, 1, 2, 3, least significant first.
    const mixed = Array.from({ length: 16 }, (_, i) => i % 4);
    const proof: MerkleProof = { root: rootFor(mixed), leaf, index: 0xe4e4e4e4, siblings };
    expect(proof.index).toBe(3840206052);
    expect(IssuerTree.verifyProof(proof, 32)).toBe(true);
    expect(IssuerTree.verifyProof({ ...proof, index: 0x64e4e4e4 })).toBe(false);
    expect(IssuerTree.verifyProof({ ...proof, index: 0xe4e4e4e4 | 0 })).toBe(false);
  });

  it('gives proofs that verify, and rejects altered ones', () => {
    const tree = new IssuerTree(32);
    for (let i = 1n; i <= 9n; i++) tree.append(i * 1000n);
    for (let i = 0; i < tree.size; i++) {
      const proof = tree.proof(i);
      expect(proof.siblings).toHaveLength(16);
      for (const level of proof.siblings) expect(level).toHaveLength(3);
      expect(IssuerTree.verifyProof(proof)).toBe(true);
      expect(IssuerTree.verifyProof(proof, 32)).toBe(true);
    }
    const proof = tree.proof(6);
    const [s0, s1, ...rest] = proof.siblings;
    const altered: MerkleProof[] = [
      { ...proof, leaf: proof.leaf + 1n },
      { ...proof, index: 7 },
      { ...proof, index: 6 + 16 },
      { ...proof, root: proof.root + 1n },
      { ...proof, siblings: [[s0[1], s0[0], s0[2]], s1, ...rest] },
      { ...proof, siblings: [s1, s0, ...rest] },
      { ...proof, siblings: proof.siblings.slice(0, 15) },
      { ...proof, siblings: [s0.slice(0, 2), s1, ...rest] },
      { ...proof, siblings: [[...s0, 0n], s1, ...rest] },
      { ...proof, siblings: [[s0[0], s0[1], -1n], s1, ...rest] },
      { ...proof, siblings: proof.siblings.flat() as unknown as bigint[][] },
    ];
    for (const p of altered) expect(IssuerTree.verifyProof(p)).toBe(false);
    expect(IssuerTree.verifyProof(proof, 20)).toBe(false);
    expect(IssuerTree.verifyProof(proof, 31)).toBe(false);
    expect(IssuerTree.verifyProof(proof, 16)).toBe(false);
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
    const small = new IssuerTree(20, [9n, 8n, 7n, 6n, 5n]);
    small.revoke(4);
    expect(new IssuerTree(20, small.leaves()).root).toBe(small.root);
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
      expect(tree.root).toBe(root);
      expect(tree.size).toBe(3);
    }
    tree.revoke(0);
    const afterRevoke = tree.root;
    expect(() => tree.revoke(0)).toThrow(expect.objectContaining({ field: 'index', rule: 'not-revoked' }));
    expect(tree.root).toBe(afterRevoke);
    expect(afterRevoke).not.toBe(root);
    tree.append(4n);
    const full = tree.root;
    expect(() => tree.append(5n)).toThrow(expect.objectContaining({ field: 'leaf', rule: 'capacity' }));
    expect(tree.size).toBe(4);
    expect(tree.root).toBe(full);
    for (const depth of [0, 1, 3, 21, 31, 33, 34, 2.5, NaN]) {
      expect(() => new IssuerTree(depth)).toThrow(expect.objectContaining({ field: 'depth', rule: 'even-2-32' }));
    }
    expect(() => new IssuerTree(2, [1n, 2n, 3n, 4n, 5n])).toThrow(expect.objectContaining({ field: 'leaves', rule: 'capacity' }));
    expect(() => new IssuerTree(4, [1n, -2n])).toThrow(expect.objectContaining({ field: 'leaves[1]' }));
  });
});
