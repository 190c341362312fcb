/** Monitoring rules (docs/compliance-monitor.md, "Rules" and "Risk scores"): the rule file, the engine, its state and the scores. */
export * from './rule-file.js';
export * from './state.js';
export * from './engine.js';
export * from './scoring.js';
