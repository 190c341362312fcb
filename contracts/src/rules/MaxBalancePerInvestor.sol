// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {InvestorBalances} from "./InvestorBalances.sol";
import {IGatedToken} from "./TokenBoundRule.sol";
import {TransferCodes} from "../libraries/TransferCodes.sol";

/// @title MaxBalancePerInvestor
/// @notice Caps what one investor may hold, summed over every wallet bound to them in the gate, so
/// splitting holdings across wallets (or lending a credential) does not get around the cap.
/// Moving tokens between one investor's own wallets is always allowed.
contract MaxBalancePerInvestor is InvestorBalances {
    event MaxBalanceChanged(uint256 previous, uint256 current);

    uint256 public maxBalance;

    constructor(IGatedToken token_, address admin, uint256 maxBalance_) InvestorBalances(token_, admin) {
        maxBalance = maxBalance_;
        emit MaxBalanceChanged(0, maxBalance_);
    }

    /// @notice Changes the cap (DEFAULT_ADMIN_ROLE); holdings already above it stay, but cannot grow.
    function setMaxBalance(uint256 newMax) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit MaxBalanceChanged(maxBalance, newMax);
        maxBalance = newMax;
    }

    /// @notice Refuses (code 16) a movement that would take the receiving investor's sum above the
    /// cap, unless the tokens stay with one investor (same key on both sides).
    function canTransfer(address from, address to, uint256 amount) external view returns (bool, uint8) {
        (uint256 toKey, uint256 toUnmoved) = _keyOf(to, token.balanceOf(to) != 0);
        if (from != address(0)) {
            (uint256 fromKey,) = _keyOf(from, true);
            if (fromKey == toKey) return (true, TransferCodes.OK);
        }
        // toUnmoved: the receiver's own-key sum that this movement will add to its investor first.
        if (investorBalance[toKey] + toUnmoved + amount > maxBalance) {
            return (false, TransferCodes.MAX_BALANCE_EXCEEDED);
        }
        return (true, TransferCodes.OK);
    }
}
