// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";

/// @title IssuerRegistry
/// @notice Trusted KYC issuers and the roots of their credential trees.
///
/// Each issuer keeps a fixed-depth Poseidon Merkle tree of credential leaves off-chain and anchors its
/// root here in batches. Issuing appends a leaf and revoking zeroes one, so every change yields a new
/// root. A proof is made against some root; the registry says whether that root is still good:
/// the current root always is, and a superseded one stays acceptable for `maxRootAge` so proofs that
/// were in flight when the issuer published still land. That window is how long a revoked credential
/// can still be used for a new proof. Suspending an issuer stops all its roots at once.
///
/// Roles:
/// - `DEFAULT_ADMIN_ROLE`: grants roles, sets `maxRootAge`.
/// - `ISSUER_MANAGER_ROLE`: adds, suspends and reactivates issuers, rotates their publisher key.
/// - an issuer's `publisher` key (not a role): publishes that issuer's roots.
contract IssuerRegistry is AccessControl, IIssuerRegistry {
    bytes32 public constant ISSUER_MANAGER_ROLE = keccak256("ISSUER_MANAGER_ROLE");

    struct Issuer {
        address publisher;
        bool active;
        uint8 treeDepth; // 0 = no such issuer
        uint64 leafCount; // as stated by the issuer with its latest root
        uint256 currentRoot;
        string did;
    }

    mapping(uint64 issuerId => Issuer) private _issuers;
    mapping(uint256 root => RootInfo) private _roots;
    uint64[] private _issuerIds;

    /// @notice How long (seconds) a superseded root stays acceptable for new proofs.
    uint64 public maxRootAge;

    constructor(address admin, uint64 initialMaxRootAge) {
        if (admin == address(0)) revert ZeroAddress("admin");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_MANAGER_ROLE, admin);
        maxRootAge = initialMaxRootAge;
        emit MaxRootAgeChanged(0, initialMaxRootAge);
    }

    // ─── issuer management ───────────────────────────────────────────────────────────────────

    /// @notice Registers a trusted issuer, active at once. Refuses id 0, an existing id, a zero
    /// publisher and a tree depth other than 20 or 32 (the depths the circuit is built for).
    function addIssuer(uint64 issuerId, string calldata did, address publisher, uint8 treeDepth)
        external
        onlyRole(ISSUER_MANAGER_ROLE)
    {
        if (issuerId == 0) revert IssuerIdZero();
        if (_issuers[issuerId].treeDepth != 0) revert IssuerAlreadyExists(issuerId);
        if (publisher == address(0)) revert ZeroAddress("publisher");
        if (treeDepth != 20 && treeDepth != 32) revert UnsupportedTreeDepth(treeDepth);
        Issuer storage entry = _issuers[issuerId];
        entry.publisher = publisher;
        entry.active = true;
        entry.treeDepth = treeDepth;
        entry.did = did;
        _issuerIds.push(issuerId);
        emit IssuerAdded(issuerId, did, publisher, treeDepth);
    }

    /// @notice Stops accepting every root of `issuerId` immediately (e.g. the issuer's key or
    /// process was compromised). Refuses an unknown or already suspended issuer.
    function suspendIssuer(uint64 issuerId, string calldata reason) external onlyRole(ISSUER_MANAGER_ROLE) {
        Issuer storage entry = _existing(issuerId);
        if (!entry.active) revert IssuerNotActive(issuerId);
        entry.active = false;
        emit IssuerSuspended(issuerId, reason);
    }

    /// @notice Accepts `issuerId`'s roots again (with their original publication times).
    function reactivateIssuer(uint64 issuerId) external onlyRole(ISSUER_MANAGER_ROLE) {
        Issuer storage entry = _existing(issuerId);
        if (entry.active) revert IssuerAlreadyActive(issuerId);
        entry.active = true;
        emit IssuerReactivated(issuerId);
    }

    /// @notice Replaces the key allowed to publish `issuerId`'s roots.
    function rotatePublisher(uint64 issuerId, address newPublisher) external onlyRole(ISSUER_MANAGER_ROLE) {
        Issuer storage entry = _existing(issuerId);
        if (newPublisher == address(0)) revert ZeroAddress("publisher");
        address previous = entry.publisher;
        entry.publisher = newPublisher;
        emit PublisherRotated(issuerId, previous, newPublisher);
    }

    /// @notice Sets how long a superseded root stays acceptable. Shortening it takes effect at once
    /// for every superseded root.
    function setMaxRootAge(uint64 newMaxRootAge) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit MaxRootAgeChanged(maxRootAge, newMaxRootAge);
        maxRootAge = newMaxRootAge;
    }

    // ─── root publication ────────────────────────────────────────────────────────────────────

    /// @notice Makes `root` the current root of `issuerId` and starts the `maxRootAge` clock of the
    /// previous one. Only the issuer's publisher key may call it, and only while the issuer is active.
    /// Refuses a zero root, the root that is already current, and a root another issuer published
    /// (a root identifies its issuer). Re-publishing one of the issuer's own older roots is allowed:
    /// revoking the newest leaf brings the tree back to an earlier root.
    /// @param leafCount the number of leaves appended so far (informational, for auditors).
    function publishRoot(uint64 issuerId, uint256 root, uint64 leafCount) external {
        Issuer storage entry = _existing(issuerId);
        if (msg.sender != entry.publisher) revert NotPublisher(issuerId, msg.sender);
        if (!entry.active) revert IssuerNotActive(issuerId);
        if (root == 0) revert RootZero();
        uint256 previous = entry.currentRoot;
        if (root == previous) revert RootAlreadyCurrent(issuerId, root);
        uint64 owner = _roots[root].issuerId;
        if (owner != 0 && owner != issuerId) revert RootOwnedByOtherIssuer(root, owner);

        uint64 now_ = uint64(block.timestamp);
        if (previous != 0) _roots[previous].supersededAt = now_;
        _roots[root] = RootInfo({issuerId: issuerId, publishedAt: now_, supersededAt: 0});
        entry.currentRoot = root;
        entry.leafCount = leafCount;
        emit RootPublished(issuerId, root, previous, leafCount);
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IIssuerRegistry
    function rootStatus(uint256 root) public view returns (uint64 issuerId, uint8 treeDepth, bool acceptable) {
        RootInfo memory info = _roots[root];
        issuerId = info.issuerId;
        if (issuerId == 0) return (0, 0, false);
        Issuer storage entry = _issuers[issuerId];
        treeDepth = entry.treeDepth;
        // The current root needs no age check, which spares a storage read on the common path.
        acceptable = entry.active
            && (info.supersededAt == 0 || block.timestamp <= uint256(info.supersededAt) + maxRootAge);
    }

    /// @inheritdoc IIssuerRegistry
    function isRootAcceptable(uint64 issuerId, uint256 root) external view returns (bool) {
        (uint64 owner,, bool acceptable) = rootStatus(root);
        return owner == issuerId && acceptable;
    }

    /// @notice Publication record of `root` (all zero if never published).
    function rootInfo(uint256 root) external view returns (RootInfo memory) {
        return _roots[root];
    }

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
        )
    {
        Issuer storage i = _issuers[issuerId];
        return (i.did, i.publisher, i.active, i.treeDepth, i.currentRoot, i.leafCount);
    }

    /// @notice Ids of all issuers ever added, in order.
    function issuerIds() external view returns (uint64[] memory) {
        return _issuerIds;
    }

    function _existing(uint64 issuerId) private view returns (Issuer storage entry) {
        entry = _issuers[issuerId];
        if (entry.treeDepth == 0) revert UnknownIssuer(issuerId);
    }
}
