import { Contract, getAddress, Interface, ZeroAddress, type Filter, type Log, type Provider } from 'ethers';
import { EscrowError } from './errors.js';
import { decodeEscrowCiphertext, ESCROW_CIPHERTEXT_TOPIC, GATE_ABI, GATE_INTERFACE, INVESTOR_TAG_MASK, uint256Topic, WALLET_REVOKED_TOPIC, WALLET_VERIFIED_TOPIC } from './gate-events.js';

/**
 * What the register of holders reads from the chain, all as of one block: a policy's registrations
 * from the gate's events, and a token's holders from its Transfer events and `balanceOf`.
 */

/** One registration under the policy: a WalletVerified event and, for an escrow policy, its EscrowCiphertext. */
export interface GateRegistration {
  wallet: string;
  nullifier: bigint;
  /** The nullifier's low 192 bits: the investor tag the gate binds the wallet to. */
  investorTag: bigint;
  /** What the event said; the gate's `verifiedUntil` is the current state. */
  verifiedUntil: number;
  issuerId: bigint;
  root: bigint;
  transaction: string;
  blockNumber: number;
  /** The WalletVerified event's logIndex. */
  logIndex: number;
  /** The EscrowCiphertext event right after it; absent for a registration made without escrow. */
  escrow?: { logIndex: number; escrowX: bigint; escrowC: bigint };
}

/** A wallet's latest registration, and whether a WalletRevoked followed it. */
export interface WalletRegistrations {
  latest: GateRegistration;
  revokedAfter: boolean;
  count: number;
}

/** A range of blocks, read in chunks (many RPC providers cap eth_getLogs ranges). */
export interface BlockRange {
  fromBlock: number;
  toBlock: number;
  /** Blocks per eth_getLogs call. Default 10,000. */
  chunk?: number;
}

/** `eth_getLogs` over a range, `chunk` blocks at a time, in chain order. */
export async function getLogsChunked(provider: Provider, filter: Omit<Filter, 'fromBlock' | 'toBlock'>, range: BlockRange): Promise<Log[]> {
  const chunk = range.chunk ?? 10_000;
  if (!Number.isInteger(chunk) || chunk < 1) throw new EscrowError('chunk', 'integer', 'must be an integer ≥ 1');
  const logs: Log[] = [];
  for (let from = range.fromBlock; from <= range.toBlock; from += chunk) {
    const to = Math.min(range.toBlock, from + chunk - 1);
    logs.push(...(await provider.getLogs({ ...filter, fromBlock: from, toBlock: to })));
  }
  return logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
}

/**
 * Every wallet's latest registration under `policyId`, from the gate's WalletVerified,
 * EscrowCiphertext and WalletRevoked events (topic1 = policyId). An EscrowCiphertext belongs to
 * the WalletVerified just before it in the same transaction (logIndex − 1, same wallet and
 * nullifier), as the gate emits them.
 */
