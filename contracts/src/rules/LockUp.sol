// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TokenBoundRule, IGatedToken} from "./TokenBoundRule.sol";
import {TransferCodes} from "../libraries/TransferCodes.sol";

/// @title LockUp
/// @notice Tokens a wallet acquires (minted or received from another investor) cannot be sent on
/// for `period` seconds, as resale restrictions (e.g. Reg D holding periods) require.
/// @dev One lock per wallet rather than one per acquisition keeps the rule at one storage word per
/// wallet: a new acquisition adds to the locked amount and restarts the clock for all of it, which
/// errs on the strict side. Moves between one investor's own wallets carry the lock along.
contract LockUp is TokenBoundRule {
    struct Lock {
        uint64 unlockAt;
        uint192 locked;
    }

    event LockPeriodChanged(uint64 previous, uint64 current);

    uint64 public lockPeriod;
    mapping(address wallet => Lock) private _locks;

    constructor(IGatedToken token_, address admin, uint64 lockPeriod_) TokenBoundRule(token_, admin) {
        lockPeriod = lockPeriod_;
        emit LockPeriodChanged(0, lockPeriod_);
    }

    /// @notice Changes the period for future acquisitions (DEFAULT_ADMIN_ROLE).
    function setLockPeriod(uint64 newPeriod) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit LockPeriodChanged(lockPeriod, newPeriod);
        lockPeriod = newPeriod;
    }

    /// @notice The amount of `wallet`'s balance still locked, and until when.
    function lockedOf(address wallet) public view returns (uint256 amount, uint64 unlockAt) {
        Lock memory lock = _locks[wallet];
        if (block.timestamp >= lock.unlockAt) return (0, 0);
        return (lock.locked, lock.unlockAt);
    }

    function canTransfer(address from, address, uint256 amount) external view returns (bool, uint8) {
        if (from == address(0)) return (true, TransferCodes.OK);
        (uint256 locked,) = lockedOf(from);
        if (locked == 0) return (true, TransferCodes.OK);
        uint256 balance = token.balanceOf(from);
        uint256 free = balance > locked ? balance - locked : 0;
        if (amount > free) return (false, TransferCodes.LOCKED_UP);
        return (true, TransferCodes.OK);
    }

    function transferred(address from, address to, uint256 amount) external onlyToken {
        (uint256 fromLocked, uint64 fromUnlockAt) = lockedOf(from);
        if (investorKey(from) == investorKey(to)) {
            // Only agent moves can take locked tokens; whatever part was locked stays locked.
            uint256 balanceBefore = token.balanceOf(from) + amount;
            uint256 freeBefore = balanceBefore > fromLocked ? balanceBefore - fromLocked : 0;
            uint256 movedLocked = amount > freeBefore ? amount - freeBefore : 0;
            if (movedLocked != 0) _lock(to, movedLocked, fromUnlockAt);
        } else {
            _lock(to, amount, uint64(block.timestamp) + lockPeriod);
        }
        _clampToBalance(from, fromLocked, fromUnlockAt);
    }

    function created(address to, uint256 amount) external onlyToken {
        _lock(to, amount, uint64(block.timestamp) + lockPeriod);
    }

    function destroyed(address from, uint256) external onlyToken {
        (uint256 locked, uint64 unlockAt) = lockedOf(from);
        _clampToBalance(from, locked, unlockAt);
    }

    function _lock(address wallet, uint256 amount, uint64 until) private {
        (uint256 locked, uint64 unlockAt) = lockedOf(wallet);
        _locks[wallet] = Lock({unlockAt: until > unlockAt ? until : unlockAt, locked: uint192(locked + amount)});
    }

    /// @dev A wallet's lock never exceeds its balance (agent moves and burns can shrink it).
    function _clampToBalance(address wallet, uint256 locked, uint64 unlockAt) private {
        if (locked == 0) return;
        uint256 balance = token.balanceOf(wallet);
        if (locked > balance) _locks[wallet] = Lock({unlockAt: unlockAt, locked: uint192(balance)});
    }
}
