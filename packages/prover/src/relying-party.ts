/**
 * Presenting a credential to a relying party that is not a contract — a broker's web back end — with
 * the unchanged kycPolicy circuit (docs/offchain-verifier.md).
 *
 * The relying party (RP) sends a challenge: its `audience` (its origin), a random `nonce`, the policy
 * it wants met, and the chain and IssuerRegistry whose roots it trusts. The holder proves the policy
 * with two of the circuit's inputs put to other uses than a gate registration:
 *
 * - the `wallet` slot of `context` carries a 160-bit *binding* of the challenge,
 *   `uint160(keccak256(abi.encode("zkkyc/presentation-binding/v1", audience, nonce, chainId, registry)))`,
 *   so the proof answers this challenge only: another nonce or another audience gives another
 *   binding, and the proof no longer verifies for it;
 * - the policy's `scope` (a private input, committed through the public `policyHash`) is the RP's own,
 *   `uint256(keccak256(abi.encode("zkkyc/relying-party-scope/v1", audience))) >> 8`, so the proof's
 *   `nullifier = Poseidon2(s, scope)` is a pseudonym of the person at this RP only: the same at every
 *   presentation to this audience, unrelated to the one at another RP or to the nullifiers gates
 *   publish on chain. The holder derives both values from the audience itself, never from numbers
 *   the RP sends, so an RP cannot ask for another RP's or a gate's pseudonym.
 *
 * `context`'s dates are the holder's UTC `today` and `validUntil` (by default tomorrow, or the expiry
 * if sooner: the proof then says little more than "the credential is valid today").
 */
import { AbiCoder, getAddress, isAddress, keccak256 } from 'ethers';
import * as snarkjs from 'snarkjs';
import { ValidationError, assertEncodedPolicy, computePolicyHash, isValidDateInt, todayInt, type EncodedAttributes, type EncodedPolicy } from '@zkkyc/credentials';
import type { MerkleProof } from '@zkkyc/tree';
import type { Groth16Proof } from './calldata.js';
import type { KycProver } from './kyc-prover.js';

export const PRESENTATION_CHALLENGE_VERSION = 'zkkyc/presentation-challenge/v1';
export const PRESENTATION_VERSION = 'zkkyc/presentation/v1';
/** Domain tag of the challenge binding carried in `context`'s wallet slot. */
export const PRESENTATION_BINDING_TAG = 'zkkyc/presentation-binding/v1';
/** Domain tag of a relying party's nullifier scope. */
export const RELYING_PARTY_SCOPE_TAG = 'zkkyc/relying-party-scope/v1';

/** The policy a relying party asks for, JSON-safe: the encoded rules and the issuers it accepts. */
export interface PresentationPolicy {
  /** A name for display and logs (e.g. `gate 0x…/policy 1`); not part of any hash. */
  label?: string;
  /** Decimal string of the 249-bit jurisdiction mask. */
  jurisdictionMask: string;
  minAge: number;
  investorClassMask: number;
  minKycLevel: number;
  /** IssuerRegistry ids (decimal strings) whose roots the RP accepts, in the order it asks the registry. */
  acceptedIssuers: string[];
}

/** What a relying party sends the holder before a presentation. JSON-safe. */
export interface PresentationChallenge {
  version: typeof PRESENTATION_CHALLENGE_VERSION;
  /** Who asks, as the holder can check it: the RP's origin, e.g. `https://broker.example`. */
  audience: string;
  /** 32 random bytes, lower-case hex with 0x: single use. */
  nonce: string;
  policy: PresentationPolicy;
  /** The chain whose IssuerRegistry roots the RP checks against. */
  chainId: number;
  /** The IssuerRegistry address (checksummed). */
  registry: string;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds; the RP refuses a presentation after it. */
  expiresAt: number;
}

/** The holder's answer: a kycPolicy proof bound to the challenge with `nonce`. JSON-safe. */
export interface Presentation {
  version: typeof PRESENTATION_VERSION;
  nonce: string;
  proof: Groth16Proof;
  /** [nullifier, root, policyHash, context], decimal strings, as snarkjs orders them. */
  publicSignals: string[];
}

const NONCE = /^0x[0-9a-f]{64}$/;
const AUDIENCE = /^[\x21-\x7e]{1,256}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAX_UINT64 = 2n ** 64n - 1n;

function fail(field: string, rule: string, detail: string): never {
  throw new ValidationError(field, rule, detail);
}

/** Throws unless `audience` is 1..256 printable ASCII characters without spaces (an origin or URI). */
export function assertAudience(audience: unknown, field = 'audience'): asserts audience is string {
  if (typeof audience !== 'string' || !AUDIENCE.test(audience)) {
    fail(field, 'audience', 'must be 1..256 printable ASCII characters without spaces, e.g. https://broker.example');
  }
}

