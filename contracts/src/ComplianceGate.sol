// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";
import {IComplianceGate} from "./interfaces/IComplianceGate.sol";
import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";
import {IKycProofVerifier} from "./interfaces/IKycProofVerifier.sol";
import {UtcDate} from "./libraries/UtcDate.sol";

/// @title ComplianceGate
/// @notice Turns a zero-knowledge KYC proof into an on-chain record "wallet W is verified for
/// policy P until time T, on behalf of investor N".
///
/// A policy states who may hold a token: allowed jurisdictions, minimum age, investor classes,
/// minimum KYC level, the issuers it trusts, how long a registration lasts (`ttl`) and how many
/// wallets one person may register (`maxWalletsPerInvestor`). Its `scope` ties proofs to this chain,
/// this gate and this policy id; `policyHash` commits to the scope and the attribute rules, and the
/// circuit proves the holder's credential meets exactly those rules (docs/protocol.md).
///
/// A proof carries four public signals: the holder's `nullifier` (one per person per scope), the
/// issuer `root` it was made against, `policyHash`, and `context`, which packs the wallet, the
/// proof's `today` and the holder-chosen `validUntil`. The gate checks the wallet consented, the root
/// is acceptable and from an accepted issuer, the policy hash, the date, the proof, and the
/// nullifier's wallet bindings, then stores one packed word per wallet that the token reads.
///
/// Roles:
/// - `DEFAULT_ADMIN_ROLE`: grants roles.
/// - `POLICY_ADMIN_ROLE`: sets policies.
/// - `AGENT_ROLE`: revokes a wallet's registration.
contract ComplianceGate is AccessControl, EIP712, Nonces, IComplianceGate {
    bytes32 public constant POLICY_ADMIN_ROLE = keccak256("POLICY_ADMIN_ROLE");
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");

    /// @notice EIP-712 type a wallet signs to let a relayer register it.
    bytes32 public constant CONSENT_TYPEHASH =
        keccak256("Consent(uint256 policyId,uint256 nullifier,uint256 context,uint256 nonce,uint256 deadline)");

    uint256 private constant MAX_JURISDICTION_MASK = (1 << 249) - 1;
    uint256 private constant TAG_MASK = (1 << 192) - 1;

    /// @dev One storage word, so a registration and a transfer read a policy's rules with one SLOAD.
    struct PolicyConfig {
        bool exists;
        uint8 minAge;
        uint8 minKycLevel;
        uint16 investorClassMask;
        uint32 version; // bumped by every setPolicy; keys the accepted-issuer set
        uint64 ttl;
        uint32 maxWalletsPerInvestor;
    }

    struct Policy {
        PolicyConfig config;
        uint256 policyHash;
        uint256 scope;
        uint256 jurisdictionMask;
        uint64[] acceptedIssuers;
    }

    IIssuerRegistry public immutable registry;
    IKycProofVerifier public immutable verifier32;
    IKycProofVerifier public immutable verifier20;

    mapping(uint256 policyId => Policy) private _policies;
    mapping(uint256 policyId => mapping(uint32 version => mapping(uint64 issuerId => bool))) private _accepts;
    /// @dev Wallet record, one word: verifiedUntil (64 bits) | investor tag (192). One cold read per
    /// wallet is all a transfer costs the gate, which is why no per-policy "epoch" is checked here.
    mapping(uint256 policyId => mapping(address wallet => uint256)) private _records;
    /// @dev Wallets per investor, counted only while the policy has a wallet limit.
    mapping(uint256 policyId => mapping(uint256 investor => uint256)) private _walletCounts;

    /// @param verifierFor20 may be the zero address while no depth-20 circuit is deployed.
    constructor(address admin, IIssuerRegistry registry_, IKycProofVerifier verifierFor32, IKycProofVerifier verifierFor20)
        EIP712("zkkyc ComplianceGate", "1")
    {
        if (admin == address(0)) revert ZeroAddress("admin");
        if (address(registry_) == address(0)) revert ZeroAddress("registry");
        if (address(verifierFor32) == address(0)) revert ZeroAddress("verifier32");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(POLICY_ADMIN_ROLE, admin);
        _grantRole(AGENT_ROLE, admin);
        registry = registry_;
        verifier32 = verifierFor32;
        verifier20 = verifierFor20;
    }

    // ─── policies ────────────────────────────────────────────────────────────────────────────

    /// @notice Creates or replaces policy `policyId`. New parameters apply to proofs submitted from
    /// now on; existing registrations keep their `verifiedUntil` (at most the old ttl), and an agent
    /// can end any of them at once with {revokeWallets}. A wallet limit cannot be switched on for a
    /// policy that had none (its wallets were not counted): use a new policy id for that.
    /// Refuses a jurisdiction mask of 0 or ≥ 2^249, a ttl of 0, an empty issuer list, an issuer id
    /// the registry does not know.
    function setPolicy(uint256 policyId, PolicyParams calldata params)
        external
        onlyRole(POLICY_ADMIN_ROLE)
    {
        if (params.jurisdictionMask == 0 || params.jurisdictionMask > MAX_JURISDICTION_MASK) {
            revert PolicyParamInvalid("jurisdictionMask", params.jurisdictionMask);
        }
        if (params.ttl == 0) revert PolicyParamInvalid("ttl", 0);
        if (params.acceptedIssuers.length == 0) revert PolicyParamInvalid("acceptedIssuers", 0);

        Policy storage stored = _policies[policyId];
        PolicyConfig memory previous = stored.config;
        if (previous.exists && previous.maxWalletsPerInvestor == 0 && params.maxWalletsPerInvestor != 0) {
            revert WalletLimitCannotBeEnabled(policyId);
        }

        uint32 version = previous.version + 1;
        for (uint256 i = 0; i < params.acceptedIssuers.length; i++) {
            uint64 issuerId = params.acceptedIssuers[i];
            (,,, uint8 depth,,) = registry.issuer(issuerId);
            if (depth == 0) revert PolicyParamInvalid("acceptedIssuers", issuerId);
            _accepts[policyId][version][issuerId] = true;
        }

        uint256 scope_ = scopeOf(policyId);
        uint256 hash = PoseidonT6.hash(
            [scope_, params.jurisdictionMask, params.minAge, params.investorClassMask, params.minKycLevel]
        );
        stored.config = PolicyConfig({
            exists: true,
            minAge: params.minAge,
            minKycLevel: params.minKycLevel,
            investorClassMask: params.investorClassMask,
            version: version,
            ttl: params.ttl,
            maxWalletsPerInvestor: params.maxWalletsPerInvestor
        });
        stored.policyHash = hash;
        stored.scope = scope_;
        stored.jurisdictionMask = params.jurisdictionMask;
        stored.acceptedIssuers = params.acceptedIssuers;
        emit PolicySet(policyId, scope_, hash, version);
    }

    /// @notice `uint256(keccak256(abi.encode(chainId, gate, policyId))) >> 8` (docs/protocol.md): a
    /// proof or nullifier made for one deployment or policy means nothing to another.
    function scopeOf(uint256 policyId) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), policyId))) >> 8;
    }

    // ─── registration ────────────────────────────────────────────────────────────────────────

    /// @notice Registers the wallet packed in `pubSignals[3]` (context), which must be the caller.
    /// Public signals: [nullifier, root, policyHash, context]. Refuses, with the error naming the
    /// failed check: an unknown policy, context bits above 224, a caller other than the wallet, a
    /// wrong policy hash, a root that is unknown/too old/from a suspended issuer, an issuer the policy
    /// does not accept, a `today` other than the block's UTC date or the day before, a `validUntil`
    /// whose day has ended, an invalid proof, a wallet bound to another investor, and an investor
    /// already at the policy's wallet limit.
    function verify(
        uint256 policyId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals
    ) external returns (uint64 until) {
        address wallet = _walletOf(pubSignals[3]);
        if (msg.sender != wallet) revert NotWalletOwner(wallet, msg.sender);
        return _register(policyId, wallet, pA, pB, pC, pubSignals);
    }

    /// @notice Same as {verify}, submitted by anyone (a relayer) with the wallet's consent: an EIP-712
    /// `Consent(policyId, nullifier, context, nonce, deadline)` signature by the wallet, checked with
    /// ERC-1271 when the wallet is a contract. Refuses an expired deadline and a bad signature
    /// (including one over a different nonce, so a consent is used once).
    function verifyFor(
        uint256 policyId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint64 until) {
        address wallet = _walletOf(pubSignals[3]);
        if (block.timestamp > deadline) revert ConsentExpired(deadline, block.timestamp);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(CONSENT_TYPEHASH, policyId, pubSignals[0], pubSignals[3], _useNonce(wallet), deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(wallet, digest, signature)) revert InvalidConsentSignature(wallet);
        return _register(policyId, wallet, pA, pB, pC, pubSignals);
    }

    /// @notice Removes `wallet`'s registration under `policyId` (AGENT_ROLE), freeing the wallet and
    /// one slot of its investor's wallet limit. Refuses a wallet with no registration.
    function revokeWallet(uint256 policyId, address wallet, string calldata reason) public onlyRole(AGENT_ROLE) {
        uint256 record = _records[policyId][wallet];
        if (record == 0) revert WalletNotRegistered(policyId, wallet);
        uint256 investor = record & TAG_MASK;
        delete _records[policyId][wallet];
        uint256 count = _walletCounts[policyId][investor];
        if (count != 0) _walletCounts[policyId][investor] = count - 1;
        emit WalletRevoked(policyId, wallet, investor, reason);
    }

    /// @notice {revokeWallet} for several wallets (AGENT_ROLE); all or nothing.
    function revokeWallets(uint256 policyId, address[] calldata wallets, string calldata reason) external {
        for (uint256 i = 0; i < wallets.length; i++) revokeWallet(policyId, wallets[i], reason);
    }

    function _register(
        uint256 policyId,
        address wallet,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals
    ) private returns (uint64 until) {
        Policy storage stored = _policies[policyId];
        PolicyConfig memory config = stored.config;
        if (!config.exists) revert PolicyNotFound(policyId);
        {
            uint256 expected = stored.policyHash;
            if (pubSignals[2] != expected) revert PolicyHashMismatch(expected, pubSignals[2]);
        }

        IKycProofVerifier verifier;
        uint64 issuerId;
        {
            uint256 root = pubSignals[1];
            uint8 depth;
            bool acceptable;
            (issuerId, depth, acceptable) = registry.rootStatus(root);
            if (!acceptable) revert RootNotAcceptable(issuerId, root);
            if (!_accepts[policyId][config.version][issuerId]) revert IssuerNotAccepted(policyId, issuerId);
            verifier = depth == 32 ? verifier32 : depth == 20 ? verifier20 : IKycProofVerifier(address(0));
            if (address(verifier) == address(0)) revert UnsupportedTreeDepth(depth);
        }

        {
            uint256 context = pubSignals[3];
            uint32 today = uint32(context >> 160);
            uint32 validUntil = uint32(context >> 192);
            uint32 blockDate = UtcDate.toDate(block.timestamp);
            if (today != blockDate && today != UtcDate.toDate(block.timestamp - UtcDate.SECONDS_PER_DAY)) {
                revert DateOutOfWindow(today, blockDate);
            }
            uint256 endOfValidity = UtcDate.toTimestamp(validUntil) + UtcDate.SECONDS_PER_DAY;
            if (endOfValidity <= block.timestamp) revert CredentialExpired(validUntil, blockDate);
            uint256 ttlEnd = block.timestamp + config.ttl;
            until = uint64(endOfValidity < ttlEnd ? endOfValidity : ttlEnd);
        }

        if (!verifier.verifyProof(pA, pB, pC, pubSignals)) revert InvalidProof();
        _bind(policyId, wallet, config, pubSignals[0], until);
        emit WalletVerified(policyId, wallet, pubSignals[0], until, issuerId);
    }

    /// @dev Applies the nullifier↔wallet rules and writes the wallet's record.
    function _bind(uint256 policyId, address wallet, PolicyConfig memory config, uint256 nullifier, uint64 until)
        private
    {
        uint256 investor = nullifier & TAG_MASK;
        uint256 record = _records[policyId][wallet];
        if (record != 0 && (record & TAG_MASK) != investor) {
            revert WalletBoundToOtherInvestor(wallet, record & TAG_MASK, investor);
        }
        if (record == 0 && config.maxWalletsPerInvestor != 0) {
            uint256 wallets = _walletCounts[policyId][investor];
            if (wallets >= config.maxWalletsPerInvestor) {
                revert TooManyWallets(investor, uint32(wallets), config.maxWalletsPerInvestor);
            }
            _walletCounts[policyId][investor] = wallets + 1;
        }
        _records[policyId][wallet] = (uint256(until) << 192) | investor;
    }

    function _walletOf(uint256 context) private pure returns (address) {
        if (context >> 224 != 0) revert ContextOutOfRange(context);
        return address(uint160(context));
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComplianceGate
    function isVerified(uint256 policyId, address wallet) external view returns (bool) {
        return verifiedUntil(policyId, wallet) > block.timestamp;
    }

    /// @inheritdoc IComplianceGate
    function verifiedPair(uint256 policyId, address a, address b) external view returns (bool, bool) {
        return (_records[policyId][a] >> 192 > block.timestamp, _records[policyId][b] >> 192 > block.timestamp);
    }

    /// @notice When `wallet`'s registration under `policyId` ends (0 if it has none).
    function verifiedUntil(uint256 policyId, address wallet) public view returns (uint64) {
        return uint64(_records[policyId][wallet] >> 192);
    }

    /// @inheritdoc IComplianceGate
    function investorOf(uint256 policyId, address wallet) external view returns (uint256) {
        return _records[policyId][wallet] & TAG_MASK;
    }

    /// @notice How many wallets `investor` (a tag from {investorOf}, or a nullifier) has registered
    /// under `policyId`. Only counted while the policy has a wallet limit.
    function walletCount(uint256 policyId, uint256 investor) external view returns (uint256) {
        return _walletCounts[policyId][investor & TAG_MASK];
    }

    /// @notice A policy's stored parameters and derived values.
    function policy(uint256 policyId)
        external
        view
        returns (PolicyConfig memory config, uint256 policyHash, uint256 scope, uint256 jurisdictionMask, uint64[] memory acceptedIssuers)
    {
        Policy storage p = _policies[policyId];
        return (p.config, p.policyHash, p.scope, p.jurisdictionMask, p.acceptedIssuers);
    }

    /// @notice Whether the current version of `policyId` accepts roots of `issuerId`.
    function acceptsIssuer(uint256 policyId, uint64 issuerId) external view returns (bool) {
        return _accepts[policyId][_policies[policyId].config.version][issuerId];
    }

    /// @notice The EIP-712 domain separator consent signatures are made under.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }
}
