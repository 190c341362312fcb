/**
 * The relayer's journal: every registration it signs is written here, with the signed transaction,
 * BEFORE it is broadcast. So a repeat of the same consent answers with the transaction already sent
 * instead of paying twice, a process killed between signing and the receipt finds the transaction
 * again at start (and re-broadcasts it if the node lost it), and the limits count what was spent.
 */
export type JournalStatus =
  /** Signed and (about to be) broadcast; no receipt yet. */
  | 'sent'
  /** Mined and succeeded. */
  | 'mined'
  /** Mined and reverted (the chain changed between simulation and inclusion); the gas is spent. */
  | 'reverted'
  /** Never mined and no longer minable (its relayer nonce went to another transaction). */
  | 'dropped';

/** What a journal row's transaction sends: one registration (`verifyFor`/`verifyEscrowFor`) or a batch (`verifyBatch`). */
export type TransactionKind = 'single' | 'batch';

export interface JournalEntry {
  id: number;
  /** Absent on rows older than batching: they are single registrations. */
  kind?: TransactionKind;
  /** Lower-case address of the wallet being registered. */
  wallet: string;
  /** The gate nonce the wallet's consent was signed over. */
  consentNonce: bigint;
  /** The consent's EIP-712 digest: the same consent always has the same digest. */
  digest: string;
  policyId: bigint;
  /** The investor tag the proof registers (its nullifier's low 192 bits, as the gate keys investors), 0x-hex; unknown for entries older than the column. */
  investorTag?: string;
  /** The consent's deadline (unix seconds): past it the transaction can only revert. Unknown for entries older than the column. */
  deadline?: bigint;
  status: JournalStatus;
  txHash: string;
  /** Earlier transactions of this entry, with the same relayer nonce, replaced by `txHash` at a higher fee: any of them may be the one mined. */
  replacedTxHashes?: string[];
  /** The signed transaction, to re-broadcast it after a restart. */
  rawTx: string;
  relayerNonce: number;
  /** gasLimit × maxFeePerGas: what it may cost at worst, counted while it is pending. */
  maxCostWei: bigint;
  /** gasUsed × effectiveGasPrice, once mined. */
  costWei?: bigint;
  blockNumber?: number;
  /**
   * Reverted, but the same consent registered the wallet in another transaction (someone copied the
   * calldata and got in first): the holder is registered, so it does not count against the limits.
   */
  registeredElsewhere?: boolean;
  /** Unix milliseconds. */
  createdAt: number;
}

export type NewJournalEntry = Omit<JournalEntry, 'id' | 'kind' | 'status' | 'costWei' | 'blockNumber' | 'registeredElsewhere' | 'replacedTxHashes'>;

/**
 * A batched registration request's life: accepted and waiting for a batch (`queued`), in a batch
 * transaction not yet mined (`submitted`), done (`registered`), refused by the gate when its batch
 * was simulated, found the cause of its batch's revert, or charged with two reverts nobody explained
 * (`refused`), or its consent's deadline came (near) while it waited (`expired`).
 */
export type RequestStatus = 'queued' | 'submitted' | 'registered' | 'refused' | 'expired';

/** Why a request was refused after it was accepted: the API's error, kept for whoever asks. */
export interface RequestRefusal {
  httpStatus: number;
  code: string;
  message: string;
  field?: string;
  rule?: string;
}

/** One entry of `verifyBatch`, as kept in the journal (every number a decimal string). */
export interface StoredBatchEntry {
  policyId: string;
  pA: [string, string];
  pB: [[string, string], [string, string]];
  pC: [string, string];
  pubSignals: [string, string, string, string];
  deadline: string;
  signature: string;
}

export interface RegistrationRequestEntry {
  /** The id the API answers with (random, so it says nothing about how many came before). */
  id: string;
  /** The consent's EIP-712 digest: the same consent is the same request. */
  digest: string;
  /** Lower-case address. */
  wallet: string;
  consentNonce: bigint;
  policyId: bigint;
  investorTag: string;
  deadline: bigint;
  entry: StoredBatchEntry;
  status: RequestStatus;
  /** The journal row of the batch transaction it was (last) sent in. */
  batchId?: number;
  /**
   * Reverted batches it was charged with: those it caused (its consent was spent or withdrawn, or its
   * entry alone fails), or any whose cause could not be found. A revert another entry caused is not
   * counted. Each one is requeued once; a second refuses it.
   */
  reverts: number;
  txHash?: string;
  blockNumber?: number;
  /** verifiedUntil the gate recorded (unix seconds), once registered. */
  until?: bigint;
  refusal?: RequestRefusal;
  /**
   * Registered by its consent in a transaction that was not the relayer's (someone sent a copy of its
   * batch first; the relayer's reverted): the holder is registered, and it counts against no limit.
   */
  registeredElsewhere?: boolean;
  /**
   * Refused for something its own wallet did after it was accepted (the consent spent in another
   * transaction, or cancelled): it counts against the wallet's and the investor's daily limits like
   * a registration, so spoiling batches over and over costs the one doing it.
   */
  charged?: boolean;
  /** Unix milliseconds. */
  createdAt: number;
}

