import { IssuerTree } from '@zkkyc/tree';
import { ApiError } from '../api-error.js';
import type { IssuerStore } from '../store/issuer-store.js';

/** The part of `@zkkyc/tree`'s IssuerTree the service relies on. */
export interface MerkleTree {
  append(leaf: bigint): number;
  revoke(index: number): void;
  readonly root: bigint;
  readonly size: number;
  /** Capacity in bits: the tree holds 2^depth leaves. */
  readonly depth: number;
  /** `siblings[i]`: the 3 other children at level i (of depth / 2), in position order. */
  proof(index: number): { root: bigint; leaf: bigint; index: number; siblings: bigint[][] };
  /** The filled nodes of `level` (0 = leaves) from `start` to `end`: what tree chunks are cut from (services/tree-chunks.ts). */
  nodes(level: number, start?: number, end?: number): bigint[];
}

const PAGE = 10_000;

/**
 * Rebuilds the issuer tree from the stored leaves. The store is the source of truth: the tree is a
 * cache of it, rebuilt at every start, so a crash can never leave them disagreeing. Leaf indices
 * must be 0..n-1 without gaps; anything else means the database was edited by hand, and starting
 * anyway would publish a wrong root.
 *
 * More leaves than the tree holds can only come from a version that committed an approval past
 * capacity (now refused first, `assertRoomForLeaf`). Such a database still starts: the tree holds
 * the first 2^depth leaves, `warn` names the ones outside it (their credentials can never be proven
 * and should be revoked; revoking them leaves the tree as it is).
 */
export async function loadIssuerTree(
  store: IssuerStore,
  depth: number,
  warn: (message: string) => void = (message) => console.warn(`[issuer] ${message}`),
): Promise<MerkleTree> {
  const leaves: bigint[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.listLeaves(offset, PAGE);
    for (const leaf of page) {
      if (leaf.index !== leaves.length) throw new Error(`leaf table has a gap: expected index ${leaves.length}, found ${leaf.index}`);
      leaves.push(BigInt(leaf.value));
    }
    if (page.length < PAGE) break;
  }
  const capacity = 2 ** depth;
  if (leaves.length <= capacity) return new IssuerTree(depth, leaves);
  warn(
    `the leaves table holds ${leaves.length} leaves, more than a tree of depth ${depth} holds (${capacity}): ` +
      `leaves ${capacity}..${leaves.length - 1} are outside the tree; revoke their credentials`,
  );
  return new CappedTree(new IssuerTree(depth, leaves.slice(0, capacity)));
}

/** A full tree whose store holds leaves past its capacity: those indices are outside it. */
class CappedTree implements MerkleTree {
  constructor(private readonly tree: IssuerTree) {}
  append(leaf: bigint): number {
    return this.tree.append(leaf);
  }
  /** Revoking a credential whose leaf is outside the tree changes nothing in it. */
  revoke(index: number): void {
    if (index >= this.tree.size) return;
    this.tree.revoke(index);
  }
  get root(): bigint {
    return this.tree.root;
  }
  get size(): number {
    return this.tree.size;
  }
  get depth(): number {
    return this.tree.depth;
  }
  proof(index: number) {
    return this.tree.proof(index);
  }
  nodes(level: number, start?: number, end?: number): bigint[] {
    return this.tree.nodes(level, start, end);
  }
}

/** How many leaves `tree` can ever hold (revoked ones keep their slot). */
export function treeCapacity(tree: Pick<MerkleTree, 'depth'>): number {
  return 2 ** tree.depth;
}

/**
 * Refuses, before anything is signed or written, an issuance that would need a leaf past the
 * tree's capacity: 409 `tree_full` (rule `tree-capacity`). Issuance must call it under its lock,
 * right before taking `tree.size` as the new leaf's index. A full tree is a normal state — the
 * service keeps serving paths, revocations and publication, and restarts — it just issues no more
 * (a new tree id, registered in the IssuerRegistry, is the way on).
 */
export function assertRoomForLeaf(tree: Pick<MerkleTree, 'depth' | 'size'>): void {
  const capacity = treeCapacity(tree);
  if (tree.size >= capacity) {
    throw new ApiError(409, 'tree_full', `the issuer tree is full: all ${capacity} leaves of depth ${tree.depth} are used; no credential can be issued into it`, undefined, 'tree-capacity');
  }
}
