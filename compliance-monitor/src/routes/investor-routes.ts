import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './route-context.js';
import { notFound } from './errors.js';
import { ADDRESS_PATTERN, TAG_PATTERN, caseSummarySchema, errorResponses, officerSecurity } from './schemas.js';

/** Investors (all of a person's wallets under the gate's tag) and wallets: who is who, and their decaying risk scores. */
export async function investorRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Params: { tag: string } }>(
    '/investors/:tag',
    {
      schema: {
        summary: "An investor's wallets and risk score",
        description:
          "Every wallet the gate ever verified under this investor tag (revoked ones included: their history is the same person's), the risk score decayed to now, and the cases about the investor.",
        tags: ['investors'],
        security: officerSecurity,
        params: { type: 'object', properties: { tag: { type: 'string', pattern: TAG_PATTERN } }, required: ['tag'] },
        response: {
          200: {
            type: 'object',
            properties: {
              investorTag: { type: 'string' },
              wallets: {
                type: 'array',
                items: { type: 'object', properties: { wallet: { type: 'string' }, policyId: { type: 'string' }, status: { type: 'string' }, at: { type: 'integer' } } },
              },
              risk: {
                type: 'object',
                properties: { score: { type: 'number' }, raw: { type: 'number' }, updatedAt: { type: 'integer' }, halfLifeDays: { type: 'number' } },
              },
              cases: { type: 'array', items: caseSummarySchema },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const tag = req.params.tag.toLowerCase();
      const [regs, risk, cases] = await Promise.all([ctx.store.walletsOf(tag), ctx.store.riskScore(tag, ctx.now()), ctx.store.listCases({ investorTag: tag })]);
      if (regs.length === 0 && risk === null && cases.length === 0) throw notFound(`investor ${tag}`, 'tag');
      return {
        investorTag: tag,
        wallets: regs.map((r) => ({ wallet: r.wallet, policyId: r.policyId, status: r.status, at: r.at })),
        risk: risk ? { score: risk.score, raw: risk.raw, updatedAt: risk.updatedAt, halfLifeDays: risk.halfLifeDays } : { score: 0, raw: 0, updatedAt: 0, halfLifeDays: ctx.store.riskHalfLifeDays },
        cases,
      };
    },
  );

  app.get<{ Params: { address: string } }>(
    '/wallets/:address',
    {
      schema: {
        summary: 'Who a wallet belongs to',
        description:
          "The wallet's registrations (one per gate policy it was ever verified under, newest first), the investor tag of the newest, and the risk score that counts for it: the investor's, or the wallet's own when it was never registered.",
        tags: ['investors'],
        security: officerSecurity,
        params: { type: 'object', properties: { address: { type: 'string', pattern: ADDRESS_PATTERN } }, required: ['address'] },
        response: {
          200: {
            type: 'object',
            properties: {
              wallet: { type: 'string' },
              investorTag: { type: ['string', 'null'] },
              registrations: {
                type: 'array',
                items: { type: 'object', properties: { policyId: { type: 'string' }, investorTag: { type: 'string' }, status: { type: 'string' }, at: { type: 'integer' } } },
              },
              risk: {
                type: 'object',
                properties: { subject: { type: 'string' }, score: { type: 'number' }, raw: { type: 'number' }, updatedAt: { type: 'integer' }, halfLifeDays: { type: 'number' } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      ctx.officers.authenticate(req.headers['x-api-key'], req.ip);
      const wallet = req.params.address.toLowerCase();
      const registrations = await ctx.store.registrationsOf(wallet);
      const investorTag = registrations[0]?.investorTag ?? null;
      const subject = investorTag ?? wallet;
      const risk = await ctx.store.riskScore(subject, ctx.now());
      return {
        wallet,
        investorTag,
        registrations: registrations.map((r) => ({ policyId: r.policyId, investorTag: r.investorTag, status: r.status, at: r.at })),
        risk: risk ?? { subject, score: 0, raw: 0, updatedAt: 0, halfLifeDays: ctx.store.riskHalfLifeDays },
      };
    },
  );
}
