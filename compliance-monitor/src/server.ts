import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { MonitorConfig, MonitoredContracts, Officer } from './config.js';
import { JsonRpcChain, type ChainClient } from './indexer/chain-client.js';
import { Indexer, type IndexerHooks, type IndexerStatus } from './indexer/indexer.js';
import { caseRoutes } from './routes/case-routes.js';
import { disclosureRoutes } from './routes/disclosure-routes.js';
import { consoleRoutes, serveConsole } from './routes/console-routes.js';
import { sanctionsRoutes } from './routes/sanctions-routes.js';
import { sarRoutes, type SarRoutesOptions } from './routes/sar-routes.js';
import { transferRoutes, type PendingTransferDesk } from './routes/transfer-routes.js';
import type { SanctionsStore } from './sanctions/store.js';
import { ApiError, errorHandler, errorSchema } from './routes/errors.js';
import { auditRoutes } from './routes/audit-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { investorRoutes } from './routes/investor-routes.js';
import { OfficerDirectory } from './routes/officer-auth.js';
import { FailedKeyLimit, type FailedKeyLimitOptions } from './routes/failed-key-limit.js';
import type { RouteContext } from './routes/route-context.js';
import type { MonitorStore } from './store/monitor-store.js';
import { openMonitorStore } from './store/open-store.js';

export interface MonitorServerOptions {
  store: MonitorStore;
  officers: Officer[];
  contracts: MonitoredContracts;
  /** Shown by /health. */
  indexer?: { status(): IndexerStatus };
  /** Unix seconds now (default: the system clock); risk scores decay to it. */
  now?: () => number;
  /** Fastify logger (default off; main.ts turns it on). */
  logger?: boolean;
  /** Largest request body in bytes (default 64 KiB). */
  bodyLimitBytes?: number;
  /** SAR drafts (`/sar…`, `POST /cases/:id/sar`): where they live and the token they report on; without it those routes answer 503. */
  sar?: SarRoutesOptions;
  /** The sanctions-import history for `GET /sanctions/imports`; without it, 503. */
  sanctions?: SanctionsStore;
  /** The token's TransferApproval rule for `/pending-transfers`; without it, 503. */
  pendingTransfers?: PendingTransferDesk;
  /** The built officer console (compliance-monitor/console/dist), served at `/console/`; none when absent. */
  consoleDir?: string;
  /** Wrong `x-api-key`s allowed per client address and in all per window (default 10 and 100 a minute). */
  failedKeyLimit?: FailedKeyLimitOptions;
}

/**
 * The officer's HTTP API (not listening: call `listen`, or `inject` in tests): `GET /health`,
 * `GET /events`, `GET /investors/:tag`, `GET /wallets/:address`, `GET /cases`, `GET /cases/:id`,
 * `POST /cases/:id/notes`, `POST /cases/:id/status`, `GET /audit`, the console's routes
 * (`GET /cases/:id/evidence`, `GET /frozen`, `/pending-transfers…`, `GET /sanctions/imports`, `/sar…`,
 * and the console itself at `/console/` when built), and the OpenAPI document at `/docs`. Every route but /health and /docs
 * needs an officer's `x-api-key`.
 */
export async function createMonitorServer(options: MonitorServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 65_536,
    // Strict: an unknown key is an error, not dropped; "5" is not 5.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.addSchema(errorSchema);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(new ApiError(404, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`, 'url', 'route').toJSON());
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'zkkyc compliance monitor',
        version: '0.1.0',
        description:
          "A token compliance team's monitor: indexed events of the token, gate and registry, investors (all of a person's wallets under the gate's investor tag) with decaying risk scores, and cases. " +
          'Officers authenticate with x-api-key. Errors are { error: { code, field, rule, message } }. See docs/compliance-monitor.md.',
      },
      components: { securitySchemes: { officerKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const ctx: RouteContext = {
    store: options.store,
    officers: new OfficerDirectory(options.officers, new FailedKeyLimit(options.failedKeyLimit)),
    contracts: options.contracts,
    indexer: options.indexer,
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
  };
  app.get(
    '/health',
    {
      schema: {
        summary: "Liveness and the indexer's position",
        tags: ['health'],
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['ok', 'degraded'] },
              backend: { type: 'string' },
              indexer: {
                type: ['object', 'null'],
                properties: {
                  running: { type: 'boolean' },
                  chainId: { type: ['integer', 'null'] },
                  cursor: { type: ['integer', 'null'] },
                  head: { type: ['integer', 'null'] },
                  failures: { type: 'integer' },
                  lastError: { type: ['string', 'null'] },
                },
              },
            },
          },
        },
      },
    },
    async () => {
      const indexer = ctx.indexer?.status() ?? null;
      return { status: indexer && indexer.failures > 0 ? 'degraded' : 'ok', backend: ctx.store.backend, indexer };
    },
  );
  await app.register(async (scope) => eventRoutes(scope, ctx));
  await app.register(async (scope) => investorRoutes(scope, ctx));
  await app.register(async (scope) => auditRoutes(scope, ctx));
  await app.register(async (scope) => caseRoutes(scope, ctx));
  await app.register(async (scope) => disclosureRoutes(scope, ctx));
  await app.register(async (scope) => consoleRoutes(scope, ctx));
  await app.register(async (scope) => sarRoutes(scope, ctx, options.sar));
  await app.register(async (scope) => transferRoutes(scope, ctx, options.pendingTransfers));
  await app.register(async (scope) => sanctionsRoutes(scope, ctx, options.sanctions));
  if (options.consoleDir) await app.register(async (scope) => serveConsole(scope, options.consoleDir!));
  return app;
}

