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

export interface JournalEntry {
  id: number;
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

export type NewJournalEntry = Omit<JournalEntry, 'id' | 'status' | 'costWei' | 'blockNumber' | 'registeredElsewhere' | 'replacedTxHashes'>;

/** How an entry ended; `txHash` is the one mined when it was a replaced one. */
export type JournalOutcome =
  | { status: 'mined'; blockNumber: number; costWei: bigint; txHash?: string }
  | { status: 'reverted'; blockNumber: number; costWei: bigint; registeredElsewhere?: boolean; txHash?: string }
  | { status: 'dropped' };

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
  /** A `sent` entry's transaction replaced by one with the same relayer nonce and a higher fee (written before it is broadcast). */
  replace(id: number, replacement: { txHash: string; rawTx: string; maxCostWei: bigint }): JournalEntry;
  /** Entries still `sent`, oldest first (what a restart must follow up). */
  pending(): JournalEntry[];
  /**
   * Registrations created since `sinceMs` that count against the limits (sent, mined, reverted — but
   * not a revert whose consent registered the wallet elsewhere), optionally for one wallet or one investor tag.
   */
  countSince(sinceMs: number, wallet?: string, investorTag?: string): number;
  /** Wei spent since `sinceMs`: actual cost of mined and reverted entries, worst case of sent ones. */
  spentSince(sinceMs: number): bigint;
  close(): void;
}
