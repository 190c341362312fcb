/**
 * The wallet's EIP-712 consent to be registered by someone else (a relayer): ComplianceGate's
 * `Consent(policyId, nullifier, context, nonce, deadline)` under the gate's own domain. The wallet
 * signs it, the relayer checks it before spending gas, and the gate checks it again in `verifyFor`,
 * using up the wallet's nonce so a consent registers once.
 *
 * Browser-safe: ethers only.
 */
import { getAddress, TypedDataEncoder, verifyTypedData, type Signer, type TypedDataDomain, type TypedDataField } from 'ethers';
import type { ComplianceGate } from '@zkkyc/contracts/typechain';
import type { RegistrationConsent, RegistrationProof } from './gate-policy.js';

/** The gate's `CONSENT_TYPEHASH`, as ethers' typed-data types. */
export const CONSENT_TYPES: Record<string, TypedDataField[]> = {
  Consent: ['policyId', 'nullifier', 'context', 'nonce', 'deadline'].map((name) => ({ name, type: 'uint256' })),
};

/** What a consent covers: the values the gate hashes with its typehash. */
export interface ConsentMessage {
  policyId: bigint;
  nullifier: bigint;
  context: bigint;
  nonce: bigint;
  deadline: bigint;
}

/** A consent that cannot be built: `field` names the value at fault, `rule` the rule it breaks. */
export class ConsentError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ConsentError';
  }
}

const WALLET_MASK = (1n << 160n) - 1n;

/**
 * The nullifier, the context and the wallet a proof registers. The wallet sits in the context's low
 * 160 bits (packContext in @zkkyc/prover); an escrow proof carries its context at index 5, a plain
 * one at index 3.
 */
export function registrationSubject(proof: RegistrationProof): { nullifier: bigint; context: bigint; wallet: string } {
  const signals = proof.solidityCalldata.pubSignals.map((s) => BigInt(s));
  if (signals.length !== 4 && signals.length !== 6) {
    throw new ConsentError('proof.pubSignals', 'length', `a proof has 4 public signals (kycPolicy) or 6 (kycPolicyEscrow), got ${signals.length}`);
  }
  const context = signals[signals.length === 6 ? 5 : 3];
  if (context >> 224n !== 0n) throw new ConsentError('proof.pubSignals', 'context', 'the context signal has bits set above bit 224');
  return { nullifier: signals[0], context, wallet: getAddress('0x' + (context & WALLET_MASK).toString(16).padStart(40, '0')) };
}

/** The gate's EIP-712 domain as it reports it (EIP-5267 `eip712Domain`). */
export async function consentDomain(gate: ComplianceGate): Promise<TypedDataDomain> {
  const d = await gate.eip712Domain();
  return { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
}

/** The address that signed `signature` over `message` in `domain` (an EOA's key; a contract wallet answers through ERC-1271 on chain). */
export function consentSigner(domain: TypedDataDomain, message: ConsentMessage, signature: string): string {
  return verifyTypedData(domain, CONSENT_TYPES, message, signature);
}

/** The EIP-712 digest the gate checks, e.g. to key a journal by what was signed. */
export function consentDigest(domain: TypedDataDomain, message: ConsentMessage): string {
  return TypedDataEncoder.hash(domain, CONSENT_TYPES, message);
}

/**
 * Refuses a domain that is not the gate's on the expected chain. The domain is read through the
 * connected wallet's provider, which may not be trustworthy: a signature under another
 * `verifyingContract` or `chainId` would be a consent for some other contract or chain.
 */
export function assertConsentDomain(domain: TypedDataDomain, expected: { gate: string; chainId: bigint }): void {
  const contract = domain.verifyingContract ? getAddress(domain.verifyingContract) : undefined;
  if (contract !== getAddress(expected.gate)) {
    throw new ConsentError('domain.verifyingContract', 'gate', `the consent domain names ${contract ?? 'no contract'}, not the gate ${getAddress(expected.gate)}; refusing to sign`);
  }
  const chainId = domain.chainId === undefined || domain.chainId === null ? undefined : BigInt(domain.chainId);
  if (chainId !== expected.chainId) {
    throw new ConsentError('domain.chainId', 'chain', `the consent domain is for chain ${chainId ?? 'none'}, not the expected chain ${expected.chainId}; refusing to sign`);
  }
}

/**
 * Signs the wallet's consent for a relayer to register `proof` under `policyId` at `gate`, valid
 * until `deadline` (unix seconds). Reads the gate's domain and the wallet's current nonce, so the
 * consent is good for the next registration only. `signer` must be the wallet the proof names
 * (its own key, or a browser wallet's account through eth_signTypedData_v4). Before signing, the
 * domain must name `gate`'s address and the expected chain: `chainId` if given, else the chain of
 * the signer's provider.
 */
export async function signRegistrationConsent(
  signer: Signer,
  gate: ComplianceGate,
  request: { policyId: bigint | number; proof: RegistrationProof; deadline: bigint | number; chainId?: bigint | number },
): Promise<RegistrationConsent & { wallet: string; nonce: bigint }> {
  const { nullifier, context, wallet } = registrationSubject(request.proof);
  const address = getAddress(await signer.getAddress());
  if (address !== wallet) throw new ConsentError('signer', 'wallet', `the proof registers ${wallet}, but the signer is ${address}: only that wallet can consent`);
  const deadline = BigInt(request.deadline);
  if (deadline <= 0n) throw new ConsentError('deadline', 'positive', 'must be a unix time in seconds');
  const expectedChainId = request.chainId !== undefined ? BigInt(request.chainId) : (await signer.provider?.getNetwork())?.chainId;
  if (expectedChainId === undefined) throw new ConsentError('chainId', 'required', 'the signer has no provider: pass the chain id the gate is on');
  const gateAddress = typeof gate.target === 'string' ? gate.target : await gate.getAddress();
  const [domain, nonce] = await Promise.all([consentDomain(gate), gate.nonces(wallet)]);
  assertConsentDomain(domain, { gate: gateAddress, chainId: expectedChainId });
  const message: ConsentMessage = { policyId: BigInt(request.policyId), nullifier, context, nonce, deadline };
  const signature = await signer.signTypedData(domain, CONSENT_TYPES, message);
  return { deadline, signature, wallet, nonce };
}
