/**
 * An off-chain relying party — a broker's web back end, not a contract — asking a holder to prove a
 * policy and checking the answer itself: against the issuers' roots in IssuerRegistry (read over
 * JSON-RPC), the circuit's verification key and its own single-use challenges. No call to the
 * issuer. The holder's side is `proveForRelyingParty` in @zkkyc/prover; the protocol, what the RP
 * learns and what it trusts are in docs/offchain-verifier.md.
 */
import { getAddress, isAddress, type Provider } from 'ethers';
import { IssuerRegistry__factory, type ComplianceGate, type IssuerRegistry } from '@zkkyc/contracts/typechain';
import { SNARK_FIELD, ValidationError, isValidDateInt, todayInt } from '@zkkyc/credentials';
import {
  PRESENTATION_CHALLENGE_VERSION,
  PRESENTATION_VERSION,
  assertAudience,
  parsePresentationPolicy,
  presentationBinding,
  presentationPolicyHash,
  unpackContext,
  verifyGroth16,
  type Groth16Proof,
  type PresentationChallenge,
  type PresentationPolicy,
} from '@zkkyc/prover';
import { rootStateName } from './contracts.js';
import { MemoryChallengeStore, type ChallengeStore } from './offchain-challenge-store.js';

/** One reason a presentation was refused: the field at fault, the rule it broke, in words. */
export interface PresentationRefusal {
  /** e.g. `nonce`, `challenge.expiresAt`, `publicSignals.context.binding`, `publicSignals.root`, `proof`. */
  field: string;
  /** e.g. `single-use`, `unexpired`, `challenge-binding`, `accepted-root`, `groth16`. */
  rule: string;
  message: string;
}

/** An accepted presentation: who (as a pseudonym) proved what, against which root. */
export interface AcceptedPresentation {
  ok: true;
  /**
   * The holder's pseudonym at this relying party (`Poseidon2(s, scope of the audience)`): the same
   * for every presentation the same person makes to this audience, whatever the policy or the
   * credential; unrelated to its pseudonym at any other audience and to the nullifiers gates publish.
   */
  nullifier: bigint;
  /** The accepted issuer under which the root was acceptable (the first in the policy's order). */
  issuerId: bigint;
  root: bigint;
  /** `CURRENT`, or `SUPERSEDED` within the registry's maxRootAge (as the gate accepts). */
  rootState: string;
  /** The dates the proof was made for (YYYYMMDD). */
  today: number;
  validUntil: number;
  challenge: PresentationChallenge;
}

export interface RefusedPresentation {
  ok: false;
  refusals: PresentationRefusal[];
}

export type PresentationResult = AcceptedPresentation | RefusedPresentation;

