/**
 * Starts the issuer service: `npx tsx issuer-service/src/main.ts [--dev]` (`npm run issuer` passes
 * `--dev`).
 *
 * Dev mode (insecure public key secret, a dev reviewer key with every role, auto-approval) runs only
 * when asked for: `--dev` on the command line, or `ZKKYC_DEV=1`. Otherwise ISSUER_KEY_SECRET is
 * required and the service refuses to start without it, naming the setting — it never falls back to
 * dev mode by itself. Set REVIEWER_API_KEYS (`name:key:role+role`) for reviewers. Root publication needs a chain: with
 * ANCHOR_RPC_URL, ANCHOR_REGISTRY_ADDRESS and ANCHOR_PUBLISHER_KEY set, roots go to that
 * IssuerRegistry, and ANCHOR_CHAINS adds more; without any the service issues and revokes but
 * publishes nothing. On Postgres, several processes may share one database: all serve the API and
 * the one elected by the publisher lock publishes (docs/issuer-service.md, "Operations").
 */
import { checkStatusBaseUrl, ConfigError, DEV_KEY_SECRET, DEV_REVIEWER, loadConfig } from './config.js';
import { createIssuerService } from './issuer-service.js';
import { connectAnchorChains, refuseDuplicateChains } from './registry-connection.js';
import { InstanceLockError } from './store/instance-lock.js';

async function main(): Promise<void> {
  const env = { ...process.env };
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--dev');
  if (unknown.length > 0) throw new ConfigError('argv', `unknown argument "${unknown[0]}" (the only flag is --dev)`);
  if (args.includes('--dev')) {
    env.ZKKYC_DEV = '1';
    env.AUTO_APPROVE ??= '1';
  }
  const config = loadConfig(env);
  checkStatusBaseUrl(config);
  if (config.dev) {
    console.warn(
      `[issuer] DEV mode (asked for by ${args.includes('--dev') ? '--dev' : 'ZKKYC_DEV=1'}): INSECURE — ` +
        `${config.keySecret === DEV_KEY_SECRET ? 'publicly known key secret, ' : ''}CORS *` +
        `${config.autoApprove ? ', auto-approve (every application is approved on arrival, unbound to a person)' : ''}. Never for real credentials.`,
    );
  }
  await refuseDuplicateChains(config, { warn: (message) => console.warn(`[issuer] ${message}`) });
  const anchors = connectAnchorChains(config);
  const service = await createIssuerService(config, { logger: true, chains: anchors.chains });
  const url = await service.app.listen({ port: config.port, host: config.host });
  console.log(`[issuer] listening on ${url}  (API docs: ${url}/docs; reviewer console: ${url}/console/)`);
  console.log(`[issuer] issuer DID: ${service.issuerDid}`);
  const database = config.databaseUrl ? `postgres (schema ${config.databaseSchema ?? 'public'})` : config.databasePath;
  console.log(`[issuer] database: ${database}; tree: ${service.tree.size} leaves`);
  if (config.anchor) console.log(`[issuer] anchoring roots in IssuerRegistry ${config.anchor.registryAddress} as issuer ${config.treeId} (chain default)`);
  for (const chain of config.anchorChains ?? []) console.log(`[issuer] anchoring roots in IssuerRegistry ${chain.registryAddress} as issuer ${chain.issuerId} (chain ${chain.name})`);
  if (service.publisher) console.log(`[issuer] root publisher: ${service.isPublisher ? 'this instance (elected)' : 'another instance; this one takes over when it stops'}`);
  if (config.disclosure) {
    console.log(
      `[issuer] disclosure requests checked against DisclosureLog ${config.disclosure.logAddress} of gate ${config.disclosure.gateAddress} (${config.disclosure.confirmations} confirmation(s))`,
    );
  }
  if (config.ethr) console.log(`[issuer] did:ethr holders resolve against EthereumDIDRegistry ${config.ethr.registryAddress}`);
  // Only the publicly known dev key is ever printed; keys an operator configured never are.
  const devKeys = config.dev ? config.reviewers.filter((r) => r.apiKey === DEV_REVIEWER.apiKey) : [];
  if (devKeys.length > 0) console.log(`[issuer] dev reviewer key(s): ${devKeys.map((r) => `${r.name}=${r.apiKey} (${r.roles.join('+')})`).join(', ')}`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`[issuer] ${signal}: shutting down`);
    service.close().then(
      () => {
        anchors.close();
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
  if (err instanceof ConfigError) console.error(`[issuer] configuration error: ${err.message}`);
  else if (err instanceof InstanceLockError) console.error(`[issuer] refusing to start: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
