// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";
import {IComplianceGate} from "./interfaces/IComplianceGate.sol";
import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";
import {IKycEscrowProofVerifier} from "./interfaces/IKycEscrowProofVerifier.sol";
import {IKycBatchVerifier} from "./interfaces/IKycBatchVerifier.sol";
import {IKycProofVerifier} from "./interfaces/IKycProofVerifier.sol";
import {BabyJubJubPoint} from "./libraries/BabyJubJubPoint.sol";
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
/// Escrow (docs/protocol.md, "Escrow"): a policy may name an escrow key. Its registrations then use
/// the `kycPolicyEscrow32` circuit ({verifyEscrow}), whose two extra public signals are the holder
/// credential's leaf index encrypted to that key; the gate checks the proof like any other and logs
/// the ciphertext in `EscrowCiphertext`, storing nothing more per wallet.
///
/// Controls that stick (docs/contracts.md): an agent can bar a wallet or an investor tag from
/// registering again (for a time or until lifted), so a revoked holder cannot come straight back by
/// replaying its proof; a wallet can cancel a consent it signed. Bars are read at registration
/// only: a transfer still reads one word per wallet and nothing else.
///
/// Roles:
/// - `DEFAULT_ADMIN_ROLE` (one holder, handed over in two steps with OpenZeppelin's
///   `beginDefaultAdminTransfer` / `acceptDefaultAdminTransfer`): grants roles.
/// - `POLICY_ADMIN_ROLE`: sets policies.
/// - `AGENT_ROLE`: revokes registrations, bars and lifts bars on wallets and investors, under any
///   policy.
/// - a *policy agent* of one policy id (not a role: set by `POLICY_ADMIN_ROLE` with
///   {setPolicyAgent}): revokes and bars wallets under that policy only. A token gets this right for
///   its own policy, so that its recovery can shut a lost wallet; a global AGENT_ROLE would let the
///   token — and so its agents — revoke and bar holders of every other token on the gate.
contract ComplianceGate is AccessControlDefaultAdminRules, EIP712, Nonces, IComplianceGate {
    bytes32 public constant POLICY_ADMIN_ROLE = keccak256("POLICY_ADMIN_ROLE");
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");

    /// @notice EIP-712 type a wallet signs to let a relayer register it.
    bytes32 public constant CONSENT_TYPEHASH =
        keccak256("Consent(uint256 policyId,uint256 nullifier,uint256 context,uint256 nonce,uint256 deadline)");

    /// @notice The most entries one {verifyBatch} takes (the batch verifier's MAX_PROOFS).
    uint256 public constant MAX_BATCH = 32;

    uint256 private constant MAX_JURISDICTION_MASK = (1 << 249) - 1;
    uint256 private constant TAG_MASK = (1 << 192) - 1;
    /// @dev A wallet record's verifiedUntil sits above bit 216 (40 bits last until the year 36812).
    uint256 private constant UNTIL_SHIFT = 216;
    /// @dev Record flag: the wallet has an entry in `_walletBars`. Registration reads that slot only
    /// when the flag is set, so bars cost nothing to a wallet that never had one.
    uint256 private constant WALLET_BARRED = 1 << 192;

    /// @dev One storage word, so a registration reads a policy's rules with one SLOAD. The first
    /// accepted issuer is in it because a proof's signals do not name the issuer: the gate asks the
    /// registry about the root under each accepted issuer in turn, and the first is usually the one.
    struct PolicyConfig {
        bool exists;
        uint8 minAge;
        uint8 minKycLevel;
        uint16 investorClassMask;
        uint32 version; // bumped by every setPolicy
        uint64 ttl;
        uint32 maxWalletsPerInvestor;
        uint64 firstIssuer; // acceptedIssuers[0]
        // Registrations need escrow proofs. In this word so that registration learns which kind of
        // proof the policy takes without reading the key (the proof's policyHash commits to it).
        bool escrow;
    }

    struct Policy {
        PolicyConfig config;
        uint256 policyHash; // with an escrow key: Poseidon3(rulesHash, keyX, keyY)
        uint256 scope;
        uint256 jurisdictionMask;
        uint64[] acceptedIssuers;
        // The escrow key; (0, 0) without one. Read by views and set-up only, never by registration.
        uint256 escrowKeyX;
        uint256 escrowKeyY;
    }

    IIssuerRegistry public immutable registry;
    IKycProofVerifier public immutable verifier32;
    IKycProofVerifier public immutable verifier20;
    /// @notice The `kycPolicyEscrow32` verifier; zero when the gate takes no escrow policies.
    IKycEscrowProofVerifier public immutable escrowVerifier32;

    /// @notice The verifier {verifyBatch} checks depth-32 proofs with: set once by the administrator
    /// ({setBatchVerifier32}), zero until then.
    IKycBatchVerifier public batchVerifier32;

    /// @dev What the checks before a proof ({_admit}) pass to the binding after it ({_record}),
    /// packed in one word (as a memory struct it cost a plain registration ~200 gas): until | issuerId
    /// << 64 | depth << 128 | the policy's wallet limit << 136 | the investor's wallet count << 168.
    /// The count fits in 64 bits: it is kept only under a limit, which is a uint32.
    uint256 private constant ISSUER_SHIFT = 64;
    uint256 private constant DEPTH_SHIFT = 128;
    uint256 private constant LIMIT_SHIFT = 136;
    uint256 private constant WALLETS_SHIFT = 168;

    /// @dev One word per investor and policy: the bar is read by every registration, the wallet
    /// count (kept only while the policy has a wallet limit) by those under a limit — one SLOAD for both.
    struct InvestorEntry {
        uint64 barredUntil; // registration refused while block.timestamp < barredUntil
        uint192 wallets;
    }

    mapping(uint256 policyId => Policy) private _policies;
    /// @dev Wallet record, one word: verifiedUntil (40 bits) | flags (24 bits: WALLET_BARRED) |
    /// investor tag (192). One cold read per wallet is all a transfer costs the gate, which is why no
    /// per-policy "epoch" is checked here; a transfer reads the until and the tag, never the flags.
    mapping(uint256 policyId => mapping(address wallet => uint256)) private _records;
    /// @dev Investor bars and wallet counts, keyed by investor tag.
    mapping(uint256 policyId => mapping(uint256 investor => InvestorEntry)) private _investors;
    /// @dev Wallet bars (flagged in the wallet's record), read by registration only.
    mapping(uint256 policyId => mapping(address wallet => uint64 until)) private _walletBars;
    /// @dev Accounts (tokens) allowed to revoke and bar wallets under one policy only. No view reads
    /// it (the `PolicyAgentSet` events do): one more external function would move `verifiedPair`
    /// deeper in the dispatcher and cost every transfer ~22 gas.
    mapping(uint256 policyId => mapping(address account => bool)) private _policyAgents;

    /// @dev AGENT_ROLE (any policy) or the policy agent of `policyId`. Named after what it guards:
    /// the revocations and wallet bars a token's recovery needs.
    modifier onlyAgentFor(uint256 policyId) {
        if (!_policyAgents[policyId][msg.sender] && !hasRole(AGENT_ROLE, msg.sender)) {
            revert NotPolicyAgent(policyId, msg.sender);
        }
        _;
    }

    /// @param admin receives every role. Later hand-overs of `DEFAULT_ADMIN_ROLE` take two steps
    /// (the new admin accepts); the delay starts at 0 and the admin can raise it with
    /// `changeDefaultAdminDelay`. Refuses a zero admin (`AccessControlInvalidDefaultAdmin`).
    /// @param verifierFor20 may be the zero address while no depth-20 circuit is deployed.
    /// @param escrowVerifierFor32 may be the zero address: the gate then refuses escrow policies
    /// ({setEscrowPolicy} reverts `ZeroAddress("escrowVerifier32")`).
    constructor(
        address admin,
        IIssuerRegistry registry_,
        IKycProofVerifier verifierFor32,
        IKycProofVerifier verifierFor20,
        IKycEscrowProofVerifier escrowVerifierFor32
    )
        AccessControlDefaultAdminRules(0, admin)
        EIP712("zkkyc ComplianceGate", "1")
    {
        if (address(registry_) == address(0)) revert ZeroAddress("registry");
        if (address(verifierFor32) == address(0)) revert ZeroAddress("verifier32");
        _grantRole(POLICY_ADMIN_ROLE, admin);
        _grantRole(AGENT_ROLE, admin);
        registry = registry_;
        verifier32 = verifierFor32;
        verifier20 = verifierFor20;
        escrowVerifier32 = escrowVerifierFor32;
    }

    // ─── policies ────────────────────────────────────────────────────────────────────────────

    /// @notice Creates or replaces policy `policyId`. New parameters apply to proofs submitted from
    /// now on; existing registrations keep their `verifiedUntil` (at most the old ttl), and an agent
    /// can end any of them at once with {revokeWallets}. A wallet limit cannot be switched on for a
    /// policy that had none (its wallets were not counted): use a new policy id for that.
    /// Removing an issuer from `acceptedIssuers` refuses its roots from the next proof on. List the
    /// issuer most holders use first: registrations find their root under it with one registry call.
    /// Refuses a jurisdiction mask of 0 or ≥ 2^249, a ttl of 0, an empty issuer list, an issuer id
    /// the registry does not know, and a policy with an escrow key (`EscrowCannotBeRemoved`: rotate
    /// it with {setEscrowPolicy}; dropping it would let holders stop escrowing unnoticed).
    function setPolicy(uint256 policyId, PolicyParams calldata params) external onlyRole(POLICY_ADMIN_ROLE) {
        if (_policies[policyId].config.escrow) revert EscrowCannotBeRemoved(policyId);
        (uint32 version, uint256 scope_, uint256 rulesHash) = _storePolicy(policyId, params, false);
        _policies[policyId].policyHash = rulesHash;
        emit PolicySet(policyId, version, scope_, rulesHash, params);
    }

    /// @inheritdoc IComplianceGate
    /// @dev The subgroup check (one 251-bit scalar multiplication, ~276k gas) is paid here, once,
    /// so that registrations need not check the key: a proof commits to it through the policy hash.
    function setEscrowPolicy(uint256 policyId, PolicyParams calldata params, uint256[2] calldata escrowKey)
        external
        onlyRole(POLICY_ADMIN_ROLE)
    {
        if (address(escrowVerifier32) == address(0)) revert ZeroAddress("escrowVerifier32");
        (uint256 x, uint256 y) = (escrowKey[0], escrowKey[1]);
        if (!BabyJubJubPoint.isCanonical(x, y)) revert EscrowKeyInvalid(x, y, "canonical");
        if (!BabyJubJubPoint.isOnCurve(x, y)) revert EscrowKeyInvalid(x, y, "on-curve");
        if (BabyJubJubPoint.isIdentity(x, y)) revert EscrowKeyInvalid(x, y, "identity");
        if (!BabyJubJubPoint.isInSubgroup(x, y)) revert EscrowKeyInvalid(x, y, "subgroup");

        (uint32 version, uint256 scope_, uint256 rulesHash) = _storePolicy(policyId, params, true);
        uint256 hash = PoseidonT4.hash([rulesHash, x, y]);
        Policy storage stored = _policies[policyId];
        stored.policyHash = hash;
        stored.escrowKeyX = x;
        stored.escrowKeyY = y;
        emit PolicySet(policyId, version, scope_, hash, params);
        emit PolicyEscrowKeySet(policyId, version, x, y, rulesHash);
    }

    /// @inheritdoc IComplianceGate
    function escrowKeyOf(uint256 policyId) external view returns (uint256 x, uint256 y) {
        Policy storage stored = _policies[policyId];
        return (stored.escrowKeyX, stored.escrowKeyY);
    }

    /// @dev The checks and writes {setPolicy} and {setEscrowPolicy} share: validates `params`,
    /// stores the config word (with the escrow flag), scope, mask and issuers, and returns the new
    /// version, the scope and the rules' hash `Poseidon5(scope, mask, minAge, classMask, minKycLevel)`
    /// — the policy hash of a policy without escrow key, the inner hash of one with a key.
    function _storePolicy(uint256 policyId, PolicyParams calldata params, bool escrow)
        private
        returns (uint32 version, uint256 scope_, uint256 rulesHash)
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

        version = previous.version + 1;
        for (uint256 i = 0; i < params.acceptedIssuers.length; i++) {
            uint64 issuerId = params.acceptedIssuers[i];
            (,,, uint8 depth,,) = registry.issuer(issuerId);
            if (depth == 0) revert PolicyParamInvalid("acceptedIssuers", issuerId);
        }

        scope_ = scopeOf(policyId);
        rulesHash = PoseidonT6.hash(
            [scope_, params.jurisdictionMask, params.minAge, params.investorClassMask, params.minKycLevel]
        );
        stored.config = PolicyConfig({
            exists: true,
            minAge: params.minAge,
            minKycLevel: params.minKycLevel,
            investorClassMask: params.investorClassMask,
            version: version,
            ttl: params.ttl,
            maxWalletsPerInvestor: params.maxWalletsPerInvestor,
            firstIssuer: params.acceptedIssuers[0],
            escrow: escrow
        });
        stored.scope = scope_;
        stored.jurisdictionMask = params.jurisdictionMask;
        stored.acceptedIssuers = params.acceptedIssuers;
    }

    /// @notice `uint256(keccak256(abi.encode(chainId, gate, policyId))) >> 8` (docs/protocol.md): a
    /// proof or nullifier made for one deployment or policy means nothing to another.
    function scopeOf(uint256 policyId) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), policyId))) >> 8;
    }

    /// @inheritdoc IComplianceGate
    function setPolicyAgent(uint256 policyId, address account, bool allowed) external onlyRole(POLICY_ADMIN_ROLE) {
        if (account == address(0)) revert ZeroAddress("account");
        if (!_policies[policyId].config.exists) revert PolicyNotFound(policyId);
        if (_policyAgents[policyId][account] == allowed) revert PolicyAgentUnchanged(policyId, account, allowed);
        _policyAgents[policyId][account] = allowed;
        emit PolicyAgentSet(policyId, account, allowed, msg.sender);
    }

    // ─── registration ────────────────────────────────────────────────────────────────────────

    /// @notice Registers the wallet packed in `pubSignals[3]` (context), which must be the caller.
    /// Public signals: [nullifier, root, policyHash, context]. Refuses, with the error naming the
    /// failed check (docs/contracts.md has the order): context bits above 224, a caller other than
    /// the wallet, an unknown policy, a policy with an escrow key (`EscrowProofRequired`: use
    /// {verifyEscrow}), a barred wallet, a barred investor, a wrong policy hash, a root
    /// that no accepted issuer published or that is not acceptable now (superseded too long ago,
    /// cut off, stale, rejected, issuer suspended), a `today` other than the block's UTC date or the
    /// day before, a `validUntil` whose day has ended, an invalid proof, a wallet bound to another
    /// investor, and an investor already at the policy's wallet limit.
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
    /// (including one over a nonce already used or cancelled with {cancelConsent}, so a consent is
    /// used once), then everything {verify} refuses.
    function verifyFor(
        uint256 policyId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint64 until) {
        address wallet = _consented(policyId, pubSignals[0], pubSignals[3], deadline, signature);
        return _register(policyId, wallet, pA, pB, pC, pubSignals);
    }

    /// @inheritdoc IComplianceGate
    function verifyEscrow(
        uint256 policyId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[6] calldata pubSignals
    ) external returns (uint64 until) {
        address wallet = _walletOf(pubSignals[5]);
        if (msg.sender != wallet) revert NotWalletOwner(wallet, msg.sender);
        return _registerEscrow(policyId, wallet, pA, pB, pC, pubSignals);
    }

    /// @inheritdoc IComplianceGate
    function verifyEscrowFor(
        uint256 policyId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[6] calldata pubSignals,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint64 until) {
        address wallet = _consented(policyId, pubSignals[0], pubSignals[5], deadline, signature);
        return _registerEscrow(policyId, wallet, pA, pB, pC, pubSignals);
    }

    /// @inheritdoc IComplianceGate
    /// @dev Each entry's checks and binding run in a call of the gate to itself
    /// ({registerBatchEntry}), so that a refusal can be reported with its entry's index; the
    /// proofs are checked together at the end, and a failure there undoes every entry.
    function verifyBatch(BatchEntry[] calldata entries) external returns (uint64[] memory until) {
        uint256 size = entries.length;
        if (size == 0) revert EmptyBatch();
        if (size > MAX_BATCH) revert BatchTooLarge(size, MAX_BATCH);
        IKycBatchVerifier batchVerifier = batchVerifier32;
        if (address(batchVerifier) == address(0)) revert BatchVerifierNotSet();

        until = new uint64[](size);
        // The batch verifier's call data, `verifyProofs(proofs, context)`, filled in as the entries
        // pass: each proof's 12 words are copied from the entry as they are.
        bytes memory verifierCall = _verifierCallHead(size);
        for (uint256 i = 0; i < size; i++) {
            BatchEntry calldata entry = entries[i];
            // A wallet registers once per batch. Marked in transient storage (100 gas a mark),
            // cleared below so that a second batch in the same transaction starts clean.
            (uint256 policyId, address wallet) = (entry.policyId, address(uint160(entry.pubSignals[3])));
            bytes32 mark = keccak256(abi.encode(policyId, wallet));
            bool seen;
            assembly ("memory-safe") {
                seen := tload(mark)
                tstore(mark, 1)
            }
            if (seen) revert BatchEntryRefused(i, abi.encodeWithSelector(DuplicateBatchEntry.selector, policyId, wallet));
            try this.registerBatchEntry(entry) returns (uint64 entryUntil) {
                until[i] = entryUntil;
            } catch (bytes memory reason) {
                revert BatchEntryRefused(i, reason);
            }
            assembly ("memory-safe") {
                // In a BatchEntry, pA, pB, pC and pubSignals are the 12 words after policyId.
                calldatacopy(add(verifierCall, add(0x84, mul(i, 0x180))), add(entry, 0x20), 0x180)
            }
        }
        for (uint256 i = 0; i < size; i++) {
            bytes32 mark = keccak256(abi.encode(entries[i].policyId, address(uint160(entries[i].pubSignals[3]))));
            assembly ("memory-safe") {
                tstore(mark, 0)
            }
        }
        (bool called, bytes memory answer) = address(batchVerifier).staticcall(verifierCall);
        if (!called || answer.length != 64) revert InvalidBatchProof(bytes32(0));
        (bool valid, bytes32 digest) = abi.decode(answer, (bool, bytes32));
        if (!valid) revert InvalidBatchProof(digest);
        emit BatchVerified(digest, size);
    }

    /// @notice One entry of {verifyBatch}, all but its proof: the consent, the checks of {verifyFor}
    /// and the binding. Callable by the gate itself only (`OnlyGate`): alone it would register a
    /// wallet without checking its proof.
    function registerBatchEntry(BatchEntry calldata entry) external returns (uint64) {
        if (msg.sender != address(this)) revert OnlyGate(msg.sender);
        uint256[4] calldata pubSignals = entry.pubSignals;
        address wallet = _consented(entry.policyId, pubSignals[0], pubSignals[3], entry.deadline, entry.signature);
        (uint256 record, uint256 admitted) = _admit(entry.policyId, wallet, pubSignals, true);
        return _record(entry.policyId, wallet, pubSignals, record, admitted);
    }

    /// @inheritdoc IComplianceGate
    function setBatchVerifier32(address verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (verifier == address(0)) revert ZeroAddress("verifier");
        address current = address(batchVerifier32);
        if (current != address(0)) revert BatchVerifierAlreadySet(current);
        batchVerifier32 = IKycBatchVerifier(verifier);
        emit BatchVerifierSet(verifier, msg.sender);
    }

    /// @dev `verifyProofs(uint256[12][] proofs, bytes32 context)` call data with room for `size`
    /// proofs (0x84 bytes in: selector, offset, context, length). The context is the deployment, so
    /// that a batch's digest (and coefficients) here differ from any other gate's.
    function _verifierCallHead(uint256 size) private view returns (bytes memory data) {
        data = new bytes(0x64 + size * 0x180);
        bytes4 selector = IKycBatchVerifier.verifyProofs.selector;
        bytes32 context = keccak256(abi.encode(block.chainid, this));
        assembly ("memory-safe") {
            mstore(add(data, 0x20), selector)
            mstore(add(data, 0x24), 0x40)
            mstore(add(data, 0x44), context)
            mstore(add(data, 0x64), size)
        }
    }

    /// @inheritdoc IComplianceGate
    function cancelConsent(uint256 nonce) external {
        // Consents are signed over the wallet's current nonce, so using it up voids them all.
        _useCheckedNonce(msg.sender, nonce);
        emit ConsentCancelled(msg.sender, nonce);
    }

    // ─── agent controls ──────────────────────────────────────────────────────────────────────

    /// @inheritdoc IComplianceGate
    function revokeWallet(uint256 policyId, address wallet, string calldata reason) public onlyAgentFor(policyId) {
        _revoke(policyId, wallet, reason);
    }

    /// @notice {revokeWallet} for several wallets (AGENT_ROLE or the policy's agent); all or nothing.
    function revokeWallets(uint256 policyId, address[] calldata wallets, string calldata reason) external {
        for (uint256 i = 0; i < wallets.length; i++) revokeWallet(policyId, wallets[i], reason);
    }

    /// @notice {revokeWallet} and {barWallet} in one call (AGENT_ROLE or the policy's agent): the
    /// wallet's registration ends and it cannot register again, with this or any other proof, until
    /// `until` or until lifted. Refuses what either refuses (an unregistered wallet: use
    /// {barWallet}). After a lost or stolen wallet, recover first (the token's `recoveryAddress`
    /// revokes and bars the lost wallet itself): a revoked wallet has no investor tag left, so its
    /// balance can no longer be recovered, only force-transferred.
    function revokeAndBar(uint256 policyId, address wallet, uint64 until, string calldata reason)
        external
        onlyAgentFor(policyId)
    {
        _revoke(policyId, wallet, reason);
        _barWallet(policyId, wallet, until, reason);
    }

    /// @inheritdoc IComplianceGate
    function barWallet(uint256 policyId, address wallet, uint64 until, string calldata reason)
        external
        onlyAgentFor(policyId)
    {
        _barWallet(policyId, wallet, until, reason);
    }

    /// @inheritdoc IComplianceGate
    function barInvestor(uint256 policyId, uint256 investor, uint64 until, string calldata reason)
        external
        onlyRole(AGENT_ROLE)
    {
        uint256 tag = investor & TAG_MASK;
        if (tag == 0) revert InvalidInvestorTag(investor);
        if (until <= block.timestamp) revert BarEndsInPast(until, block.timestamp);
        _investors[policyId][tag].barredUntil = until;
        emit InvestorBarSet(policyId, tag, until, reason);
    }

    /// @inheritdoc IComplianceGate
    function liftWalletBar(uint256 policyId, address wallet, string calldata reason) external onlyRole(AGENT_ROLE) {
        if (_walletBars[policyId][wallet] <= block.timestamp) revert WalletNotBarred(policyId, wallet);
        delete _walletBars[policyId][wallet];
        _records[policyId][wallet] &= ~WALLET_BARRED;
        emit WalletBarLifted(policyId, wallet, reason);
    }

    /// @inheritdoc IComplianceGate
    function liftInvestorBar(uint256 policyId, uint256 investor, string calldata reason)
        external
        onlyRole(AGENT_ROLE)
    {
        uint256 tag = investor & TAG_MASK;
        InvestorEntry storage entry = _investors[policyId][tag];
        if (entry.barredUntil <= block.timestamp) revert InvestorNotBarred(policyId, tag);
        entry.barredUntil = 0;
        emit InvestorBarLifted(policyId, tag, reason);
    }

    function _revoke(uint256 policyId, address wallet, string calldata reason) private {
        uint256 record = _records[policyId][wallet];
        if (record >> UNTIL_SHIFT == 0) revert WalletNotRegistered(policyId, wallet);
        uint256 investor = record & TAG_MASK;
        _records[policyId][wallet] = record & WALLET_BARRED; // a bar outlives the registration
        InvestorEntry storage entry = _investors[policyId][investor];
        uint192 count = entry.wallets;
        if (count != 0) entry.wallets = count - 1;
        emit WalletRevoked(policyId, wallet, investor, reason);
    }

    function _barWallet(uint256 policyId, address wallet, uint64 until, string calldata reason) private {
        if (wallet == address(0)) revert ZeroAddress("wallet");
        if (until <= block.timestamp) revert BarEndsInPast(until, block.timestamp);
        // A policy agent may set or extend a bar, never shorten one (e.g. a permanent bar set by
        // AGENT_ROLE); only AGENT_ROLE may shorten or lift it.
        uint64 current = _walletBars[policyId][wallet];
        if (until < current && !hasRole(AGENT_ROLE, msg.sender)) {
            revert BarWouldShorten(policyId, wallet, current, until);
        }
        _walletBars[policyId][wallet] = until;
        _records[policyId][wallet] |= WALLET_BARRED;
        emit WalletBarSet(policyId, wallet, until, reason);
    }

    // ─── registration internals ──────────────────────────────────────────────────────────────

    /// @dev A registration with a kycPolicy proof: the checks ({_admit}), the proof, then the
    /// binding and the event ({_record}).
    function _register(
        uint256 policyId,
        address wallet,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals // [nullifier, root, policyHash, context]
    ) private returns (uint64 until) {
        (uint256 record, uint256 admitted) = _admit(policyId, wallet, pubSignals, false);
        IKycProofVerifier verifier = uint8(admitted >> DEPTH_SHIFT) == 32 ? verifier32 : verifier20;
        if (!verifier.verifyProof(pA, pB, pC, pubSignals)) revert InvalidProof();
        return _record(policyId, wallet, pubSignals, record, admitted);
    }

    /// @dev The checks of a kycPolicy registration before its proof, in the order docs/contracts.md
    /// lists them: the policy and its kind, the bars, the policy hash, the root (and that a verifier
    /// of its tree depth is at hand: depth 32 only in a batch), the dates.
    function _admit(uint256 policyId, address wallet, uint256[4] calldata pubSignals, bool batch)
        private
        view
        returns (uint256 record, uint256 admitted)
    {
        Policy storage stored = _policies[policyId];
        PolicyConfig memory config = stored.config;
        if (!config.exists) revert PolicyNotFound(policyId);
        if (config.escrow) revert EscrowProofRequired(policyId);
        record = _records[policyId][wallet];
        InvestorEntry memory entry = _checkBars(policyId, wallet, record, pubSignals[0] & TAG_MASK);
        {
            uint256 expected = stored.policyHash;
            if (pubSignals[2] != expected) revert PolicyHashMismatch(expected, pubSignals[2]);
        }
        (uint64 issuerId, uint8 depth) = _findRoot(policyId, config.firstIssuer, pubSignals[1]);
        if (depth != 32 && (depth != 20 || batch || address(verifier20) == address(0))) {
            revert UnsupportedTreeDepth(depth);
        }
        admitted = uint256(_registrationEnd(pubSignals[3], config.ttl)) | (uint256(issuerId) << ISSUER_SHIFT)
            | (uint256(depth) << DEPTH_SHIFT) | (uint256(config.maxWalletsPerInvestor) << LIMIT_SHIFT)
            | (uint256(uint64(entry.wallets)) << WALLETS_SHIFT);
    }

    /// @dev After the proof: binds the wallet ({_bind}) and logs the registration; returns its end.
    function _record(uint256 policyId, address wallet, uint256[4] calldata pubSignals, uint256 record, uint256 admitted)
        private
        returns (uint64 until)
    {
        until = uint64(admitted);
        _bind(
            policyId,
            wallet,
            record,
            uint32(admitted >> LIMIT_SHIFT),
            pubSignals[0] & TAG_MASK,
            uint64(admitted >> WALLETS_SHIFT),
            until
        );
        emit WalletVerified(policyId, wallet, pubSignals[0], until, uint64(admitted >> ISSUER_SHIFT), pubSignals[1]);
    }

    /// @dev {_register} for a kycPolicyEscrow32 proof: the same steps on the same signals, which sit
    /// at other indices, with the escrow verifier; then the ciphertext is logged. Nothing about it
    /// is stored: the wallet's record is the same word as a plain registration's.
    function _registerEscrow(
        uint256 policyId,
        address wallet,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[6] calldata pubSignals // [nullifier, escrowX, escrowC, root, policyHash, context]
    ) private returns (uint64 until) {
        Policy storage stored = _policies[policyId];
        PolicyConfig memory config = stored.config;
        if (!config.exists) revert PolicyNotFound(policyId);
        if (!config.escrow) revert EscrowNotEnabled(policyId);
        uint256 record = _records[policyId][wallet];
        InvestorEntry memory entry = _checkBars(policyId, wallet, record, pubSignals[0] & TAG_MASK);
        {
            // Commits to the escrow key too: a proof that encrypted to another key fails here.
            uint256 expected = stored.policyHash;
            if (pubSignals[4] != expected) revert PolicyHashMismatch(expected, pubSignals[4]);
        }

        uint64 issuerId;
        {
            uint8 depth;
            (issuerId, depth) = _findRoot(policyId, config.firstIssuer, pubSignals[3]);
            // The escrow circuit is built for depth-32 trees only.
            if (depth != 32) revert UnsupportedTreeDepth(depth);
        }
        until = _registrationEnd(pubSignals[5], config.ttl);

        // The proof binds (escrowX, escrowC) to this nullifier, root and context: a ciphertext
        // copied from another registration makes it fail.
        if (!escrowVerifier32.verifyProof(pA, pB, pC, pubSignals)) revert InvalidProof();
        _bind(policyId, wallet, record, config.maxWalletsPerInvestor, pubSignals[0] & TAG_MASK, entry.wallets, until);
        emit WalletVerified(policyId, wallet, pubSignals[0], until, issuerId, pubSignals[3]);
        emit EscrowCiphertext(policyId, wallet, pubSignals[0], pubSignals[1], pubSignals[2]);
    }

    /// @dev Checks the dates packed in `context` — `today` is the block's UTC date or the day
    /// before, the `validUntil` day has not ended — and returns when the registration ends:
    /// `min(end of the validUntil day, now + ttl)`.
    function _registrationEnd(uint256 context, uint64 ttl) private view returns (uint64) {
        uint32 today = uint32(context >> 160);
        uint32 validUntil = uint32(context >> 192);
        uint32 blockDate = UtcDate.toDate(block.timestamp);
        if (today != blockDate && today != UtcDate.toDate(block.timestamp - UtcDate.SECONDS_PER_DAY)) {
            revert DateOutOfWindow(today, blockDate);
        }
        uint256 endOfValidity = UtcDate.toTimestamp(validUntil) + UtcDate.SECONDS_PER_DAY;
        if (endOfValidity <= block.timestamp) revert CredentialExpired(validUntil, blockDate);
        uint256 ttlEnd = block.timestamp + ttl;
        return uint64(endOfValidity < ttlEnd ? endOfValidity : ttlEnd);
    }

    /// @dev The wallet packed in `context`, if it signed an EIP-712 `Consent(policyId, nullifier,
    /// context, nonce, deadline)` over its current nonce (which this uses up) and `deadline` has not
    /// passed: its ECDSA signature, or else its ERC-1271 `isValidSignature` (contract wallets).
    function _consented(uint256 policyId, uint256 nullifier, uint256 context, uint256 deadline, bytes calldata signature)
        private
        returns (address wallet)
    {
        wallet = _walletOf(context);
        if (block.timestamp > deadline) revert ConsentExpired(deadline, block.timestamp);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(CONSENT_TYPEHASH, policyId, nullifier, context, _useNonce(wallet), deadline))
        );
        // An EOA's signature is recognised without reading the wallet's code (a cold account, 2,600
        // gas: SignatureChecker looks at the code first); anything else is asked of the wallet (ERC-1271).
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (
            (error != ECDSA.RecoverError.NoError || signer != wallet)
                && !SignatureChecker.isValidERC1271SignatureNowCalldata(wallet, digest, signature)
        ) revert InvalidConsentSignature(wallet);
    }

    /// @dev Refuses a barred wallet or investor; returns the investor's entry for {_bind}, so the
    /// bar and the wallet count cost one read together. The wallet's bar is read only if its record
    /// (which registration reads anyway) is flagged.
    function _checkBars(uint256 policyId, address wallet, uint256 record, uint256 investor)
        private
        view
        returns (InvestorEntry memory entry)
    {
        if (record & WALLET_BARRED != 0) {
            uint64 walletBar = _walletBars[policyId][wallet];
            if (walletBar > block.timestamp) revert WalletBarred(policyId, wallet, walletBar);
        }
        entry = _investors[policyId][investor];
        if (entry.barredUntil > block.timestamp) revert InvestorBarred(policyId, investor, entry.barredUntil);
    }

    /// @dev Finds an accepted issuer under which `root` is acceptable and returns it with its tree
    /// depth. Roots are per issuer and a proof does not name its issuer, so the policy's issuers are
    /// asked in order; the first (kept in the policy's config word) answers the common case with one
    /// registry call. Reverts naming the first accepted issuer that knows the root (0: none does).
    function _findRoot(uint256 policyId, uint64 firstIssuer, uint256 root)
        private
        view
        returns (uint64 issuerId, uint8 depth)
    {
        bool acceptable;
        IIssuerRegistry.RootState state;
        (depth, acceptable, state) = registry.rootStatus(firstIssuer, root);
        if (acceptable) return (firstIssuer, depth);

        uint64 knownBy = state == IIssuerRegistry.RootState.Unknown ? 0 : firstIssuer;
        IIssuerRegistry.RootState knownState = state;
        uint64[] storage issuers = _policies[policyId].acceptedIssuers;
        for (uint256 i = 1; i < issuers.length; i++) {
            issuerId = issuers[i];
            (depth, acceptable, state) = registry.rootStatus(issuerId, root);
            if (acceptable) return (issuerId, depth);
            if (knownBy == 0 && state != IIssuerRegistry.RootState.Unknown) {
                knownBy = issuerId;
                knownState = state;
            }
        }
        revert RootNotAcceptable(knownBy, root, knownState);
    }

    /// @dev Applies the nullifier↔wallet rules and writes the wallet's record (`record` is its
    /// current value). Writing it clears the bar flag: registration got here, so any bar has ended.
    function _bind(
        uint256 policyId,
        address wallet,
        uint256 record,
        uint32 limit,
        uint256 investor,
        uint192 wallets,
        uint64 until
    ) private {
        bool registered = record >> UNTIL_SHIFT != 0; // until > 0 for every registration, even expired
        if (registered && (record & TAG_MASK) != investor) {
            revert WalletBoundToOtherInvestor(wallet, record & TAG_MASK, investor);
        }
        if (!registered && limit != 0) {
            if (wallets >= limit) revert TooManyWallets(investor, uint32(wallets), limit);
            _investors[policyId][investor].wallets = wallets + 1;
        }
        // until < 2^40: it is at most the end of a YYYYMMDD day (year ≤ 9999).
        _records[policyId][wallet] = (uint256(until) << UNTIL_SHIFT) | investor;
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
        return (
            _records[policyId][a] >> UNTIL_SHIFT > block.timestamp, _records[policyId][b] >> UNTIL_SHIFT > block.timestamp
        );
    }

    /// @notice When `wallet`'s registration under `policyId` ends (0 if it has none).
    function verifiedUntil(uint256 policyId, address wallet) public view returns (uint64) {
        return uint64(_records[policyId][wallet] >> UNTIL_SHIFT);
    }

    /// @inheritdoc IComplianceGate
    function investorOf(uint256 policyId, address wallet) external view returns (uint256) {
        return _records[policyId][wallet] & TAG_MASK;
    }

    /// @notice How many wallets `investor` (a tag from {investorOf}, or a nullifier) has registered
    /// under `policyId`. Only counted while the policy has a wallet limit.
    function walletCount(uint256 policyId, uint256 investor) external view returns (uint256) {
        return _investors[policyId][investor & TAG_MASK].wallets;
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
        uint64[] storage issuers = _policies[policyId].acceptedIssuers;
        for (uint256 i = 0; i < issuers.length; i++) {
            if (issuers[i] == issuerId) return true;
        }
        return false;
    }

    /// @notice Until when `wallet` is barred from registering under `policyId` (barred while
    /// `block.timestamp <` it; 0 or a past time: not barred; `type(uint64).max`: until lifted).
    function walletBarredUntil(uint256 policyId, address wallet) external view returns (uint64) {
        return _walletBars[policyId][wallet];
    }

    /// @notice Until when investor `investor` (tag or nullifier) is barred under `policyId`, read
    /// as {walletBarredUntil}.
    function investorBarredUntil(uint256 policyId, uint256 investor) external view returns (uint64) {
        return _investors[policyId][investor & TAG_MASK].barredUntil;
    }

    /// @notice The EIP-712 domain separator consent signatures are made under.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }
}
