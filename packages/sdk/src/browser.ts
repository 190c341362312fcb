/**
 * The browser-safe part of @zkkyc/sdk: typed contract handles and revert
 * decoding, the issuer and relayer HTTP clients, the gate-policy reader, the registration consent, the holder DID and the holder's key derivation.
 * deploy.ts (node:fs) and holder.ts (VC verification through Veramo) stay out;
 * bundlers pick this file through the package's `browser` export condition.
 */
export * from './contracts.js';
export * from './issuer-client.js';
export * from './gate-policy.js';
export * from './registration-consent.js';
export * from './relayer-client.js';
export * from './holder-did.js';
export * from './holder-keys.js';
export type { ZkKycDeployment, DeployedToken, DeployedPolicy } from './deploy.js';
