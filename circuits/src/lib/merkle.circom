pragma circom 2.1.6;

include "circomlib/circuits/poseidon.circom";

// Root of a quaternary Poseidon Merkle tree, walked up from a leaf.
//
// At level i the running node sits at position p = 2 * indexBits[2i + 1] +
// indexBits[2i] among four children; siblings[i] holds the other three in
// position order. The caller must have constrained every index bit to 0 or 1
// (Num2Bits does this).
//
// Arity 4 halves the levels of a binary tree for a hash that costs 297
// constraints instead of 240, so a path is about 37% cheaper (docs/protocol.md).
template MerkleRoot4(levels) {
    signal input leaf;
    signal input indexBits[2 * levels];
    signal input siblings[levels][3];
    signal output root;

    signal node[levels + 1];
    node[0] <== leaf;
    component place[levels];
    for (var i = 0; i < levels; i++) {
        place[i] = PlaceAmongSiblings();
        place[i].node <== node[i];
        place[i].low <== indexBits[2 * i];
        place[i].high <== indexBits[2 * i + 1];
        place[i].siblings <== siblings[i];
        node[i + 1] <== Poseidon(4)(place[i].children);
    }
    root <== node[levels];
}

// The four children of a level in order: `node` at position p = 2 * high + low,
// the three siblings filling the other positions in their order.
//
// With one-hot flags e0..e3 for p (only e3 = low * high needs a product; the
// others are linear in it), child k is the node when p = k, the sibling just
// below k when p < k, and the sibling at k otherwise. Each child is a base
// value plus flag-weighted differences: 6 products for the four children.
template PlaceAmongSiblings() {
    signal input node;
    signal input low;
    signal input high;
    signal input siblings[3];
    signal output children[4];

    signal e3 <== low * high;
    var e2 = high - e3;
    var e1 = low - e3;
    var e0 = 1 - low - high + e3;

    // p == 0: node; else siblings[0].
    signal d0 <== e0 * (node - siblings[0]);
    children[0] <== siblings[0] + d0;

    // p == 1: node; p == 0: siblings[0]; else siblings[1].
    signal d1a <== e1 * (node - siblings[1]);
    signal d1b <== e0 * (siblings[0] - siblings[1]);
    children[1] <== siblings[1] + d1a + d1b;

    // p == 2: node; p < 2: siblings[1]; else siblings[2].
    signal d2a <== e2 * (node - siblings[2]);
    signal d2b <== (e0 + e1) * (siblings[1] - siblings[2]);
    children[2] <== siblings[2] + d2a + d2b;

    // p == 3: node; else siblings[2].
    signal d3 <== e3 * (node - siblings[2]);
    children[3] <== siblings[2] + d3;
}
