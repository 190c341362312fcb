import type { Signer } from 'ethers';
import { SanctionsList__factory } from '@zkkyc/contracts/typechain';

/**
 * Bringing the on-chain SanctionsList (contracts/src/rules/SanctionsList.sol) to hold a set of
 * addresses — the union of the current lists' Ethereum addresses — in batches, idempotently. Only
 * the pushing oracle's own flags are lifted: a wallet another oracle flagged stays flagged.
 *
 * The chain is the record of what was pushed: every `addSanctioned` / `removeSanctioned` emits
 * `SanctionSet(wallet, sanctioned, oracle)` per wallet, so folding those events in order gives the
 * set on chain. A push (1) waits until the signer has no transaction still pending (one sent by a
 * run that was killed gets mined and counted), (2) reads the set from the events, (3) sends only the
 * difference: additions first (flagging is the urgent direction), then removals, `batchSize`
 * wallets per transaction, each mined before the next is sent, and (4) reads the set again to check
 * it equals the target. A run killed at any point leaves every mined batch on chain; rerunning
 * sends only what is still missing, so nothing is sent twice unless it was in flight at the kill.
 *
 * Refusals (`ChainPushError`, naming the option and the rule): an address that is not 0x + 40 hex;
 * no contract at `list`; a signer without `ORACLE_ROLE`; removing more than `maxRemovalFraction`
 * (default 0.10) of what is on chain unless `confirmRemovals` names that number.
 */

export interface PushOptions {
  signer: Signer;
  /** The SanctionsList's address. */
  list: string;
  /** The addresses the list must hold afterwards (any case; duplicates ignored). */
  target: string[];
  /** Wallets per transaction, 1..500 (default 50). */
  batchSize?: number;
  /** First block to read events from: the list's deployment block (default 0). */
  fromBlock?: number;
  /** Blocks per eth_getLogs request (default 10 000: providers cap the range). */
  logBlockRange?: number;
  maxRemovalFraction?: number;
  confirmRemovals?: number;
  /** How long to wait for the signer's pending transactions before reading the chain (ms, default 120 000). */
  pendingTimeoutMs?: number;
  /** Called after each batch is mined (before the next is sent). */
  onBatch?: (batch: PushedBatch) => void | Promise<void>;
}

export interface PushedBatch {
  /** 1-based, in sending order across both kinds. */
  index: number;
  kind: 'add' | 'remove';
  wallets: string[];
  txHash: string;
  blockNumber: number;
}

export interface PushResult {
  /** How many addresses were on chain before. */
  onChainBefore: number;
  added: string[];
  removed: string[];
  /** Flagged by another oracle and on none of the lists: left as they are (lower-case, sorted). */
  othersKept: string[];
  batches: PushedBatch[];
  /** Read back after the push: every target wallet flagged, and this oracle's flags are exactly the target's. */
  inSync: boolean;
}

export class ChainPushError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    detail: string,
  ) {
    super(`${field}: ${rule}: ${detail}`);
    this.name = 'ChainPushError';
  }
}

/**
 * The set of wallets flagged on the list, folded from its `SanctionSet` events (lower-case), read up
 * to the latest block — and at least up to `throughBlock` (a provider may answer the block number
 * from a short cache, right after a batch was mined).
 */
export async function readOnChainSet(signerOrProvider: Signer | NonNullable<Signer['provider']>, list: string, fromBlock = 0, logBlockRange = 10_000, throughBlock = 0): Promise<Set<string>> {
  return new Set((await readOnChainFlags(signerOrProvider, list, fromBlock, logBlockRange, throughBlock)).keys());
}

/** The wallets flagged on the list, each with the oracle that flagged it last (both lower-case). */
export async function readOnChainFlags(
  signerOrProvider: Signer | NonNullable<Signer['provider']>,
  list: string,
  fromBlock = 0,
  logBlockRange = 10_000,
  throughBlock = 0,
): Promise<Map<string, string>> {
  const contract = SanctionsList__factory.connect(list, signerOrProvider);
  const provider = 'getBlockNumber' in signerOrProvider ? signerOrProvider : signerOrProvider.provider!;
  const latest = Math.max(await provider.getBlockNumber(), throughBlock);
  const flagged = new Map<string, string>();
  for (let from = fromBlock; from <= latest; from += logBlockRange) {
    const to = Math.min(latest, from + logBlockRange - 1);
    const logs = await contract.queryFilter(contract.filters.SanctionSet(), from, to);
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    for (const log of logs) {
      const wallet = log.args.wallet.toLowerCase();
      if (log.args.sanctioned) flagged.set(wallet, log.args.oracle.toLowerCase());
      else flagged.delete(wallet);
    }
  }
  return flagged;
}

