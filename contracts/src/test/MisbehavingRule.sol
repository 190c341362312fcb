// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice A compliance rule for tests that fails in a chosen way, to check that the token fails
/// closed on a transfer and that its `canTransfer`/`transferStatus` views never revert.
/// It answers ERC-165 for IComplianceRule (so `addRule` accepts it) without inheriting the
/// interface, so it can return shapes the interface does not allow.
contract MisbehavingRule {
    enum Mode {
        Allow, // behaves: allows everything
        Revert, // canTransfer reverts with a custom error
        Garbage, // canTransfer returns a bool word that is neither 0 nor 1
        Short, // canTransfer returns nothing at all
        BurnGas, // canTransfer loops until it runs out of gas
        RefuseWithoutCode, // canTransfer returns (false, 0): a refusal that looks like "OK"
        HookReverts, // canTransfer allows, but every hook reverts
        SpoofCoreCode, // canTransfer refuses with code 2, the token's own PAUSED
        BurnThenAllow // canTransfer uses `burn` gas, then allows (probes the token's gas bound)
    }

    error Misbehaving(uint8 mode);

    Mode public mode;
    /// @notice Gas canTransfer uses in mode BurnThenAllow.
    uint256 public burn;

    constructor(Mode mode_) {
        mode = mode_;
    }

    function setBurn(uint256 gasToBurn) external {
        burn = gasToBurn;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        // IERC165 and IComplianceRule (canTransfer ^ transferred ^ created ^ destroyed).
        return interfaceId == 0x01ffc9a7
            || interfaceId
                == (
                    bytes4(keccak256("canTransfer(address,address,uint256)"))
                        ^ bytes4(keccak256("transferred(address,address,uint256)"))
                        ^ bytes4(keccak256("created(address,uint256)")) ^ bytes4(keccak256("destroyed(address,uint256)"))
                );
    }

    function canTransfer(address, address, uint256) external view returns (bool, uint8) {
        Mode m = mode;
        if (m == Mode.Revert) revert Misbehaving(uint8(m));
        if (m == Mode.Garbage) {
            assembly {
                mstore(0, 7)
                mstore(32, 300)
                return(0, 64)
            }
        }
        if (m == Mode.Short) {
            assembly {
                return(0, 0)
            }
        }
        if (m == Mode.BurnGas) {
            uint256 x;
            while (true) x = uint256(keccak256(abi.encode(x)));
        }
        if (m == Mode.RefuseWithoutCode) return (false, 0);
        if (m == Mode.SpoofCoreCode) return (false, 2);
        if (m == Mode.BurnThenAllow) {
            uint256 stop = gasleft() - burn;
            uint256 x;
            while (gasleft() > stop) x = uint256(keccak256(abi.encode(x)));
        }
        return (true, 0);
    }

    function transferred(address, address, uint256) external view {
        if (mode == Mode.HookReverts) revert Misbehaving(uint8(mode));
    }

    function created(address, uint256) external view {
        if (mode == Mode.HookReverts) revert Misbehaving(uint8(mode));
    }

    function destroyed(address, uint256) external view {
        if (mode == Mode.HookReverts) revert Misbehaving(uint8(mode));
    }
}
