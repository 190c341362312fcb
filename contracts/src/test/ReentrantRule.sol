// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

interface IReenteredToken {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function isAgentMove() external view returns (bool);
}

/// @notice A compliance rule for tests whose `transferred` hook starts a transfer of its own (with an
/// allowance a holder gave it), to check that a movement started from inside a hook — here during
/// an agent's forced transfer or recovery — gets every check and none of the agent's exemptions.
/// It records what `isAgentMove()` said in each hook call and whether its own transfer went through.
contract ReentrantRule {
    IReenteredToken public token;
    address public from;
    address public to;
    uint256 public amount;
    bool public armed;
    bool public attempted;
    bool public succeeded;
    bytes public failure;
    bool[] private _seen;

    /// @notice The next `transferred` hook tries `token.transferFrom(from_, to_, amount_)` once.
    function arm(IReenteredToken token_, address from_, address to_, uint256 amount_) external {
        (token, from, to, amount, armed) = (token_, from_, to_, amount_, true);
    }

    /// @notice `isAgentMove()` as each `transferred` hook call saw it, in order.
    function seen() external view returns (bool[] memory) {
        return _seen;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7
            || interfaceId
                == (
                    bytes4(keccak256("canTransfer(address,address,uint256)"))
                        ^ bytes4(keccak256("transferred(address,address,uint256)"))
                        ^ bytes4(keccak256("created(address,uint256)")) ^ bytes4(keccak256("destroyed(address,uint256)"))
                );
    }

    function canTransfer(address, address, uint256) external pure returns (bool, uint8) {
        return (true, 0);
    }

    function transferred(address, address, uint256) external {
        _seen.push(IReenteredToken(msg.sender).isAgentMove());
        if (!armed) return;
        armed = false;
        attempted = true;
        // The re-entry under test must be a raw call whose failure is recorded, not bubbled.
        (bool ok, bytes memory answer) =
            // solhint-disable-next-line avoid-low-level-calls
            address(token).call(abi.encodeCall(IReenteredToken.transferFrom, (from, to, amount)));
        succeeded = ok;
        failure = answer;
    }

    function created(address, uint256) external {}

    function destroyed(address, uint256) external {}
}
