// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {TokenBoundRule, IGatedToken} from "./TokenBoundRule.sol";
import {TransferCodes} from "../libraries/TransferCodes.sol";

/// @notice What TransferApproval needs from the token besides {IGatedToken}: what a holder may
/// still move, and the ERC-20 allowance through which an approved transfer is carried out.
interface IReviewedToken {
    function paused() external view returns (bool);
    function isFrozen(address account) external view returns (bool);
    function getFrozenTokens(address account) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @title TransferApproval
/// @notice Holds a transfer for review. A transfer of more than `threshold` to another investor, or
/// any transfer from or to a flagged wallet, is refused (code 22, APPROVAL_REQUIRED) unless a
/// compliance agent approved it. The holder asks for it instead: `requestTransfer(to, amount)`
/// reserves the amount and records a pending transfer; a compliance agent then `approve`s it (the
/// rule carries out the transfer) or `reject`s it; the holder may `cancel` it; once it has expired
/// anyone may `expire` it, and it can no longer be approved.
///
/// Who may ask, and how often: only a sender the token would let send at all (token not paused,
/// wallet not frozen, verified under the token's policy), for at least `minRequestAmount`, and with
/// fewer than `maxPendingPerWallet` transfers already pending, so that no wallet can bury the
/// compliance desk's queue under a stream of tiny requests.
///
/// How the amount is kept, and why not by the token: the tokens stay in the holder's wallet and the
/// rule refuses any transfer that would dip into what the holder's pending transfers reserve
/// (code 23, HELD_FOR_REVIEW). The approved transfer itself is an ordinary `transferFrom` through
/// an ERC-20 allowance the holder gives the rule before requesting, so it passes every check of
/// the token (pause, freezes, both wallets' verification, the other rules) at the time of the
/// approval. So the token is unchanged (an ordinary transfer costs exactly what it did and the rule
/// holds no power over the token), a hold is never mistaken for an agent's freeze (nor can either
/// undo the other), and no path can strand or lose tokens: they move only in the approved transfer,
/// and releasing a hold is bookkeeping in this contract that cannot fail.
///
/// Agent powers stay above the rule: a forced transfer, a recovery or a burn may take tokens a
/// pending transfer reserved, and an agent may freeze them. Such a pending transfer then fails
/// cleanly when approved (the token's own error: the balance or the unfrozen balance no longer
/// covers it, or the sender is frozen) and stays pending, to be rejected, cancelled or expired.
/// While a wallet's balance no longer covers its reservations, it can send nothing.
///
/// Roles: `DEFAULT_ADMIN_ROLE` (one holder, two-step hand-over) sets the threshold, the expiry
/// period, the minimum request amount and the cap on pending transfers per wallet; `COMPLIANCE_AGENT_ROLE`, or the token's `AGENT_ROLE` (who can force any transfer
/// anyway), flags wallets and approves or rejects pending transfers.
contract TransferApproval is TokenBoundRule, ReentrancyGuardTransient {
    /// @notice May flag wallets and approve or reject pending transfers (as may the token's agents).
    bytes32 public constant COMPLIANCE_AGENT_ROLE = keccak256("COMPLIANCE_AGENT_ROLE");
    /// @notice The longest a pending transfer may wait: it reserves the holder's tokens meanwhile.
    uint64 public constant MAX_EXPIRY_PERIOD = 365 days;
    /// @notice The cap on a wallet's pending transfers at deployment: enough for a holder's real
    /// business, too few to flood the desk.
    uint32 public constant DEFAULT_MAX_PENDING_PER_WALLET = 5;

    /// @dev PermissionedToken.AGENT_ROLE.
    bytes32 private constant TOKEN_AGENT_ROLE = keccak256("AGENT_ROLE");

    enum Status {
        None,
        Pending,
        Approved,
        Rejected,
        Cancelled,
        Expired
    }

    /// @dev Three words. Kept after it is settled (only the status changes), so the views can say
    /// what became of an id.
    struct PendingTransfer {
        address from;
        uint64 expiresAt;
        Status status;
        address to;
        uint256 amount;
    }

    /// @dev One word per wallet, read for both sides of every transfer: the flag and what the
    /// wallet's pending transfers reserve; their number shares the word, so a request writes no
    /// extra slot for it. 216 bits of reservation are far beyond any supply.
    struct Wallet {
        bool flagged;
        uint32 pending;
        uint216 held;
    }

    error ZeroAmount();
    error InvalidReceiver(address to);
    error TokenPaused();
    error SenderFrozen(address from);
    error SenderNotVerified(address from);
    error AmountBelowMinimum(uint256 amount, uint256 minimum);
    error TooManyPendingTransfers(address from, uint256 pending, uint256 max);
    error ApprovalNotRequired(address from, address to, uint256 amount);
    error ReceiverNotVerified(address to);
    error InsufficientAvailableBalance(address from, uint256 available, uint256 needed);
    error AllowanceTooLow(address from, uint256 allowance, uint256 needed);
    error TransferNotPending(uint256 id, Status status);
    error RequestExpired(uint256 id, uint64 expiresAt);
    error NotExpired(uint256 id, uint64 expiresAt);
    error NotRequester(uint256 id, address caller);
    error NotComplianceAgent(address caller);
    error InvalidExpiryPeriod(uint64 period, uint64 max);
    error InvalidMaxPendingPerWallet(uint32 max);

    event TransferRequested(uint256 indexed id, address indexed from, address indexed to, uint256 amount, uint64 expiresAt);
    event TransferApproved(uint256 indexed id, address indexed agent);
    event TransferRejected(uint256 indexed id, address indexed agent, string reason);
    event TransferCancelled(uint256 indexed id);
    event TransferExpired(uint256 indexed id, address indexed caller);
    event FlagSet(address indexed wallet, bool flagged, address indexed agent);
    event ThresholdChanged(uint256 previous, uint256 current);
    event ExpiryPeriodChanged(uint64 previous, uint64 current);
    event MinRequestAmountChanged(uint128 previous, uint128 current);
    event MaxPendingPerWalletChanged(uint32 previous, uint32 current);

    /// @notice A transfer of more than this to another investor needs approval.
    uint256 public threshold;
    // One word, read whole by {requestTransfer}: the expiry period and the two request limits.
    /// @notice Seconds a pending transfer waits for a decision before it expires.
    uint64 public expiryPeriod;
    /// @notice The most pending transfers one wallet may have at once (expired ones count until settled).
    uint32 public maxPendingPerWallet;
    /// @notice The smallest amount {requestTransfer} accepts; 0 = any positive amount.
    uint128 public minRequestAmount;
    /// @notice The id of the latest pending transfer (ids start at 1).
    uint256 public lastId;
    mapping(address wallet => Wallet) private _wallets;
    mapping(uint256 id => PendingTransfer) private _transfers;
    /// @dev The one movement {approve} is carrying out, as `keccak256(from, to, amount, balance of
    /// from before it)`: what {canTransfer} lets through without approval while the token checks it.
    /// The balance makes it single-use: a transfer of the same amount between the same wallets that a
    /// rule's hook starts after the movement (the sender's balance has changed) is not let through.
    bytes32 private transient _executing;

    modifier onlyComplianceAgent() {
        if (!hasRole(COMPLIANCE_AGENT_ROLE, msg.sender) && !token.hasRole(TOKEN_AGENT_ROLE, msg.sender)) {
            revert NotComplianceAgent(msg.sender);
        }
        _;
    }

    /// @dev Refuses what {setExpiryPeriod} refuses, besides TokenBoundRule's zero token and admin.
    /// Starts with no minimum request amount and {DEFAULT_MAX_PENDING_PER_WALLET}.
    constructor(IGatedToken token_, address admin, uint256 threshold_, uint64 expiryPeriod_) TokenBoundRule(token_, admin) {
        threshold = threshold_;
        emit ThresholdChanged(0, threshold_);
        _setExpiryPeriod(expiryPeriod_);
        _setMaxPendingPerWallet(DEFAULT_MAX_PENDING_PER_WALLET);
    }

    // ─── settings (DEFAULT_ADMIN_ROLE) and flags (compliance agents) ────────────────────────

    /// @notice Changes the threshold (DEFAULT_ADMIN_ROLE). Pending transfers are unaffected.
    function setThreshold(uint256 newThreshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit ThresholdChanged(threshold, newThreshold);
        threshold = newThreshold;
    }

    /// @notice Changes how long future pending transfers wait (DEFAULT_ADMIN_ROLE). Refuses 0 and
    /// more than {MAX_EXPIRY_PERIOD} (`InvalidExpiryPeriod`).
    function setExpiryPeriod(uint64 newPeriod) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setExpiryPeriod(newPeriod);
    }

