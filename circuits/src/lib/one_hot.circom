pragma circom 2.1.6;

// out[i] = 1 when in == i, else 0, for a value the caller has already
// range-checked to [0, n). Each out[i] * (in - i) = 0 forces every entry
// except out[in] to zero; requiring the entries to sum to 1 then fixes
// out[in] = 1, so no entry is left for the prover to choose.
template OneHot(n) {
    signal input in;
    signal output out[n];

    var total = 0;
    for (var i = 0; i < n; i++) {
        out[i] <-- in == i ? 1 : 0;
        out[i] * (in - i) === 0;
        total += out[i];
    }
    total === 1;
}
