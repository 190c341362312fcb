// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IIssuerRegistry
/// @notice Trusted KYC issuers and the history of the Merkle roots they anchor.
interface IIssuerRegistry {
    /// @notice What the registry knows about one published root.
    struct RootInfo {
        uint64 issuerId; // 0 = never published
        uint64 publishedAt; // when it became the issuer's current root
        uint64 supersededAt; // when a newer root replaced it; 0 while current
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
    error RootOwnedByOtherIssuer(uint256 root, uint64 ownerIssuerId);

    event IssuerAdded(uint64 indexed issuerId, string did, address publisher, uint8 treeDepth);
    event IssuerSuspended(uint64 indexed issuerId, string reason);
    event IssuerReactivated(uint64 indexed issuerId);
    event PublisherRotated(uint64 indexed issuerId, address previousPublisher, address newPublisher);
    event RootPublished(uint64 indexed issuerId, uint256 indexed root, uint256 previousRoot, uint64 leafCount);
    event MaxRootAgeChanged(uint64 previousMaxRootAge, uint64 newMaxRootAge);

    /// @notice The issuer of `root`, its tree depth, and whether a proof against it is acceptable now:
    /// the issuer is active and the root is current or was superseded at most `maxRootAge` ago.
    function rootStatus(uint256 root) external view returns (uint64 issuerId, uint8 treeDepth, bool acceptable);

    /// @notice Whether `root` belongs to `issuerId` and is acceptable now.
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
