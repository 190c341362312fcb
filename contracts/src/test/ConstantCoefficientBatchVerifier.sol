// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {KycPolicyBatchVerifier32} from "../verifiers/KycPolicyBatchVerifier32.sol";

/// @notice TEST ONLY: the batch verifier with every coefficient 1, i.e. the naive sum of the proofs'
/// equations. The soundness tests show it accepts batches the real verifier refuses, so that they
/// would fail if the coefficients stopped depending on the batch.
contract ConstantCoefficientBatchVerifier is KycPolicyBatchVerifier32 {
    function _coefficient(bytes32, uint256) internal pure override returns (uint256) {
        return 1;
    }
}
