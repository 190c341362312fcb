// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title TransferCodes
/// @notice The reason codes `PermissionedToken.transferStatus` returns, in the order the token checks
/// them. 0 means allowed; 1–15 are the token's own checks; 16 and above come from compliance rules.
/// The SDK mirrors this table (packages/sdk/src/contracts.ts).
library TransferCodes {
    uint8 internal constant OK = 0;
    uint8 internal constant INVALID_RECEIVER = 1;
    uint8 internal constant PAUSED = 2;
    uint8 internal constant SENDER_FROZEN = 3;
    uint8 internal constant INSUFFICIENT_BALANCE = 4;
    uint8 internal constant INSUFFICIENT_UNFROZEN_BALANCE = 5;
    uint8 internal constant RECEIVER_FROZEN = 6;
    uint8 internal constant SENDER_NOT_VERIFIED = 7;
    uint8 internal constant RECEIVER_NOT_VERIFIED = 8;
    uint8 internal constant CHECK_FAILED = 9; // the gate reverted, or a rule failed (reverted, ran out of its gas bound, answered malformed)

    /// @notice The lowest code a rule may refuse with. A rule answering a code below it (one of the
    /// token's own, e.g. PAUSED) is treated as failing (CHECK_FAILED), so no rule can make a refusal
    /// look like the token's own check.
    uint8 internal constant FIRST_RULE_CODE = 16;

    uint8 internal constant MAX_BALANCE_EXCEEDED = 16;
    uint8 internal constant LOCKED_UP = 17;
    uint8 internal constant MAX_INVESTORS_REACHED = 18;
    uint8 internal constant VOLUME_LIMIT_EXCEEDED = 19;
    uint8 internal constant SENDER_SANCTIONED = 20;
    uint8 internal constant RECEIVER_SANCTIONED = 21;
    uint8 internal constant APPROVAL_REQUIRED = 22; // TransferApproval: request it, a compliance agent decides
    uint8 internal constant HELD_FOR_REVIEW = 23; // TransferApproval: the tokens are reserved by the sender's pending transfers
}
