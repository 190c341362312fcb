// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IComplianceRule} from "../interfaces/IComplianceRule.sol";
import {TransferCodes} from "../libraries/TransferCodes.sol";

/// @title SanctionsList
/// @notice Wallets an oracle has flagged (e.g. from a sanctions screening feed) can neither send nor
/// receive. The list holds no per-token state, so several tokens can share one. An agent can still
/// move a flagged wallet's balance to custody with the token's `forcedTransfer`.
///
/// Roles: `DEFAULT_ADMIN_ROLE` (one holder, handed over in two steps with OpenZeppelin's
/// `beginDefaultAdminTransfer` / `acceptDefaultAdminTransfer`, delay 0 to start with) grants roles;
/// `ORACLE_ROLE` adds and removes wallets. Two steps because the admin is who can restore the
/// oracle: a hand-over to a mistyped address must not take it away.
contract SanctionsList is AccessControlDefaultAdminRules, IComplianceRule {
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");

    event SanctionSet(address indexed wallet, bool sanctioned, address indexed oracle);

    mapping(address wallet => bool) public isSanctioned;

    /// @param oracle may be the zero address: the admin grants ORACLE_ROLE later. Refuses a zero
    /// admin (`AccessControlInvalidDefaultAdmin`).
    constructor(address admin, address oracle) AccessControlDefaultAdminRules(0, admin) {
        if (oracle != address(0)) _grantRole(ORACLE_ROLE, oracle);
    }

    /// @notice Flags `wallets` (ORACLE_ROLE).
    function addSanctioned(address[] calldata wallets) external onlyRole(ORACLE_ROLE) {
        for (uint256 i = 0; i < wallets.length; i++) _set(wallets[i], true);
    }

    /// @notice Clears `wallets` (ORACLE_ROLE).
    function removeSanctioned(address[] calldata wallets) external onlyRole(ORACLE_ROLE) {
        for (uint256 i = 0; i < wallets.length; i++) _set(wallets[i], false);
    }

    /// @notice Refuses a flagged sender (code 20) or receiver (code 21); a mint checks the receiver.
    function canTransfer(address from, address to, uint256) external view returns (bool, uint8) {
        if (from != address(0) && isSanctioned[from]) return (false, TransferCodes.SENDER_SANCTIONED);
        if (isSanctioned[to]) return (false, TransferCodes.RECEIVER_SANCTIONED);
        return (true, TransferCodes.OK);
    }

    // Stateless: nothing to track, and harmless for anyone to call.

    /// @notice Hook: nothing to record.
    function transferred(address, address, uint256) external {}

    /// @notice Hook: nothing to record.
    function created(address, uint256) external {}

    /// @notice Hook: nothing to record.
    function destroyed(address, uint256) external {}

    /// @notice ERC-165: IComplianceRule, AccessControl(DefaultAdminRules) and ERC-165 itself (the
    /// token's `addRule` asks).
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(AccessControlDefaultAdminRules, IERC165)
        returns (bool)
    {
        return interfaceId == type(IComplianceRule).interfaceId || super.supportsInterface(interfaceId);
    }

    function _set(address wallet, bool sanctioned) private {
        isSanctioned[wallet] = sanctioned;
        emit SanctionSet(wallet, sanctioned, msg.sender);
    }
}
