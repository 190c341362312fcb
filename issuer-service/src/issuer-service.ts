import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { ApiError } from './api-error.js';
import { checkIdentityRecordRetention, ConfigError, DEFAULT_MAX_CREDENTIAL_LIFETIME_DAYS, DEFAULT_REVIEWER_AUTH_FAILURE_LIMIT, type IssuerServiceConfig } from './config.js';
import { errorHandler } from './http-errors.js';
import { RootPublisher, type AnchorChain } from './publisher.js';
import { RootAnchoringLog } from './store/root-anchorings.js';
import type { RootAnchor } from './root-anchor.js';
import { holderRoutes } from './routes/holder-routes.js';
import { publicRoutes } from './routes/public-routes.js';
import { reviewerRoutes } from './routes/reviewer-routes.js';
import { disclosureRoutes } from './routes/disclosure-routes.js';
import { screeningRoutes } from './routes/screening-routes.js';
import { oid4vciRoutes } from './routes/oid4vci-routes.js';
import { Oid4vciService } from './services/oid4vci.js';
import { ScreeningService } from './services/screening.js';
import type { RouteContext } from './routes/route-context.js';
import { errorSchema } from './routes/schemas.js';
import { JsonRpcProvider } from 'ethers';
import { ApplicationService } from './services/applications.js';
import { HolderDidMethods, type EthrHolderChain, type HolderDidMethodOptions } from './services/holder-did-methods.js';
import { systemClock, type Clock } from './services/clock.js';
import { IssuanceService } from './services/issuance.js';
import { JsonRpcDisclosureChain, type DisclosureChain } from './services/disclosure-chain.js';
import { DisclosureService } from './services/disclosures.js';
import { IdentityRecordVault } from './services/identity-records.js';
import { openIssuerIdentity, openKeyBox } from './services/issuer-identity.js';
import { statusRoutes } from './routes/status-routes.js';
import { treeChunkRoutes } from './routes/tree-chunk-routes.js';
import { followPublishedRoots, serveLatestPublishedRoot } from './published-tree-files.js';
import { DEFAULT_PUBLISHER_ELECTION_INTERVAL_MS } from './store/instance-lock.js';
import { consoleRoutes, DEFAULT_CONSOLE_DIR } from './routes/console-routes.js';
import { DEFAULT_AUTO_APPROVE_KYC_LEVEL } from './services/kyc-levels.js';
import { TreeChunkService } from './services/tree-chunks.js';
import { SqlTreeFileStore } from './store/tree-chunk-files.js';
import { kycSchemaUrl, publicBaseUrl, StatusListService } from './services/status-list.js';
import { loadIssuerTree, type MerkleTree } from './services/issuer-tree.js';
import { wasmNodeHash } from './services/node-hash.js';
import { PersonBinder } from './services/person-binding.js';
import { ReviewerDirectory } from './services/reviewer-auth.js';
import { DEFAULT_IDENTITY_RECORD_DAYS, DEFAULT_RETENTION, RetentionPurger } from './services/retention.js';
import type { IssuerStore } from './store/issuer-store.js';
import { openStorage } from './store/open-storage.js';
import { underFirstStartLock } from './store/first-start-lock.js';

