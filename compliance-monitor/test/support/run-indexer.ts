/**
 * The indexer alone, as a child process a test can SIGKILL (`node --import tsx
 * compliance-monitor/test/support/run-indexer.ts`). Reads RPC_URL, TOKEN_ADDRESS, GATE_ADDRESS,
 * REGISTRY_ADDRESS, SANCTIONS_ADDRESS, DATABASE_PATH, CONFIRMATIONS and BATCH_BLOCKS; indexes until
 * caught up, prints `caught up at <block>` and exits.
 *
 * Test hook: MONITOR_TEST_PAUSE_AT_BATCH=N makes the N-th batch (1-based) stop inside its
 * transaction — events, blocks and cursor written, not committed — print `paused in batch N` and
 * wait forever, for the test to kill it there.
 */
import { ConfigError } from '../../src/config.js';
import { JsonRpcChain } from '../../src/indexer/chain-client.js';
import { Indexer } from '../../src/indexer/indexer.js';
import { openMonitorStore } from '../../src/store/open-store.js';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new ConfigError(name, 'required');
  return v;
}

const pauseAt = Number(process.env.MONITOR_TEST_PAUSE_AT_BATCH ?? 0);
const store = await openMonitorStore({ databasePath: required('DATABASE_PATH') });
const chain = new JsonRpcChain(required('RPC_URL'));
let batches = 0;
const indexer = new Indexer({
  store,
  chain,
  contracts: {
    token: required('TOKEN_ADDRESS'),
    gate: required('GATE_ADDRESS'),
    registry: required('REGISTRY_ADDRESS'),
    ...(process.env.SANCTIONS_ADDRESS ? { sanctions: process.env.SANCTIONS_ADDRESS } : {}),
  },
  confirmations: Number(process.env.CONFIRMATIONS ?? 2),
  batchBlocks: Number(process.env.BATCH_BLOCKS ?? 500),
  beforeCommit: async (batch) => {
    batches++;
    if (batches === pauseAt) {
      console.log(`paused in batch ${batches} (blocks ${batch.fromBlock}-${batch.toBlock})`);
      await new Promise(() => undefined);
    }
  },
});
const results = await indexer.catchUp();
const last = results.at(-1);
console.log(`caught up at ${last?.kind === 'idle' ? last.head : '?'} after ${batches} batch(es)`);
chain.close();
await store.close();
