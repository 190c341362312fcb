/**
 * Bad input to any credentials function. `field` names the input that was wrong and `rule` the
 * constraint it broke, so callers (the issuer service, the wallet) can point at the exact field
 * instead of parsing the message.
 */
export class ValidationError extends Error {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, detail: string) {
    super(`${field}: ${detail} (rule: ${rule})`);
    this.name = 'ValidationError';
    this.field = field;
    this.rule = rule;
  }
}
