// GENERATED from circuits/artifacts/kycPolicy32/verification_key.json by circuits/scripts/batch-verifier.mjs. Do not edit.
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IKycBatchVerifier} from "../interfaces/IKycBatchVerifier.sol";

/// @title KycPolicyBatchVerifier32
/// @notice Checks up to MAX_PROOFS Groth16 proofs of one verification key at once (docs/protocol.md,
/// "Batches"). With coefficients r_i < 2^128 hashed from the batch (r_0 = 1), it accepts iff
///
///   Π_i e(r_i·A_i, B_i) · e(−s·α, β) · e(−L, γ) · e(−Σ_i r_i·C_i, δ) = 1,
///   s = Σ_i r_i,   L = s·IC0 + Σ_j (Σ_i r_i·x_ij)·IC_j,
///
/// which is the product of the proofs' own equations e(A_i, B_i) = e(α, β)·e(L_i, γ)·e(C_i, δ),
/// each raised to r_i: N + 3 pairings and 2N + 4 scalar multiplications for N proofs.
contract KycPolicyBatchVerifier32 is IKycBatchVerifier {
    /// @inheritdoc IKycBatchVerifier
    uint256 public constant MAX_PROOFS = 32;

    /// @dev Separates this hash from every other keccak use in the system.
    bytes32 private constant DOMAIN = keccak256("zkkyc/groth16-batch/v1");

    /// @dev BN254's scalar field (public signals are below it) and base field (coordinates are).
    uint256 private constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 private constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    // The verification key. G2 points are in the pairing precompile's order (imaginary part first).
    uint256 private constant ALPHA_X = 6018647961074454148579189125508869887224373598548143344122304726379610820518;
    uint256 private constant ALPHA_Y = 7729522976310292818924119943417206629560385341311301429639615015350663048916;
    uint256 private constant BETA_X1 = 13836379871908500047461220739269263068244966228107606039020200127804731179056;
    uint256 private constant BETA_X0 = 6533310297417648699782570813233747966349842926354318429984192871875166280906;
    uint256 private constant BETA_Y1 = 6933968972742865289156224572731750071475771386527859657143021589298380734433;
    uint256 private constant BETA_Y0 = 19195013904043761089153410814369513550470100276893607111018184163246412840330;
    uint256 private constant GAMMA_X1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 private constant GAMMA_X0 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 private constant GAMMA_Y1 = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 private constant GAMMA_Y0 = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 private constant DELTA_X1 = 4717478988611047407142909111366160673542319876175885509594505369516576234444;
    uint256 private constant DELTA_X0 = 10618293603701785697823922515492859787669744911026016080823045966141567694914;
    uint256 private constant DELTA_Y1 = 10760457224948823558159378321555581481195849824650361934772355062727147361431;
    uint256 private constant DELTA_Y0 = 1110302185803442715267631823562855493918476180689211731800607952826744832130;
    uint256 private constant IC0_X = 14838381180655750618055079801736386057764065269186926419856765864551430155938;
    uint256 private constant IC0_Y = 10450650013799302396667934418674865884975061292038217725075080203685486176444;
    uint256 private constant IC1_X = 3263621756426589361863521237418283623311250867816183338715892060949058945798;
    uint256 private constant IC1_Y = 18168473984456415164883064916277673329472131630712837294312875202274211313996;
    uint256 private constant IC2_X = 11553573433295385268705775365013227394669869935429995967929845941061064363607;
    uint256 private constant IC2_Y = 20276223467666555986879070613131879995669754274964489969019142097578441041716;
    uint256 private constant IC3_X = 21807885309135974858420977907676627939058010968100234252645950706871738732685;
    uint256 private constant IC3_Y = 20680511987718778795942073269926334071313801253220337603373294422203968073592;
    uint256 private constant IC4_X = 10291373241561638990344421045463654973821378916589879102782186028936288790753;
    uint256 private constant IC4_Y = 7976686932963506329614396713746270112005882546975261342734321253378857713685;

    /// @inheritdoc IKycBatchVerifier
    function verifyProofs(uint256[12][] calldata proofs, bytes32 context)
        external
        view
        returns (bool valid, bytes32 digest)
    {
        uint256 n = proofs.length;
        if (n == 0 || n > MAX_PROOFS) return (false, bytes32(0));
        digest = _digest(proofs, context);

        // The pairing precompile's input: (r_i·A_i, B_i) per proof, then the three key terms.
        uint256[] memory pairs = new uint256[](6 * (n + 3));
        // The sums over the proofs: s = Σ r_i (below 33·2^128, never reduced), Σ_i r_i·x_ij mod R
        // per public signal j, and Σ r_i·C_i (from the point at infinity, (0, 0)).
        uint256[7] memory sums;
        for (uint256 i = 0; i < n; ++i) {
            if (!_addProof(proofs[i], _coefficient(digest, i), pairs, 6 * i, sums)) return (false, digest);
        }
        if (!_addKeyTerms(pairs, 6 * n, sums)) return (false, digest);
        valid = _pairingIsOne(pairs);
    }

    /// @dev Adds proof `p` with coefficient `r`: writes (r·A, B) at `pairs[at..at+6]` and adds to
    /// `sums` (s, x_0..x_3, C.x, C.y). False if the proof is malformed or a point is off the curve.
    function _addProof(uint256[12] calldata p, uint256 r, uint256[] memory pairs, uint256 at, uint256[7] memory sums)
        private
        view
        returns (bool)
    {
        if (!_wellFormed(p)) return false;
        sums[0] += r;
        sums[1] = addmod(sums[1], mulmod(r, p[8], R), R);
        sums[2] = addmod(sums[2], mulmod(r, p[9], R), R);
        sums[3] = addmod(sums[3], mulmod(r, p[10], R), R);
        sums[4] = addmod(sums[4], mulmod(r, p[11], R), R);
        (bool ok, uint256 x, uint256 y) = _mul(p[0], p[1], r);
        if (!ok) return false;
        // pairs[at..at+6] = (x, y, B): written directly, B copied from calldata as it is.
        assembly ("memory-safe") {
            let slot := add(add(pairs, 0x20), shl(5, at))
            mstore(slot, x)
            mstore(add(slot, 0x20), y)
            calldatacopy(add(slot, 0x40), add(p, 0x40), 0x80)
        }
        (ok, x, y) = _mul(p[6], p[7], r);
        if (!ok) return false;
        (ok, sums[5], sums[6]) = _add(sums[5], sums[6], x, y);
        return ok;
    }

    /// @dev Writes the key's three pairs at `pairs[k..k+18]`: (−s·α, β), (−L, γ), (−Σ r_i·C_i, δ),
    /// with L = s·IC0 + Σ_j x_j·IC_j (the public signals of every proof, weighted, in one sum).
    function _addKeyTerms(uint256[] memory pairs, uint256 k, uint256[7] memory sums) private view returns (bool) {
        uint256 s = sums[0];
        (bool ok, uint256 x, uint256 y) = _mul(ALPHA_X, ALPHA_Y, s);
        if (!ok) return false;
        (pairs[k], pairs[k + 1]) = (x, _negate(y));
        (pairs[k + 2], pairs[k + 3], pairs[k + 4], pairs[k + 5]) = (BETA_X1, BETA_X0, BETA_Y1, BETA_Y0);

        (ok, x, y) = _mul(IC0_X, IC0_Y, s);
        uint256[8] memory ic = [IC1_X, IC1_Y, IC2_X, IC2_Y, IC3_X, IC3_Y, IC4_X, IC4_Y];
        for (uint256 j = 0; j < 4 && ok; j++) {
            (bool mulOk, uint256 tx, uint256 ty) = _mul(ic[2 * j], ic[2 * j + 1], sums[1 + j]);
            (ok, x, y) = _add(x, y, tx, ty);
            ok = ok && mulOk;
        }
        if (!ok) return false;
        (pairs[k + 6], pairs[k + 7]) = (x, _negate(y));
        (pairs[k + 8], pairs[k + 9], pairs[k + 10], pairs[k + 11]) = (GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0);

        (pairs[k + 12], pairs[k + 13]) = (sums[5], _negate(sums[6]));
        (pairs[k + 14], pairs[k + 15], pairs[k + 16], pairs[k + 17]) = (DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0);
        return true;
    }

    /// @dev Coefficient i of the batch with digest `digest`: 1 for the first proof (scaling every
    /// term by a constant changes nothing), 128 bits of keccak256(digest, i) for the others.
    function _coefficient(bytes32 digest, uint256 i) internal pure virtual returns (uint256 r) {
        if (i == 0) return 1;
        assembly ("memory-safe") {
            // keccak256(abi.encode(digest, i)), hashed in the scratch space
            mstore(0x00, digest)
            mstore(0x20, i)
            r := shr(128, keccak256(0x00, 0x40))
        }
    }

    /// @dev keccak256(DOMAIN ‖ context ‖ every word of every proof, in order), i.e.
    /// keccak256(abi.encodePacked(DOMAIN, context, words)): the proofs' calldata, hashed as it is.
    function _digest(uint256[12][] calldata proofs, bytes32 context) private pure returns (bytes32 digest) {
        bytes32 domain = DOMAIN;
        assembly ("memory-safe") {
            let m := mload(0x40)
            let size := mul(proofs.length, 0x180)
            mstore(m, domain)
            mstore(add(m, 0x20), context)
            calldatacopy(add(m, 0x40), proofs.offset, size)
            digest := keccak256(m, add(size, 0x40))
        }
    }

    /// @dev Every coordinate below q, every public signal below r, and none of A, B, C the point at
    /// infinity (the precompiles read (0, 0) as it; no honest proof has it, and it would let one
    /// pairing of the product vanish whatever the other point is).
    function _wellFormed(uint256[12] calldata p) private pure returns (bool ok) {
        assembly ("memory-safe") {
            ok := 1
            for { let w := 0 } lt(w, 8) { w := add(w, 1) } {
                ok := and(ok, lt(calldataload(add(p, shl(5, w))), Q))
            }
            for { let w := 8 } lt(w, 12) { w := add(w, 1) } {
                ok := and(ok, lt(calldataload(add(p, shl(5, w))), R))
            }
            let a := or(calldataload(p), calldataload(add(p, 0x20)))
            let b := or(or(calldataload(add(p, 0x40)), calldataload(add(p, 0x60))), or(calldataload(add(p, 0x80)), calldataload(add(p, 0xa0))))
            let c := or(calldataload(add(p, 0xc0)), calldataload(add(p, 0xe0)))
            ok := and(ok, and(iszero(iszero(a)), and(iszero(iszero(b)), iszero(iszero(c)))))
        }
    }

    /// @dev −P for P = (x, y) on BN254: (x, q − y); the point at infinity (0, 0) is its own negative.
    function _negate(uint256 y) private pure returns (uint256) {
        return y == 0 ? 0 : Q - y;
    }

    /// @dev k·P through the ecMul precompile (0x07); k = 1 returns P unchecked (the pairing or the
    /// addition that uses it checks it is on the curve). False when P is not on the curve.
    function _mul(uint256 px, uint256 py, uint256 k) private view returns (bool ok, uint256 x, uint256 y) {
        if (k == 1) return (true, px, py);
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, px)
            mstore(add(m, 0x20), py)
            mstore(add(m, 0x40), k)
            ok := staticcall(gas(), 0x07, m, 0x60, m, 0x40)
            x := mload(m)
            y := mload(add(m, 0x20))
        }
    }

    /// @dev P + Q through the ecAdd precompile (0x06). False when a point is not on the curve.
    function _add(uint256 px, uint256 py, uint256 qx, uint256 qy) private view returns (bool ok, uint256 x, uint256 y) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, px)
            mstore(add(m, 0x20), py)
            mstore(add(m, 0x40), qx)
            mstore(add(m, 0x60), qy)
            ok := staticcall(gas(), 0x06, m, 0x80, m, 0x40)
            x := mload(m)
            y := mload(add(m, 0x20))
        }
    }

    /// @dev Whether the product of the pairings of `pairs` (six words per pair) is 1, through the
    /// pairing precompile (0x08), which refuses points off the curve and G2 points outside the subgroup.
    function _pairingIsOne(uint256[] memory pairs) private view returns (bool) {
        bool ok;
        uint256 result;
        assembly ("memory-safe") {
            let m := mload(0x40)
            ok := staticcall(gas(), 0x08, add(pairs, 0x20), mul(mload(pairs), 0x20), m, 0x20)
            result := mload(m)
        }
        return ok && result == 1;
    }
}
