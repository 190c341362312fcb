import { hashNode, pathKeys, pathRoot, proofFromNodes, TreeError, type MerkleProof, type NodeHash } from '@zkkyc/tree';
import { ApiError } from '../api-error.js';
import type { IssuerStore, OpenTreeOptions, TreeNodeRecord, TreeReader } from '../store/issuer-store.js';

/** The tree as it is in the store right now. */
export interface TreeNow {
  root: bigint;
  /** Leaves inside the tree (revoked ones included): at most 2^depth. */
  size: number;
  /** Leaves the store holds, which exceeds `size` only on a database an old version filled past capacity. */
  leafCount: number;
  /** `tree_state.revision`: every change increases it. */
  revision: number;
}

/**
 * The issuer tree as the service sees it: read from the store (migration 9 keeps its nodes there,
 * written in the same transaction as every leaf), so a write by another process on the same
 * database is seen by the next read. Nothing is rebuilt at start or publication.
 */
export interface MerkleTree {
  /** Capacity in bits: the tree holds 2^depth leaves. */
  readonly depth: number;
  /** Root and size from `tree_state` (one row). */
  current(): Promise<TreeNow>;
  /**
   * The Merkle path of leaf `index` at the current root (`siblings[i]`: the 3 other children at
   * level i, in position order), read at one state and checked before it is returned. Throws a
   * TreeError for a leaf that is missing, outside the tree or revoked.
   */
  proof(index: number): Promise<MerkleProof>;
  /** Runs `fn` on reads of one tree state (tree chunks are cut from them, services/tree-chunks.ts). */
  read<T>(fn: (reader: TreeReader) => Promise<T>): Promise<T>;
  /**
   * This process's last view (from its last `current()`, write or start): for logs and tests only —
   * another instance may have changed the tree since. Routes and the publisher use `current()`.
   */
  readonly root: bigint;
  readonly size: number;
}

/**
 * Opens the issuer tree persisted in the store with the configured depth and node hash: one row
 * (`tree_state`) at every start — the tables are filled from `leaves` only once, on the first start
 * after migration 9 (or when `options.rebuild` asks for a new depth: without it a depth other than
 * the stored tree's is refused, rule `tree-depth-fixed`). A `leaves` table with a gap (a hand edit) is
 * refused when filling, and on every start the highest leaf index must match `tree_state`.
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
  hash?: NodeHash,
  options: OpenTreeOptions = {},
): Promise<MerkleTree> {
  await store.openTree(depth, hash, options);
  // A leaf written behind the store's back (a hand edit): the highest index must be leafCount - 1.
  // Checked against the state read in the same snapshot as the two leaves (a primary-key range, not
  // a scan): another instance may append between `openTree` and this read.
  const { state, around } = await store.readTree(async (reader) => {
    const state = await reader.state();
    return { state, around: await reader.range(0, Math.max(0, state.leafCount - 1), state.leafCount + 1) };
  });
  const has = (index: number) => around.some((n) => n.position === index);
  const pastLast = has(state.leafCount);
  if ((state.leafCount > 0 && !has(state.leafCount - 1)) || pastLast) {
    throw new Error(
      `leaf table has a gap or leaves the stored tree does not know: tree_state holds ${state.leafCount} leaves, ` +
        (pastLast ? `but leaf ${state.leafCount} exists` : `but leaf ${state.leafCount - 1} is missing`),
    );
  }
  const capacity = 2 ** depth;
  if (state.leafCount > capacity) {
    warn(
      `the leaves table holds ${state.leafCount} leaves, more than a tree of depth ${depth} holds (${capacity}): ` +
        `leaves ${capacity}..${state.leafCount - 1} are outside the tree; revoke their credentials`,
    );
  }
  return new StoredTree(store, depth, { root: BigInt(state.root), size: Math.min(state.leafCount, capacity), leafCount: state.leafCount, revision: state.revision }, hash ?? hashNode);
}

/** The tree read from the store on demand (see `MerkleTree`). */
class StoredTree implements MerkleTree {
  constructor(
    private readonly store: IssuerStore,
    readonly depth: number,
    private last: TreeNow,
    private readonly hash: NodeHash,
  ) {}

  get root(): bigint {
    return this.last.root;
  }

  get size(): number {
    return this.last.size;
  }

  async current(): Promise<TreeNow> {
    const state = await this.store.treeState();
    this.last = { root: BigInt(state.root), size: Math.min(state.leafCount, treeCapacity(this)), leafCount: state.leafCount, revision: state.revision };
    return this.last;
  }

  async proof(index: number): Promise<MerkleProof> {
    if (!Number.isInteger(index) || index < 0 || index >= treeCapacity(this)) {
      throw new TreeError('index', 'existing-leaf', `${index} is not the index of a leaf in a tree of depth ${this.depth}`);
    }
    const siblings = pathKeys(this.depth, index);
    const { state, leaf, nodes } = await this.store.treePath(index, siblings);
    if (leaf === null || index >= state.leafCount) {
      throw new TreeError('index', 'existing-leaf', `${index} is not the index of a leaf (the tree holds ${Math.min(state.leafCount, treeCapacity(this))})`);
    }
    if (leaf === '0') throw new TreeError('index', 'not-revoked', `leaf ${index} is revoked and has no membership proof`);
    const byKey = new Map(nodes.map((n: TreeNodeRecord) => [`${n.level}:${n.position}`, BigInt(n.value)]));
    const proof = proofFromNodes(this.depth, index, BigInt(leaf), BigInt(state.root), (level, position) => byKey.get(`${level}:${position}`));
    // The stored nodes are checked, not trusted: a path that does not reach the stored root is a
    // corrupted table, and serving it would hand the holder a proof the chain rejects.
    if (pathRoot(proof, this.hash) !== proof.root) throw new Error(`the stored tree is inconsistent: the path of leaf ${index} does not hash to the stored root`);
    return proof;
  }

  read<T>(fn: (reader: TreeReader) => Promise<T>): Promise<T> {
    return this.store.readTree(fn);
  }
}

/** How many leaves `tree` can ever hold (revoked ones keep their slot). */
export function treeCapacity(tree: Pick<MerkleTree, 'depth'>): number {
  return 2 ** tree.depth;
}

/**
 * Refuses, before anything is signed or written, an issuance that would need a leaf past the
 * tree's capacity: 409 `tree_full` (rule `tree-capacity`). `size` is the index the new leaf would
 * take: issuance checks it with the index the store hands out (`IssuerStore.recordApprovals`), and
 * may check the current size first to spare the work. A full tree is a normal state — the service
 * keeps serving paths, revocations and publication, and restarts — it just issues no more (a new
 * tree id, registered in the IssuerRegistry, is the way on).
 */
export function assertRoomForLeaf(tree: { depth: number; size: number }): void {
  const capacity = treeCapacity(tree);
  if (tree.size >= capacity) {
    throw new ApiError(409, 'tree_full', `the issuer tree is full: all ${capacity} leaves of depth ${tree.depth} are used; no credential can be issued into it`, undefined, 'tree-capacity');
  }
}