export interface MonitorOptions {
  /** The rule engine's hooks: derived writes commit in the batch's transaction (indexer/indexer.ts). */
  hooks?: IndexerHooks;
  /** Replaces the JSON-RPC client built from `config.rpcUrl`. */
  chain?: ChainClient;
  logger?: boolean;
  /** Postgres: the one-instance lock's connection dropped (main.ts exits). */
  onInstanceLockLost?: (err: Error) => void;
  /**
   * The console's collaborators (SAR drafts, sanctions history, pending transfers) and the built
   * console, passed to the HTTP API. A function receives the store createMonitor opens, for a
   * collaborator that lives in it (`SqlSarStore`); it is called once, after the store is open and
   * before the server is built.
   */
  api?: MonitorApiParts | ((store: MonitorStore) => MonitorApiParts);
}

/** What the console needs beyond the core API; each part left out answers 503 `not_configured` (the console: not served). */
export type MonitorApiParts = Pick<MonitorServerOptions, 'sar' | 'sanctions' | 'pendingTransfers' | 'consoleDir'>;

export interface Monitor {
  app: FastifyInstance;
  store: MonitorStore;
  indexer: Indexer;
  /** Starts the indexer and the retention purge (now, then daily). The server listens separately (`app.listen`). */
  start(): void;
  /** One retention purge now (config.retentionDays; nothing when 0). */
  purgeNow(): Promise<{ events: number; hits: number; cases: number }>;
  /** Stops the indexer (after its current batch), the server, and closes the store (releasing the lock). */
  close(): Promise<void>;
}

/**
 * Assembles the monitor from its configuration: opens the store (lock, migrations), builds the
 * indexer with `hooks` and the HTTP server. Nothing runs yet: `indexer.start()` and
 * `app.listen(...)` (main.ts does both).
 */
export async function createMonitor(config: MonitorConfig, options: MonitorOptions = {}): Promise<Monitor> {
  const store = await openMonitorStore(config, { onLockLost: options.onInstanceLockLost });
  const chain = options.chain ?? new JsonRpcChain(config.rpcUrl);
  try {
    const indexer = new Indexer({
      store,
      chain,
      contracts: config.contracts,
      confirmations: config.confirmations,
      startBlock: config.startBlock,
      batchBlocks: config.batchBlocks,
      logsChunkBlocks: config.logsChunkBlocks,
      pollIntervalMs: config.pollIntervalMs,
      hooks: options.hooks,
    });
    const api = typeof options.api === 'function' ? options.api(store) : options.api;
    const app = await createMonitorServer({ ...api, store, officers: config.officers, contracts: config.contracts, indexer, logger: options.logger });
    let retention: NodeJS.Timeout | null = null;
    const purgeNow = async () => {
      if (config.retentionDays === 0) return { events: 0, hits: 0, cases: 0 };
      const cutoff = Math.floor(Date.now() / 1000) - config.retentionDays * 86_400;
      return store.transaction((tx) => tx.purgeBefore(cutoff));
    };
    const purgeLogged = () =>
      purgeNow().then(
        (r) => r.events + r.hits + r.cases > 0 && app.log.info(r, 'retention purge'),
        (err) => app.log.error({ err }, 'retention purge failed'),
      );
    return {
      app,
      store,
      indexer,
      purgeNow,
      start() {
        indexer.start();
        if (retention || config.retentionDays === 0) return;
        void purgeLogged();
        retention = setInterval(() => void purgeLogged(), 86_400_000);
        retention.unref();
      },
      async close() {
        if (retention) clearInterval(retention);
        await indexer.stop();
        await app.close();
        chain.close();
        await store.close();
      },
    };
  } catch (err) {
    chain.close();
    await store.close();
    throw err;
  }
}