/**
 * Checks a challenge as received (parsed JSON) field by field and returns it typed. Refuses, naming
 * the field, a wrong version, an audience that is not printable ASCII, a nonce that is not 32 bytes of
 * lower-case hex, a policy outside the circuit's ranges or without issuers, a bad chain id or registry
 * address, and times that are not ordered unix seconds.
 */
export function parsePresentationChallenge(value: unknown): PresentationChallenge {
  if (value === null || typeof value !== 'object') fail('challenge', 'object', 'must be an object');
  const c = value as Record<string, unknown>;
  if (c.version !== PRESENTATION_CHALLENGE_VERSION) fail('challenge.version', 'version', `must be ${PRESENTATION_CHALLENGE_VERSION}`);
  assertAudience(c.audience, 'challenge.audience');
  if (typeof c.nonce !== 'string' || !NONCE.test(c.nonce)) fail('challenge.nonce', 'bytes32', 'must be 32 bytes of lower-case hex with 0x');
  const policy = parsePresentationPolicy(c.policy, 'challenge.policy');
  if (!Number.isSafeInteger(c.chainId) || (c.chainId as number) <= 0) fail('challenge.chainId', 'chain-id', 'must be a positive integer');
  if (typeof c.registry !== 'string' || !isAddress(c.registry)) fail('challenge.registry', 'address', 'must be a 20-byte hex address');
  for (const field of ['issuedAt', 'expiresAt'] as const) {
    if (!Number.isSafeInteger(c[field]) || (c[field] as number) <= 0) fail(`challenge.${field}`, 'unix-seconds', 'must be a positive integer of unix seconds');
  }
  if ((c.expiresAt as number) <= (c.issuedAt as number)) fail('challenge.expiresAt', 'after-issuedAt', 'must be later than issuedAt');
  return {
    version: PRESENTATION_CHALLENGE_VERSION,
    audience: c.audience as string,
    nonce: c.nonce as string,
    policy,
    chainId: c.chainId as number,
    registry: getAddress(c.registry as string),
    issuedAt: c.issuedAt as number,
    expiresAt: c.expiresAt as number,
  };
}

/** Checks a JSON policy (decimal-string mask and issuer ids) and returns it typed. */
export function parsePresentationPolicy(value: unknown, field = 'policy'): PresentationPolicy {
  if (value === null || typeof value !== 'object') fail(field, 'object', 'must be an object');
  const p = value as Record<string, unknown>;
  if (p.label !== undefined && (typeof p.label !== 'string' || p.label.length > 200)) fail(`${field}.label`, 'string', 'must be a string of at most 200 characters');
  if (typeof p.jurisdictionMask !== 'string' || !DECIMAL.test(p.jurisdictionMask)) {
    fail(`${field}.jurisdictionMask`, 'decimal', 'must be a decimal string');
  }
  try {
    assertEncodedPolicy(encodedRules(p as unknown as PresentationPolicy));
  } catch (error) {
    // Re-thrown under the challenge's field name, with the rule's own words.
    if (error instanceof ValidationError) fail(`${field}.${error.field}`, error.rule, error.message.replace(/^[^:]*: /, '').replace(/ \(rule: [^)]*\)$/, ''));
    throw error;
  }
  const issuers = p.acceptedIssuers;
  if (!Array.isArray(issuers) || issuers.length === 0 || issuers.length > 32) {
    fail(`${field}.acceptedIssuers`, 'non-empty', 'must list 1..32 issuer ids');
  }
  issuers.forEach((id, i) => {
    if (typeof id !== 'string' || !DECIMAL.test(id) || BigInt(id) === 0n || BigInt(id) > MAX_UINT64) {
      fail(`${field}.acceptedIssuers[${i}]`, 'uint64', 'must be a decimal issuer id in [1, 2^64)');
    }
  });
  return {
    ...(p.label === undefined ? {} : { label: p.label as string }),
    jurisdictionMask: p.jurisdictionMask,
    minAge: p.minAge as number,
    investorClassMask: p.investorClassMask as number,
    minKycLevel: p.minKycLevel as number,
    acceptedIssuers: [...(issuers as string[])],
  };
}

/** The policy's rules as the circuit takes them (without scope). */
export function encodedRules(policy: PresentationPolicy): EncodedPolicy {
  return {
    jurisdictionMask: BigInt(policy.jurisdictionMask),
    minAge: policy.minAge,
    investorClassMask: policy.investorClassMask,
    minKycLevel: policy.minKycLevel,
  };
}

/**
 * The nullifier scope of a relying party: `uint256(keccak256(abi.encode(RELYING_PARTY_SCOPE_TAG,
 * audience))) >> 8`. One per audience, whatever the policy, chain or registry: the RP sees one
 * pseudonym per person.
 */
export function relyingPartyScope(audience: string): bigint {
  assertAudience(audience);
  return BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(['string', 'string'], [RELYING_PARTY_SCOPE_TAG, audience]))) >> 8n;
}

