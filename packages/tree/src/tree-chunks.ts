import { TreeError } from './errors.js';
import { ARITY, hashNode, SNARK_FIELD, zeroHashes } from './hash.js';
import type { MerkleProof } from './issuer-tree.js';

/**
 * Tree chunks: a published root's tree as static files, so a holder builds its Merkle path without
 * asking the issuer which leaf it wants (docs/issuer-service.md, "Tree chunks").
 *
 * The tree (docs/protocol.md, "Issuer tree") is cut at `chunkLevels` levels above the leaves:
 * - a **chunk** is one subtree of `4^chunkLevels` leaves, shipped with its inner nodes (every level
 *   below the chunk root), so the holder hashes only its own path: `depth / 2` Poseidon4 hashes
 *   instead of re-hashing 21,845 nodes of a full chunk (about 10 s of BigInt Poseidon on our machine);
 * - the **top** holds every node from the chunk roots up to the root, level by level.
 * A holder fetches the top and the one chunk holding its leaf: the chunk number reveals only a range
 * of `4^chunkLevels` leaves. Only the filled prefix of each level is shipped; what lies past it is
 * an empty subtree, a known constant (`zeroHashes`). Nothing in either file is trusted: the path
 * the holder takes from them (its leaf, the siblings) must hash to the root it read on chain, or it
 * is refused; nodes off that path are not used, so altering them changes nothing the holder believes.
 *
 * Both files are big-endian binary: 32 bytes per node (a field element), after a header of
 * `"ZKKT"`, format version, kind (1 top, 2 chunk), depth (bits), chunkLevels.
 */

/** A chunk of 4^8 = 65,536 leaves: the anonymity set of a holder who downloads it (file 2.67 MiB when full). */
export const DEFAULT_CHUNK_LEVELS = 8;
/** Leaf counts in a chunk header are u32, so a chunk holds at most 4^12 leaves. */
const MAX_CHUNK_LEVELS = 12;
const MAGIC = [0x5a, 0x4b, 0x4b, 0x54]; // "ZKKT"
const VERSION = 1;
const KIND_TOP = 1;
const KIND_CHUNK = 2;
const NODE_BYTES = 32;
const HEADER_BYTES = 8;
/** Header + leafCount (u64) + root. */
const TOP_HEADER_BYTES = HEADER_BYTES + 8 + NODE_BYTES;
/** Header + chunk index (u32) + leaves in the file (u32). */
const CHUNK_HEADER_BYTES = HEADER_BYTES + 4 + 4;

/** The nodes above chunk level of one root's tree. `levels[0]` are the chunk roots; the last level is `[root]`. */
export interface TreeTop {
  depth: number;
  chunkLevels: number;
  /** Leaves in the tree at this root (revoked ones count: they keep their slot). */
  leafCount: number;
  root: bigint;
  /** `levels[j]`: the first `ceil(leafCount / 4^(chunkLevels + j))` nodes of tree level `chunkLevels + j`. */
  levels: bigint[][];
}

/**
 * One subtree: `levels[0]` its leaves (tree leaves `index·4^chunkLevels …`, trailing empty slots
 * left out), `levels[j]` the filled `ceil(levels[0].length / 4^j)` nodes of level j, up to
 * `chunkLevels - 1` (the chunk root is in the top).
 */
export interface TreeChunk {
  depth: number;
  chunkLevels: number;
  index: number;
  levels: bigint[][];
}

/** The chunk level a tree of `depth` bits is cut at: {@link DEFAULT_CHUNK_LEVELS}, or the whole tree when it is smaller. */
export function defaultChunkLevels(depth: number): number {
  return Math.min(DEFAULT_CHUNK_LEVELS, depth / 2);
}

/** Leaves per chunk. */
export function chunkCapacity(chunkLevels: number): number {
  return ARITY ** chunkLevels;
}

/** The chunk that holds leaf `leafIndex`. */
export function chunkIndexOf(leafIndex: number, chunkLevels: number): number {
  return Math.floor(leafIndex / chunkCapacity(chunkLevels));
}