export interface OffchainVerifierOptions {
  /** This RP's origin as holders see it, e.g. `https://broker.example`. */
  audience: string;
  /** A JSON-RPC provider on the chain whose IssuerRegistry the RP trusts. */
  provider: Provider;
  /** The chain id the provider must report. */
  chainId: number;
  /** IssuerRegistry address. */
  registry: string;
  /** The policy every presentation must meet ({@link presentationPolicyFromGate} reads a gate's). */
  policy: PresentationPolicy;
  /**
   * kycPolicy verification keys by issuer-tree depth (`32` for kycPolicy32, `20` for kycPolicy20:
   * `loadDevVerificationKey` of @zkkyc/artifacts, or a ceremony's key). The registry's depth for the root picks the key,
   * as the gate picks its verifier. Loaded once, held in memory.
   */
  verificationKeys: Partial<Record<20 | 32, object>>;
  /** Default: a {@link MemoryChallengeStore}. */
  store?: ChallengeStore;
  /** How long a challenge can be answered, seconds (default 300, 10..86400). */
  challengeTtlSeconds?: number;
  /** The RP's clock (default: the system's). */
  clock?: () => Date;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const NONCE = /^0x[0-9a-f]{64}$/;
const DAY_MS = 86_400_000;

function refusal(field: string, rule: string, message: string): PresentationRefusal {
  return { field, rule, message };
}

/**
 * Issues challenges and verifies presentations for one audience and one policy.
 *
 * `verify` accepts a presentation only if every check holds (each failure is reported, field named):
 * 1. the nonce names a challenge this verifier issued (`nonce`/`issued-here`), for its own audience,
 *    not expired by its clock (`challenge.expiresAt`/`unexpired`) and not yet used (`nonce`/`single-use`);
 * 2. the public signals are four canonical field elements; `context` unpacks (< 2^224), its wallet
 *    slot equals the challenge's binding (`publicSignals.context.binding`/`challenge-binding`: another
 *    nonce or audience), `today` is a real date within one day of the RP's UTC date either way
 *    (`publicSignals.context.today`/`date-window`), `validUntil` a real date not before the RP's today
 *    (`publicSignals.context.validUntil`/`unexpired`);
 * 3. `policyHash` equals Poseidon5 of the RP's scope and its policy's rules, computed here
 *    (`publicSignals.policyHash`/`policy`);
 * 4. the root is acceptable in IssuerRegistry, now, under one of the policy's accepted issuers, asked
 *    in order with `rootStatus` — exactly the gate's `_findRoot`: current (and not stale), or
 *    superseded within `maxRootAge` and not cut off; not rejected; the issuer not suspended
 *    (`publicSignals.root`/`accepted-root`, with the registry's state named);
 * 5. the Groth16 proof verifies with the verification key of that issuer's tree depth (`proof`/`groth16`).
 *
 * Only then is the nonce used up (atomically, so of two racing presentations one wins); a refused
 * presentation leaves its challenge open until it expires. Throws only when the chain cannot be read.
 */
export class OffchainVerifier {
  readonly audience: string;
  readonly chainId: number;
  readonly registryAddress: string;
  readonly policy: PresentationPolicy;
  readonly policyHash: bigint;
  private readonly registry: IssuerRegistry;
  private readonly store: ChallengeStore;
  private readonly ttl: number;
  private readonly clock: () => Date;
  private readonly keys: Partial<Record<20 | 32, object>>;

  private constructor(options: OffchainVerifierOptions, policy: PresentationPolicy) {
    this.audience = options.audience;
    this.chainId = options.chainId;
    this.registryAddress = getAddress(options.registry);
    this.policy = policy;
    this.policyHash = presentationPolicyHash(options.audience, policy);
    this.registry = IssuerRegistry__factory.connect(this.registryAddress, options.provider);
    this.store = options.store ?? new MemoryChallengeStore();
    this.ttl = options.challengeTtlSeconds ?? 300;
    this.clock = options.clock ?? (() => new Date());
    this.keys = { ...options.verificationKeys };
  }

