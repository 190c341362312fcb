// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title BabyJubJubPoint
/// @notice Checks that a pair of numbers is a usable point of Baby Jubjub's prime-order subgroup,
/// the group escrow keys live in (docs/escrow.md §1). Baby Jubjub (EIP-2494) is the twisted Edwards
/// curve `a·x² + y² = 1 + d·x²·y²`, a = 168700, d = 168696, over the BN254 scalar field `p`. It has
/// `8·l` points, `l` a 251-bit prime; the points of order `l` form the subgroup. The other points
/// — the eight of order dividing 8 and every point with such a component — are what a key must not
/// be: encrypting to them leaks the message (with `(0, p−1)` the mask is public).
///
/// The membership test is `l·P = (0, 1)`: one 251-bit scalar multiplication, so it is meant for
/// a rare administrative call (setting a policy's key), not for every registration.
///
/// The multiplication runs in extended coordinates `(X : Y : T : Z)` with `x = X/Z`, `y = Y/Z`,
/// `T = X·Y/Z` (Hisil, Wong, Carter, Dawson, "Twisted Edwards curves revisited", 2008), which need no
/// field inversion. Since `a` is a square and `d` is not, the sums below are defined for every pair
/// of curve points, so the loop needs no special case (not even for the identity).
library BabyJubJubPoint {
    /// @dev The BN254 scalar field, over which the curve is defined.
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev The curve's coefficients.
    uint256 internal constant A = 168700;
    uint256 internal constant D = 168696;
    /// @dev The order of the prime-order subgroup (251 bits).
    uint256 internal constant SUBGROUP_ORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041;

    /// @notice Whether both coordinates are field elements, i.e. below `p`. A point given with
    /// `x + p` would hash differently from the same point given with `x`.
    function isCanonical(uint256 x, uint256 y) internal pure returns (bool) {
        return x < P && y < P;
    }

    /// @notice Whether canonical `(x, y)` satisfies `a·x² + y² = 1 + d·x²·y² (mod p)`.
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        uint256 xx = mulmod(x, x, P);
        uint256 yy = mulmod(y, y, P);
        return addmod(mulmod(A, xx, P), yy, P) == addmod(1, mulmod(D, mulmod(xx, yy, P), P), P);
    }

    /// @notice Whether `(x, y)` is the neutral element `(0, 1)`.
    function isIdentity(uint256 x, uint256 y) internal pure returns (bool) {
        return x == 0 && y == 1;
    }

    /// @notice Whether the curve point `(x, y)` (canonical and on the curve: check those first) has
    /// `l·(x, y) = (0, 1)`, i.e. lies in the prime-order subgroup. Left-to-right double-and-add over
    /// the bits of `l`, adding the affine point to the extended accumulator (`Z₂ = 1`).
    function isInSubgroup(uint256 x, uint256 y) internal pure returns (bool result) {
        assembly ("memory-safe") {
            let t := mulmod(x, y, P) // T of the affine point
            // The accumulator, starting at the identity (0 : 1 : 0 : 1).
            let X := 0
            let Y := 1
            let T := 0
            let Z := 1
            for { let i := 251 } gt(i, 0) {} {
                i := sub(i, 1)
                // Doubling: with B = Y², G = a·X² + B, H = a·X² − B, E = 2·X·Y, F = G − 2·Z²,
                // the double is (E·F : G·H : E·H : F·G).
                {
                    let b := mulmod(Y, Y, P)
                    let g := addmod(mulmod(A, mulmod(X, X, P), P), b, P)
                    let h := addmod(g, sub(P, mulmod(2, b, P)), P)
                    let e := mulmod(2, mulmod(X, Y, P), P)
                    let f := addmod(g, sub(P, mulmod(2, mulmod(Z, Z, P), P)), P)
                    X := mulmod(e, f, P)
                    Y := mulmod(g, h, P)
                    T := mulmod(e, h, P)
                    Z := mulmod(f, g, P)
                }
                // Addition of (x, y, t) when bit i of l is set: with U = X·x, V = Y·y,
                // C = d·T·t, E = (X + Y)(x + y) − U − V, H = V − a·U, F = Z − C, G = Z + C,
                // the sum is (E·F : G·H : E·H : F·G).
                if and(shr(i, SUBGROUP_ORDER), 1) {
                    let u := mulmod(X, x, P)
                    let v := mulmod(Y, y, P)
                    let e := addmod(mulmod(addmod(X, Y, P), addmod(x, y, P), P), sub(P, addmod(u, v, P)), P)
                    let h := addmod(v, sub(P, mulmod(A, u, P)), P)
                    u := mulmod(D, mulmod(T, t, P), P) // C
                    v := addmod(Z, u, P) // G
                    u := addmod(Z, sub(P, u), P) // F
                    X := mulmod(e, u, P)
                    Y := mulmod(v, h, P)
                    T := mulmod(e, h, P)
                    Z := mulmod(u, v, P)
                }
            }
            // (X : Y : T : Z) is (0, 1) exactly when X = 0 and Y = Z (Z is never 0 on the curve).
            result := and(iszero(X), eq(Y, Z))
        }
    }
}
