import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './route-context.js';
import { ApiError } from './errors.js';
import { ADDRESS_PATTERN, LIMIT_PATTERN, errorResponses, eventSchema, officerSecurity } from './schemas.js';

/** Reading the events the indexer stored. */
export async function eventRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Querystring: { token?: string; wallet?: string; limit?: string } }>(
    '/events',
    {
      schema: {
        summary: 'Indexed events, newest first',
        description: 'Final events of the monitored contracts. `token` keeps those emitted by that address (the monitored token), `wallet` those naming that wallet in any address argument.',
        tags: ['events'],
        security: officerSecurity,
        querystring: {
          type: 'object',
          properties: {
            token: { type: 'string', pattern: ADDRESS_PATTERN },
            wallet: { type: 'string', pattern: ADDRESS_PATTERN },
            limit: { type: 'string', pattern: LIMIT_PATTERN, description: '1–1000, default 100' },
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { events: { type: 'array', items: eventSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
      if (limit > 1000) throw new ApiError(400, 'invalid_field', 'limit must be at most 1000', 'limit', 'maximum');
      const token = req.query.token?.toLowerCase();
      if (token !== undefined && token !== ctx.contracts.token) {
        throw new ApiError(400, 'invalid_field', `token ${token} is not the token this monitor follows (${ctx.contracts.token})`, 'token', 'monitored-token');
      }
      const events = await ctx.store.events({ address: token, wallet: req.query.wallet, newestFirst: true, limit });
      return { events };
    },
  );
}