/** How many chunks a tree of `leafCount` leaves has (the only ones that exist: the rest are empty). */
export function chunkCount(leafCount: number, chunkLevels: number): number {
  return Math.ceil(leafCount / chunkCapacity(chunkLevels));
}

function assertShape(depth: unknown, chunkLevels: unknown, field: string): asserts depth is number {
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 2 || depth > 32 || depth % 2 !== 0) {
    throw new TreeError(`${field}.depth`, 'even-2-32', `${String(depth)} is not an even depth in 2..32`);
  }
  if (typeof chunkLevels !== 'number' || !Number.isInteger(chunkLevels) || chunkLevels < 1 || chunkLevels > Math.min(MAX_CHUNK_LEVELS, depth / 2)) {
    throw new TreeError(`${field}.chunkLevels`, 'chunk-levels', `${String(chunkLevels)} is not in 1..${Math.min(MAX_CHUNK_LEVELS, depth / 2)} (levels of the tree, at most ${MAX_CHUNK_LEVELS})`);
  }
}

function writeNode(view: DataView, offset: number, value: bigint): void {
  for (let i = 3; i >= 0; i--) {
    view.setBigUint64(offset + i * 8, value & 0xffffffffffffffffn);
    value >>= 64n;
  }
}

function readNode(view: DataView, offset: number, field: string): bigint {
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 64n) | view.getBigUint64(offset + i * 8);
  if (value >= SNARK_FIELD) throw new TreeError(field, 'field-element', 'is not below the BN254 scalar field order');
  return value;
}

function writeHeader(view: DataView, kind: number, depth: number, chunkLevels: number): void {
  MAGIC.forEach((b, i) => view.setUint8(i, b));
  view.setUint8(4, VERSION);
  view.setUint8(5, kind);
  view.setUint8(6, depth);
  view.setUint8(7, chunkLevels);
}

function readHeader(bytes: Uint8Array, kind: number, field: string, minLength: number): { view: DataView; depth: number; chunkLevels: number } {
  if (!(bytes instanceof Uint8Array)) throw new TreeError(field, 'bytes', 'must be a Uint8Array');
  if (bytes.length < minLength) throw new TreeError(field, 'length', `${bytes.length} bytes is shorter than its ${minLength}-byte header`);
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new TreeError(field, 'magic', 'does not start with "ZKKT": not a tree file');
  if (bytes[4] !== VERSION) throw new TreeError(field, 'version', `format version ${bytes[4]} is not ${VERSION}`);
  if (bytes[5] !== kind)
    throw new TreeError(field, 'kind', `is a ${bytes[5] === KIND_TOP ? 'top' : bytes[5] === KIND_CHUNK ? 'chunk' : 'unknown'} file, not a ${kind === KIND_TOP ? 'top' : 'chunk'} file`);
  const depth = bytes[6];
  const chunkLevels = bytes[7];
  assertShape(depth, chunkLevels, field);
  return { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), depth, chunkLevels };
}

/** Node counts of the top's levels for `leafCount` leaves: chunk level up to the root. */
function topLevelSizes(depth: number, chunkLevels: number, leafCount: number): number[] {
  const sizes: number[] = [];
  for (let level = chunkLevels; level <= depth / 2; level++) sizes.push(Math.max(1, Math.ceil(leafCount / ARITY ** level)));
  return sizes;
}

