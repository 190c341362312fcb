import { ARITY, emptyRoot, hashNode, siblingsToRead, updatedNodes, zeroHashes, type NodeHash, type NodeValue } from '@zkkyc/tree';
import type { TreeNodeRecord, TreeStateRecord } from './issuer-store.js';

/**
 * The issuer tree as rows (migration 9): what both stores share. Level 0 is the `leaves` table,
 * levels 1..depth/2 are `tree_nodes`, `tree_state` holds the leaf count, the root and a revision.
 * Every write of a leaf (approval, revocation, replacement) updates the nodes on its path and
 * `tree_state` in the same transaction, so the stored tree is never behind its leaves.
 *
 * For another writer of the same schema (bulk import): take {@link TREE_LOCK_SQL} first in the
 * transaction (Postgres), read `tree_state`, insert the leaves, then write what
 * {@link treeWrite} returns for them (or, for many leaves in a row, `buildLevels` over a range) and
 * the new `tree_state` with `revision + 1`.
 */

/**
 * Serializes tree writers on Postgres: taken first in every transaction that changes a leaf, so two
 * processes never pick the same leaf index and never overwrite each other's nodes. Keyed by schema,
 * so separate deployments (and test schemas) do not queue behind each other.
 */
export const TREE_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':zkkyc-leaves'))`;

/**
 * The setting that records the depth `tree_nodes` was written for. A writer that fills the tables
 * without it (bulk import) is adopted by `openTree` when the stored root is the node at level
 * depth/2 and no node lies above it — else the tables are filled again for the opened depth.
 */
export const TREE_DEPTH_SETTING = 'tree_depth';

/** Reads the depth the stored tree was written for (one primary-key row, no parameter: both stores run it). */
export const STORED_TREE_DEPTH_SQL = `SELECT value FROM settings WHERE key = 'tree_depth'`;

/**
 * A tree writer or a start-up whose depth is not the one the stored tree was written for (rule
 * `tree-depth-fixed`). Nodes of two depths cannot share the tables: a writer of another depth would
 * store roots no proof of the other depth reaches.
 */
export class TreeDepthChanged extends Error {
  readonly rule = 'tree-depth-fixed';
  constructor(
    readonly storedDepth: number,
    readonly configuredDepth: number,
    message: string,
  ) {
    super(message);
    this.name = 'TreeDepthChanged';
  }
}

/**
 * For every writer of tree rows, inside its transaction and after the tree lock: refuses when the
 * depth setting read there (`stored`, from {@link STORED_TREE_DEPTH_SQL}) is not the depth this
 * writer computes nodes for. An absent setting passes (nobody opened the tree yet).
 */
export function checkStoredDepth(stored: string | undefined, configured: number): void {
  if (stored === undefined || stored === String(configured)) return;
  throw new TreeDepthChanged(
    Number(stored),
    configured,
    `the stored issuer tree has depth ${stored} but this process writes depth ${configured} (rule tree-depth-fixed): ` +
      `another instance rebuilt the tree for another depth, or this one is configured differently; restart every instance with ISSUER_TREE_DEPTH=${stored}`,
  );
}

/**
 * `openTree` with a depth other than the stored tree's (rule `tree-depth-fixed`): refused unless the
 * operator asked for the rebuild, since every running instance of the old depth would stop writing.
 */
export function depthChangeRefused(storedDepth: number, configuredDepth: number): TreeDepthChanged {
  return new TreeDepthChanged(
    storedDepth,
    configuredDepth,
    `the stored issuer tree has depth ${storedDepth} but ISSUER_TREE_DEPTH is ${configuredDepth} (rule tree-depth-fixed): ` +
      `set ISSUER_TREE_DEPTH=${storedDepth}, or rebuild the tree for depth ${configuredDepth} by starting one instance once with ` +
      `ISSUER_TREE_REBUILD_DEPTH=${configuredDepth} (other instances of depth ${storedDepth} then refuse every tree write until restarted)`,
  );
}

/** A new database's depth until the service opens the tree with its configured one. */
export const DEFAULT_STORE_TREE_DEPTH = 32;

export interface TreeShape {
  depth: number;
  hash: NodeHash;
}

export const defaultTreeShape = (depth = DEFAULT_STORE_TREE_DEPTH): TreeShape => ({ depth, hash: hashNode });

/** Whether stored rows fit `depth`: the root is the level-depth/2 node and nothing is stored above it. */
export function rowsFitDepth(depth: number, state: TreeStateRecord, rootNode: string | undefined, nodesAbove: number): boolean {
  if (nodesAbove > 0) return false;
  return rootNode === undefined ? state.leafCount === 0 && state.root === emptyRoot(depth).toString() : rootNode === state.root;
}

export const nodeKey = (level: number, position: number): string => `${level}:${position}`;

/** The leaves of `changes` that are inside the tree (a leaf past capacity changes no node). */
function insideTree(depth: number, changes: Map<number, bigint>): Map<number, bigint> {
  const capacity = 2 ** depth;
  return new Map([...changes].filter(([index]) => index < capacity));
}

/** The nodes to read before {@link treeWrite} for these leaf changes. */
export function treeReads(shape: TreeShape, changes: Map<number, bigint>): Array<{ level: number; position: number }> {
  const inside = insideTree(shape.depth, changes);
  return inside.size === 0 ? [] : siblingsToRead(shape.depth, inside.keys());
}

/**
 * The nodes to upsert for leaf `changes` (index → new value), given the stored siblings `known`
 * (by {@link nodeKey}; missing = empty subtree), and the new root (unchanged: null).
 */
export function treeWrite(shape: TreeShape, changes: Map<number, bigint>, known: Map<string, string>): { nodes: NodeValue[]; root: bigint | null } {
  const inside = insideTree(shape.depth, changes);
  if (inside.size === 0) return { nodes: [], root: null };
  const read = (level: number, position: number) => {
    const v = known.get(nodeKey(level, position));
    return v === undefined ? undefined : BigInt(v);
  };
  const nodes = updatedNodes(shape.depth, inside, read, shape.hash);
  return { nodes, root: nodes[nodes.length - 1].value };
}

/**
 * Rows the one-time fill (first open after migration 9, or a rebuild for another depth) reads and
 * writes at once: it goes level by level, one page in memory, instead of holding every leaf and
 * level (about 1 GB at 10M leaves). A multiple of 4, so every page but a level's last has whole parents.
 */
export const FILL_PAGE = 50_000;

/** The parents of one page of level `level` (its first position a multiple of 4); a short last group is padded with empty subtrees. */
export function parentPage(shape: TreeShape, level: number, values: readonly bigint[]): bigint[] {
  const zero = zeroHashes(shape.depth)[level];
  const parents = new Array<bigint>(Math.ceil(values.length / ARITY));
  for (let p = 0; p < parents.length; p++) {
    const children: bigint[] = [];
    for (let i = 0; i < ARITY; i++) children.push(values[p * ARITY + i] ?? zero);
    parents[p] = shape.hash(children);
  }
  return parents;
}

/** One page of leaves read from index `from` on, checked for a gap (throws naming the first); their values. */
export function leafPage(from: number, rows: Array<{ leaf_index: number | string; value: string }>): bigint[] {
  return rows.map((r, k) => {
    if (Number(r.leaf_index) !== from + k) throw new Error(`leaf table has a gap: expected index ${from + k}, found ${r.leaf_index}`);
    return BigInt(r.value);
  });
}

/** A `tree_state` row as read (Postgres returns BIGINT columns as strings). */
export function toTreeState(r: { leaf_count: number | string; root: string; revision: number | string }): TreeStateRecord {
  return { leafCount: Number(r.leaf_count), root: r.root, revision: Number(r.revision) };
}

export function toTreeNode(r: { level: number | string; position: number | string; value: string }): TreeNodeRecord {
  return { level: Number(r.level), position: Number(r.position), value: r.value };
}
