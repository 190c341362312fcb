import { TreeError } from './errors.js';
import { ARITY, hashNode, zeroHashes } from './hash.js';
import type { MerkleProof } from './issuer-tree.js';

/**
 * The issuer tree kept as rows (level, position, value) instead of in memory: the pure math a store
 * needs to change a few leaves and rewrite only the nodes above them, and to build a path from the
 * nodes it reads. Level 0 is the leaves, level `depth / 2` the root (position 0). A node that was
 * never written is the empty-subtree hash of its level (`zeroHashes(depth)[level]`), so a store may
 * leave all-empty subtrees out.
 *
 * The hash is a parameter (default poseidon-lite's `hashNode`) so a service can pass a faster
 * implementation with equal results (e.g. circomlibjs' WebAssembly Poseidon); this package does not
 * depend on one.
 */

/** `Poseidon4(c0, c1, c2, c3)` as a function of the four children. */
export type NodeHash = (children: bigint[]) => bigint;

/** A node's place: `level` 0 = leaves … `depth / 2` = root; `position` within the level. */
export interface NodeKey {
  level: number;
  position: number;
}

export interface NodeValue extends NodeKey {
  value: bigint;
}

/** Reads a stored node; `undefined` means "not stored", i.e. the empty-subtree hash of its level. */
export type NodeReader = (level: number, position: number) => bigint | undefined;

function assertDepth(depth: unknown): asserts depth is number {
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 2 || depth > 32 || depth % 2 !== 0) {
    throw new TreeError('depth', 'even-2-32', `${String(depth)} is not an even depth (bits of capacity) in 2..32`);
  }
}

function assertIndices(depth: number, indices: Iterable<number>): void {
  for (const index of indices) {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** depth) {
      throw new TreeError('index', 'leaf-index', `${String(index)} is not a leaf index of a tree of depth ${depth} (0..2^${depth}-1)`);
    }
  }
}

/**
 * Walks up from the changed positions of level 0, once per level: for every parent of a changed
 * node, its four children are the changed ones where changed, else what `read` gives. Shared by
 * {@link siblingsToRead} (which only records the reads) and {@link updatedNodes}.
 */
function walkUp(depth: number, changed: Map<number, bigint>, read: NodeReader, hash: NodeHash | null): NodeValue[] {
  const zeros = zeroHashes(depth);
  const out: NodeValue[] = [];
  let current = changed;
  for (let level = 0; level < depth / 2; level++) {
    const parents = [...new Set([...current.keys()].map((p) => Math.floor(p / ARITY)))].sort((a, b) => a - b);
    const next = new Map<number, bigint>();
    for (const parent of parents) {
      const children: bigint[] = [];
      for (let i = 0; i < ARITY; i++) {
        const position = parent * ARITY + i;
        children.push(current.get(position) ?? read(level, position) ?? zeros[level]);
      }
      const value = hash ? hash(children) : 0n;
      next.set(parent, value);
      out.push({ level: level + 1, position: parent, value });
    }
    current = next;
  }
  return out;
}

/**
 * The stored nodes an update of the leaves at `indices` has to read: at each level, the siblings
 * of the changed nodes that are not themselves changed (at most 3 per changed leaf per level, fewer
 * when changed leaves share parents). One query for these, then {@link updatedNodes}.
 */
export function siblingsToRead(depth: number, indices: Iterable<number>): NodeKey[] {
  assertDepth(depth);
  const list = [...indices];
  assertIndices(depth, list);
  const keys: NodeKey[] = [];
  walkUp(
    depth,
    new Map(list.map((i) => [i, 0n])),
    (level, position) => {
      keys.push({ level, position });
      return undefined;
    },
    null,
  );
  return keys;
}

/**
 * The nodes (levels 1..depth/2) that change when the leaves in `leaves` (index → new value, 0 for a
 * revoked or empty slot) take their values: O(depth) per leaf, and nodes shared by several changed
 * leaves (a batch of appends) are hashed once. `read` answers for the keys {@link siblingsToRead}
 * returns (other keys are not asked). The last node returned is the new root (level depth/2,
 * position 0) whenever `leaves` is not empty.
 */
