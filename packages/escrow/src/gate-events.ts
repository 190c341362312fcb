import { Contract, getAddress, Interface, type Log, type Provider, type TransactionReceipt } from 'ethers';
import { EscrowError } from './errors.js';
import { pointFromX, pointsEqual, SNARK_FIELD, type Point } from './group.js';
import type { Ciphertext } from './leaf-index-encryption.js';

/**
 * What the escrow reads from the ComplianceGate (contracts/src/ComplianceGate.sol): the events of
 * an escrow registration and the policy's escrow key. A registration under an escrow policy emits
 *
 *   WalletVerified(policyId, wallet, nullifier, verifiedUntil, issuerId, root)     at logIndex i
 *   EscrowCiphertext(policyId, wallet, nullifier, escrowX, escrowC)                 at logIndex i + 1
 *
 * in one transaction, and the gate stores nothing of the ciphertext: the EscrowCiphertext event is
 * the only copy. A disclosure request names it by (transaction hash, logIndex of EscrowCiphertext)
 * (docs/disclosure-log.md). The ABI here is human-readable and minimal, so the package needs no
 * generated contract types.
 */
export const GATE_ABI = [
  'event WalletVerified(uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint64 verifiedUntil, uint64 issuerId, uint256 root)',
  'event EscrowCiphertext(uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint256 escrowX, uint256 escrowC)',
  'event WalletRevoked(uint256 indexed policyId, address indexed wallet, uint256 investor, string reason)',
  'event PolicyEscrowKeySet(uint256 indexed policyId, uint32 version, uint256 keyX, uint256 keyY, uint256 rulesHash)',
  'function escrowKeyOf(uint256 policyId) view returns (uint256 x, uint256 y)',
  'function verifiedUntil(uint256 policyId, address wallet) view returns (uint64)',
  'function investorOf(uint256 policyId, address wallet) view returns (uint256)',
] as const;

export const GATE_INTERFACE = new Interface(GATE_ABI);
export const WALLET_VERIFIED_TOPIC = GATE_INTERFACE.getEvent('WalletVerified')!.topicHash;
export const ESCROW_CIPHERTEXT_TOPIC = GATE_INTERFACE.getEvent('EscrowCiphertext')!.topicHash;
export const WALLET_REVOKED_TOPIC = GATE_INTERFACE.getEvent('WalletRevoked')!.topicHash;

/** The investor tag of a nullifier: its low 192 bits, as the gate's `investorOf` keeps it. */
export const INVESTOR_TAG_MASK = (1n << 192n) - 1n;

/** A uint256 as a 32-byte topic. */
export function uint256Topic(value: bigint): string {
  return '0x' + value.toString(16).padStart(64, '0');
}

/** Where a registration's escrow ciphertext sits: one EscrowCiphertext event of one transaction. */
export interface RegistrationPointer {
  policyId: bigint;
  registrationTx: string;
  /** The logIndex (position in the block) of the gate's EscrowCiphertext event. */
  registrationLogIndex: number;
}

/** What an EscrowCiphertext event says. */
export interface EscrowCiphertextEvent {
  policyId: bigint;
  wallet: string;
  nullifier: bigint;
  escrowX: bigint;
  escrowC: bigint;
}

/** Decodes an EscrowCiphertext log; undefined for any other log. */
export function decodeEscrowCiphertext(log: Pick<Log, 'topics' | 'data'>): EscrowCiphertextEvent | undefined {
  if (log.topics[0] !== ESCROW_CIPHERTEXT_TOPIC) return undefined;
  const parsed = GATE_INTERFACE.parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed) return undefined;
  return {
    policyId: parsed.args.policyId as bigint,
    wallet: getAddress(parsed.args.wallet as string),
    nullifier: parsed.args.nullifier as bigint,
    escrowX: parsed.args.escrowX as bigint,
    escrowC: parsed.args.escrowC as bigint,
  };
}

/** `(R, c)` from an event's `(escrowX, escrowC)`: R is the subgroup point with that x (group.ts). */
export function ciphertextOfEvent(event: Pick<EscrowCiphertextEvent, 'escrowX' | 'escrowC'>, field = 'escrowX'): Ciphertext {
  const R = pointFromX(event.escrowX, field);
  if (event.escrowC >= SNARK_FIELD) throw new EscrowError('escrowC', 'field-element', 'must be below p, the BN254 scalar field order');
  return { R, c: event.escrowC };
}

