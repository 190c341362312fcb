import { INVESTOR_CLASSES, intToDate, type Policy } from '@zkkyc/credentials';
import { formatUnits } from 'ethers';

/** Attribute and policy values as a person reads them. */

let regionNames: Intl.DisplayNames | undefined;

/** "Switzerland (CH)"; the bare code when the browser has no name for it. */
export function countryName(code: string): string {
  try {
    regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' });
    const name = regionNames.of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

export function investorClassLabel(id: string): string {
  return INVESTOR_CLASSES.find((c) => c.id === id)?.label ?? id;
}

export function listInWords(items: string[], max = 8): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/**
 * One sentence per policy rule, in the order the wallet checks them, named the way a person knows
 * the rule ("country of residence", "age 18 or over"), not by the attribute it reads.
 */
export function describePolicy(policy: Policy): { rule: string; text: string }[] {
  return [
    { rule: 'jurisdiction', text: `Country of residence: one of ${policy.jurisdictions.length} countries: ${listInWords(policy.jurisdictions.map(countryName))}` },
    { rule: 'age', text: policy.minAge > 0 ? `Age ${policy.minAge} or over` : 'Any age' },
    {
      rule: 'investorClass',
      text: policy.investorClasses.length === 0 ? 'Any investor status' : `Investor status: ${policy.investorClasses.map(investorClassLabel).join(' or ')}`,
    },
    { rule: 'kycLevel', text: policy.minKycLevel > 0 ? `Identity checked by the issuer to level ${policy.minKycLevel} or higher` : 'Identity checked by the issuer' },
  ];
}

/** "1,000 AREF", "0.25 AREF": a token amount in the token's own units, never in its smallest unit. */
export function tokenAmountInWords(raw: bigint, decimals: number, symbol: string): string {
  const [whole, fraction] = formatUnits(raw, decimals).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${fraction && fraction !== '0' ? `${grouped}.${fraction}` : grouped} ${symbol}`;
}

/**
 * The network fee a transaction will cost, from the estimated gas and the fee per gas (wei):
 * "about 0.00012 ETH", two significant digits, since the final figure depends on the block.
 */
export function feeInWords(gas: bigint, feePerGas: bigint): string {
  const wei = gas * feePerGas;
  if (wei === 0n) return 'no fee (this chain charges none)';
  const eth = Number(formatUnits(wei, 18));
  return `about ${eth
    .toPrecision(2)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '')} ETH`;
}

/** How long a registration lasts, from the policy's ttl in seconds: "30 days", "12 hours". */
export function durationInWords(seconds: bigint | number): string {
  const s = Number(seconds);
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s >= 86_400 && s % 86_400 === 0) return unit(s / 86_400, 'day');
  if (s >= 86_400) return `about ${unit(Math.round(s / 86_400), 'day')}`;
  if (s >= 3600) return unit(Math.round(s / 3600), 'hour');
  return unit(Math.max(1, Math.round(s / 60)), 'minute');
}

/** "0x1234…abcd": enough of an address to recognise it; the whole one stays in the details. */
export function shortAddress(address: string): string {
  return /^0x[0-9a-fA-F]{40}$/.test(address) ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** A contract named by what it does for the holder, with a short address to check it by. */
export function contractInWords(what: 'gate' | 'token', address: string, tokenSymbol?: string): string {
  const name = what === 'gate' ? 'the token’s compliance gate' : `the ${tokenSymbol ? `${tokenSymbol} ` : ''}token contract`;
  return `${name} at ${shortAddress(address)}`;
}

/** A gate timestamp (seconds) as the wallet shows it: "2027-01-01 00:00:00 UTC". */
export function timestampInWords(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/**
 * Where a wallet stands with a token's policy: not registered, verified, or verified but near the
 * end — less than a tenth of the policy's ttl left — when the wallet offers to renew.
 */
export type RegistrationState = { kind: 'unregistered' } | { kind: 'verified'; until: bigint; renewSoon: boolean };

export function registrationState(verifiedUntil: bigint, ttl: bigint, nowSeconds: bigint): RegistrationState {
  if (verifiedUntil <= nowSeconds) return { kind: 'unregistered' };
  return { kind: 'verified', until: verifiedUntil, renewSoon: (verifiedUntil - nowSeconds) * 10n < ttl };
}

export function dateInWords(yyyymmdd: number): string {
  return intToDate(yyyymmdd);
}

/** "in 364 days" / "3 days ago" relative to now, for expiry dates. */
export function daysFromNow(isoDate: string): string {
  const days = Math.round((Date.parse(`${isoDate}T00:00:00Z`) - Date.now()) / 86_400_000);
  if (days === 0) return 'today';
  return days > 0 ? `in ${days} day${days === 1 ? '' : 's'}` : `${-days} day${days === -1 ? '' : 's'} ago`;
}

/**
 * What a policy with an escrow key asks of the holder, in one sentence shown before proving: the
 * registration carries the credential's position in the issuer's list, encrypted to a key held by
 * auditors (one transfer agent, or k of n together), whose procedure opens it only for a request
 * recorded in the on-chain disclosure log (docs/escrow.md, docs/disclosure-log.md).
 */
export const ESCROW_IN_WORDS =
  'Registering for this token also stores a sealed reference to your credential on-chain, which the auditors named by the token’s operator can open to find your credential, and which they open only for a disclosure request recorded publicly first.';

/** Why the wallet will not prove for a policy whose escrow key fails the checks (`rule` from assertEscrowKey). */
export function badEscrowKeyInWords(rule: string): string {
  const what: Record<string, string> = {
    canonical: 'is not a valid number pair',
    'on-curve': 'is not a valid key',
    'not-identity': 'is an empty key',
    subgroup: 'is a weak key',
  };
  return `This token’s policy asks for a sealed reference to your credential, but its auditors’ key ${what[rule] ?? 'is not valid'}, so anyone might be able to open it: the wallet will not prove for this token. Tell the token’s operator.`;
}

/** Why an OpenID4VCI offer could not be collected (OAuth `error` from the issuer, or the wallet's own check). */
export function offerRefusalInWords(code: string, detail: string): string {
  const what: Record<string, string> = {
    invalid_offer: 'This is not a credential offer link the wallet can read.',
    invalid_grant: 'The issuer did not accept the offer: it was already used, has expired, was replaced by a newer one, or the code is wrong.',
    tx_code_required: 'Enter the code the issuer showed you with the offer.',
    invalid_proof: 'The issuer did not accept the wallet’s proof that it holds your key: the offer is for another wallet’s identity.',
    invalid_nonce: 'The issuer asked for a fresh proof; try again.',
    credential_request_denied: 'The issuer will not hand this credential over: it was revoked or has expired.',
    unreachable: 'The issuer cannot be reached right now.',
  };
  return `${what[code] ?? 'The issuer refused the offer.'} (${detail})`;
}

/** An application's or credential's state as the holder reads it. */
export function statusInWords(status: string): string {
  const words: Record<string, string> = {
    pending: 'in review',
    approved: 'approved',
    rejected: 'rejected',
    active: 'valid',
    revoked: 'withdrawn by the issuer',
    expired: 'expired',
    unknown: 'not checked yet',
  };
  return words[status] ?? status;
}

/** Under the list of wallets, once there is more than one. */
export const ACCOUNTS_IN_WORDS = 'Every wallet here belongs to the same identity: a token counts them as one investor, and the issuer of your credential sees none of them.';
