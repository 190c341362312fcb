import type { FastifyInstance, FastifyRequest } from 'fastify';
import { todayInt, dateToInt } from '@zkkyc/credentials';
import { DEFAULT_REVIEWER_RATE_LIMIT } from '../config.js';
import type { DisclosureInput, DisclosureResult } from '../services/disclosures.js';
import { requireRole, type AuthenticatedReviewer } from '../services/reviewer-auth.js';
import type { DisclosureRecord } from '../store/issuer-store.js';
import type { RouteContext } from './route-context.js';
import { errorResponses, iso, paging, pagingQuery } from './schemas.js';

const reviewerOnly = [{ reviewerKey: [] }];
const decimalString = (maxLength: number, description: string) => ({ type: 'string', minLength: 1, maxLength, description }) as const;

const disclosureView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    requestId: { type: 'string', description: 'the log entry id, decimal' },
    chainId: { type: 'integer' },
    log: { type: 'string', description: 'the DisclosureLog, lower-case 0x address' },
    policyId: { type: 'string', description: 'decimal' },
    caseRefHash: { type: 'string' },
    registrationTx: { type: 'string' },
    registrationLogIndex: { type: 'integer' },
    leafIndex: { type: 'integer' },
    credentialId: { type: 'string' },
    disclosedAt: { type: 'string', format: 'date-time' },
    officer: { type: 'string', description: 'the disclosure officer (reviewer name)' },
  },
} as const;

const recordView = {
  type: 'object',
  properties: {
    person: {
      type: ['object', 'null'],
      description: 'the person exactly as the reviewer verified them (null for a dev auto-approval)',
      properties: {
        documentType: { type: 'string' },
        issuingCountry: { type: 'string' },
        documentNumber: { type: 'string' },
        familyName: { type: 'string' },
        givenNames: { type: 'string' },
        birthDate: { type: 'string' },
      },
    },
    attributes: {
      type: 'object',
      properties: {
        jurisdiction: { type: 'string' },
        birthDate: { type: 'string' },
        investorClasses: { type: 'array', items: { type: 'string' } },
        kycLevel: { type: 'integer' },
        expiryDate: { type: 'string' },
      },
    },
    credential: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
        issuedAt: { type: 'string', format: 'date-time' },
        validUntil: { type: 'string', description: 'YYYY-MM-DD, valid through that day (UTC)' },
        revokedAt: { type: 'string', format: 'date-time' },
      },
    },
    verifiedBy: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, role: { type: 'string' }, action: { type: 'string', enum: ['proposed', 'approved'] }, at: { type: 'string', format: 'date-time' } },
      },
    },
  },
} as const;

/**
 * Disclosure routes (`x-api-key`): `POST /disclosures` (role disclosure-officer) returns the
 * identity record behind the leaf a logged disclosure request's ciphertext encrypts, and records
 * the disclosure; `GET /disclosures` (disclosure-officer or admin) lists the disclosures, with no
 * personal data. The key and its role are checked before the body is parsed, then whether
 * disclosure is configured (503), so neither a stranger nor a key without the role learns more.
 */
