import { createHash } from 'node:crypto';
import {
  ARITY,
  chunkCapacity,
  chunkCount,
  decodeTop,
  defaultChunkLevels,
  encodeChunk,
  encodeTop,
  hashNode,
  treeChunk,
  treeTop,
  zeroHashes,
  type NodeHash,
  type TreeLevels,
  type TreeTop,
} from '@zkkyc/tree';
import { ApiError } from '../api-error.js';
import type { TreeReader } from '../store/issuer-store.js';
import { chunkKeyString, topKeyString, type ChunkKey, type TreeFileStore, type TreeShapeKey } from '../store/tree-chunk-files.js';
import type { MerkleTree } from './issuer-tree.js';

/**
 * Tree chunks (docs/issuer-service.md, "Tree chunks: paths without asking the issuer"): each
 * published root's tree as immutable files — a top (every node above chunk level) and one file per
 * non-empty chunk of 4^chunkLevels leaves — that a holder downloads whole, so neither this service
 * nor a mirror learns which leaf it proves with.
 *
 * A capture reads the tree's state and top from the store (its upper levels: cheap) and, for each
 * chunk, only what is new: a chunk whose root and leaf count are those of the previous snapshot's,
 * or whose file some capture — by any instance — stored already (store/tree-chunk-files.ts,
 * content-addressed), costs no node read; any other chunk is read from the store's nodes, encoded
 * and stored. So a root costs reads and encoding only for the chunks it changed, and a start or a
 * follower's first capture reads no chunk's nodes once the files exist. A snapshot holds chunk
 * descriptors, not nodes: bytes are read from the store on request, through a cache bounded in bytes.
 */

/** Chunk `index` of a snapshot: what identifies its file (its root is the top's node for it). */
export type ChunkRef = Readonly<ChunkKey>;

/** One root's tree as it was when the root was read for publication. */
export interface TreeSnapshot {
  readonly root: bigint;
  readonly leafCount: number;
  readonly top: TreeTop;
  /** `chunks[n]`: chunk n (shared between snapshots when unchanged). */
  readonly chunks: readonly ChunkRef[];
}

/** A file as served: its bytes and a strong ETag (SHA-256 of the bytes). */
export interface TreeFile {
  bytes: Uint8Array;
  etag: string;
}

/** How many published roots keep their files by default: a holder proving against a root a few publications old still finds them. */
export const DEFAULT_SERVED_ROOTS = 4;
/** Chunk bytes kept in memory by default (about 24 full chunks of 65,536 leaves). */
export const DEFAULT_CHUNK_CACHE_BYTES = 64 * 2 ** 20;
/** Files stored this recently are never pruned: another instance's capture may be about to serve them. */
export const DEFAULT_PRUNE_GRACE_MS = 10 * 60_000;
/** How long a chunk that can be neither read nor rebuilt answers from memory (no store read, no hash) before it is tried again. */
export const DEFAULT_UNSERVABLE_MEMORY_MS = 60_000;
/** Chunk loads (a store read of up to 2.8 MB, or an encoding from the nodes) running at once; more wait their turn. */
export const DEFAULT_CHUNK_LOADS = 4;

export interface TreeChunkOptions {
  tree: Pick<MerkleTree, 'depth' | 'read'>;
  /** Where encoded files are kept (store/tree-chunk-files.ts): the service's database. */
  files: TreeFileStore;
  /** Levels of a chunk (4^chunkLevels leaves); `defaultChunkLevels(depth)` (8: 65,536 leaves) by default. */
  chunkLevels?: number;
  /** Published roots whose files are kept, newest first; older ones answer 404 `root_not_served`. */
  servedRoots?: number;
  /** Bytes of chunk files kept in memory (least recently used dropped first); {@link DEFAULT_CHUNK_CACHE_BYTES} by default. */
  cacheBytes?: number;
  /** Files stored more recently than this are not pruned; {@link DEFAULT_PRUNE_GRACE_MS} by default. */
  pruneGraceMs?: number;
  /** How long a chunk that could not be served is answered from memory; {@link DEFAULT_UNSERVABLE_MEMORY_MS} by default. */
  unservableMemoryMs?: number;
  /** Chunk loads at once; {@link DEFAULT_CHUNK_LOADS} by default. */
  chunkLoads?: number;
  /** The tree's node hash: checks a stored chunk against its root (one hash per load). */
  hash?: NodeHash;
  now?: () => number;
  log?: (message: string, err?: unknown) => void;
}

