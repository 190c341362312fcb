/**
 * @zkkyc/tree — the issuer's set of credentials: a fixed-depth quaternary (arity 4) Poseidon Merkle
 * tree with append, revoke, Merkle paths and a leaf export (docs/protocol.md, "Issuer tree").
 */
export { IssuerTree, type MerkleProof } from './issuer-tree.js';
export { ARITY, hashNode, zeroHashes, SNARK_FIELD } from './hash.js';
export { TreeError } from './errors.js';
