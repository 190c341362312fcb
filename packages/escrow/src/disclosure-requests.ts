import { Contract, getAddress, Interface, type Provider, type Signer } from 'ethers';
import { assertDisclosureSubject, DISCLOSURE_LOG_ABI, disclosureEntryHash, disclosureRequestReference, gateOfLog, type DisclosureSubject } from './disclosure-log-chain.js';
import { EscrowError } from './errors.js';
import { readRegistrationCiphertext, uint256Topic } from './gate-events.js';
import { getLogsChunked } from './holders-chain.js';

/**
 * The requester's side of the disclosure log (docs/disclosure-log.md §1): recording a request for
 * one registration's escrow ciphertext, and finding one already recorded, so that a program that
 * stops halfway (the register of holders) logs nothing twice when it runs again.
 */

/** A request in the log. */
export interface LoggedDisclosureRequest {
  id: bigint;
  /** `disclosure-log:<chainId>:<log>:<id>` (disclosure-log-chain.ts). */
  reference: string;
  /** The transaction that recorded it, and its block. */
  transaction: string;
  blockNumber: number;
  /** False when an open request with the same fields was found instead of recording a new one. */
  created: boolean;
}

const DISCLOSURE_REQUESTED = new Contract('0x0000000000000000000000000000000000000001', DISCLOSURE_LOG_ABI).interface.getEvent('DisclosureRequested')!;
const OPEN = 1n;

/** The open requests one requester recorded under one policy, looked up by their fields. */
export interface OpenRequests {
  /** The oldest open request recorded with exactly `subject`, if any. */
  find(subject: DisclosureSubject): LoggedDisclosureRequest | undefined;
  readonly all: readonly LoggedDisclosureRequest[];
}

/**
 * The open requests `requester` recorded in `log` under `policyId`: its DisclosureRequested events
 * (topic2 = policyId, topic3 = requester) from `fromBlock` to the head, `chunk` blocks per
 * eth_getLogs call, each still `Open` in `entry(id)`.
 */
export async function openRequestsOf(provider: Provider, log: string, requester: string, policyId: bigint, fromBlock = 0, chunk?: number): Promise<OpenRequests> {
  const contract = new Contract(log, DISCLOSURE_LOG_ABI, provider);
  const topics = [DISCLOSURE_REQUESTED.topicHash, null, uint256Topic(policyId), '0x' + getAddress(requester).slice(2).toLowerCase().padStart(64, '0')];
  const logs = await getLogsChunked(provider, { address: log, topics }, { fromBlock, toBlock: await provider.getBlockNumber(), chunk });
  const { chainId } = await provider.getNetwork();
  const byHash = new Map<string, LoggedDisclosureRequest>();
  const all: LoggedDisclosureRequest[] = [];
  for (const l of logs) {
    const parsed = contract.interface.parseLog({ topics: [...l.topics], data: l.data });
    if (!parsed) continue;
    const id = parsed.args.id as bigint;
    const entry = (await contract.entry(id)) as { entryHash: string; status: bigint };
    if (entry.status !== OPEN) continue;
    const found = { id, reference: disclosureRequestReference({ chainId, log, requestId: id }), transaction: l.transactionHash, blockNumber: l.blockNumber, created: false };
    all.push(found);
    if (!byHash.has(entry.entryHash)) byHash.set(entry.entryHash, found);
  }
  return { all, find: (subject) => byHash.get(disclosureEntryHash(subject)) };
}

/**
 * Records a disclosure request for `subject` in `log`, signed by `signer` (a requester of the
 * policy), and returns its id once the transaction is mined. Before it spends a place in the
 * policy's rate limit it checks that the registration exists: `subject.registrationTx`'s log at
 * `registrationLogIndex` is the log's gate's EscrowCiphertext event for the policy (rule
 * `registration-ciphertext`). A revert is reported with the contract's error name and values
 * (`NotRequester`, `DisclosureDisabled`, `RateLimitExceeded`, …; rule `request-recorded`).
 */
export async function recordDisclosureRequest(signer: Signer, log: string, subject: DisclosureSubject): Promise<LoggedDisclosureRequest> {
  assertDisclosureSubject(subject);
  const provider = signer.provider;
  if (!provider) throw new EscrowError('signer', 'connected', 'must be connected to a provider');
  await readRegistrationCiphertext(provider, await gateOfLog(provider, log), subject);
  const contract = new Contract(log, [...DISCLOSURE_LOG_ABI, ...LOG_ERRORS], signer);
  let receipt;
  try {
    const tx = await contract.request(subject.policyId, subject.registrationTx, subject.registrationLogIndex, subject.caseRefHash);
    receipt = await tx.wait();
  } catch (error) {
    throw new EscrowError('request', 'request-recorded', `was not recorded: ${revertReason(error)}`);
  }
  const event = receipt!.logs
    .map((l: { topics: readonly string[]; data: string }) => contract.interface.parseLog({ topics: [...l.topics], data: l.data }))
    .find((p: { name: string } | null) => p?.name === 'DisclosureRequested');
  if (!event) throw new EscrowError('request', 'request-recorded', `transaction ${receipt!.hash} emitted no DisclosureRequested event`);
  const id = event.args.id as bigint;
  const { chainId } = await provider.getNetwork();
  return { id, reference: disclosureRequestReference({ chainId, log, requestId: id }), transaction: receipt!.hash, blockNumber: receipt!.blockNumber, created: true };
}

/** The decoded custom error of a DisclosureLog revert, or the error's message. */
function revertReason(error: unknown): string {
  const e = error as { revert?: { name: string; args: readonly unknown[] }; shortMessage?: string; message?: string };
  if (e?.revert) return `${e.revert.name}(${e.revert.args.map(String).join(', ')})`;
  // A revert found while estimating gas reaches here undecoded: decode its data with the log's errors.
  const data = (error as { data?: unknown })?.data;
  if (typeof data === 'string' && data.length >= 10) {
    try {
      const parsed = new Interface(LOG_ERRORS).parseError(data);
      if (parsed) return `${parsed.name}(${parsed.args.map(String).join(', ')})`;
    } catch {
      // not one of the log's errors: fall through to the message
    }
  }
  return e?.shortMessage ?? e?.message ?? String(error);
}

/** IDisclosureLog's errors, so that ethers names a revert. */
const LOG_ERRORS = [
  'error ZeroValue(string field)',
  'error NotRequester(uint256 policyId, address caller)',
  'error DisclosureDisabled(uint256 policyId)',
  'error RateLimitExceeded(uint256 policyId, uint32 maxRequests, uint64 period, uint64 reopensAt)',
] as const;
