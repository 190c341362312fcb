/**
 * Deploys real T-REX v4 tokens from the npm package's artifacts (see trex-artifacts.ts), in the
 * two set-ups the adapter is compared in:
 * - `deployTrexToken` — an unmodified T-REX Token and its ModularCompliance, with any ERC-3643
 *   identity registry (ours, ZkKycIdentityRegistry, in the tests);
 * - `deployOnchainIdRegistry` / `onboardOnchainIdInvestor` — T-REX's own identity stack:
 *   IdentityRegistry over IdentityRegistryStorage, TrustedIssuersRegistry and ClaimTopicsRegistry,
 *   an ONCHAINID ClaimIssuer, and per investor an ONCHAINID Identity holding a KYC claim the issuer
 *   signed.
 * Contracts are deployed directly and initialised with their `init` (T-REX's factory puts each
 * behind a proxy: a delegatecall more per hop, so these figures are the stack's lower bound).
 */
import { AbiCoder, getBytes, keccak256, toUtf8Bytes, type Signer } from 'ethers';
import { deployTrex, mined, type TrexContract } from './trex-artifacts.js';

/** The claim topic T-REX's registry requires in these set-ups (any number works; one topic). */
export const KYC_CLAIM_TOPIC = BigInt(keccak256(toUtf8Bytes('zkkyc-bench:KYC')));
/** ONCHAINID claim scheme 1: an ECDSA signature. */
const ECDSA_SCHEME = 1n;
/** ERC-734 key purposes and key type. */
const CLAIM_PURPOSE = 3n;
const ECDSA_KEY_TYPE = 1n;

export interface TrexToken {
  token: TrexContract;
  compliance: TrexContract;
}

/**
 * Deploys an unmodified T-REX Token with `identityRegistry` as its registry and a fresh
 * ModularCompliance without modules; `owner` owns both, `agent` becomes the token's agent, and the
 * token is unpaused (T-REX tokens start paused).
 */
export async function deployTrexToken(owner: Signer, agent: Signer, identityRegistry: string, meta: { name: string; symbol: string; decimals: number }): Promise<TrexToken> {
  const compliance = await deployTrex('ModularCompliance', owner);
  await mined(compliance.init());
  const token = await deployTrex('Token', owner);
  // init binds the compliance to the token (ModularCompliance.bindToken from the token itself).
  await mined(token.init(identityRegistry, await compliance.getAddress(), meta.name, meta.symbol, meta.decimals, '0x0000000000000000000000000000000000000000'));
  await mined(token.addAgent(await agent.getAddress()));
  await mined(token.connect(agent).unpause());
  return { token, compliance };
}

export interface OnchainIdRegistry {
  identityRegistry: TrexContract;
  identityRegistryStorage: TrexContract;
  trustedIssuersRegistry: TrexContract;
  claimTopicsRegistry: TrexContract;
  claimIssuer: TrexContract;
  /** The key that signs KYC claims for the claim issuer. */
  claimSigner: Signer;
}

/**
 * T-REX's identity stack with one trusted ONCHAINID ClaimIssuer for {KYC_CLAIM_TOPIC}. `owner`
 * owns the registries and the claim issuer and is the registry's agent; `claimSigner` signs claims.
 */
export async function deployOnchainIdRegistry(owner: Signer, claimSigner: Signer): Promise<OnchainIdRegistry> {
  const ownerAddress = await owner.getAddress();
  const claimTopicsRegistry = await deployTrex('ClaimTopicsRegistry', owner);
  await mined(claimTopicsRegistry.init());
  await mined(claimTopicsRegistry.addClaimTopic(KYC_CLAIM_TOPIC));

  const claimIssuer = await deployTrex('ClaimIssuer', owner, ownerAddress);
  await mined(claimIssuer.addKey(keccak256(AbiCoder.defaultAbiCoder().encode(['address'], [await claimSigner.getAddress()])), CLAIM_PURPOSE, ECDSA_KEY_TYPE));

  const trustedIssuersRegistry = await deployTrex('TrustedIssuersRegistry', owner);
  await mined(trustedIssuersRegistry.init());
  await mined(trustedIssuersRegistry.addTrustedIssuer(await claimIssuer.getAddress(), [KYC_CLAIM_TOPIC]));

  const identityRegistryStorage = await deployTrex('IdentityRegistryStorage', owner);
  await mined(identityRegistryStorage.init());

  const identityRegistry = await deployTrex('IdentityRegistry', owner);
  await mined(identityRegistry.init(await trustedIssuersRegistry.getAddress(), await claimTopicsRegistry.getAddress(), await identityRegistryStorage.getAddress()));
  await mined(identityRegistryStorage.bindIdentityRegistry(await identityRegistry.getAddress()));
  await mined(identityRegistry.addAgent(ownerAddress));
  return { identityRegistry, identityRegistryStorage, trustedIssuersRegistry, claimTopicsRegistry, claimIssuer, claimSigner };
}

/** What onboarding one investor cost, transaction by transaction (gas used). */
export interface OnboardingGas {
  deployIdentity: number;
  addClaim: number;
  registerIdentity: number;
}

/**
 * Onboards `wallet` the ONCHAINID way: deploys an Identity with the wallet as management key, adds
 * a KYC claim the claim issuer's signer signed over (identity, topic, data), and has the registry's
 * agent (`agent`) register the wallet with that identity and `country` (ISO 3166-1 numeric).
 */
export async function onboardOnchainIdInvestor(registry: OnchainIdRegistry, agent: Signer, wallet: Signer, country: number): Promise<{ identity: TrexContract; gas: OnboardingGas }> {
  const identity = await deployTrex('Identity', wallet, await wallet.getAddress(), false);
  const deployReceipt = await identity.deploymentTransaction()!.wait();
  const identityAddress = await identity.getAddress();
  const data = AbiCoder.defaultAbiCoder().encode(['string'], ['KYC level 3, checked']);
  const digest = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256', 'bytes'], [identityAddress, KYC_CLAIM_TOPIC, data]));
  const signature = await registry.claimSigner.signMessage(getBytes(digest));
  const addClaim = await (await identity.connect(wallet).addClaim(KYC_CLAIM_TOPIC, ECDSA_SCHEME, await registry.claimIssuer.getAddress(), signature, data, '')).wait();
  const register = await (await registry.identityRegistry.connect(agent).registerIdentity(await wallet.getAddress(), identityAddress, country)).wait();
  return {
    identity,
    gas: { deployIdentity: Number(deployReceipt!.gasUsed), addClaim: Number(addClaim.gasUsed), registerIdentity: Number(register.gasUsed) },
  };
}
