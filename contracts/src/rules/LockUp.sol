// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {TokenBoundRule, IGatedToken} from "./TokenBoundRule.sol";
import {TransferCodes} from "../libraries/TransferCodes.sol";

/// @title LockUp
/// @notice Tokens a wallet acquires (minted, or received from another investor) cannot be sent on
/// for `lockPeriod` seconds, as resale restrictions (e.g. Reg D holding periods) require. Each
/// acquisition is locked on its own clock: a later acquisition never extends tokens already locked.
///
/// @dev Why lots, and why bounded: one lock per wallet restarted the clock for everything on each
/// acquisition, so anyone could keep a holder's whole balance locked forever by sending it one
/// token before each unlock. Here a wallet holds at most {MAX_LOTS} lots. An acquisition's unlock
/// time is rounded *up* to a multiple of the granule `ceil(lockPeriod / (MAX_LOTS - 1))`, and the
/// lot lives in slot `(unlockAt / granule) % MAX_LOTS`: acquisitions in one granule share a lot
/// (never unlocking early, at most one granule late), and the unlock times of the lots still
/// locked span at most MAX_LOTS granules, so two of them never need the same slot. (Only after
/// the period is changed can two live lots meet in one slot; they are then merged at the later of
/// their times — strict, never early.)
///
/// A header word per wallet (`total`, `nextUnlock`, occupied-slot bits) lets a transfer check
/// skip the lots whenever `amount + total ≤ balance`, or every lot is still locked.
///
/// Agent moves between one investor's wallets (forced transfer, recovery) carry the locked part
/// along with its unlock times; tokens leaving through an agent move to another investor, or a
/// burn, take the lots that unlock first. The token's agents can clear a wallet's lock.
contract LockUp is TokenBoundRule {
    /// @notice The most lots one wallet holds.
    uint256 public constant MAX_LOTS = 16;

    struct Lot {
        uint64 unlockAt;
        uint192 amount;
    }

    /// @dev One word per wallet, read on every transfer out of it.
    struct Header {
        uint176 total; // Σ lot amounts (some may have unlocked since)
        uint64 nextUnlock; // ≤ the earliest unlockAt of any lot: before it, every lot is locked
        uint16 occupied; // bit i = slot i holds a lot
    }

    event LockPeriodChanged(uint64 previous, uint64 current);
    event LockCleared(address indexed wallet, uint256 amount, address indexed agent);

    uint64 public lockPeriod;
    mapping(address wallet => Header) private _headers;
    mapping(address wallet => Lot[MAX_LOTS]) private _lots;

    constructor(IGatedToken token_, address admin, uint64 lockPeriod_) TokenBoundRule(token_, admin) {
        lockPeriod = lockPeriod_;
        emit LockPeriodChanged(0, lockPeriod_);
    }

    /// @notice Changes the period for future acquisitions (DEFAULT_ADMIN_ROLE); lots already
    /// locked keep their unlock times.
    function setLockPeriod(uint64 newPeriod) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit LockPeriodChanged(lockPeriod, newPeriod);
        lockPeriod = newPeriod;
    }

    /// @notice Releases every lot of `wallet` (token AGENT_ROLE), e.g. when a lock was applied in
    /// error or an exemption applies. Emits the amount that was still locked.
    function clearLock(address wallet) external onlyTokenAgent {
        (uint256 locked,) = lockedOf(wallet);
        uint256 occupied = _headers[wallet].occupied;
        for (uint256 i = 0; i < MAX_LOTS; i++) if (occupied & (1 << i) != 0) delete _lots[wallet][i];
        delete _headers[wallet];
        emit LockCleared(wallet, locked, msg.sender);
    }

    /// @notice The amount of `wallet`'s balance still locked, and when the last of it unlocks.
    function lockedOf(address wallet) public view returns (uint256 amount, uint64 unlockAt) {
        Header memory h = _headers[wallet];
        for (uint256 i = 0; i < MAX_LOTS; i++) {
            if (h.occupied & (1 << i) == 0) continue;
            Lot memory lot = _lots[wallet][i];
            if (lot.unlockAt <= block.timestamp) continue;
            amount += lot.amount;
            if (lot.unlockAt > unlockAt) unlockAt = lot.unlockAt;
        }
    }

    /// @notice `wallet`'s lots that are still locked: their unlock times and amounts.
    function lotsOf(address wallet) external view returns (uint64[] memory unlockAt, uint256[] memory amounts) {
        Header memory h = _headers[wallet];
        uint256 n;
        unlockAt = new uint64[](MAX_LOTS);
        amounts = new uint256[](MAX_LOTS);
        for (uint256 i = 0; i < MAX_LOTS; i++) {
            if (h.occupied & (1 << i) == 0) continue;
            Lot memory lot = _lots[wallet][i];
            if (lot.unlockAt <= block.timestamp) continue;
            (unlockAt[n], amounts[n]) = (lot.unlockAt, lot.amount);
            n++;
        }
        assembly ("memory-safe") {
            mstore(unlockAt, n)
            mstore(amounts, n)
        }
    }

    /// @notice Refuses (code 17) sending more than the part of the sender's balance not locked.
    function canTransfer(address from, address, uint256 amount) external view returns (bool, uint8) {
        if (from == address(0)) return (true, TransferCodes.OK);
        Header memory h = _headers[from];
        if (h.total == 0) return (true, TransferCodes.OK);
        uint256 balance = token.balanceOf(from);
        if (amount + h.total <= balance) return (true, TransferCodes.OK);
        uint256 locked = block.timestamp < h.nextUnlock ? h.total : _lockedNow(from, h.occupied);
        uint256 free = balance > locked ? balance - locked : 0;
        if (amount > free) return (false, TransferCodes.LOCKED_UP);
        return (true, TransferCodes.OK);
    }

    /// @notice Hook (token only): the receiver's new tokens are locked from now, unless they come
    /// from the same investor (then only the locked part moves, with its unlock times).
    function transferred(address from, address to, uint256 amount) external onlyToken {
        if (amount == 0 || from == to) return;
        bool fromLocked = _headers[from].total != 0;
        uint64 period = lockPeriod;
        if (!fromLocked && period == 0) return; // nothing to carry, nothing to lock
        (Lot[MAX_LOTS] memory taken, uint256 n) = _release(from, token.balanceOf(from));
        uint256 policy = token.policyId();
        if (_investorKey(policy, from) == _investorKey(policy, to)) {
            // Between one's own wallets only agent moves can take locked tokens: they stay locked.
            for (uint256 i = 0; i < n; i++) _addLot(to, taken[i].amount, taken[i].unlockAt);
        } else if (period != 0) {
            _addLot(to, amount, _unlockTime(period));
        }
    }

    /// @notice Hook (token only): minted tokens are locked from now.
    function created(address to, uint256 amount) external onlyToken {
        uint64 period = lockPeriod;
        if (amount != 0 && period != 0) _addLot(to, amount, _unlockTime(period));
    }

    /// @notice Hook (token only): a burn that ate into locked tokens takes the lots unlocking first.
    function destroyed(address from, uint256) external onlyToken {
        if (_headers[from].total != 0) _release(from, token.balanceOf(from));
    }

    // ─── lots ────────────────────────────────────────────────────────────────────────────────

    function _granule(uint256 period) private pure returns (uint256) {
        uint256 g = (period + MAX_LOTS - 2) / (MAX_LOTS - 1);
        return g == 0 ? 1 : g;
    }

    /// @dev Now + period, rounded up to the granule (so acquisitions close in time share a lot).
    function _unlockTime(uint64 period) private view returns (uint64) {
        uint256 g = _granule(period);
        uint256 end = block.timestamp + period;
        return SafeCast.toUint64(((end + g - 1) / g) * g);
    }

    function _lockedNow(address wallet, uint256 occupied) private view returns (uint256 locked) {
        for (uint256 i = 0; i < MAX_LOTS; i++) {
            if (occupied & (1 << i) == 0) continue;
            Lot memory lot = _lots[wallet][i];
            if (lot.unlockAt > block.timestamp) locked += lot.amount;
        }
    }

    /// @dev Adds `amount` unlocking at `unlockAt` to `wallet`'s lots.
    function _addLot(address wallet, uint256 amount, uint64 unlockAt) private {
        if (unlockAt <= block.timestamp || amount == 0) return;
        Header memory h = _headers[wallet];
        if (h.total != 0 && h.nextUnlock <= block.timestamp) h = _prune(wallet, h);
        uint256 slot = (unlockAt / _granule(lockPeriod)) % MAX_LOTS;
        Lot storage lot = _lots[wallet][slot];
        if (h.occupied & (1 << slot) == 0) {
            _lots[wallet][slot] = Lot({unlockAt: unlockAt, amount: SafeCast.toUint192(amount)});
            h.occupied |= uint16(1 << slot);
        } else {
            // Same granule: the lot's time stands. A live lot of another time (only after a period
            // change, or carried from a wallet locked under another period): keep the later time.
            Lot memory existing = lot;
            uint64 at = existing.unlockAt >= unlockAt ? existing.unlockAt : unlockAt;
            _lots[wallet][slot] = Lot({unlockAt: at, amount: SafeCast.toUint192(existing.amount + amount)});
        }
        h.nextUnlock = h.total == 0 || unlockAt < h.nextUnlock ? unlockAt : h.nextUnlock;
        h.total = SafeCast.toUint176(h.total + amount);
        _headers[wallet] = h;
    }

    /// @dev Drops `wallet`'s unlocked lots; returns the header recomputed.
    function _prune(address wallet, Header memory h) private returns (Header memory out) {
        out.nextUnlock = type(uint64).max;
        for (uint256 i = 0; i < MAX_LOTS; i++) {
            if (h.occupied & (1 << i) == 0) continue;
            Lot memory lot = _lots[wallet][i];
            if (lot.unlockAt <= block.timestamp) {
                delete _lots[wallet][i];
                continue;
            }
            out.occupied |= uint16(1 << i);
            out.total += uint176(lot.amount);
            if (lot.unlockAt < out.nextUnlock) out.nextUnlock = lot.unlockAt;
        }
        if (out.total == 0) out.nextUnlock = 0;
    }

    /// @dev After tokens left `wallet`, keeps its locked amount within `balance`: drops unlocked
    /// lots and takes the excess from the lots that unlock first. Returns what it took (at most one
    /// piece per lot), so a move between one investor's wallets can carry it.
    function _release(address wallet, uint256 balance) private returns (Lot[MAX_LOTS] memory taken, uint256 n) {
        Header memory h = _headers[wallet];
        if (h.total == 0) return (taken, 0);
        if (block.timestamp < h.nextUnlock && h.total <= balance) return (taken, 0);
        h = _prune(wallet, h);
        uint256 excess = h.total > balance ? h.total - balance : 0;
        while (excess != 0) {
            // The live lot that unlocks first.
            uint256 first = MAX_LOTS;
            uint64 firstAt = type(uint64).max;
            Lot memory lot;
            for (uint256 i = 0; i < MAX_LOTS; i++) {
                if (h.occupied & (1 << i) == 0) continue;
                Lot memory candidate = _lots[wallet][i];
                if (candidate.unlockAt < firstAt) (first, firstAt, lot) = (i, candidate.unlockAt, candidate);
            }
            uint256 take = excess < lot.amount ? excess : lot.amount;
            taken[n++] = Lot({unlockAt: lot.unlockAt, amount: uint192(take)});
            excess -= take;
            h.total -= uint176(take);
            if (take == lot.amount) {
                delete _lots[wallet][first];
                h.occupied &= ~uint16(1 << first);
            } else {
                _lots[wallet][first].amount = uint192(lot.amount - take);
            }
        }
        if (h.total == 0) {
            delete _headers[wallet];
            return (taken, n);
        }
        h.nextUnlock = type(uint64).max;
        for (uint256 i = 0; i < MAX_LOTS; i++) {
            if (h.occupied & (1 << i) == 0) continue;
            uint64 at = _lots[wallet][i].unlockAt;
            if (at < h.nextUnlock) h.nextUnlock = at;
        }
        _headers[wallet] = h;
    }
}
