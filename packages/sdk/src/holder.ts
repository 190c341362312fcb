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
import { Wallet, type ContractTransactionResponse, type HDNodeWallet, type Provider } from 'ethers';
import { submitRegistration, type RegistrationProof } from './gate-policy.js';
import { holderDidFromPrivateKey, signDidChallenge } from './holder-did.js';
import { checkIssuerDid, deriveHolderDidKey, deriveWalletKey, parseRootKey } from './holder-keys.js';
import { readTreeLeaf, type CredentialPath, type IssuerClient, type RequestedAttributes } from './issuer-client.js';

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
 * The holder: one backed-up root secret gives the zk identity secret (from the root key's signature
 * over a fixed message, so it is recoverable), a DID key per issuer and any number of wallets, each
 * derived apart (holder-keys.ts), so nothing an issuer holds names a wallet ({@link fromRootKey}).
 * Holders from before that scheme used one wallet key for all three ({@link fromWallet}).
 */
export class Holder {
  private constructor(
    private readonly wallet: Wallet | HDNodeWallet,
    /** The private key of this holder's DID for an issuer. */
    private readonly didKeyFor: (issuerDid: string) => Promise<string>,
    readonly identitySecret: bigint,
    /** The root secret, for a holder whose wallets are derived; undefined for a one-key holder. */
    private readonly rootKey?: string,
    /** Which derived wallet this is (0 for a one-key holder's own wallet). */
    readonly walletIndex = 0,
  ) {}

  /**
   * A holder from before derived keys: its wallet key is also its DID key (for every issuer) and
   * the root of its zk identity. Kept so that credentials issued to such a DID keep working; its
   * issuer can compute this wallet's address from the DID. New holders use {@link fromRootKey}.
   */
  static async fromWallet(wallet: Wallet | HDNodeWallet): Promise<Holder> {
    const signature = await wallet.signMessage(IDENTITY_MESSAGE);
    return new Holder(wallet, async () => wallet.privateKey, identitySecretFromSignature(signature));
  }

  /**
   * A holder from its root secret: the zk identity from the root key's signature (as
   * {@link fromWallet} would give for the same key), the DID for each issuer derived pairwise, and
   * wallet number `walletIndex` (default 0) derived apart, connected to `provider` if given.
   */
  static async fromRootKey(rootKey: string, options: { walletIndex?: number; provider?: Provider | null } = {}): Promise<Holder> {
    parseRootKey(rootKey);
    const root = new Wallet(rootKey.trim());
    const identitySecret = identitySecretFromSignature(await root.signMessage(IDENTITY_MESSAGE));
    const index = options.walletIndex ?? 0;
    const wallet = new Wallet(await deriveWalletKey(root.privateKey, index), options.provider ?? null);
    return new Holder(wallet, (issuerDid) => deriveHolderDidKey(root.privateKey, issuerDid), identitySecret, root.privateKey, index);
  }

  /**
   * The same identity (same zk identity secret, same DIDs, same credentials) with its derived
   * wallet number `index`, connected to the same provider: what registers a second wallet under the
   * same investor at the gate without asking the issuer for anything. Only for holders from
   * {@link fromRootKey}.
   */
  async withWallet(index: number): Promise<Holder> {
    if (this.rootKey === undefined) {
      throw new ValidationError('walletIndex', 'derived-keys', 'a one-key holder (Holder.fromWallet) has no derived wallets; use Holder.fromRootKey');
    }
    const wallet = new Wallet(await deriveWalletKey(this.rootKey, index), this.wallet.provider);
    return new Holder(wallet, this.didKeyFor, this.identitySecret, this.rootKey, index);
  }

  /** This holder's DID for the issuer `issuerDid` (pairwise for a derived holder; the wallet's did:key for a one-key holder). */
  async didFor(issuerDid: string): Promise<string> {
    return holderDidFromPrivateKey(await this.didKeyFor(checkIssuerDid(issuerDid)));
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
    // The DID depends on the issuer (pairwise), so learn which issuer this is first.
    const { issuerDid } = await issuer.health();
    if (!issuerDid) throw new ValidationError('issuer', 'issuer-did', 'the issuer’s /health does not name its DID, which the holder DID is derived for');
    const didKey = await this.didKeyFor(checkIssuerDid(issuerDid, 'issuer.issuerDid'));
    const did = holderDidFromPrivateKey(didKey);
    const { nonce } = await issuer.createChallenge(did);
    const signature = await signDidChallenge(didKey, nonce, issuerDid);
    return issuer.apply({ did, challenge: nonce, signature, identityCommitment: this.identityCommitment.toString(), attributes });
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
    if (credential.credentialSubject.id !== (await this.didFor(issued.issuerDid))) throw new ValidationError('vc.credentialSubject.id', 'holder', 'is not this holder’s DID for this issuer');
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

  /**
   * The credential's Merkle path at a published root, read from the issuer's tree files (a top and
   * the chunk of 4^chunkLevels leaves holding the leaf; `readTreeLeaf`) so that the issuer learns
   * neither which credential proves nor when. `root` is the root to prove against — pass the one
   * read on chain (`IssuerRegistry.issuer(treeId).currentRoot`); without it, the issuer's newest
   * published root. `files`: a mirror serving the same files. Refuses (ValidationError
   * `credential` / `not-revoked`) a credential whose leaf is 0 at that root.
   *
   * Falls back to asking the issuer for this credential's path (`GET /credentials/:id/proof`,
   * which names the credential) only when the issuer says it serves no tree files at all, or when
   * `via: 'issuer'`; a missing file is an error. `chunkLevels`: the pinned chunk size (default 8).
   */
  async merklePath(issuer: IssuerClient, held: HeldCredential, options: { root?: bigint; files?: IssuerClient; via?: 'chunks' | 'issuer'; chunkLevels?: number } = {}): Promise<MerkleProof> {
    const read = options.via === 'issuer' ? null : await readTreeLeaf(issuer, { leafIndex: held.leafIndex, root: options.root, files: options.files, chunkLevels: options.chunkLevels });
    if (read === null) return toMerkleProof(await issuer.withAccessToken(held.accessToken).credentialPath(held.id));
    if (read.revoked) throw new ValidationError('credential', 'not-revoked', `the issuer revoked this credential: its leaf is 0 at root ${read.proof.root}`);
    if (read.proof.leaf !== held.leaf) throw new ValidationError('leafIndex', 'holds-leaf', `the issuer's tree holds another leaf at index ${held.leafIndex}`);
    return read.proof;
  }

  /**
   * Proves that `held` meets `policy` for `wallet` (this holder's own address by default).
   * `validUntil` defaults to the credential's expiry.
   */
  prove(prover: KycProver, held: HeldCredential, path: MerkleProof, policy: GatePolicy, options: { today: number; validUntil?: number; wallet?: string }): Promise<KycProof> {
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
  proveEscrow(prover: KycEscrowProver, held: HeldCredential, path: MerkleProof, policy: EscrowGatePolicy, options: { today: number; validUntil?: number; wallet?: string }): Promise<KycEscrowProof> {
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
