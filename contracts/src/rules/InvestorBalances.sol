// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TokenBoundRule, IGatedToken} from "./TokenBoundRule.sol";

/// @title InvestorBalances
/// @notice Base of rules that reason about what each investor holds across all their wallets.
/// @dev Each wallet remembers the key its balance was credited to, and every debit goes to that
/// key. Keying debits by the wallet's binding *now* drifted: after the usual "revoke in the gate,
/// then claw back or burn", the debit went to the wallet's own key while the investor kept a
/// phantom balance (and a phantom place in the investor count). A wallet takes its current key
/// when it goes from empty to holding; while it holds, it stays on its credited key until an agent
/// calls {resync} (after a re-binding, or after the token moved to a new policy, where every tag
/// changes). Invariant: `investorBalance[k]` = Σ balances of the wallets credited to `k`, and
/// `investorCount` = number of non-zero sums (for movements seen since the rule was added).
abstract contract InvestorBalances is TokenBoundRule {
    event InvestorKeyResynced(address indexed wallet, uint256 fromKey, uint256 toKey, uint256 amount, address indexed agent);

    mapping(uint256 investor => uint256) public investorBalance;
    /// @notice Number of investors holding a non-zero balance.
    uint256 public investorCount;
    mapping(address wallet => uint256 key) private _creditedKey;

    constructor(IGatedToken token_, address admin) TokenBoundRule(token_, admin) {}

    /// @notice The key `wallet`'s balance is counted under (0: never credited). May be stale for a
    /// wallet that holds nothing; its next credit takes its current key.
    function creditedKeyOf(address wallet) external view returns (uint256) {
        return _creditedKey[wallet];
    }

    /// @notice Moves each wallet's balance from the key it was credited to to the key it is bound
    /// to now (token AGENT_ROLE): after a revocation or re-binding in the gate, after the token
    /// moved to another policy, or to count a balance minted before the rule was added. Wallets
    /// already on their key are skipped; each move emits {InvestorKeyResynced}.
    function resync(address[] calldata wallets) external onlyTokenAgent {
        uint256 policy = token.policyId();
        for (uint256 i = 0; i < wallets.length; i++) {
            address wallet = wallets[i];
            uint256 balance = token.balanceOf(wallet);
            uint256 previous = _creditedKey[wallet];
            uint256 current = balance == 0 ? 0 : _investorKey(policy, wallet);
            if (previous == current) continue;
            if (previous != 0) _debit(previous, balance);
            if (current != 0) _credit(current, balance);
            _creditedKey[wallet] = current;
            emit InvestorKeyResynced(wallet, previous, current, balance, msg.sender);
        }
    }

    /// @notice Hook (token only): debits the sender's credited key, credits the receiver's.
    function transferred(address from, address to, uint256 amount) external virtual onlyToken {
        if (amount == 0 || from == to) return;
        uint256 fromKey = _debitKey(from);
        uint256 toKey = _takeCreditKey(to, token.balanceOf(to) - amount);
        if (fromKey != toKey) {
            _debit(fromKey, amount);
            _credit(toKey, amount);
        }
    }

    /// @notice Hook (token only): credits the receiver of a mint.
    function created(address to, uint256 amount) external virtual onlyToken {
        if (amount == 0) return;
        _credit(_takeCreditKey(to, token.balanceOf(to) - amount), amount);
    }

    /// @notice Hook (token only): debits the key the burned wallet was credited to.
    function destroyed(address from, uint256 amount) external virtual onlyToken {
        _debit(_debitKey(from), amount);
    }

    /// @dev The key a debit from `wallet` goes to: the one it was credited to. A wallet never
    /// credited (it held tokens before the rule was added) falls back to its current key.
    function _debitKey(address wallet) internal view returns (uint256) {
        uint256 key = _creditedKey[wallet];
        return key != 0 ? key : investorKey(wallet);
    }

    /// @dev The key a credit to `wallet` would go to, given its balance before the credit.
    function _creditKey(address wallet, uint256 balanceBefore) internal view returns (uint256) {
        uint256 key = balanceBefore == 0 ? 0 : _creditedKey[wallet];
        return key != 0 ? key : investorKey(wallet);
    }

    /// @dev {_creditKey}, recording it for the wallet.
    function _takeCreditKey(address wallet, uint256 balanceBefore) private returns (uint256 key) {
        key = _creditKey(wallet, balanceBefore);
        if (_creditedKey[wallet] != key) _creditedKey[wallet] = key;
    }

    function _credit(uint256 key, uint256 amount) private {
        if (amount == 0) return;
        uint256 before = investorBalance[key];
        if (before == 0) investorCount += 1;
        investorBalance[key] = before + amount;
    }

    /// @dev Saturates at zero: only a balance that was never credited (held before the rule was
    /// added) can be debited beyond its sum.
    function _debit(uint256 key, uint256 amount) private {
        uint256 before = investorBalance[key];
        if (before == 0 || amount == 0) return;
        uint256 remaining = before > amount ? before - amount : 0;
        investorBalance[key] = remaining;
        if (remaining == 0) investorCount -= 1;
    }
}
