import { IMT } from '@zk-kit/imt';
import { TreeError } from './errors.js';
import { ARITY, hashNode, SNARK_FIELD } from './hash.js';

/**
 * A Merkle path in the quaternary issuer tree (docs/protocol.md, "Issuer tree"). The tree has
 * `depth / 2` levels; `siblings[i]` holds the three other children at level `i` in position order,
 * skipping the path's own node, whose position among the four is base-4 digit `i` of `index`
 * (least significant first): `Math.floor(index / 4 ** i) % 4`. This is the shape the circuit's
 * inputs (`leafIndex`, `siblings[levels][3]`) use.
 */
export interface MerkleProof {
  root: bigint;
  leaf: bigint;
  index: number;
  siblings: bigint[][];
}

/** Leaf indices are JS numbers, so a tree holds at most 2^32 leaves (16 levels). */
const MAX_DEPTH = 32;
const MIN_DEPTH = 2;
const EMPTY_LEAF = 0n;

function assertDepth(depth: unknown): asserts depth is number {
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < MIN_DEPTH || depth > MAX_DEPTH || depth % 2 !== 0) {
    throw new TreeError('depth', 'even-2-32', `${String(depth)} is not an even depth (bits of capacity) in ${MIN_DEPTH}..${MAX_DEPTH}`);
  }
}

function assertNode(value: unknown, field: string): asserts value is bigint {
  if (typeof value !== 'bigint' || value < 0n || value >= SNARK_FIELD) {
    throw new TreeError(field, 'field-element', 'must be a bigint in [0, r) of the BN254 scalar field');
  }
}

const isNode = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n && v < SNARK_FIELD;

// Every value IMT hands the hash is a bigint: our leaves, its zeroes (from 0n) and earlier hashes.
const imtHash = (children: (number | string | bigint)[]): bigint => hashNode(children as bigint[]);

/**
 * An issuer's set of credentials: a fixed-depth quaternary Poseidon Merkle tree (docs/protocol.md).
 * `depth` is the capacity in bits (2^depth leaves); the tree has `depth / 2` levels of Poseidon4.
 * Issuing appends a leaf; revoking sets it to 0, the value of an empty slot, so a revoked
 * credential has no membership proof and the slot is never reused (indices stay stable for the
 * credentials already issued). Leaf value 0 is therefore reserved and cannot be appended.
 *
 * Built on @zk-kit/imt, whose constructor hashes a whole level at a time: building from n leaves
 * costs about n/3 Poseidon4 hashes, where n appends would cost n·depth/2.
 */
export class IssuerTree {
  static readonly DEFAULT_DEPTH = 32;

  private readonly imt: IMT;
  private readonly bits: number;
  // IMT's `leaves` getter copies the whole bottom level; this mirror makes size/leaf O(1).
  private readonly bottom: bigint[];

  /**
   * A tree holding `leaves` at indices 0..n-1 (zeros are revoked slots, as `leaves()` exports them).
   * Throws a TreeError for a bad depth (odd, or outside 2..32), a value outside the field, or more leaves than fit.
   */
  constructor(depth: number = IssuerTree.DEFAULT_DEPTH, leaves: bigint[] = []) {
    assertDepth(depth);
    if (!Array.isArray(leaves)) throw new TreeError('leaves', 'array', 'must be an array of bigints');
    if (leaves.length > 2 ** depth) throw new TreeError('leaves', 'capacity', `${leaves.length} leaves do not fit in a tree of depth ${depth}`);
    leaves.forEach((leaf, i) => assertNode(leaf, `leaves[${i}]`));
    this.bits = depth;
    // IMT keeps the array it is given as its bottom level: pass a copy so the caller's stays theirs.
    this.bottom = leaves.slice();
    this.imt = new IMT(imtHash, depth / 2, EMPTY_LEAF, ARITY, leaves.slice());
  }

  /** Capacity in bits: the tree holds 2^depth leaves in `depth / 2` levels. */
  get depth(): number {
    return this.bits;
  }

  get root(): bigint {
    return BigInt(this.imt.root);
  }

  /** Leaves appended so far, revoked ones included: the next append gets this index. */
  get size(): number {
    return this.bottom.length;
  }

  /** Appends a credential leaf and returns its index. Throws for 0 (reserved), a non-field value or a full tree. */
  append(leaf: bigint): number {
    assertNode(leaf, 'leaf');
    if (leaf === EMPTY_LEAF) throw new TreeError('leaf', 'non-zero', '0 marks an empty or revoked slot and cannot be appended');
    const index = this.size;
    if (index >= 2 ** this.depth) throw new TreeError('leaf', 'capacity', `the tree of depth ${this.depth} is full`);
    this.imt.insert(leaf);
    this.bottom.push(leaf);
    return index;
  }

