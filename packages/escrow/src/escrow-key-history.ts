import type { Provider } from 'ethers';
import { EscrowError } from './errors.js';
import { GATE_INTERFACE, uint256Topic } from './gate-events.js';
import { pointsEqual, type Point } from './group.js';
import { getLogsChunked, type BlockRange } from './holders-chain.js';

/**
 * Which escrow key a registration was made under. A policy's key changes: `setEscrowPolicy` called
 * again rotates it (a new policy version), and from then on the gate accepts only proofs that
 * encrypt to the new key. A registration's ciphertext is therefore under the key the policy had
 * **when the registration was made**, not the one `escrowKeyOf` answers today, and an auditor
 * who holds an older key must still be able to open the registrations made under it.
 *
 * The rule: the key of a registration is the key of the latest `PolicyEscrowKeySet(policyId,
 * version, keyX, keyY, rulesHash)` event of the gate before the registration's position in the
 * chain, (block number, log index) compared in that order. The gate emits that event with every
 * `setEscrowPolicy`, so the events are the complete history of the key. Why events and not
 * `escrowKeyOf` at the registration's block: a view call at a block answers the state after the
 * whole block, so a rotation later in the same block would be taken for the registration's key.
 */

/** One version of a policy's escrow key, as its PolicyEscrowKeySet event says. */
export interface PolicyEscrowKeyVersion {
  /** The policy version `setEscrowPolicy` made (every setPolicy / setEscrowPolicy counts). */
  version: number;
  key: Point;
  blockNumber: number;
  logIndex: number;
}

/** A position in the chain: a block, and a log's index within it. */
export interface ChainPosition {
  blockNumber: number;
  logIndex: number;
}

export const POLICY_ESCROW_KEY_SET_TOPIC = GATE_INTERFACE.getEvent('PolicyEscrowKeySet')!.topicHash;

const before = (a: ChainPosition, b: ChainPosition) => a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);

function decode(log: { topics: readonly string[]; data: string; blockNumber: number; index: number }): PolicyEscrowKeyVersion {
  const parsed = GATE_INTERFACE.parseLog({ topics: [...log.topics], data: log.data })!;
  return { version: Number(parsed.args.version), key: [parsed.args.keyX as bigint, parsed.args.keyY as bigint], blockNumber: log.blockNumber, logIndex: log.index };
}

function filter(gate: string, policyId: bigint) {
  return { address: gate, topics: [POLICY_ESCROW_KEY_SET_TOPIC, uint256Topic(policyId)] };
}

/**
 * The key in force at `at` (the latest PolicyEscrowKeySet strictly before it), searching backwards
 * from `at.blockNumber`, `chunk` blocks per eth_getLogs call (default 10,000), down to `fromBlock`
 * (default 0; the gate's deployment block saves calls). Undefined when the policy had no key then.
 */
export async function policyEscrowKeyAt(
  provider: Provider,
  gate: string,
  policyId: bigint,
  at: ChainPosition,
  options: { fromBlock?: number; chunk?: number } = {},
): Promise<PolicyEscrowKeyVersion | undefined> {
  const chunk = options.chunk ?? 10_000;
  const floor = options.fromBlock ?? 0;
  if (!Number.isInteger(chunk) || chunk < 1) throw new EscrowError('chunk', 'integer', 'must be an integer ≥ 1');
  for (let to = at.blockNumber; to >= floor; to -= chunk) {
    const from = Math.max(floor, to - chunk + 1);
    const logs = await provider.getLogs({ ...filter(gate, policyId), fromBlock: from, toBlock: to });
    const found = logs.map(decode).filter((k) => before(k, at));
    if (found.length > 0) return found.sort((a, b) => (before(a, b) ? -1 : 1)).at(-1);
  }
  return undefined;
}

/**
 * The key's history over `range`: the key in force when the range starts (if any), then every
 * version set within it, in chain order. {@link keyInForceAt} answers from it for any position in
 * the range without further calls.
 */
export async function readPolicyEscrowKeyHistory(provider: Provider, gate: string, policyId: bigint, range: BlockRange): Promise<PolicyEscrowKeyVersion[]> {
  const initial = range.fromBlock > 0 ? await policyEscrowKeyAt(provider, gate, policyId, { blockNumber: range.fromBlock, logIndex: 0 }, { chunk: range.chunk }) : undefined;
  const logs = await getLogsChunked(provider, filter(gate, policyId), range);
  return [...(initial ? [initial] : []), ...logs.map(decode)];
}

/** The version in force at `at` in a history from {@link readPolicyEscrowKeyHistory}; undefined before the first. */
export function keyInForceAt(history: readonly PolicyEscrowKeyVersion[], at: ChainPosition): PolicyEscrowKeyVersion | undefined {
  let inForce: PolicyEscrowKeyVersion | undefined;
  for (const k of history) if (before(k, at)) inForce = k;
  return inForce;
}

/**
 * Refuses (rule `policy-escrow-key`) unless `publicKey` is the key `policyId` had on the gate when
 * the registration at `at` was made (docs/disclosure-log.md §3, step 5).
 */
export async function assertRegistrationEscrowKey(
  provider: Provider,
  gate: string,
  policyId: bigint,
  registration: ChainPosition & { where: string },
  publicKey: Point,
  options: { fromBlock?: number; chunk?: number } = {},
): Promise<PolicyEscrowKeyVersion> {
  const inForce = await policyEscrowKeyAt(provider, gate, policyId, registration, options);
  if (!inForce) {
    throw new EscrowError('publicKey', 'policy-escrow-key', `cannot be checked: policy ${policyId} had no escrow key on the gate ${gate} when registration ${registration.where} was made`);
  }
  if (!pointsEqual(inForce.key, publicKey)) {
    throw new EscrowError(
      'publicKey',
      'policy-escrow-key',
      `is not the escrow key of policy ${policyId} for this registration: registration ${registration.where} was made under escrow key version ${inForce.version} of policy ${policyId} on the gate ${gate} (${inForce.key[0]}, ${inForce.key[1]})`,
    );
  }
  return inForce;
}