/**
 * The 160-bit value the proof carries in `context`'s wallet slot, as a lower-case 20-byte hex string:
 * the low 160 bits of `keccak256(abi.encode(PRESENTATION_BINDING_TAG, audience, nonce, chainId, registry))`.
 */
export function presentationBinding(challenge: Pick<PresentationChallenge, 'audience' | 'nonce' | 'chainId' | 'registry'>): string {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ['string', 'string', 'bytes32', 'uint256', 'address'],
    [PRESENTATION_BINDING_TAG, challenge.audience, challenge.nonce, challenge.chainId, challenge.registry],
  );
  return '0x' + keccak256(encoded).slice(-40);
}

/** The `policyHash` a presentation to `audience` for `policy` must carry: Poseidon5 over the RP's scope and the rules. */
export function presentationPolicyHash(audience: string, policy: PresentationPolicy): bigint {
  return computePolicyHash(relyingPartyScope(audience), encodedRules(policy));
}

/** The holder's part of a presentation: the credential and its path in the issuer's tree (no call to the issuer). */
export interface PresentedCredential {
  identitySecret: bigint;
  attributes: EncodedAttributes;
  salt: bigint;
  /** The leaf's path under a root the issuer published in the challenge's registry. */
  merkleProof: MerkleProof;
}

export interface RelyingPartyProofOptions {
  /**
   * The origin the holder is actually talking to (the page's or the request's origin, as the
   * wallet saw it) — never taken from the challenge. A challenge for another audience is refused:
   * an RP relaying another RP's challenge must not get a presentation that is valid there.
   */
  audience: string;
  /** The holder's clock (default: now); `today` is its UTC date. */
  now?: Date;
  /**
   * YYYYMMDD the proof should hold until; default tomorrow or the credential's expiry if sooner
   * (reveals almost nothing about the expiry, and survives the RP's clock passing midnight).
   */
  validUntil?: number;
}

/**
 * Proves that `credential` meets a relying party's policy, for that RP's challenge only.
 *
 * The proof is a kycPolicy proof whose `context` carries {@link presentationBinding} of the challenge
 * in place of a wallet, and whose policy scope is {@link relyingPartyScope} of the audience the
 * holder is talking to. The RP learns: that some credential under an accepted issuer's root meets
 * the policy today, which root, and the holder's pseudonym at this RP (the nullifier). It does not
 * learn the attributes, the leaf, the expiry (beyond `validUntil`) or any wallet address.
 *
 * Refuses, naming the field, a malformed challenge, one for another audience than `options.audience`,
 * one already expired by the holder's clock, and (through the prover) a credential that does not
 * meet the policy or a path that is not the credential's.
 */
export async function proveForRelyingParty(prover: KycProver, challengeInput: unknown, credential: PresentedCredential, options: RelyingPartyProofOptions): Promise<Presentation> {
  const challenge = parsePresentationChallenge(challengeInput);
  assertAudience(options?.audience, 'options.audience');
  if (challenge.audience !== options.audience) {
    fail('challenge.audience', 'matches-origin', `is ${challenge.audience}, but this presentation is for ${options.audience}`);
  }
  const now = options.now ?? new Date();
  if (challenge.expiresAt * 1000 <= now.getTime()) fail('challenge.expiresAt', 'unexpired', 'the challenge has expired: ask the relying party for a new one');
  const today = todayInt(now);
  // Tomorrow, or the expiry if sooner: a presentation made just before midnight still holds on the
  // RP's next day, and the proof reveals at most one day more of the expiry than "valid today".
  const validUntil = options.validUntil ?? Math.min(todayInt(new Date(now.getTime() + 86_400_000)), credential.attributes.expiryDate);
  if (!isValidDateInt(validUntil) || validUntil < today) fail('options.validUntil', 'date', 'must be a YYYYMMDD date not before today');

  const proof = await prover.prove({
    identitySecret: credential.identitySecret,
    attributes: credential.attributes,
    salt: credential.salt,
    merkleProof: credential.merkleProof,
    policy: { ...encodedRules(challenge.policy), scope: relyingPartyScope(challenge.audience) },
    wallet: presentationBinding(challenge),
    today,
    validUntil,
  });
  return { version: PRESENTATION_VERSION, nonce: challenge.nonce, proof: proof.proof, publicSignals: proof.publicSignals };
}

/**
 * Checks a Groth16 proof against a verification key with snarkjs (off chain). False, never a throw,
 * for a proof whose points are malformed. Uses snarkjs's curve threads: call `releaseProverThreads`
 * when the process is done.
 */
export async function verifyGroth16(verificationKey: object, publicSignals: string[], proof: Groth16Proof): Promise<boolean> {
  try {
    return await snarkjs.groth16.verify(verificationKey, publicSignals, proof);
  } catch {
    return false;
  }
}
