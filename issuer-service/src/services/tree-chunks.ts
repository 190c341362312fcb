import { createHash } from 'node:crypto';
import { ARITY, chunkCapacity, chunkCount, defaultChunkLevels, encodeChunk, encodeTop, treeChunk, treeTop, zeroHashes, type TreeChunk, type TreeLevels, type TreeTop } from '@zkkyc/tree';
import type { TreeReader } from '../store/issuer-store.js';
import type { MerkleTree } from './issuer-tree.js';

/**
 * Tree chunks (docs/issuer-service.md, "Tree chunks: paths without asking the issuer"): each
 * published root's tree as immutable files — a top (every node above chunk level) and one file per
 * non-empty chunk of 4^chunkLevels leaves — that a holder downloads whole, so neither this service
 * nor a mirror learns which leaf it proves with.
 *
 * Publication only takes a snapshot: the store keeps every node (migration 9), so the top is a read
 * of its upper levels and a chunk a read of its leaves and inner nodes — nothing is hashed, and all
 * reads of one capture see one tree state. A chunk whose root and length are those of the previous
 * snapshot's is shared, not read again (issuance appends to the last chunk, a revocation touches
 * one), so a root costs reads and memory only for the chunks it changed.
 * The bytes are encoded on first request and kept with the snapshot (a shared chunk's bytes too).
 */

/** One root's tree as it was when the root was read for publication. */
export interface TreeSnapshot {
  readonly root: bigint;
  readonly leafCount: number;
  readonly top: TreeTop;
  /** `chunks[n]`: chunk n (shared between snapshots when unchanged). */
  readonly chunks: readonly TreeChunk[];
}

/** A file as served: its bytes and a strong ETag (SHA-256 of the bytes). */
export interface TreeFile {
  bytes: Uint8Array;
  etag: string;
}

/** How many published roots keep their files by default: a holder proving against a root a few publications old still finds them. */
export const DEFAULT_SERVED_ROOTS = 4;

export interface TreeChunkOptions {
  tree: Pick<MerkleTree, 'depth' | 'read'>;
  /** Levels of a chunk (4^chunkLevels leaves); `defaultChunkLevels(depth)` (8: 65,536 leaves) by default. */
  chunkLevels?: number;
  /** Published roots whose files are kept, newest first; older ones answer 404 `root_not_served`. */
  servedRoots?: number;
}

export class TreeChunkService {
  readonly chunkLevels: number;
  private readonly servedRoots: number;
  /** Newest first. */
  private served: TreeSnapshot[] = [];
  private last: TreeSnapshot | null = null;
  private readonly topFiles = new WeakMap<TreeSnapshot, TreeFile>();
  private readonly chunkFiles = new WeakMap<TreeChunk, TreeFile>();

  constructor(private readonly opts: TreeChunkOptions) {
    this.chunkLevels = opts.chunkLevels ?? defaultChunkLevels(opts.tree.depth);
    this.servedRoots = Math.max(1, opts.servedRoots ?? DEFAULT_SERVED_ROOTS);
  }

  get depth(): number {
    return this.opts.tree.depth;
  }

  /**
   * The tree as it is in the store now, or null when it is empty: its root and leaf count with the
   * nodes of that same state (one consistent read), so the files are the tree of the root returned.
   */
  async capture(): Promise<TreeSnapshot | null> {
    const { depth } = this.opts.tree;
    return this.opts.tree.read(async (reader) => {
      const state = await reader.state();
      const size = Math.min(state.leafCount, 2 ** depth);
      if (size === 0) return null;
      const root = BigInt(state.root);
      const previous = this.last;
      if (previous && previous.root === root && previous.leafCount === size) return previous;
      const filled = (level: number) => Math.max(1, Math.ceil(size / ARITY ** level));
      const top = treeTop(await levelsView(reader, depth, size, root, this.chunkLevels, depth / 2, (level) => [0, filled(level)]), this.chunkLevels);
      const capacity = chunkCapacity(this.chunkLevels);
      const chunks: TreeChunk[] = [];
      for (let n = 0; n < chunkCount(size, this.chunkLevels); n++) {
        const length = Math.min(capacity, size - n * capacity);
        const before = previous?.chunks[n];
        // Same chunk root and leaf count: the same nodes (Poseidon is collision resistant).
        const unchanged = before !== undefined && before.levels[0].length === length && previous!.top.levels[0][n] === top.levels[0][n];
        if (unchanged) {
          chunks.push(before);
          continue;
        }
        const view = await levelsView(reader, depth, size, root, 0, this.chunkLevels - 1, (level) => {
          const width = ARITY ** (this.chunkLevels - level);
          return [n * width, Math.min((n + 1) * width, filled(level))];
        });
        chunks.push(treeChunk(view, n, this.chunkLevels));
      }
      this.last = { root, leafCount: size, top, chunks };
      return this.last;
    });
  }

  /** Serves `snapshot`'s files from now on (a root recorded as published), dropping the oldest beyond the limit. */
  serve(snapshot: TreeSnapshot): void {
    if (this.served[0] === snapshot) return;
    this.served = [snapshot, ...this.served.filter((s) => s.root !== snapshot.root)].slice(0, this.servedRoots);
  }

  /** Served roots, newest first. */
  roots(): readonly TreeSnapshot[] {
    return this.served;
  }

  snapshot(root: bigint): TreeSnapshot | null {
    return this.served.find((s) => s.root === root) ?? null;
  }

  /** The top file of a served root. */
  topFile(snapshot: TreeSnapshot): TreeFile {
    let file = this.topFiles.get(snapshot);
    if (!file) {
      file = withEtag(encodeTop(snapshot.top));
      this.topFiles.set(snapshot, file);
    }
    return file;
  }

  /** Chunk `index` of a served root, or null when that chunk is empty (past the filled part). */
  chunkFile(snapshot: TreeSnapshot, index: number): TreeFile | null {
    const chunk = snapshot.chunks[index];
    if (!chunk) return null;
    let file = this.chunkFiles.get(chunk);
    if (!file) {
      file = withEtag(encodeChunk(chunk));
      this.chunkFiles.set(chunk, file);
    }
    return file;
  }
}

/**
 * Reads levels `from..to` of the stored tree, each in the range `range(level)` gives, and offers
 * them as the `TreeLevels` the chunk functions cut from (a node not stored is an empty subtree).
 */
async function levelsView(reader: TreeReader, depth: number, size: number, root: bigint, from: number, to: number, range: (level: number) => [number, number]): Promise<TreeLevels> {
  const zeros = zeroHashes(depth);
  const read = new Map<number, { start: number; values: bigint[] }>();
  for (let level = from; level <= to; level++) {
    const [start, end] = range(level);
    const values = new Array<bigint>(Math.max(0, end - start)).fill(zeros[level]);
    for (const node of await reader.range(level, start, end)) values[node.position - start] = BigInt(node.value);
    read.set(level, { start, values });
  }
  return {
    depth,
    size,
    root,
    nodes(level: number, start = 0, end?: number): bigint[] {
      const got = read.get(level);
      if (!got) throw new Error(`level ${level} was not read`);
      const filled = Math.ceil(size / ARITY ** level);
      const stop = Math.min(end ?? filled, filled);
      if (start < got.start || stop - got.start > got.values.length) throw new Error(`nodes ${start}..${stop} of level ${level} were not read`);
      return got.values.slice(start - got.start, Math.max(start, stop) - got.start);
    },
  };
}

function withEtag(bytes: Uint8Array): TreeFile {
  return { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url')}"` };
}
