import { ApiError } from './api-error.js';
import type { RootAnchor } from './root-anchor.js';
import type { AuditEventRecord, IssuerStore, RootPublicationRecord } from './store/issuer-store.js';
import type { PublisherElection } from './store/instance-lock.js';
import type { RootAnchoringLog } from './store/root-anchorings.js';
import type { Actor } from './services/reviewer-auth.js';
import type { Clock } from './services/clock.js';
import type { MerkleTree } from './services/issuer-tree.js';
import type { TreeChunkService } from './services/tree-chunks.js';

/** One chain the roots go to: a name (the key of its `root_anchorings` rows) and its anchor. */
export interface AnchorChain {
  name: string;
  anchor: RootAnchor;
}

/** The chain name a single `anchor` (ANCHOR_RPC_URL & co.) is recorded under. */
export const DEFAULT_CHAIN_NAME = 'default';

/** Default bound on one chain's call (a node that accepts the connection and never answers must not stall the others). */
export const DEFAULT_CHAIN_TIMEOUT_MS = 60_000;

export interface PublisherOptions {
  /** One chain (recorded as `default`); or `chains` for several. */
  anchor?: RootAnchor;
  /** The chains every root goes to, each on its own: one that is down does not hold up the others. */
  chains?: AnchorChain[];
  /**
   * Per-chain records (`root_anchorings`). Without it only the latest publication is compared, which
   * is enough for a single chain (tests building a publisher by hand).
   */
  anchorings?: RootAnchoringLog;
  store: IssuerStore;
  /** Not read: the root and leaf count come from the store (`treeState()`); accepted so existing callers compile. */
  tree?: MerkleTree;
  clock: Clock;
  /** Whether this instance may publish (Postgres: the publisher election). Default: always. */
  election?: PublisherElection;
  /** Period of the background publication; 0 = only on demand. */
  intervalMs: number;
  /** Attempts per publication before giving up until the next tick or call. */
  attempts?: number;
  /** Delay before the 2nd attempt; doubles after each failure. */
  retryDelayMs?: number;
  /** Longest one chain call may take before it counts as failed (default DEFAULT_CHAIN_TIMEOUT_MS). */
  chainTimeoutMs?: number;
  log?: (message: string, err?: unknown) => void;
  /**
   * Tree chunks (services/tree-chunks.ts): captured right after the root is read, and served once
   * that root is the latest recorded publication (and only if the capture is of that root).
   */
  chunks?: Pick<TreeChunkService, 'capture' | 'serve'> & Partial<Pick<TreeChunkService, 'prune'>>;
}

export type PublishOutcome =
  | { status: 'published'; root: bigint; leafCount: number; txHash: string; chains?: ChainOutcome[] }
  /** The latest recorded publication already has this root (on every chain). */
  | { status: 'unchanged'; root: bigint; leafCount: number; chains?: ChainOutcome[] }
  /** Unchanged, but the anchor was told it is still current so it does not go stale. */
  | { status: 'confirmed'; root: bigint; leafCount: number; txHash: string; chains?: ChainOutcome[] }
  /** The anchor already holds this root (e.g. a publication whose record a crash lost): recorded, not re-sent. */
  | { status: 'already-anchored'; root: bigint; leafCount: number; chains?: ChainOutcome[] }
  /** Nothing was ever issued: an empty tree is not worth a transaction. */
  | { status: 'empty'; root: bigint; leafCount: 0 };

/** What one chain did with the root in one publication. */
export type ChainOutcome =
  { chain: string; status: 'published' | 'confirmed'; txHash: string } | { chain: string; status: 'already-anchored' | 'unchanged' } | { chain: string; status: 'failed'; error: string };

/** One chain as the status route shows it. */
export interface ChainStatus {
  chain: string;
  /** The latest root recorded on this chain, decimal; null before the first. */
  anchoredRoot: string | null;
  anchoredAt: number | null;
  /** True when the chain holds the store's current root. */
  current: boolean;
  /** Milliseconds since the store's current root was first recorded on any chain and this chain still lacks it; 0 when current. */
  lagMs: number;
  /** The last attempt's error, until the chain succeeds again. */
  lastError: string | null;
}

/** Who the periodic publication acts as in the audit trail. */
export const INTERVAL_PUBLISHER: Actor = { name: 'publisher (interval)', role: 'publisher' };

/** The last attempt's error, after all retries failed. */
export class PublishError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * `POST /tree/publish` on an instance that is not the elected publisher (rule `elected-publisher`):
 * only the instance holding the Postgres publisher lock writes to the chains, so two instances never
 * send roots at once. The caller retries against another instance, or waits for the interval.
 */
