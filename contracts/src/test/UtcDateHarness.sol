// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {UtcDate} from "../libraries/UtcDate.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";

/// @notice Exposes library internals to the tests.
contract UtcDateHarness {
    function toDate(uint256 timestamp) external pure returns (uint32) {
        return UtcDate.toDate(timestamp);
    }

    function toTimestamp(uint256 yyyymmdd) external pure returns (uint256) {
        return UtcDate.toTimestamp(yyyymmdd);
    }

    function poseidon5(uint256[5] memory inputs) external pure returns (uint256) {
        return PoseidonT6.hash(inputs);
    }
}
