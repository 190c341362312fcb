// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TokenBoundRule, IGatedToken} from "./TokenBoundRule.sol";

/// @title InvestorBalances
/// @notice Base of rules that reason about what each investor holds across all their wallets.
/// @dev Sums follow the wallets' investor binding at the time of each movement. If a wallet that
/// holds tokens is re-bound to another investor (revoked and re-registered), later debits go to the
/// new key; subtraction saturates at zero so a sum can drift low but never blocks a transfer.
abstract contract InvestorBalances is TokenBoundRule {
    mapping(uint256 investor => uint256) public investorBalance;
    /// @notice Number of investors holding a non-zero balance.
    uint256 public investorCount;

    constructor(IGatedToken token_, address admin) TokenBoundRule(token_, admin) {}

    function transferred(address from, address to, uint256 amount) external virtual onlyToken {
        uint256 fromKey = investorKey(from);
        uint256 toKey = investorKey(to);
        if (fromKey != toKey) {
            _debit(fromKey, amount);
            _credit(toKey, amount);
        }
    }

    function created(address to, uint256 amount) external virtual onlyToken {
        _credit(investorKey(to), amount);
    }

    function destroyed(address from, uint256 amount) external virtual onlyToken {
        _debit(investorKey(from), amount);
    }

    function _credit(uint256 key, uint256 amount) private {
        if (amount == 0) return;
        uint256 before = investorBalance[key];
        if (before == 0) investorCount += 1;
        investorBalance[key] = before + amount;
    }

    function _debit(uint256 key, uint256 amount) private {
        uint256 before = investorBalance[key];
        if (before == 0 || amount == 0) return;
        uint256 remaining = before > amount ? before - amount : 0;
        investorBalance[key] = remaining;
        if (remaining == 0) investorCount -= 1;
    }
}
