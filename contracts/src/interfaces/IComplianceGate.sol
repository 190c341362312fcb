// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IComplianceGate
/// @notice Records which wallets proved a policy, until when, and for which investor.
interface IComplianceGate {
    /// @notice The parameters an administrator sets for a policy. The first four go into
    /// `policyHash` (and so into every proof); the rest are enforced on-chain only.
    struct PolicyParams {
        uint256 jurisdictionMask; // bit j = ISO 3166-1 index j allowed; 0 < mask < 2^249
        uint8 minAge; // years
        uint16 investorClassMask; // 0 = any class; otherwise at least one of these bits
        uint8 minKycLevel;
        uint64[] acceptedIssuers; // IssuerRegistry ids whose roots this policy accepts
        uint64 ttl; // seconds a registration lasts at most
        uint32 maxWalletsPerInvestor; // 0 = unlimited
    }

    // ─── policy administration ─────
    error PolicyParamInvalid(string field, uint256 value);
    error WalletLimitCannotBeEnabled(uint256 policyId);
    error ZeroAddress(string field);

    // ─── registration: each names the check that failed ─────
    error PolicyNotFound(uint256 policyId);
    error ContextOutOfRange(uint256 context);
    error NotWalletOwner(address wallet, address caller);
    error ConsentExpired(uint256 deadline, uint256 blockTime);
    error InvalidConsentSignature(address wallet);
    error PolicyHashMismatch(uint256 expected, uint256 got);
    error RootNotAcceptable(uint64 issuerId, uint256 root);
    error IssuerNotAccepted(uint256 policyId, uint64 issuerId);
    error UnsupportedTreeDepth(uint8 depth);
    error DateOutOfWindow(uint32 today, uint32 blockDate);
    error CredentialExpired(uint32 validUntil, uint32 blockDate);
    error InvalidProof();
    error WalletBoundToOtherInvestor(address wallet, uint256 boundInvestor, uint256 provingInvestor);
    error TooManyWallets(uint256 investor, uint32 wallets, uint32 limit);

    // ─── agent ─────
    error WalletNotRegistered(uint256 policyId, address wallet);

    event PolicySet(uint256 indexed policyId, uint256 scope, uint256 policyHash, uint32 version);
    event WalletVerified(
        uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint64 verifiedUntil, uint64 issuerId
    );
    event WalletRevoked(uint256 indexed policyId, address indexed wallet, uint256 investor, string reason);

    /// @notice Whether `wallet` holds an unexpired registration for `policyId`.
    function isVerified(uint256 policyId, address wallet) external view returns (bool);

    /// @notice Both wallets' status in one call (the token checks sender and receiver on every transfer).
    function verifiedPair(uint256 policyId, address a, address b) external view returns (bool aVerified, bool bVerified);

    /// @notice The investor tag `wallet` is bound to under `policyId` (the low 192 bits of the
    /// holder's nullifier, low 192 bits), or 0. Expired registrations keep their binding; revoked
    /// ones do not.
    function investorOf(uint256 policyId, address wallet) external view returns (uint256);
}
