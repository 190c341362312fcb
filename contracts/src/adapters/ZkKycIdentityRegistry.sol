// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IComplianceGate} from "../interfaces/IComplianceGate.sol";
import {IERC3643IdentityRegistry, IIdentityKeyCheck} from "./IERC3643IdentityRegistry.sol";

/// @title ZkKycIdentityRegistry
/// @notice An ERC-3643 identity registry backed by a ComplianceGate policy, so that an unmodified
/// ERC-3643 token (T-REX v4) enforces zkkyc proofs: set it as the token's identity registry and
/// the token's `isVerified(receiver)` check on every mint, transfer and forced transfer becomes the
/// gate's record for one policy — expiry, revocation and bars included, with nothing to sync.
///
/// What replaces what:
/// - ONCHAINID per investor and claims signed by trusted issuers → one Groth16 proof per wallet,
///   checked by the gate against the policy's rules (jurisdictions, age, investor class, KYC level,
///   issuers). The proof checks what the credential says; a claim check only sees that a claim exists.
/// - `identity(wallet)` → a per-investor address derived from the gate's investor tag
///   ({identityOfInvestor}). It has no code: it exists so that compliance modules that group an
///   investor's wallets by identity (balance and volume limits) group them by the tag. It reveals
///   nothing new: the gate already tells which wallets share a tag.
/// - `investorCountry(wallet)` → always 0: the proof shows the country is one the policy allows
///   without revealing which. Country-keyed compliance modules therefore do not apply; the policy's
///   jurisdiction mask does that job.
/// - registration, removal and updates by agents → a wallet registers itself with its proof at the
///   gate, agents revoke and bar there. Every management function reverts with {ManagedByGate},
///   except the two steps of the token's own wallet recovery (below).
///
/// Wallet recovery: an ERC-3643 token's `recoveryAddress(lost, new, investorIdentity)` asks
/// `investorIdentity.keyHasPurpose(keccak256(abi.encode(new)), 1)`, then calls `registerIdentity(new,
/// investorIdentity, investorCountry(lost))`, force-transfers the balance, and calls
/// `deleteIdentity(lost)`, all in one transaction. With this registry the agent names the registry
/// itself as `investorIdentity`. The hash of the new wallet cannot be turned back into a wallet, so
/// {keyHasPurpose} answers yes to a bound token (TOKEN_ROLE) asking about purpose 1 and the real
/// checks run in the two writes that follow, where the wallets are known: {registerIdentity}
/// requires the new wallet to be verified; {deleteIdentity} requires the lost wallet to be bound to
/// the same investor tag, then revokes the lost wallet in the gate and bars it until lifted (whoever
/// holds the lost key must not use it again). A recovery to another investor's wallet therefore
/// reverts as a whole. The registry must be a policy agent of its policy in the gate
/// (`setPolicyAgent`) for that revocation; the token, like a T-REX token with its own registry,
/// needs to be allowed to drive the registry (TOKEN_ROLE).
///
/// Roles:
/// - `DEFAULT_ADMIN_ROLE` (one holder, handed over in two steps): grants and revokes TOKEN_ROLE.
/// - `TOKEN_ROLE`: the ERC-3643 tokens using this registry; they may run the recovery steps. Grant it
///   to each token (the token contract, not its agents).
contract ZkKycIdentityRegistry is AccessControlDefaultAdminRules, IERC3643IdentityRegistry, IIdentityKeyCheck {
    bytes32 public constant TOKEN_ROLE = keccak256("TOKEN_ROLE");
    /// @notice The key purpose an ERC-3643 recovery asks about (ERC-734 management key).
    uint256 public constant MANAGEMENT_PURPOSE = 1;

    /// @dev A management function of the standard that this registry leaves to the gate: wallets
    /// register with a proof (`ComplianceGate.verify`), agents revoke and bar there.
    error ManagedByGate(string operation, address gate, uint256 policyId);
    error ZeroAddress(string field);
    error UnknownPolicy(uint256 policyId);
    /// @dev A recovery named an identity other than this registry (`recoveryAddress`'s third argument).
    error RecoveryIdentityMismatch(address expected, address named);
    /// @dev A recovery's new wallet holds no unexpired registration under the policy.
    error RecoveryWalletNotVerified(address newWallet);
    /// @dev {deleteIdentity} from a token that registered no new wallet earlier in the transaction.
    error NoRecoveryInProgress(address token);
    /// @dev A recovery between wallets of different investors (or from a wallet with no investor).
    error NotSameInvestor(address lostWallet, address newWallet);
    error RecoveryToSameWallet(address wallet);

    /// @notice A token moved an investor from `lostWallet` to `newWallet`; the lost wallet was revoked
    /// and barred in the gate.
    event WalletRecovered(address indexed token, address indexed lostWallet, address indexed newWallet, uint256 investor);

    string private constant RECOVERY_REASON = "ERC-3643 recovery: lost wallet";

    IComplianceGate public immutable gate;
    uint256 public immutable policyId;

    /// @dev The new wallet a token's recovery registered, and that token, for the rest of the
    /// transaction only (EIP-1153): {deleteIdentity} pairs the lost wallet with it. Nothing persists,
    /// so a recovery that reverts or never reaches {deleteIdentity} leaves no trace.
    address private transient _recoveryToken;
    address private transient _recoveryWallet;

    /// @param admin holds DEFAULT_ADMIN_ROLE (later hand-overs take two steps).
    /// @param gate_ the ComplianceGate whose records this registry reports.
    /// @param policyId_ the gate policy a wallet must be verified under. Refuses a zero gate and a
    /// policy the gate does not have (`UnknownPolicy`).
    constructor(address admin, IComplianceGate gate_, uint256 policyId_) AccessControlDefaultAdminRules(0, admin) {
        if (address(gate_) == address(0)) revert ZeroAddress("gate");
        // The gate's `policy(id)` starts with its config struct, whose first word is `exists`.
        (bool success, bytes memory answer) =
            address(gate_).staticcall(abi.encodeWithSignature("policy(uint256)", policyId_));
        if (!success || answer.length < 32 || abi.decode(answer, (uint256)) == 0) revert UnknownPolicy(policyId_);
        gate = gate_;
        policyId = policyId_;
    }

    // ─── what a token reads ──────────────────────────────────────────────────────────────────

    /// @notice Whether `userAddress` holds an unexpired, unrevoked registration under the policy:
    /// the gate's own answer, read on every mint, transfer and forced transfer.
    function isVerified(address userAddress) external view returns (bool) {
        return gate.isVerified(policyId, userAddress);
    }

    /// @notice Whether `userAddress` is bound to an investor under the policy — registered, even if
    /// expired; not after revocation.
    function contains(address userAddress) external view returns (bool) {
        return gate.investorOf(policyId, userAddress) != 0;
    }

    /// @notice The per-investor identity of `userAddress` ({identityOfInvestor} of its investor tag),
    /// the same for all the investor's wallets; zero for a wallet bound to no investor.
    function identity(address userAddress) external view returns (address) {
        uint256 investor = gate.investorOf(policyId, userAddress);
        return investor == 0 ? address(0) : identityOfInvestor(investor);
    }

    /// @notice The identity address standing for investor tag `investor`:
    /// `address(uint160(uint256(keccak256(abi.encode(this registry, investor)))))`. Stable for as long
    /// as the investor's wallets stay bound; it has no code and holds no claims.
    function identityOfInvestor(uint256 investor) public view returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(address(this), investor)))));
    }

    /// @notice Always 0: the country is proved to be allowed, never revealed.
    function investorCountry(address) external pure returns (uint16) {
        return 0;
    }

    /// @notice Always the zero address: wallets are stored by the gate, not in an identity storage.
    function identityStorage() external pure returns (address) {
        return address(0);
    }

    /// @notice Always the zero address: the policy's accepted issuers (in the gate) replace trusted
    /// claim issuers.
    function issuersRegistry() external pure returns (address) {
        return address(0);
    }

    /// @notice Always the zero address: the policy's rules (in the gate) replace claim topics.
    function topicsRegistry() external pure returns (address) {
        return address(0);
    }

    // ─── a token's wallet recovery ──────────────────────────────────────────────────────────

    /// @notice Answers an ERC-3643 token's recovery check: true when a TOKEN_ROLE holder asks about
    /// the management purpose, whatever the key. Only a pass to the recovery's next steps, which
    /// check the wallets themselves ({registerIdentity}, {deleteIdentity}) in the same transaction.
    /// False for anyone else: this registry is nobody's identity contract.
    function keyHasPurpose(bytes32, uint256 purpose) external view returns (bool) {
        return purpose == MANAGEMENT_PURPOSE && hasRole(TOKEN_ROLE, msg.sender);
    }

    /// @notice First write of a token's recovery (TOKEN_ROLE): accepts `userAddress` as the new
    /// wallet if it is verified under the policy, and remembers it for {deleteIdentity} in this
    /// transaction. Stores nothing: the wallet registered itself at the gate. `country` is ignored
    /// (the token passes {investorCountry} of the lost wallet, 0). Refuses any other caller
    /// (`ManagedByGate`: agents cannot register wallets here), an `identity_` other than this
    /// registry (`RecoveryIdentityMismatch`), and an unverified wallet (`RecoveryWalletNotVerified`).
    function registerIdentity(address userAddress, address identity_, uint16 /* country */) external {
        if (!hasRole(TOKEN_ROLE, msg.sender)) revert ManagedByGate("registerIdentity", address(gate), policyId);
        if (identity_ != address(this)) revert RecoveryIdentityMismatch(address(this), identity_);
        if (!gate.isVerified(policyId, userAddress)) revert RecoveryWalletNotVerified(userAddress);
        _recoveryToken = msg.sender;
        _recoveryWallet = userAddress;
        emit IdentityRegistered(userAddress, identityOfInvestor(gate.investorOf(policyId, userAddress)));
    }

    /// @notice Last write of a token's recovery (TOKEN_ROLE, after {registerIdentity} in the same
    /// transaction): requires `userAddress` (the lost wallet) to be bound to the same investor as
    /// the new wallet, then revokes it in the gate and bars it until lifted. Refuses any other caller
    /// (`ManagedByGate`: agents remove wallets with the gate's `revokeWallet`), a token with no
    /// recovery in progress (`NoRecoveryInProgress`), the new wallet itself (`RecoveryToSameWallet`)
    /// and a wallet of another investor (`NotSameInvestor`); any of these reverts the whole recovery.
    function deleteIdentity(address userAddress) external {
        if (!hasRole(TOKEN_ROLE, msg.sender)) revert ManagedByGate("deleteIdentity", address(gate), policyId);
        address newWallet = _recoveryWallet;
        if (_recoveryToken != msg.sender || newWallet == address(0)) revert NoRecoveryInProgress(msg.sender);
        if (userAddress == newWallet) revert RecoveryToSameWallet(userAddress);
        uint256 investor = gate.investorOf(policyId, userAddress);
        if (investor == 0 || investor != gate.investorOf(policyId, newWallet)) {
            revert NotSameInvestor(userAddress, newWallet);
        }
        _recoveryToken = address(0);
        _recoveryWallet = address(0);
        gate.revokeWallet(policyId, userAddress, RECOVERY_REASON);
        gate.barWallet(policyId, userAddress, type(uint64).max, RECOVERY_REASON);
        emit IdentityRemoved(userAddress, identityOfInvestor(investor));
        emit WalletRecovered(msg.sender, userAddress, newWallet, investor);
    }

    // ─── management the gate does instead ───────────────────────────────────────────────────

    /// @notice Refused (`ManagedByGate`): each wallet registers itself at the gate with a proof.
    function batchRegisterIdentity(address[] calldata, address[] calldata, uint16[] calldata) external view {
        revert ManagedByGate("batchRegisterIdentity", address(gate), policyId);
    }

    /// @notice Refused (`ManagedByGate`): a wallet's identity is its investor tag in the gate.
    function updateIdentity(address, address) external view {
        revert ManagedByGate("updateIdentity", address(gate), policyId);
    }

    /// @notice Refused (`ManagedByGate`): no country is stored; the proof shows it is allowed.
    function updateCountry(address, uint16) external view {
        revert ManagedByGate("updateCountry", address(gate), policyId);
    }

    /// @notice Refused (`ManagedByGate`): the gate is the storage; a new policy needs a new registry.
    function setIdentityRegistryStorage(address) external view {
        revert ManagedByGate("setIdentityRegistryStorage", address(gate), policyId);
    }

    /// @notice Refused (`ManagedByGate`): the policy's rules in the gate replace claim topics.
    function setClaimTopicsRegistry(address) external view {
        revert ManagedByGate("setClaimTopicsRegistry", address(gate), policyId);
    }

    /// @notice Refused (`ManagedByGate`): the policy's accepted issuers in the gate replace trusted issuers.
    function setTrustedIssuersRegistry(address) external view {
        revert ManagedByGate("setTrustedIssuersRegistry", address(gate), policyId);
    }

    /// @notice ERC-165: this registry's interface and AccessControl's.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC3643IdentityRegistry).interfaceId
            || interfaceId == type(IIdentityKeyCheck).interfaceId || super.supportsInterface(interfaceId);
    }
}
