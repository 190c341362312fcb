/**
 * Assembles the relayer from its configuration: the chain connection (checked: the node answers,
 * is the configured chain, and the gate is a contract), the journal, the registration service and
 * the HTTP routes. Not listening: call `app.listen`, or `app.inject` in tests.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { JsonRpcProvider, Wallet } from 'ethers';
import { ComplianceGate__factory } from '@zkkyc/contracts/typechain';
import { consentDomain } from '@zkkyc/sdk';
import { ApiError, errorHandler, errorSchema } from './api-error.js';
import { DEFAULT_BATCH, type RelayerConfig } from './config.js';
import { relayerRoutes } from './routes/relayer-routes.js';
import { loadProofCheck } from './services/proof-check.js';
import { RegistrationService } from './services/registrations.js';
import type { Journal } from './store/journal.js';
import { SqliteJournal } from './store/sqlite-journal.js';

export interface Relayer {
  app: FastifyInstance;
  service: RegistrationService;
  journal: Journal;
  provider: JsonRpcProvider;
  /** The account that pays. */
  address: string;
  chainId: bigint;
  close(): Promise<void>;
}

export interface RelayerOptions {
  /** Fastify's logger (default off; main.ts turns it on). */
  logger?: boolean;
  log?: (line: string) => void;
  /** Unix milliseconds (default: the system clock). */
  now?: () => number;
  /** How long /v1/health reuses the balance it read (default 5 s). */
  healthBalanceTtlMs?: number;
}

/** A start-up check that failed for a reason other than a setting's form (the node is down, the gate is not there…). */
export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

function allowCors(app: FastifyInstance, origins: string[]): void {
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin) return;
    const allowed = origins.includes('*') ? '*' : origins.includes(origin) ? origin : null;
    if (!allowed) return;
    reply.header('access-control-allow-origin', allowed);
    reply.header('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
      reply.header('access-control-allow-headers', 'content-type, prefer');
      reply.header('access-control-max-age', '600');
      await reply.code(204).send();
    }
  });
}

export async function createRelayer(config: RelayerConfig, options: RelayerOptions = {}): Promise<Relayer> {
  const provider = new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true });
  provider.pollingInterval = 250;
  let chainId: bigint;
  try {
    chainId = BigInt(await provider.send('eth_chainId', []));
    if (config.chainId !== undefined && chainId !== BigInt(config.chainId)) throw new StartError(`CHAIN_ID is ${config.chainId}, but the node at RPC_URL is chain ${chainId}`);
    if ((await provider.getCode(config.gateAddress)) === '0x') throw new StartError(`GATE_ADDRESS ${config.gateAddress} has no contract on chain ${chainId}`);
  } catch (err) {
    provider.destroy();
    if (err instanceof StartError) throw err;
    throw new StartError(`the node at RPC_URL ${config.rpcUrl} does not answer: ${(err as Error).message.slice(0, 200)}`);
  }
  const signer = new Wallet(config.relayerKey, provider);
  const gate = ComplianceGate__factory.connect(config.gateAddress, signer);
  const domain = await consentDomain(gate);
  const proofCheck = await loadProofCheck();
  const journal = new SqliteJournal(config.databasePath);
  const service = new RegistrationService({
    proofCheck,
    contractWalletCodeHashes: config.contractWalletCodeHashes ?? [],
    gate,
    signer,
    provider,
    journal,
    limits: config.limits,
    domain,
    chainId,
    ...(config.policyIds ? { policyIds: config.policyIds } : {}),
    receiptTimeoutMs: config.receiptTimeoutSeconds * 1000,
    batch: config.batch ?? DEFAULT_BATCH,
    ...(options.now ? { now: options.now } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  await service.resumePending();

  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 32_768 });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(new ApiError(404, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`, 'url', 'route').toJSON());
  });
  if (config.corsOrigins.length > 0) allowCors(app, config.corsOrigins);
  // Per client IP, on every route: a refused request costs its sender as much as an accepted one.
  await app.register(rateLimit, {
    max: config.limits.requestsPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, context) =>
      new ApiError(429, 'rate_limited', `more than ${context.max} requests a minute from this address; try again in ${context.after}`, undefined, 'requests-per-minute'),
  });
  relayerRoutes(
    app,
    { service, provider, gateAddress: config.gateAddress, chainId, ...(options.healthBalanceTtlMs === undefined ? {} : { healthBalanceTtlMs: options.healthBalanceTtlMs }) },
    errorSchema,
  );

  return {
    app,
    service,
    journal,
    provider,
    address: signer.address,
    chainId,
    async close() {
      service.stop();
      await app.close();
      journal.close();
      provider.destroy();
    },
  };
}
