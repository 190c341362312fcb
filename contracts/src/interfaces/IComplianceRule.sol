// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IComplianceRule
/// @notice One transfer rule a PermissionedToken consults (and keeps informed) on every movement.
/// `from == address(0)` means a mint. A rule reports a refusal as a reason code from
/// {TransferCodes} rather than reverting, so `canTransfer` views can explain it to a user.
interface IComplianceRule {
    /// @notice Whether moving `amount` from `from` to `to` is allowed by this rule, and if not why.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool ok, uint8 code);

    /// @notice Called by the token after a transfer (including forced transfers and recoveries).
    function transferred(address from, address to, uint256 amount) external;

    /// @notice Called by the token after a mint.
    function created(address to, uint256 amount) external;

    /// @notice Called by the token after a burn.
    function destroyed(address from, uint256 amount) external;
}
