// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";

/// @title IssuerRegistry
/// @notice Trusted KYC issuers and the roots of their credential trees.
///
/// Each issuer keeps a fixed-depth Poseidon Merkle tree of credential leaves off-chain and anchors its
/// root here in batches. Issuing appends a leaf and revoking zeroes one, so every change yields a new
/// root. A proof is made against some root; the registry says whether that root is still good:
/// the current root is, and a superseded one stays acceptable for `maxRootAge` so proofs that were
/// in flight when the issuer published still land. That window is how long a revoked credential can
/// still be used for a new proof.
///
/// Controls that stick (docs/contracts.md): an issuer manager can suspend an issuer (all its roots
/// stop at once), reject one root for good, and give an issuer a maximum age for its current root
/// (an issuer that stops publishing or confirming stops being accepted). After a key compromise the
/// manager suspends, rotates the publisher key, and the new key publishes a replacement root while
/// the issuer is still suspended; that cuts off the grace window of every earlier root, so the
/// attacker's roots never come back when the issuer is reactivated.
///
/// Roots are recorded per issuer, `(issuerId, root)`: a root value says nothing about who published
/// it, so a publisher cannot block another issuer by publishing that issuer's next root first.
///
/// Roles:
/// - `DEFAULT_ADMIN_ROLE` (one holder, handed over in two steps with OpenZeppelin's
///   `beginDefaultAdminTransfer` / `acceptDefaultAdminTransfer`): grants roles, sets `maxRootAge`.
/// - `ISSUER_MANAGER_ROLE`: adds, suspends and reactivates issuers, rotates their publisher key,
///   rejects roots, sets an issuer's maximum current-root age.
/// - an issuer's `publisher` key (not a role): publishes and confirms that issuer's roots.
contract IssuerRegistry is AccessControlDefaultAdminRules, IIssuerRegistry {
    bytes32 public constant ISSUER_MANAGER_ROLE = keccak256("ISSUER_MANAGER_ROLE");

    /// @dev The first word holds everything {rootStatus} needs about the issuer, so checking a root
    /// costs two storage reads (this word and the root's record) as before these controls existed.
    struct Issuer {
        address publisher;
        bool active;
        uint8 treeDepth; // 0 = no such issuer
        bool rotatedWhileSuspended; // the key changed during the current suspension: it may publish
        uint32 maxCurrentRootAge; // seconds; 0 = the current root never ages out
        uint40 supersededCutoff; // roots superseded at or before this time have no grace window
        uint64 leafCount; // as stated by the issuer with its latest root
        // A root was published since the key was last rotated during the current suspension. In the
        // second word, next to leafCount, which publishRoot writes anyway: rootStatus never reads it.
        bool replacedSinceRotation;
        uint256 currentRoot;
        string did;
    }

    mapping(uint64 issuerId => Issuer) private _issuers;
    mapping(uint64 issuerId => mapping(uint256 root => RootInfo)) private _roots;
    uint64[] private _issuerIds;

    /// @notice How long (seconds) a superseded root stays acceptable for new proofs.
    uint64 public maxRootAge;

    /// @param admin receives `DEFAULT_ADMIN_ROLE` and `ISSUER_MANAGER_ROLE`. Later hand-overs of the
    /// admin role take two steps (the new admin accepts); the delay starts at 0 and the admin can
    /// raise it with `changeDefaultAdminDelay`. Refuses the zero address
    /// (`AccessControlInvalidDefaultAdmin`).
    constructor(address admin, uint64 initialMaxRootAge) AccessControlDefaultAdminRules(0, admin) {
        _grantRole(ISSUER_MANAGER_ROLE, admin);
        maxRootAge = initialMaxRootAge;
        emit MaxRootAgeChanged(0, initialMaxRootAge);
    }

    // ─── issuer management ───────────────────────────────────────────────────────────────────

    /// @notice Registers a trusted issuer, active at once, whose current root never ages out until
    /// {setMaxCurrentRootAge} says otherwise. Refuses id 0, an existing id, a zero publisher and a
    /// tree depth other than 20 or 32 (the depths the circuit is built for).
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
    /// process was compromised). While suspended the publisher key cannot publish, unless it is
    /// rotated during the suspension (see {publishRoot}). Refuses an unknown or already suspended
    /// issuer.
    function suspendIssuer(uint64 issuerId, string calldata reason) external onlyRole(ISSUER_MANAGER_ROLE) {
        Issuer storage entry = _existing(issuerId);
        if (!entry.active) revert IssuerNotActive(issuerId);
        entry.active = false;
        entry.rotatedWhileSuspended = false;
        emit IssuerSuspended(issuerId, reason);
    }

    /// @notice Accepts `issuerId`'s roots again, with their original publication times — except
    /// rejected roots, and roots cut off by a replacement root published during the suspension.
    /// Refuses an unknown or active issuer, and (`ReplacementRootRequired`) an issuer whose key was
    /// rotated during this suspension while it has a current root but no root was published since
    /// the rotation: a rotation says the old key is not trusted, and without a replacement the
    /// last root that key published would be current again.
    function reactivateIssuer(uint64 issuerId) external onlyRole(ISSUER_MANAGER_ROLE) {
        Issuer storage entry = _existing(issuerId);
        if (entry.active) revert IssuerAlreadyActive(issuerId);
        if (entry.rotatedWhileSuspended && !entry.replacedSinceRotation && entry.currentRoot != 0) {
            revert ReplacementRootRequired(issuerId);
        }
        entry.active = true;
        entry.rotatedWhileSuspended = false;
        emit IssuerReactivated(issuerId);
    }

    /// @notice Replaces the key allowed to publish `issuerId`'s roots. Rotated while the issuer is
    /// suspended, the new key may publish a replacement root, and must before reactivation (see
    /// {reactivateIssuer}). Refuses an unknown issuer, the zero address and the current publisher
    /// (`PublisherUnchanged`: a "rotation" to the same key would open the suspended-publication path
    /// to the very key that was suspected).
    function rotatePublisher(uint64 issuerId, address newPublisher) external onlyRole(ISSUER_MANAGER_ROLE) {
        Issuer storage entry = _existing(issuerId);
        if (newPublisher == address(0)) revert ZeroAddress("publisher");
        address previous = entry.publisher;
        if (newPublisher == previous) revert PublisherUnchanged(issuerId, previous);
        entry.publisher = newPublisher;
        if (!entry.active) {
            entry.rotatedWhileSuspended = true;
            entry.replacedSinceRotation = false;
        }
        emit PublisherRotated(issuerId, previous, newPublisher);
    }

    /// @notice Refuses `root` of `issuerId` for good, at once, whether current or superseded: no
    /// proof against it is accepted and it can never be published again. A rejected current root
    /// leaves the issuer without an acceptable current root until its publisher publishes a new one.
    /// The rejection is per issuer only: another issuer may still publish the same value (a
    /// compromised publisher of B re-publishing A's past roots, or the empty-tree root, must not be
    /// able to block A from publishing them). If B publishes a value rejected under A, reject it
    /// under B too, or suspend B. Refuses an unknown issuer, a root the issuer never published, and
    /// a root already rejected.
    function rejectRoot(uint64 issuerId, uint256 root, string calldata reason)
        external
        onlyRole(ISSUER_MANAGER_ROLE)
    {
        _existing(issuerId);
        RootInfo storage info = _roots[issuerId][root];
        if (info.publishedAt == 0) revert RootNotPublished(issuerId, root);
        if (info.rejected) revert RootIsRejected(issuerId, root);
        info.rejected = true;
        emit RootRejected(issuerId, root, reason);
    }

    /// @notice Sets how long `issuerId`'s current root stays acceptable after it was published or
    /// last confirmed ({confirmRoot}); 0 = no limit. An issuer that stops publishing (its service
    /// died, its key was lost) then stops being accepted on its own, instead of its last root
    /// staying good forever. Takes effect at once. Refuses an unknown issuer.
    function setMaxCurrentRootAge(uint64 issuerId, uint32 maxAge) external onlyRole(ISSUER_MANAGER_ROLE) {
        Issuer storage entry = _existing(issuerId);
        emit MaxCurrentRootAgeChanged(issuerId, entry.maxCurrentRootAge, maxAge);
        entry.maxCurrentRootAge = maxAge;
    }

    /// @notice Sets how long a superseded root stays acceptable. Shortening it takes effect at once
    /// for every superseded root.
    function setMaxRootAge(uint64 newMaxRootAge) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit MaxRootAgeChanged(maxRootAge, newMaxRootAge);
        maxRootAge = newMaxRootAge;
    }

    // ─── root publication ────────────────────────────────────────────────────────────────────

    /// @notice Makes `root` the current root of `issuerId` and starts the `maxRootAge` clock of the
    /// previous one. Only the issuer's publisher key may call it, while the issuer is active — or
    /// while it is suspended if the key was rotated during the suspension: such a *replacement* root
    /// also cuts off every root superseded until now (no grace window: a compromised key's roots
    /// must not outlive the clean one). Refuses a zero root, the root that is already current, a
    /// root rejected under this issuer (`RootIsRejected`); a value rejected under another issuer only
    /// is not refused (rejection is per issuer). A current root that had gone stale is recorded as superseded when it
    /// went stale, not now, so publishing late does not give it a fresh grace window.
    /// Re-publishing one of the issuer's own older roots is allowed: revoking the newest leaf brings
    /// the tree back to an earlier root. Another issuer's roots matter only once rejected.
    /// @param leafCount the number of leaves appended so far (informational, for auditors).
    function publishRoot(uint64 issuerId, uint256 root, uint64 leafCount) external {
        Issuer storage entry = _existing(issuerId);
        if (msg.sender != entry.publisher) revert NotPublisher(issuerId, msg.sender);
        bool replacement = !entry.active;
        if (replacement && !entry.rotatedWhileSuspended) revert IssuerNotActive(issuerId);
        if (root == 0) revert RootZero();
        uint256 previous = entry.currentRoot;
        if (root == previous) revert RootAlreadyCurrent(issuerId, root);
        mapping(uint256 => RootInfo) storage roots = _roots[issuerId];
        if (roots[root].rejected) revert RootIsRejected(issuerId, root);

        uint64 now_ = uint64(block.timestamp);
        if (previous != 0) {
            RootInfo storage old = roots[previous];
            // A stale current root stopped being acceptable at confirmedAt + maxCurrentRootAge; its
            // maxRootAge grace runs from then, or it would come back as Superseded now.
            uint32 maxAge = entry.maxCurrentRootAge;
            uint64 staleAt = old.confirmedAt + maxAge;
            old.supersededAt = maxAge != 0 && staleAt < now_ ? staleAt : now_;
        }
        roots[root] = RootInfo({publishedAt: now_, supersededAt: 0, confirmedAt: now_, rejected: false});
        entry.currentRoot = root;
        entry.leafCount = leafCount;
        emit RootPublished(issuerId, root, previous, leafCount);
        if (replacement) {
            entry.replacedSinceRotation = true;
            entry.supersededCutoff = uint40(now_);
            emit SupersededRootsCutOff(issuerId, root, now_);
        }
    }

    /// @notice Says "`root` is still my current root" for `issuerId`, restarting its
    /// maxCurrentRootAge clock, for an issuer whose tree did not change. Only the publisher key,
    /// only while active. Refuses a root that is not current (`RootNotCurrent`, so a confirmation
    /// racing a newer publication confirms nothing) and a rejected one.
    function confirmRoot(uint64 issuerId, uint256 root) external {
        Issuer storage entry = _existing(issuerId);
        if (msg.sender != entry.publisher) revert NotPublisher(issuerId, msg.sender);
        if (!entry.active) revert IssuerNotActive(issuerId);
        uint256 current = entry.currentRoot;
        if (root != current || root == 0) revert RootNotCurrent(issuerId, root, current);
        RootInfo storage info = _roots[issuerId][root];
        if (info.rejected) revert RootIsRejected(issuerId, root);
        info.confirmedAt = uint64(block.timestamp);
        emit RootConfirmed(issuerId, root);
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IIssuerRegistry
    function rootStatus(uint64 issuerId, uint256 root)
        public
        view
        returns (uint8 treeDepth, bool acceptable, RootState state)
    {
        RootInfo memory info = _roots[issuerId][root];
        if (info.publishedAt == 0) return (0, false, RootState.Unknown);
        Issuer storage entry = _issuers[issuerId];
        treeDepth = entry.treeDepth;
        if (info.rejected) {
            state = RootState.Rejected;
        } else if (!entry.active) {
            state = RootState.IssuerSuspended;
        } else if (info.supersededAt == 0) {
            // The current root reads no other slot: its age limit shares the issuer's first word.
            uint32 maxAge = entry.maxCurrentRootAge;
            state = maxAge == 0 || block.timestamp <= uint256(info.confirmedAt) + maxAge ? RootState.Current : RootState.Stale;
        } else {
            state = info.supersededAt > entry.supersededCutoff && block.timestamp <= uint256(info.supersededAt) + maxRootAge
                ? RootState.Superseded
                : RootState.Expired;
        }
        acceptable = state == RootState.Current || state == RootState.Superseded;
    }

    /// @inheritdoc IIssuerRegistry
    function isRootAcceptable(uint64 issuerId, uint256 root) external view returns (bool acceptable) {
        (, acceptable,) = rootStatus(issuerId, root);
    }

    /// @notice Publication record of `root` under `issuerId` (all zero if never published).
    function rootInfo(uint64 issuerId, uint256 root) external view returns (RootInfo memory) {
        return _roots[issuerId][root];
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

    /// @notice The root controls of `issuerId`: its maximum current-root age (0 = none), the time up
    /// to which superseded roots were cut off by a replacement root (0 = never), and whether its key
    /// was rotated during the current suspension (so it may publish a replacement).
    function rootControls(uint64 issuerId)
        external
        view
        returns (uint32 maxCurrentRootAge, uint64 supersededCutoff, bool rotatedWhileSuspended)
    {
        Issuer storage i = _issuers[issuerId];
        return (i.maxCurrentRootAge, i.supersededCutoff, i.rotatedWhileSuspended);
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
