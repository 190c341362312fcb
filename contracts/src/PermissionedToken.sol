// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IComplianceGate} from "./interfaces/IComplianceGate.sol";
import {IComplianceRule} from "./interfaces/IComplianceRule.sol";
import {TransferCodes} from "./libraries/TransferCodes.sol";

/// @title PermissionedToken
/// @notice An ERC-20 whose holders must be verified by a ComplianceGate policy, with the ERC-3643
/// agent surface (pause, freeze addresses, freeze partial amounts, forced transfer, wallet recovery,
/// mint/burn and batch forms) and pluggable compliance rules.
///
/// Every balance change goes through OpenZeppelin's `_update` hook, where the token applies its
/// checks in this order (the first failure names the refusal):
///   receiver not zero → not paused → sender not frozen → sender balance → sender unfrozen balance →
///   receiver not frozen → sender verified → receiver verified → each rule in the order added.
/// A mint skips the sender checks and the pause; a burn checks nothing (agent power). Forced transfers
/// and recoveries only require a verified, unfrozen receiver; they consume frozen tokens if needed and
/// skip the rules' `canTransfer`, but the rules still see them through `transferred`.
///
/// Roles:
/// - `DEFAULT_ADMIN_ROLE`: grants roles, adds and removes compliance rules.
/// - `AGENT_ROLE`: mint, burn, pause/unpause, freeze/unfreeze, forced transfer, recovery.
contract PermissionedToken is ERC20, AccessControl {
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");
    uint256 public constant MAX_RULES = 8;

    error TokenPaused();
    error InvalidReceiver(address receiver);
    error AddressFrozen(address account);
    error InsufficientUnfrozenBalance(address account, uint256 unfrozen, uint256 needed);
    error NotVerified(address account);
    error ComplianceRuleRefused(address rule, uint8 code);
    error ComplianceCheckFailed(address target);
    error ZeroAddress(string field);
    error LengthMismatch(uint256 expected, uint256 got);
    error FreezeExceedsBalance(address account, uint256 balance, uint256 frozenAfter);
    error UnfreezeExceedsFrozen(address account, uint256 frozen, uint256 amount);
    error NotSameInvestor(address lostWallet, address newWallet);
    error TooManyRules(uint256 max);
    error RuleAlreadyAdded(address rule);
    error RuleNotFound(address rule);
    error AlreadyInState(bool paused);

    event Paused(address indexed agent);
    event Unpaused(address indexed agent);
    event AddressFrozenSet(address indexed account, bool frozen, address indexed agent);
    event TokensFrozen(address indexed account, uint256 amount);
    event TokensUnfrozen(address indexed account, uint256 amount);
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount, address indexed agent);
    event RecoverySuccess(address indexed lostWallet, address indexed newWallet, uint256 investorOnchainId);
    event RuleAdded(address indexed rule);
    event RuleRemoved(address indexed rule);

    /// @dev Freeze state of one account in one word: read once per transfer side.
    struct AccountState {
        bool frozen;
        uint248 frozenTokens;
    }

    IComplianceGate public immutable gate;
    uint256 public immutable policyId;
    uint8 private immutable _decimals;

    mapping(address account => AccountState) private _accounts;
    // A fixed array keeps the rule count and the pause flag in one word read on every transfer.
    IComplianceRule[MAX_RULES] private _rules;
    uint8 private _ruleCount;
    bool private _paused;

    /// @dev Set for the duration of a forced transfer or recovery (transient storage, EIP-1153).
    bool private transient _agentMove;

    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        address admin,
        IComplianceGate gate_,
        uint256 policyId_
    ) ERC20(name_, symbol_) {
        if (admin == address(0)) revert ZeroAddress("admin");
        if (address(gate_) == address(0)) revert ZeroAddress("gate");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(AGENT_ROLE, admin);
        gate = gate_;
        policyId = policyId_;
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    // ─── ERC-3643-style views ────────────────────────────────────────────────────────────────

    /// @notice Whether `wallet` currently holds a verification for this token's policy.
    function isVerified(address wallet) public view returns (bool) {
        return gate.isVerified(policyId, wallet);
    }

    /// @notice Whether `from` may transfer `amount` to `to` right now. Never reverts.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        (uint8 code,) = _status(from, to, amount);
        return code == TransferCodes.OK;
    }

    /// @notice Why a transfer would be refused: a code from {TransferCodes} (0 = allowed) and, for a
    /// rule's refusal, the rule's address. `from == address(0)` asks about a mint. Never reverts.
    function transferStatus(address from, address to, uint256 amount) external view returns (uint8 code, address rule) {
        return _status(from, to, amount);
    }

    function paused() external view returns (bool) {
        return _paused;
    }

    function isFrozen(address account) external view returns (bool) {
        return _accounts[account].frozen;
    }

    function getFrozenTokens(address account) external view returns (uint256) {
        return _accounts[account].frozenTokens;
    }

    /// @notice The compliance rules consulted on every transfer, in order.
    function rules() external view returns (IComplianceRule[] memory list) {
        uint256 count = _ruleCount;
        list = new IComplianceRule[](count);
        for (uint256 i = 0; i < count; i++) list[i] = _rules[i];
    }

    // ─── rules ───────────────────────────────────────────────────────────────────────────────

    /// @notice Appends a rule (DEFAULT_ADMIN_ROLE). Rules that keep per-investor sums should be added
    /// before tokens are minted: they only see movements from then on.
    function addRule(IComplianceRule rule) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(rule) == address(0)) revert ZeroAddress("rule");
        uint256 count = _ruleCount;
        if (count == MAX_RULES) revert TooManyRules(MAX_RULES);
        for (uint256 i = 0; i < count; i++) if (_rules[i] == rule) revert RuleAlreadyAdded(address(rule));
        _rules[count] = rule;
        _ruleCount = uint8(count + 1);
        emit RuleAdded(address(rule));
    }

    /// @notice Removes a rule (DEFAULT_ADMIN_ROLE), keeping the order of the others.
    function removeRule(IComplianceRule rule) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 count = _ruleCount;
        for (uint256 i = 0; i < count; i++) {
            if (_rules[i] == rule) {
                for (uint256 j = i; j + 1 < count; j++) _rules[j] = _rules[j + 1];
                delete _rules[count - 1];
                _ruleCount = uint8(count - 1);
                emit RuleRemoved(address(rule));
                return;
            }
        }
        revert RuleNotFound(address(rule));
    }

    // ─── agent powers ────────────────────────────────────────────────────────────────────────

    /// @notice Stops all holder transfers (AGENT_ROLE). Agent operations keep working.
    function pause() external onlyRole(AGENT_ROLE) {
        if (_paused) revert AlreadyInState(true);
        _paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Resumes holder transfers (AGENT_ROLE).
    function unpause() external onlyRole(AGENT_ROLE) {
        if (!_paused) revert AlreadyInState(false);
        _paused = false;
        emit Unpaused(msg.sender);
    }

    /// @notice Mints to a verified, unfrozen receiver that every rule accepts (AGENT_ROLE).
    function mint(address to, uint256 amount) public onlyRole(AGENT_ROLE) {
        _mint(to, amount);
    }

    /// @notice Burns from any holder (AGENT_ROLE), consuming frozen tokens if the unfrozen balance
    /// does not cover `amount`.
    function burn(address from, uint256 amount) public onlyRole(AGENT_ROLE) {
        _burn(from, amount);
    }

    /// @notice Freezes or unfreezes every movement out of and into `account` (AGENT_ROLE).
    function setAddressFrozen(address account, bool frozen) public onlyRole(AGENT_ROLE) {
        _accounts[account].frozen = frozen;
        emit AddressFrozenSet(account, frozen, msg.sender);
    }

    /// @notice Freezes `amount` more of `account`'s tokens (AGENT_ROLE); refuses freezing more than
    /// its balance.
    function freezePartialTokens(address account, uint256 amount) public onlyRole(AGENT_ROLE) {
        AccountState storage state = _accounts[account];
        uint256 frozenAfter = state.frozenTokens + amount;
        uint256 balance = balanceOf(account);
        if (frozenAfter > balance) revert FreezeExceedsBalance(account, balance, frozenAfter);
        state.frozenTokens = uint248(frozenAfter);
        emit TokensFrozen(account, amount);
    }

    /// @notice Releases `amount` of `account`'s frozen tokens (AGENT_ROLE); refuses more than frozen.
    function unfreezePartialTokens(address account, uint256 amount) public onlyRole(AGENT_ROLE) {
        AccountState storage state = _accounts[account];
        uint256 frozen = state.frozenTokens;
        if (amount > frozen) revert UnfreezeExceedsFrozen(account, frozen, amount);
        state.frozenTokens = uint248(frozen - amount);
        emit TokensUnfrozen(account, amount);
    }

    /// @notice Moves `amount` from `from` to `to` regardless of pause, freezes, the sender's
    /// verification and the rules (AGENT_ROLE), e.g. to move a sanctioned wallet's balance to
    /// custody. The receiver must be verified and not frozen.
    function forcedTransfer(address from, address to, uint256 amount) public onlyRole(AGENT_ROLE) returns (bool) {
        _agentMove = true;
        _transfer(from, to, amount);
        _agentMove = false;
        emit ForcedTransfer(from, to, amount, msg.sender);
        return true;
    }

    /// @notice Moves the whole balance, the frozen amount and the address freeze of a lost wallet to
    /// a new wallet of the same investor (AGENT_ROLE). Both wallets must be bound to the same
    /// investor in the gate (same nullifier), and the new one verified.
    /// @param investorOnchainId kept for ERC-3643 compatibility; only logged.
    function recoveryAddress(address lostWallet, address newWallet, uint256 investorOnchainId)
        external
        onlyRole(AGENT_ROLE)
        returns (bool)
    {
        uint256 investor = gate.investorOf(policyId, lostWallet);
        if (investor == 0 || investor != gate.investorOf(policyId, newWallet)) {
            revert NotSameInvestor(lostWallet, newWallet);
        }
        AccountState memory lost = _accounts[lostWallet];
        delete _accounts[lostWallet];
        _agentMove = true;
        _transfer(lostWallet, newWallet, balanceOf(lostWallet));
        _agentMove = false;
        AccountState storage target = _accounts[newWallet];
        target.frozenTokens += lost.frozenTokens;
        if (lost.frozen) target.frozen = true;
        emit RecoverySuccess(lostWallet, newWallet, investorOnchainId);
        return true;
    }

    // ─── batch forms ─────────────────────────────────────────────────────────────────────────

    /// @notice {transfer} to several receivers; all or nothing.
    function batchTransfer(address[] calldata to, uint256[] calldata amounts) external {
        _sameLength(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) _transfer(msg.sender, to[i], amounts[i]);
    }

    function batchMint(address[] calldata to, uint256[] calldata amounts) external {
        _sameLength(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) mint(to[i], amounts[i]);
    }

    function batchBurn(address[] calldata from, uint256[] calldata amounts) external {
        _sameLength(from.length, amounts.length);
        for (uint256 i = 0; i < from.length; i++) burn(from[i], amounts[i]);
    }

    function batchForcedTransfer(address[] calldata from, address[] calldata to, uint256[] calldata amounts) external {
        _sameLength(from.length, to.length);
        _sameLength(from.length, amounts.length);
        for (uint256 i = 0; i < from.length; i++) forcedTransfer(from[i], to[i], amounts[i]);
    }

    function batchSetAddressFrozen(address[] calldata accounts, bool[] calldata frozen) external {
        _sameLength(accounts.length, frozen.length);
        for (uint256 i = 0; i < accounts.length; i++) setAddressFrozen(accounts[i], frozen[i]);
    }

    function batchFreezePartialTokens(address[] calldata accounts, uint256[] calldata amounts) external {
        _sameLength(accounts.length, amounts.length);
        for (uint256 i = 0; i < accounts.length; i++) freezePartialTokens(accounts[i], amounts[i]);
    }

    function batchUnfreezePartialTokens(address[] calldata accounts, uint256[] calldata amounts) external {
        _sameLength(accounts.length, amounts.length);
        for (uint256 i = 0; i < accounts.length; i++) unfreezePartialTokens(accounts[i], amounts[i]);
    }

    // ─── the compliance hook ─────────────────────────────────────────────────────────────────

    /// @dev Every mint, burn and transfer lands here (OpenZeppelin 5's single hook).
    function _update(address from, address to, uint256 value) internal override {
        if (to == address(0)) {
            // Burn (agent only): may eat into frozen tokens.
            _releaseFrozenFor(from, value);
            super._update(from, to, value);
            _notifyRules(from, to, value);
            return;
        }
        if (from != address(0) && _agentMove) {
            if (_accounts[to].frozen) revert AddressFrozen(to);
            if (!gate.isVerified(policyId, to)) revert NotVerified(to);
            _releaseFrozenFor(from, value);
        } else {
            (uint8 code, address rule) = _status(from, to, value);
            if (code != TransferCodes.OK) _refuse(code, rule, from, to, value);
        }
        super._update(from, to, value);
        _notifyRules(from, to, value);
    }

    /// @dev The ordered checks, as a reason code. Reads each storage word at most once on success.
    function _status(address from, address to, uint256 value) private view returns (uint8, address) {
        if (to == address(0)) return (TransferCodes.INVALID_RECEIVER, address(0));
        bool minting = from == address(0);
        if (!minting) {
            if (_paused) return (TransferCodes.PAUSED, address(0));
            AccountState memory sender = _accounts[from];
            if (sender.frozen) return (TransferCodes.SENDER_FROZEN, address(0));
            uint256 balance = balanceOf(from);
            if (balance < value) return (TransferCodes.INSUFFICIENT_BALANCE, address(0));
            if (balance - sender.frozenTokens < value) {
                return (TransferCodes.INSUFFICIENT_UNFROZEN_BALANCE, address(0));
            }
        }
        if (_accounts[to].frozen) return (TransferCodes.RECEIVER_FROZEN, address(0));
        if (minting) {
            try gate.isVerified(policyId, to) returns (bool ok) {
                if (!ok) return (TransferCodes.RECEIVER_NOT_VERIFIED, address(0));
            } catch {
                return (TransferCodes.CHECK_FAILED, address(gate));
            }
        } else {
            try gate.verifiedPair(policyId, from, to) returns (bool fromOk, bool toOk) {
                if (!fromOk) return (TransferCodes.SENDER_NOT_VERIFIED, address(0));
                if (!toOk) return (TransferCodes.RECEIVER_NOT_VERIFIED, address(0));
            } catch {
                return (TransferCodes.CHECK_FAILED, address(gate));
            }
        }
        uint256 count = _ruleCount;
        for (uint256 i = 0; i < count; i++) {
            IComplianceRule rule = _rules[i];
            try rule.canTransfer(from, to, value) returns (bool ok, uint8 code) {
                if (!ok) return (code, address(rule));
            } catch {
                return (TransferCodes.CHECK_FAILED, address(rule));
            }
        }
        return (TransferCodes.OK, address(0));
    }

    /// @dev Turns a refusal code into the custom error that carries its values.
    function _refuse(uint8 code, address rule, address from, address to, uint256 value) private view {
        if (code == TransferCodes.INVALID_RECEIVER) revert InvalidReceiver(to);
        if (code == TransferCodes.PAUSED) revert TokenPaused();
        if (code == TransferCodes.SENDER_FROZEN) revert AddressFrozen(from);
        if (code == TransferCodes.INSUFFICIENT_BALANCE) revert ERC20InsufficientBalance(from, balanceOf(from), value);
        if (code == TransferCodes.INSUFFICIENT_UNFROZEN_BALANCE) {
            revert InsufficientUnfrozenBalance(from, balanceOf(from) - _accounts[from].frozenTokens, value);
        }
        if (code == TransferCodes.RECEIVER_FROZEN) revert AddressFrozen(to);
        if (code == TransferCodes.SENDER_NOT_VERIFIED) revert NotVerified(from);
        if (code == TransferCodes.RECEIVER_NOT_VERIFIED) revert NotVerified(to);
        if (code == TransferCodes.CHECK_FAILED) revert ComplianceCheckFailed(rule);
        revert ComplianceRuleRefused(rule, code);
    }

    /// @dev An agent move may take frozen tokens: unfreeze just the shortfall.
    function _releaseFrozenFor(address from, uint256 value) private {
        AccountState storage state = _accounts[from];
        uint256 frozen = state.frozenTokens;
        if (frozen == 0) return;
        uint256 balance = balanceOf(from);
        uint256 unfrozen = balance > frozen ? balance - frozen : 0;
        if (value > unfrozen) {
            uint256 release = value - unfrozen;
            if (release > frozen) release = frozen;
            state.frozenTokens = uint248(frozen - release);
            emit TokensUnfrozen(from, release);
        }
    }

    function _notifyRules(address from, address to, uint256 value) private {
        uint256 count = _ruleCount;
        for (uint256 i = 0; i < count; i++) {
            IComplianceRule rule = _rules[i];
            if (from == address(0)) rule.created(to, value);
            else if (to == address(0)) rule.destroyed(from, value);
            else rule.transferred(from, to, value);
        }
    }

    function _sameLength(uint256 expected, uint256 got) private pure {
        if (expected != got) revert LengthMismatch(expected, got);
    }
}
