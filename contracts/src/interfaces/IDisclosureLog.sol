// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IDisclosureLog
/// @notice The public record that comes before any escrow decryption: who asked to open which
/// registration's escrow ciphertext, under which policy, for which case, and when. Auditors act only
/// on requests found here (docs/disclosure-log.md). Nothing personal is stored or emitted: the
/// registration is named by where its event sits on chain, the case by a hash.
interface IDisclosureLog {
    /// @notice A request's life: `None` (no such id), `Open` (auditors may act on it), `Cancelled`
    /// (withdrawn by its requester; auditors refuse it).
    enum Status {
        None,
        Open,
        Cancelled
    }

    /// @notice What the log keeps per request, two words: the hash of the fields an auditor checks,
    /// and what cancelling and confirmation counting need. Everything else is in the event.
    struct Entry {
        bytes32 entryHash; // entryHashOf(policyId, registrationTx, registrationLogIndex, caseRefHash)
        address requester;
        uint40 requestedAt; // block.timestamp
        uint40 blockNumber; // lets an auditor count confirmations without searching logs
        Status status;
    }

    /// @notice Per policy: at most `maxRequests` requests in each window of `period` seconds.
    /// A window opens at the first request after the previous one ended.
    struct RateLimit {
        uint32 maxRequests; // 0: disclosure disabled for the policy (the default)
        uint64 period; // seconds
        uint64 windowStart;
        uint32 used; // requests in the window that started at windowStart
    }

    error ZeroAddress(string field);
    /// @dev `field` is "registrationTx" or "caseRefHash": a zero value names nothing.
    error ZeroValue(string field);
    error RateLimitInvalid(uint32 maxRequests, uint64 period);
    error NotRequester(uint256 policyId, address caller);
    error RequesterUnchanged(uint256 policyId, address account, bool allowed);
    error DisclosureDisabled(uint256 policyId);
    /// @dev The window that holds `maxRequests` requests already ends at `reopensAt` (a timestamp).
    error RateLimitExceeded(uint256 policyId, uint32 maxRequests, uint64 period, uint64 reopensAt);
    error RequestNotOpen(uint256 id, Status status);
    error NotRequestOwner(uint256 id, address requester, address caller);

    event RequesterSet(uint256 indexed policyId, address indexed account, bool allowed, address indexed admin);
    event RateLimitSet(uint256 indexed policyId, uint32 maxRequests, uint64 period);
    event DisclosureRequested(
        uint256 indexed id,
        uint256 indexed policyId,
        address indexed requester,
        bytes32 registrationTx,
        uint32 registrationLogIndex,
        bytes32 caseRefHash,
        uint64 time
    );
    event DisclosureCancelled(uint256 indexed id, address indexed requester);
    event DisclosureServed(uint256 indexed id, uint32 auditorIndex, address indexed auditor);

    /// @notice Lets `account` request disclosures under `policyId`, or takes that right back
    /// (POLICY_ADMIN_ROLE). Refuses the zero address and a call that changes nothing.
    function setRequester(uint256 policyId, address account, bool allowed) external;

    /// @notice Sets `policyId`'s rate limit (POLICY_ADMIN_ROLE): at most `maxRequests` requests per
    /// `period` seconds; `maxRequests == 0` disables disclosure for the policy (with `period == 0`).
    /// Refuses a non-zero limit with a zero period, a zero limit with a non-zero period, and a
    /// period above MAX_PERIOD (100 years).
    function setRateLimit(uint256 policyId, uint32 maxRequests, uint64 period) external;

    /// @notice Records a disclosure request and returns its id (1, 2, …). Refuses a caller without
    /// the policy's requester right, a zero registration transaction or case hash, a disabled policy,
    /// and a policy whose current window is full.
    function request(uint256 policyId, bytes32 registrationTx, uint32 registrationLogIndex, bytes32 caseRefHash)
        external
        returns (uint256 id);

    /// @notice Withdraws open request `id`; only its requester may. It does not give back its place
    /// in the rate limit.
    function cancel(uint256 id) external;

    /// @notice Records that auditor `auditorIndex` made its partial decryption for open request `id`
    /// (AUDITOR_ROLE). An event only: the log does not count or judge partials.
    function recordServed(uint256 id, uint32 auditorIndex) external;

    /// @notice The stored entry of request `id` (status `None` if there is none).
    function entry(uint256 id) external view returns (Entry memory);

    /// @notice True when request `id` is open and was made with exactly these fields.
    function isLogged(
        uint256 id,
        uint256 policyId,
        bytes32 registrationTx,
        uint32 registrationLogIndex,
        bytes32 caseRefHash
    ) external view returns (bool);

    /// @notice `keccak256(abi.encode(policyId, registrationTx, registrationLogIndex, caseRefHash))`.
    function entryHashOf(uint256 policyId, bytes32 registrationTx, uint32 registrationLogIndex, bytes32 caseRefHash)
        external
        pure
        returns (bytes32);
}
