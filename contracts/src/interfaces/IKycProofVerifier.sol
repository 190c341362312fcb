// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IKycProofVerifier
/// @notice The Groth16 verifier snarkjs generates for the `kycPolicy` circuit (one per tree depth).
/// Public signals, in order: nullifier, root, policyHash, context (docs/protocol.md).
interface IKycProofVerifier {
    function verifyProof(
        uint256[2] calldata _pA,
        uint256[2][2] calldata _pB,
        uint256[2] calldata _pC,
        uint256[4] calldata _pubSignals
    ) external view returns (bool);
}
