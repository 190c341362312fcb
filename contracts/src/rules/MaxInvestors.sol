// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {InvestorBalances} from "./InvestorBalances.sol";
import {IGatedToken} from "./TokenBoundRule.sol";
import {TransferCodes} from "../libraries/TransferCodes.sol";

/// @title MaxInvestors
/// @notice Caps the number of distinct investors (not wallets) holding the token, as offering
/// exemptions often do. At the cap, a new investor may still come in if the sender's whole holding
/// goes with the transfer (one investor replaces another).
contract MaxInvestors is InvestorBalances {
    event MaxInvestorsChanged(uint256 previous, uint256 current);

    uint256 public maxInvestors;

    constructor(IGatedToken token_, address admin, uint256 maxInvestors_) InvestorBalances(token_, admin) {
        maxInvestors = maxInvestors_;
        emit MaxInvestorsChanged(0, maxInvestors_);
    }

    /// @notice Changes the cap (DEFAULT_ADMIN_ROLE).
    function setMaxInvestors(uint256 newMax) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit MaxInvestorsChanged(maxInvestors, newMax);
        maxInvestors = newMax;
    }

    /// @notice Refuses (code 18) a movement that would bring in an investor beyond the cap, unless
    /// the sender's whole holding goes with it.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool, uint8) {
        if (amount == 0) return (true, TransferCodes.OK);
        // Moving an own-key sum to its investor (see InvestorBalances) never adds an investor.
        (uint256 toKey, uint256 toUnmoved) = _keyOf(to, token.balanceOf(to) != 0);
        if (investorBalance[toKey] + toUnmoved != 0) return (true, TransferCodes.OK);
        if (investorCount < maxInvestors) return (true, TransferCodes.OK);
        if (from != address(0)) {
            (uint256 fromKey, uint256 fromUnmoved) = _keyOf(from, true);
            if (fromKey == toKey || investorBalance[fromKey] + fromUnmoved == amount) return (true, TransferCodes.OK);
        }
        return (false, TransferCodes.MAX_INVESTORS_REACHED);
    }
}
