pragma circom 2.1.6;

include "circomlib/circuits/bitify.circom";

// Proves that the holder's investor classes meet the policy: the policy's
// 16-bit mask is empty (any class will do), or it shares a bit with the
// holder's 16-bit class mask.
//
// Both "is empty" and "shares a bit" are computed as running products of
// (1 - bit), so every intermediate signal is fixed by the inputs; an IsZero
// gadget would leave its inverse free whenever the mask is 0.
template InvestorClassAllowed() {
    signal input classes;
    signal input requiredMask;

    signal classBits[16] <== Num2Bits(16)(classes);
    signal maskBits[16] <== Num2Bits(16)(requiredMask);

    // noneRequired[i] = 1 while mask bits 0..i are all zero.
    // noOverlap[i] = 1 while no bit among 0..i is in both masks.
    signal noneRequired[16];
    signal shared[16];
    signal noOverlap[16];
    noneRequired[0] <== 1 - maskBits[0];
    shared[0] <== classBits[0] * maskBits[0];
    noOverlap[0] <== 1 - shared[0];
    for (var i = 1; i < 16; i++) {
        noneRequired[i] <== noneRequired[i - 1] * (1 - maskBits[i]);
        shared[i] <== classBits[i] * maskBits[i];
        noOverlap[i] <== noOverlap[i - 1] * (1 - shared[i]);
    }
    // Refused exactly when something is required and nothing is shared.
    (1 - noneRequired[15]) * noOverlap[15] === 0;
}