export function notPublisherError(): ApiError {
  return new ApiError(
    409,
    'not_publisher',
    'this instance is not the elected root publisher (rule elected-publisher: only the instance holding the publisher lock anchors roots; GET /health says which one is, and it publishes on its interval)',
    undefined,
    'elected-publisher',
  );
}

/**
 * The tree as the store records it (`tree_state`), never the process's memory: with several
 * instances on one database, another instance may have appended since this one last looked.
 */
async function readTreeState(store: IssuerStore): Promise<{ root: bigint; leafCount: number }> {
  const state = await store.treeState();
  return { root: BigInt(state.root), leafCount: Number(state.leafCount) };
}

/**
 * Publishes the issuer tree's root through its anchors, in batches: issuing and revoking only
 * change the tree; the publisher sends whatever the store's root is when it runs (every
 * `intervalMs`, or on `publishNow()`), so many changes cost one transaction per chain.
 *
 * Idempotent per chain, across restarts and hand-overs: before sending to a chain it asks the chain
 * for its current root, so the same root is never sent twice; the chain's records
 * (`root_anchorings`) say what it holds for the status route. The chains are written to side by side and fail on their own: one that is down is retried
 * on every tick and receives the latest root when it is back. A root is recorded as published
 * (`root_publications`, the audit trail) once it is on at least one chain.
 *
 * With an election (several instances on one Postgres), only the elected instance publishes, and it
 * confirms the lock right before each chain write.
 */
export class RootPublisher {
  private timer: NodeJS.Timeout | null = null;
  /** Each chain's run in flight (settled, never rejects): a chain's runs never overlap. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Publications in progress (settled, never reject). */
  private readonly running = new Set<Promise<void>>();
  /** Recording a publication, one at a time (two chains may take the same root at once). */
  private recording: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly chains: AnchorChain[];
  private readonly lastErrors = new Map<string, string>();

  constructor(private readonly opts: PublisherOptions) {
    this.chains = opts.chains ?? (opts.anchor ? [{ name: DEFAULT_CHAIN_NAME, anchor: opts.anchor }] : []);
    if (this.chains.length === 0) throw new Error('RootPublisher: needs an anchor or at least one chain');
    const names = new Set(this.chains.map((c) => c.name));
    if (names.size !== this.chains.length) throw new Error('RootPublisher: two chains share a name');
    // A new publisher publishes at once rather than an interval later (the hand-over bound).
    opts.election?.onChange((elected) => {
      if (elected && !this.stopped && this.timer) this.publishNow().catch((err) => this.opts.log?.('root publication after election failed; will retry next tick', err));
    });
  }

  /** True while this instance is the one that publishes. */
  get isPublisher(): boolean {
    return this.opts.election?.elected ?? true;
  }

