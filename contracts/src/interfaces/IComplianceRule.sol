// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IComplianceRule
/// @notice One transfer rule a PermissionedToken consults (and keeps informed) on every movement.
/// `from == address(0)` means a mint. A rule reports a refusal as a reason code from
/// {TransferCodes} rather than reverting, so `canTransfer` views can explain it to a user.
///
/// A rule answers ERC-165 for `type(IComplianceRule).interfaceId` (the four functions below): the
/// token's `addRule` refuses anything else, because a wrong address there would stop every
/// transfer. How the token treats a misbehaving rule: `canTransfer` runs with a gas bound and its
/// answer is checked; a revert, a malformed answer or running out of gas counts as a refusal
/// (code 9, CHECK_FAILED), and a hook that reverts makes the movement revert. A rule fails closed.
interface IComplianceRule is IERC165 {
    /// @notice Whether moving `amount` from `from` to `to` is allowed by this rule, and if not why
    /// (a code of 16 or more; a refusal with a code below 16 — 0 or one of the token's own codes —
    /// is treated as CHECK_FAILED, so a rule cannot pass its refusal off as the token's).
    function canTransfer(address from, address to, uint256 amount) external view returns (bool ok, uint8 code);

    /// @notice Called by the token after a transfer (including forced transfers and recoveries).
    function transferred(address from, address to, uint256 amount) external;

    /// @notice Called by the token after a mint.
    function created(address to, uint256 amount) external;

    /// @notice Called by the token after a burn.
    function destroyed(address from, uint256 amount) external;
}
