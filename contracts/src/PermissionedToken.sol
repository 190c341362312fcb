// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC7943Fungible} from "./interfaces/IERC7943.sol";
import {IComplianceGate} from "./interfaces/IComplianceGate.sol";
import {IComplianceRule} from "./interfaces/IComplianceRule.sol";
import {TransferCodes} from "./libraries/TransferCodes.sol";

/// @title PermissionedToken
/// @notice An ERC-20 whose holders must be verified by a ComplianceGate policy, with the ERC-3643
/// agent surface (pause, freeze addresses, freeze partial amounts, forced transfer, wallet recovery,
/// mint/burn and batch forms) and pluggable compliance rules. It implements ERC-7943 (uRWA,
/// {IERC7943Fungible}, answered through ERC-165) and uses ERC-3643's signatures for the functions and
/// events the two share (docs/contracts.md, "ERC-7943 and the ERC-3643 token ABI").
///
/// Every balance change goes through OpenZeppelin's `_update` hook, where the token applies its
/// checks in this order (the first failure names the refusal):
///   receiver not zero → not paused → sender not frozen → sender balance → sender unfrozen balance →
///   receiver not frozen → sender verified → receiver verified → each rule in the order added.
/// A mint skips the sender checks and the pause; a burn checks nothing (agent power). Forced transfers
/// and recoveries only require a verified, unfrozen receiver; they consume frozen tokens if needed and
/// skip the rules' `canTransfer`, but the rules still see them through their hooks (and can tell
/// them apart with {isAgentMove}). Only the agent's own movement skips the checks: a transfer a
/// rule's hook starts during it is checked in full.
///
/// The policy the token reads can be changed by the admin while the token is paused
/// ({setPolicyId}): that is how a tightened policy reaches existing holders (docs/contracts.md,
/// "Controls that stick").
///
/// Roles:
/// - `DEFAULT_ADMIN_ROLE` (one holder, handed over in two steps with a delay — OpenZeppelin's
///   AccessControlDefaultAdminRules): grants the other roles, adds and removes compliance rules,
///   moves the token to another policy.
/// - `AGENT_ROLE`: mint, burn, pause/unpause, freeze/unfreeze, forced transfer, recovery.
/// The token itself must be a policy agent of its policy in the gate (`setPolicyAgent`): a recovery
/// revokes and bars the lost wallet. It needs no power over any other policy.
contract PermissionedToken is ERC20, AccessControlDefaultAdminRules, IERC7943Fungible {
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");
    uint256 public constant MAX_RULES = 8;
    /// @notice The largest policy id a token can follow: the id shares a storage word with the rule
    /// count and the pause flag (see {Config}).
    uint256 public constant MAX_POLICY_ID = type(uint232).max;
    /// @notice Gas a rule's `canTransfer` may use. Our rules need well under 60k (LockUp's worst
    /// case reads 17 cold words); the bound keeps a broken rule from eating a transfer's gas, and
    /// the 1/64 the caller always keeps is then enough to refuse cleanly.
    uint256 public constant RULE_CHECK_GAS = 150_000;

    error TokenPaused();
    error InvalidReceiver(address receiver);
    // A frozen sender or receiver is refused with ERC-7943's `ERC7943CannotSend(from)` /
    // `ERC7943CannotReceive(to)`, and a frozen amount with `ERC7943InsufficientUnfrozenBalance`
    // (declared in IERC7943Fungible). An unverified wallet keeps the more specific error below.
    error NotVerified(address account);
    error ComplianceRuleRefused(address rule, uint8 code);
    error ComplianceCheckFailed(address target);
    error ZeroAddress(string field);
    error LengthMismatch(uint256 expected, uint256 got);
    error FreezeExceedsBalance(address account, uint256 balance, uint256 frozenAfter);
    error UnfreezeExceedsFrozen(address account, uint256 frozen, uint256 amount);
    /// @dev A frozen amount is stored in 248 bits (see {AccountState}).
    error FrozenAmountTooLarge(address account, uint256 amount, uint256 max);
    error NotSameInvestor(address lostWallet, address newWallet);
    error RecoveryToSameWallet(address wallet);
    error LostWalletHoldsNoTokens(address wallet);
    error TooManyRules(uint256 max);
    error RuleAlreadyAdded(address rule);
    error RuleNotFound(address rule);
    error RuleHasNoCode(address rule);
    error NotAComplianceRule(address rule);
    error AlreadyInState(bool paused);
    error UnknownPolicy(uint256 policyId);
    error PolicyIdTooLarge(uint256 policyId, uint256 max);
    error PolicyIdUnchanged(uint256 policyId);
    /// @dev {setPolicyId} runs only while holder transfers are stopped.
    error TokenNotPaused();

    // The pause, freeze and recovery events have ERC-3643's signatures and indexing (what T-REX's
    // IToken emits), so tools written for ERC-3643 tokens decode them; ERC-7943's `ForcedTransfer`
    // and `Frozen` come from IERC7943Fungible. Every change of a frozen amount logs both ERC-3643's
    // delta (`TokensFrozen`/`TokensUnfrozen`) and ERC-7943's new total (`Frozen`).
    event Paused(address agent);
    event Unpaused(address agent);
    event AddressFrozen(address indexed account, bool indexed frozen, address indexed agent);
    event TokensFrozen(address indexed account, uint256 amount);
    event TokensUnfrozen(address indexed account, uint256 amount);
    /// @param investorOnchainID the ERC-3643 ONCHAINID the agent names, logged as given (we bind
    /// wallets to investors through the gate, not through an identity contract).
    event RecoverySuccess(address indexed lostWallet, address indexed newWallet, address indexed investorOnchainID);
    event RuleAdded(address indexed rule);
    event RuleRemoved(address indexed rule);
    event PolicyIdChanged(uint256 indexed previous, uint256 indexed current, address indexed agent);

    /// @dev Freeze state of one account in one word: read once per transfer side.
    struct AccountState {
        bool frozen;
        uint248 frozenTokens;
    }

    /// @dev One word, read once on every transfer: the rule count, the pause flag and the policy id
    /// the token reads in the gate. The policy id used to be immutable (free to read); packed here it
    /// costs nothing more, because the transfer already loads this word for the other two.
    struct Config {
        uint8 ruleCount;
        bool paused;
        uint232 policyId;
    }

    string private constant RECOVERY_REASON = "wallet recovery: lost wallet";
    /// @dev Set by `_update` in its copy of the {Config} word (never stored) for an agent move:
    /// above the 248 bits the struct uses.
    uint256 private constant AGENT_MOVE_BIT = 1 << 255;
    /// @dev Set by {canTransfer} in its copy of the {Config} word: ERC-7943 leaves a plain shortage
    /// of balance to ERC-20, so `_status` looks past it (frozen tokens in the way still refuse).
    /// Bit 9 lies in the byte of the `paused` bool, which storage only ever holds as 0 or 1, and
    /// outside the policy id (`config >> 16`), so no reader of the word sees it.
    uint256 private constant PAST_BALANCE_BIT = 1 << 9;

    IComplianceGate public immutable gate;
    uint8 private immutable _decimals;

    mapping(address account => AccountState) private _accounts;
    IComplianceRule[MAX_RULES] private _rules;
    Config private _config;

    /// @dev Set by a forced transfer or recovery for its one movement, and cleared by `_update` as
    /// soon as that movement has passed its (relaxed) checks, before any rule is called: a transfer
    /// a rule's hook starts must not inherit the agent's exemptions (transient storage, EIP-1153).
    bool private transient _agentMove;
    /// @dev True while the rules' hooks hear about an agent move; what {isAgentMove} reports. It
    /// relaxes nothing, so it may stay set while a hook runs.
    bool private transient _notifyingAgentMove;

    /// @param adminDelay seconds a scheduled handover of DEFAULT_ADMIN_ROLE must wait before the new
    /// admin can accept it (AccessControlDefaultAdminRules); 0 still needs the acceptance.
    /// Refuses a zero gate, a policy id above {MAX_POLICY_ID} and one the gate does not know.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        address admin,
        IComplianceGate gate_,
        uint256 policyId_,
        uint48 adminDelay
    ) ERC20(name_, symbol_) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (address(gate_) == address(0)) revert ZeroAddress("gate");
        _grantRole(AGENT_ROLE, admin);
        gate = gate_;
        _decimals = decimals_;
        _checkPolicy(policyId_);
        _config.policyId = uint232(policyId_);
        emit PolicyIdChanged(0, policyId_, msg.sender);
    }

    /// @notice The token's decimals, fixed at deployment.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    // ─── ERC-3643-style views ────────────────────────────────────────────────────────────────

    /// @notice The gate policy whose registrations this token reads.
    function policyId() public view returns (uint256) {
        return _config.policyId;
    }

    /// @notice Whether `wallet` currently holds a verification for this token's policy.
    function isVerified(address wallet) public view returns (bool) {
        return gate.isVerified(_config.policyId, wallet);
    }

    /// @notice ERC-7943's (and ERC-3643's) `canTransfer`: whether moving `amount` from `from` to `to`
    /// passes every check of this token right now — not paused, {canSend}`(from)`,
    /// {canReceive}`(to)`, `amount` within the unfrozen balance (balance − frozen, 0 when more is
    /// frozen than held), and every rule. As ERC-7943 asks, an `amount` above the whole balance is
    /// not refused here when nothing is frozen (ERC-20 refuses it, `ERC20InsufficientBalance`);
    /// {transferStatus} reports it (INSUFFICIENT_BALANCE). `from == address(0)` asks about a mint.
    /// Never reverts, whatever the rules do: a rule that reverts, answers garbage or runs out of gas
    /// makes the answer false.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed) {
        (uint8 code,) = _status(_configWord() | PAST_BALANCE_BIT, from, to, amount);
        return code == TransferCodes.OK;
    }

    /// @notice ERC-7943's `canSend`: whether `account` is eligible to send — verified (unexpired,
    /// not revoked) in the gate under this token's policy and not frozen by an agent. Account-level
    /// only, as the standard asks: the pause, the amount, the frozen amount and the rules are
    /// {canTransfer}'s. Never reverts (a gate that fails to answer makes it false).
    function canSend(address account) external view returns (bool allowed) {
        return _eligible(account);
    }

    /// @notice ERC-7943's `canReceive`: whether `account` is eligible to receive — the same test as
    /// {canSend} (verified and not frozen; our token has no one-way restriction). The pause is left
    /// out on purpose: a paused token still mints and force-moves to an eligible account. Never reverts.
    function canReceive(address account) external view returns (bool allowed) {
        return _eligible(account);
    }

    /// @notice Why a transfer would be refused: a code from {TransferCodes} (0 = allowed) and, for a
    /// rule's refusal or failure, the rule's address. `from == address(0)` asks about a mint. Never reverts.
    function transferStatus(address from, address to, uint256 amount) external view returns (uint8 code, address rule) {
        return _status(_configWord(), from, to, amount);
    }

    /// @notice Whether the movement being processed is an agent's forced transfer or recovery. Rules
    /// read it from their hooks (e.g. TransferVolumePerPeriod does not charge a holder for an agent's
    /// move); outside a movement it is false, and so it is for a (fully checked) transfer a hook
    /// starts during an agent move.
    function isAgentMove() external view returns (bool) {
        return _notifyingAgentMove;
    }

    /// @notice Whether holder transfers are stopped.
    function paused() external view returns (bool) {
        return _config.paused;
    }

    /// @notice Whether every movement out of and into `account` is stopped.
    function isFrozen(address account) external view returns (bool) {
        return _accounts[account].frozen;
    }

    /// @notice How much of `account`'s balance is frozen (ERC-3643 and ERC-7943). It may exceed the
    /// balance after {setFrozenTokens}: the excess holds back tokens the account receives later.
    function getFrozenTokens(address account) external view returns (uint256 amount) {
        return _accounts[account].frozenTokens;
    }

    /// @notice ERC-165: true for IERC7943Fungible (0x3edbb4c4), IERC20, IAccessControl,
    /// IAccessControlDefaultAdminRules and IERC165 itself.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(AccessControlDefaultAdminRules, IERC165)
        returns (bool)
    {
        return interfaceId == type(IERC7943Fungible).interfaceId || interfaceId == type(IERC20).interfaceId
            || super.supportsInterface(interfaceId);
    }

    /// @notice The compliance rules consulted on every transfer, in order.
    function rules() external view returns (IComplianceRule[] memory list) {
        uint256 count = _config.ruleCount;
        list = new IComplianceRule[](count);
        for (uint256 i = 0; i < count; i++) list[i] = _rules[i];
    }

    // ─── rules ───────────────────────────────────────────────────────────────────────────────

    /// @notice Appends a rule (DEFAULT_ADMIN_ROLE). Rules that keep per-investor sums should be added
    /// before tokens are minted: they only see movements from then on (their `resync` catches up).
    /// Refuses the zero address, an address without code and a contract that does not answer
    /// ERC-165 for IComplianceRule (either would make every transfer fail), a rule already added,
    /// and a ninth rule.
    function addRule(IComplianceRule rule) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(rule) == address(0)) revert ZeroAddress("rule");
        if (address(rule).code.length == 0) revert RuleHasNoCode(address(rule));
        if (!ERC165Checker.supportsInterface(address(rule), type(IComplianceRule).interfaceId)) {
            revert NotAComplianceRule(address(rule));
        }
        uint256 count = _config.ruleCount;
        if (count == MAX_RULES) revert TooManyRules(MAX_RULES);
        for (uint256 i = 0; i < count; i++) if (_rules[i] == rule) revert RuleAlreadyAdded(address(rule));
        _rules[count] = rule;
        _config.ruleCount = uint8(count + 1);
        emit RuleAdded(address(rule));
    }

    /// @notice Removes a rule (DEFAULT_ADMIN_ROLE), keeping the order of the others. Refuses a rule
    /// that is not attached.
    function removeRule(IComplianceRule rule) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 count = _config.ruleCount;
        for (uint256 i = 0; i < count; i++) {
            if (_rules[i] == rule) {
                for (uint256 j = i; j + 1 < count; j++) _rules[j] = _rules[j + 1];
                delete _rules[count - 1];
                _config.ruleCount = uint8(count - 1);
                emit RuleRemoved(address(rule));
                return;
            }
        }
        revert RuleNotFound(address(rule));
    }

    // ─── agent powers ────────────────────────────────────────────────────────────────────────

    /// @notice Moves the token to another policy of its gate (DEFAULT_ADMIN_ROLE, while paused):
    /// from now on only registrations under `newPolicyId` count, so a tightened policy reaches every
    /// holder (they re-prove under it first). The admin, not an agent, because the policy decides
    /// whose wallets the token's recovery can revoke and bar; paused, because rules that sum per
    /// investor must be resynced before holders trade again (investor tags are per policy;
    /// docs/contracts.md has the whole procedure). The gate must make the token a policy agent of
    /// `newPolicyId` for recoveries to work afterwards. Refuses an unpaused token
    /// (`TokenNotPaused`), an id above {MAX_POLICY_ID}, the current id and an id the gate has no
    /// policy for.
    function setPolicyId(uint256 newPolicyId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_config.paused) revert TokenNotPaused();
        uint256 previous = _config.policyId;
        if (newPolicyId == previous) revert PolicyIdUnchanged(newPolicyId);
        _checkPolicy(newPolicyId);
        _config.policyId = uint232(newPolicyId);
        emit PolicyIdChanged(previous, newPolicyId, msg.sender);
    }

    /// @notice Stops all holder transfers (AGENT_ROLE). Agent operations keep working. Refuses when
    /// already paused.
    function pause() external onlyRole(AGENT_ROLE) {
        if (_config.paused) revert AlreadyInState(true);
        _config.paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Resumes holder transfers (AGENT_ROLE). Refuses when not paused.
    function unpause() external onlyRole(AGENT_ROLE) {
        if (!_config.paused) revert AlreadyInState(false);
        _config.paused = false;
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

    /// @notice Freezes or unfreezes every movement out of and into `account` (AGENT_ROLE), logging
    /// ERC-3643's `AddressFrozen(account, frozen, agent)`.
    function setAddressFrozen(address account, bool frozen) public onlyRole(AGENT_ROLE) {
        _accounts[account].frozen = frozen;
        emit AddressFrozen(account, frozen, msg.sender);
    }

    /// @notice ERC-3643: freezes `amount` more of `account`'s tokens (AGENT_ROLE); refuses freezing
    /// more than its balance (`FreezeExceedsBalance`; {setFrozenTokens} may go beyond it). Logs
    /// `TokensFrozen(account, amount)` and `Frozen(account, total)`.
    function freezePartialTokens(address account, uint256 amount) public onlyRole(AGENT_ROLE) {
        AccountState storage state = _accounts[account];
        uint256 frozenAfter = state.frozenTokens + amount;
        uint256 balance = balanceOf(account);
        if (frozenAfter > balance) revert FreezeExceedsBalance(account, balance, frozenAfter);
        state.frozenTokens = uint248(frozenAfter);
        emit TokensFrozen(account, amount);
        emit Frozen(account, frozenAfter);
    }

    /// @notice ERC-3643: releases `amount` of `account`'s frozen tokens (AGENT_ROLE); refuses more
    /// than frozen (`UnfreezeExceedsFrozen`). Logs `TokensUnfrozen(account, amount)` and
    /// `Frozen(account, total)`.
    function unfreezePartialTokens(address account, uint256 amount) public onlyRole(AGENT_ROLE) {
        AccountState storage state = _accounts[account];
        uint256 frozen = state.frozenTokens;
        if (amount > frozen) revert UnfreezeExceedsFrozen(account, frozen, amount);
        state.frozenTokens = uint248(frozen - amount);
        emit TokensUnfrozen(account, amount);
        emit Frozen(account, frozen - amount);
    }

    /// @notice ERC-7943: sets `account`'s frozen amount to `amount` (AGENT_ROLE), replacing the old
    /// value. `amount` may exceed the balance, as the standard requires: the excess holds back
    /// tokens received later. Logs the change as ERC-3643's delta (`TokensFrozen` or
    /// `TokensUnfrozen`, none when unchanged) and ERC-7943's `Frozen(account, amount)`. Refuses the
    /// zero address (`ZeroAddress("account")`) and an amount above 2^248 − 1
    /// (`FrozenAmountTooLarge`, the stored width).
    function setFrozenTokens(address account, uint256 amount) external onlyRole(AGENT_ROLE) returns (bool result) {
        if (account == address(0)) revert ZeroAddress("account");
        if (amount > type(uint248).max) revert FrozenAmountTooLarge(account, amount, type(uint248).max);
        AccountState storage state = _accounts[account];
        uint256 previous = state.frozenTokens;
        state.frozenTokens = uint248(amount);
        if (amount > previous) emit TokensFrozen(account, amount - previous);
        else if (amount < previous) emit TokensUnfrozen(account, previous - amount);
        emit Frozen(account, amount);
        return true;
    }

    /// @notice ERC-3643 and ERC-7943: moves `amount` from `from` to `to` regardless of pause,
    /// freezes, the sender's verification and the rules (AGENT_ROLE), e.g. to move a sanctioned
    /// wallet's balance to custody. Frozen tokens it takes are unfrozen first (`TokensUnfrozen`,
    /// `Frozen`, before the `Transfer`), then ERC-7943's `ForcedTransfer(from, to, amount)` is
    /// logged. Refuses a frozen receiver (`ERC7943CannotReceive(to)`), an unverified one
    /// (`NotVerified(to)`) and more than `from` holds (`ERC20InsufficientBalance`).
    function forcedTransfer(address from, address to, uint256 amount)
        public
        onlyRole(AGENT_ROLE)
        returns (bool result)
    {
        _agentMove = true;
        _transfer(from, to, amount);
        _agentMove = false;
        emit ForcedTransfer(from, to, amount);
        return true;
    }

    /// @notice Moves the whole balance, the frozen amount and the address freeze of a lost wallet to
    /// a new wallet of the same investor (AGENT_ROLE), and shuts the lost wallet, which someone else
    /// may now hold: frozen here, revoked and barred (until lifted) in the gate, in this transaction.
    /// The token must be a policy agent of its policy in the gate for that. Refuses wallets not bound
    /// to one investor under the token's policy, the same wallet twice, a lost wallet holding none of
    /// this token (`LostWalletHoldsNoTokens`: tokens sharing a policy must not shut each other's
    /// holders), a frozen (`ERC7943CannotReceive`) or unverified (`NotVerified`) new wallet, and a
    /// carried frozen amount that would not fit the new wallet's (`FrozenAmountTooLarge`).
    /// Emits the freeze changes: `TokensUnfrozen(lost)` + `Frozen(lost, 0)` and `TokensFrozen(new)` +
    /// `Frozen(new, total)` for the frozen amount, `AddressFrozen(new, true)` when the freeze flag is
    /// carried, `AddressFrozen(lost, true)`; then `RecoverySuccess`.
    /// @param investorOnchainID ERC-3643's ONCHAINID of the investor; only logged (the investor is
    /// the gate's: both wallets must carry the same investor tag). address(0) when there is none.
    function recoveryAddress(address lostWallet, address newWallet, address investorOnchainID)
        external
        onlyRole(AGENT_ROLE)
        returns (bool)
    {
        uint256 policy = _config.policyId;
        if (lostWallet == newWallet) revert RecoveryToSameWallet(lostWallet);
        uint256 investor = gate.investorOf(policy, lostWallet);
        if (investor == 0 || investor != gate.investorOf(policy, newWallet)) {
            revert NotSameInvestor(lostWallet, newWallet);
        }
        // Only a holder of this token: tokens sharing the policy must not revoke/bar each other's
        // holders. A frozen amount alone does not make one: {setFrozenTokens} may freeze ahead of
        // any balance.
        if (balanceOf(lostWallet) == 0) revert LostWalletHoldsNoTokens(lostWallet);
        // The freeze state travels with the balance; clear it first so the move does not release it.
        AccountState memory lost = _accounts[lostWallet];
        delete _accounts[lostWallet];
        if (lost.frozenTokens != 0) {
            emit TokensUnfrozen(lostWallet, lost.frozenTokens);
            emit Frozen(lostWallet, 0);
        }
        _agentMove = true;
        _transfer(lostWallet, newWallet, balanceOf(lostWallet));
        _agentMove = false;
        AccountState storage target = _accounts[newWallet];
        if (lost.frozenTokens != 0) {
            uint256 total = uint256(target.frozenTokens) + lost.frozenTokens;
            if (total > type(uint248).max) revert FrozenAmountTooLarge(newWallet, total, type(uint248).max);
            target.frozenTokens = uint248(total);
            emit TokensFrozen(newWallet, lost.frozenTokens);
            emit Frozen(newWallet, total);
        }
        if (lost.frozen) {
            // The new wallet was unfrozen (the move requires it): the investor stays frozen.
            target.frozen = true;
            emit AddressFrozen(newWallet, true, msg.sender);
        }
        // Whoever holds the lost key must not use the wallet again, here or through a fresh proof.
        _accounts[lostWallet].frozen = true;
        emit AddressFrozen(lostWallet, true, msg.sender);
        // After the move, so the rules saw it as a move between one investor's wallets.
        gate.revokeWallet(policy, lostWallet, RECOVERY_REASON);
        gate.barWallet(policy, lostWallet, type(uint64).max, RECOVERY_REASON);
        emit RecoverySuccess(lostWallet, newWallet, investorOnchainID);
        return true;
    }

    // ─── batch forms ─────────────────────────────────────────────────────────────────────────

    /// @notice {transfer} to several receivers; all or nothing. Refuses arrays of different lengths.
    function batchTransfer(address[] calldata to, uint256[] calldata amounts) external {
        _sameLength(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) _transfer(msg.sender, to[i], amounts[i]);
    }

    /// @notice {mint} for several receivers (AGENT_ROLE); all or nothing.
    function batchMint(address[] calldata to, uint256[] calldata amounts) external {
        _sameLength(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) mint(to[i], amounts[i]);
    }

    /// @notice {burn} from several holders (AGENT_ROLE); all or nothing.
    function batchBurn(address[] calldata from, uint256[] calldata amounts) external {
        _sameLength(from.length, amounts.length);
        for (uint256 i = 0; i < from.length; i++) burn(from[i], amounts[i]);
    }

    /// @notice {forcedTransfer} for several pairs (AGENT_ROLE); all or nothing.
    function batchForcedTransfer(address[] calldata from, address[] calldata to, uint256[] calldata amounts) external {
        _sameLength(from.length, to.length);
        _sameLength(from.length, amounts.length);
        for (uint256 i = 0; i < from.length; i++) forcedTransfer(from[i], to[i], amounts[i]);
    }

    /// @notice {setAddressFrozen} for several accounts (AGENT_ROLE); all or nothing.
    function batchSetAddressFrozen(address[] calldata accounts, bool[] calldata frozen) external {
        _sameLength(accounts.length, frozen.length);
        for (uint256 i = 0; i < accounts.length; i++) setAddressFrozen(accounts[i], frozen[i]);
    }

    /// @notice {freezePartialTokens} for several accounts (AGENT_ROLE); all or nothing.
    function batchFreezePartialTokens(address[] calldata accounts, uint256[] calldata amounts) external {
        _sameLength(accounts.length, amounts.length);
        for (uint256 i = 0; i < accounts.length; i++) freezePartialTokens(accounts[i], amounts[i]);
    }

    /// @notice {unfreezePartialTokens} for several accounts (AGENT_ROLE); all or nothing.
    function batchUnfreezePartialTokens(address[] calldata accounts, uint256[] calldata amounts) external {
        _sameLength(accounts.length, amounts.length);
        for (uint256 i = 0; i < accounts.length; i++) unfreezePartialTokens(accounts[i], amounts[i]);
    }

    // ─── the compliance hook ─────────────────────────────────────────────────────────────────

    /// @dev Every mint, burn and transfer lands here (OpenZeppelin 5's single hook).
    function _update(address from, address to, uint256 value) internal override {
        uint256 config = _configWord();
        if (to == address(0)) {
            // Burn (agent only): may eat into frozen tokens.
            _releaseFrozenFor(from, value);
        } else if (from != address(0) && _agentMove) {
            // Used up here, before the rules run: a transfer started from a rule's hook is checked.
            _agentMove = false;
            if (_accounts[to].frozen) revert ERC7943CannotReceive(to);
            if (!gate.isVerified(config >> 16, to)) revert NotVerified(to);
            _releaseFrozenFor(from, value);
            // Tells _notifyRules, at no cost to other transfers. Set after the policy id (bits
            // 16–247) was read from `config`, which must not see this bit.
            config |= AGENT_MOVE_BIT;
        } else {
            (uint8 code, address rule) = _status(config, from, to, value);
            if (code != TransferCodes.OK) _refuse(code, rule, from, to, value);
        }
        super._update(from, to, value);
        _notifyRules(config, from, to, value);
    }

    /// @dev {Config} as one raw word (ruleCount: bits 0–7, paused: bit 8, policyId: bits 16–247),
    /// loaded with a single SLOAD and unpacked on the stack: the transfer path stays as cheap as when
    /// the policy id was an immutable.
    function _configWord() private view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(_config.slot)
        }
    }

    /// @dev The ordered checks, as a reason code. Reads each storage word at most once on success.
    function _status(uint256 config, address from, address to, uint256 value) private view returns (uint8, address) {
        if (to == address(0)) return (TransferCodes.INVALID_RECEIVER, address(0));
        bool minting = from == address(0);
        if (!minting) {
            if (config & 0x100 != 0) return (TransferCodes.PAUSED, address(0));
            AccountState memory sender = _accounts[from];
            if (sender.frozen) return (TransferCodes.SENDER_FROZEN, address(0));
            uint256 balance = balanceOf(from);
            if (balance < value) {
                // {canTransfer} (ERC-7943) looks past a plain shortage; frozen tokens still refuse.
                if (config & PAST_BALANCE_BIT == 0) return (TransferCodes.INSUFFICIENT_BALANCE, address(0));
                if (sender.frozenTokens != 0) return (TransferCodes.INSUFFICIENT_UNFROZEN_BALANCE, address(0));
            } else {
                // balance ≥ value here, so no underflow; and none from a frozen amount above the
                // balance ({setFrozenTokens} allows it), which `balance - frozen` would hit.
                unchecked {
                    if (balance - value < sender.frozenTokens) {
                        return (TransferCodes.INSUFFICIENT_UNFROZEN_BALANCE, address(0));
                    }
                }
            }
        }
        if (_accounts[to].frozen) return (TransferCodes.RECEIVER_FROZEN, address(0));
        if (minting) {
            try gate.isVerified(config >> 16, to) returns (bool ok) {
                if (!ok) return (TransferCodes.RECEIVER_NOT_VERIFIED, address(0));
            } catch {
                return (TransferCodes.CHECK_FAILED, address(gate));
            }
        } else {
            try gate.verifiedPair(config >> 16, from, to) returns (bool fromOk, bool toOk) {
                if (!fromOk) return (TransferCodes.SENDER_NOT_VERIFIED, address(0));
                if (!toOk) return (TransferCodes.RECEIVER_NOT_VERIFIED, address(0));
            } catch {
                return (TransferCodes.CHECK_FAILED, address(gate));
            }
        }
        uint256 count = config & 0xff;
        if (count != 0) {
            bytes memory data = abi.encodeCall(IComplianceRule.canTransfer, (from, to, value));
            for (uint256 i = 0; i < count; i++) {
                address rule = address(_rules[i]);
                uint8 code = _ruleVerdict(rule, data);
                if (code != TransferCodes.OK) return (code, rule);
            }
        }
        return (TransferCodes.OK, address(0));
    }

    /// @dev Asks one rule, failing closed: a revert, running out of the gas bound, an answer shorter
    /// than two words, a bool that is not 0/1, a code above 255, or a refusal with a code below
    /// {TransferCodes.FIRST_RULE_CODE} (0, or one of the token's own codes, which would make the
    /// refusal look like e.g. `TokenPaused`) all come back as CHECK_FAILED, naming the rule. Only
    /// two words of the answer are copied, so a rule cannot make the token pay for a huge return. (A high-level try/catch would revert on a malformed answer: decoding
    /// happens in the caller, outside the try.)
    function _ruleVerdict(address rule, bytes memory data) private view returns (uint8) {
        bool success;
        uint256 ok;
        uint256 code;
        assembly ("memory-safe") {
            success := staticcall(RULE_CHECK_GAS, rule, add(data, 32), mload(data), 0, 64)
            if lt(returndatasize(), 64) { success := 0 }
            ok := mload(0)
            code := mload(32)
        }
        if (!success || ok > 1 || code > type(uint8).max) return TransferCodes.CHECK_FAILED;
        if (ok == 1) return TransferCodes.OK;
        return code < TransferCodes.FIRST_RULE_CODE ? TransferCodes.CHECK_FAILED : uint8(code);
    }

    /// @dev Turns a refusal code into the custom error that carries its values: one error per code,
    /// ERC-7943's where it has the concept (a frozen account cannot send / receive, a frozen amount),
    /// ours where they say more (`NotVerified` — the holder should prove —, `TokenPaused`, the rule
    /// and its code). `ERC7943CannotTransfer` is never raised: every refusal has a more specific
    /// error, which the standard prefers.
    function _refuse(uint8 code, address rule, address from, address to, uint256 value) private view {
        if (code == TransferCodes.INVALID_RECEIVER) revert InvalidReceiver(to);
        if (code == TransferCodes.PAUSED) revert TokenPaused();
        if (code == TransferCodes.SENDER_FROZEN) revert ERC7943CannotSend(from);
        if (code == TransferCodes.INSUFFICIENT_BALANCE) revert ERC20InsufficientBalance(from, balanceOf(from), value);
        if (code == TransferCodes.INSUFFICIENT_UNFROZEN_BALANCE) {
            uint256 balance = balanceOf(from);
            uint256 frozen = _accounts[from].frozenTokens;
            revert ERC7943InsufficientUnfrozenBalance(from, value, balance > frozen ? balance - frozen : 0);
        }
        if (code == TransferCodes.RECEIVER_FROZEN) revert ERC7943CannotReceive(to);
        if (code == TransferCodes.SENDER_NOT_VERIFIED) revert NotVerified(from);
        if (code == TransferCodes.RECEIVER_NOT_VERIFIED) revert NotVerified(to);
        if (code == TransferCodes.CHECK_FAILED) revert ComplianceCheckFailed(rule);
        revert ComplianceRuleRefused(rule, code);
    }

    /// @dev An agent move or burn may take frozen tokens: unfreeze just the shortfall, logged (as
    /// ERC-7943 asks) before the `Transfer`. With more frozen than held, what leaves is all frozen:
    /// the frozen amount drops by what leaves and the excess keeps holding back future receipts.
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
            emit Frozen(from, frozen - release);
        }
    }

    /// @dev {canSend}/{canReceive}: verified under the token's policy and not frozen. The gate is
    /// asked inside try/catch, as in `_status`, so the views never revert.
    function _eligible(address account) private view returns (bool) {
        if (account == address(0) || _accounts[account].frozen) return false;
        try gate.isVerified(_config.policyId, account) returns (bool ok) {
            return ok;
        } catch {
            return false;
        }
    }

    /// @dev Tells every rule about a movement. A hook that reverts (or has no code any more) stops
    /// the movement with `ComplianceCheckFailed(rule)`: a rule that cannot keep its books must not
    /// let tokens move past it.
    /// `config` is the {Config} word, with {AGENT_MOVE_BIT} set for an agent move: what
    /// {isAgentMove} answers while the hooks run (restored afterwards, so a checked transfer started
    /// from a hook is not reported as the agent's).
    function _notifyRules(uint256 config, address from, address to, uint256 value) private {
        uint256 count = config & 0xff;
        if (count == 0) return;
        bool agentMove = config & AGENT_MOVE_BIT != 0;
        bool outer = _notifyingAgentMove;
        if (outer != agentMove) _notifyingAgentMove = agentMove;
        bytes memory data = from == address(0)
            ? abi.encodeCall(IComplianceRule.created, (to, value))
            : to == address(0)
                ? abi.encodeCall(IComplianceRule.destroyed, (from, value))
                : abi.encodeCall(IComplianceRule.transferred, (from, to, value));
        for (uint256 i = 0; i < count; i++) {
            address rule = address(_rules[i]);
            bool success;
            assembly ("memory-safe") {
                success := call(gas(), rule, 0, add(data, 32), mload(data), 0, 0)
            }
            if (!success) revert ComplianceCheckFailed(rule);
        }
        if (outer != agentMove) _notifyingAgentMove = outer;
    }

    /// @dev Refuses an id that does not fit {Config} or that the gate has no policy for. The gate's
    /// `policy(id)` view starts with its config struct, whose first field is `exists`: reading that
    /// one word keeps the token independent of the rest of the gate's policy layout.
    function _checkPolicy(uint256 id) private view {
        if (id > MAX_POLICY_ID) revert PolicyIdTooLarge(id, MAX_POLICY_ID);
        (bool success, bytes memory answer) =
            address(gate).staticcall(abi.encodeWithSignature("policy(uint256)", id));
        if (!success || answer.length < 32 || abi.decode(answer, (uint256)) == 0) revert UnknownPolicy(id);
    }

    function _sameLength(uint256 expected, uint256 got) private pure {
        if (expected != got) revert LengthMismatch(expected, got);
    }
}
