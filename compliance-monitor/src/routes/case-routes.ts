import type { FastifyInstance } from 'fastify';
import type { CaseStatus } from '../model.js';
import type { RouteContext } from './route-context.js';
import { ApiError, notFound } from './errors.js';
import { LIMIT_PATTERN, TAG_PATTERN, caseDetailSchema, caseLogEntrySchema, caseSummarySchema, errorResponses, officerSecurity } from './schemas.js';

const STATUSES = ['open', 'escalated', 'closed'] as const;
const caseParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] } as const;

/** Cases: list, read, add a note, change the status. Every write records the officer and is audited. */
export async function caseRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Querystring: { status?: CaseStatus; investorTag?: string; limit?: string } }>(
    '/cases',
    {
      schema: {
        summary: 'Cases, newest first',
        tags: ['cases'],
        security: officerSecurity,
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: [...STATUSES] },
            investorTag: { type: 'string', pattern: TAG_PATTERN },
            limit: { type: 'string', pattern: LIMIT_PATTERN, description: '1–1000, default 100' },
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { cases: { type: 'array', items: caseSummarySchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const cases = await ctx.store.listCases({ status: req.query.status, investorTag: req.query.investorTag, limit: req.query.limit ? Math.min(1000, Number(req.query.limit)) : 100 });
      return { cases };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/cases/:id',
    {
      schema: {
        summary: 'A case with its rule hits (and their evidence) and its history',
        tags: ['cases'],
        security: officerSecurity,
        params: caseParams,
        response: { 200: caseDetailSchema, ...errorResponses },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const kase = await ctx.store.getCase(req.params.id);
      if (!kase) throw notFound(`case ${req.params.id}`);
      return kase;
    },
  );

  app.post<{ Params: { id: string }; Body: { text: string } }>(
    '/cases/:id/notes',
    {
      schema: {
        summary: "Adds an officer's note to a case",
        tags: ['cases'],
        security: officerSecurity,
        params: caseParams,
        body: { type: 'object', properties: { text: { type: 'string', minLength: 1, maxLength: 10_000 } }, required: ['text'], additionalProperties: false },
        response: { 201: caseLogEntrySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const officer = ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const entry = await ctx.store.transaction(async (tx) => {
        if (!(await tx.getCase(req.params.id))) throw notFound(`case ${req.params.id}`);
        const id = await tx.appendCaseLog(req.params.id, 'note', officer, req.body.text);
        await tx.audit(officer, 'case-note', 'case', req.params.id, { logId: id });
        return (await tx.getCase(req.params.id))!.log.find((l) => l.id === id)!;
      });
      return reply.code(201).send(entry);
    },
  );

  app.post<{ Params: { id: string }; Body: { status: CaseStatus; reason: string } }>(
    '/cases/:id/status',
    {
      schema: {
        summary: "Changes a case's status (open, escalated, closed), with the reason",
        tags: ['cases'],
        security: officerSecurity,
        params: caseParams,
        body: {
          type: 'object',
          properties: { status: { type: 'string', enum: [...STATUSES] }, reason: { type: 'string', minLength: 1, maxLength: 2000 } },
          required: ['status', 'reason'],
          additionalProperties: false,
        },
        response: { 200: caseDetailSchema, 409: { $ref: 'MonitorError#' }, ...errorResponses },
      },
    },
    async (req) => {
      const officer = ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      return ctx.store.transaction(async (tx) => {
        const current = await tx.getCase(req.params.id);
        if (!current) throw notFound(`case ${req.params.id}`);
        if (current.status === req.body.status) {
          throw new ApiError(409, 'no_change', `case ${req.params.id} is already ${current.status}`, 'status', 'transition');
        }
        await tx.setCaseStatus(req.params.id, req.body.status, officer, req.body.reason);
        return (await tx.getCase(req.params.id))!;
      });
    },
  );
}
