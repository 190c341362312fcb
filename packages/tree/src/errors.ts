/** Bad input to the tree. `field` names the argument and `rule` what it broke; the tree is unchanged. */
export class TreeError extends Error {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, detail: string) {
    super(`${field}: ${detail} (rule: ${rule})`);
    this.name = 'TreeError';
    this.field = field;
    this.rule = rule;
  }
}
