import { IssuerTree } from '@zkkyc/tree';
import type { IssuerStore } from '../store/issuer-store.js';

/** The part of `@zkkyc/tree`'s IssuerTree the service relies on. */
export interface MerkleTree {
  append(leaf: bigint): number;
  revoke(index: number): void;
  readonly root: bigint;
  readonly size: number;
  /** `siblings[i]`: the 3 other children at level i (of depth / 2), in position order. */
  proof(index: number): { root: bigint; leaf: bigint; index: number; siblings: bigint[][] };
}

const PAGE = 10_000;

/**
 * Rebuilds the issuer tree from the stored leaves. The store is the source of truth: the tree is a
 * cache of it, rebuilt at every start, so a crash can never leave them disagreeing. Leaf indices
 * must be 0..n-1 without gaps; anything else means the database was edited by hand, and starting
 * anyway would publish a wrong root.
 */
export async function loadIssuerTree(store: IssuerStore, depth: number): Promise<MerkleTree> {
  const leaves: bigint[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.listLeaves(offset, PAGE);
    for (const leaf of page) {
      if (leaf.index !== leaves.length) throw new Error(`leaf table has a gap: expected index ${leaves.length}, found ${leaf.index}`);
      leaves.push(BigInt(leaf.value));
    }
    if (page.length < PAGE) break;
  }
  return new IssuerTree(depth, leaves);
}
