/** The pipeline (docs/compliance-monitor.md, "Pipeline"): rules, playbooks and actions in the indexer's hooks. */
export { monitoringHooks, describeAction, investorWallets, MAX_ATTEMPTS, type MonitoringHooks, type MonitoringOptions, type QueuedAction } from './monitoring-hooks.js';
export { StoreActionLog, StoreCaseOpener, ACTION_STATE_PREFIX } from './store-records.js';
export { TransferApprovalHoldControl, type TransferApprovalHoldOptions } from './transfer-approval-hold.js';
export { ProviderChain } from './provider-chain.js';
