/**
 * Starts the issuer service: `npx tsx issuer-service/src/main.ts` (or `npm run issuer`).
 *
 * With no ISSUER_KEY_SECRET and no ZKKYC_DEV in the environment it starts in dev mode (insecure
 * key secret, a dev reviewer key, auto-approval) so the demo works out of the box; set
 * ISSUER_KEY_SECRET and REVIEWER_API_KEYS for anything real. Root publication needs a chain: with
 * ANCHOR_RPC_URL, ANCHOR_REGISTRY_ADDRESS and ANCHOR_PUBLISHER_KEY set, roots go to that
 * IssuerRegistry; without them the service issues and revokes but publishes nothing.
 */
import { ConfigError, loadConfig } from './config.js';
import { createIssuerService } from './issuer-service.js';
import { connectRegistryAnchor } from './registry-connection.js';

async function main(): Promise<void> {
  const env = { ...process.env };
  if (env.ISSUER_KEY_SECRET === undefined && env.ZKKYC_DEV === undefined) {
    env.ZKKYC_DEV = '1';
    env.AUTO_APPROVE ??= '1';
    console.warn('[issuer] no ISSUER_KEY_SECRET: starting in DEV mode (insecure key secret, auto-approve)');
  }
  const config = loadConfig(env);
  const anchor = config.anchor ? connectRegistryAnchor(config.anchor, config.treeId) : undefined;
  const service = await createIssuerService(config, { logger: true, anchor });
  const url = await service.app.listen({ port: config.port, host: config.host });
  console.log(`[issuer] listening on ${url}  (API docs: ${url}/docs)`);
  console.log(`[issuer] issuer DID: ${service.issuerDid}`);
  const database = config.databaseUrl ? `postgres (schema ${config.databaseSchema ?? 'public'})` : config.databasePath;
  console.log(`[issuer] database: ${database}; tree: ${service.tree.size} leaves`);
  if (config.anchor) console.log(`[issuer] anchoring roots in IssuerRegistry ${config.anchor.registryAddress} as issuer ${config.treeId}`);
  if (config.ethr) console.log(`[issuer] did:ethr holders resolve against EthereumDIDRegistry ${config.ethr.registryAddress}`);
  if (config.dev) console.log(`[issuer] dev reviewer key(s): ${config.reviewers.map((r) => `${r.name}=${r.apiKey}`).join(', ')}`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`[issuer] ${signal}: shutting down`);
    service.close().then(
      () => {
        anchor?.close();
        process.exit(0);
      },
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `[issuer] configuration error: ${err.message}` : err);
  process.exit(1);
});
