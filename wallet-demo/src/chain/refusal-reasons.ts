import { formatUnits } from 'ethers';
import { decodeRevert, rootStateName, type DecodedRevert } from '@zkkyc/sdk';

/**
 * Contract refusals in plain words. The contracts name the failed check with a custom error
 * (decoded by the sdk); this turns the name and its values into a sentence a holder can act on.
 */
export interface Refusal {
  /** The custom error, e.g. `NotVerified(0xabc…)`. */
  decoded?: DecodedRevert;
  /** One sentence for the holder. */
  explanation: string;
  /** True when the gate refused the proof itself (not a precondition around it). */
  proofRejected: boolean;
}

/** The token a refused transfer concerns, so amounts read in its units ("25 AREF"), never in wei. */
export interface TokenUnits {
  decimals: number;
  symbol: string;
}

const short = (v: unknown): string => {
  const s = String(v);
  return /^0x[0-9a-fA-F]{40}$/.test(s) ? `${s.slice(0, 6)}…${s.slice(-4)}` : s;
};

const dateOf = (yyyymmdd: unknown): string => {
  const s = String(yyyymmdd);
  return s.length === 8 ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6)}` : s;
};

const RULE_CODES: Record<string, string> = {
  MAX_BALANCE_EXCEEDED: 'the receiving investor would hold more than the token allows per investor',
  LOCKED_UP: 'the tokens are still in their lock-up period',
  MAX_INVESTORS_REACHED: 'the token already has its maximum number of investors',
  VOLUME_LIMIT_EXCEEDED: 'this would exceed the transfer volume allowed in the current period',
  SENDER_SANCTIONED: 'the sender is on the sanctions list',
  RECEIVER_SANCTIONED: 'the receiver is on the sanctions list',
};

const MAX_UINT64 = (1n << 64n) - 1n;
const barEnd = (until: unknown): string =>
  BigInt(until as bigint) === MAX_UINT64 ? 'until the agent lifts the bar' : `until ${new Date(Number(until) * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Why the gate refused the issuer root the proof was made against (the registry's RootState). */
const ROOT_STATE_WORDS: Record<string, string> = {
  UNKNOWN: 'the issuer root in the proof was never published by an issuer this policy accepts',
  EXPIRED: 'the issuer has published a newer root and the one in the proof is too old: prove again',
  STALE: 'the issuer has not confirmed its credential list for too long; try again after it publishes',
  REJECTED: 'the issuer root in the proof was rejected by the registry (for example after a key compromise): prove again',
  ISSUER_SUSPENDED: 'the issuer of your credential is suspended',
};

/** An amount from a custom error: in the token's units when the caller named the token. */
function amountIn(units: TokenUnits | undefined, raw: unknown): string {
  if (!units) return `${String(raw)} (smallest units)`;
  const value = BigInt(raw as bigint);
  const [whole, fraction] = formatUnits(value, units.decimals).split('.');
  return `${fraction && fraction !== '0' ? `${whole}.${fraction}` : whole} ${units.symbol}`;
}

const EXPLAIN: Record<string, (args: unknown[], units?: TokenUnits) => string> = {
  // Token
  NotVerified: ([a]) => `${short(a)} is not verified for this token: it has no current registration at the compliance gate`,
  ERC7943CannotSend: ([a]) => `${short(a)} is frozen by the token's agent and cannot send`,
  ERC7943CannotReceive: ([a]) => `${short(a)} is frozen by the token's agent and cannot receive`,
  TokenPaused: () => 'the token is paused by its agent',
  InvalidReceiver: ([a]) => `${short(a)} cannot receive tokens`,
  ERC20InsufficientBalance: ([, balance, needed], units) => `the balance (${amountIn(units, balance)}) is less than the amount (${amountIn(units, needed)})`,
  ERC7943InsufficientUnfrozenBalance: ([, needed, unfrozen], units) =>
    `only ${amountIn(units, unfrozen)} of the balance is free to move (the token’s agent froze the rest), ${amountIn(units, needed)} needed`,
  ComplianceRuleRefused: () => 'one of the token’s compliance rules refused it',
  ComplianceCheckFailed: ([t]) => `a compliance check at ${short(t)} failed to answer`,
  // Gate
  PolicyNotFound: () => 'the token’s compliance gate has no rules for it any more (its operator removed them)',
  NotWalletOwner: ([w, c]) => `the proof registers ${short(w)} but was sent by ${short(c)}`,
  PolicyHashMismatch: () => 'the proof was made for other policy parameters than the gate holds now',
  RootNotAcceptable: ([, , state]) => ROOT_STATE_WORDS[rootStateName(state as bigint)] ?? 'the issuer root in the proof is not accepted by this policy now',
  WalletBarred: ([, , until]) => `this wallet is barred from registering for this token ${barEnd(until)}`,
  InvestorBarred: ([, , until]) => `the token's agent has barred this investor from registering ${barEnd(until)}`,
  DateOutOfWindow: ([today, block]) => `the proof's date ${dateOf(today)} is neither the chain's date ${dateOf(block)} nor the day before`,
  CredentialExpired: ([until, block]) => `the proven validity ended on ${dateOf(until)} (chain date ${dateOf(block)})`,
  InvalidProof: () => 'the zero-knowledge proof did not verify on-chain',
  WalletBoundToOtherInvestor: () => 'this wallet is already registered to another investor',
  TooManyWallets: ([, wallets, limit]) => `this investor already registered ${wallets} wallets, the policy's limit is ${limit}`,
  ContextOutOfRange: () => 'the proof’s wallet/date signal is malformed',
  EscrowProofRequired: () => 'the token’s policy now asks for a sealed reference to your credential, which this proof does not carry',
  EscrowNotEnabled: () => 'the token’s policy no longer asks for a sealed reference to your credential, which this proof carries',
};

const PROOF_CHECKS = new Set(['InvalidProof', 'PolicyHashMismatch', 'RootNotAcceptable', 'DateOutOfWindow', 'CredentialExpired', 'ContextOutOfRange', 'EscrowProofRequired', 'EscrowNotEnabled']);

/** Refusals that mean the policy the wallet read before proving is not the gate's policy any more. */
export const POLICY_CHANGED = new Set(['PolicyHashMismatch', 'EscrowProofRequired', 'EscrowNotEnabled']);

/**
 * Explains a failed contract call; falls back to the raw message when no custom error is found.
 * `units` names the token when the call moved tokens, so amounts read in its units.
 */
export function explainRefusal(err: unknown, units?: TokenUnits): Refusal {
  const decoded = decodeRevert(err);
  if (!decoded) {
    const message = (err as { shortMessage?: string; message?: string })?.shortMessage ?? (err as Error)?.message ?? String(err);
    return { explanation: message, proofRejected: false };
  }
  let explanation = EXPLAIN[decoded.name]?.(decoded.args, units) ?? decoded.message;
  if (decoded.name === 'ComplianceRuleRefused') {
    const codeName = /\[(\w+)\]$/.exec(decoded.message)?.[1];
    if (codeName && RULE_CODES[codeName]) explanation = RULE_CODES[codeName];
  }
  return { decoded, explanation, proofRejected: PROOF_CHECKS.has(decoded.name) };
}