  /**
   * Checks the options against the chain and builds the verifier. Refuses, naming the option: a bad
   * audience or policy, a ttl outside 10..86400 s, no verification key or one that is not a
   * four-signal Groth16 key, a provider on another chain, no contract at `registry`, and an accepted
   * issuer the registry does not know (as the gate's `setPolicy` refuses it).
   */
  static async create(options: OffchainVerifierOptions): Promise<OffchainVerifier> {
    assertAudience(options.audience, 'audience');
    const policy = parsePresentationPolicy(options.policy, 'policy');
    if (typeof options.registry !== 'string' || !isAddress(options.registry)) throw new ValidationError('registry', 'address', 'must be a 20-byte hex address');
    if (!Number.isSafeInteger(options.chainId) || options.chainId <= 0) throw new ValidationError('chainId', 'chain-id', 'must be a positive integer');
    const ttl = options.challengeTtlSeconds ?? 300;
    if (!Number.isSafeInteger(ttl) || ttl < 10 || ttl > 86400) throw new ValidationError('challengeTtlSeconds', 'range', 'must be an integer in 10..86400');
    const depths = Object.keys(options.verificationKeys ?? {});
    if (depths.length === 0) throw new ValidationError('verificationKeys', 'non-empty', 'needs the key of kycPolicy32 (32) and/or kycPolicy20 (20)');
    for (const depth of depths) {
      const key = (options.verificationKeys as Record<string, { protocol?: string; nPublic?: number } | undefined>)[depth];
      if (depth !== '20' && depth !== '32') throw new ValidationError(`verificationKeys.${depth}`, 'depth', 'keys are given for tree depth 20 or 32');
      if (!key || key.protocol !== 'groth16' || key.nPublic !== 4) {
        throw new ValidationError(`verificationKeys.${depth}`, 'kyc-policy-key', 'must be a kycPolicy Groth16 verification key (4 public signals)');
      }
    }
    const network = await options.provider.getNetwork();
    if (network.chainId !== BigInt(options.chainId)) {
      throw new ValidationError('chainId', 'provider-chain', `is ${options.chainId}, but the provider is on chain ${network.chainId}`);
    }
    if ((await options.provider.getCode(options.registry)) === '0x') throw new ValidationError('registry', 'contract', `no contract at ${options.registry}`);
    const verifier = new OffchainVerifier(options, policy);
    for (const id of policy.acceptedIssuers) {
      const issuer = await verifier.registry.issuer(BigInt(id));
      if (issuer.treeDepth === 0n) throw new ValidationError('policy.acceptedIssuers', 'known-issuer', `issuer ${id} is not in the registry`);
    }
    return verifier;
  }

  /** A fresh challenge (32 random bytes of nonce), recorded in the store, to send to the holder as JSON. */
  async createChallenge(): Promise<PresentationChallenge> {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const issuedAt = Math.floor(this.clock().getTime() / 1000);
    const challenge: PresentationChallenge = {
      version: PRESENTATION_CHALLENGE_VERSION,
      audience: this.audience,
      nonce: '0x' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''),
      policy: this.policy,
      chainId: this.chainId,
      registry: this.registryAddress,
      issuedAt,
      expiresAt: issuedAt + this.ttl,
    };
    await this.store.put(challenge);
    return challenge;
  }

