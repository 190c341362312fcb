pragma circom 2.1.6;

include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/escalarmulfix.circom";
include "circomlib/circuits/escalarmulany.circom";
include "circomlib/circuits/poseidon.circom";

// The escrow ciphertext of a leaf index (docs/escrow.md §3): hashed ElGamal on
// Baby Jubjub with Poseidon as the key derivation,
//
//     R = r·Base8,   K = r·E,   c = leafIndex + Poseidon(K.x, K.y)  (mod p),
//
// for the escrow public key E (a point of the prime-order subgroup, order l)
// and the holder's fresh randomness r. Whoever knows e with E = e·Base8 gets
// K = e·R and subtracts the mask.
//
// r is decomposed into RBITS = 246 bits, so 0 <= r < 2^246 < l (l is between
// 2^250 and 2^251): the bits are unique (no field wrap-around), r ↦ R is
// one-to-one, and R = r·Base8 and K = r·E use the same bits, so K = e·R
// whatever r the prover picks. r = 0 is refused (one constraint: r has an
// inverse); it would make R and K the identity and c the leaf index in the
// clear. A 246-bit r is uniform over 1/24 of [1, l): finding r from R is a
// discrete logarithm in an interval of 2^246, about 2^123 group operations
// (Pollard's kangaroo), against 2^125 for a full-range r, and above the
// ~100-bit security of the BN254 pairing the whole proof system rests on.
// 246 bits is also the largest scalar circomlib's EscalarMulFix handles in
// one segment (docs/protocol.md, "Escrow").
//
// The scalar multiplications are circomlib's: EscalarMulFix for the fixed
// base (windows over precomputed multiples of Base8) and EscalarMulAny for E
// (a Montgomery ladder in segments of 148 bits). Both assume their point is in
// the prime-order subgroup; E is a private input bound to the public policy
// hash, so it is the policy's key, validated off-circuit where the policy is
// set and by the holder's prover (docs/protocol.md, "Escrow"). E is checked
// to be on the curve here (3 constraints), which costs nothing worth saving.
template LeafIndexEncryption() {
    var RBITS = 246;
    var BASE8[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];

    signal input r;
    signal input leafIndex;
    signal input escrowKey[2];
    signal output R[2];
    signal output c;

    // 0 < r < 2^246.
    signal rBits[RBITS] <== Num2Bits(RBITS)(r);
    signal rInverse <-- r != 0 ? 1 / r : 0;
    r * rInverse === 1;

    BabyCheck()(escrowKey[0], escrowKey[1]);

    R <== EscalarMulFix(RBITS, BASE8)(rBits);
    signal K[2] <== EscalarMulAny(RBITS)(rBits, escrowKey);
    signal mask <== Poseidon(2)(K);
    c <== leafIndex + mask;
}
