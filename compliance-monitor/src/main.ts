/**
 * Starts the compliance monitor: `npx tsx compliance-monitor/src/main.ts` (configuration from the
 * environment: docs/compliance-monitor.md, "Configuration"). Opens the store (taking the
 * one-instance lock), follows the chain, and serves the officer API with its OpenAPI document at
 * /docs. SIGINT/SIGTERM stop the indexer after its current batch and close everything.
 */
import { ConfigError, loadConfig } from './config.js';
import { createMonitor } from './server.js';
import { InstanceLockError } from './store/instance-lock.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 0) throw new ConfigError('argv', `unknown argument "${args[0].slice(0, 40)}" (the monitor takes its configuration from the environment)`);
  const config = loadConfig();
  const monitor = await createMonitor(config, {
    logger: true,
    // The one-instance lock went with its connection: another monitor could start now. Stop writing.
    onInstanceLockLost: (err) => {
      console.error(`[monitor] FATAL: lost the Postgres connection holding the one-instance lock (${err.message}); exiting so a restart takes the lock again`);
      process.exit(70);
    },
  });
  const url = await monitor.app.listen({ port: config.port, host: config.host });
  console.log(`[monitor] listening on ${url}  (API docs: ${url}/docs)`);
  console.log(`[monitor] database: ${config.databaseUrl ? `postgres (schema ${config.databaseSchema ?? 'public'})` : config.databasePath}`);
  console.log(
    `[monitor] following token ${config.contracts.token}, gate ${config.contracts.gate}, registry ${config.contracts.registry}` +
      `${config.contracts.sanctions ? `, sanctions list ${config.contracts.sanctions}` : ''} at ${config.confirmations} confirmation(s)`,
  );
  console.log(`[monitor] officers: ${config.officers.map((o) => o.name).join(', ')}`);
  monitor.start();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`[monitor] ${signal}: shutting down after the current batch`);
    monitor.close().then(
      () => process.exit(0),
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
  if (err instanceof ConfigError) console.error(`[monitor] configuration error: ${err.message}`);
  else if (err instanceof InstanceLockError) console.error(`[monitor] refusing to start: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