    /// @notice Changes the smallest amount a request may ask for (DEFAULT_ADMIN_ROLE); 0 = any
    /// positive amount. Pending transfers are unaffected. Emits {MinRequestAmountChanged}.
    function setMinRequestAmount(uint128 newMinimum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit MinRequestAmountChanged(minRequestAmount, newMinimum);
        minRequestAmount = newMinimum;
    }

    /// @notice Changes how many pending transfers one wallet may have at once (DEFAULT_ADMIN_ROLE).
    /// Refuses 0 (`InvalidMaxPendingPerWallet`: pause the token to stop all requests). A wallet above
    /// a lowered cap keeps its pending transfers and may request again once it is below.
    /// Emits {MaxPendingPerWalletChanged}.
    function setMaxPendingPerWallet(uint32 newMax) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxPendingPerWallet(newMax);
    }

    /// @notice Flags or unflags `wallet` (COMPLIANCE_AGENT_ROLE or the token's AGENT_ROLE): every
    /// transfer from or to a flagged wallet needs approval, whatever its size. To hold an investor,
    /// flag each of their wallets. Pending transfers are unaffected.
    function setFlagged(address wallet, bool flagged) public onlyComplianceAgent {
        _wallets[wallet].flagged = flagged;
        emit FlagSet(wallet, flagged, msg.sender);
    }

    /// @notice {setFlagged} for several wallets; all or nothing.
    function batchSetFlagged(address[] calldata wallets, bool flagged) external {
        for (uint256 i = 0; i < wallets.length; i++) setFlagged(wallets[i], flagged);
    }

    // ─── pending transfers ───────────────────────────────────────────────────────────────────

    /// @notice Asks for a transfer of `amount` to `to` that needs approval, and reserves the
    /// amount: until the request is settled the sender cannot move it. Give this contract an ERC-20
    /// allowance on the token first, covering this amount and the sender's other pending transfers
    /// (the approved transfer is a `transferFrom`). Refuses, in this order: a zero amount
    /// (`ZeroAmount`), the zero address or the sender as receiver (`InvalidReceiver`); while the
    /// token is paused (`TokenPaused`); a frozen sender wallet (`SenderFrozen`; a partial freeze only
    /// makes less available) and a sender not verified under the token's policy
    /// (`SenderNotVerified`); a transfer that needs no approval (`ApprovalNotRequired`: just send
    /// it); a receiver not verified (`ReceiverNotVerified`); less than {minRequestAmount}
    /// (`AmountBelowMinimum`); a sender with {maxPendingPerWallet} pending transfers already
    /// (`TooManyPendingTransfers`); more than the sender's balance less its frozen and reserved
    /// tokens (`InsufficientAvailableBalance`); an allowance below what the sender's pending
    /// transfers will need (`AllowanceTooLow`). Emits {TransferRequested}.
    /// @return id the pending transfer's id.
    function requestTransfer(address to, uint256 amount) external nonReentrant returns (uint256 id) {
        Wallet memory sender = _checkRequest(to, amount);
        _wallets[msg.sender] = Wallet({flagged: sender.flagged, pending: sender.pending + 1, held: SafeCast.toUint216(sender.held + amount)});
        id = ++lastId;
        uint64 expiresAt = uint64(block.timestamp) + expiryPeriod;
        _transfers[id] = PendingTransfer({from: msg.sender, expiresAt: expiresAt, status: Status.Pending, to: to, amount: amount});
        emit TransferRequested(id, msg.sender, to, amount, expiresAt);
    }

    /// @notice Approves pending transfer `id` and carries it out (COMPLIANCE_AGENT_ROLE or the
    /// token's AGENT_ROLE): releases its reservation and moves the tokens with `transferFrom`, which
    /// the token checks in full. Refuses a caller without the role (`NotComplianceAgent`), an id
    /// that is not pending (`TransferNotPending`), an expired one (`RequestExpired`); when the token
    /// refuses the transfer (receiver no longer verified, a freeze, the pause, another rule, an
    /// agent move took the tokens, the allowance withdrawn…) the approval reverts with the token's
    /// error and the transfer stays pending. Emits {TransferApproved} after the token's `Transfer`.
    function approve(uint256 id) external nonReentrant onlyComplianceAgent {
        PendingTransfer storage pending = _pendingOf(id);
        if (block.timestamp >= pending.expiresAt) revert RequestExpired(id, pending.expiresAt);
        (address from, address to, uint256 amount) = (pending.from, pending.to, pending.amount);
        pending.status = Status.Approved;
        _release(from, amount);
        _executing = _movement(from, to, amount, token.balanceOf(from));
        IReviewedToken(address(token)).transferFrom(from, to, amount);
        _executing = bytes32(0);
        emit TransferApproved(id, msg.sender);
    }

    /// @notice Rejects pending transfer `id` (COMPLIANCE_AGENT_ROLE or the token's AGENT_ROLE),
    /// releasing its reservation; also after it expired. Refuses a caller without the role and an id
    /// that is not pending. Emits {TransferRejected} with `reason`.
    function reject(uint256 id, string calldata reason) external nonReentrant onlyComplianceAgent {
        _settle(_pendingOf(id), Status.Rejected);
        emit TransferRejected(id, msg.sender, reason);
    }

    /// @notice The sender withdraws its pending transfer `id`, releasing the reservation; also after
    /// it expired. Refuses an id that is not pending and any caller but the sender (`NotRequester`).
    /// Emits {TransferCancelled}.
    function cancel(uint256 id) external nonReentrant {
        PendingTransfer storage pending = _pendingOf(id);
        if (msg.sender != pending.from) revert NotRequester(id, msg.sender);
        _settle(pending, Status.Cancelled);
        emit TransferCancelled(id);
    }

    /// @notice Ends an expired pending transfer `id` and releases its reservation (anyone). Refuses
    /// an id that is not pending and one whose `expiresAt` has not come (`NotExpired`). Emits
    /// {TransferExpired}.
    function expire(uint256 id) external nonReentrant {
        PendingTransfer storage pending = _pendingOf(id);
        if (block.timestamp < pending.expiresAt) revert NotExpired(id, pending.expiresAt);
        _settle(pending, Status.Expired);
        emit TransferExpired(id, msg.sender);
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @notice Pending transfer `id` (status None for an unknown id). Settled ones keep their data.
    function pendingTransfer(uint256 id) external view returns (PendingTransfer memory) {
        return _transfers[id];
    }

    /// @notice What `wallet`'s pending transfers reserve.
    function heldOf(address wallet) external view returns (uint256) {
        return _wallets[wallet].held;
    }

    /// @notice How many pending transfers `wallet` has (expired ones included until settled).
    function pendingCountOf(address wallet) external view returns (uint256) {
        return _wallets[wallet].pending;
    }

    /// @notice Whether every transfer from or to `wallet` needs approval.
    function isFlagged(address wallet) external view returns (bool) {
        return _wallets[wallet].flagged;
    }

    /// @notice What `wallet` may still send or reserve: its balance less its frozen and reserved tokens.
    function availableOf(address wallet) external view returns (uint256) {
        return _available(wallet, _wallets[wallet].held);
    }

    /// @notice Whether a transfer of `amount` from `from` to `to` needs approval now.
    function needsApproval(address from, address to, uint256 amount) external view returns (bool) {
        return _needsApproval(_wallets[from].flagged, from, to, amount);
    }

    // ─── the rule ────────────────────────────────────────────────────────────────────────────

    /// @notice Refuses, in this order: a transfer taking the sender's reserved tokens (code 23,
    /// HELD_FOR_REVIEW: more than its balance less its frozen and reserved tokens); one that needs
    /// approval — from or to a flagged wallet, or more than `threshold` to another investor (code
    /// 22, APPROVAL_REQUIRED) — unless it is the transfer {approve} is carrying out. Mints pass (an
    /// agent's act); forced transfers and recoveries are not asked (the token skips the rules' checks).
    function canTransfer(address from, address to, uint256 amount) external view returns (bool, uint8) {
        if (from == address(0)) return (true, TransferCodes.OK);
        Wallet memory sender = _wallets[from];
        if (sender.held != 0 && amount > _available(from, sender.held)) return (false, TransferCodes.HELD_FOR_REVIEW);
        if (_needsApproval(sender.flagged, from, to, amount) && !_isExecuting(from, to, amount)) {
            return (false, TransferCodes.APPROVAL_REQUIRED);
        }
        return (true, TransferCodes.OK);
    }

    /// @notice Hook (token only): nothing to record; a reservation is released only by settling.
    function transferred(address, address, uint256) external onlyToken {}

    /// @notice Hook (token only): nothing to record.
    function created(address, uint256) external onlyToken {}

    /// @notice Hook (token only): nothing to record.
    function destroyed(address, uint256) external onlyToken {}

    // ─── internals ───────────────────────────────────────────────────────────────────────────

    /// @dev Flags first (one word per side, read anyway); the gate is asked about investors only
    /// above the threshold, so a transfer below it pays for neither call.
    function _needsApproval(bool fromFlagged, address from, address to, uint256 amount) private view returns (bool) {
        if (fromFlagged || _wallets[to].flagged) return true;
        if (amount <= threshold) return false;
        uint256 policy = token.policyId();
        return _investorKey(policy, from) != _investorKey(policy, to);
    }

    /// @dev Balance less frozen and reserved tokens, 0 when they exceed it (an agent move or freeze
    /// may take reserved tokens).
    function _available(address wallet, uint256 held) private view returns (uint256) {
        uint256 balance = token.balanceOf(wallet);
        uint256 locked = IReviewedToken(address(token)).getFrozenTokens(wallet) + held;
        return balance > locked ? balance - locked : 0;
    }

    /// @dev {requestTransfer}'s refusals, in its documented order; returns the sender's word.
    function _checkRequest(address to, uint256 amount) private view returns (Wallet memory sender) {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0) || to == msg.sender) revert InvalidReceiver(to);
        IReviewedToken reviewed = IReviewedToken(address(token));
        if (reviewed.paused()) revert TokenPaused();
        if (reviewed.isFrozen(msg.sender)) revert SenderFrozen(msg.sender);
        (bool senderVerified, bool receiverVerified) = gate.verifiedPair(token.policyId(), msg.sender, to);
        if (!senderVerified) revert SenderNotVerified(msg.sender);
        sender = _wallets[msg.sender];
        if (!_needsApproval(sender.flagged, msg.sender, to, amount)) revert ApprovalNotRequired(msg.sender, to, amount);
        if (!receiverVerified) revert ReceiverNotVerified(to);
        if (amount < minRequestAmount) revert AmountBelowMinimum(amount, minRequestAmount);
        if (sender.pending >= maxPendingPerWallet) revert TooManyPendingTransfers(msg.sender, sender.pending, maxPendingPerWallet);
        uint256 available = _available(msg.sender, sender.held);
        if (amount > available) revert InsufficientAvailableBalance(msg.sender, available, amount);
        uint256 allowance = reviewed.allowance(msg.sender, address(this));
        if (allowance < sender.held + amount) revert AllowanceTooLow(msg.sender, allowance, sender.held + amount);
    }

    function _pendingOf(uint256 id) private view returns (PendingTransfer storage pending) {
        pending = _transfers[id];
        if (pending.status != Status.Pending) revert TransferNotPending(id, pending.status);
    }

    /// @dev Marks a pending transfer settled with `status` and releases its reservation.
    function _settle(PendingTransfer storage pending, Status status) private {
        pending.status = status;
        _release(pending.from, pending.amount);
    }

    /// @dev Never underflows: a wallet's `held` is the sum of its pending amounts and `pending` their
    /// number, changed only here and in {requestTransfer}.
    function _release(address wallet, uint256 amount) private {
        Wallet storage w = _wallets[wallet];
        (w.pending, w.held) = (w.pending - 1, uint216(w.held - amount));
    }

    /// @dev Whether this is the movement {approve} is carrying out (see {_executing}); reads the
    /// balance only during an approval.
    function _isExecuting(address from, address to, uint256 amount) private view returns (bool) {
        bytes32 executing = _executing;
        return executing != bytes32(0) && executing == _movement(from, to, amount, token.balanceOf(from));
    }

    function _movement(address from, address to, uint256 amount, uint256 balance) private pure returns (bytes32) {
        return keccak256(abi.encode(from, to, amount, balance));
    }

    function _setExpiryPeriod(uint64 newPeriod) private {
        if (newPeriod == 0 || newPeriod > MAX_EXPIRY_PERIOD) revert InvalidExpiryPeriod(newPeriod, MAX_EXPIRY_PERIOD);
        emit ExpiryPeriodChanged(expiryPeriod, newPeriod);
        expiryPeriod = newPeriod;
    }

    function _setMaxPendingPerWallet(uint32 newMax) private {
        if (newMax == 0) revert InvalidMaxPendingPerWallet(newMax);
        emit MaxPendingPerWalletChanged(maxPendingPerWallet, newMax);
        maxPendingPerWallet = newMax;
    }
}
