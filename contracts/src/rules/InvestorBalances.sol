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
/// changes) — with one exception, made automatically: a wallet credited to its *own* key (it was
/// bound to no investor, e.g. it had not re-proved when a migration was resynced) that is bound to
/// an investor now has its sum moved to that investor by the first movement touching it, before
/// the movement is counted. Otherwise a person could hold the cap in a re-proved wallet plus
/// whatever sits on the other wallet's own key. Only such wallets pay for the extra gate read.
/// Invariant: `investorBalance[k]` = Σ balances of the wallets credited to `k`, and
/// `investorCount` = number of non-zero sums (for movements seen since the rule was added).
abstract contract InvestorBalances is TokenBoundRule {
    event InvestorKeyResynced(address indexed wallet, uint256 fromKey, uint256 toKey, uint256 amount, address indexed agent);

    mapping(uint256 investor => uint256) public investorBalance;
    /// @notice Number of investors holding a non-zero balance.
    uint256 public investorCount;
    mapping(address wallet => uint256 key) private _creditedKey;
    /// @dev The token's policy as of the last {resync}, and the one before it: a migration is seen
    /// as a change between two resyncs. Read and written by resync only (agents pay, not transfers).
    uint256 private _resyncedPolicy;
    uint256 private _previousPolicy;
    /// @dev A person's investor tag under the previous policy → their tag under the current one,
    /// learned by {resync} from a wallet bound to the first then and to the second now.
    mapping(uint256 oldTag => uint256 newTag) private _heir;
    /// @dev A tag {_learnHeir} recorded as a heir → 1 + the policy it is a tag of. A holding wallet
    /// still bound to no one, already credited to a heir tag of the current policy, keeps it on a
    /// later {resync} (else a second resync would move it back to its own key and split the person).
    mapping(uint256 newTag => uint256 policyPlusOne) private _heirPolicy;

    constructor(IGatedToken token_, address admin) TokenBoundRule(token_, admin) {
        _resyncedPolicy = token_.policyId();
    }

    /// @notice The key `wallet`'s balance is counted under (0: never credited). May be stale for a
    /// wallet that holds nothing; its next credit takes its current key.
    function creditedKeyOf(address wallet) external view returns (uint256) {
        return _creditedKey[wallet];
    }

    /// @notice Moves each wallet's balance from the key it was credited to to the key it is bound
    /// to now (token AGENT_ROLE): after a revocation or re-binding in the gate, after the token
    /// moved to another policy, or to count a balance minted before the rule was added. Wallets
    /// already on their key are skipped; each move emits {InvestorKeyResynced}.
    ///
    /// After a migration, a holding wallet that has not re-proved under the new policy is bound to
    /// no one there. If another wallet of the same person (bound to the same tag under the previous
    /// policy) has re-proved, the wallet's balance goes to that person's new tag, not to the
    /// wallet's own key: a person's holdings must not split, or the cap could be exceeded through
    /// the re-proved wallet. The wallets bound now are handled first, so the order of `wallets`
    /// does not matter within one call. A wallet resynced before any of its person's wallets
    /// re-proved goes to its own key, and joins the person when it re-proves (see the hooks).
    function resync(address[] calldata wallets) external onlyTokenAgent {
        uint256 policy = token.policyId();
        if (policy != _resyncedPolicy) {
            _previousPolicy = _resyncedPolicy;
            _resyncedPolicy = policy;
        }
        // Pass 0: wallets bound to an investor now (or empty); pass 1: holding wallets bound to none.
        for (uint256 pass = 0; pass < 2; pass++) {
            for (uint256 i = 0; i < wallets.length; i++) {
                address wallet = wallets[i];
                uint256 balance = token.balanceOf(wallet);
                uint256 tag = balance == 0 ? 0 : gate.investorOf(policy, wallet);
                bool unbound = balance != 0 && tag == 0;
                if (unbound != (pass == 1)) continue;
                uint256 previous = _creditedKey[wallet];
                uint256 current = unbound ? _unboundKey(wallet, previous) : tag;
                if (previous == current) continue;
                if (!unbound) _learnHeir(wallet, previous, current);
                if (previous != 0) _debit(previous, balance);
                if (current != 0) _credit(current, balance);
                _creditedKey[wallet] = current;
                emit InvestorKeyResynced(wallet, previous, current, balance, msg.sender);
            }
        }
    }

    /// @notice Hook (token only): debits the sender's credited key, credits the receiver's.
    function transferred(address from, address to, uint256 amount) external virtual onlyToken {
        if (amount == 0 || from == to) return;
        uint256 fromKey = _settle(from, true);
        uint256 toKey = _settle(to, token.balanceOf(to) != amount);
        if (fromKey != toKey) {
            _debit(fromKey, amount);
            _credit(toKey, amount);
        }
    }

    /// @notice Hook (token only): credits the receiver of a mint.
    function created(address to, uint256 amount) external virtual onlyToken {
        if (amount == 0) return;
        _credit(_settle(to, token.balanceOf(to) != amount), amount);
    }

    /// @notice Hook (token only): debits the key the burned wallet was credited to.
    function destroyed(address from, uint256 amount) external virtual onlyToken {
        if (amount == 0) return;
        _debit(_settle(from, true), amount);
    }

    /// @dev The key `wallet`'s holding counts under for a movement, and how much of the wallet's sum
    /// still sits under its own key although it is bound to that investor now (the next movement
    /// touching the wallet moves it, {_settle}; a check must count it already). `holds`: whether the
    /// wallet holds tokens before the movement. A wallet that holds nothing takes its current key; a
    /// holding wallet keeps its credited key (a wallet never credited — it held tokens before the
    /// rule was added — falls back to its current key).
    function _keyOf(address wallet, bool holds) internal view returns (uint256 key, uint256 unmoved) {
        uint256 credited = holds ? _creditedKey[wallet] : 0;
        if (credited == 0) return (investorKey(wallet), 0);
        if (credited >> 192 == 0) return (credited, 0); // an investor tag: the common case, no gate call
        uint256 tag = gate.investorOf(token.policyId(), wallet);
        // The own key belongs to this wallet alone, so its whole sum is this wallet's.
        return tag == 0 ? (credited, 0) : (tag, investorBalance[credited]);
    }

    /// @dev Records that `previous` (a tag) and `current` (a tag) are one person's, when `wallet`
    /// was bound to `previous` under the previous policy: it re-proved under the current one.
    function _learnHeir(address wallet, uint256 previous, uint256 current) private {
        if (previous == 0 || previous >> 192 != 0 || current == 0) return;
        if (_heir[previous] == current) return;
        if (gate.investorOf(_previousPolicy, wallet) != previous) return;
        _heir[previous] = current;
        _heirPolicy[current] = _resyncedPolicy + 1;
    }

    /// @dev The key of a holding wallet bound to no investor now: its person's new tag if the
    /// wallet was theirs under the previous policy and a wallet of theirs re-proved (or the wallet is
    /// already credited to such a heir tag by an earlier resync), else its own key.
    function _unboundKey(address wallet, uint256 previous) private view returns (uint256) {
        uint256 own = (uint256(1) << 192) | uint160(wallet);
        if (previous == 0 || previous >> 192 != 0) return own;
        if (_heirPolicy[previous] == _resyncedPolicy + 1) return previous; // already with its person
        uint256 heir = _heir[previous];
        if (heir == 0 || gate.investorOf(_previousPolicy, wallet) != previous) return own;
        return heir;
    }

    /// @dev {_keyOf}, made true: moves an unmoved own-key sum to the investor (logged as a resync by
    /// the token) and records the key the wallet is credited to.
    function _settle(address wallet, bool holds) private returns (uint256 key) {
        uint256 unmoved;
        (key, unmoved) = _keyOf(wallet, holds);
        uint256 credited = _creditedKey[wallet];
        if (credited == key) return key;
        if (unmoved != 0) {
            _debit(credited, unmoved);
            _credit(key, unmoved);
            emit InvestorKeyResynced(wallet, credited, key, unmoved, msg.sender);
        }
        _creditedKey[wallet] = key;
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