/**
 * The ciphertext a registration's receipt carries (docs/disclosure-log.md §3, step 4): the receipt
 * exists and succeeded, and its log at `registrationLogIndex` was emitted by `gate`, is an
 * EscrowCiphertext and is for `policyId`. Refuses otherwise with rule `registration-ciphertext`.
 */
export function ciphertextFromReceipt(receipt: TransactionReceipt | null, gate: string, pointer: RegistrationPointer): Ciphertext {
  return registrationFromReceipt(receipt, gate, pointer).ciphertext;
}

/** {@link ciphertextFromReceipt}, with the block the registration is in (for the key in force then). */
export function registrationFromReceipt(receipt: TransactionReceipt | null, gate: string, pointer: RegistrationPointer): { ciphertext: Ciphertext; blockNumber: number } {
  const where = `${pointer.registrationTx}#${pointer.registrationLogIndex}`;
  const refuse = (detail: string): never => {
    throw new EscrowError('registration', 'registration-ciphertext', `${where} ${detail}`);
  };
  if (!receipt) return refuse('is not a transaction the RPC node knows');
  if (receipt.status !== 1) refuse('is a transaction that reverted');
  const log = receipt.logs.find((l) => l.index === pointer.registrationLogIndex);
  if (!log) return refuse(`names no event of that transaction (its logs are at ${receipt.logs.map((l) => l.index).join(', ') || 'none'})`);
  if (getAddress(log.address) !== getAddress(gate)) refuse(`was emitted by ${log.address}, not by the gate ${getAddress(gate)}`);
  const event = decodeEscrowCiphertext(log);
  if (!event) return refuse("is not the gate's EscrowCiphertext event");
  if (event.policyId !== pointer.policyId) refuse(`is a registration under policy ${event.policyId}, not ${pointer.policyId}`);
  return { ciphertext: ciphertextOfEvent(event), blockNumber: receipt.blockNumber };
}

/** Reads a registration's ciphertext from the chain ({@link ciphertextFromReceipt}). */
export async function readRegistrationCiphertext(provider: Provider, gate: string, pointer: RegistrationPointer): Promise<Ciphertext> {
  return ciphertextFromReceipt(await provider.getTransactionReceipt(pointer.registrationTx), gate, pointer);
}

/** Reads a registration's ciphertext and block from the chain ({@link registrationFromReceipt}). */
export async function readRegistration(provider: Provider, gate: string, pointer: RegistrationPointer): Promise<{ ciphertext: Ciphertext; blockNumber: number }> {
  return registrationFromReceipt(await provider.getTransactionReceipt(pointer.registrationTx), gate, pointer);
}

/** `gate.escrowKeyOf(policyId)`, or undefined when the policy has no escrow key (the zero pair). */
export async function readPolicyEscrowKey(provider: Provider, gate: string, policyId: bigint, blockTag?: number): Promise<Point | undefined> {
  const contract = new Contract(gate, GATE_ABI, provider);
  let key: [bigint, bigint];
  try {
    const [x, y] = (await contract.escrowKeyOf(policyId, { blockTag })) as [bigint, bigint];
    key = [x, y];
  } catch {
    throw new EscrowError('gate', 'policy-escrow-key', `${gate} does not answer escrowKeyOf: not a gate with escrow policies`);
  }
  return key[0] === 0n && key[1] === 0n ? undefined : key;
}

/**
 * Refuses unless `publicKey` is the **current** escrow key of `policyId` on the gate, with rule
 * `policy-escrow-key`. Not the auditor's check: a registration is under the key the policy had when
 * it was made, which a rotation may since have replaced (escrow-key-history.ts,
 * `assertRegistrationEscrowKey`).
 */
export async function assertPolicyEscrowKey(provider: Provider, gate: string, policyId: bigint, publicKey: Point): Promise<void> {
  const key = await readPolicyEscrowKey(provider, gate, policyId);
  if (!key) throw new EscrowError('publicKey', 'policy-escrow-key', `cannot be checked: policy ${policyId} has no escrow key on the gate ${gate}`);
  if (!pointsEqual(key, publicKey)) {
    throw new EscrowError('publicKey', 'policy-escrow-key', `is not the escrow key of policy ${policyId} on the gate ${gate} (the gate's is (${key[0]}, ${key[1]}))`);
  }
}
