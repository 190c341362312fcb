import {
  IDENTITY_MESSAGE,
  ValidationError,
  checkPolicy,
  encodeAttributes,
  identityCommitment,
  identitySecretFromSignature,
  kycAttributesFromCredential,
  leafFromCredential,
  verifyKycCredential,
  type EncodedAttributes,
  type EncodedPolicy,
  type EscrowKey,
  type KycCredential,
  type PolicyFailure,
} from '@zkkyc/credentials';
import type { KycEscrowProof, KycEscrowProver, KycProof, KycProver } from '@zkkyc/prover';
import type { ComplianceGate } from '@zkkyc/contracts/typechain';
import type { MerkleProof } from '@zkkyc/tree';
import type { ContractTransactionResponse, Wallet, HDNodeWallet } from 'ethers';
import { submitRegistration, type RegistrationProof } from './gate-policy.js';
import { holderDidFromPrivateKey, signDidChallenge } from './holder-did.js';
import type { CredentialPath, IssuerClient, RequestedAttributes } from './issuer-client.js';

/** A credential as the holder keeps it: the signed VC, the salt that opens its leaf, and where to refresh it. */
export interface HeldCredential {
  id: string;
  vc: string;
  credential: KycCredential;
  attributes: EncodedAttributes;
  salt: bigint;
  leaf: bigint;
  leafIndex: number;
  issuerDid: string;
  treeId: string;
  /** Bearer token for this credential's routes at the issuer. */
  accessToken: string;
}

/** A policy as the gate stores it: the encoded rules and the scope proofs are bound to. */
export type GatePolicy = EncodedPolicy & { scope: bigint };

/**
 * The holder: one wallet key backs up the wallet address, the holder DID
 * (did:key of the same secp256k1 key) and the zk identity secret (derived from
 * the key's signature over a fixed message, so it is recoverable).
 */
export class Holder {
  private constructor(
    private readonly wallet: Wallet | HDNodeWallet,
    readonly did: string,
    readonly identitySecret: bigint,
  ) {}

  static async fromWallet(wallet: Wallet | HDNodeWallet): Promise<Holder> {
    const signature = await wallet.signMessage(IDENTITY_MESSAGE);
    return new Holder(wallet, holderDidFromPrivateKey(wallet.privateKey), identitySecretFromSignature(signature));
  }

  get address(): string {
    return this.wallet.address;
  }

  /** The holder's wallet, to sign transactions (registration, transfers). */
  get signer(): Wallet | HDNodeWallet {
    return this.wallet;
  }

  get identityCommitment(): bigint {
    return identityCommitment(this.identitySecret);
  }

  /**
   * Applies to an issuer: fetches a challenge, signs it with the DID key and
   * submits the requested attributes with the identity commitment.
   */
  async apply(issuer: IssuerClient, attributes: RequestedAttributes) {
    const { nonce } = await issuer.createChallenge(this.did);
    const signature = await signDidChallenge(this.wallet.privateKey, nonce);
    return issuer.apply({ did: this.did, challenge: nonce, signature, identityCommitment: this.identityCommitment.toString(), attributes });
  }

  /**
   * Collects an issued credential and checks it before keeping it: the VC's
   * signature (either format: VC 2.0 secured with VC-JOSE-COSE, checked with
   * jose, or the 1.1 VC-JWT, checked with did-jwt-vc), that it names this holder
   * and this identity, and that VC + salt rebuild the leaf the issuer put in its tree.
   */
  async receive(issuer: IssuerClient, credentialId: string, accessToken: string): Promise<HeldCredential> {
    const issued = await issuer.withAccessToken(accessToken).credential(credentialId);
    const verification = await verifyKycCredential(issued.vc, { issuerDid: issued.issuerDid });
    if (!verification.verified || !verification.credential) {
      throw new ValidationError('vc', 'signature', `the issued credential does not verify: ${verification.error}`);
    }
    const credential = verification.credential;
    if (credential.credentialSubject.id !== this.did) throw new ValidationError('vc.credentialSubject.id', 'holder', 'is not this holder');
    if (BigInt(credential.credentialSubject.identityCommitment) !== this.identityCommitment) {
      throw new ValidationError('vc.credentialSubject.identityCommitment', 'holder', 'is not this holder’s identity commitment');
    }
    const salt = BigInt(issued.salt);
    const leaf = leafFromCredential(credential, salt);
    if (leaf !== BigInt(issued.leaf)) throw new ValidationError('leaf', 'matches-vc', 'the issuer’s leaf does not match the VC and salt');
    return {
      id: issued.id,
      vc: issued.vc,
      credential,
      attributes: encodeAttributes(kycAttributesFromCredential(credential)),
      salt,
      leaf,
      leafIndex: issued.leafIndex,
      issuerDid: issued.issuerDid,
      treeId: issued.treeId,
      accessToken,
    };
  }

