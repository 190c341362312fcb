/**
 * @zkkyc/sdk — talking to the contracts and running the flows: deployment,
 * typed contract clients, the issuer-service HTTP client, the holder (apply,
 * receive, check, prove), the registry anchor issuer-service publishes
 * roots through, and the off-chain verifier a relying party checks presentations with.
 */
// Everything a browser can use, then deployment (node:fs), the holder flow and the registry anchor.
export * from './browser.js';
export * from './deploy.js';
export * from './holder.js';
export * from './registry-anchor.js';
export * from './offchain-challenge-store.js';
export * from './offchain-verifier.js';
export * from './deterministic-deploy.js';