export type NewRegistrationRequest = Omit<RegistrationRequestEntry, 'status' | 'batchId' | 'reverts' | 'txHash' | 'blockNumber' | 'until' | 'refusal' | 'registeredElsewhere' | 'charged'>;

/** How a request leaves the queue (or its reverted batch) without being mined. */
export type RequestClosing =
  { status: 'refused'; refusal: RequestRefusal; charged?: boolean } | { status: 'expired'; refusal: RequestRefusal } | { status: 'registered'; elsewhere: true; until?: bigint };

/** What became of one request of a reverted batch, once the cause was looked for: closed, or `queued` again without a revert charged. */
export type RequestVerdict = RequestClosing | { status: 'queued' };

/** How an entry ended; `txHash` is the one mined when it was a replaced one. */
export type JournalOutcome =
  | { status: 'mined'; blockNumber: number; costWei: bigint; txHash?: string }
  | { status: 'reverted'; blockNumber: number; costWei: bigint; registeredElsewhere?: boolean; txHash?: string }
  | { status: 'dropped' };

/** Raised when a consent's (wallet, nonce) already has a live batched request under another digest. */
export class RequestConflict extends Error {
  constructor(readonly existing: RegistrationRequestEntry) {
    super(`wallet ${existing.wallet} already has a registration request ${existing.id} (${existing.status}) for consent nonce ${existing.consentNonce}`);
    this.name = 'RequestConflict';
  }
}

/** Raised when a consent's (wallet, nonce) already has a live entry under another digest. */
export class JournalConflict extends Error {
  constructor(readonly existing: JournalEntry) {
    super(`wallet ${existing.wallet} already has a registration in flight for consent nonce ${existing.consentNonce} (${existing.txHash})`);
    this.name = 'JournalConflict';
  }
}

export interface Journal {
  /** The live entry (sent or mined) for this consent digest, if any. */
  findByDigest(digest: string): JournalEntry | undefined;
  /** The live entry (sent or mined) for this wallet and consent nonce, if any. */
  findLive(wallet: string, consentNonce: bigint): JournalEntry | undefined;
  /** Records a signed transaction as `sent`; throws JournalConflict if (wallet, nonce) already has a live entry. */
  record(entry: NewJournalEntry): JournalEntry;
  settle(id: number, outcome: JournalOutcome): void;
  /**
   * Settles a batch row and, in the same write, its requests: mined → registered (with `until` per
   * wallet); dropped → queued again; reverted → each request with a verdict gets it, one without is
   * charged the revert (queued again once, then refused `registration_reverted`).
   */
  settleBatch(id: number, outcome: JournalOutcome, untilByWallet?: Map<string, bigint>, verdicts?: Map<string, RequestVerdict>): void;
  /** Queues an accepted request; throws JournalConflict-like RequestConflict if (wallet, consent nonce) already has a live request. */
  enqueue(request: NewRegistrationRequest): RegistrationRequestEntry;
  findRequest(id: string): RegistrationRequestEntry | undefined;
  /** The live request (queued, submitted or registered) for this consent digest, if any. */
  findRequestByDigest(digest: string): RegistrationRequestEntry | undefined;
  findLiveRequest(wallet: string, consentNonce: bigint): RegistrationRequestEntry | undefined;
  /** Queued requests, oldest first. */
  queued(limit?: number): RegistrationRequestEntry[];
  /** Requests sent in the batch row `batchId`. */
  requestsOfBatch(batchId: number): RegistrationRequestEntry[];
  /** A queued request taken out: refused (with the refusal; `charged` counts it against the limits) or expired, or registered by a copy. */
  closeRequest(id: string, outcome: RequestClosing): void;
  /** Records a signed batch transaction as `sent` and its requests as `submitted`, in one write, before it is broadcast. */
  recordBatch(entry: Omit<NewJournalEntry, 'wallet' | 'consentNonce' | 'digest' | 'policyId' | 'investorTag'>, requestIds: string[]): JournalEntry;
  /** A `sent` entry's transaction replaced by one with the same relayer nonce and a higher fee (written before it is broadcast). */
  replace(id: number, replacement: { txHash: string; rawTx: string; maxCostWei: bigint }): JournalEntry;
  /** Entries still `sent`, oldest first (what a restart must follow up). */
  pending(): JournalEntry[];
  /**
   * Registrations created since `sinceMs` that count against the limits (single ones sent, mined,
   * reverted — but not a revert whose consent registered the wallet elsewhere; batched requests
   * queued, submitted or registered, and those refused as `charged`), optionally for one wallet or one investor tag.
   */
  countSince(sinceMs: number, wallet?: string, investorTag?: string): number;
  /** Wei spent since `sinceMs`: actual cost of mined and reverted entries, worst case of sent ones. */
  spentSince(sinceMs: number): bigint;
  close(): void;
}