  /** Which rules of a policy a credential fails today, in plain words; empty when it meets them all. */
  check(held: HeldCredential, policy: EncodedPolicy, today: number, validUntil?: number): PolicyFailure[] {
    return checkPolicy(held.attributes, policy, today, validUntil).failures;
  }

  /** Fetches the credential's current Merkle path from the issuer. */
  async merklePath(issuer: IssuerClient, held: HeldCredential): Promise<MerkleProof> {
    return toMerkleProof(await issuer.withAccessToken(held.accessToken).credentialPath(held.id));
  }

  /**
   * Proves that `held` meets `policy` for `wallet` (this holder's own address by default).
   * `validUntil` defaults to the credential's expiry.
   */
  prove(
    prover: KycProver,
    held: HeldCredential,
    path: MerkleProof,
    policy: GatePolicy,
    options: { today: number; validUntil?: number; wallet?: string },
  ): Promise<KycProof> {
    return prover.prove({
      identitySecret: this.identitySecret,
      attributes: held.attributes,
      salt: held.salt,
      merkleProof: path,
      policy,
      wallet: options.wallet ?? this.address,
      today: options.today,
      validUntil: options.validUntil ?? held.attributes.expiryDate,
    });
  }

  /**
   * {@link prove} for a policy with an escrow key (`readGatePolicy` returns `escrowKey` for it): the
   * proof also carries `held`'s leaf index encrypted to that key, with fresh randomness. The prover
   * refuses a key outside Baby Jubjub's prime-order subgroup before proving.
   */
  proveEscrow(
    prover: KycEscrowProver,
    held: HeldCredential,
    path: MerkleProof,
    policy: EscrowGatePolicy,
    options: { today: number; validUntil?: number; wallet?: string },
  ): Promise<KycEscrowProof> {
    const { escrowKey, ...rules } = policy;
    return prover.prove({
      identitySecret: this.identitySecret,
      attributes: held.attributes,
      salt: held.salt,
      merkleProof: path,
      policy: rules,
      escrowKey,
      wallet: options.wallet ?? this.address,
      today: options.today,
      validUntil: options.validUntil ?? held.attributes.expiryDate,
    });
  }

  /**
   * Registers this holder's wallet under `policyId` with `proof` (from {@link prove} or
   * {@link proveEscrow}), sent by the wallet itself: `verify` for a kycPolicy proof, `verifyEscrow`
   * for an escrow proof (told apart by their public signals). The wallet must be connected to a
   * provider.
   */
  register(gate: ComplianceGate, policyId: bigint | number, proof: RegistrationProof): Promise<ContractTransactionResponse> {
    return submitRegistration(gate.connect(this.wallet), policyId, proof);
  }
}

/** A policy with an escrow key, as `readGatePolicy` returns it for such a policy. */
export type EscrowGatePolicy = GatePolicy & { escrowKey: EscrowKey };

/** Parses the issuer's JSON Merkle path (per level, the 3 sibling decimal strings → bigints). */
export function toMerkleProof(path: CredentialPath): MerkleProof {
  return {
    root: BigInt(path.root),
    leaf: BigInt(path.leaf),
    index: path.leafIndex,
    siblings: path.siblings.map((level) => level.map((s) => BigInt(s))),
  };
}