/** The top file's bytes. Throws a TreeError when the levels do not have the sizes `leafCount` gives. */
export function encodeTop(top: TreeTop): Uint8Array {
  assertShape(top.depth, top.chunkLevels, 'top');
  if (!Number.isInteger(top.leafCount) || top.leafCount < 1 || top.leafCount > 2 ** top.depth) {
    throw new TreeError('top.leafCount', 'tree-size', `${top.leafCount} is not in 1..2^${top.depth}`);
  }
  const sizes = topLevelSizes(top.depth, top.chunkLevels, top.leafCount);
  if (top.levels.length !== sizes.length || top.levels.some((level, j) => level.length !== sizes[j])) {
    throw new TreeError('top.levels', 'level-sizes', `expected levels of ${sizes.join(', ')} nodes`);
  }
  const nodes = sizes.reduce((a, b) => a + b, 0);
  const bytes = new Uint8Array(TOP_HEADER_BYTES + nodes * NODE_BYTES);
  const view = new DataView(bytes.buffer);
  writeHeader(view, KIND_TOP, top.depth, top.chunkLevels);
  view.setBigUint64(HEADER_BYTES, BigInt(top.leafCount));
  writeNode(view, HEADER_BYTES + 8, top.root);
  let offset = TOP_HEADER_BYTES;
  for (const level of top.levels) {
    for (const node of level) {
      writeNode(view, offset, node);
      offset += NODE_BYTES;
    }
  }
  return bytes;
}

/** Reads a top file; throws a TreeError (field `top`) for anything but a well-formed one. Checks no hash. */
export function decodeTop(bytes: Uint8Array): TreeTop {
  const { view, depth, chunkLevels } = readHeader(bytes, KIND_TOP, 'top', TOP_HEADER_BYTES);
  const count = view.getBigUint64(HEADER_BYTES);
  if (count < 1n || count > 2n ** BigInt(depth)) throw new TreeError('top.leafCount', 'tree-size', `${count} is not in 1..2^${depth}`);
  const leafCount = Number(count);
  const root = readNode(view, HEADER_BYTES + 8, 'top.root');
  const sizes = topLevelSizes(depth, chunkLevels, leafCount);
  const expected = TOP_HEADER_BYTES + sizes.reduce((a, b) => a + b, 0) * NODE_BYTES;
  if (bytes.length !== expected) throw new TreeError('top', 'length', `${bytes.length} bytes, expected ${expected} for ${leafCount} leaves`);
  let offset = TOP_HEADER_BYTES;
  const levels = sizes.map((size, j) =>
    Array.from({ length: size }, (_, i) => {
      const node = readNode(view, offset, `top.levels[${j}][${i}]`);
      offset += NODE_BYTES;
      return node;
    }),
  );
  return { depth, chunkLevels, leafCount, root, levels };
}

/** Node counts of a chunk's levels (leaves first) for `leaves` leaves. */
function chunkLevelSizes(chunkLevels: number, leaves: number): number[] {
  return Array.from({ length: chunkLevels }, (_, j) => Math.ceil(leaves / ARITY ** j));
}

/** A chunk file's bytes: the header, then each level's nodes, leaves first. */
export function encodeChunk(chunk: TreeChunk): Uint8Array {
  assertShape(chunk.depth, chunk.chunkLevels, 'chunk');
  const leaves = chunk.levels[0]?.length ?? 0;
  if (leaves < 1 || leaves > chunkCapacity(chunk.chunkLevels)) {
    throw new TreeError('chunk.levels', 'chunk-capacity', `${leaves} leaves: a chunk holds 1..${chunkCapacity(chunk.chunkLevels)}`);
  }
  const sizes = chunkLevelSizes(chunk.chunkLevels, leaves);
  if (chunk.levels.length !== sizes.length || chunk.levels.some((level, j) => level.length !== sizes[j])) {
    throw new TreeError('chunk.levels', 'level-sizes', `expected levels of ${sizes.join(', ')} nodes`);
  }
  const bytes = new Uint8Array(CHUNK_HEADER_BYTES + sizes.reduce((a, b) => a + b, 0) * NODE_BYTES);
  const view = new DataView(bytes.buffer);
  writeHeader(view, KIND_CHUNK, chunk.depth, chunk.chunkLevels);
  view.setUint32(HEADER_BYTES, chunk.index);
  view.setUint32(HEADER_BYTES + 4, leaves);
  let offset = CHUNK_HEADER_BYTES;
  for (const level of chunk.levels) {
    for (const node of level) {
      writeNode(view, offset, node);
      offset += NODE_BYTES;
    }
  }
  return bytes;
}

