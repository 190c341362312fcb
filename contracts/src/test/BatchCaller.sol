// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IComplianceGate} from "../interfaces/IComplianceGate.sol";

/// @notice TEST ONLY: submits two batches in one transaction, to show that the gate's per-batch
/// duplicate marks (transient storage, which lasts the whole transaction) are cleared after each.
contract BatchCaller {
    function twice(IComplianceGate gate, IComplianceGate.BatchEntry[] calldata first, IComplianceGate.BatchEntry[] calldata second)
        external
    {
        gate.verifyBatch(first);
        gate.verifyBatch(second);
    }
}
