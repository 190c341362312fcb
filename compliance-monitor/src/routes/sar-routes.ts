import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DisclosedRecord } from '@zkkyc/escrow';
import type { SarStatus, SarToken } from '../sar/draft.js';
import { SarError } from '../sar/errors.js';
import { goamlXml } from '../sar/goaml.js';
import { sarHtml } from '../sar/html.js';
import type { SarStore } from '../sar/store.js';
import type { RouteContext } from './route-context.js';
import { ApiError, notFound } from './errors.js';
import { caseEvents } from './console-routes.js';
import { errorResponses, officerSecurity } from './schemas.js';

/** What the SAR routes need: where drafts live, and the token they report on (name, symbol, decimals, chain). */
export interface SarRoutesOptions {
  store: SarStore;
  token: SarToken;
}

const SAR_ID_PATTERN = '^sar-[0-9]{6,}$';
const STATUSES: SarStatus[] = ['draft', 'edited', 'filed'];

const summarySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    caseId: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    reportCode: { type: 'string' },
    subject: { type: 'string' },
    transfers: { type: 'integer' },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
    filed: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

/** A draft as stored (draft.ts's SarDraft): passed through whole. */
const draftSchema = { type: 'object', additionalProperties: true } as const;

const withErrors = { ...errorResponses, 409: { $ref: 'MonitorError#' }, 503: { $ref: 'MonitorError#' } } as const;

/** A refused SAR operation as the API's error: an unknown draft is 404, a filed one 409, the rest 400. */
function apiErrorOf(err: unknown): unknown {
  if (!(err instanceof SarError)) return err;
  const message = err.message;
  if (err.rule === 'exists') return new ApiError(404, 'not_found', message, err.field, err.rule);
  if (err.rule === 'filed-is-final') return new ApiError(409, 'sar_filed', message, err.field, err.rule);
  return new ApiError(400, 'invalid_field', message, err.field, err.rule);
}

async function sarCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw apiErrorOf(err);
  }
}

/**
 * SAR drafts over HTTP: list, draft one from a case, edit, mark filed, download as goAML XML or a
 * printable page. A download is an attachment for the officer; nothing is sent anywhere else. Without
 * a SAR store every route answers 503 `not_configured`.
 */
