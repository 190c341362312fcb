/** Playbooks (docs/compliance-monitor.md, "Playbooks"): planning actions from hits, and carrying them out on chain. */
export * from './plan.js';
export * from './executor.js';
export * from './agent-send-lock.js';