export interface IssuerServiceOptions {
  /** Where roots are anchored. Without one the service issues and revokes but publishes nothing. */
  anchor?: RootAnchor;
  clock?: Clock;
  /** Fastify logger (default off; main.ts turns it on). */
  logger?: boolean;
  /** Retry tuning for the publisher (tests shorten the delay). */
  publisherRetry?: { attempts: number; delayMs: number };
  /** Browser origins allowed to call the API (the wallet demo); `*` in dev when unset. */
  corsOrigins?: string[];
  /**
   * Several chains to anchor every root on (main.ts builds them from ANCHOR_RPC_URL & co. and
   * ANCHOR_CHAINS); with `anchor` too, that one joins them as chain `default`.
   */
  chains?: AnchorChain[];
  /** Postgres: publisher election period (default config.publisherElectionIntervalMs, else 3 s; tests shorten it). */
  electionIntervalMs?: number;
  /**
   * Holder DID resolution overrides: `ethr` replaces `config.ethr` with a provider already at hand
   * (the chain id is read from it); `web` sets the did:web fetch's seams and bounds (tests:
   * DNS, connect, CA, timeout, size; `allowPrivateNetworks` comes from the config);
   * `webResolver` replaces the did:web resolver altogether.
   */
  holderDids?: {
    ethr?: Omit<EthrHolderChain, 'chainId'>;
    web?: Omit<NonNullable<HolderDidMethodOptions['web']>, 'allowPrivateNetworks'>;
    webResolver?: HolderDidMethodOptions['webResolver'];
  };
  /**
   * Reads disclosure requests and registrations on chain; replaces the JSON-RPC reader built from
   * `config.disclosure.rpcUrl` (tests pass one over the in-process chain). Used only when
   * `config.disclosure` is set (it names the log `request.log` must equal, and the gate the log's
   * `gate()` must answer — checked at start through this reader, and on every request).
   */
  disclosureChain?: DisclosureChain;
  /** Levels of a tree chunk (services/tree-chunks.ts; default 8 = 65,536 leaves); tests cut small trees into several chunks. */
  treeChunkLevels?: number;
  /** Bytes of tree chunk files kept in memory (services/tree-chunks.ts; default 64 MiB); the files themselves are in the database. */
  treeChunkCacheBytes?: number;
  /** The built reviewer console served at /console/ (default issuer-service/console/dist; 503 page when not built). */
  consoleDir?: string;
}

export interface IssuerService {
  app: FastifyInstance;
  issuerDid: string;
  store: IssuerStore;
  tree: MerkleTree;
  publisher: RootPublisher | null;
  /** Whether this instance is the elected root publisher (always true on SQLite). */
  readonly isPublisher: boolean;
  /** Stops the publisher, lets in-flight issuance finish, closes the server and the database. */
  close(): Promise<void>;
}

/**
 * Assembles the issuer: opens the database — Postgres when `databaseUrl` is set, else SQLite — (running migrations), unlocks the key store, loads or
 * creates the issuer DID, rebuilds the tree from the stored leaves, and mounts the routes.
 * The returned app is not listening; call `app.listen` (main.ts does) or use `app.inject` in tests.
 */
