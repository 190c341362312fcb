/**
 * Bad input to the escrow: a point off the curve, a scalar out of range, a ciphertext for another
 * key, a partial decryption whose proof fails. `field` names the value that was wrong and `rule` the
 * rule it broke, so a caller (the CLI, an auditor's service) can point at the exact input instead of
 * parsing the message. Nothing is half-done when one is thrown: the functions check before they act.
 *
 * The message reads `<field> <detail> (rule: <rule>)`, e.g.
 * `EscrowError: R is not in the prime-order subgroup (rule: subgroup)`.
 */
export class EscrowError extends Error {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, detail: string) {
    super(`${field} ${detail} (rule: ${rule})`);
    this.name = 'EscrowError';
    this.field = field;
    this.rule = rule;
  }
}
