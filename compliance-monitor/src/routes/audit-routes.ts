import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './route-context.js';
import { LIMIT_PATTERN, errorResponses, officerSecurity } from './schemas.js';

/** The audit trail, for officers. */
export async function auditRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Querystring: { subjectType?: string; subjectId?: string; limit?: string } }>(
    '/audit',
    {
      schema: {
        summary: 'The audit trail, oldest first',
        description: "Who did what: cases opened, officers' notes and status changes, playbook actions, reorg rewinds, retention purges.",
        tags: ['audit'],
        security: officerSecurity,
        querystring: {
          type: 'object',
          properties: {
            subjectType: { type: 'string', pattern: '^[a-z-]{1,40}$' },
            subjectId: { type: 'string', minLength: 1, maxLength: 200 },
            limit: { type: 'string', pattern: LIMIT_PATTERN, description: '1–1000, default 100' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              entries: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    at: { type: 'integer' },
                    actor: { type: 'string' },
                    action: { type: 'string' },
                    subjectType: { type: 'string' },
                    subjectId: { type: 'string' },
                    detail: {},
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const limit = req.query.limit === undefined ? 100 : Math.min(1000, Number(req.query.limit));
      return { entries: await ctx.store.auditTrail({ subjectType: req.query.subjectType, subjectId: req.query.subjectId, limit }) };
    },
  );
}
