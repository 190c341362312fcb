import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_REVIEWER_RATE_LIMIT } from '../config.js';
import { requireRole, type AuthenticatedReviewer } from '../services/reviewer-auth.js';
import { MAX_MATCHES_PER_BATCH, type ScreeningMatchInput } from '../services/screening.js';
import type { ScreeningMatchRecord, ScreeningMatchStatus } from '../store/issuer-store.js';
import { errorResponses, FREE_TEXT_PATTERN, iso, paging, pagingQuery, reasonBody, reasonSchema } from './schemas.js';
import type { RouteContext } from './route-context.js';

const keyOnly = [{ reviewerKey: [] }];
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max, pattern: FREE_TEXT_PATTERN }) as const;

/** One candidate as the compliance monitor sends it (its `ScreeningMatch`). */
const matchInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['credentialId', 'source', 'entryUid', 'entryName', 'matchedName', 'score', 'reasons'],
  properties: {
    credentialId: { type: 'string', format: 'uuid' },
    source: { type: 'string', pattern: '^[a-z0-9-]{1,32}$', description: 'the list, as the monitor names it: `ofac` (SDN), `eu` (consolidated)' },
    entryUid: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$', description: "the entry's id in its list" },
    entryName: text(300),
    matchedName: text(300),
    score: { type: 'number', minimum: 0, maximum: 1 },
    reasons: {
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['factor', 'effect', 'detail'],
        properties: {
          factor: { type: 'string', enum: ['name', 'birth-date', 'nationality'] },
          effect: { type: 'number', minimum: -1, maximum: 1 },
          detail: text(500),
        },
      },
    },
  },
} as const;

const matchView = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    credentialId: { type: 'string' },
    source: { type: 'string' },
    entryUid: { type: 'string' },
    entryName: { type: 'string' },
    matchedName: { type: 'string' },
    score: { type: 'number' },
    reasons: { type: 'array', items: { type: 'object', properties: { factor: { type: 'string' }, effect: { type: 'number' } } } },
    status: { type: 'string', enum: ['open', 'confirmed', 'dismissed', 'moot'] },
    reportedBy: { type: 'string' },
    reportedAt: { type: 'string', format: 'date-time' },
    decidedBy: { type: ['string', 'null'] },
    decidedAt: { type: ['string', 'null'], format: 'date-time' },
    decisionReason: { type: ['string', 'null'] },
  },
} as const;

const matchIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9]{1,15}$' } } } as const;

const view = (m: ScreeningMatchRecord) => ({ ...m, reportedAt: iso(m.reportedAt), decidedAt: m.decidedAt === null ? null : iso(m.decidedAt) });

/**
 * Ongoing screening (services/screening.ts), on reviewer keys (`x-api-key`):
 * - `GET /screening/persons` and `POST /screening/matches`: role `screening` only (the compliance
 *   monitor's key). The first hands out personal data, so it is audited per call.
 * - `GET /screening/matches` (reviewer, revoker or admin), `POST /screening/matches/:id/confirm`
 *   (revoker: revokes the credential), `POST /screening/matches/:id/dismiss` (reviewer, reason required).
 */