/** Reads a chunk file; throws a TreeError (field `chunk`) for anything but a well-formed one. Checks no hash. */
export function decodeChunk(bytes: Uint8Array): TreeChunk {
  const { view, depth, chunkLevels } = readHeader(bytes, KIND_CHUNK, 'chunk', CHUNK_HEADER_BYTES);
  const index = view.getUint32(HEADER_BYTES);
  const count = view.getUint32(HEADER_BYTES + 4);
  if (count < 1 || count > chunkCapacity(chunkLevels)) throw new TreeError('chunk.leafCount', 'chunk-capacity', `${count} leaves: a chunk holds 1..${chunkCapacity(chunkLevels)}`);
  if (index >= ARITY ** (depth / 2 - chunkLevels)) throw new TreeError('chunk.index', 'in-tree', `chunk ${index} is outside a tree of depth ${depth}`);
  const sizes = chunkLevelSizes(chunkLevels, count);
  const expected = CHUNK_HEADER_BYTES + sizes.reduce((a, b) => a + b, 0) * NODE_BYTES;
  if (bytes.length !== expected) throw new TreeError('chunk', 'length', `${bytes.length} bytes, expected ${expected} for ${count} leaves`);
  let offset = CHUNK_HEADER_BYTES;
  const levels = sizes.map((size, j) =>
    Array.from({ length: size }, (_, i) => {
      const node = readNode(view, offset, `chunk.levels[${j}][${i}]`);
      offset += NODE_BYTES;
      return node;
    }),
  );
  return { depth, chunkLevels, index, levels };
}

/**
 * A leaf read from a top and a chunk, checked against a root: its value (0 = revoked, or an empty
 * slot) and its path. `siblings` are those of `MerkleProof`; when `leaf` is 0 the path proves the
 * slot is empty at `root`, not membership.
 */
export type ChunkedLeaf = MerkleProof;

/**
 * The leaf at `leafIndex` and its Merkle path, from a top file and the chunk that holds the leaf,
 * verified against `root` (the root the holder trusts: read on chain). Throws a TreeError:
 * - `root` / `expected-root`: the top is for another root;
 * - `leafIndex` / `in-tree`: the tree at this root has no leaf `leafIndex` yet (issued after it);
 * - `chunk.index` / `holds-leaf`, `chunk.depth` / `matches-top`: the wrong chunk;
 * - `chunk` / `matches-top`, `top` / `hashes-to-root`: a file was altered (or belongs to another tree).
 * Everything the path uses is hashed up to `root`, so a mirror cannot make a wrong path pass.
 */
