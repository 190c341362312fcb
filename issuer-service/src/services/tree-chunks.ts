import { createHash } from 'node:crypto';
import {
  chunkCapacity,
  chunkCount,
  defaultChunkLevels,
  encodeChunk,
  encodeTop,
  treeChunk,
  treeTop,
  type TreeChunk,
  type TreeLevels,
  type TreeTop,
} from '@zkkyc/tree';

/**
 * Tree chunks (docs/issuer-service.md, "Tree chunks: paths without asking the issuer"): each
 * published root's tree as immutable files — a top (every node above chunk level) and one file per
 * non-empty chunk of 4^chunkLevels leaves — that a holder downloads whole, so neither this service
 * nor a mirror learns which leaf it proves with.
 *
 * Publication only takes a snapshot: the tree already keeps every node, so the top is a copy of its
 * upper levels and a chunk a copy of its leaves and inner nodes — nothing is hashed. A chunk whose root and
 * length are those of the previous snapshot's is shared, not copied again (issuance appends to the
 * last chunk, a revocation touches one), so a root costs memory only for the chunks it changed.
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
  tree: TreeLevels;
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
   * The tree as it is now, or null when it is empty. Synchronous, so that it is the tree of the
   * root read in the same tick (the publisher reads the root, then captures, with no await between).
   */
  capture(): TreeSnapshot | null {
    const { tree } = this.opts;
    if (tree.size === 0) return null;
    const previous = this.last;
    if (previous && previous.root === tree.root && previous.leafCount === tree.size) return previous;
    const top = treeTop(tree, this.chunkLevels);
    const capacity = chunkCapacity(this.chunkLevels);
    const chunks: TreeChunk[] = [];
    for (let n = 0; n < chunkCount(tree.size, this.chunkLevels); n++) {
      const length = Math.min(capacity, tree.size - n * capacity);
      const before = previous?.chunks[n];
      // Same chunk root and leaf count: the same nodes (Poseidon is collision resistant).
      const unchanged = before !== undefined && before.levels[0].length === length && previous!.top.levels[0][n] === top.levels[0][n];
      chunks.push(unchanged ? before : treeChunk(tree, n, this.chunkLevels));
    }
    this.last = { root: tree.root, leafCount: tree.size, top, chunks };
    return this.last;
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

function withEtag(bytes: Uint8Array): TreeFile {
  return { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url')}"` };
}
