pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";

// Root of a binary Poseidon Merkle tree, walked up from a leaf.
//
// `indexBits[i]` says whether the running node is the right child at level i
// (least significant bit first, as in docs/protocol.md). The caller must have
// constrained every index bit to 0 or 1 (Num2Bits does this).
//
// One multiplication per level chooses the order of the pair: with
// d = bit * (sibling - node), the left input is node + d and the right input
// is sibling - d, which swaps the two exactly when bit = 1.
template MerkleRoot(depth) {
    signal input leaf;
    signal input indexBits[depth];
    signal input siblings[depth];
    signal output root;

    signal node[depth + 1];
    signal swap[depth];
    node[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        swap[i] <== indexBits[i] * (siblings[i] - node[i]);
        node[i + 1] <== Poseidon(2)([node[i] + swap[i], siblings[i] - swap[i]]);
    }
    root <== node[depth];
}