export async function screeningRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const keys = new WeakMap<FastifyRequest, AuthenticatedReviewer>();
  app.addHook('onRequest', async (req) => {
    keys.set(req, ctx.reviewers.authenticate(req.headers['x-api-key'], req.ip));
  });
  const caller = (req: FastifyRequest): AuthenticatedReviewer => keys.get(req) as AuthenticatedReviewer;
  const config = {
    rateLimit: {
      max: ctx.config.reviewerRateLimitPerMinute ?? DEFAULT_REVIEWER_RATE_LIMIT,
      timeWindow: '1 minute',
      keyGenerator: (req: FastifyRequest) => `reviewer:${keys.get(req)?.name ?? req.ip}`,
    },
  };

  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/screening/persons',
    {
      config,
      schema: {
        tags: ['screening'],
        summary: "The active credentials' verified persons, for ongoing sanctions screening (role screening; personal data, audited)",
        description:
          'Opened from the sealed identity records: credential id, family and given names, birth date, issuing country — not the document number. Credentials without a verified person (dev auto-approvals) or whose record was purged are left out. Paged by active credential in leaf order (`after`/`limit`: a page may hold fewer persons than `limit`, so pass `nextAfter` as `after` until it is null; a credential revoked during the run does not shift the pages); each call is an audit event `screening-export`.',
        security: keyOnly,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'string', pattern: '^[0-9]{1,10}$', description: "the previous page's nextAfter (a leaf index); omit for the first page" },
            limit: pagingQuery.limit,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              persons: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    credentialId: { type: 'string' },
                    familyName: { type: 'string' },
                    givenNames: { type: 'string' },
                    birthDate: { type: 'string' },
                    issuingCountry: { type: 'string' },
                  },
                },
              },
              nextAfter: { type: ['integer', 'null'], description: 'pass as `after` for the next page; null when this was the last' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const actor = requireRole(caller(req), 'screening');
      const { limit } = paging({ limit: req.query.limit });
      return ctx.screening.exportPersons(actor, { after: req.query.after === undefined ? null : Number(req.query.after), limit });
    },
  );

  app.post<{ Body: { matches: ScreeningMatchInput[] } }>(
    '/screening/matches',
    {
      config,
      schema: {
        tags: ['screening'],
        summary: 'Post candidate matches from a screening run (role screening)',
        description: `Up to ${MAX_MATCHES_PER_BATCH} per request, checked whole (400 naming the field; nothing stored). A match repeating an open one (same credential, source, entry uid) is skipped and counted in \`duplicates\`; one for a credential already revoked or expired is stored as \`moot\`.`,
        security: keyOnly,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['matches'],
          properties: { matches: { type: 'array', minItems: 1, maxItems: MAX_MATCHES_PER_BATCH, items: matchInputSchema } },
        },
        response: {
          200: { type: 'object', properties: { stored: { type: 'array', items: matchView }, duplicates: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const actor = requireRole(caller(req), 'screening');
      const { stored, duplicates } = await ctx.screening.recordMatches(req.body.matches, actor);
      return { stored: stored.map(view), duplicates };
    },
  );

  app.get<{ Querystring: { status?: ScreeningMatchStatus; offset?: string; limit?: string } }>(
    '/screening/matches',
    {
      config,
      schema: {
        tags: ['screening'],
        summary: 'The screening match queue, oldest first (role reviewer, revoker or admin)',
        security: keyOnly,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['open', 'confirmed', 'dismissed', 'moot'] }, ...pagingQuery },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: matchView } } }, ...errorResponses },
      },
    },
    async (req) => {
      requireRole(caller(req), 'reviewer', 'revoker', 'admin');
      return { items: (await ctx.screening.list({ status: req.query.status, ...paging(req.query) })).map(view) };
    },
  );

  app.post<{ Params: { id: string }; Body: { reason?: string } }>(
    '/screening/matches/:id/confirm',
    {
      config,
      schema: {
        tags: ['screening'],
        summary: 'Confirm a match: revoke the credential (role revoker)',
        description:
          'Revokes the credential in the same transaction that closes the match (reason naming the list and entry); the leaf becomes zero and the publisher anchors the next root. When the credential has already been revoked or expired, the match is closed as `moot`. 409 `match_not_open` when already decided.',
        security: keyOnly,
        params: matchIdParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: reasonSchema } },
        response: { 200: matchView, ...errorResponses },
      },
    },
    async (req) => {
      const actor = requireRole(caller(req), 'revoker');
      return view(await ctx.screening.confirm(Number(req.params.id), req.body?.reason, actor));
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/screening/matches/:id/dismiss',
    {
      config,
      schema: {
        tags: ['screening'],
        summary: 'Dismiss a match: not the listed person; the credential stays (role reviewer, reason required)',
        security: keyOnly,
        params: matchIdParams,
        body: reasonBody,
        response: { 200: matchView, ...errorResponses },
      },
    },
    async (req) => {
      const actor = requireRole(caller(req), 'reviewer');
      return view(await ctx.screening.dismiss(Number(req.params.id), req.body.reason, actor));
    },
  );
}
