/**
 * JSON Schemas shared by the routes. They give the first, structural line of defence (types, sizes,
 * no unknown keys) and the OpenAPI document at /docs; the semantic rules (a real date, a known
 * country) are checked by `@zkkyc/credentials`, which owns them.
 */

import { errorSchema as errorSchemaFor } from '@zkkyc/service-kit';

export const errorSchema = errorSchemaFor('ApiError', 'omit-absent');

/** Every route may answer with these; listing them puts the error shape in the OpenAPI document. */
export const errorResponses = {
  '4xx': { $ref: 'ApiError#' },
  '5xx': { $ref: 'ApiError#' },
} as const;

export const didSchema = {
  type: 'string',
  minLength: 8,
  maxLength: 256,
  description:
    'Holder DID: did:key, did:web, or did:ethr on the configured chain. Stored normalised: method and did:web host in lower case, did:ethr as did:ethr:<hex chain id>:<lower-case hex>; the did:key multibase and did:web path keep their case.',
} as const;
const dateSchema = { type: 'string', maxLength: 10, description: 'YYYY-MM-DD' } as const;
const decimalSchema = { type: 'string', maxLength: 80, description: 'Field element, decimal' } as const;

export const requestedAttributesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['jurisdiction', 'birthDate', 'investorClasses'],
  properties: {
    jurisdiction: { type: 'string', maxLength: 2, description: 'ISO 3166-1 alpha-2' },
    birthDate: dateSchema,
    investorClasses: { type: 'array', maxItems: 16, uniqueItems: true, items: { type: 'string', maxLength: 40 } },
    kycLevel: {
      type: 'integer',
      deprecated: true,
      description:
        "0..255. Not a declaration: the KYC level is the reviewer's finding, set in the proposal or the approval (dev auto-approval: AUTO_APPROVE_KYC_LEVEL). Still accepted from older clients and kept as the applicant's request, which reviewers see labelled as such and which is never issued; new clients leave it out.",
    },
  },
} as const;

/**
 * The reviewer's verified values: any subset of the declared attributes, each replacing what the
 * applicant declared, and `kycLevel`, which only the reviewer sets (the services require it).
 */
export const finalAttributesSchema = {
  ...requestedAttributesSchema,
  required: [] as string[],
  properties: {
    ...requestedAttributesSchema.properties,
    kycLevel: {
      type: 'integer',
      description:
        "0..255, the reviewer's finding (named levels: services/kyc-levels.ts; Basic 1, Standard 2, Enhanced 3, Enhanced ongoing 4). Required in a proposal, and in an approval that follows none (422 `kyc_level_unset`, rule reviewer-sets): the level an applicant asked for is never issued.",
    },
  },
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

export const pagingQuery = {
  offset: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'integer ≥ 0 (default 0)' },
  limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'integer 1..1000 (default 100)' },
} as const;

/**
 * Free text a person writes (a decision's reason): any characters but the C0 control characters
 * other than tab, line feed and carriage return, and DEL. NUL in particular: Postgres text cannot
 * hold it, so without this rule the same request would be stored by SQLite and fail on Postgres.
 */
export const FREE_TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$';
export const reasonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 2000,
  pattern: FREE_TEXT_PATTERN,
  description: 'free text, 1..2000 characters, at least one that is not whitespace (400 rule not-blank), no control characters except tab and line breaks',
} as const;

export const reasonBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: reasonSchema },
} as const;

/** A challenge nonce as `POST /challenges` hands it out: base64url. */
export const challengeSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'the nonce from POST /challenges (base64url)',
} as const;

/** The signed challenge: a compact JWS (three base64url parts). */
export const signatureSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 4096,
  description: 'JWT signed with the DID key: iss = did, payload { nonce } (plus `purpose` for a token recovery); an aud, if present, must be the issuer DID',
} as const;

export const applicationView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    did: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'approved', 'rejected'] },
    identityCommitment: decimalSchema,
    attributes: {
      type: 'object',
      properties: {
        jurisdiction: { type: 'string' },
        birthDate: { type: 'string' },
        investorClasses: { type: 'array', items: { type: 'string' } },
        kycLevel: { type: 'integer', description: "the level an older client asked for, if any: a request, never issued (the credential carries the reviewer's finding)" },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    credentialId: { type: 'string' },
    credentialStatus: { type: 'string', enum: ['active', 'revoked', 'expired'], description: "the credential's state, as GET /credentials/:id/status answers it" },
    credentialExpiryDate: { type: 'string', description: 'YYYY-MM-DD' },
    decisions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          action: { type: 'string' },
          reviewer: { type: 'string' },
          reason: { type: ['string', 'null'] },
          decidedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

export const rootPublicationView = {
  type: 'object',
  properties: {
    root: decimalSchema,
    leafCount: { type: 'integer' },
    txHash: { type: ['string', 'null'] },
    publishedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** Parses the paging query (validated by `pagingQuery`), clamping `limit` to 1..1000. */
export function paging(q: { offset?: string; limit?: string }): { offset: number; limit: number } {
  const offset = q.offset === undefined ? 0 : Number(q.offset);
  const limit = q.limit === undefined ? 100 : Math.min(1000, Math.max(1, Number(q.limit)));
  return { offset, limit };
}

export const iso = (ms: number): string => new Date(ms).toISOString();
