// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IERC3643IdentityRegistry
/// @notice The identity-registry surface of ERC-3643 as a token and its agents' tooling see it,
/// written from the standard's function list. Identities, storage and the claim registries are
/// typed as plain addresses: the ABI is the same as the standard's contract-typed parameters.
///
/// An ERC-3643 token asks the registry `isVerified(receiver)` on every mint, transfer and forced
/// transfer; its wallet recovery calls `investorCountry`, `registerIdentity` and `deleteIdentity`.
/// Compliance modules read `identity` (to group an investor's wallets) and `investorCountry`.
interface IERC3643IdentityRegistry {
    /// @notice A wallet was added to the registry, linked to `identity`.
    event IdentityRegistered(address indexed investorAddress, address indexed identity);
    /// @notice A wallet was removed from the registry.
    event IdentityRemoved(address indexed investorAddress, address indexed identity);
    /// @notice The identity linked to a wallet changed.
    event IdentityUpdated(address indexed oldIdentity, address indexed newIdentity);
    /// @notice The country stored for a wallet changed.
    event CountryUpdated(address indexed investorAddress, uint16 indexed country);
    /// @notice The registry's identity storage changed.
    event IdentityStorageSet(address indexed identityStorage);
    /// @notice The registry's claim-topics registry changed.
    event ClaimTopicsRegistrySet(address indexed claimTopicsRegistry);
    /// @notice The registry's trusted-issuers registry changed.
    event TrustedIssuersRegistrySet(address indexed trustedIssuersRegistry);

    /// @notice Adds `userAddress`, linked to `identity` in `country`.
    function registerIdentity(address userAddress, address identity, uint16 country) external;

    /// @notice Removes `userAddress`.
    function deleteIdentity(address userAddress) external;

    /// @notice {registerIdentity} for several wallets.
    function batchRegisterIdentity(address[] calldata userAddresses, address[] calldata identities, uint16[] calldata countries)
        external;

    /// @notice Links `userAddress` to another identity.
    function updateIdentity(address userAddress, address identity) external;

    /// @notice Changes the country stored for `userAddress`.
    function updateCountry(address userAddress, uint16 country) external;

    /// @notice Replaces the storage the registry keeps its wallets in.
    function setIdentityRegistryStorage(address identityRegistryStorage) external;

    /// @notice Replaces the registry of claim topics a verified wallet needs.
    function setClaimTopicsRegistry(address claimTopicsRegistry) external;

    /// @notice Replaces the registry of trusted claim issuers.
    function setTrustedIssuersRegistry(address trustedIssuersRegistry) external;

    /// @notice Whether `userAddress` is in the registry.
    function contains(address userAddress) external view returns (bool);

    /// @notice Whether `userAddress` may hold the token now: the check a token makes on every receiver.
    function isVerified(address userAddress) external view returns (bool);

    /// @notice The identity `userAddress` is linked to (zero if none).
    function identity(address userAddress) external view returns (address);

    /// @notice The country code stored for `userAddress`.
    function investorCountry(address userAddress) external view returns (uint16);

    /// @notice The registry's identity storage.
    function identityStorage() external view returns (address);

    /// @notice The registry's trusted-issuers registry.
    function issuersRegistry() external view returns (address);

    /// @notice The registry's claim-topics registry.
    function topicsRegistry() external view returns (address);
}

/// @title IIdentityKeyCheck
/// @notice The one question an ERC-3643 token's wallet recovery asks of the identity contract the
/// agent names: whether a key (`keccak256(abi.encode(wallet))`) holds a purpose (1 = management).
interface IIdentityKeyCheck {
    /// @notice Whether `key` holds `purpose` on this identity.
    function keyHasPurpose(bytes32 key, uint256 purpose) external view returns (bool);
}
