import { INVESTOR_CLASSES, intToDate, type Policy } from '@zkkyc/credentials';

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

/** One sentence per policy rule, in the order the wallet checks them. */
export function describePolicy(policy: Policy): { rule: string; text: string }[] {
  return [
    { rule: 'jurisdiction', text: `Resident of one of ${policy.jurisdictions.length} countries: ${listInWords(policy.jurisdictions.map(countryName))}` },
    { rule: 'age', text: policy.minAge > 0 ? `At least ${policy.minAge} years old` : 'Any age' },
    {
      rule: 'investorClass',
      text: policy.investorClasses.length === 0 ? 'Any investor class' : `Investor class: one of ${policy.investorClasses.map(investorClassLabel).join(', ')}`,
    },
    { rule: 'kycLevel', text: `KYC level ${policy.minKycLevel} or higher` },
  ];
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

/** Under the list of wallets, once there is more than one. */
export const ACCOUNTS_IN_WORDS =
  'Every wallet here belongs to the same identity: a token counts them as one investor, and the issuer of your credential sees none of them.';