  /** Checks a presentation (parsed JSON, as received) against its challenge, the chain and the key. */
  async verify(input: unknown): Promise<PresentationResult> {
    const parsed = parsePresentation(input);
    if ('refusals' in parsed) return { ok: false, refusals: parsed.refusals };
    const { nonce, proof, signals } = parsed;
    const refusals: PresentationRefusal[] = [];

    // 1. The challenge: issued here, for us, unexpired, unused.
    const stored = await this.store.get(nonce);
    if (!stored) return { ok: false, refusals: [refusal('nonce', 'issued-here', 'no challenge with this nonce was issued by this verifier (or it was forgotten)')] };
    const { challenge } = stored;
    if (stored.used) refusals.push(refusal('nonce', 'single-use', 'this challenge was already answered by an accepted presentation'));
    if (challenge.audience !== this.audience) refusals.push(refusal('challenge.audience', 'own-audience', `the challenge was issued for ${challenge.audience}`));
    const now = this.clock();
    if (now.getTime() >= challenge.expiresAt * 1000) {
      refusals.push(refusal('challenge.expiresAt', 'unexpired', `the challenge expired at ${new Date(challenge.expiresAt * 1000).toISOString()}`));
    }
    // A used, foreign or expired challenge is refused before any RPC call or pairing: answering a
    // nonce that can never be accepted must cost the verifier nothing.
    if (refusals.length > 0) return { ok: false, refusals };

    // 2. context: the binding of this challenge in the wallet slot, then the dates.
    const [nullifier, root, policyHash, context] = signals;
    let today = 0;
    let validUntil = 0;
    try {
      const unpacked = unpackContext(context);
      today = unpacked.today;
      validUntil = unpacked.validUntil;
      if (unpacked.wallet !== presentationBinding(challenge)) {
        refusals.push(refusal('publicSignals.context.binding', 'challenge-binding', 'the proof is bound to another audience, nonce, chain or registry than this challenge'));
      }
      const rpToday = todayInt(now);
      // As the gate: today or yesterday, never tomorrow (a proof dated tomorrow would let someone who
      // turns 18 tomorrow pass an 18+ policy today).
      const window = [todayInt(new Date(now.getTime() - DAY_MS)), rpToday];
      if (!isValidDateInt(today) || !window.includes(today)) {
        refusals.push(refusal('publicSignals.context.today', 'date-window', `the proof is dated ${today}; this verifier accepts ${window.join(' or ')} (its UTC date or the day before)`));
      }
      if (!isValidDateInt(validUntil) || validUntil < rpToday) {
        refusals.push(refusal('publicSignals.context.validUntil', 'unexpired', `the proof holds until ${validUntil}, before today (${rpToday})`));
      }
    } catch {
      refusals.push(refusal('publicSignals.context', 'uint224', 'has bits set above bit 224'));
    }

    // 3. The policy hash, computed here from our policy and our scope.
    if (policyHash !== this.policyHash) {
      refusals.push(refusal('publicSignals.policyHash', 'policy', `is not the hash of this verifier's policy${this.policy.label ? ` (${this.policy.label})` : ''} under its scope`));
    }

    // The cheap checks first: a presentation that fails them costs no RPC call and no pairing.
    if (refusals.length > 0) return { ok: false, refusals };

    // 4. The root, on chain, as the gate's _findRoot asks for it.
    const found = await this.findRoot(root);
    if ('refusal' in found) refusals.push(found.refusal);

    // 5. The proof, with the key of the issuer's tree depth.
    if ('depth' in found) {
      const key = this.keys[found.depth as 20 | 32];
      if (!key) {
        refusals.push(refusal('publicSignals.root', 'tree-depth', `the issuer's tree has depth ${found.depth}, for which this verifier holds no verification key`));
      } else if (!(await verifyGroth16(key, signals.map(String), proof))) {
        refusals.push(refusal('proof', 'groth16', 'the Groth16 proof does not verify for these public signals'));
      }
    }

    if (refusals.length > 0) return { ok: false, refusals };
    if (!(await this.store.consume(nonce))) {
      return { ok: false, refusals: [refusal('nonce', 'single-use', 'this challenge was already answered by an accepted presentation')] };
    }
    const accepted = found as { issuerId: bigint; depth: number; state: string };
    return { ok: true, nullifier, issuerId: accepted.issuerId, root, rootState: accepted.state, today, validUntil, challenge };
  }

  /**
   * The first accepted issuer (in the policy's order) under which `root` is acceptable now, with its
   * tree depth; else a refusal naming the first accepted issuer that knows the root and the state it
   * is in (UNKNOWN when none does) — the gate's `RootNotAcceptable(issuerId, root, state)`.
   */
  private async findRoot(root: bigint): Promise<{ issuerId: bigint; depth: number; state: string } | { refusal: PresentationRefusal }> {
    let knownBy = 0n;
    let knownState = 0n;
    for (const id of this.policy.acceptedIssuers) {
      const issuerId = BigInt(id);
      const [depth, acceptable, state] = await this.registry.rootStatus(issuerId, root);
      if (acceptable) return { issuerId, depth: Number(depth), state: rootStateName(state) };
      if (knownBy === 0n && state !== 0n) {
        knownBy = issuerId;
        knownState = state;
      }
    }
    const where = knownBy === 0n ? `no accepted issuer (${this.policy.acceptedIssuers.join(', ')}) published it` : `issuer ${knownBy} holds it as ${rootStateName(knownState)}`;
    return { refusal: refusal('publicSignals.root', 'accepted-root', `the root is not acceptable on chain ${this.chainId} now (${rootStateName(knownState)}): ${where}`) };
  }
}