export function leafFromChunks(args: { root: bigint; leafIndex: number; top: TreeTop; chunk: TreeChunk }): ChunkedLeaf {
  const { root, leafIndex, top, chunk } = args;
  if (typeof root !== 'bigint' || root < 0n || root >= SNARK_FIELD) throw new TreeError('root', 'field-element', 'must be a bigint in [0, r)');
  if (top.root !== root) throw new TreeError('root', 'expected-root', `the top file is for root ${top.root}, not ${root}`);
  if (!Number.isInteger(leafIndex) || leafIndex < 0) throw new TreeError('leafIndex', 'non-negative-integer', `${String(leafIndex)} is not a leaf index`);
  if (leafIndex >= top.leafCount) {
    throw new TreeError('leafIndex', 'in-tree', `the tree at this root holds ${top.leafCount} leaves; leaf ${leafIndex} came later`);
  }
  if (chunk.depth !== top.depth || chunk.chunkLevels !== top.chunkLevels) {
    throw new TreeError('chunk.depth', 'matches-top', `chunk of depth ${chunk.depth}/${chunk.chunkLevels} levels, top of ${top.depth}/${top.chunkLevels}`);
  }
  const k = top.chunkLevels;
  const levels = top.depth / 2;
  if (chunk.index !== chunkIndexOf(leafIndex, k)) throw new TreeError('chunk.index', 'holds-leaf', `chunk ${chunk.index} does not hold leaf ${leafIndex}`);
  const zeros = zeroHashes(top.depth);
  const siblings: bigint[][] = [];
  const siblingsAt = (nodes: bigint[], position: number, zero: bigint): bigint[] => {
    const first = position - (position % ARITY);
    const out: bigint[] = [];
    for (let i = first; i < first + ARITY; i++) if (i !== position) out.push(nodes[i] ?? zero);
    return out;
  };

  if (chunk.levels.length !== k) throw new TreeError('chunk.levels', 'level-sizes', `a chunk of ${k} levels ships ${k} levels, not ${chunk.levels.length}`);
  // Inside the chunk: the path's siblings from the chunk's levels, hashed up to the chunk root,
  // which must be the top's node for this chunk (else the chunk, or the top, was altered).
  let position = leafIndex % chunkCapacity(k);
  let node = chunk.levels[0][position] ?? 0n;
  const leaf = node;
  const climb = (sibs: bigint[]) => {
    siblings.push(sibs);
    const children = sibs.slice();
    children.splice(position % ARITY, 0, node);
    node = hashNode(children);
    position = Math.floor(position / ARITY);
  };
  for (let level = 0; level < k; level++) climb(siblingsAt(chunk.levels[level], position, zeros[level]));
  if (node !== top.levels[0][chunk.index])
    throw new TreeError('chunk', 'matches-top', `the path in chunk ${chunk.index} does not hash to the top file's node for it: the chunk or the top was altered`);

  // Above the chunk: siblings from the top, then the whole path must hash to the trusted root.
  position = chunk.index;
  for (let level = k; level < levels; level++) climb(siblingsAt(top.levels[level - k], position, zeros[level]));
  if (node !== root) throw new TreeError('top', 'hashes-to-root', 'the path from the chunk and the top file does not hash to the root: a file was altered');
  return { root, leaf, index: leafIndex, siblings };
}

/** What {@link treeTop} and {@link treeChunk} read: an IssuerTree, or anything keeping its levels. */
export interface TreeLevels {
  readonly depth: number;
  readonly size: number;
  readonly root: bigint;
  /** The filled nodes of `level` (0 = leaves) from `start` to `end` (exclusive, clipped to the filled part). */
  nodes(level: number, start?: number, end?: number): bigint[];
}

/** The top of `tree` as it is now: copies the nodes above chunk level (about size / 4^chunkLevels · 4/3 of them), hashes nothing. */
export function treeTop(tree: TreeLevels, chunkLevels: number = defaultChunkLevels(tree.depth)): TreeTop {
  assertShape(tree.depth, chunkLevels, 'tree');
  if (tree.size < 1) throw new TreeError('tree.size', 'non-empty', 'an empty tree has no top file');
  const levels: bigint[][] = [];
  for (let level = chunkLevels; level <= tree.depth / 2; level++) {
    const nodes = tree.nodes(level);
    // IMT keeps a node per filled slot; a level whose filled part is empty still has its one node (the root).
    levels.push(nodes.length > 0 ? nodes : [tree.root]);
  }
  return { depth: tree.depth, chunkLevels, leafCount: tree.size, root: tree.root, levels };
}

/** Chunk `index` of `tree` as it is now (a copy of its leaves and inner nodes; nothing hashed). Throws for a chunk past the filled part. */
export function treeChunk(tree: TreeLevels, index: number, chunkLevels: number = defaultChunkLevels(tree.depth)): TreeChunk {
  assertShape(tree.depth, chunkLevels, 'tree');
  if (!Number.isInteger(index) || index < 0 || index >= chunkCount(tree.size, chunkLevels)) {
    throw new TreeError('index', 'existing-chunk', `${String(index)} is not a chunk of a tree of ${tree.size} leaves (${chunkCount(tree.size, chunkLevels)} chunks)`);
  }
  const levels: bigint[][] = [];
  for (let level = 0; level < chunkLevels; level++) {
    const width = ARITY ** (chunkLevels - level);
    levels.push(tree.nodes(level, index * width, (index + 1) * width));
  }
  return { depth: tree.depth, chunkLevels, index, levels };
}
