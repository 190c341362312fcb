import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApplicationStatus, RequestedAttributes } from '../store/issuer-store.js';
import { iso, errorResponses, finalAttributesSchema, idParams, paging, pagingQuery, reasonBody, applicationView } from './schemas.js';
import type { RouteContext } from './route-context.js';
import { viewApplication } from './application-view.js';

const reviewerOnly = [{ reviewerKey: [] }];

/** Reviewer routes (`x-api-key`): list, approve, reject, revoke, publish. Decisions record the reviewer's name. */
export async function reviewerRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  // Authenticate before the body is even parsed: an unauthenticated caller gets 401/403, never a
  // validation error that would tell it about the route's schema.
  const reviewers = new WeakMap<FastifyRequest, string>();
  app.addHook('onRequest', async (req) => {
    reviewers.set(req, ctx.reviewers.authenticate(req.headers['x-api-key']));
  });
  const reviewer = (req: FastifyRequest): string => reviewers.get(req) as string;

  app.get<{ Querystring: { status?: ApplicationStatus; offset?: string; limit?: string } }>(
    '/applications',
    {
      schema: {
        tags: ['reviewer'],
        summary: 'List applications, oldest first',
        security: reviewerOnly,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['pending', 'approved', 'rejected'] }, ...pagingQuery },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: applicationView } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      reviewer(req);
      const list = await ctx.store.listApplications({ status: req.query.status, ...paging(req.query) });
      return { items: await Promise.all(list.map((a) => viewApplication(ctx, a))) };
    },
  );

  app.post<{ Params: { id: string }; Body: { attributes?: Partial<RequestedAttributes>; expiryDate: string } }>(
    '/applications/:id/approve',
    {
      schema: {
        tags: ['reviewer'],
        summary: 'Approve: sign the VC with the final attribute values and append its leaf',
        security: reviewerOnly,
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['expiryDate'],
          properties: { attributes: finalAttributesSchema, expiryDate: { type: 'string', maxLength: 10, description: 'YYYY-MM-DD' } },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              ...applicationView.properties,
              leafIndex: { type: 'integer' },
              leaf: { type: 'string' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const who = reviewer(req);
      const c = await ctx.issuance.approve(req.params.id, { attributes: req.body.attributes, expiryDate: req.body.expiryDate }, who);
      const view = await viewApplication(ctx, (await ctx.store.getApplication(req.params.id))!);
      return reply.code(201).send({ ...view, leafIndex: c.leafIndex, leaf: c.leaf });
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/applications/:id/reject',
    {
      schema: {
        tags: ['reviewer'],
        summary: 'Reject a pending application',
        security: reviewerOnly,
        params: idParams,
        body: reasonBody,
        response: { 200: applicationView, ...errorResponses },
      },
    },
    async (req) => {
      const who = reviewer(req);
      await ctx.issuance.reject(req.params.id, req.body.reason, who);
      return viewApplication(ctx, (await ctx.store.getApplication(req.params.id))!);
    },
  );

  app.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/credentials/:id/revoke',
    {
      schema: {
        tags: ['reviewer'],
        summary: 'Revoke: zero the leaf (the next published root drops it)',
        security: reviewerOnly,
        params: idParams,
        body: reasonBody,
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, status: { type: 'string' }, revokedAt: { type: 'string' }, root: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const who = reviewer(req);
      const c = await ctx.issuance.revoke(req.params.id, req.body.reason, who);
      return { id: c.id, status: c.status, revokedAt: iso(c.revokedAt as number), root: ctx.tree.root.toString() };
    },
  );

  app.post(
    '/tree/publish',
    {
      schema: {
        tags: ['reviewer'],
        summary: 'Publish the current root now (normally the publisher does it on its interval)',
        security: reviewerOnly,
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, root: { type: 'string' }, leafCount: { type: 'integer' }, txHash: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      reviewer(req);
      if (!ctx.publisher) {
        return reply.code(503).send({ error: { code: 'no_anchor', message: 'this service runs without a root anchor' } });
      }
      const outcome = await ctx.publisher.publishNow();
      return { ...outcome, root: outcome.root.toString() };
    },
  );
}