export async function sarRoutes(app: FastifyInstance, ctx: RouteContext, sar: SarRoutesOptions | undefined): Promise<void> {
  const configured = (): SarRoutesOptions => {
    if (!sar) throw new ApiError(503, 'not_configured', 'this monitor keeps no SAR drafts (no SAR store configured)', null, 'configured');
    return sar;
  };

  app.get<{ Querystring: { caseId?: string; status?: SarStatus } }>(
    '/sar',
    {
      schema: {
        summary: 'SAR drafts, newest first',
        tags: ['sar'],
        security: officerSecurity,
        querystring: {
          type: 'object',
          properties: { caseId: { type: 'string', minLength: 1, maxLength: 100 }, status: { type: 'string', enum: STATUSES } },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { drafts: { type: 'array', items: summarySchema } } }, ...withErrors },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      return { drafts: await configured().store.list({ caseId: req.query.caseId, status: req.query.status }) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/cases/:id/sar',
    {
      schema: {
        summary: 'Drafts a SAR from a case',
        description:
          "The draft holds the case's subject (the person of the newest escrow disclosure attached to the case, else an unidentified investor by tag), wallets, every token transfer among the hits' evidence, the timeline, totals, the hits and a narrative from the template. Nothing is sent: the officer edits it, downloads it, files it with the FIU and marks it filed.",
        tags: ['sar'],
        security: officerSecurity,
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] },
        response: { 201: draftSchema, ...withErrors },
      },
    },
    async (req, reply) => {
      const officer = ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const { store, token } = configured();
      const kase = await ctx.store.getCase(req.params.id);
      if (!kase) throw notFound(`case ${req.params.id}`);
      const events = [...(await caseEvents(ctx.store, kase)).values()];
      const actionsTaken = kase.log.filter((l) => l.kind === 'action' && l.text.startsWith('done:')).map((l) => l.text.slice('done:'.length).trim());
      // The subject is the person of the newest disclosure attached to the case (disclosure-routes.ts).
      const [latest] = await ctx.store.caseDisclosures(kase.id);
      const disclosure = latest ? (latest.record as unknown as DisclosedRecord) : null;
      const draft = await sarCall(() => store.create({ case: kase, hits: kase.hits, events, token, disclosure, actionsTaken }, officer));
      await ctx.store.appendCaseLog(kase.id, 'note', officer, `SAR draft ${draft.id} created`, { sarId: draft.id });
      return reply.code(201).send(draft);
    },
  );

  app.get<{ Params: { ref: string } }>(
    '/sar/:ref',
    {
      schema: {
        summary: 'A SAR draft: as JSON (/sar/sar-000001), goAML XML (/sar/sar-000001.xml) or a printable page (/sar/sar-000001.html)',
        description: 'The .xml and .html forms are downloads (Content-Disposition: attachment) for the officer to check and upload to the FIU; the monitor never sends them.',
        tags: ['sar'],
        security: officerSecurity,
        params: { type: 'object', properties: { ref: { type: 'string', pattern: '^sar-[0-9]{6,}(\\.xml|\\.html)?$' } }, required: ['ref'] },
        response: { 200: {}, ...withErrors },
      },
    },
    async (req, reply: FastifyReply) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const { store } = configured();
      const [, id, format] = /^(sar-[0-9]+)(?:\.(xml|html))?$/.exec(req.params.ref)!;
      const draft = await store.get(id);
      if (!draft) throw notFound(`SAR draft ${id}`, 'ref');
      if (format === undefined) return draft;
      const body = format === 'xml' ? goamlXml(draft) : sarHtml(draft);
      const fileName = format === 'xml' ? `${id}.goaml.xml` : `${id}.html`;
      return reply
        .header('content-type', format === 'xml' ? 'application/xml; charset=utf-8' : 'text/html; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .header('x-content-type-options', 'nosniff')
        .send(body);
    },
  );

  app.patch<{ Params: { id: string }; Body: { narrative?: string; reason?: string; action?: string } }>(
    '/sar/:id',
    {
      schema: {
        summary: "Edits a draft's narrative (and reason or action); a filed draft is 409",
        tags: ['sar'],
        security: officerSecurity,
        params: { type: 'object', properties: { id: { type: 'string', pattern: SAR_ID_PATTERN } }, required: ['id'] },
        body: {
          type: 'object',
          properties: { narrative: { type: 'string', maxLength: 4000 }, reason: { type: 'string', maxLength: 4000 }, action: { type: 'string', maxLength: 4000 } },
          minProperties: 1,
          additionalProperties: false,
        },
        response: { 200: draftSchema, ...withErrors },
      },
    },
    async (req) => {
      const officer = ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const { store } = configured();
      return sarCall(() => store.edit(req.params.id, req.body, officer));
    },
  );

  app.post<{ Params: { id: string }; Body: { fiuReference?: string } }>(
    '/sar/:id/file',
    {
      schema: {
        summary: 'Marks a draft filed (the officer submitted it to the FIU); final',
        tags: ['sar'],
        security: officerSecurity,
        params: { type: 'object', properties: { id: { type: 'string', pattern: SAR_ID_PATTERN } }, required: ['id'] },
        body: { type: ['object', 'null'], properties: { fiuReference: { type: 'string', minLength: 1, maxLength: 200 } }, additionalProperties: false },
        response: { 200: draftSchema, ...withErrors },
      },
    },
    async (req) => {
      const officer = ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const { store } = configured();
      const draft = await sarCall(() => store.file(req.params.id, officer, req.body?.fiuReference));
      await ctx.store.appendCaseLog(draft.caseId, 'note', officer, `SAR draft ${draft.id} marked filed${draft.filed?.fiuReference ? ` (FIU reference ${draft.filed.fiuReference})` : ''}`, {
        sarId: draft.id,
      });
      return draft;
    },
  );
}
