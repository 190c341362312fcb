/**
 * A pusher in its own process, for the kill -9 test (compliance-monitor/test/sanctions-push.test.ts):
 * pushes the union of the Ethereum addresses in the SQLite store at argv[4] to the SanctionsList at
 * argv[3] over the JSON-RPC node at argv[2], `argv[5]` wallets per batch, signing with the key in
 * ORACLE_KEY. Prints one JSON line per mined batch. With SANCTIONS_PUSH_PAUSE_AFTER_BATCH=n it
 * stops after batch n is mined (prints `paused`) and waits to be killed.
 */
import { JsonRpcProvider, Wallet } from 'ethers';
import { listedEthereumAddresses, openSqliteSanctionsStore, pushToChain } from '../../src/sanctions/index.js';

const [rpc, list, db, batch] = process.argv.slice(2);
const pauseAfter = Number(process.env.SANCTIONS_PUSH_PAUSE_AFTER_BATCH ?? 0);
const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
const store = openSqliteSanctionsStore(db);
const target = await listedEthereumAddresses(store);
await store.close();
const result = await pushToChain({
  signer: new Wallet(process.env.ORACLE_KEY!, provider),
  list,
  target,
  batchSize: Number(batch),
  onBatch: async (b) => {
    process.stdout.write(`${JSON.stringify(b)}\n`);
    if (b.index === pauseAfter) {
      process.stdout.write('paused\n');
      await new Promise(() => setInterval(() => {}, 1000));
    }
  },
});
process.stdout.write(`${JSON.stringify({ done: result })}\n`);
provider.destroy();