export async function createIssuerService(config: IssuerServiceConfig, options: IssuerServiceOptions = {}): Promise<IssuerService> {
  if (config.autoApprove && !config.dev) throw new Error('autoApprove needs dev mode (ZKKYC_DEV=1)');
  if (config.didWebAllowPrivateNetworks && !config.dev) throw new Error('didWebAllowPrivateNetworks needs dev mode (ZKKYC_DEV=1)');
  const maxLifetime = config.maxCredentialLifetimeDays ?? DEFAULT_MAX_CREDENTIAL_LIFETIME_DAYS;
  if (config.autoApprove && config.autoApproveValidityDays > maxLifetime) {
    throw new Error(`autoApproveValidityDays (${config.autoApproveValidityDays}) exceeds maxCredentialLifetimeDays (${maxLifetime})`);
  }
  checkIdentityRecordRetention(config.identityRecordRetentionDays ?? DEFAULT_IDENTITY_RECORD_DAYS);
  const clock = options.clock ?? systemClock;
  const { holderDids, closeHolderDids: closeDids } = await openHolderDidMethods(config, options);
  const disclosureChain = await openDisclosureChain(config, options).catch((err) => {
    closeDids();
    throw err;
  });
  const closeHolderDids = () => {
    closeDids();
    disclosureChain.close();
  };
  const { store, sql, election } = await openStorage(config, {
    electionIntervalMs: options.electionIntervalMs ?? config.publisherElectionIntervalMs,
    log: (message, err) => console.warn(`[issuer] ${message}${err ? `: ${(err as Error).message ?? err}` : ''}`),
  }).catch((err) => {
    closeHolderDids();
    throw err;
  });
  let app: FastifyInstance | null = null;
  let publisher: RootPublisher | null = null;
  let treeFiles: { stop(): Promise<void> } | null = null;
  let retention: RetentionPurger | null = null;
  try {
    const baseUrl = publicBaseUrl(config);
    // Created on the first start, read on every later one; instances starting together on an empty
    // Postgres take turns, so they all read the one set the first created (store/first-start-lock.ts).
    const { identity, persons, records } = await underFirstStartLock(
      config,
      async () => {
        const box = await openKeyBox(store, config.keySecret);
        const identity = await openIssuerIdentity(sql, box, config.issuerAlias, config.didWebHost, { format: config.credentialFormat ?? 'vc2', schemaUrl: kycSchemaUrl(baseUrl) });
        return { identity, persons: await PersonBinder.open(store, box), records: await IdentityRecordVault.open(store, box) };
      },
      { log: (message) => console.warn(`[issuer] ${message}`) },
    );
    const statusList = new StatusListService({ store, clock, issuerDid: identity.signer.jose.did, signer: identity.signer.jose.signer, baseUrl });
    const nodeHash = await wasmNodeHash();
    const tree = await loadIssuerTree(store, config.treeDepth, undefined, nodeHash, { rebuild: config.treeRebuildDepth === config.treeDepth });
    const issuance = new IssuanceService({
      store,
      tree,
      signer: identity.signer,
      statusList,
      clock,
      treeId: config.treeId,
      persons,
      records,
      maxLifetimeDays: config.maxCredentialLifetimeDays ?? DEFAULT_MAX_CREDENTIAL_LIFETIME_DAYS,
      dev: config.dev,
    });
    const applications = new ApplicationService({
      store,
      clock,
      issuerDid: identity.did,
      holderDids,
      challengeTtlSeconds: config.challengeTtlSeconds,
      issuance,
      autoApprove: config.autoApprove ? { validityDays: config.autoApproveValidityDays, defaultKycLevel: config.autoApproveKycLevel ?? DEFAULT_AUTO_APPROVE_KYC_LEVEL } : undefined,
    });
    app = Fastify({
      logger: options.logger ?? false,
      bodyLimit: config.bodyLimitBytes,
      // Strict: unknown keys are errors (not silently dropped) and "5" is not the number 5.
      ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    });
    // Tree chunks: the latest published root's files, if the tree still has that root (no change since).
    const treeChunks = new TreeChunkService({
      tree,
      files: new SqlTreeFileStore(sql, () => clock.now()),
      chunkLevels: options.treeChunkLevels,
      cacheBytes: options.treeChunkCacheBytes,
      hash: nodeHash,
      now: () => clock.now(),
      log: (message, err) => app?.log.warn({ err }, message),
    });
    // The latest published root's files. When the store holds all of them this reads no chunk's nodes
    // and is waited for; otherwise (an upgrade to migration 13, a bulk fill, a first capture killed
    // midway, another instance still capturing) it encodes the missing chunks — up to O(n) — so it
    // runs in the background and the routes answer root_not_served until it is done.
    const latestStored = await treeChunks.latestPublicationStored();
    const firstFiles = serveLatestPublishedRoot(store, treeChunks).catch((err) => app?.log.warn({ err }, 'serving the latest published root’s tree files failed; the next poll retries'));
    if (latestStored) await firstFiles;
    const chains: AnchorChain[] = [...(options.anchor ? [{ name: 'default', anchor: options.anchor }] : []), ...(options.chains ?? [])];
    if (chains.length > 0) {
      publisher = new RootPublisher({
        chunks: treeChunks,
        chains,
        anchorings: new RootAnchoringLog(sql),
        election,
        store,
        tree,
        clock,
        intervalMs: config.publishIntervalSeconds * 1000,
        attempts: options.publisherRetry?.attempts,
        retryDelayMs: options.publisherRetry?.delayMs,
        log: (message, err) => app?.log.warn({ err }, message),
      });
    }
    const ctx: RouteContext = {
      config,
      store,
      tree,
      clock,
      issuerDid: identity.did,
      didDocument: identity.didDocument,
      applications,
      issuance,
      reviewers: new ReviewerDirectory(config.reviewers, {
        maxFailures: config.reviewerAuthFailureLimitPerMinute ?? DEFAULT_REVIEWER_AUTH_FAILURE_LIMIT,
        windowMs: 60_000,
        clock,
      }),
      publisher,
      disclosures: new DisclosureService({ store, records, clock, issuerId: config.treeId, config: config.disclosure, chain: disclosureChain.chain }),
      screening: new ScreeningService({ store, records, clock, issuance }),
    };
    // OpenID4VCI (services/oid4vci.ts) only with a public URL: it is the identifier proofs name.
    const oid4vci = config.oid4vci ? new Oid4vciService({ store, clock, config: config.oid4vci, treeId: config.treeId, holderDids, issuance }) : null;
    await mountHttp(app, ctx, options.corsOrigins ?? (config.dev ? ['*'] : []), oid4vci);
    await app.register(async (scope) => statusRoutes(scope, ctx, statusList));
    await app.register(async (scope) => treeChunkRoutes(scope, treeChunks));
    await app.register(async (scope) => consoleRoutes(scope, options.consoleDir ?? DEFAULT_CONSOLE_DIR));
    // Retention: one purge before serving, then periodically (services/retention.ts).
    const policy = { ...(config.retention ?? DEFAULT_RETENTION), identityRecordDays: config.identityRecordRetentionDays ?? DEFAULT_IDENTITY_RECORD_DAYS };
    retention = new RetentionPurger({ store, clock, policy, log: (message, detail) => app?.log.warn({ detail }, message) });
    await retention.purgeNow();
    retention.start();
    publisher?.start();
    // Every instance serves the latest published root's files, not only the one that publishes.
    treeFiles = followPublishedRoots({
      store,
      chunks: treeChunks,
      intervalMs: options.electionIntervalMs ?? config.publisherElectionIntervalMs ?? DEFAULT_PUBLISHER_ELECTION_INTERVAL_MS,
      log: (message, err) => app?.log.warn({ err }, message),
    });

    const service = app;
    return {
      app: service,
      issuerDid: identity.did,
      store,
      tree,
      publisher,
      get isPublisher() {
        return election.elected;
      },
      async close() {
        await retention?.stop();
        await treeFiles?.stop();
        await publisher?.stop();
        await treeChunks.close();
        await issuance.idle();
        await service.close();
        await store.close();
        closeHolderDids();
      },
    };
  } catch (err) {
    await retention?.stop();
    await publisher?.stop();
    await app?.close();
    await store.close();
    closeHolderDids();
    throw err;
  }
}