export async function readRegistrations(provider: Provider, gate: string, policyId: bigint, range: BlockRange): Promise<Map<string, WalletRegistrations>> {
  const logs = await getLogsChunked(provider, { address: gate, topics: [[WALLET_VERIFIED_TOPIC, ESCROW_CIPHERTEXT_TOPIC, WALLET_REVOKED_TOPIC], uint256Topic(policyId)] }, range);
  const wallets = new Map<string, WalletRegistrations>();
  let previous: GateRegistration | undefined;
  for (const log of logs) {
    const topic = log.topics[0];
    if (topic === WALLET_VERIFIED_TOPIC) {
      const parsed = GATE_INTERFACE.parseLog({ topics: [...log.topics], data: log.data })!;
      const nullifier = parsed.args.nullifier as bigint;
      const registration: GateRegistration = {
        wallet: getAddress(parsed.args.wallet as string),
        nullifier,
        investorTag: nullifier & INVESTOR_TAG_MASK,
        verifiedUntil: Number(parsed.args.verifiedUntil),
        issuerId: parsed.args.issuerId as bigint,
        root: parsed.args.root as bigint,
        transaction: log.transactionHash,
        blockNumber: log.blockNumber,
        logIndex: log.index,
      };
      const known = wallets.get(registration.wallet);
      wallets.set(registration.wallet, { latest: registration, revokedAfter: false, count: (known?.count ?? 0) + 1 });
      previous = registration;
    } else if (topic === ESCROW_CIPHERTEXT_TOPIC) {
      const event = decodeEscrowCiphertext(log)!;
      const owner = previous;
      if (owner && owner.transaction === log.transactionHash && owner.logIndex === log.index - 1 && owner.wallet === event.wallet && owner.nullifier === event.nullifier) {
        owner.escrow = { logIndex: log.index, escrowX: event.escrowX, escrowC: event.escrowC };
      }
      previous = undefined;
    } else if (topic === WALLET_REVOKED_TOPIC) {
      const parsed = GATE_INTERFACE.parseLog({ topics: [...log.topics], data: log.data })!;
      const known = wallets.get(getAddress(parsed.args.wallet as string));
      if (known) known.revokedAfter = true;
      previous = undefined;
    }
  }
  return wallets;
}

/** The gate's current registration end of each wallet, as of `blockTag` (0: none). */
export async function readVerifiedUntil(provider: Provider, gate: string, policyId: bigint, wallets: readonly string[], blockTag: number): Promise<Map<string, number>> {
  const contract = new Contract(gate, GATE_ABI, provider);
  const result = new Map<string, number>();
  for (const wallet of wallets) result.set(wallet, Number(await contract.verifiedUntil(policyId, wallet, { blockTag })));
  return result;
}

const ERC20_ABI = [
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function totalSupply() view returns (uint256)',
  'function balanceOf(address) view returns (uint256)',
] as const;
const TRANSFER_TOPIC = new Interface(ERC20_ABI).getEvent('Transfer')!.topicHash;

/** A token and who holds it. */
export interface TokenHolders {
  address: string;
  name: string;
  symbol: string;
  decimals: number;
  totalSupply: bigint;
  /** Every address with a non-zero balance, as of the block. */
  balances: Map<string, bigint>;
}

/**
 * A token's holders as of `range.toBlock`: every address that appears in a Transfer event (other
 * than the zero address) in the range, with its `balanceOf` at that block, kept when non-zero.
 * `range.fromBlock` must not be after the token's deployment, or holders are missed.
 */
export async function readTokenHolders(provider: Provider, token: string, range: BlockRange): Promise<TokenHolders> {
  const contract = new Contract(token, ERC20_ABI, provider);
  const blockTag = range.toBlock;
  let name: string, symbol: string, decimals: number, totalSupply: bigint;
  try {
    [name, symbol, decimals, totalSupply] = await Promise.all([
      contract.name({ blockTag }) as Promise<string>,
      contract.symbol({ blockTag }) as Promise<string>,
      contract.decimals({ blockTag }).then(Number),
      contract.totalSupply({ blockTag }) as Promise<bigint>,
    ]);
  } catch {
    throw new EscrowError('--token', 'erc20', `${token} does not answer as an ERC-20 (name, symbol, decimals, totalSupply) at block ${blockTag}`);
  }
  const logs = await getLogsChunked(provider, { address: token, topics: [TRANSFER_TOPIC] }, range);
  const seen = new Set<string>();
  for (const log of logs) {
    for (const topic of [log.topics[1], log.topics[2]]) {
      if (!topic) continue;
      const address = getAddress('0x' + topic.slice(26));
      if (address !== ZeroAddress) seen.add(address);
    }
  }
  const balances = new Map<string, bigint>();
  for (const address of seen) {
    const balance = (await contract.balanceOf(address, { blockTag })) as bigint;
    if (balance > 0n) balances.set(address, balance);
  }
  return { address: getAddress(token), name, symbol, decimals, totalSupply, balances };
}
