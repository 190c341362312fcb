import type { ChainEvent } from '../model.js';
import type { MonitoredContracts } from '../config.js';
import type { Cursor, IndexedBlock, MonitorStore, RewindResult, StoreSession } from '../store/monitor-store.js';
import type { ChainClient } from './chain-client.js';
import { decodeLog, sourcesOf } from './contract-events.js';
import { Interface, type Log } from 'ethers';
import { ComplianceGate__factory, PermissionedToken__factory } from '@zkkyc/contracts/typechain';

/** What the registration backfill below START_BLOCK reads (Indexer.backfillRegistrations). */
const BACKFILL_EVENTS = { gate: ['WalletVerified', 'WalletRevoked', 'EscrowCiphertext'], token: ['PolicyIdChanged'] } as const;
const BACKFILL_ABIS = { gate: new Interface(ComplianceGate__factory.abi), token: new Interface(PermissionedToken__factory.abi) };
const topicOf = (source: 'gate' | 'token', name: string): string => BACKFILL_ABIS[source].getEvent(name)!.topicHash;

/**
 * The indexer: follows the token, the gate, the registry (and the SanctionsList, if configured)
 * block range by block range, `confirmations` deep, into the store.
 *
 * One batch is one transaction: its events, the blocks' hashes, the wallet→investor map, whatever
 * the `onBatch` consumers write (rule hits, cases, scores) and the cursor move commit together or
 * not at all. A process killed at any point restarts from the last committed cursor and re-reads
 * the batch it lost; the events' primary key (chain, tx, log index) makes a repeat impossible anyway.
 *
 * Reorgs: before each batch the stored hash of the cursor block is compared with the node's. When
 * they differ (or the node no longer has that block), the indexer walks its stored block hashes
 * down to the highest one the node still agrees with — the fork point — and, in one transaction,
 * removes everything above it (store.rewindTo) and calls `onRewind`; the next batches re-read the
 * new chain. A log whose block hash differs from the block's (the chain moved while a batch was
 * read) aborts the batch before anything is written.
 *
 * An RPC error ends the pass: nothing of the batch was written; `start()`'s loop logs it once,
 * retries with exponential backoff and logs again when the node answers.
 */

export interface BatchInfo {
  chainId: number;
  fromBlock: number;
  toBlock: number;
}

export interface IndexerHooks {
  /**
   * Called inside the batch's transaction, after its events were written and before it commits:
   * write derived rows (rule hits, cases, scores) through `tx` and they commit with the events. A
   * throw rolls the batch back and the indexer retries it. Called for empty batches too (time-based
   * rules can use them); `events` are in chain order.
   */
  onBatch?(tx: StoreSession, events: ChainEvent[], batch: BatchInfo): Promise<void>;
  /**
   * Called inside the rewind's transaction, after everything above `fork` was removed; `removed` is
   * store.rewindTo's answer (the withdrawn hits with their cases).
   */
  onRewind?(tx: StoreSession, fork: Cursor, removed: { events: number; hits: number; withdrawn?: RewindResult['withdrawn'] }): Promise<void>;
  /**
   * Called after a batch committed — the place for effects outside the database (on-chain
   * actions), which must not happen for a batch that might still roll back.
   */
  afterCommit?(events: ChainEvent[], batch: BatchInfo): Promise<void>;
}

export interface IndexerOptions {
  store: MonitorStore;
  chain: ChainClient;
  contracts: MonitoredContracts;
  /** Blocks an event must be deep, its own block counting as one (default 2). */
  confirmations?: number;
  /** Where to begin without a cursor (default 0). */
  startBlock?: number;
  /** Blocks per getLogs request of the registration backfill below `startBlock` (default 10 000; filtered by event, so sparse). */
  backfillChunkBlocks?: number;
  /** Blocks per batch (default 500). */
  batchBlocks?: number;
  /** Blocks per eth_getLogs (default 100). */
  logsChunkBlocks?: number;
  /** Pause between polls when caught up (default 2000 ms). */
  pollIntervalMs?: number;
  /** Backoff after an error: first delay and ceiling (default 1 s, 30 s). */
  backoff?: { initialMs: number; maxMs: number };
  hooks?: IndexerHooks;
  /** Block hashes kept for reorg detection, in blocks behind the cursor (default 10 000). */
  keepBlockHashes?: number;
  /** Log lines (default console). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Tests only: awaited inside the batch transaction after everything was written, before COMMIT. */
  beforeCommit?: (batch: BatchInfo) => Promise<void>;
}

