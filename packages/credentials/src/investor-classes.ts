import { ValidationError } from './errors.js';

/** One investor category a credential can attest. `bit` is its position in the 16-bit mask. */
export interface InvestorClass {
  readonly bit: number;
  readonly id: string;
  readonly label: string;
  readonly description: string;
}

/**
 * The investor classes the toolkit knows, the single table every other part reads (docs/protocol.md).
 * Bits are part of the encoding: a new class takes the next free bit, an existing one never moves.
 */
export const INVESTOR_CLASSES: readonly InvestorClass[] = Object.freeze(
  [
    { bit: 0, id: 'retail', label: 'Retail (verified)', description: 'A retail investor whose identity has been verified.' },
    { bit: 1, id: 'accredited', label: 'Accredited investor (US)', description: 'Accredited investor under US Regulation D, Rule 501(a).' },
    { bit: 2, id: 'qualified-purchaser', label: 'Qualified purchaser (US)', description: 'Qualified purchaser under the US Investment Company Act, section 2(a)(51).' },
    { bit: 3, id: 'professional-eu', label: 'Professional client (EU)', description: 'Professional client under MiFID II, Annex II.' },
    { bit: 4, id: 'professional-hk', label: 'Professional investor (HK)', description: 'Professional investor under the Hong Kong Securities and Futures Ordinance.' },
    { bit: 5, id: 'professional-uk', label: 'Professional client (UK)', description: 'Professional client under FCA COBS 3.5.' },
    { bit: 6, id: 'institutional', label: 'Institutional investor', description: 'A regulated financial institution or other institutional investor.' },
    { bit: 7, id: 'qualified-investor-ch', label: 'Qualified investor (CH)', description: 'Qualified investor under the Swiss Financial Services Act (FinSA).' },
  ].map((c) => Object.freeze(c)),
);

/** Width of the investor-class mask in the circuit and in policies. */
export const INVESTOR_CLASS_MASK_BITS = 16;

const CLASS_BY_ID: ReadonlyMap<string, InvestorClass> = new Map(INVESTOR_CLASSES.map((c) => [c.id, c]));

/**
 * The mask for a set of class ids. `field` lets callers say whose classes were wrong
 * (a credential's `investorClasses` or a policy's).
 */
export function investorClassMask(ids: string[], field = 'investorClasses'): number {
  if (!Array.isArray(ids)) throw new ValidationError(field, 'array', 'must be an array of investor class ids');
  let mask = 0;
  for (const id of ids) {
    const cls = CLASS_BY_ID.get(id);
    if (!cls) {
      const known = INVESTOR_CLASSES.map((c) => c.id).join(', ');
      throw new ValidationError(field, 'known-investor-class', `${JSON.stringify(id)} is not an investor class (known: ${known})`);
    }
    mask |= 1 << cls.bit;
  }
  return mask;
}

/** The class ids whose bits are set in a mask, in bit order. Throws for a bit no class uses. */
export function investorClassIds(mask: number, field = 'investorClass'): string[] {
  if (!Number.isInteger(mask) || mask < 0 || mask >= 2 ** INVESTOR_CLASS_MASK_BITS) {
    throw new ValidationError(field, 'uint16', `${mask} is not a 16-bit mask`);
  }
  const ids: string[] = [];
  for (let bit = 0; bit < INVESTOR_CLASS_MASK_BITS; bit++) {
    if (!(mask & (1 << bit))) continue;
    const cls = INVESTOR_CLASSES.find((c) => c.bit === bit);
    if (!cls) throw new ValidationError(field, 'known-investor-class', `bit ${bit} is not assigned to an investor class`);
    ids.push(cls.id);
  }
  return ids;
}
