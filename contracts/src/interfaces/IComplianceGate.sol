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

    /// @notice One registration of a {verifyBatch}, with what {verifyFor} takes for it.
    struct BatchEntry {
        uint256 policyId;
        uint256[2] pA;
        uint256[2][2] pB;
        uint256[2] pC;
        uint256[4] pubSignals; // [nullifier, root, policyHash, context]
        uint256 deadline;
        bytes signature; // the wallet's EIP-712 Consent; ERC-1271 for contract wallets
    }

    // ─── policy administration ─────
    error PolicyParamInvalid(string field, uint256 value);
    error WalletLimitCannotBeEnabled(uint256 policyId);
    error ZeroAddress(string field);
    /// @dev An escrow key refused by {setEscrowPolicy}; `rule` is the first it fails: "canonical"
    /// (a coordinate ≥ p), "on-curve" (not on Baby Jubjub), "identity" ((0, 1)), "subgroup" (not in
    /// the prime-order subgroup: a low-order point or one with a low-order component).
    error EscrowKeyInvalid(uint256 x, uint256 y, string rule);
    /// @dev {setPolicy} on a policy that has an escrow key: a key can be rotated, never removed.
    error EscrowCannotBeRemoved(uint256 policyId);

    // ─── registration: each names the check that failed ─────
    error PolicyNotFound(uint256 policyId);
    /// @dev `verify`/`verifyFor` under a policy with an escrow key: use `verifyEscrow`/`verifyEscrowFor`.
    error EscrowProofRequired(uint256 policyId);
    /// @dev `verifyEscrow`/`verifyEscrowFor` under a policy without an escrow key: use `verify`/`verifyFor`.
    error EscrowNotEnabled(uint256 policyId);
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

    // ─── batches ─────
    /// @dev Entry `index` of a batch failed one of its own checks; `reason` is that check's error
    /// (the one {verifyFor} would revert with), ABI-encoded with its selector.
    error BatchEntryRefused(uint256 index, bytes reason);
    /// @dev The batch's one pairing check failed: at least one proof in it is invalid.
    /// `batchDigest` is the hash the check's coefficients came from (docs/protocol.md, "Batches").
    error InvalidBatchProof(bytes32 batchDigest);
    error EmptyBatch();
    error BatchTooLarge(uint256 size, uint256 max);
    /// @dev {verifyBatch} on a gate whose administrator has not set a batch verifier yet.
    error BatchVerifierNotSet();
    /// @dev {setBatchVerifier32} a second time: the batch verifier, once set, never changes.
    error BatchVerifierAlreadySet(address current);
    /// @dev A wallet appears twice under one policy in one batch (reported at its second entry).
    error DuplicateBatchEntry(uint256 policyId, address wallet);
    /// @dev An external function the gate calls on itself only.
    error OnlyGate(address caller);

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
    /// @notice Logged by an escrow registration right after its `WalletVerified` (log index + 1):
    /// the holder credential's leaf index encrypted to the policy's escrow key, as `R.x` and `c`
    /// (docs/protocol.md, "Escrow"). The wallet record does not keep it; this event is where auditors
    /// find it.
    event EscrowCiphertext(
        uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint256 escrowX, uint256 escrowC
    );
    /// @notice Logged by {setEscrowPolicy} right after `PolicySet` (whose `policyHash` is the escrow
    /// policy hash `Poseidon3(rulesHash, keyX, keyY)`): the key and the rules' own hash.
    event PolicyEscrowKeySet(uint256 indexed policyId, uint32 version, uint256 keyX, uint256 keyY, uint256 rulesHash);
    /// @notice Logged once per {verifyBatch}, after the entries' `WalletVerified` events.
    event BatchVerified(bytes32 indexed batchDigest, uint256 size);
    /// @notice Logged by {setBatchVerifier32}.
    event BatchVerifierSet(address indexed verifier, address indexed admin);
    event WalletRevoked(uint256 indexed policyId, address indexed wallet, uint256 investor, string reason);
    event WalletBarSet(uint256 indexed policyId, address indexed wallet, uint64 until, string reason);
    event WalletBarLifted(uint256 indexed policyId, address indexed wallet, string reason);
    event InvestorBarSet(uint256 indexed policyId, uint256 indexed investor, uint64 until, string reason);
    event InvestorBarLifted(uint256 indexed policyId, uint256 indexed investor, string reason);
    event ConsentCancelled(address indexed wallet, uint256 nonce);
    event PolicyAgentSet(uint256 indexed policyId, address indexed account, bool allowed, address indexed admin);

    /// @notice Creates or replaces policy `policyId` as `setPolicy` does, with escrow
    /// key `escrowKey = (x, y)` (POLICY_ADMIN_ROLE): from now on its registrations need escrow proofs
    /// ({verifyEscrow}), which encrypt the holder's leaf index to the key, and its policy hash is
    /// `Poseidon3(rulesHash, x, y)`. Calling it again rotates the key (a new version; proofs made for
    /// the old key fail with `PolicyHashMismatch`). On a policy that had no key it adds one: later
    /// registrations carry a ciphertext, earlier ones do not (they run out within the old ttl, or an
    /// agent revokes them so that the holders register again). Refuses what `setPolicy` refuses,
    /// a gate deployed without an escrow verifier (`ZeroAddress("escrowVerifier32")`), and a key
    /// that is not a point of Baby Jubjub's prime-order subgroup other than the identity
    /// (`EscrowKeyInvalid`).
    function setEscrowPolicy(uint256 policyId, PolicyParams calldata params, uint256[2] calldata escrowKey) external;

    /// @notice The escrow key of `policyId`, or (0, 0) when it has none.
    function escrowKeyOf(uint256 policyId) external view returns (uint256 x, uint256 y);

    /// @notice Registers the wallet packed in `pubSignals[5]` (context), which must be the caller,
    /// under a policy with an escrow key, with a `kycPolicyEscrow32` proof. Public signals:
    /// [nullifier, escrowX, escrowC, root, policyHash, context]. Refuses what `verify` refuses (in
    /// the same order), a policy without a key right after an unknown one (`EscrowNotEnabled`), and
    /// a root of an issuer whose tree is not 32 deep (`UnsupportedTreeDepth`). Logs `WalletVerified`
    /// then `EscrowCiphertext(policyId, wallet, nullifier, escrowX, escrowC)`.
    function verifyEscrow(
        uint256 policyId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[6] calldata pubSignals
    ) external returns (uint64 until);

    /// @notice {verifyEscrow} submitted by anyone with the wallet's EIP-712 consent, exactly as
    /// `verifyFor`: `Consent(policyId, nullifier = pubSignals[0], context = pubSignals[5], nonce,
    /// deadline)`.
    function verifyEscrowFor(
        uint256 policyId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[6] calldata pubSignals,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint64 until);

    /// @notice Registers every entry as {verifyFor} would, with one batched Groth16 check for all
    /// their proofs (N + 3 pairings instead of 4N; docs/protocol.md, "Batches"). All or nothing:
    /// refuses an empty batch (`EmptyBatch`), more than 32 entries (`BatchTooLarge`), a gate
    /// without batch verifier (`BatchVerifierNotSet`), an entry that fails any check of
    /// {verifyFor} other than its proof (`BatchEntryRefused(index, reason)`, `reason` being that
    /// check's error; entries are checked in order), a wallet appearing twice under one policy
    /// (`BatchEntryRefused(index, DuplicateBatchEntry(policyId, wallet))` at its second entry), an entry under an escrow policy
    /// (`BatchEntryRefused(index, EscrowProofRequired)`) or with a depth-20 root
    /// (`BatchEntryRefused(index, UnsupportedTreeDepth(20))`), and a batch in which any proof is
    /// invalid (`InvalidBatchProof(batchDigest)`). Logs each entry's `WalletVerified`, then
    /// `BatchVerified(batchDigest, size)`. Returns each entry's `verifiedUntil`.
    function verifyBatch(BatchEntry[] calldata entries) external returns (uint64[] memory until);

    /// @notice Sets the verifier {verifyBatch} uses for depth-32 proofs (DEFAULT_ADMIN_ROLE), once:
    /// it must be generated from the same verification key as `verifier32`, which the gate cannot
    /// check. Refuses the zero address and a second call (`BatchVerifierAlreadySet`).
    function setBatchVerifier32(address verifier) external;

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
