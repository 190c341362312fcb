import type { FastifyInstance } from 'fastify';
import { notFound } from '../api-error.js';
import type { RouteContext } from './route-context.js';
import { credentialState } from './application-view.js';
import { treeCapacity } from '../services/issuer-tree.js';
import { errorResponses, idParams, iso, paging, pagingQuery, rootPublicationView } from './schemas.js';

/**
 * Public routes. Leaves are hiding commitments (salted Poseidon), so exporting them reveals only
 * how many credentials exist and which were revoked — the same information the chain has.
 */
export async function publicRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/credentials/:id/status',
    {
      schema: {
        tags: ['public'],
        summary: 'Whether a credential is active, revoked or expired',
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
              revokedAt: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const c = await ctx.store.getCredential(req.params.id);
      if (!c) throw notFound('credential');
      return { id: c.id, status: credentialState(ctx, c), revokedAt: c.revokedAt === null ? null : iso(c.revokedAt) };
    },
  );

  app.get<{ Querystring: { offset?: string; limit?: string } }>(
    '/tree/leaves',
    {
      schema: {
        tags: ['public'],
        summary: 'Paged export of the tree leaves (decimal; revoked leaves are "0")',
        querystring: { type: 'object', additionalProperties: false, properties: pagingQuery },
        response: {
          200: {
            type: 'object',
            properties: {
              total: { type: 'integer' },
              offset: { type: 'integer' },
              depth: { type: 'integer' },
              root: { type: 'string' },
              leaves: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { offset, limit } = paging(req.query);
      const [leaves, tree] = await Promise.all([ctx.store.listLeaves(offset, limit), ctx.tree.current()]);
      return { total: tree.size, offset, depth: ctx.config.treeDepth, root: tree.root.toString(), leaves: leaves.map((l) => l.value) };
    },
  );

  app.get<{ Querystring: { offset?: string; limit?: string } }>(
    '/tree/roots',
    {
      schema: {
        tags: ['public'],
        summary: 'Current tree root and the published roots, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: pagingQuery },
        response: {
          200: {
            type: 'object',
            properties: {
              current: { type: 'object', properties: { root: { type: 'string' }, leafCount: { type: 'integer' } } },
              published: { type: 'array', items: rootPublicationView },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { offset, limit } = paging(req.query);
      const published = await ctx.store.listRootPublications(offset, limit);
      const tree = await ctx.tree.current();
      return {
        current: { root: tree.root.toString(), leafCount: tree.size },
        published: published.map((p) => ({ ...p, publishedAt: iso(p.publishedAt) })),
      };
    },
  );

  app.get(
    '/health',
    {
      schema: {
        tags: ['public'],
        summary: 'Liveness, the issuer DID and the tree state',
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              issuerDid: { type: 'string' },
              treeId: { type: 'string' },
              leafCount: { type: 'integer' },
              capacity: { type: 'integer', description: 'leaves the tree can hold (2^depth)' },
              treeFull: { type: 'boolean', description: 'true when no credential can be issued into this tree any more' },
              root: { type: 'string' },
              publishedRoot: { type: ['string', 'null'] },
              unpublishedChanges: { type: 'boolean' },
              dev: { type: 'boolean' },
              publisher: {
                type: ['object', 'null'],
                description:
                  'null when no chain is configured. `elected`: this instance is the one that anchors roots (docs/issuer-service.md, "Operations"); `chains`: each chain\'s latest anchored root and how long it has lacked the current one',
                properties: {
                  elected: { type: 'boolean' },
                  chains: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        chain: { type: 'string' },
                        anchoredRoot: { type: ['string', 'null'] },
                        anchoredAt: { type: ['string', 'null'], format: 'date-time' },
                        current: { type: 'boolean' },
                        lagMs: { type: 'integer' },
                        lastError: {
                          type: ['string', 'null'],
                          maxLength: 300,
                          description: 'set on the publisher only, until the chain succeeds again: a short code and message, any URL cut to scheme://host (no API key)',
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => {
      const latest = await ctx.store.latestRootPublication();
      const tree = await ctx.tree.current();
      return {
        status: 'ok',
        issuerDid: ctx.issuerDid,
        treeId: ctx.config.treeId,
        leafCount: tree.size,
        capacity: treeCapacity(ctx.tree),
        treeFull: tree.size >= treeCapacity(ctx.tree),
        root: tree.root.toString(),
        publishedRoot: latest?.root ?? null,
        unpublishedChanges: tree.size > 0 && latest?.root !== tree.root.toString(),
        dev: ctx.config.dev,
        publisher: ctx.publisher
          ? {
              elected: ctx.publisher.isPublisher,
              chains: (await ctx.publisher.chainStatus()).map((c) => ({ ...c, anchoredAt: c.anchoredAt === null ? null : iso(c.anchoredAt) })),
            }
          : null,
      };
    },
  );

  if (ctx.didDocument) {
    // Serialised once: the document only changes with the key, which needs a restart anyway.
    const document = JSON.stringify(ctx.didDocument);
    app.get(
      '/.well-known/did.json',
      {
        schema: {
          tags: ['public'],
          summary: "The issuer's did:web document (its VC signing key)",
          response: { 200: { type: 'object', additionalProperties: true, properties: { id: { type: 'string' } } } },
        },
      },
      async (_req, reply) => reply.header('content-type', 'application/did+json').send(document),
    );
  }
}