  /** Starts the periodic publication (no-op when `intervalMs` is 0). Ticks on a non-publisher do nothing. */
  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (!this.isPublisher) return;
      this.tick().catch((err) => this.opts.log?.('root publication failed; will retry next tick', err));
    }, this.opts.intervalMs);
    // The timer alone must not keep a finished process alive.
    this.timer.unref();
  }

  /**
   * Publishes the store's current root on every chain that lacks it. On each chain a call waits for
   * that chain's run in flight, so a call made after a change always covers that change. `actor` is who asked (a reviewer key
   * through `POST /tree/publish`; the interval otherwise): every outcome that records something — a
   * publication, a root found already anchored, a confirmation — writes its audit event with the
   * record, in the same transaction; `unchanged` and `empty` record nothing. Rejects with
   * `not_publisher` (409) on an instance that is not the elected publisher, and with PublishError
   * when no chain took the root.
   */
  publishNow(actor: Actor = INTERVAL_PUBLISHER): Promise<PublishOutcome> {
    if (!this.isPublisher) return Promise.reject(notPublisherError());
    return this.track(this.publishOnce(actor, false));
  }

  /**
   * One interval tick: like `publishNow`, but a chain whose previous run is still in flight (a slow or
   * hanging node) is skipped rather than queued behind, so it never holds up the other chains' roots.
   */
  tick(actor: Actor = INTERVAL_PUBLISHER): Promise<PublishOutcome | null> {
    if (!this.isPublisher) return Promise.resolve(null);
    return this.track(this.publishOnce(actor, true));
  }

  /** Keeps `run` until it settles, for `stop()` to wait on. */
  private track<T>(run: Promise<T>): Promise<T> {
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return run;
  }

  /** True when the store's tree has changed since the last recorded publication. */
  async hasUnpublishedChanges(): Promise<boolean> {
    const latest = await this.opts.store.latestRootPublication();
    const state = await readTreeState(this.opts.store);
    if (state.leafCount === 0) return false;
    return latest === null || BigInt(latest.root) !== state.root;
  }

  /** Each chain's latest recorded root and how far behind the store's current root it is. */
  async chainStatus(): Promise<ChainStatus[]> {
    const { anchorings, store, clock } = this.opts;
    const state = await readTreeState(store);
    const latest = await store.latestRootPublication();
    const now = clock.now();
    return Promise.all(
      this.chains.map(async ({ name }) => {
        const record = anchorings ? await anchorings.latest(name) : latest && { root: latest.root, anchoredAt: latest.publishedAt };
        const current = state.leafCount === 0 || (record !== null && BigInt(record.root) === state.root);
        // Lag counts from when another chain first took the current root (or from this chain's own last record).
        const since = latest && BigInt(latest.root) === state.root ? latest.publishedAt : (record?.anchoredAt ?? null);
        return {
          chain: name,
          anchoredRoot: record?.root ?? null,
          anchoredAt: record?.anchoredAt ?? null,
          current,
          lagMs: current || since === null ? 0 : Math.max(0, now - since),
          lastError: this.lastErrors.get(name) ?? null,
        };
      }),
    );
  }

  /** Stops the timer and waits for the publications in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.running, ...this.inFlight.values(), this.recording]);
  }

  private async publishOnce(actor: Actor, skipBusy: true): Promise<PublishOutcome | null>;
  private async publishOnce(actor: Actor, skipBusy: false): Promise<PublishOutcome>;
  private async publishOnce(actor: Actor, skipBusy: boolean): Promise<PublishOutcome | null> {
    const { store, clock } = this.opts;
    const audit = (at: number, detail: { status: PublishOutcome['status']; root: bigint; leafCount: number; txHash: string | null; chains?: ChainOutcome[] }): AuditEventRecord => ({
      at,
      actor: actor.name,
      role: actor.role,
      action: 'publish',
      subjectType: 'tree',
      subjectId: null,
      detail: { ...detail, root: detail.root.toString() },
    });
    // Snapshot: the tree may change while the transactions are in flight; we record what we sent.
    const { root, leafCount } = await readTreeState(store);
    if (leafCount === 0) return { status: 'empty', root, leafCount: 0 };
    // The tree's nodes as the store holds them (no hashing); served only when they are of this root.
    const captured = (await this.opts.chunks?.capture()) ?? null;
    const serveChunks = () => {
      if (!captured || captured.root !== root) return;
      this.opts.chunks!.serve(captured);
      // The stored files no recent publication needs go (in the background: serving does not wait).
      this.opts.chunks!.prune?.().catch((err) => this.opts.log?.('pruning the stored tree files failed; the next publication retries', err));
    };
    const latest = await store.latestRootPublication();
    const recordedAlready = latest !== null && BigInt(latest.root) === root;
    const multi = this.chains.length > 1;

    // The first chain to hold the root records the publication (and its files are served) at once,
    // not once the slowest chain answers; the others' outcomes follow in the answer.
    const recordedHere = { by: null as string | null };
    const recordOnce = (outcome: ChainOutcome): Promise<void> => {
      const run = this.recording.then(async () => {
        const current = await store.latestRootPublication();
        if (current === null || BigInt(current.root) !== root) {
          const at = clock.now();
          const txHash = outcome.status === 'published' ? outcome.txHash : null;
          const record: RootPublicationRecord = { root: root.toString(), leafCount, txHash, publishedAt: at };
          await store.recordRootPublication(record, audit(at, { status: txHash ? 'published' : 'already-anchored', root, leafCount, txHash, chains: multi ? [outcome] : undefined }));
          recordedHere.by = outcome.chain;
        }
        serveChunks();
      });
      this.recording = run.catch(() => undefined);
      return run;
    };
    const runs = this.chains.map((chain) =>
      this.exclusive(chain, skipBusy, async () => {
        const outcome = await this.publishOnChain(chain, root, leafCount, recordedAlready);
        if (outcome.status !== 'failed') await recordOnce(withoutCause(outcome));
        return outcome;
      }),
    );
    const outcomes = (await Promise.all(runs)).filter((o): o is ChainOutcome & { cause?: unknown } => o !== null);
    // Every chain still busy with an earlier run: nothing ran (only ticks skip).
    if (outcomes.length === 0) return null;
    // What each chain did, for the answer and the audit event (without the error objects).
    const chains = multi ? outcomes.map(withoutCause) : undefined;
    const failed = outcomes.filter((o) => o.status === 'failed');
    if (failed.length === outcomes.length) {
      const first = failed[0] as Extract<ChainOutcome, { status: 'failed' }> & { cause?: unknown };
      // The election was lost mid-way: that, not a chain error, is the answer.
      const lostElection = failed.find((f) => (f as { cause?: unknown }).cause instanceof ApiError);
      if (lostElection) throw (lostElection as { cause: ApiError }).cause;
      if (!multi && first.cause instanceof PublishError) throw first.cause;
      throw new PublishError(
        multi ? `no chain took root ${root}: ${failed.map((f) => `${f.chain}: ${(f as { error: string }).error}`).join('; ')}` : first.error,
        first.cause ?? new Error(first.error),
      );
    }
    type Sent = { chain: string; status: 'published' | 'confirmed'; txHash: string };
    const sent = outcomes.find((o): o is Sent => o.status === 'published');
    const confirmed = outcomes.find((o): o is Sent => o.status === 'confirmed');

    if (recordedHere.by !== null) {
      // Another chain sent after the one that recorded the publication: its send goes in the audit trail too.
      const sentElsewhere = outcomes.find((o): o is Sent => o.status === 'published' && o.chain !== recordedHere.by);
      if (sentElsewhere) await store.recordAudit(audit(clock.now(), { status: 'published', root, leafCount, txHash: sentElsewhere.txHash, chains }));
      return sent ? { status: 'published', root, leafCount, txHash: sent.txHash, ...(chains ? { chains } : {}) } : { status: 'already-anchored', root, leafCount, ...(chains ? { chains } : {}) };
    }
    // Recorded before (e.g. after a restart with no change since, or by an earlier run).
    if (sent) {
      // A chain that was behind caught up: its send is recorded in the audit trail, not as a new publication.
      await store.recordAudit(audit(clock.now(), { status: 'published', root, leafCount, txHash: sent.txHash, chains }));
      return { status: 'published', root, leafCount, txHash: sent.txHash, ...(chains ? { chains } : {}) };
    }
    if (!confirmed) return { status: 'unchanged', root, leafCount, ...(chains ? { chains } : {}) };
    // A confirmation stores no publication row: its audit event is the only record.
    await store.recordAudit(audit(clock.now(), { status: 'confirmed', root, leafCount, txHash: confirmed.txHash, chains }));
    return { status: 'confirmed', root, leafCount, txHash: confirmed.txHash, ...(chains ? { chains } : {}) };
  }

  /**
   * Runs `work` as `chain`'s only run: after the one in flight, or — `skipBusy`, a tick — not at all
   * (null) while one is in flight, so ticks do not pile up behind a chain that hangs.
   */
  private exclusive<T>(chain: AnchorChain, skipBusy: boolean, work: () => Promise<T>): Promise<T | null> {
    const previous = this.inFlight.get(chain.name);
    if (previous && skipBusy) return Promise.resolve(null);
    const run = (previous ?? Promise.resolve()).then(work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.set(chain.name, settled);
    void settled.then(() => {
      if (this.inFlight.get(chain.name) === settled) this.inFlight.delete(chain.name);
    });
    return run;
  }

  /**
   * One chain. The chain itself says whether it holds the root (its record alone could be stale: a
   * receipt lost when the node went down, or a publisher that lost the election finishing a send of
   * an older root); it is asked on every tick, one read. Holding it: record it if unrecorded, and
   * confirm it if aging. Else send it. A failure stays on this chain.
   */
  private async publishOnChain(chain: AnchorChain, root: bigint, leafCount: number, recordedAlready: boolean): Promise<ChainOutcome & { cause?: unknown }> {
    const { anchorings, clock } = this.opts;
    const { anchor } = chain;
    try {
      const record = anchorings ? await anchorings.latest(chain.name) : null;
      const recorded = anchorings ? record !== null && BigInt(record.root) === root : recordedAlready;
      let outcome: ChainOutcome;
      const anchored = await this.onChain(chain, () => anchor.currentRoot());
      if (anchored === root) {
        if (!recorded) await anchorings?.record({ chain: chain.name, root: root.toString(), txHash: null, anchoredAt: clock.now() });
        const confirmed = recorded && anchor.confirmIfAging ? await this.onChain(chain, () => this.guarded(() => anchor.confirmIfAging!(root))) : null;
        outcome = confirmed ? { chain: chain.name, status: 'confirmed', txHash: confirmed.txHash } : { chain: chain.name, status: recorded ? 'unchanged' : 'already-anchored' };
      } else {
        let attempt = 0;
        const sent = await this.onChain(chain, async () => {
          // A send that timed out may still have landed: ask the chain before sending it again.
          if (attempt++ > 0 && (await anchor.currentRoot()) === root) return null;
          return this.guarded(() => anchor.publishRoot(root, leafCount));
        });
        outcome = sent ? { chain: chain.name, status: 'published', txHash: sent.txHash } : { chain: chain.name, status: recorded ? 'unchanged' : 'already-anchored' };
        await anchorings?.record({ chain: chain.name, root: root.toString(), txHash: sent?.txHash ?? null, anchoredAt: clock.now() });
      }
      this.lastErrors.delete(chain.name);
      return outcome;
    } catch (err) {
      const error = describeChainError(err);
      this.lastErrors.set(chain.name, error);
      if (this.chains.length > 1) this.opts.log?.(`chain ${chain.name}: root ${root} not anchored; retrying next tick`, redactedError(err));
      return { chain: chain.name, status: 'failed', error, cause: err };
    }
  }

  /** Refuses the write when this instance is no longer the elected publisher (checked on the lock's connection). */
  private async guarded<T>(write: () => Promise<T>): Promise<T> {
    const { election } = this.opts;
    if (election && !(await election.confirm())) throw notPublisherError();
    return write();
  }

  /** Retries with backoff; each attempt bounded by the chain timeout. Never retries a lost election. */
  private async onChain<T>(chain: AnchorChain, op: () => Promise<T>): Promise<T> {
    const attempts = Math.max(1, this.opts.attempts ?? 3);
    const timeoutMs = this.opts.chainTimeoutMs ?? DEFAULT_CHAIN_TIMEOUT_MS;
    let delay = this.opts.retryDelayMs ?? 1000;
    let lastError: unknown;
    for (let i = 1; i <= attempts; i++) {
      try {
        return await withTimeout(op(), timeoutMs, `chain ${chain.name}: no answer within ${timeoutMs} ms`);
      } catch (err) {
        lastError = err;
        if (err instanceof ApiError) throw err;
        this.opts.log?.(`root anchor call failed on chain ${chain.name} (attempt ${i}/${attempts})`, redactedError(err));
        if (i === attempts || this.stopped) break;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
    // The cause too is redacted: loggers print an error's causes' messages with its own.
    throw new PublishError(`root anchor failed after ${attempts} attempts: ${describeChainError(lastError)}`, redactedError(lastError));
  }
}

const withoutCause = ({ cause: _cause, ...outcome }: ChainOutcome & { cause?: unknown }): ChainOutcome => outcome as ChainOutcome;

/**
 * Keeps only `scheme://host[:port]` of every URL in `text`. An RPC URL carries its API key in the
 * path, the query or the userinfo, and ethers puts the whole request URL in an HTTP error's message.
 */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>/?#\\]*)[^\s"'<>]*/gi, (_match, scheme: string, authority: string) => scheme + authority.slice(authority.lastIndexOf('@') + 1));
}

/** Longest error text kept per chain (stored, served on /health, logged). */
const MAX_ERROR_LENGTH = 300;

/**
 * A chain error as the publisher stores, serves (GET /health is public) and logs it: ethers' code and
 * short message when it has them (its full message lists the request, URL included), else the
 * message; URLs cut to their host, and the length bounded.
 */
export function describeChainError(err: unknown): string {
  const e = err as { message?: unknown; shortMessage?: unknown; code?: unknown } | null;
  const text = e && typeof e.shortMessage === 'string' ? (typeof e.code === 'string' ? `${e.code}: ${e.shortMessage}` : e.shortMessage) : e && typeof e.message === 'string' ? e.message : String(err);
  const redacted = redactUrls(text);
  return redacted.length > MAX_ERROR_LENGTH ? `${redacted.slice(0, MAX_ERROR_LENGTH - 1)}…` : redacted;
}

/** What is logged in place of a chain error: its described text, none of its fields (request, URL). */
function redactedError(err: unknown): Error {
  if (err instanceof ApiError) return err;
  const logged = new Error(describeChainError(err));
  logged.name = err instanceof Error ? err.name : 'Error';
  return logged;
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