/** Returned by a capture attempt whose reads saw a write land (SQLite): nothing was stored from them. */
const MOVED = Symbol('tree moved');

/** What loading a chunk for a request gave: its file, or why it cannot be served (missing: pruned; corrupt: failed its check). */
type ChunkLoad = { file: TreeFile } | { missing: true } | { corrupt: string };

export class TreeChunkService {
  readonly chunkLevels: number;
  private readonly servedRoots: number;
  private readonly shape: TreeShapeKey;
  /** Newest first. */
  private served: TreeSnapshot[] = [];
  private last: TreeSnapshot | null = null;
  private readonly topFiles = new WeakMap<TreeSnapshot, TreeFile>();
  private readonly cache: ByteLru;
  private pruning: Promise<{ chunks: number; tops: number }> | null = null;
  private capturing: Promise<unknown> = Promise.resolve();
  private closing = false;
  /** One load per chunk key in flight: concurrent requests for it share the store read (or the encoding). */
  private readonly loads = new Map<string, Promise<ChunkLoad>>();
  /** Chunks found missing or corrupt with the tree no longer holding them, until when they are answered from memory. */
  private readonly unservable = new Map<string, { until: number; load: ChunkLoad }>();
  private readonly loadSlots: Slots;

  constructor(private readonly opts: TreeChunkOptions) {
    this.chunkLevels = opts.chunkLevels ?? defaultChunkLevels(opts.tree.depth);
    this.servedRoots = Math.max(1, opts.servedRoots ?? DEFAULT_SERVED_ROOTS);
    this.shape = { depth: opts.tree.depth, chunkLevels: this.chunkLevels };
    this.cache = new ByteLru(opts.cacheBytes ?? DEFAULT_CHUNK_CACHE_BYTES);
    this.loadSlots = new Slots(Math.max(1, opts.chunkLoads ?? DEFAULT_CHUNK_LOADS));
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  get depth(): number {
    return this.opts.tree.depth;
  }

  /** Chunk bytes held in memory now (bounded by `cacheBytes`). */
  get cachedBytes(): number {
    return this.cache.bytes;
  }

  /**
   * The tree as it is in the store now, or null when it is empty: its root and leaf count with the
   * chunks of that same state (one consistent read), so the files are the tree of the root returned.
   * Files of new chunks are stored as they are encoded, one at a time (memory holds one chunk's nodes).
   */
  capture(): Promise<TreeSnapshot | null> {
    // One at a time: a capture waiting behind another (the start's, a poll's, the publisher's) finds
    // the files that one stored and reads no node twice.
    const run = this.capturing.then(() => this.captureOnce());
    this.capturing = run.catch(() => undefined);
    return run;
  }

  /**
   * Whether the store holds the top and every chunk file of the latest recorded publication: then a
   * capture of that root reads no chunk's nodes (a start can wait for it). False when any is missing —
   * a first capture killed midway, another instance still capturing, an upgrade to migration 13 —
   * and the next capture encodes the missing chunks: up to O(n), to be run in the background.
   */
  async latestPublicationStored(): Promise<boolean> {
    const [top] = await this.opts.files.publishedTops(this.shape, 1);
    if (!top) return false;
    const stored = await this.opts.files.chunkKeys(this.shape);
    return this.chunkKeysOf(decodeTop(top)).every((key) => stored.has(key));
  }

  /**
   * Stops serving the roots that are not among the latest `servedRoots` recorded publications (any
   * instance's): the publisher's prune keeps only those roots' files, so an instance that missed
   * publications would otherwise list roots whose changed chunks are gone.
   */
  async forgetUnpublished(): Promise<void> {
    const published = new Set((await this.opts.files.publishedTops(this.shape, this.servedRoots)).map((bytes) => topKeyString(decodeTop(bytes))));
    this.served = this.served.filter((s) => published.has(topKeyString(s)));
  }

  /** The keys of the chunk files of the tree `top` is the top of. */
  private chunkKeysOf(top: TreeTop): string[] {
    const capacity = chunkCapacity(this.chunkLevels);
    const keys: string[] = [];
    for (let n = 0; n < chunkCount(top.leafCount, this.chunkLevels); n++) {
      keys.push(chunkKeyString({ index: n, root: top.levels[0][n], leafCount: Math.min(capacity, top.leafCount - n * capacity) }));
    }
    return keys;
  }

  private async captureOnce(): Promise<TreeSnapshot | null> {
    for (let attempt = 0; attempt < 10; attempt++) {
      // Which files exist, read first: a file only saves reading its chunk's nodes, so this list
      // need not be of the tree state read below (a key it lacks is encoded, one it has is the same bytes).
      const stored = await this.opts.files.chunkKeys(this.shape);
      const snapshot = await this.opts.tree.read((reader) => this.captureFrom(reader, stored));
      if (snapshot === MOVED) continue;
      if (snapshot && snapshot !== this.last) {
        this.last = snapshot;
        await this.opts.files.putTop(this.shape, { root: snapshot.root, leafCount: snapshot.leafCount }, this.topFile(snapshot));
      }
      return snapshot;
    }
    throw new Error('the tree kept changing while its chunks were captured; try again');
  }

  private async captureFrom(reader: TreeReader, stored: Set<string>): Promise<TreeSnapshot | null | typeof MOVED> {
    const { depth } = this.opts.tree;
    const state = await reader.state();
    const size = Math.min(state.leafCount, 2 ** depth);
    if (size === 0) return null;
    const root = BigInt(state.root);
    const previous = this.last;
    if (previous && previous.root === root && previous.leafCount === size) return previous;
    const filled = (level: number) => Math.max(1, Math.ceil(size / ARITY ** level));
    const top = treeTop(await levelsView(reader, depth, size, root, this.chunkLevels, depth / 2, (level) => [0, filled(level)]), this.chunkLevels);
    const capacity = chunkCapacity(this.chunkLevels);
    const chunks: ChunkRef[] = [];
    // Files this capture did not write: those no prune is bound to keep are stamped below.
    let reused: ChunkRef[] = [];
    const encode = async (ref: ChunkRef): Promise<boolean> => {
      if (this.closing) throw new Error('the service is closing: capture stopped');
      // SQLite reads block the event loop: let requests (and the start) through between two chunks.
      await new Promise((resolve) => setImmediate(resolve));
      const file = await this.readChunkFile(reader, size, root, ref.index);
      // SQLite: a write of this process can land between two reads. Only nodes read at the state
      // the top was read at may be stored under its chunk root.
      if ((await reader.state()).revision !== state.revision) return false;
      await this.opts.files.putChunk(this.shape, ref, file);
      stored.add(chunkKeyString(ref));
      this.cache.set(chunkKeyString(ref), file);
      return true;
    };
    for (let n = 0; n < chunkCount(size, this.chunkLevels); n++) {
      const ref: ChunkRef = { index: n, root: top.levels[0][n], leafCount: Math.min(capacity, size - n * capacity) };
      const before = previous?.chunks[n];
      const key = chunkKeyString(ref);
      // Same chunk root and leaf count: the same nodes (Poseidon is collision resistant).
      const same = before && before.root === ref.root && before.leafCount === ref.leafCount;
      chunks.push(same ? before : ref);
      if (same || stored.has(key)) {
        reused.push(ref);
        continue;
      }
      if (!(await encode(ref))) return MOVED;
    }
    if (reused.length > 0) {
      // Every prune keeps the latest publication's files (it keeps the latest publications'): not stamped.
      const [publishedTop] = await this.opts.files.publishedTops(this.shape, 1);
      const published = new Set(publishedTop ? this.chunkKeysOf(decodeTop(publishedTop)) : []);
      reused = reused.filter((ref) => !published.has(chunkKeyString(ref)));
    }
    // A prune (this instance's or another's) may have found a reused file older than its grace
    // period and needed by no recent publication: stamped now, a prune keeps it, and a prune that
    // deleted it first shows as a file not found, encoded again here.
    if (reused.length > 0 && (await this.opts.files.touchChunks(this.shape, reused)) < reused.length) {
      const present = await this.opts.files.chunkKeys(this.shape);
      for (const ref of reused) {
        if (present.has(chunkKeyString(ref))) continue;
        this.opts.log?.(`tree chunk file ${chunkKeyString(ref)} was pruned while a capture reused it; encoding it again`);
        if (!(await encode(ref))) return MOVED;
      }
    }
    return { root, leafCount: size, top, chunks };
  }

  /** Chunk `n` of the tree as `reader` sees it (`size` leaves, root `root`), encoded. */
  private async readChunkFile(reader: TreeReader, size: number, root: bigint, n: number): Promise<TreeFile> {
    const filled = (level: number) => Math.max(1, Math.ceil(size / ARITY ** level));
    const view = await levelsView(reader, this.depth, size, root, 0, this.chunkLevels - 1, (level) => {
      const width = ARITY ** (this.chunkLevels - level);
      return [n * width, Math.min((n + 1) * width, filled(level))];
    });
    return withEtag(encodeChunk(treeChunk(view, n, this.chunkLevels)));
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

  /** The top file of a served root (small: kept with the snapshot). */
  topFile(snapshot: TreeSnapshot): TreeFile {
    let file = this.topFiles.get(snapshot);
    if (!file) {
      file = withEtag(encodeTop(snapshot.top));
      this.topFiles.set(snapshot, file);
    }
    return file;
  }

  /**
   * Chunk `index` of a served root, or null when that chunk is empty (past the filled part). Read
   * from the store (or the cache) and checked against the snapshot's top before it is served; a
   * stored file that is missing or fails the check is encoded again from the nodes when the tree
   * still has that chunk. Otherwise: 404 `root_not_served` (pruned: the root is too old) or 500
   * `tree_file_corrupt`.
   */
  async chunkFile(snapshot: TreeSnapshot, index: number): Promise<TreeFile | null> {
    const ref = snapshot.chunks[index];
    if (!ref) return null;
    const key = chunkKeyString(ref);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const known = this.unservable.get(key);
    let load: ChunkLoad;
    if (known && known.until > this.now()) load = known.load;
    else {
      let loading = this.loads.get(key);
      if (!loading) {
        loading = this.loadSlots.run(() => this.loadChunk(snapshot, ref)).finally(() => this.loads.delete(key));
        this.loads.set(key, loading);
      }
      load = await loading;
    }
    if ('file' in load) return load.file;
    if ('missing' in load) {
      throw new ApiError(
        404,
        'root_not_served',
        `the files of root ${snapshot.root} are no longer kept (a newer publication replaced them); GET /tree/chunks lists the served roots`,
        'root',
        'served-root',
      );
    }
    throw new ApiError(500, 'tree_file_corrupt', `the stored file of chunk ${index} of root ${snapshot.root} does not match that root (${load.corrupt}), and the tree has moved on`);
  }

  /** Reads chunk `ref` from the store (or the cache, filled by a load just finished) and checks it; repairs it from the nodes when it can. */
  private async loadChunk(snapshot: TreeSnapshot, ref: ChunkRef): Promise<ChunkLoad> {
    const key = chunkKeyString(ref);
    const cached = this.cache.get(key);
    if (cached) return { file: cached };
    const stored = await this.opts.files.chunk(this.shape, ref);
    const problem = stored ? this.checkChunk(snapshot, ref, stored) : 'missing';
    if (problem === null) {
      this.cache.set(key, stored!);
      return { file: stored! };
    }
    if (stored) this.opts.log?.(`tree chunk file ${key} failed its check (${problem}); encoding it again from the nodes`);
    const again = await this.encodeAgain(ref);
    if (again) {
      await this.opts.files.replaceChunk(this.shape, ref, again);
      this.cache.set(key, again);
      return { file: again };
    }
    // Neither readable nor rebuildable (the tree has moved on): the same answer for a while, from memory.
    const load: ChunkLoad = stored ? { corrupt: problem } : { missing: true };
    const now = this.now();
    for (const [k, v] of this.unservable) if (v.until <= now) this.unservable.delete(k);
    this.unservable.set(key, { until: now + (this.opts.unservableMemoryMs ?? DEFAULT_UNSERVABLE_MEMORY_MS), load });
    return load;
  }

  /**
   * Why `file` is not chunk `ref` of `snapshot`, or null: its ETag must be its SHA-256 (no byte
   * changed since it was stored), its header must name this chunk, and its highest level must hash
   * to the chunk's root in the snapshot's top. Nodes below that level are not re-hashed here (21,845
   * hashes for a full chunk); a holder's path through them is checked against the root by the holder.
   */
  private checkChunk(snapshot: TreeSnapshot, ref: ChunkRef, file: TreeFile): string | null {
    const { bytes } = file;
    if (withEtag(bytes).etag !== file.etag) return 'its bytes are not those its ETag names';
    const k = this.chunkLevels;
    const sizes = Array.from({ length: k }, (_, j) => Math.ceil(ref.leafCount / ARITY ** j));
    const expected = CHUNK_HEADER_BYTES + sizes.reduce((a, b) => a + b, 0) * NODE_BYTES;
    if (bytes.length !== expected) return `${bytes.length} bytes, expected ${expected}`;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header = [0x5a, 0x4b, 0x4b, 0x54, 1, 2, this.depth, k]; // "ZKKT", format 1, kind chunk, depth, chunk levels
    if (header.some((b, i) => bytes[i] !== b) || view.getUint32(8) !== ref.index || view.getUint32(12) !== ref.leafCount) return 'its header names another chunk';
    const zero = zeroHashes(this.depth)[k - 1];
    const highest: bigint[] = [];
    let offset = expected - sizes[k - 1] * NODE_BYTES;
    for (let i = 0; i < ARITY; i++) {
      if (i < sizes[k - 1]) {
        let node = 0n;
        for (let w = 0; w < 4; w++) node = (node << 64n) | view.getBigUint64(offset + w * 8);
        highest.push(node);
        offset += NODE_BYTES;
      } else highest.push(zero);
    }
    const root = (this.opts.hash ?? hashNode)(highest);
    if (root !== ref.root || snapshot.top.levels[0][ref.index] !== ref.root) return 'it does not hash to the chunk root in the top';
    return null;
  }

  /** Chunk `ref` read again from the nodes, when the tree in the store still has it; else null. */
  private async encodeAgain(ref: ChunkRef): Promise<TreeFile | null> {
    return this.opts.tree.read(async (reader) => {
      const state = await reader.state();
      const size = Math.min(state.leafCount, 2 ** this.depth);
      const capacity = chunkCapacity(this.chunkLevels);
      if (ref.index >= chunkCount(size, this.chunkLevels) || Math.min(capacity, size - ref.index * capacity) !== ref.leafCount) return null;
      const [node] = await reader.range(this.chunkLevels, ref.index, ref.index + 1);
      const root = node ? BigInt(node.value) : zeroHashes(this.depth)[this.chunkLevels];
      if (root !== ref.root) return null;
      return this.readChunkFile(reader, size, BigInt(state.root), ref.index);
    });
  }

  /**
   * Deletes the stored files no recent root needs: kept are those of the latest `servedRoots`
   * recorded publications (any instance's), of this instance's served roots and last capture, and
   * any stored in the last `pruneGraceMs`. One prune at a time; the publisher runs it after each
   * publication. Returns how many files went.
   */
  prune(): Promise<{ chunks: number; tops: number }> {
    this.pruning ??= this.pruneNow().finally(() => {
      this.pruning = null;
    });
    return this.pruning;
  }

  /** Waits for the captures and the prune in flight (before the database closes). */
  async idle(): Promise<void> {
    await this.capturing;
    await this.pruning?.catch(() => undefined);
    await Promise.allSettled([...this.loads.values()]);
  }

  /** Stops a capture in flight at its next chunk (a background first capture can take minutes), then waits as {@link idle}. */
  async close(): Promise<void> {
    this.closing = true;
    await this.idle();
  }

  private async pruneNow(): Promise<{ chunks: number; tops: number }> {
    const keep = { chunks: new Set<string>(), tops: new Set<string>() };
    const hold = (top: TreeTop) => {
      keep.tops.add(topKeyString({ root: top.root, leafCount: top.leafCount }));
      for (const key of this.chunkKeysOf(top)) keep.chunks.add(key);
    };
    for (const s of [...this.served, ...(this.last ? [this.last] : [])]) hold(s.top);
    for (const bytes of await this.opts.files.publishedTops(this.shape, this.servedRoots)) hold(decodeTop(bytes));
    const now = this.now();
    return this.opts.files.prune(this.shape, keep, now - (this.opts.pruneGraceMs ?? DEFAULT_PRUNE_GRACE_MS));
  }
}

/** Chunk file layout (@zkkyc/tree, tree-chunks.ts): an 8-byte header, chunk index (u32), leaf count (u32), then 32-byte nodes. */
const CHUNK_HEADER_BYTES = 16;
const NODE_BYTES = 32;

/** At most `max` tasks running at once; the others wait in order. */
class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** Files by key, least recently used first; holds at most `max` bytes (a larger file is not kept). */
class ByteLru {
  private readonly files = new Map<string, TreeFile>();
  bytes = 0;

  constructor(private readonly max: number) {}

  get(key: string): TreeFile | undefined {
    const file = this.files.get(key);
    if (file) {
      this.files.delete(key);
      this.files.set(key, file);
    }
    return file;
  }

  set(key: string, file: TreeFile): void {
    const old = this.files.get(key);
    if (old) {
      this.files.delete(key);
      this.bytes -= old.bytes.byteLength;
    }
    if (file.bytes.byteLength > this.max) return;
    this.files.set(key, file);
    this.bytes += file.bytes.byteLength;
    for (const [k, f] of this.files) {
      if (this.bytes <= this.max) break;
      this.files.delete(k);
      this.bytes -= f.bytes.byteLength;
    }
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
