// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IKycBatchVerifier
/// @notice Checks many Groth16 proofs of one verification key with one pairing product
/// (docs/protocol.md, "Batches"). A proof is 12 words: A.x, A.y, B.x (two words, in the order the
/// pairing precompile takes them), B.y (two words), C.x, C.y, then its four public signals
/// (nullifier, root, policyHash, context).
interface IKycBatchVerifier {
    /// @notice The most proofs one call takes.
    function MAX_PROOFS() external view returns (uint256);

    /// @notice True iff every proof is valid, up to a probability of error ≤ 2^-128 over the
    /// coefficients, which come from `digest`: the keccak hash of a domain tag, `context` (the
    /// caller's own commitment to where it checks them, e.g. its chain id and address) and every
    /// word of `proofs` (docs/protocol.md, "Batches"). False for a value out of range (a signal ≥ r,
    /// a coordinate ≥ q), a point at infinity, a point the precompiles refuse (not on the curve or,
    /// for B, not in the subgroup), and an empty or too large batch (with digest 0).
    function verifyProofs(uint256[12][] calldata proofs, bytes32 context) external view returns (bool valid, bytes32 digest);
}
