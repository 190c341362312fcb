// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IComplianceRule} from "../interfaces/IComplianceRule.sol";
import {IComplianceGate} from "../interfaces/IComplianceGate.sol";

/// @notice What a rule needs from the token it serves.
interface IGatedToken {
    function gate() external view returns (IComplianceGate);
    function policyId() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
}

/// @title TokenBoundRule
/// @notice Base of the rules that keep state about one token's holders: only that token may report
/// movements, and holders are grouped by investor as the token's gate binds them.
abstract contract TokenBoundRule is AccessControl, IComplianceRule {
    error NotToken(address caller);
    error ZeroAddress(string field);

    IGatedToken public immutable token;
    IComplianceGate public immutable gate;
    uint256 public immutable policyId;

    constructor(IGatedToken token_, address admin) {
        if (address(token_) == address(0)) revert ZeroAddress("token");
        if (admin == address(0)) revert ZeroAddress("admin");
        token = token_;
        gate = token_.gate();
        policyId = token_.policyId();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    modifier onlyToken() {
        if (msg.sender != address(token)) revert NotToken(msg.sender);
        _;
    }

    /// @notice The key a wallet's holdings are summed under: its investor tag from the gate (all of
    /// one person's wallets share it), or, for a wallet bound to no investor, a key of its own.
    /// Tags are below 2^192, so the two kinds never collide.
    function investorKey(address wallet) public view returns (uint256) {
        uint256 tag = gate.investorOf(policyId, wallet);
        return tag != 0 ? tag : (uint256(1) << 192) | uint160(wallet);
    }
}
