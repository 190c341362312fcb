// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TokenBoundRule, IGatedToken} from "./TokenBoundRule.sol";
import {TransferCodes} from "../libraries/TransferCodes.sol";

/// @title TransferVolumePerPeriod
/// @notice Caps how much one investor may send to other investors within a fixed window of `period`
/// seconds, summed over all their wallets. Moves between one's own wallets do not count.
/// @dev Fixed windows (starting at the investor's first transfer after the previous window ended)
/// need one storage word per investor; a sliding window would need a history. Windows are keyed by
/// the investor tag under the token's current policy, so moving the token to a new policy starts
/// every investor on a fresh window.
contract TransferVolumePerPeriod is TokenBoundRule {
    struct Window {
        uint64 start;
        uint192 volume;
    }

    event LimitChanged(uint64 period, uint256 maxVolume);

    uint64 public period;
    uint256 public maxVolume;
    mapping(uint256 investor => Window) private _windows;

    constructor(IGatedToken token_, address admin, uint64 period_, uint256 maxVolume_) TokenBoundRule(token_, admin) {
        period = period_;
        maxVolume = maxVolume_;
        emit LimitChanged(period_, maxVolume_);
    }

    /// @notice Changes the window length and the cap (DEFAULT_ADMIN_ROLE).
    function setLimit(uint64 newPeriod, uint256 newMaxVolume) external onlyRole(DEFAULT_ADMIN_ROLE) {
        period = newPeriod;
        maxVolume = newMaxVolume;
        emit LimitChanged(newPeriod, newMaxVolume);
    }

    /// @notice What `investor` has sent in its current window.
    function volumeOf(uint256 investor) public view returns (uint256) {
        Window memory w = _windows[investor];
        return block.timestamp < uint256(w.start) + period ? w.volume : 0;
    }

    /// @notice Refuses (code 19) a transfer to another investor that would take the sender's volume
    /// in its current window above `maxVolume`. Mints and moves between one's own wallets are free.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool, uint8) {
        if (from == address(0)) return (true, TransferCodes.OK);
        uint256 policy = token.policyId();
        uint256 fromKey = _investorKey(policy, from);
        if (fromKey == _investorKey(policy, to)) return (true, TransferCodes.OK);
        if (volumeOf(fromKey) + amount > maxVolume) return (false, TransferCodes.VOLUME_LIMIT_EXCEEDED);
        return (true, TransferCodes.OK);
    }

    /// @notice Hook (token only): charges a transfer to another investor to the sender's window.
    /// An agent's forced transfer or recovery is not the holder's doing and is not charged: a
    /// clawback must not leave its victim unable to trade.
    function transferred(address from, address to, uint256 amount) external onlyToken {
        if (token.isAgentMove()) return;
        uint256 policy = token.policyId();
        uint256 fromKey = _investorKey(policy, from);
        if (fromKey == _investorKey(policy, to)) return;
        Window memory w = _windows[fromKey];
        if (block.timestamp >= uint256(w.start) + period) w = Window({start: uint64(block.timestamp), volume: 0});
        w.volume += uint192(amount);
        _windows[fromKey] = w;
    }

    /// @notice Hook (token only): mints are not volume.
    function created(address, uint256) external onlyToken {}

    /// @notice Hook (token only): burns are not volume.
    function destroyed(address, uint256) external onlyToken {}
}
