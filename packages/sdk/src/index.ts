/**
 * @zkkyc/sdk — talking to the contracts and running the flows: deployment,
 * typed contract clients, the issuer-service HTTP client, the holder (apply,
 * receive, check, prove), and the registry anchor issuer-service publishes
 * roots through.
 */
// Everything a browser can use, then deployment (node:fs), the holder flow and the registry anchor.
export * from './browser.js';
export * from './deploy.js';
export * from './holder.js';
export * from './registry-anchor.js';
