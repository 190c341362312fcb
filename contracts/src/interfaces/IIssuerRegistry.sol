// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IIssuerRegistry
/// @notice Trusted KYC issuers and the history of the Merkle roots each one anchors. Roots are kept
/// per issuer: the same value published by two issuers is two records, so no issuer can claim (or
/// front-run) another's root.
interface IIssuerRegistry {
    /// @notice What the registry knows about one root of one issuer.
    struct RootInfo {
        uint64 publishedAt; // when it (last) became the issuer's current root; 0 = never published
        uint64 supersededAt; // when a newer root replaced it (when it went stale, if it was); 0 while current
        uint64 confirmedAt; // when the publisher last said "still current" (starts at publishedAt)
        bool rejected; // rejected by an issuer manager: refused for good, cannot be published again
    }

    /// @notice Why a root is or is not acceptable for a new proof right now.
    enum RootState {
        Unknown, // 0: the issuer never published it
        Current, // 1: the issuer's current root, confirmed within its maxCurrentRootAge: acceptable
        Superseded, // 2: replaced at most maxRootAge ago: acceptable (proofs in flight still land)
        Expired, // 3: replaced longer ago, or cut off by a replacement root published while suspended
        Stale, // 4: still current, but not published or confirmed for longer than maxCurrentRootAge
        Rejected, // 5: rejected by an issuer manager
        IssuerSuspended // 6: the issuer is suspended; none of its roots is acceptable
    }

    error IssuerIdZero();
    error IssuerAlreadyExists(uint64 issuerId);
    error UnknownIssuer(uint64 issuerId);
    error IssuerNotActive(uint64 issuerId);
    error IssuerAlreadyActive(uint64 issuerId);
    error ZeroAddress(string field);
    error UnsupportedTreeDepth(uint8 depth);
    error NotPublisher(uint64 issuerId, address caller);
    error RootZero();
    error RootAlreadyCurrent(uint64 issuerId, uint256 root);
    error RootNotPublished(uint64 issuerId, uint256 root);
    error RootIsRejected(uint64 issuerId, uint256 root);
    error RootNotCurrent(uint64 issuerId, uint256 root, uint256 currentRoot);
    /// @dev The key was rotated during the suspension and no root was published with it since.
    error ReplacementRootRequired(uint64 issuerId);
    error PublisherUnchanged(uint64 issuerId, address publisher);

    event IssuerAdded(uint64 indexed issuerId, string did, address publisher, uint8 treeDepth);
    event IssuerSuspended(uint64 indexed issuerId, string reason);
    event IssuerReactivated(uint64 indexed issuerId);
    event PublisherRotated(uint64 indexed issuerId, address previousPublisher, address newPublisher);
    event RootPublished(uint64 indexed issuerId, uint256 indexed root, uint256 previousRoot, uint64 leafCount);
    /// @notice A root published while the issuer was suspended (by a rotated key): every root of the
    /// issuer superseded at or before `cutoff` lost its maxRootAge grace.
    event SupersededRootsCutOff(uint64 indexed issuerId, uint256 indexed replacementRoot, uint64 cutoff);
    event RootRejected(uint64 indexed issuerId, uint256 indexed root, string reason);
    event RootConfirmed(uint64 indexed issuerId, uint256 indexed root);
    event MaxRootAgeChanged(uint64 previousMaxRootAge, uint64 newMaxRootAge);
    event MaxCurrentRootAgeChanged(uint64 indexed issuerId, uint32 previousMaxAge, uint32 newMaxAge);

    /// @notice `root`'s standing under `issuerId`: the issuer's tree depth (0 if the issuer never
    /// published this root), whether a new proof against it is acceptable now, and why (see
    /// {RootState}). Acceptable means: published by this issuer, not rejected, the issuer active, and
    /// either current (and published or confirmed within the issuer's maxCurrentRootAge, when set)
    /// or superseded at most `maxRootAge` ago and not cut off by a replacement root.
    function rootStatus(uint64 issuerId, uint256 root)
        external
        view
        returns (uint8 treeDepth, bool acceptable, RootState state);

    /// @notice Whether `root` was published by `issuerId` and is acceptable now ({rootStatus}).
    function isRootAcceptable(uint64 issuerId, uint256 root) external view returns (bool);

    /// @notice Everything stored about `issuerId` (treeDepth 0 = unknown).
    function issuer(uint64 issuerId)
        external
        view
        returns (
            string memory did,
            address publisher,
            bool active,
            uint8 treeDepth,
            uint256 currentRoot,
            uint64 leafCount
        );
}
