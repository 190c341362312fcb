// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IKycEscrowProofVerifier
/// @notice The Groth16 verifier snarkjs generates for the `kycPolicyEscrow` circuit (depth 32 only).
/// Public signals, in order: nullifier, escrowX (the ciphertext's R.x), escrowC, root, policyHash
/// (the escrow policy hash), context (docs/protocol.md, "Escrow").
interface IKycEscrowProofVerifier {
    function verifyProof(
        uint256[2] calldata _pA,
        uint256[2][2] calldata _pB,
        uint256[2] calldata _pC,
        uint256[6] calldata _pubSignals
    ) external view returns (bool);
}