/**
 * Builds the holder DID resolver. With `ETHR_*` configured it connects to that chain and reads its
 * id once, so holders' did:ethr DIDs must name the chain the registry really lives on.
 */
async function openHolderDidMethods(config: IssuerServiceConfig, options: IssuerServiceOptions): Promise<{ holderDids: HolderDidMethods; closeHolderDids(): void }> {
  let owned: JsonRpcProvider | null = null;
  let ethr: Omit<EthrHolderChain, 'chainId'> | undefined = options.holderDids?.ethr;
  if (!ethr && config.ethr) {
    owned = new JsonRpcProvider(config.ethr.rpcUrl);
    ethr = { provider: owned, registryAddress: config.ethr.registryAddress };
  }
  try {
    const chainId = ethr ? (await ethr.provider.getNetwork()).chainId : undefined;
    const holderDids = new HolderDidMethods({
      ethr: ethr && chainId !== undefined ? { ...ethr, chainId } : undefined,
      web: { ...options.holderDids?.web, allowPrivateNetworks: config.didWebAllowPrivateNetworks === true },
      webResolver: options.holderDids?.webResolver,
    });
    return { holderDids, closeHolderDids: () => owned?.destroy() };
  } catch (err) {
    owned?.destroy();
    throw new Error(`did:ethr: cannot reach the chain at ETHR_RPC_URL: ${(err as Error).message}`);
  }
}

/**
 * The disclosure chain reader: the one given, or a JSON-RPC reader of `config.disclosure`, whose
 * node is asked for its chain id at start (an unreachable node stops the start, naming
 * DISCLOSURE_RPC_URL, as for did:ethr). None without `config.disclosure`. Either way the log's
 * `gate()` must be the configured gate (`DISCLOSURE_GATE_ADDRESS`), or the start stops: a log
 * someone else deployed can name a "gate" that emits any registration it likes.
 */