/** Waits until the signer has no pending transaction; returns its next nonce. */
async function waitForPending(signer: Signer, timeoutMs: number): Promise<number> {
  const address = await signer.getAddress();
  const provider = signer.provider!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [pending, latest] = await Promise.all([provider.getTransactionCount(address, 'pending'), provider.getTransactionCount(address, 'latest')]);
    if (pending === latest) return latest;
    if (Date.now() > deadline) {
      throw new ChainPushError(
        'signer',
        'no-pending-transactions',
        `${pending - latest} transaction(s) from ${address} are still pending after ${timeoutMs} ms; wait for them (or replace them) and rerun`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Pushes the difference between `target` and the chain; see the module comment. */
export async function pushToChain(options: PushOptions): Promise<PushResult> {
  const { signer, list } = options;
  const batchSize = options.batchSize ?? 50;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 500) throw new ChainPushError('--batch', 'range', 'the batch size must be a whole number from 1 to 500');
  if (!/^0x[0-9a-fA-F]{40}$/.test(list)) throw new ChainPushError('--list', 'address', `"${list}" is not a 0x address`);
  const target = new Set<string>();
  options.target.forEach((a, i) => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new ChainPushError(`target[${i}]`, 'address', `"${a}" is not a 0x address`);
    target.add(a.toLowerCase());
  });
  if (!signer.provider) throw new ChainPushError('signer', 'provider', 'the signer must be connected to a provider');
  if ((await signer.provider.getCode(list)) === '0x') throw new ChainPushError('--list', 'contract', `no contract at ${list}`);
  const contract = SanctionsList__factory.connect(list, signer);
  const oracle = await signer.getAddress();
  if (!(await contract.hasRole(await contract.ORACLE_ROLE(), oracle))) {
    throw new ChainPushError('--key-env', 'oracle-role', `${oracle} does not hold ORACLE_ROLE on ${list}; the list's admin grants it with grantRole(ORACLE_ROLE, ${oracle})`);
  }

  // The nonce is counted here, not asked per transaction: a provider's short request cache could
  // answer the previous transaction's nonce again.
  let nonce = await waitForPending(signer, options.pendingTimeoutMs ?? 120_000);
  const fromBlock = options.fromBlock ?? 0;
  const flags = await readOnChainFlags(signer, list, fromBlock, options.logBlockRange);
  const onChain = new Set(flags.keys());
  const self = oracle.toLowerCase();
  const toAdd = [...target].filter((a) => !onChain.has(a)).sort();
  // The push lifts only the flags its own oracle set: a wallet another oracle flagged (by hand, or
  // from another source) is not on these lists, and is that oracle's to lift.
  const toRemove = [...flags]
    .filter(([a, by]) => by === self && !target.has(a))
    .map(([a]) => a)
    .sort();
  const othersKept = [...flags]
    .filter(([a, by]) => by !== self && !target.has(a))
    .map(([a]) => a)
    .sort();

  const maxFraction = options.maxRemovalFraction ?? 0.1;
  if (onChain.size > 0 && toRemove.length / onChain.size > maxFraction && options.confirmRemovals !== toRemove.length) {
    throw new ChainPushError(
      '--confirm-removals',
      'removal-limit',
      `the push would unflag ${toRemove.length} of ${onChain.size} wallets on chain (above the limit of ${maxFraction * 100}%); nothing was sent. If that is intended, rerun with --confirm-removals ${toRemove.length}`,
    );
  }

  const batches: PushedBatch[] = [];
  const send = async (kind: PushedBatch['kind'], wallets: string[]) => {
    const overrides = { nonce: nonce++ };
    const tx = kind === 'add' ? await contract.addSanctioned(wallets, overrides) : await contract.removeSanctioned(wallets, overrides);
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new ChainPushError('--list', 'transaction', `${kind} batch ${tx.hash} failed`);
    const batch: PushedBatch = { index: batches.length + 1, kind, wallets, txHash: tx.hash, blockNumber: receipt.blockNumber };
    batches.push(batch);
    await options.onBatch?.(batch);
  };
  for (const wallets of chunks(toAdd, batchSize)) await send('add', wallets);
  for (const wallets of chunks(toRemove, batchSize)) await send('remove', wallets);

  const after = batches.length === 0 ? flags : await readOnChainFlags(signer, list, fromBlock, options.logBlockRange, batches.at(-1)!.blockNumber);
  // In sync: every listed wallet flagged, and no flag of this oracle's outside the lists.
  const inSync = [...target].every((a) => after.has(a)) && [...after].every(([a, by]) => by !== self || target.has(a));
  return { onChainBefore: onChain.size, added: toAdd, removed: toRemove, othersKept, batches, inSync };
}
