/**
 * @zkkyc/compliance-monitor — what a token's compliance team runs (issue 11, docs/compliance-monitor.md):
 * an indexer that follows the token, the gate and the issuer registry over JSON-RPC, monitoring
 * rules per investor, playbooks that open cases and freeze or hold, sanctions-list imports and
 * suspicious-activity report drafts.
 */
export * from './model.js';
export { ConfigError, DEFAULT_CONFIRMATIONS, loadConfig, parseOfficers, type MonitorConfig, type MonitoredContracts, type Officer } from './config.js';
export { createMonitor, createMonitorServer, type Monitor, type MonitorOptions, type MonitorServerOptions } from './server.js';
export { Indexer, ChainMovedError, type BatchInfo, type IndexerHooks, type IndexerOptions, type IndexerStatus, type SyncResult } from './indexer/indexer.js';
export { JsonRpcChain, type ChainClient } from './indexer/chain-client.js';
export { decodeLog, sourcesOf, type EventSource } from './indexer/contract-events.js';
export {
  MonitorStore,
  StoreSession,
  TAG_MASK,
  decayedScore,
  investorTagOf,
  type AuditEntry,
  type CaseDetail,
  type CaseLogEntry,
  type CaseLogKind,
  type Cursor,
  type EventQuery,
  type IndexedBlock,
  type RiskScore,
  type StoredRuleHit,
  type WalletRegistration,
} from './store/monitor-store.js';
export { openMonitorStore, type StoreConfig, type OpenStoreOptions } from './store/open-store.js';
export { InstanceLockError } from './store/instance-lock.js';
export { ApiError } from './routes/errors.js';
// Rules (the engine's investorTagOf is the store's, exported above).
export * from './rules/rule-file.js';
export * from './rules/state.js';
export * from './rules/scoring.js';
export { evaluate, evaluateBatch, formatUnits, type EvaluateOptions } from './rules/engine.js';
export * from './playbooks/index.js';
export * from './sar/index.js';
export * from './sanctions/index.js';
export * from './pipeline/index.js';