async function openDisclosureChain(config: IssuerServiceConfig, options: IssuerServiceOptions): Promise<{ chain: DisclosureChain | null; close(): void }> {
  const disclosure = config.disclosure;
  if (!disclosure) return { chain: null, close: () => undefined };
  if (typeof disclosure.gateAddress !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(disclosure.gateAddress)) {
    throw new ConfigError('DISCLOSURE_GATE_ADDRESS', 'required with the disclosure log (disclosure.gateAddress): the ComplianceGate, from the same deployment record');
  }
  let opened: { chain: DisclosureChain; close(): void };
  if (options.disclosureChain) {
    opened = { chain: options.disclosureChain, close: () => undefined };
  } else {
    const provider = new JsonRpcProvider(disclosure.rpcUrl);
    try {
      await provider.getNetwork();
    } catch (err) {
      provider.destroy();
      throw new Error(`disclosure: cannot reach the chain at DISCLOSURE_RPC_URL: ${(err as Error).message}`);
    }
    opened = { chain: new JsonRpcDisclosureChain(provider, disclosure.logAddress, disclosure.confirmations), close: () => provider.destroy() };
  }
  let gate: string;
  try {
    gate = await opened.chain.gate();
  } catch (err) {
    opened.close();
    throw new Error(`disclosure: cannot read gate() of the DisclosureLog ${disclosure.logAddress} (DISCLOSURE_LOG_ADDRESS): ${(err as Error).message}`);
  }
  if (gate.toLowerCase() !== disclosure.gateAddress.toLowerCase()) {
    opened.close();
    throw new ConfigError(
      'DISCLOSURE_GATE_ADDRESS',
      `the DisclosureLog ${disclosure.logAddress} names gate ${gate.toLowerCase()}, not the configured ${disclosure.gateAddress.toLowerCase()} (rule configured-gate): ` +
        'take both addresses from the same deployment record; a log whose gate is not yours can forge any registration',
    );
  }
  return opened;
}

/**
 * Swagger UI's policy: its own bundled scripts and nothing else, no framing. Inline styles stay
 * allowed because the UI sets them as it renders; they cannot run code.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

async function mountHttp(app: FastifyInstance, ctx: RouteContext, corsOrigins: string[], oid4vci: Oid4vciService | null): Promise<void> {
  app.addSchema(errorSchema);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(new ApiError(404, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`).toJSON());
  });
  if (corsOrigins.length > 0) allowCors(app, corsOrigins);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'zkkyc issuer service',
        version: '0.1.0',
        description:
          'Apply → propose (reviewer: the verified values and the KYC level) → approve (approver; a different key when declared values change) → issue (W3C VC + Merkle leaf, bound to the verified person) → revoke, with root publication. ' +
          'Reviewer keys carry roles (reviewer, approver, revoker, publisher, admin, disclosure-officer), checked per route. ' +
          'Only a disclosure officer reads the verified identity record behind a credential, for a disclosure request logged on chain (POST /disclosures). See docs/issuer-service.md.',
      },
      components: {
        securitySchemes: {
          reviewerKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          holderToken: { type: 'http', scheme: 'bearer', description: 'accessToken returned by POST /applications' },
        },
      },
    },
  });
  // The API documentation shares the console's origin, so a script it ran could act with a reviewer's
  // key typed into the console: it gets a policy that admits only its own scripts (review finding L4).
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
  await app.register(rateLimit, { global: false });

  await app.register(async (scope) => holderRoutes(scope, ctx));
  await app.register(async (scope) => reviewerRoutes(scope, ctx));
  await app.register(async (scope) => disclosureRoutes(scope, ctx));
  await app.register(async (scope) => screeningRoutes(scope, ctx));
  await app.register(async (scope) => publicRoutes(scope, ctx));
  if (oid4vci) await app.register(async (scope) => oid4vciRoutes(scope, ctx, oid4vci));
}

/**
 * Minimal CORS for the browser wallet: echo an allowed Origin and answer preflights. Only the
 * headers our API reads are allowed.
 */
function allowCors(app: FastifyInstance, origins: string[]): void {
  const allowed = (origin: string | undefined): string | null => {
    if (!origin) return null;
    if (origins.includes('*')) return '*';
    return origins.includes(origin) ? origin : null;
  };
  app.addHook('onRequest', async (req, reply) => {
    const origin = allowed(req.headers.origin);
    if (!origin) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
      reply.header('access-control-allow-headers', 'content-type, authorization, x-api-key');
      reply.header('access-control-max-age', '600');
      await reply.code(204).send();
    }
  });
}
