import type { FastifyInstance } from 'fastify';
import { LIST_SOURCES, type ListSource } from '../sanctions/entries.js';
import type { SanctionsStore } from '../sanctions/store.js';
import type { RouteContext } from './route-context.js';
import { ApiError } from './errors.js';
import { errorResponses, officerSecurity } from './schemas.js';

const diffEntry = { type: 'object', properties: { uid: { type: 'string' }, name: { type: 'string' }, changed: { type: 'array', items: { type: 'string' } } } } as const;
const diffWallet = { type: 'object', properties: { currency: { type: 'string' }, address: { type: 'string' }, entryUid: { type: 'string' } } } as const;

/** The sanctions-import history (each accepted list file with its counts and diff), for officers. */
export async function sanctionsRoutes(app: FastifyInstance, ctx: RouteContext, sanctions: SanctionsStore | undefined): Promise<void> {
  app.get<{ Querystring: { source?: ListSource } }>(
    '/sanctions/imports',
    {
      schema: {
        summary: 'Accepted sanctions-list imports, newest first, with what each changed',
        description:
          'One entry per accepted file (refused imports leave none): source, file, SHA-256, publication date, counts, a confirmed removal count when the removal limit needed one, and the diff against the previous import of the same source.',
        tags: ['sanctions'],
        security: officerSecurity,
        querystring: { type: 'object', properties: { source: { type: 'string', enum: [...LIST_SOURCES] } }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: {
              imports: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    source: { type: 'string' },
                    fileName: { type: 'string' },
                    sha256: { type: 'string' },
                    publishedAt: { type: ['string', 'null'] },
                    entryCount: { type: 'integer' },
                    walletCount: { type: 'integer' },
                    importedAt: { type: 'integer' },
                    confirmedRemovals: { type: ['integer', 'null'] },
                    diff: {
                      type: 'object',
                      properties: {
                        walletsAdded: { type: 'array', items: diffWallet },
                        walletsRemoved: { type: 'array', items: diffWallet },
                        entriesAdded: { type: 'array', items: diffEntry },
                        entriesRemoved: { type: 'array', items: diffEntry },
                        entriesChanged: { type: 'array', items: diffEntry },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errorResponses,
          503: { $ref: 'MonitorError#' },
        },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      if (!sanctions) throw new ApiError(503, 'not_configured', 'this monitor has no sanctions store configured', null, 'configured');
      return { imports: await sanctions.listImports(req.query.source) };
    },
  );
}