export async function disclosureRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const reviewers = new WeakMap<FastifyRequest, AuthenticatedReviewer>();
  app.addHook('onRequest', async (req) => {
    reviewers.set(req, ctx.reviewers.authenticate(req.headers['x-api-key'], req.ip));
  });
  const reviewer = (req: FastifyRequest): AuthenticatedReviewer => reviewers.get(req) as AuthenticatedReviewer;
  const config = {
    rateLimit: {
      max: ctx.config.reviewerRateLimitPerMinute ?? DEFAULT_REVIEWER_RATE_LIMIT,
      timeWindow: '1 minute',
      keyGenerator: (req: FastifyRequest) => `reviewer:${reviewers.get(req)?.name ?? req.ip}`,
    },
  };

  app.post<{ Body: DisclosureInput }>(
    '/disclosures',
    {
      config,
      // Role and configuration before the body: a key without the role gets 403, never a schema error.
      preValidation: async (req) => {
        requireRole(reviewer(req), 'disclosure-officer');
        ctx.disclosures.assertConfigured();
      },
      schema: {
        tags: ['disclosure'],
        summary: 'Disclose the identity record behind a logged disclosure request (role disclosure-officer)',
        description:
          "Checks, in order: the body; one leaf per request (a repeat by the same officer returns the same disclosure, after every check below runs again and the entry still names what was recorded); on chain, the log entry (Open, confirmed, its event hashing to the entry hash) and its registration (a successful transaction whose log at registrationLogIndex is the gate's EscrowCiphertext, right after the same registration's WalletVerified), the gate being the configured one (DISCLOSURE_GATE_ADDRESS); the registration's issuer is this service's and its root one this service published; leafIndex = (escrowC − Poseidon2(K)) mod p and below that root's leaf count. Then records the disclosure. See docs/issuer-service.md, \"Disclosure\".",
        security: reviewerOnly,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['request', 'sharedPoint', 'leafIndex'],
          properties: {
            request: {
              type: 'object',
              additionalProperties: false,
              required: ['chainId', 'log', 'id'],
              properties: {
                chainId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
                log: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$', description: 'the DisclosureLog address (must be DISCLOSURE_LOG_ADDRESS)' },
                id: decimalString(78, 'the request id in the log, decimal'),
              },
            },
            sharedPoint: {
              type: 'array',
              minItems: 2,
              maxItems: 2,
              items: decimalString(78, 'coordinate, decimal'),
              description: 'K = r·E = e·R, the point the escrow key holder(s) computed for the registration\'s ciphertext: ["x", "y"]',
            },
            leafIndex: decimalString(10, 'the leaf index K decrypts the ciphertext to, decimal'),
          },
        },
        response: { 200: { type: 'object', properties: { disclosure: disclosureView, record: recordView } }, ...errorResponses },
      },
    },
    async (req) => {
      const officer = requireRole(reviewer(req), 'disclosure-officer');
      return viewResult(ctx, await ctx.disclosures.disclose(req.body, officer));
    },
  );

  app.get<{ Querystring: { offset?: string; limit?: string } }>(
    '/disclosures',
    {
      config,
      schema: {
        tags: ['disclosure'],
        summary: 'The recorded disclosures, oldest first, without personal data (role disclosure-officer or admin)',
        security: reviewerOnly,
        querystring: { type: 'object', additionalProperties: false, properties: pagingQuery },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: disclosureView } } }, ...errorResponses },
      },
    },
    async (req) => {
      requireRole(reviewer(req), 'disclosure-officer', 'admin');
      return { items: (await ctx.disclosures.list(paging(req.query))).map(viewDisclosure) };
    },
  );
}

function viewDisclosure(d: DisclosureRecord) {
  return {
    id: d.id,
    requestId: d.requestId,
    chainId: Number(d.chainId),
    log: d.logAddress,
    policyId: d.policyId,
    caseRefHash: d.caseRefHash,
    registrationTx: d.registrationTx,
    registrationLogIndex: d.registrationLogIndex,
    leafIndex: d.leafIndex,
    credentialId: d.credentialId,
    disclosedAt: iso(d.disclosedAt),
    officer: d.officer,
  };
}

function viewResult(ctx: RouteContext, { disclosure, record, credential }: DisclosureResult) {
  const expired = credential.status === 'active' && dateToInt(credential.expiryDate) < todayInt(new Date(ctx.clock.now()));
  return {
    disclosure: viewDisclosure(disclosure),
    record: {
      person: record.person,
      attributes: record.attributes,
      credential: {
        id: credential.id,
        status: expired ? 'expired' : credential.status,
        issuedAt: iso(record.issuedAt),
        validUntil: record.validUntil,
        ...(credential.revokedAt !== null ? { revokedAt: iso(credential.revokedAt) } : {}),
      },
      verifiedBy: record.verifiedBy.map((v) => ({ ...v, at: iso(v.at) })),
    },
  };
}