  /** Revokes the credential at `index` by setting its leaf to 0. Throws if it is missing or already revoked. */
  revoke(index: number): void {
    this.assertIndex(index);
    if (this.leaf(index) === EMPTY_LEAF) throw new TreeError('index', 'not-revoked', `leaf ${index} is already revoked`);
    this.imt.delete(index);
    this.bottom[index] = EMPTY_LEAF;
  }

  /** The leaf at `index` (0 if revoked). */
  leaf(index: number): bigint {
    this.assertIndex(index);
    return this.bottom[index];
  }

  /** The index of a leaf, or -1 when it is not in the tree. */
  indexOf(leaf: bigint): number {
    if (leaf === EMPTY_LEAF) return -1;
    return this.bottom.indexOf(leaf);
  }

  /** The Merkle path of the credential at `index`. Throws for a missing or revoked leaf. */
  proof(index: number): MerkleProof {
    this.assertIndex(index);
    if (this.bottom[index] === EMPTY_LEAF) throw new TreeError('index', 'not-revoked', `leaf ${index} is revoked and has no membership proof`);
    const { root, leaf, siblings } = this.imt.createProof(index);
    return {
      root: BigInt(root),
      leaf: BigInt(leaf),
      index,
      siblings: (siblings as unknown[][]).map((level) => level.map((s) => BigInt(s as bigint))),
    };
  }

  /**
   * The filled nodes of `level` (0 = leaves, `depth / 2` = the root) from `start` to `end`
   * (exclusive, clipped to the filled part): `ceil(size / 4^level)` of them in all. A copy of what
   * the tree already keeps, so reading a level hashes nothing; tree chunks (tree-chunks.ts) are cut
   * from it when a root is published.
   */
  nodes(level: number, start = 0, end?: number): bigint[] {
    if (!Number.isInteger(level) || level < 0 || level > this.depth / 2) {
      throw new TreeError('level', 'tree-level', `${String(level)} is not a level in 0..${this.depth / 2}`);
    }
    if (level === 0) return this.bottom.slice(start, end);
    // IMT keeps every node by level (its constructor and insert fill `_nodes`) but has no public reader.
    const levels = (this.imt as unknown as { _nodes: (number | string | bigint)[][] })._nodes;
    const filled = Math.ceil(this.size / ARITY ** level);
    return levels[level].slice(start, Math.min(end ?? filled, filled)).map((n) => BigInt(n));
  }

  /** All leaves in index order, revoked ones as 0: what `new IssuerTree(depth, leaves)` rebuilds from. */
  leaves(): bigint[] {
    return this.bottom.slice();
  }

  /**
   * Whether `proof` leads from its leaf to its root. `depth` (bits), when given, must be an even
   * number in 2..32 whose `depth / 2` levels equal the number of sibling triples (a short path would
   * prove membership in a different tree). Every level must hold exactly three field elements and
   * `index` must be below 4^levels. A zero leaf proves nothing.
   */
  static verifyProof(proof: MerkleProof, depth?: number): boolean {
    if (proof === null || typeof proof !== 'object' || !Array.isArray(proof.siblings)) return false;
    if (depth !== undefined && (!Number.isInteger(depth) || depth < MIN_DEPTH || depth > MAX_DEPTH || depth % 2 !== 0)) return false;
    const levels = depth === undefined ? proof.siblings.length : depth / 2;
    if (levels < 1 || levels > MAX_DEPTH / 2 || proof.siblings.length !== levels) return false;
    if (!proof.siblings.every((level) => Array.isArray(level) && level.length === ARITY - 1 && level.every(isNode))) return false;
    if (!Number.isInteger(proof.index) || proof.index < 0 || proof.index >= ARITY ** levels) return false;
    if (!isNode(proof.root) || !isNode(proof.leaf) || proof.leaf === EMPTY_LEAF) return false;

    let node = proof.leaf;
    for (let level = 0; level < levels; level++) {
      // Base-4 digit `level` of the index; no bitwise ops, which would wrap indices ≥ 2^31.
      const position = Math.floor(proof.index / ARITY ** level) % ARITY;
      const children = proof.siblings[level].slice();
      children.splice(position, 0, node);
      node = hashNode(children);
    }
    return node === proof.root;
  }

  private assertIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new TreeError('index', 'existing-leaf', `${index} is not the index of a leaf (the tree holds ${this.size})`);
    }
  }
}
