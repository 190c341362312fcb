import type { FastifyInstance } from 'fastify';
import { registerConsole } from '@zkkyc/service-kit';
import type { ChainEvent, EventRef } from '../model.js';
import type { CaseDetail, StoreSession } from '../store/monitor-store.js';
import type { RouteContext } from './route-context.js';
import { notFound } from './errors.js';
import { errorResponses, eventSchema, officerSecurity, ruleHitSchema } from './schemas.js';

/** Freezes the token's indexed events describe, per wallet. */
export interface WalletFreeze {
  wallet: string;
  /** Base units frozen by `freezePartialTokens` and not unfrozen since (decimal string). */
  frozenAmount: string;
  /** The wallet as a whole is frozen (`setAddressFrozen(wallet, true)`). */
  fullyFrozen: boolean;
  /** Block time of the last freeze event about the wallet. */
  since: number;
  /** The agent of the last full freeze or unfreeze, when there was one. */
  agent: string | null;
}

const key = (e: EventRef) => `${e.txHash.toLowerCase()}:${e.logIndex}`;

/**
 * The events a case's hits cite, in full (the hits keep only where each event sits): looked up
 * among the events naming the case's wallets. An event the retention purge removed is missing.
 */
export async function caseEvents(store: StoreSession, kase: CaseDetail): Promise<Map<string, ChainEvent>> {
  const found = new Map<string, ChainEvent>();
  const wanted = new Set(kase.hits.flatMap((h) => h.evidence.events.map(key)));
  for (const wallet of kase.subject.wallets) {
    for (const e of await store.events({ wallet, limit: 10_000 })) if (wanted.has(key(e))) found.set(key(e), e);
  }
  return found;
}

/** Partial and full freezes per wallet, from TokensFrozen / TokensUnfrozen / AddressFrozen. */
export function freezesFrom(events: readonly ChainEvent[]): WalletFreeze[] {
  const byWallet = new Map<string, WalletFreeze>();
  for (const e of events) {
    const wallet = e.args.account;
    if (!wallet) continue;
    const f = byWallet.get(wallet) ?? { wallet, frozenAmount: '0', fullyFrozen: false, since: e.blockTime, agent: null };
    if (e.name === 'TokensFrozen') f.frozenAmount = (BigInt(f.frozenAmount) + BigInt(e.args.amount)).toString();
    else if (e.name === 'TokensUnfrozen') f.frozenAmount = (BigInt(f.frozenAmount) - BigInt(e.args.amount)).toString();
    else if (e.name === 'AddressFrozen') {
      f.fullyFrozen = e.args.frozen === 'true';
      f.agent = e.args.agent ?? null;
    } else continue;
    f.since = e.blockTime;
    byWallet.set(wallet, f);
  }
  return [...byWallet.values()].filter((f) => f.fullyFrozen || BigInt(f.frozenAmount) > 0n).sort((a, b) => b.since - a.since || a.wallet.localeCompare(b.wallet));
}

const FREEZE_EVENTS = ['TokensFrozen', 'TokensUnfrozen', 'AddressFrozen'];

/** What the console reads besides the case routes: a case's evidence in full, and the current freezes. */
export async function consoleRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/cases/:id/evidence',
    {
      schema: {
        summary: "A case's rule hits, each with the events it cites in full",
        description:
          'GET /cases/:id gives each hit with where its events sit; this answers the events themselves (arguments, block time), for an evidence timeline. An event the retention purge removed is listed in `missing`.',
        tags: ['cases'],
        security: officerSecurity,
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] },
        response: {
          200: {
            type: 'object',
            properties: {
              caseId: { type: 'string' },
              hits: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    hit: ruleHitSchema,
                    events: { type: 'array', items: eventSchema },
                    missing: { type: 'array', items: { type: 'object', properties: { txHash: { type: 'string' }, logIndex: { type: 'integer' }, blockNumber: { type: 'integer' } } } },
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
      const kase = await ctx.store.getCase(req.params.id);
      if (!kase) throw notFound(`case ${req.params.id}`);
      const events = await caseEvents(ctx.store, kase);
      return {
        caseId: kase.id,
        hits: kase.hits.map((hit) => ({
          hit,
          events: hit.evidence.events.flatMap((r) => events.get(key(r)) ?? []).sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex),
          missing: hit.evidence.events.filter((r) => !events.has(key(r))).map((r) => ({ txHash: r.txHash, logIndex: r.logIndex, blockNumber: r.blockNumber })),
        })),
      };
    },
  );

  app.get(
    '/frozen',
    {
      schema: {
        summary: 'Wallets with frozen tokens or frozen as a whole, now',
        description:
          "From the token's indexed TokensFrozen, TokensUnfrozen and AddressFrozen events (final blocks only: a freeze sent a moment ago appears once it is confirmed). Wallets whose freezes were all lifted are left out.",
        tags: ['freezes'],
        security: officerSecurity,
        response: {
          200: {
            type: 'object',
            properties: {
              wallets: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { wallet: { type: 'string' }, frozenAmount: { type: 'string' }, fullyFrozen: { type: 'boolean' }, since: { type: 'integer' }, agent: { type: ['string', 'null'] } },
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
      const events = await ctx.store.events({ address: ctx.contracts.token, names: FREEZE_EVENTS, limit: 10_000 });
      return { wallets: freezesFrom(events) };
    },
  );
}

/**
 * Serves the built console (`vite build` of compliance-monitor/console) at `/console/`; a missing
 * file answers 404 in the monitor's error shape.
 */
export async function serveConsole(app: FastifyInstance, dir: string): Promise<void> {
  await registerConsole(app, {
    dir,
    headers: {
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    },
    missingFile: (file) => notFound(`console file ${file}`, 'url'),
    headersOnMissing: false,
  });
}
