/**
 * The values every part of the compliance monitor passes around: chain events as the indexer stores
 * them, rule hits with their evidence, cases and the actions a playbook takes. Plain JSON-able
 * data (decimal strings for amounts, lower-case 0x addresses), so that the store, the rules, the
 * SAR drafts and the console agree without conversions.
 */

/** Where an event sits on chain: enough to find it again and to tell it apart from every other. */
export interface EventRef {
  txHash: string;
  logIndex: number;
  blockNumber: number;
}

/**
 * One decoded contract event, final (at least the configured number of confirmations deep).
 * `args` holds the event's named arguments: addresses lower-case, integers as decimal strings,
 * booleans as "true"/"false", strings as they are.
 */
export interface ChainEvent extends EventRef {
  chainId: number;
  blockHash: string;
  /** Block timestamp, unix seconds. */
  blockTime: number;
  /** Emitting contract, lower-case. */
  address: string;
  /** Which contract role the address has in the monitor's configuration. */
  source: 'token' | 'gate' | 'registry' | 'sanctions';
  /** Event name, e.g. `Transfer`, `WalletVerified`, `TokensFrozen`. */
  name: string;
  args: Record<string, string>;
}

/** A wallet and the investor it belongs to under the token's policy (the gate's tag), if known. */
export interface WalletInvestor {
  wallet: string;
  /** The gate's investor tag (`investorOf`), 0x + 48 hex; null for a wallet never registered. */
  investorTag: string | null;
}

export type Severity = 'low' | 'medium' | 'high';

/** What a rule found, with the evidence an officer (and a SAR) needs. */
export interface RuleHit {
  /** The rule's id in the token's rule file, and the file's version. */
  ruleId: string;
  rulesVersion: string;
  /** The token (lower-case address). */
  token: string;
  /** Who the hit is about: the investor tag when known (all its wallets count together), and the wallets. */
  subject: { investorTag: string | null; wallets: string[] };
  severity: Severity;
  /** What it adds to the subject's risk score. */
  score: number;
  /** One sentence an officer reads first. */
  summary: string;
  evidence: {
    events: EventRef[];
    /** Token amounts involved, base units, decimal strings. */
    amounts: string[];
    /** Unix seconds of the events. */
    times: number[];
    /** Rule-specific figures (threshold, window, count, hops…). */
    details: Record<string, unknown>;
  };
  /** Unix seconds: the block time of the event that completed the pattern. */
  at: number;
}

/** What a playbook may do. */
export type ActionKind = 'open-case' | 'freeze-partial' | 'freeze-wallet' | 'revoke-registration' | 'hold-transfers';

export type CaseStatus = 'open' | 'escalated' | 'closed';

/** A compliance case: a subject, the hits that opened or joined it, and what was done. */
export interface CaseSummary {
  id: string;
  token: string;
  subject: { investorTag: string | null; wallets: string[] };
  status: CaseStatus;
  openedAt: number;
  /** Rule ids of the hits in the case. */
  rules: string[];
  score: number;
}
