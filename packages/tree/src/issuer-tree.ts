import { IMT } from '@zk-kit/imt';
import { TreeError } from './errors.js';
import { hashPair, SNARK_FIELD } from './hash.js';

/**
 * A Merkle path. `index` bit i (least significant first) is 1 when the path's node at level i is a
 * right child, i.e. `siblings[i]` is on its left. This is the shape the circuit's inputs and
 * docs/protocol.md use.
 */
export interface MerkleProof {
  root: bigint;
  leaf: bigint;
  index: number;
  siblings: bigint[];
}

/** Leaf indices are JS numbers, so a tree can be at most this deep (2^32 leaves). */
const MAX_DEPTH = 32;
const EMPTY_LEAF = 0n;

function assertDepth(depth: unknown): asserts depth is number {
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH) {
    throw new TreeError('depth', 'integer-1-32', `${String(depth)} is not a depth in 1..${MAX_DEPTH}`);
  }
}

function assertNode(value: unknown, field: string): asserts value is bigint {
  if (typeof value !== 'bigint' || value < 0n || value >= SNARK_FIELD) {
    throw new TreeError(field, 'field-element', 'must be a bigint in [0, r) of the BN254 scalar field');
  }
}

const imtHash = (children: (number | string | bigint)[]): bigint => hashPair(BigInt(children[0]), BigInt(children[1]));

/**
 * An issuer's set of credentials: a fixed-depth binary Poseidon Merkle tree (docs/protocol.md).
 * Issuing appends a leaf; revoking sets it to 0, the value of an empty slot, so a revoked
 * credential has no membership proof and the slot is never reused (indices stay stable for the
 * credentials already issued). Leaf value 0 is therefore reserved and cannot be appended.
 *
 * Built on @zk-kit/imt, whose constructor hashes a whole level at a time: building from n leaves
 * costs about n Poseidon hashes, where n appends would cost n·depth.
 */
export class IssuerTree {
  static readonly DEFAULT_DEPTH = 32;

  private readonly imt: IMT;
  // IMT's `leaves` getter copies the whole bottom level; this mirror makes size/leaf O(1).
  private readonly bottom: bigint[];

  /**
   * A tree holding `leaves` at indices 0..n-1 (zeros are revoked slots, as `leaves()` exports them).
   * Throws a TreeError for a bad depth, a value outside the field, or more leaves than fit.
   */
  constructor(depth: number = IssuerTree.DEFAULT_DEPTH, leaves: bigint[] = []) {
    assertDepth(depth);
    if (!Array.isArray(leaves)) throw new TreeError('leaves', 'array', 'must be an array of bigints');
    if (leaves.length > 2 ** depth) throw new TreeError('leaves', 'capacity', `${leaves.length} leaves do not fit in a tree of depth ${depth}`);
    leaves.forEach((leaf, i) => assertNode(leaf, `leaves[${i}]`));
    // IMT keeps the array it is given as its bottom level: pass a copy so the caller's stays theirs.
    this.bottom = leaves.slice();
    this.imt = new IMT(imtHash, depth, EMPTY_LEAF, 2, leaves.slice());
  }

  get depth(): number {
    return this.imt.depth;
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
    const { root, leaf, siblings } = this.imt.createProof(index);
    if (BigInt(leaf) === EMPTY_LEAF) throw new TreeError('index', 'not-revoked', `leaf ${index} is revoked and has no membership proof`);
    return {
      root: BigInt(root),
      leaf: BigInt(leaf),
      index,
      siblings: siblings.map((s: unknown[]) => BigInt(s[0] as bigint)),
    };
  }

  /** All leaves in index order, revoked ones as 0: what `new IssuerTree(depth, leaves)` rebuilds from. */
  leaves(): bigint[] {
    return this.bottom.slice();
  }

  /**
   * Whether `proof` leads from its leaf to its root. `depth`, when given, must equal the number of
   * siblings (a short path would prove membership in a different tree). A zero leaf proves nothing.
   */
  static verifyProof(proof: MerkleProof, depth?: number): boolean {
    if (proof === null || typeof proof !== 'object' || !Array.isArray(proof.siblings)) return false;
    const levels = depth ?? proof.siblings.length;
    if (!Number.isInteger(levels) || levels < 1 || levels > MAX_DEPTH || proof.siblings.length !== levels) return false;
    if (!Number.isInteger(proof.index) || proof.index < 0 || proof.index >= 2 ** levels) return false;
    const values = [proof.root, proof.leaf, ...proof.siblings];
    if (!values.every((v) => typeof v === 'bigint' && v >= 0n && v < SNARK_FIELD)) return false;
    if (proof.leaf === EMPTY_LEAF) return false;

    let node = proof.leaf;
    let path = proof.index;
    for (let level = 0; level < levels; level++) {
      const sibling = proof.siblings[level];
      node = path % 2 === 1 ? hashPair(sibling, node) : hashPair(node, sibling);
      path = Math.floor(path / 2);
    }
    return node === proof.root;
  }

  private assertIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new TreeError('index', 'existing-leaf', `${index} is not the index of a leaf (the tree holds ${this.size})`);
    }
  }
}

