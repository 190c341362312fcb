// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IERC7943Fungible
/// @notice ERC-7943 ("uRWA", status Final), the form for ERC-20 tokens: a small common surface
/// through which wallets and DeFi protocols can ask a regulated token who may send, who may
/// receive, whether one transfer would pass and how much of a balance is frozen, and through which
/// an authorised party freezes amounts and moves tokens by force. The function and event
/// signatures, the errors and the ERC-165 id (0x3edbb4c4) are the standard's; the wording is ours.
/// How PermissionedToken maps onto it: docs/contracts.md, "ERC-7943 and the ERC-3643 token ABI".
interface IERC7943Fungible is IERC165 {
    /// @notice Tokens were moved by force from `from` to `to` (after the ERC-20 `Transfer`).
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount);

    /// @notice The frozen amount of `account` is now `amount` (the total after the change, not a delta).
    event Frozen(address indexed account, uint256 amount);

    /// @notice `account` may not send tokens at the moment.
    error ERC7943CannotSend(address account);

    /// @notice `account` may not receive tokens at the moment.
    error ERC7943CannotReceive(address account);

    /// @notice The transfer of `amount` from `from` to `to` is refused by the token's rules.
    error ERC7943CannotTransfer(address from, address to, uint256 amount);

    /// @notice `account` holds `amount` but less than that is unfrozen (`unfrozen` is what it may move).
    error ERC7943InsufficientUnfrozenBalance(address account, uint256 amount, uint256 unfrozen);

    /// @notice Moves `amount` from `from` to `to` whatever the holder's freezes, for an authorised
    /// caller only (seizure, court order, recovery). Reverts rather than returning false.
    function forcedTransfer(address from, address to, uint256 amount) external returns (bool result);

    /// @notice Sets the frozen amount of `account` to `amount` (it replaces the old value, like
    /// ERC-20 `approve`); `amount` may exceed the current balance, holding back future receipts.
    /// For an authorised caller only. Reverts rather than returning false.
    function setFrozenTokens(address account, uint256 amount) external returns (bool result);

    /// @notice Whether `account`, as an account, may send: eligibility only, whatever the amount or
    /// counterparty. Never reverts.
    function canSend(address account) external view returns (bool allowed);

    /// @notice Whether `account`, as an account, may receive. Never reverts.
    function canReceive(address account) external view returns (bool allowed);

    /// @notice The frozen amount of `account`; it may exceed the balance.
    function getFrozenTokens(address account) external view returns (uint256 amount);

    /// @notice Whether moving `amount` from `from` to `to` passes the token's permissioned checks
    /// now: `canSend(from)`, `canReceive(to)`, `amount` within the unfrozen balance, and any other
    /// rule. A plain shortage of balance is ERC-20's refusal and is not reported here. Never reverts.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed);
}
