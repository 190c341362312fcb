/**
 * Starts the compliance monitor: `npm run monitor` (builds the console, then runs this file;
 * configuration from the environment: docs/compliance-monitor.md, "Configuration"). Opens the
 * store (taking the one-instance lock), follows the chain, and serves the officer API with its
 * OpenAPI document at /docs and, with their configuration, everything the console shows: SAR
 * drafts, the sanctions-import history, pending transfers and the console itself at /console/.
 * SIGINT/SIGTERM stop the indexer after its current batch and close everything.
 */
import { AgentSendLock, agentProvider } from './playbooks/agent-send-lock.js';
import { readFile } from 'node:fs/promises';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { ConfigError, loadConfig, type MonitorConfig } from './config.js';
import { createMonitor, type Monitor } from './server.js';
import { InstanceLockError } from './store/instance-lock.js';
import type { MonitorStore } from './store/monitor-store.js';
import { ChainPendingTransfers } from './routes/transfer-routes.js';
import type { SarToken } from './sar/draft.js';
import { SqlSarStore } from './sar/sql-store.js';
import { openSqliteSanctionsStore, type SanctionsStore } from './sanctions/store.js';
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

/** A start-up step that failed for a reason other than a setting (the node cannot be reached…). */
class StartError extends Error {}

const shortReason = (err: unknown) => ((err as { shortMessage?: string }).shortMessage ?? (err as Error).message ?? String(err)).slice(0, 200);

/**
 * The token as a SAR draft names it (chain id, address, name, symbol, decimals), read from the
 * chain once at start: a draft is a snapshot, and these do not change.
 */
async function sarToken(config: MonitorConfig, provider: JsonRpcProvider): Promise<SarToken> {
  const token = new Contract(config.contracts.token, ['function name() view returns (string)', 'function symbol() view returns (string)', 'function decimals() view returns (uint8)'], provider);
  try {
    const [network, name, symbol, decimals] = await Promise.all([provider.getNetwork(), token.name(), token.symbol(), token.decimals()]);
    return { chainId: Number(network.chainId), address: config.contracts.token, name: String(name), symbol: String(symbol), decimals: Number(decimals) };
  } catch (err) {
    throw new StartError(`SAR drafts need the token's name, symbol and decimals: reading them from TOKEN_ADDRESS ${config.contracts.token} over RPC_URL failed (${shortReason(err)})`);
  }
}

/**
 * The pending-transfer desk over the token's TransferApproval rule: with the agent's signer it
 * approves and rejects, without one it lists only. Checked once at start (the rule answers
 * `lastId()`), so a wrong address stops the start instead of failing each officer's request.
 */
async function pendingTransferDesk(rule: string, provider: JsonRpcProvider, runner: Wallet | null, sendLock: AgentSendLock): Promise<ChainPendingTransfers> {
  const probe = new Contract(rule, ['function lastId() view returns (uint256)'], provider);
  try {
    if ((await provider.getCode(rule)) === '0x') throw new ConfigError('TRANSFER_APPROVAL_ADDRESS', `no contract at ${rule} on the chain at RPC_URL (rule contract)`);
    await probe.lastId();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new StartError(`TRANSFER_APPROVAL_ADDRESS ${rule} did not answer lastId() over RPC_URL (${shortReason(err)}): is it the token's TransferApproval rule?`);
  }
  return new ChainPendingTransfers(rule, runner ?? provider, runner !== null, undefined, sendLock);
}

