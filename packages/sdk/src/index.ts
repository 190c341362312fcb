/**
 * @zkkyc/sdk — talking to the contracts and running the flows: deployment,
 * typed contract clients, the issuer-service HTTP client, the holder (apply,
 * receive, check, prove), and the registry anchor issuer-service publishes
 * roots through.
 */
export * from './deploy.js';
export * from './contracts.js';
export * from './holder-did.js';
export * from './issuer-client.js';
export * from './holder.js';
export * from './gate-policy.js';
export * from './registry-anchor.js';
