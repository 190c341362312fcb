// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IComplianceRule} from "../interfaces/IComplianceRule.sol";
import {IComplianceGate} from "../interfaces/IComplianceGate.sol";

/// @notice What a rule needs from the token it serves.
interface IGatedToken {
    function gate() external view returns (IComplianceGate);
    /// @dev The policy the token reads now; an agent can move the token to another one.
    function policyId() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    /// @dev True while the token processes an agent's forced transfer or recovery.
    function isAgentMove() external view returns (bool);
    function hasRole(bytes32 role, address account) external view returns (bool);
}

/// @title TokenBoundRule
/// @notice Base of the rules that keep state about one token's holders: only that token may report
/// movements, holders are grouped by investor as the token's gate binds them under the token's
/// *current* policy, and the token's agents (its `AGENT_ROLE`) may correct the rule's books.
/// The rule's own `DEFAULT_ADMIN_ROLE` (its settings) has one holder and changes hands in two steps,
/// as on the token (OpenZeppelin's AccessControlDefaultAdminRules, delay 0 to start with): a
/// hand-over to a mistyped address never takes effect, and the old admin keeps the role until the
/// new one accepts.
/// @dev The policy id is read from the token on use rather than cached: when an agent moves the
/// token to a new policy (a tightened one), every investor tag changes with it (tags are per
/// scope), and a cached id would keep grouping wallets by the old policy's records.
abstract contract TokenBoundRule is AccessControlDefaultAdminRules, IComplianceRule {
    error NotToken(address caller);
    error NotTokenAgent(address caller);
    error ZeroAddress(string field);

    /// @dev PermissionedToken.AGENT_ROLE.
    bytes32 private constant TOKEN_AGENT_ROLE = keccak256("AGENT_ROLE");

    IGatedToken public immutable token;
    IComplianceGate public immutable gate;

    /// @dev Refuses a zero token (`ZeroAddress`) and a zero admin (`AccessControlInvalidDefaultAdmin`).
    constructor(IGatedToken token_, address admin) AccessControlDefaultAdminRules(0, admin) {
        if (address(token_) == address(0)) revert ZeroAddress("token");
        token = token_;
        gate = token_.gate();
    }

    modifier onlyToken() {
        if (msg.sender != address(token)) revert NotToken(msg.sender);
        _;
    }

    /// @dev The token's agents, who already move and freeze holders' tokens, may fix the rule's
    /// per-holder books too; a separate role per rule would be one more thing to hand over.
    modifier onlyTokenAgent() {
        if (!token.hasRole(TOKEN_AGENT_ROLE, msg.sender)) revert NotTokenAgent(msg.sender);
        _;
    }

    /// @notice The gate policy the rule groups investors by: the token's current one.
    function policyId() external view returns (uint256) {
        return token.policyId();
    }

    /// @notice The key a wallet's holdings are summed under now: its investor tag from the gate
    /// under the token's current policy (all of one person's wallets share it), or, for a wallet
    /// bound to no investor, a key of its own. Tags are below 2^192, so the two kinds never collide.
    function investorKey(address wallet) public view returns (uint256) {
        return _investorKey(token.policyId(), wallet);
    }

    /// @notice ERC-165: IComplianceRule, AccessControl(DefaultAdminRules) and ERC-165 itself.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        virtual
        override(AccessControlDefaultAdminRules, IERC165)
        returns (bool)
    {
        return interfaceId == type(IComplianceRule).interfaceId || super.supportsInterface(interfaceId);
    }

    function _investorKey(uint256 policy, address wallet) internal view returns (uint256) {
        uint256 tag = gate.investorOf(policy, wallet);
        return tag != 0 ? tag : (uint256(1) << 192) | uint160(wallet);
    }
}
