/**
 * The KYC levels this issuer names. A credential carries only the number (0..255, what a policy's
 * `minKycLevel` compares against); the names are the issuer's own scale, so its reviewers choose a
 * level by what was checked instead of by a bare number. The level is the reviewer's finding: an
 * applicant never declares it (docs/issuer-service.md, "What the applicant declares").
 *
 * Plain data, no Node imports: the reviewer console (issuer-service/console) bundles this table.
 */
export interface NamedKycLevel {
  readonly level: number;
  readonly name: string;
  /** What the reviewer must have checked to give this level. */
  readonly checks: string;
}

export const KYC_LEVELS: readonly NamedKycLevel[] = Object.freeze([
  { level: 1, name: 'Basic', checks: 'identity document checked against the applicant' },
  { level: 2, name: 'Standard', checks: 'identity document, liveness and proof of address checked' },
  { level: 3, name: 'Enhanced', checks: 'standard checks plus source of funds and a sanctions and PEP screening' },
  { level: 4, name: 'Enhanced, ongoing', checks: 'enhanced checks under ongoing monitoring (periodic review)' },
]);

/** Level dev auto-approval gives when `AUTO_APPROVE_KYC_LEVEL` is not set: Basic. */
export const DEFAULT_AUTO_APPROVE_KYC_LEVEL = 1;

/** `Standard (2)`, or `level 7` for a number the table does not name. */
export function kycLevelLabel(level: number): string {
  const named = KYC_LEVELS.find((l) => l.level === level);
  return named ? `${named.name} (${level})` : `level ${level}`;
}
