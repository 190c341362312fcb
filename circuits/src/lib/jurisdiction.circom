pragma circom 2.1.6;

include "circomlib/circuits/bitify.circom";
include "./one_hot.circom";

// Proves that bit `index` of `mask` is set, for a 249-bit mask of allowed
// jurisdictions and an 8-bit index.
//
// Picking one bit out of 249 the direct way costs a product per bit. Instead
// the mask is read as 16 rows of 16 bits: the index's high nibble picks a row
// (16 products), the row is split back into bits, and the low nibble picks a
// bit in it (16 products). An index of 249..255 lands on a position past the
// mask's top bit, which is always 0, so such an index is refused.
template JurisdictionAllowed() {
    var BITS = 249;
    signal input index;
    signal input mask;

    // Range checks: the index is 8 bits and the mask 249 bits, so both
    // decompositions are unique (249 < 254, no wrap-around).
    signal indexBits[8] <== Num2Bits(8)(index);
    signal maskBits[BITS] <== Num2Bits(BITS)(mask);

    signal rowChoice[16] <== OneHot(16)(indexBits[4] + 2 * indexBits[5] + 4 * indexBits[6] + 8 * indexBits[7]);
    signal bitChoice[16] <== OneHot(16)(indexBits[0] + 2 * indexBits[1] + 4 * indexBits[2] + 8 * indexBits[3]);

    // row[r] as a 16-bit number; positions past bit 248 are zero.
    var row[16];
    for (var r = 0; r < 16; r++) {
        row[r] = 0;
        for (var c = 0; c < 16; c++) {
            if (16 * r + c < BITS) {
                row[r] += maskBits[16 * r + c] * (1 << c);
            }
        }
    }

    signal pickedRowTerm[16];
    var pickedRow = 0;
    for (var r = 0; r < 16; r++) {
        pickedRowTerm[r] <== rowChoice[r] * row[r];
        pickedRow += pickedRowTerm[r];
    }
    signal pickedRowBits[16] <== Num2Bits(16)(pickedRow);

    signal pickedBitTerm[16];
    var pickedBit = 0;
    for (var c = 0; c < 16; c++) {
        pickedBitTerm[c] <== bitChoice[c] * pickedRowBits[c];
        pickedBit += pickedBitTerm[c];
    }
    pickedBit === 1;
}
