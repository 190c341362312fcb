/**
 * The gate's batched registration as the relayer calls it: `verifyBatch(BatchEntry[])` checks N
 * proofs with one pairing equation (docs/protocol.md) and every entry's own rules and consent. Its
 * refusals name the batch or the entry: `BatchEntryRefused(index, reason)` carries the entry's own
 * custom error (the one `verifyFor` would have raised), `InvalidBatchProof(digest)` says some proof in
 * the batch is false without saying which. Written as an ABI fragment so the relayer does not depend
 * on which typechain build is installed.
 */
import { Interface } from 'ethers';
import { decodeRevert } from '@zkkyc/sdk';
import type { StoredBatchEntry } from '../store/journal.js';

export const BATCH_GATE = new Interface([
  'function verifyBatch((uint256 policyId, uint256[2] pA, uint256[2][2] pB, uint256[2] pC, uint256[4] pubSignals, uint256 deadline, bytes signature)[] entries) returns (uint64[] until)',
  'error BatchEntryRefused(uint256 index, bytes reason)',
  'error InvalidBatchProof(bytes32 batchDigest)',
  'error EmptyBatch()',
  'error BatchTooLarge(uint256 size, uint256 max)',
  'event WalletVerified(uint256 indexed policyId, address indexed wallet, uint256 indexed nullifier, uint64 verifiedUntil, uint64 issuerId, uint256 root)',
]);

/** `verifyBatch` calldata for these entries, in this order. */
export function encodeVerifyBatch(entries: StoredBatchEntry[]): string {
  return BATCH_GATE.encodeFunctionData('verifyBatch', [
    entries.map((e) => ({ policyId: e.policyId, pA: e.pA, pB: e.pB, pC: e.pC, pubSignals: e.pubSignals, deadline: e.deadline, signature: e.signature })),
  ]);
}

/** What a failed `verifyBatch` simulation says about the batch. */
export type BatchRefusal =
  /** Entry `index` breaks one of its own rules; `name`/`message` are its custom error (`RootNotAcceptable`…), or `reverted` when it is not one of the gate's. */
  | { kind: 'entry'; index: number; name: string; message: string }
  /** The batched pairing check failed: some proof is false, the gate does not say which. */
  | { kind: 'proof'; message: string }
  /** Anything else the gate said (an empty or too large batch, a revert without data). */
  | { kind: 'other'; name: string; message: string };

/** Reads revert data out of an ethers error (or takes it as given) and decodes the batch's refusal; undefined when there is no revert data (the node failed). */
export function decodeBatchRefusal(revertData: string | undefined): BatchRefusal | undefined {
  if (!revertData || revertData === '0x') return undefined;
  let parsed;
  try {
    parsed = BATCH_GATE.parseError(revertData);
  } catch {
    parsed = null;
  }
  if (parsed?.name === 'BatchEntryRefused') {
    const inner = decodeRevert(parsed.args[1] as string);
    return { kind: 'entry', index: Number(parsed.args[0] as bigint), name: inner?.name ?? 'reverted', message: inner?.message ?? `reverted (${String(parsed.args[1]).slice(0, 74)})` };
  }
  if (parsed?.name === 'InvalidBatchProof') return { kind: 'proof', message: `InvalidBatchProof(${String(parsed.args[0])})` };
  if (parsed) return { kind: 'other', name: parsed.name, message: `${parsed.name}(${[...parsed.args].map(String).join(', ')})` };
  const other = decodeRevert(revertData);
  return { kind: 'other', name: other?.name ?? 'reverted', message: other?.message ?? 'reverted' };
}

/** The wallet → verifiedUntil the gate logged in a mined batch (`WalletVerified`), keyed by lower-case address. */
export function untilByWallet(logs: readonly { topics: readonly string[]; data: string; address: string }[], gateAddress: string): Map<string, bigint> {
  const found = new Map<string, bigint>();
  for (const log of logs) {
    if (log.address.toLowerCase() !== gateAddress.toLowerCase()) continue;
    let parsed;
    try {
      parsed = BATCH_GATE.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      continue;
    }
    if (parsed?.name === 'WalletVerified') found.set(String(parsed.args[1]).toLowerCase(), parsed.args[3] as bigint);
  }
  return found;
}
