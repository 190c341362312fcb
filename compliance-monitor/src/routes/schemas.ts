/** JSON schemas shared by the routes (they are also the OpenAPI document at /docs). */
export const ADDRESS_PATTERN = '^0x[0-9a-fA-F]{40}$';
/** An investor tag as the gate keeps it: the nullifier's low 192 bits, 0x + 48 hex. */
export const TAG_PATTERN = '^0x[0-9a-fA-F]{48}$';
/** Limits come as query text; parsed after the pattern check. */
export const LIMIT_PATTERN = '^[1-9][0-9]{0,3}$';

export const officerSecurity = [{ officerKey: [] }];

export const errorResponses = {
  400: { $ref: 'MonitorError#' },
  401: { $ref: 'MonitorError#' },
  404: { $ref: 'MonitorError#' },
} as const;

export const eventSchema = {
  type: 'object',
  properties: {
    chainId: { type: 'integer' },
    txHash: { type: 'string' },
    logIndex: { type: 'integer' },
    blockNumber: { type: 'integer' },
    blockHash: { type: 'string' },
    blockTime: { type: 'integer' },
    address: { type: 'string' },
    source: { type: 'string', enum: ['token', 'gate', 'registry', 'sanctions'] },
    name: { type: 'string' },
    args: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export const subjectSchema = {
  type: 'object',
  properties: { investorTag: { type: ['string', 'null'] }, wallets: { type: 'array', items: { type: 'string' } } },
} as const;

export const caseSummarySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    token: { type: 'string' },
    subject: subjectSchema,
    status: { type: 'string', enum: ['open', 'escalated', 'closed'] },
    openedAt: { type: 'integer' },
    rules: { type: 'array', items: { type: 'string' } },
    score: { type: 'number' },
  },
} as const;

export const caseLogEntrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: { type: 'integer', description: 'unix seconds' },
    kind: { type: 'string', enum: ['opened', 'note', 'status', 'action', 'hit', 'withdrawn'] },
    actor: { type: 'string' },
    text: { type: 'string' },
    data: {},
  },
} as const;

export const ruleHitSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ruleId: { type: 'string' },
    rulesVersion: { type: 'string' },
    token: { type: 'string' },
    subject: subjectSchema,
    severity: { type: 'string', enum: ['low', 'medium', 'high'] },
    score: { type: 'number' },
    summary: { type: 'string' },
    evidence: { type: 'object', additionalProperties: true },
    at: { type: 'integer' },
  },
} as const;

export const caseDetailSchema = {
  type: 'object',
  properties: {
    ...caseSummarySchema.properties,
    updatedAt: { type: 'integer' },
    hits: { type: 'array', items: ruleHitSchema },
    log: { type: 'array', items: caseLogEntrySchema },
  },
} as const;