/** Checks a presentation's shape and returns its parts, or the refusals for a malformed one. */
function parsePresentation(value: unknown): { nonce: string; proof: Groth16Proof; signals: bigint[] } | { refusals: PresentationRefusal[] } {
  const bad = (field: string, rule: string, message: string) => ({ refusals: [refusal(field, rule, message)] });
  if (value === null || typeof value !== 'object') return bad('presentation', 'object', 'must be a JSON object');
  const p = value as Record<string, unknown>;
  if (p.version !== PRESENTATION_VERSION) return bad('version', 'version', `must be ${PRESENTATION_VERSION}`);
  if (typeof p.nonce !== 'string' || !NONCE.test(p.nonce)) return bad('nonce', 'bytes32', 'must be 32 bytes of lower-case hex with 0x');
  const ps = p.publicSignals;
  if (!Array.isArray(ps) || ps.length !== 4) return bad('publicSignals', 'kyc-policy', 'must be the 4 public signals of kycPolicy: [nullifier, root, policyHash, context]');
  const signals: bigint[] = [];
  for (const [i, s] of ps.entries()) {
    if (typeof s !== 'string' || !DECIMAL.test(s) || s.length > 80 || BigInt(s) >= SNARK_FIELD) {
      return bad(`publicSignals[${i}]`, 'field-element', 'must be a canonical decimal element of the BN254 scalar field');
    }
    signals.push(BigInt(s));
  }
  const proof = p.proof as Record<string, unknown> | null;
  const coords = (v: unknown, n: number) => Array.isArray(v) && v.length >= n && v.length <= 3 && v.every((x) => typeof x === 'string' && DECIMAL.test(x) && x.length <= 80);
  const ok =
    proof !== null &&
    typeof proof === 'object' &&
    proof.protocol === 'groth16' &&
    proof.curve === 'bn128' &&
    coords(proof.pi_a, 2) &&
    coords(proof.pi_c, 2) &&
    Array.isArray(proof.pi_b) &&
    proof.pi_b.length >= 2 &&
    proof.pi_b.length <= 3 &&
    proof.pi_b.every((row) => coords(row, 2));
  if (!ok) return bad('proof', 'groth16-shape', 'must be a snarkjs Groth16 proof on bn128 (pi_a, pi_b, pi_c of decimal strings)');
  const clean: Groth16Proof = {
    pi_a: [...(proof!.pi_a as string[])],
    pi_b: (proof!.pi_b as string[][]).map((row) => [...row]),
    pi_c: [...(proof!.pi_c as string[])],
    protocol: 'groth16',
    curve: 'bn128',
  };
  return { nonce: p.nonce, proof: clean, signals };
}

/**
 * A gate policy's rules and accepted issuers as a relying party's policy, and the registry that gate
 * reads: an RP that asks "meets the token's policy" without copying its numbers. The presentation's
 * scope stays the RP's own (its proofs and pseudonyms are not the gate's). Refuses a policy that
 * does not exist, and one with an escrow key: off-chain presentations are kycPolicy proofs and carry
 * no escrow ciphertext, so the RP would accept less than the gate asks.
 */
export async function presentationPolicyFromGate(gate: ComplianceGate, policyId: bigint | number): Promise<{ policy: PresentationPolicy; registry: string }> {
  const p = await gate.policy(policyId);
  if (!p.config.exists) throw new ValidationError('policyId', 'exists', `policy ${policyId} does not exist on gate ${await gate.getAddress()}`);
  if (p.config.escrow) throw new ValidationError('policyId', 'no-escrow', `policy ${policyId} needs escrow proofs, which an off-chain presentation does not carry`);
  return {
    policy: {
      label: `gate ${await gate.getAddress()} policy ${policyId}`,
      jurisdictionMask: p.jurisdictionMask.toString(),
      minAge: Number(p.config.minAge),
      investorClassMask: Number(p.config.investorClassMask),
      minKycLevel: Number(p.config.minKycLevel),
      acceptedIssuers: p.acceptedIssuers.map(String),
    },
    registry: await gate.registry(),
  };
}
