/**
 * @zkkyc/tree — the issuer's set of credentials: a fixed-depth quaternary (arity 4) Poseidon Merkle
 * tree with append, revoke, Merkle paths, a leaf export, and the tree cut into
 * static files (a top and leaf chunks) holders build their paths from (docs/protocol.md, "Issuer tree").
 */
export { IssuerTree, type MerkleProof } from './issuer-tree.js';
export { ARITY, hashNode, zeroHashes, SNARK_FIELD } from './hash.js';
export { TreeError } from './errors.js';
export { buildLevels, emptyRoot, pathKeys, pathRoot, proofFromNodes, siblingsToRead, updatedNodes, type NodeHash, type NodeKey, type NodeReader, type NodeValue } from './node-updates.js';
export {
  DEFAULT_CHUNK_LEVELS,
  chunkCapacity,
  chunkCount,
  chunkIndexOf,
  decodeChunk,
  decodeTop,
  defaultChunkLevels,
  encodeChunk,
  encodeTop,
  leafFromChunks,
  treeChunk,
  treeTop,
  type ChunkedLeaf,
  type TreeChunk,
  type TreeLevels,
  type TreeTop,
} from './tree-chunks.js';
