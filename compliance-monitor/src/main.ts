/**
 * Starts the compliance monitor: `npx tsx compliance-monitor/src/main.ts` (configuration from the
 * environment: docs/compliance-monitor.md, "Configuration"). Opens the store (taking the
 * one-instance lock), follows the chain, and serves the officer API with its OpenAPI document at
 * /docs. SIGINT/SIGTERM stop the indexer after its current batch and close everything.
 */
import { readFile } from 'node:fs/promises';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { ConfigError, loadConfig, type MonitorConfig } from './config.js';
import { createMonitor } from './server.js';
import { InstanceLockError } from './store/instance-lock.js';
import type { MonitorStore } from './store/monitor-store.js';
import { parseRuleFile, RuleFileError, type RuleFile } from './rules/rule-file.js';
import { monitoringHooks, type MonitoringHooks } from './pipeline/monitoring-hooks.js';

/**
 * The rule file (`RULES_FILE`), parsed before anything opens: a file that does not parse stops the
 * start with the file, the JSON path and the rule (`RULES_FILE: bond.json: rules[2].threshold: …`).
 */
async function readRules(config: MonitorConfig): Promise<RuleFile | null> {
  if (!config.rulesFile) return null;
  let text: string;
  try {
    text = await readFile(config.rulesFile, 'utf8');
  } catch (err) {
    throw new ConfigError('RULES_FILE', `${config.rulesFile}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const rules = parseRuleFile(text, config.rulesFile);
    if (rules.token !== config.contracts.token) throw new RuleFileError('token', `is ${rules.token}, but TOKEN_ADDRESS is ${config.contracts.token}`, undefined, config.rulesFile);
    return rules;
  } catch (err) {
    if (err instanceof RuleFileError) throw new ConfigError('RULES_FILE', err.message);
    throw err;
  }
}

/**
 * The agent's signer: the private key sits in the environment variable MONITOR_AGENT_KEY_ENV names
 * (never on the command line, never in a log). Unset: no signer, the pipeline plans and records only.
 */
function agentSigner(env: NodeJS.ProcessEnv, provider: JsonRpcProvider): Wallet | null {
  const variable = env.MONITOR_AGENT_KEY_ENV;
  if (!variable) return null;
  const key = env[variable];
  if (!key) throw new ConfigError('MONITOR_AGENT_KEY_ENV', `names ${variable}, which is not set`);
  try {
    return new Wallet(key.trim(), provider);
  } catch {
    throw new ConfigError('MONITOR_AGENT_KEY_ENV', `${variable} does not hold a private key (0x + 64 hex digits)`);
  }
}

/** The pipeline's hooks for the configured token, with the token's policy read from the chain. */
async function pipelineFor(config: MonitorConfig, rules: RuleFile, store: MonitorStore, provider: JsonRpcProvider): Promise<MonitoringHooks> {
  const runner = agentSigner(process.env, provider);
  const token = new Contract(config.contracts.token, ['function policyId() view returns (uint256)'], provider);
  const policyId: bigint = await token.policyId();
  const transferApproval = process.env.TRANSFER_APPROVAL_ADDRESS || undefined;
  if (transferApproval && !/^0x[0-9a-fA-F]{40}$/.test(transferApproval)) throw new ConfigError('TRANSFER_APPROVAL_ADDRESS', 'must be a 0x address (40 hex digits)');
  console.log(
    `[monitor] rules ${config.rulesFile} version ${rules.version}: ${rules.rules.length} rule(s), ${rules.playbooks.length} playbook(s); policy ${policyId}; ` +
      (runner ? `actions signed by ${runner.address}` : 'no agent key (MONITOR_AGENT_KEY_ENV unset): actions are planned and recorded in cases, NOT executed') +
      (transferApproval ? `; holds through TransferApproval ${transferApproval}` : '; hold-transfers not configured (TRANSFER_APPROVAL_ADDRESS unset)'),
  );
  return monitoringHooks({ store, rules, token: config.contracts.token, gate: config.contracts.gate, policyId, runner, transferApproval });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 0) throw new ConfigError('argv', `unknown argument "${args[0].slice(0, 40)}" (the monitor takes its configuration from the environment)`);
  const config = loadConfig();
  const rules = await readRules(config);
  // The hooks need the store createMonitor opens; they are bound once it exists (before the indexer starts).
  let pipeline: MonitoringHooks | null = null;
  const provider = rules ? new JsonRpcProvider(config.rpcUrl, undefined, { staticNetwork: true }) : null;
  const monitor = await createMonitor(config, {
    logger: true,
    hooks: rules
      ? {
          onBatch: (tx, events, batch) => pipeline!.onBatch!(tx, events, batch),
          onRewind: (tx, fork, removed) => pipeline!.onRewind!(tx, fork, removed),
          afterCommit: (events, batch) => pipeline!.afterCommit!(events, batch),
        }
      : undefined,
    // The one-instance lock went with its connection: another monitor could start now. Stop writing.
    onInstanceLockLost: (err) => {
      console.error(`[monitor] FATAL: lost the Postgres connection holding the one-instance lock (${err.message}); exiting so a restart takes the lock again`);
      process.exit(70);
    },
  });
  if (rules) {
    try {
      pipeline = await pipelineFor(config, rules, monitor.store, provider!);
    } catch (err) {
      await monitor.close();
      throw err;
    }
  }
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
    monitor.close().then(() => provider?.destroy()).then(
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
