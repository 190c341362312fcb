// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IIssuerRegistry} from "./IIssuerRegistry.sol";

/// @title IComplianceGate
/// @notice Records which wallets proved a policy, until when, and for which investor; lets agents
/// end registrations and bar wallets or investors from registering again.
interface IComplianceGate {
    /// @notice The parameters an administrator sets for a policy. The first four go into
    /// `policyHash` (and so into every proof); the rest are enforced on-chain only.
    struct PolicyParams {
        uint256 jurisdictionMask; // bit j = ISO 3166-1 index j allowed; 0 < mask < 2^249
        uint8 minAge; // years
        uint16 investorClassMask; // 0 = any class; otherwise at least one of these bits
        uint8 minKycLevel;
        uint64[] acceptedIssuers; // IssuerRegistry ids whose roots this policy accepts, most used first
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
    error WalletBarred(uint256 policyId, address wallet, uint64 until);
    error InvestorBarred(uint256 policyId, uint256 investor, uint64 until);
    error PolicyHashMismatch(uint256 expected, uint256 got);
    /// @dev `issuerId` is the first issuer accepted by the policy that published `root` (0: none
    /// did), `state` why that issuer's root is not acceptable now.
    error RootNotAcceptable(uint64 issuerId, uint256 root, IIssuerRegistry.RootState state);
    error UnsupportedTreeDepth(uint8 depth);
    error DateOutOfWindow(uint32 today, uint32 blockDate);
    error CredentialExpired(uint32 validUntil, uint32 blockDate);
    error InvalidProof();
    error WalletBoundToOtherInvestor(address wallet, uint256 boundInvestor, uint256 provingInvestor);
    error TooManyWallets(uint256 investor, uint32 wallets, uint32 limit);

    // ─── agent ─────
    error WalletNotRegistered(uint256 policyId, address wallet);
    error BarEndsInPast(uint64 until, uint256 blockTime);
    error InvalidInvestorTag(uint256 investor);
    error WalletNotBarred(uint256 policyId, address wallet);
    /// @dev A caller without AGENT_ROLE tried to set a wallet bar ending before the existing one.
    error BarWouldShorten(uint256 policyId, address wallet, uint64 currentUntil, uint64 until);
    error InvestorNotBarred(uint256 policyId, uint256 investor);
    /// @dev `caller` has neither AGENT_ROLE nor the policy-agent right for `policyId`.
    error NotPolicyAgent(uint256 policyId, address caller);
    error PolicyAgentUnchanged(uint256 policyId, address account, bool allowed);

    event PolicySet(uint256 indexed policyId, uint32 version, uint256 scope, uint256 policyHash, PolicyParams params);
    event WalletVerified(
        uint256 indexed policyId,
        address indexed wallet,
        uint256 indexed nullifier,
        uint64 verifiedUntil,
        uint64 issuerId,
        uint256 root
    );
    event WalletRevoked(uint256 indexed policyId, address indexed wallet, uint256 investor, string reason);
    event WalletBarSet(uint256 indexed policyId, address indexed wallet, uint64 until, string reason);
    event WalletBarLifted(uint256 indexed policyId, address indexed wallet, string reason);
    event InvestorBarSet(uint256 indexed policyId, uint256 indexed investor, uint64 until, string reason);
    event InvestorBarLifted(uint256 indexed policyId, uint256 indexed investor, string reason);
    event ConsentCancelled(address indexed wallet, uint256 nonce);
    event PolicyAgentSet(uint256 indexed policyId, address indexed account, bool allowed, address indexed admin);

    /// @notice Whether `wallet` holds an unexpired registration for `policyId`.
    function isVerified(uint256 policyId, address wallet) external view returns (bool);

    /// @notice Both wallets' status in one call (the token checks sender and receiver on every transfer).
    function verifiedPair(uint256 policyId, address a, address b) external view returns (bool aVerified, bool bVerified);

    /// @notice The investor tag `wallet` is bound to under `policyId` (the low 192 bits of the
    /// holder's nullifier), or 0. Expired registrations keep their binding; revoked ones do not.
    function investorOf(uint256 policyId, address wallet) external view returns (uint256);

    /// @notice Lets `account` (a token) revoke and bar wallets under `policyId` only — {revokeWallet},
    /// {revokeWallets}, {barWallet}, {revokeAndBar} — or takes that right back (POLICY_ADMIN_ROLE).
    /// A token's recovery needs it for the token's own policy; it gives no power over other
    /// policies, investor bars or lifting bars. Refuses the zero address, an unknown policy and a
    /// call that changes nothing (`PolicyAgentUnchanged`).
    function setPolicyAgent(uint256 policyId, address account, bool allowed) external;

    /// @notice Removes `wallet`'s registration under `policyId` (AGENT_ROLE or the policy's agent,
    /// otherwise `NotPolicyAgent`), freeing the wallet and
    /// one slot of its investor's wallet limit. It does not stop the wallet registering again: bar
    /// it for that ({barWallet}). Refuses a wallet with no registration.
    function revokeWallet(uint256 policyId, address wallet, string calldata reason) external;

    /// @notice Bars `wallet` from registering under `policyId` (AGENT_ROLE or the policy's agent) while
    /// `block.timestamp < until`; `until == type(uint64).max` bars it until lifted. Replaces an
    /// earlier bar of the wallet. Checked at registration only: an existing registration stands
    /// until it ends or is revoked. Works whether or not the wallet is registered. Refuses the zero
    /// address and an `until` not in the future.
    function barWallet(uint256 policyId, address wallet, uint64 until, string calldata reason) external;

    /// @notice Bars every wallet of investor `investor` (a tag from {investorOf}, or a full
    /// nullifier) from registering under `policyId` (AGENT_ROLE), as {barWallet} does for one wallet.
    /// Refuses a tag of 0 and an `until` not in the future.
    function barInvestor(uint256 policyId, uint256 investor, uint64 until, string calldata reason) external;

    /// @notice Ends `wallet`'s bar under `policyId` (AGENT_ROLE). Refuses a wallet not barred now.
    function liftWalletBar(uint256 policyId, address wallet, string calldata reason) external;

    /// @notice Ends `investor`'s bar under `policyId` (AGENT_ROLE). Refuses an investor not barred now.
    function liftInvestorBar(uint256 policyId, uint256 investor, string calldata reason) external;

    /// @notice Called by a wallet: uses up its consent nonce `nonce`, so every EIP-712 consent it
    /// signed with that nonce can no longer register it. Refuses a nonce other than the current one
    /// (`InvalidAccountNonce(wallet, current)`). It cancels the current nonce only: a consent signed
    /// over a later nonce stays usable once the nonce gets there (cancel again then).
    function cancelConsent(uint256 nonce) external;
}
