/**
 * Starts the relayer: `npx tsx relayer/src/main.ts` with its configuration in the environment
 * (relayer/README.md, "Configuration"). Checks the settings and the chain, follows up whatever the
 * journal says was sent before the last stop, and listens (127.0.0.1:3200 by default).
 * SIGINT/SIGTERM close the server and the journal.
 */
import { ConfigError, loadRelayerConfig } from './config.js';
import { createRelayer, StartError } from './server.js';

async function main(): Promise<void> {
  const config = loadRelayerConfig(process.env);
  const relayer = await createRelayer(config, { logger: true, log: (line) => console.log(`[relayer] ${line}`) });
  const address = await relayer.app.listen({ host: config.host, port: config.port });
  console.log(`[relayer] ${address} — pays from ${relayer.address}, gate ${config.gateAddress} on chain ${relayer.chainId}, journal ${config.databasePath}`);
  const stop = () => void relayer.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof StartError) console.error(`relayer: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