export type SyncResult =
  | { kind: 'batch'; fromBlock: number; toBlock: number; events: number }
  | { kind: 'backfill'; toBlock: number; registrations: number }
  | { kind: 'rewind'; fork: number; removed: number }
  | { kind: 'idle'; head: number };

export interface IndexerStatus {
  running: boolean;
  chainId: number | null;
  cursor: number | null;
  /** The node's head at the last successful poll. */
  head: number | null;
  /** Consecutive failed passes (0 when the node answers). */
  failures: number;
  lastError: string | null;
}

/** Thrown when a log's block hash is not the block's: the chain moved while the batch was read. */
export class ChainMovedError extends Error {
  constructor(block: number) {
    super(`block ${block} changed while the batch was read (a reorg in progress); retrying`);
    this.name = 'ChainMovedError';
  }
}

export class Indexer {
  private readonly confirmations: number;
  private readonly startBlock: number;
  private readonly batchBlocks: number;
  private readonly logsChunkBlocks: number;
  private readonly backfillChunkBlocks: number;
  private warnedStartAhead = false;
  private readonly pollIntervalMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly sources;
  private readonly addresses: string[];
  private readonly log: NonNullable<IndexerOptions['log']>;
  private chainIdValue: number | null = null;
  private head: number | null = null;
  private cursorValue: number | null = null;
  private failures = 0;
  private lastError: string | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: IndexerOptions) {
    this.confirmations = options.confirmations ?? 2;
    if (!Number.isInteger(this.confirmations) || this.confirmations < 1) throw new Error('confirmations must be an integer ≥ 1 (its own block counts as one)');
    this.startBlock = options.startBlock ?? 0;
    this.batchBlocks = options.batchBlocks ?? 500;
    this.logsChunkBlocks = Math.min(options.logsChunkBlocks ?? 100, this.batchBlocks);
    this.backfillChunkBlocks = options.backfillChunkBlocks ?? 10_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.backoff = options.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    this.sources = sourcesOf(options.contracts);
    this.addresses = [...this.sources.keys()];
    this.log = options.log ?? ((level, message) => console[level](`[monitor] indexer: ${message}`));
  }

  status(): IndexerStatus {
    return { running: this.loop !== null, chainId: this.chainIdValue, cursor: this.cursorValue, head: this.head, failures: this.failures, lastError: this.lastError };
  }

  /** One step: a rewind if the chain reorganised under the cursor, else one batch, else nothing (caught up). */
  async syncOnce(): Promise<SyncResult> {
    const { store, chain } = this.options;
    const chainId = (this.chainIdValue ??= await chain.chainId());
    const cursor = await store.cursor(chainId);
    this.cursorValue = cursor?.blockNumber ?? null;
    if (!cursor && this.startBlock > 0) return this.backfillRegistrations(chainId);
    if (cursor && cursor.blockNumber >= this.startBlock) {
      const nodeBlock = await chain.block(cursor.blockNumber);
      if (!nodeBlock || nodeBlock.hash !== cursor.blockHash) return this.rewind(chainId, cursor);
    }
    const head = await chain.blockNumber();
    this.head = head;
    const finalTip = head - this.confirmations + 1;
    const from = cursor && cursor.blockNumber >= this.startBlock ? cursor.blockNumber + 1 : this.startBlock;
    if (from > finalTip) return { kind: 'idle', head };
    const to = Math.min(finalTip, from + this.batchBlocks - 1);

    const logs = [];
    for (let start = from; start <= to; start += this.logsChunkBlocks) {
      logs.push(...(await chain.logs(this.addresses, start, Math.min(to, start + this.logsChunkBlocks - 1))));
    }
    const { blocks, events } = await this.decodeLogs(chainId, logs, to);
    const batch: BatchInfo = { chainId, fromBlock: from, toBlock: to };
    const end = blocks.get(to)!;
    await store.transaction(async (tx) => {
      await tx.writeBatch(chainId, events, [...blocks.values()], { chainId, blockNumber: to, blockHash: end.hash });
      await tx.pruneBlocks(chainId, to - (this.options.keepBlockHashes ?? 10_000));
      await this.options.hooks?.onBatch?.(tx, events, batch);
      await this.options.beforeCommit?.(batch);
    });
    this.cursorValue = to;
    await this.options.hooks?.afterCommit?.(events, batch);
    return { kind: 'batch', fromBlock: from, toBlock: to, events: events.length };
  }

  /**
   * The blocks the logs sit in (and block `to`, the cursor's), and the logs decoded into events in
   * chain order. A log whose block hash is not the node's answer for its block means the chain moved
   * while it was read (ChainMovedError: the step is retried).
   */
  private async decodeLogs(chainId: number, logs: Log[], to: number): Promise<{ blocks: Map<number, IndexedBlock>; events: ChainEvent[] }> {
    const numbers = [...new Set([...logs.map((l) => l.blockNumber), to])].sort((a, b) => a - b);
    const blocks = new Map<number, IndexedBlock>();
    for (const n of numbers) {
      const b = await this.options.chain.block(n);
      if (!b) throw new ChainMovedError(n);
      blocks.set(n, b);
    }
    const events: ChainEvent[] = [];
    for (const l of logs) {
      const block = blocks.get(l.blockNumber)!;
      if (l.blockHash.toLowerCase() !== block.hash) throw new ChainMovedError(l.blockNumber);
      const event = decodeLog(l, chainId, block.time, this.sources);
      if (event) events.push(event);
      else this.log('warn', `skipped a log of ${l.address} in tx ${l.transactionHash} (#${l.index}): not an event of the contract's ABI (topic ${l.topics[0]})`);
    }
    events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    return { blocks, events };
  }

  /**
   * Before a store's first batch from a START_BLOCK above 0: the gate's registrations and revocations
   * (and the token's policy changes) below it, so that wallets registered before START_BLOCK have
   * their investor tags — else every transfer of an investor who registered earlier would count as
   * an unregistered wallet's, and the investor's wallets would not add up. One transaction, with the
   * cursor at START_BLOCK − 1: a crash leaves nothing and the next start reads them again. Rules do
   * not see these events (no onBatch): their windows start at START_BLOCK.
   */
  private async backfillRegistrations(chainId: number): Promise<SyncResult> {
    const { store, chain } = this.options;
    const to = this.startBlock - 1;
    const head = await chain.blockNumber();
    this.head = head;
    // Backfilled blocks are below the cursor, where no reorg is looked for: they must be final.
    if (to > head - this.confirmations + 1) {
      // Not a reorg: the node is not there yet (or START_BLOCK is a typo); wait, and say so once.
      if (!this.warnedStartAhead) this.log('warn', `START_BLOCK ${this.startBlock} is above the node's final head ${head - this.confirmations + 1}: waiting for the chain to reach it`);
      this.warnedStartAhead = true;
      return { kind: 'idle', head };
    }
    const gate = this.options.contracts.gate.toLowerCase();
    const token = this.options.contracts.token.toLowerCase();
    const topics = [...BACKFILL_EVENTS.gate.map((n) => topicOf('gate', n)), ...BACKFILL_EVENTS.token.map((n) => topicOf('token', n))];
    const logs = [];
    for (let start = 0; start <= to; start += this.backfillChunkBlocks) {
      logs.push(...(await chain.logs([gate, token], start, Math.min(to, start + this.backfillChunkBlocks - 1), topics)));
    }
    const { blocks, events } = await this.decodeLogs(chainId, logs, to);
    await store.transaction(async (tx) => {
      await tx.writeBatch(chainId, events, [...blocks.values()], { chainId, blockNumber: to, blockHash: blocks.get(to)!.hash });
      await tx.audit('indexer', 'registration-backfill', 'store', String(chainId), { toBlock: to, events: events.length });
    });
    this.cursorValue = to;
    const registrations = events.filter((e) => e.name === 'WalletVerified').length;
    this.log(
      'info',
      `START_BLOCK ${this.startBlock}: read the gate's registrations below it (${registrations} registration(s), ${events.length} event(s) in all), so earlier investors keep their tags`,
    );
    return { kind: 'backfill', toBlock: to, registrations };
  }

  /** Finds the highest stored block the node still has, and removes everything indexed above it. */
  private async rewind(chainId: number, cursor: Cursor): Promise<SyncResult> {
    const { store, chain } = this.options;
    let fork: Cursor = { chainId, blockNumber: this.startBlock - 1, blockHash: '' };
    let below = cursor.blockNumber;
    search: for (;;) {
      const stored = await store.indexedBlocks(chainId, below, 64);
      for (const b of stored) {
        const nodeBlock = await chain.block(b.number);
        if (nodeBlock && nodeBlock.hash === b.hash) {
          fork = { chainId, blockNumber: b.number, blockHash: b.hash };
          break search;
        }
      }
      if (stored.length < 64) break;
      below = stored.at(-1)!.number - 1;
    }
    const removed = await store.transaction(async (tx) => {
      const r = await tx.rewindTo(chainId, fork);
      await this.options.hooks?.onRewind?.(tx, fork, r);
      return r;
    });
    this.cursorValue = fork.blockNumber;
    this.log(
      'warn',
      `reorg: block ${cursor.blockNumber} is no longer ${cursor.blockHash}; rewound to block ${fork.blockNumber} (${removed.events} event(s), ${removed.hits} rule hit(s) removed), re-reading`,
    );
    return { kind: 'rewind', fork: fork.blockNumber, removed: removed.events };
  }

  /** Runs batches until caught up (tests and the bench; `start()` is the service's loop). */
  async catchUp(): Promise<SyncResult[]> {
    const results: SyncResult[] = [];
    for (;;) {
      const r = await this.syncOnce();
      results.push(r);
      if (r.kind === 'idle') return results;
    }
  }

  /** Follows the chain until `stop()`: batches back to back, a poll pause when caught up, backoff on errors. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run().finally(() => {
      this.loop = null;
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const r = await this.syncOnce();
        if (this.failures > 0) this.log('info', `the node answers again after ${this.failures} failed attempt(s); resuming from block ${this.cursorValue ?? this.startBlock}`);
        this.failures = 0;
        this.lastError = null;
        if (r.kind === 'idle') await this.sleep(this.pollIntervalMs);
      } catch (err) {
        this.failures++;
        this.lastError = (err as Error).message;
        const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.failures - 1, 20));
        const what = err instanceof ChainMovedError ? err.message : `pass failed (${summarise(err)})`;
        // One line per failure while it lasts; nothing of the failed batch was written.
        this.log(this.failures === 1 ? 'warn' : 'error', `${what}; nothing written, cursor stays at ${this.cursorValue ?? 'none'}; retry ${this.failures} in ${delay} ms`);
        await this.sleep(delay);
      }
    }
  }
}

/** An error in one line: ethers' errors carry a code and a short message before their long JSON. */
function summarise(err: unknown): string {
  const e = err as { code?: string; shortMessage?: string; message?: string };
  const text = e.shortMessage ?? e.message ?? String(err);
  return `${e.code ? `${e.code}: ` : ''}${text.split('\n')[0].slice(0, 200)}`;
}
