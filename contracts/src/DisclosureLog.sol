// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IDisclosureLog} from "./interfaces/IDisclosureLog.sol";

/// @title DisclosureLog
/// @notice The public, rate-limited record of escrow disclosure requests (docs/disclosure-log.md).
/// A request is recorded here before any auditor acts; an auditor refuses one that is not here
/// (the `escrow partial` command checks this log on chain). Opening an escrow ciphertext is
/// therefore never silent: the world sees who asked, under which policy, about which registration,
/// how often, and when — but nothing about the person (the case is a hash, the registration a
/// pointer to a public event that already holds only a wallet, a nullifier and a ciphertext).
///
/// A request names the registration by the transaction hash and log index of the gate's
/// `WalletVerified` event: that event carries the ciphertext `(R.x, c)`, so an auditor fetches one
/// receipt and has exactly the ciphertext the request is about. A wallet and nullifier would not
/// do: a wallet registers again after expiry with a fresh ciphertext each time, so the pair names
/// several ciphertexts and the auditor could not tell which one was asked for.
///
/// Policy ids are those of `gate` (the ComplianceGate whose registrations this log concerns). The
/// log does not ask the gate about them: a requester and a rate limit exist only where a policy
/// admin set them, and a registration reference is checked by auditors against the chain, which a
/// contract cannot read (past events are not visible to the EVM).
///
/// Roles:
/// - `DEFAULT_ADMIN_ROLE` (one holder, handed over in two steps with OpenZeppelin's
///   `beginDefaultAdminTransfer` / `acceptDefaultAdminTransfer`): grants roles.
/// - `POLICY_ADMIN_ROLE`: names each policy's requesters and sets its rate limit.
/// - `AUDITOR_ROLE`: may record that it served a request ({recordServed}).
/// - per policy, a requester right (not a role: one token's compliance officer must not request
///   under another token's policy), granted with {setRequester}.
contract DisclosureLog is AccessControlDefaultAdminRules, IDisclosureLog {
    bytes32 public constant POLICY_ADMIN_ROLE = keccak256("POLICY_ADMIN_ROLE");
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");

    /// @notice The longest rate-limit period, 100 years of 365 days: longer is "never again", which a
    /// limit of 0 says plainly, and the bound keeps `windowStart + period` far inside uint64.
    uint64 public constant MAX_PERIOD = 100 * 365 days;

    /// @notice The ComplianceGate whose policies and registrations requests refer to.
    address public immutable gate;

    /// @notice Number of requests ever made; ids run from 1 to this.
    uint256 public requestCount;

    /// @dev Two words per request: the entry hash an auditor checks, and one word for cancelling
    /// (requester, status) and for confirmations (block number).
    mapping(uint256 id => Entry) private _entries;
    /// @dev One word per policy, read and written by every request.
    mapping(uint256 policyId => RateLimit) private _limits;
    mapping(uint256 policyId => mapping(address account => bool)) private _requesters;

    /// @param admin receives DEFAULT_ADMIN_ROLE and POLICY_ADMIN_ROLE. Later hand-overs of
    /// `DEFAULT_ADMIN_ROLE` take two steps; the delay starts at 0 and the admin can raise it with
    /// `changeDefaultAdminDelay`. Refuses a zero admin (`AccessControlInvalidDefaultAdmin`) and a
    /// zero gate.
    constructor(address admin, address gate_) AccessControlDefaultAdminRules(0, admin) {
        if (gate_ == address(0)) revert ZeroAddress("gate");
        _grantRole(POLICY_ADMIN_ROLE, admin);
        gate = gate_;
    }

    // ─── administration ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDisclosureLog
    function setRequester(uint256 policyId, address account, bool allowed) external onlyRole(POLICY_ADMIN_ROLE) {
        if (account == address(0)) revert ZeroAddress("account");
        if (_requesters[policyId][account] == allowed) revert RequesterUnchanged(policyId, account, allowed);
        _requesters[policyId][account] = allowed;
        emit RequesterSet(policyId, account, allowed, msg.sender);
    }

    /// @inheritdoc IDisclosureLog
    /// @dev The current window keeps its start and count: lowering the limit below the count closes
    /// the policy until the window (of the new period) ends; raising it opens room at once.
    function setRateLimit(uint256 policyId, uint32 maxRequests, uint64 period) external onlyRole(POLICY_ADMIN_ROLE) {
        if ((maxRequests == 0) != (period == 0) || period > MAX_PERIOD) revert RateLimitInvalid(maxRequests, period);
        RateLimit storage limit = _limits[policyId];
        limit.maxRequests = maxRequests;
        limit.period = period;
        emit RateLimitSet(policyId, maxRequests, period);
    }

    // ─── requests ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDisclosureLog
    function request(uint256 policyId, bytes32 registrationTx, uint32 registrationLogIndex, bytes32 caseRefHash)
        external
        returns (uint256 id)
    {
        if (!_requesters[policyId][msg.sender]) revert NotRequester(policyId, msg.sender);
        if (registrationTx == bytes32(0)) revert ZeroValue("registrationTx");
        if (caseRefHash == bytes32(0)) revert ZeroValue("caseRefHash");

        // Fixed window, opened by the first request after the last one ended: a requester can ask
        // at most maxRequests times in any window, and a burst cannot straddle two windows unseen
        // (every window's start is a request time, public in the events).
        RateLimit memory limit = _limits[policyId];
        if (limit.maxRequests == 0) revert DisclosureDisabled(policyId);
        uint64 now_ = uint64(block.timestamp);
        if (now_ >= limit.windowStart + limit.period) {
            limit.windowStart = now_;
            limit.used = 0;
        }
        if (limit.used >= limit.maxRequests) {
            revert RateLimitExceeded(policyId, limit.maxRequests, limit.period, limit.windowStart + limit.period);
        }
        limit.used += 1;
        _limits[policyId] = limit;

        id = ++requestCount;
        _entries[id] = Entry({
            entryHash: entryHashOf(policyId, registrationTx, registrationLogIndex, caseRefHash),
            requester: msg.sender,
            requestedAt: uint40(block.timestamp),
            blockNumber: uint40(block.number),
            status: Status.Open
        });
        emit DisclosureRequested(id, policyId, msg.sender, registrationTx, registrationLogIndex, caseRefHash, now_);
    }

    /// @inheritdoc IDisclosureLog
    function cancel(uint256 id) external {
        Entry storage stored = _entries[id];
        if (stored.status != Status.Open) revert RequestNotOpen(id, stored.status);
        if (stored.requester != msg.sender) revert NotRequestOwner(id, stored.requester, msg.sender);
        stored.status = Status.Cancelled;
        emit DisclosureCancelled(id, msg.sender);
    }

    /// @inheritdoc IDisclosureLog
    function recordServed(uint256 id, uint32 auditorIndex) external onlyRole(AUDITOR_ROLE) {
        Status status = _entries[id].status;
        if (status != Status.Open) revert RequestNotOpen(id, status);
        emit DisclosureServed(id, auditorIndex, msg.sender);
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDisclosureLog
    function entry(uint256 id) external view returns (Entry memory) {
        return _entries[id];
    }

    /// @inheritdoc IDisclosureLog
    function isLogged(
        uint256 id,
        uint256 policyId,
        bytes32 registrationTx,
        uint32 registrationLogIndex,
        bytes32 caseRefHash
    ) external view returns (bool) {
        Entry storage stored = _entries[id];
        return stored.status == Status.Open
            && stored.entryHash == entryHashOf(policyId, registrationTx, registrationLogIndex, caseRefHash);
    }

    /// @notice Whether `account` may request disclosures under `policyId`.
    function isRequester(uint256 policyId, address account) external view returns (bool) {
        return _requesters[policyId][account];
    }

    /// @notice `policyId`'s rate limit and current window.
    function rateLimit(uint256 policyId) external view returns (RateLimit memory) {
        return _limits[policyId];
    }

    /// @inheritdoc IDisclosureLog
    function entryHashOf(uint256 policyId, bytes32 registrationTx, uint32 registrationLogIndex, bytes32 caseRefHash)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(policyId, registrationTx, registrationLogIndex, caseRefHash));
    }
}