export function updatedNodes(depth: number, leaves: Map<number, bigint>, read: NodeReader, hash: NodeHash = hashNode): NodeValue[] {
  assertDepth(depth);
  assertIndices(depth, leaves.keys());
  return walkUp(depth, leaves, read, hash);
}

/** The keys of the 3 × depth/2 siblings on the path of leaf `index`, level by level, in position order. */
export function pathKeys(depth: number, index: number): NodeKey[] {
  assertDepth(depth);
  assertIndices(depth, [index]);
  const keys: NodeKey[] = [];
  for (let level = 0; level < depth / 2; level++) {
    const own = Math.floor(index / ARITY ** level);
    const first = own - (own % ARITY);
    for (let i = 0; i < ARITY; i++) if (first + i !== own) keys.push({ level, position: first + i });
  }
  return keys;
}

/**
 * The Merkle path of leaf `index` from stored nodes (`read` answers for {@link pathKeys}), in the
 * shape `IssuerTree.proof` returns. `root` is the stored root the nodes belong to; the caller checks
 * the path with `IssuerTree.verifyProof` before serving it.
 */
export function proofFromNodes(depth: number, index: number, leaf: bigint, root: bigint, read: NodeReader): MerkleProof {
  const zeros = zeroHashes(depth);
  const keys = pathKeys(depth, index);
  const siblings: bigint[][] = [];
  for (let level = 0; level < depth / 2; level++) {
    siblings.push(keys.slice(level * 3, level * 3 + 3).map((k) => read(k.level, k.position) ?? zeros[k.level]));
  }
  return { root, leaf, index, siblings };
}

/**
 * The root a path hashes to, with `hash` (a service passes its faster Poseidon; equal results):
 * how a store-read path is checked against the stored root before it is served. Assumes the path's
 * shape is sound (3 siblings per level, `index` inside the tree), as `proofFromNodes` builds it;
 * `IssuerTree.verifyProof` is the full check of a path from elsewhere.
 */
export function pathRoot(proof: MerkleProof, hash: NodeHash = hashNode): bigint {
  let node = proof.leaf;
  proof.siblings.forEach((level, l) => {
    const children = level.slice();
    children.splice(Math.floor(proof.index / ARITY ** l) % ARITY, 0, node);
    node = hash(children);
  });
  return node;
}

/**
 * Every filled inner node of a tree holding `leaves` (index 0..n-1, revoked ones 0): `levels[l]`
 * is level l + 1, `ceil(n / 4^(l+1))` nodes, the last level `[root]`. About n/3 hashes: what a
 * store writes when it first persists a tree (and what a bulk import can reuse level by level).
 */
export function buildLevels(depth: number, leaves: readonly bigint[], hash: NodeHash = hashNode): bigint[][] {
  assertDepth(depth);
  if (leaves.length > 2 ** depth) throw new TreeError('leaves', 'capacity', `${leaves.length} leaves do not fit in a tree of depth ${depth}`);
  const zeros = zeroHashes(depth);
  const levels: bigint[][] = [];
  let below: readonly bigint[] = leaves;
  for (let level = 0; level < depth / 2; level++) {
    const width = Math.max(1, Math.ceil(below.length / ARITY));
    const nodes = new Array<bigint>(width);
    for (let p = 0; p < width; p++) {
      const children: bigint[] = [];
      for (let i = 0; i < ARITY; i++) children.push(below[p * ARITY + i] ?? zeros[level]);
      nodes[p] = hash(children);
    }
    levels.push(nodes);
    below = nodes;
  }
  return levels;
}

/** The root of an empty tree of `depth` bits. */
export function emptyRoot(depth: number): bigint {
  assertDepth(depth);
  return zeroHashes(depth)[depth / 2];
}
