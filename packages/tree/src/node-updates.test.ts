import { describe, expect, it } from '@jest/globals';
import { IssuerTree } from './issuer-tree.js';
import { buildLevels, emptyRoot, pathKeys, pathRoot, proofFromNodes, siblingsToRead, updatedNodes, type NodeReader } from './node-updates.js';
import { TreeError } from './errors.js';

const DEPTH = 8; // 4 levels, 256 leaves
const leafValues = (n: number, from = 1) => Array.from({ length: n }, (_, i) => BigInt(from + i) * 7919n);

/** A node store over a map, as a database would hold it: levels 1..depth/2 plus the leaves. */
function rows(depth: number, leaves: bigint[]) {
  const nodes = new Map<string, bigint>();
  leaves.forEach((v, i) => nodes.set(`0:${i}`, v));
  buildLevels(depth, leaves).forEach((level, l) => level.forEach((v, p) => nodes.set(`${l + 1}:${p}`, v)));
  const read: NodeReader = (level, position) => nodes.get(`${level}:${position}`);
  return { nodes, read };
}

describe('node updates: the tree kept as rows', () => {
  it('builds every level of a from-scratch tree (the root is IssuerTree’s)', () => {
    for (const n of [0, 1, 5, 64, 65, 200]) {
      const levels = buildLevels(DEPTH, leafValues(n));
      expect(levels).toHaveLength(DEPTH / 2);
      expect(levels.at(-1)).toEqual([new IssuerTree(DEPTH, leafValues(n)).root]);
    }
    expect(buildLevels(DEPTH, [])[DEPTH / 2 - 1][0]).toBe(emptyRoot(DEPTH));
  });

  it('rewrites only the nodes above the changed leaves, and the root equals a rebuilt tree (appends, revocations, a batch)', () => {
    const leaves = leafValues(37);
    const { nodes, read } = rows(DEPTH, leaves);
    const apply = (changes: Map<number, bigint>) => {
      const keys = siblingsToRead(DEPTH, changes.keys());
      const asked: string[] = [];
      const out = updatedNodes(DEPTH, changes, (l, p) => {
        asked.push(`${l}:${p}`);
        return read(l, p);
      });
      // Exactly the reads announced, so a store fetches them in one query.
      expect(asked.sort()).toEqual(keys.map((k) => `${k.level}:${k.position}`).sort());
      for (const [i, v] of changes) {
        nodes.set(`0:${i}`, v);
        if (i >= leaves.length) leaves.push(v);
        else leaves[i] = v;
      }
      for (const n of out) nodes.set(`${n.level}:${n.position}`, n.value);
      return out;
    };
    // One append: one node per level, the last is the root.
    let out = apply(new Map([[37, 4242n]]));
    expect(out.map((n) => n.level)).toEqual([1, 2, 3, 4]);
    expect(out.at(-1)).toEqual({ level: 4, position: 0, value: new IssuerTree(DEPTH, leaves).root });
    // A revocation.
    out = apply(new Map([[3, 0n]]));
    expect(out.at(-1)!.value).toBe(new IssuerTree(DEPTH, leaves).root);
    // A batch of 9 appends shares parents: fewer than 9 × 4 nodes, each hashed once.
    out = apply(new Map(leafValues(9, 500).map((v, k) => [38 + k, v])));
    expect(out.length).toBeLessThan(9 * 4);
    expect(new Set(out.map((n) => `${n.level}:${n.position}`)).size).toBe(out.length);
    expect(out.at(-1)!.value).toBe(new IssuerTree(DEPTH, leaves).root);
    // And every path built from the rows is the rebuilt tree's.
    const tree = new IssuerTree(DEPTH, leaves);
    for (const index of [0, 4, 37, 46]) {
      const proof = proofFromNodes(DEPTH, index, leaves[index], tree.root, read);
      expect(proof).toEqual(tree.proof(index));
      expect(IssuerTree.verifyProof(proof, DEPTH)).toBe(true);
      expect(pathRoot(proof)).toBe(tree.root);
      // A wrong sibling leads elsewhere: the check a store-read path gets before it is served.
      const bad = { ...proof, siblings: proof.siblings.map((l, k) => (k === 1 ? [l[0] + 1n, l[1], l[2]] : l)) };
      expect(pathRoot(bad)).not.toBe(tree.root);
    }
  });

  it('takes the hash as a parameter', () => {
    const calls: number[] = [];
    const hash = (children: bigint[]) => {
      calls.push(children.length);
      return children.reduce((a, b) => a + b, 1n);
    };
    const out = updatedNodes(DEPTH, new Map([[0, 5n]]), () => undefined, hash);
    expect(calls).toEqual([4, 4, 4, 4]);
    expect(out[0].value).toBe(6n);
  });

  it('names the path’s siblings in position order, three per level', () => {
    const keys = pathKeys(DEPTH, 6); // digits (base 4, least significant first): 2, 1, 0, 0
    expect(keys.slice(0, 3)).toEqual([
      { level: 0, position: 4 },
      { level: 0, position: 5 },
      { level: 0, position: 7 },
    ]);
    expect(keys.slice(3, 6)).toEqual([
      { level: 1, position: 0 },
      { level: 1, position: 2 },
      { level: 1, position: 3 },
    ]);
    expect(keys).toHaveLength(3 * (DEPTH / 2));
  });

  it('refuses a bad depth or an index outside the tree, naming the field', () => {
    expect(() => updatedNodes(7, new Map([[0, 1n]]), () => undefined)).toThrow(TreeError);
    expect(() => siblingsToRead(DEPTH, [2 ** DEPTH])).toThrow(/^index: .*\(rule: leaf-index\)/);
    expect(() => pathKeys(DEPTH, -1)).toThrow(/leaf-index/);
    expect(() => buildLevels(2, leafValues(5))).toThrow(/capacity/);
  });
});
