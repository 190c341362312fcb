pragma circom 2.1.6;

include "circomlib/circuits/bitify.circom";

// Asserts a <= b for values the caller has range-checked to [0, 2^n).
//
// If a <= b, then b - a lies in [0, 2^n) and has an n-bit decomposition. If
// a > b, the field subtraction wraps to r - (a - b), far above 2^n (r is a
// 254-bit prime and n is small), so no decomposition exists. This is an
// assertion rather than circomlib's LessEqThan, which returns a bit: half
// the signals, and none left unused.
template AtMost(n) {
    signal input a;
    signal input b;
    _ <== Num2Bits(n)(b - a);
}
