/** A refused SAR-draft operation; `field` names the input at fault, `rule` the rule it breaks. */
export class SarError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(`${field}: ${message} (rule ${rule})`);
    this.name = 'SarError';
  }
}