/** The pipeline's hooks for the configured token, with the token's policy read from the chain. */
async function pipelineFor(config: MonitorConfig, rules: RuleFile, store: MonitorStore, provider: JsonRpcProvider, runner: Wallet | null, sendLock: AgentSendLock): Promise<MonitoringHooks> {
  const token = new Contract(config.contracts.token, ['function policyId() view returns (uint256)'], provider);
  const policyId: bigint = await token.policyId();
  const transferApproval = config.transferApproval;
  console.log(
    `[monitor] rules ${config.rulesFile} version ${rules.version}: ${rules.rules.length} rule(s), ${rules.playbooks.length} playbook(s); policy ${policyId}; ` +
      (runner ? `actions signed by ${runner.address}` : 'no agent key (MONITOR_AGENT_KEY_ENV unset): actions are planned and recorded in cases, NOT executed') +
      (transferApproval ? `; holds through TransferApproval ${transferApproval}` : '; hold-transfers not configured (TRANSFER_APPROVAL_ADDRESS unset)'),
  );
  return monitoringHooks({ store, rules, token: config.contracts.token, gate: config.contracts.gate, policyId, runner, transferApproval, sendLock });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 0) throw new ConfigError('argv', `unknown argument "${args[0].slice(0, 40)}" (the monitor takes its configuration from the environment)`);
  const config = loadConfig();
  const rules = await readRules(config);
  // Uncached (agentProvider): the agent's signer asks the node for each nonce.
  const provider = agentProvider(config.rpcUrl);
  const runner = agentSigner(process.env, provider);
  // The pipeline's actions and the officers' approvals sign with the same key: one send queue for both.
  const sendLock = new AgentSendLock();
  // What the console needs from the chain, read before the store opens (nothing to undo if it fails).
  const token = config.sar ? await sarToken(config, provider) : null;
  const desk = config.transferApproval ? await pendingTransferDesk(config.transferApproval, provider, runner, sendLock) : undefined;
  const sanctions: SanctionsStore | undefined = config.sanctionsDb ? openSqliteSanctionsStore(config.sanctionsDb) : undefined;
  const closeOwn = async () => {
    await sanctions?.close();
    provider.destroy();
  };

  // The hooks need the store createMonitor opens; they are bound once it exists (before the indexer starts).
  let pipeline: MonitoringHooks | null = null;
  let monitor: Monitor;
  try {
    monitor = await createMonitor(config, {
      logger: true,
      hooks: rules
        ? {
            onBatch: (tx, events, batch) => pipeline!.onBatch!(tx, events, batch),
            onRewind: (tx, fork, removed) => pipeline!.onRewind!(tx, fork, removed),
            afterCommit: (events, batch) => pipeline!.afterCommit!(events, batch),
          }
        : undefined,
      // SAR drafts live in the monitor's own store, so the API's parts are bound once it is open.
      api: (store) => ({
        sar: config.sar && token ? { store: new SqlSarStore(store, config.sar), token } : undefined,
        sanctions,
        pendingTransfers: desk,
        consoleDir: config.consoleDir,
      }),
      // The one-instance lock went with its connection: another monitor could start now. Stop writing.
      onInstanceLockLost: (err) => {
        console.error(`[monitor] FATAL: lost the Postgres connection holding the one-instance lock (${err.message}); exiting so a restart takes the lock again`);
        process.exit(70);
      },
    });
  } catch (err) {
    await closeOwn();
    throw err;
  }
  if (rules) {
    try {
      pipeline = await pipelineFor(config, rules, monitor.store, provider, runner, sendLock);
    } catch (err) {
      await monitor.close();
      await closeOwn();
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
  await logConsoleParts(config, url, token, sanctions, runner);
  monitor.start();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`[monitor] ${signal}: shutting down after the current batch`);
    monitor
      .close()
      .then(closeOwn)
      .then(
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

/** One line per part of the console: on (and with what), or off (and which variable turns it on). */
async function logConsoleParts(config: MonitorConfig, url: string, token: SarToken | null, sanctions: SanctionsStore | undefined, runner: Wallet | null): Promise<void> {
  const off = (variable: string, route: string) => `off (${variable} unset: ${route} answers 503 not_configured)`;
  console.log(
    `[monitor] console: ${config.consoleDir ? `${url}/console/ (from ${config.consoleDir})` : 'not served (not built: `npm run build:console -w @zkkyc/compliance-monitor`, or set CONSOLE_DIR)'}`,
  );
  const entity = config.sar?.reportingEntity;
  console.log(
    `[monitor] SAR drafts: ${entity && token ? `on, reporting entity ${entity.name} (goAML id ${entity.rentityId}, ${entity.countryCode}); token ${token.name} (${token.symbol}, ${token.decimals} decimals, chain ${token.chainId})` : off('SAR_REPORTING_ENTITY_ID', '/sar')}`,
  );
  const imports = sanctions ? await sanctions.listImports() : [];
  console.log(`[monitor] sanctions history: ${sanctions ? `${config.sanctionsDb} (${imports.length} import(s))` : off('SANCTIONS_DB', '/sanctions/imports')}`);
  console.log(
    `[monitor] pending transfers: ${
      config.transferApproval
        ? `TransferApproval ${config.transferApproval}, ${runner ? `approve/reject signed by ${runner.address}` : 'read-only (no agent key: MONITOR_AGENT_KEY_ENV unset)'}`
        : off('TRANSFER_APPROVAL_ADDRESS', '/pending-transfers')
    }`,
  );
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(`[monitor] configuration error: ${err.message}`);
  else if (err instanceof InstanceLockError) console.error(`[monitor] refusing to start: ${err.message}`);
  else if (err instanceof StartError) console.error(`[monitor] cannot start: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
